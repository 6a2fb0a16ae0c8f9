import Testing

@testable import MailParsing
@testable import Markings

/// The Unicode, subject-form and body-form rows of issue 11 (spec §10.4–10.8). Each row was
/// read as UNMARKED (or its marking missed) by wave1-landed, so a SECRET message left for the
/// internet. Expected values follow UTS #39 (confusable skeletons), UAX #9 (bidi overrides)
/// and the Unicode Default_Ignorable_Code_Point property.
@Suite("Adversarial text (spec §10.4–10.8)")
struct AdversarialTextTests {
    static let cherokeeSECRET = "\u{13DA}\u{13AC}\u{13DF}\u{13A1}\u{13AC}\u{13A2}"
    static let mathBoldSECRET = "\u{1D412}\u{1D404}\u{1D402}\u{1D411}\u{1D404}\u{1D413}"
    static let smallCapsSecret = "\u{A731}\u{1D07}\u{1D04}\u{0280}\u{1D07}\u{1D1B}"
    static let lowLine = "SECRET".map { "\($0)\u{0332}" }.joined()

    static let unicode: [MarkingCase] = [
        .subject("mathematical bold letters", "[\(mathBoldSECRET)] plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject("small capitals", "[\(smallCapsSecret)] plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject("Cherokee letters", "[\(cherokeeSECRET)] plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject(
            "U+034F combining grapheme joiner inside the word", "[SEC\u{034F}RET] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "U+2063 invisible separator inside the word", "[SEC\u{2063}RET] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "U+FE00 variation selector inside the word", "[SEC\u{FE00}RET] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "U+E0020 tag space inside the word", "[SEC\u{E0020}RET] plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject(
            "U+061C Arabic letter mark inside the word", "[SEC\u{061C}RET] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "a combining low line on every letter", "[\(lowLine)] plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject(
            "a right-to-left override displays TERCES as SECRET", "[\u{202E}TERCES\u{202C}] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .body(
            "a right-to-left override on the first body line", "\u{202E}TERCES\u{202C}\n\nThe plan.\n", "SECRET",
            findings: ["obfuscated-marking"]),
        .body(
            "math bold letters on the first body line", "\(mathBoldSECRET)\n\nThe plan.\n", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "Cyrillic look-alikes are still obfuscation", "[S\u{0415}CR\u{0415}T] plan", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject("plain Māori text stays unmarked", "Hui ā-rohe mō te marama", nil),
    ]

    static let subjects: [MarkingCase] = [
        .subject("fullwidth brackets (what CJK keyboards type) are not obfuscation", "［SECRET］ plan", "SECRET"),
        .subject("CJK lenticular brackets", "【SECRET】 plan", "SECRET"),
        .subject("parentheses", "(SECRET) plan", "SECRET"),
        .subject("braces", "{SECRET} plan", "SECRET"),
        .subject("asterisks", "*SECRET* plan", "SECRET"),
        .subject("angle brackets", "plan <SECRET//NZEO>", "SECRET", ["NZEO"]),
        .subject("lower-case prose in parentheses is not a marking", "Lunch (secret location) on Friday", nil),
        .subject("Dutch reply prefix Antw:", "Antw: SECRET: plan", "SECRET"),
        .subject("Italian reply prefix R:", "R: SECRET: plan", "SECRET"),
        .subject("Chinese reply prefix 回复:", "回复: SECRET: plan", "SECRET"),
        .subject("Chinese reply prefix with a fullwidth colon", "回复：SECRET：plan", "SECRET"),
        .subject("Polish Odp: then Fwd:", "Odp: Fwd: RESTRICTED: plan", "RESTRICTED"),
        .subject("Greek reply prefix ΑΠ:", "ΑΠ: SECRET: plan", "SECRET"),
    ]

    static let bodies: [MarkingCase] = [
        .body("a first line of NBSP hides nothing", "\u{00A0}\nSECRET\n\nThe plan.\n", "SECRET"),
        .body("a first line of ZWSP hides nothing", "\u{200B}\nSECRET\n\nThe plan.\n", "SECRET"),
        .body("a first line of form feed hides nothing", "\u{000C}\nSECRET\n\nThe plan.\n", "SECRET"),
        .body("a first line of U+3164 Hangul filler hides nothing", "\u{3164}\nSECRET\n\nThe plan.\n", "SECRET"),
        .body(
            "an HTML first paragraph of &#160; hides nothing", "<p>&#160;</p><p>SECRET</p><p>The plan.</p>", "SECRET",
            contentType: "text/html"),
        .body(
            "the line before a signature separator", "Kia ora,\n\nThe plan.\n\nSECRET\n-- \nAroha\nPolicy team\n",
            "SECRET"),
        .body(
            "the line before a PGP signature",
            "The plan.\n\nRESTRICTED\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n", "RESTRICTED"),
        .body("Sensitivity label", "Sensitivity: SECRET\n\nThe plan.\n", "SECRET"),
        .body("Classification label with a dash", "Classification - SECRET\n\nThe plan.\n", "SECRET"),
        .body("wrapped in braces", "{SECRET}\n\nThe plan.\n", "SECRET"),
        .body("wrapped in double slashes", "//SECRET//\n\nThe plan.\n", "SECRET"),
        .body("wrapped in equals signs", "==SECRET==\n\nThe plan.\n", "SECRET"),
        .body("wrapped in underscores", "_SECRET_\n\nThe plan.\n", "SECRET"),
    ]

    static let nearMarkings: [MarkingCase] = [
        .body(
            "SECRET - do not forward", "SECRET - do not forward\n\nThe plan.\n", nil,
            findings: ["unparseable-marking"]),
        .body(
            "SECRET: for the Minister only", "SECRET: for the Minister only\n\nThe plan.\n", nil,
            findings: ["unparseable-marking"]),
        .body(
            "TOP SECRET | Minister's office", "TOP SECRET | Minister's office\n\nThe plan.\n", nil,
            findings: ["unparseable-marking"]),
        .body(
            "SECRET followed by upper-case words", "SECRET EYES ONLY\n\nThe plan.\n", nil,
            findings: ["unparseable-marking"]),
        .body("letters spaced out", "S E C R E T\n\nThe plan.\n", nil, findings: ["unparseable-marking"]),
        .body("letters split by dots", "S.E.C.R.E.T\n\nThe plan.\n", nil, findings: ["unparseable-marking"]),
        .body(
            "a classification word then a sentence is prose",
            "CONFIDENTIAL papers must not be left on printers overnight.\n\nThanks.\n", nil),
        .body("a word containing a classification is prose", "SECRETARIAT\n\nThe plan.\n", nil),
        .body("a lower-case classification word then a phrase is prose", "Secret - do not forward\n\nThe plan.\n", nil),
    ]

    @Test("confusables, invisibles, combining marks and bidi overrides (spec §10.5)", arguments: unicode)
    func unicodeRows(_ c: MarkingCase) throws { try c.check() }

    @Test("subject delimiters and reply prefixes (spec §10.6)", arguments: subjects)
    func subjectRows(_ c: MarkingCase) throws { try c.check() }

    @Test("body forms and blank-looking lines (spec §10.4, §10.7)", arguments: bodies)
    func bodyRows(_ c: MarkingCase) throws { try c.check() }

    @Test("near-markings fail closed as unparseable (spec §10.8)", arguments: nearMarkings)
    func nearRows(_ c: MarkingCase) throws { try c.check() }

    @Test("a 1 MB line is read by its first 4 KiB")
    func longLine() throws {
        let long = "SECRET" + String(repeating: " ", count: 1 << 20) + "x"
        let r = try read(makeMessage(subject: "hello", body: long + "\n"))
        #expect(r.classificationName == "SECRET")
        let junk = try read(
            makeMessage(subject: "hello", body: "SECRET - " + String(repeating: "a", count: 1 << 20) + "\n"))
        #expect(junk.findingIDs.contains("unparseable-marking"))
    }
}
