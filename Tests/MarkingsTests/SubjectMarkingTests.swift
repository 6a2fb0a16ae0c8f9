import OfficeDocuments
import Testing

@testable import Markings

@Suite("Markings in the subject (spec §3.3)")
struct SubjectMarkingTests {
    static let TS = ["ACCOUNTABLE MATERIAL"]  // implied by TOP SECRET

    static let bracketed: [MarkingCase] = [
        .subject("bracketed SECRET", "[SECRET]", "SECRET"),
        .subject("bracketed lower-case secret is read (brackets are case-insensitive)", "[secret]", "SECRET"),
        .subject("bracketed mixed-case Restricted", "[Restricted]", "RESTRICTED"),
        .subject("bracket at the end of the subject", "Budget paper [IN-CONFIDENCE]", "IN-CONFIDENCE"),
        .subject("bracket in the middle of the subject", "Budget [SENSITIVE] paper", "SENSITIVE"),
        .subject("IN CONFIDENCE with a space", "[IN CONFIDENCE] notes", "IN-CONFIDENCE"),
        .subject("IN_CONFIDENCE with an underscore", "[IN_CONFIDENCE]", "IN-CONFIDENCE"),
        .subject("IN--CONFIDENCE with a run of hyphens", "[IN--CONFIDENCE]", "IN-CONFIDENCE"),
        .subject("UNCLASSIFIED", "[UNCLASSIFIED]", "UNCLASSIFIED"),
        .subject("UNCLASS abbreviation", "[UNCLASS]", "UNCLASSIFIED"),
        .subject("TOP SECRET implies ACCOUNTABLE MATERIAL", "[TOP SECRET]", "TOP SECRET", TS),
        .subject("TOP-SECRET hyphenated", "[TOP-SECRET]", "TOP SECRET", TS),
        .subject("top secret lower case in brackets", "[top secret]", "TOP SECRET", TS),
        .subject("CONFIDENTIAL", "[CONFIDENTIAL]", "CONFIDENTIAL"),
        .subject("SENSITIVE", "[SENSITIVE]", "SENSITIVE"),
        .subject("PERSONAL is reported as UNCLASSIFIED", "[PERSONAL]", "UNCLASSIFIED"),
        .subject("UNOFFICIAL is reported as UNCLASSIFIED", "[UNOFFICIAL]", "UNCLASSIFIED"),
        .subject("SECRET//NZEO", "[SECRET//NZEO]", "SECRET", ["NZEO"]),
        .subject("SECRET/NZEO with a single slash", "[SECRET/NZEO]", "SECRET", ["NZEO"]),
        .subject("RESTRICTED NZEO with a space", "[RESTRICTED NZEO]", "RESTRICTED", ["NZEO"]),
        .subject("IN-CONFIDENCE//MEDICAL", "[IN-CONFIDENCE//MEDICAL]", "IN-CONFIDENCE", ["MEDICAL"]),
        .subject("IN-CONFIDENCE: MEDICAL", "[IN-CONFIDENCE: MEDICAL]", "IN-CONFIDENCE", ["MEDICAL"]),
        .subject("MEDICAL IN-CONFIDENCE (endorsement first)", "[MEDICAL IN-CONFIDENCE]", "IN-CONFIDENCE", ["MEDICAL"]),
        .subject(
            "IN-CONFIDENCE MEDICAL (endorsement after a space)", "[IN-CONFIDENCE MEDICAL]", "IN-CONFIDENCE", ["MEDICAL"]
        ),
        .subject("IN-CONFIDENCE - MEDICAL (spaced dash)", "[IN-CONFIDENCE - MEDICAL]", "IN-CONFIDENCE", ["MEDICAL"]),
        .subject("BUDGET SENSITIVE (legacy SEEMail style)", "[BUDGET SENSITIVE]", "SENSITIVE", ["BUDGET"]),
        .subject("SENSITIVE//LEGAL PRIVILEGE", "[SENSITIVE//LEGAL PRIVILEGE]", "SENSITIVE", ["LEGAL PRIVILEGE"]),
        .subject(
            "SENSITIVE//SPECIAL HANDLING REQUIRED", "[SENSITIVE//SPECIAL HANDLING REQUIRED]", "SENSITIVE",
            ["SPECIAL HANDLING REQUIRED"]),
        .subject("IN-CONFIDENCE//CABINET", "[IN-CONFIDENCE//CABINET]", "IN-CONFIDENCE", ["CABINET"]),
        .subject("every P&P endorsement: APPOINTMENTS", "[SENSITIVE//APPOINTMENTS]", "SENSITIVE", ["APPOINTMENTS"]),
        .subject("every P&P endorsement: COMMERCIAL", "[SENSITIVE//COMMERCIAL]", "SENSITIVE", ["COMMERCIAL"]),
        .subject("every P&P endorsement: EVALUATIVE", "[IN-CONFIDENCE//EVALUATIVE]", "IN-CONFIDENCE", ["EVALUATIVE"]),
        .subject("every P&P endorsement: HONOURS", "[IN-CONFIDENCE//HONOURS]", "IN-CONFIDENCE", ["HONOURS"]),
        .subject("every P&P endorsement: STAFF", "[IN-CONFIDENCE//STAFF]", "IN-CONFIDENCE", ["STAFF"]),
        .subject("every P&P endorsement: POLICY", "[SENSITIVE//POLICY]", "SENSITIVE", ["POLICY"]),
        .subject("agency use only", "[IN-CONFIDENCE//DIA USE ONLY]", "IN-CONFIDENCE", ["DIA USE ONLY"]),
        .subject("two-word agency use only", "[SENSITIVE//MFAT DPMC USE ONLY]", "SENSITIVE", ["MFAT DPMC USE ONLY"]),
        .subject(
            "embargoed for release with a date", "[SENSITIVE//EMBARGOED FOR RELEASE 10 MAY 2025]", "SENSITIVE",
            ["EMBARGOED FOR RELEASE 10 MAY 2025"]),
        .subject(
            "embargoed for release with a time", "[SENSITIVE//EMBARGOED FOR RELEASE 2PM 10 MAY]", "SENSITIVE",
            ["EMBARGOED FOR RELEASE 2PM 10 MAY"]),
        .subject(
            "to be reviewed on an ISO date", "[IN-CONFIDENCE//TO BE REVIEWED ON 2026-01-01]", "IN-CONFIDENCE",
            ["TO BE REVIEWED ON 2026-01-01"]),
        .subject("NZEO with REL TO NZL only is valid", "[SECRET//NZEO/REL TO NZL]", "SECRET", ["NZEO", "REL TO NZL"]),
        .subject("REL TO list is sorted", "[SECRET//REL TO NZL, AUS]", "SECRET", ["REL TO AUS, NZL"]),
        .subject("REL TO list separated by spaces", "[SECRET//REL TO NZL AUS]", "SECRET", ["REL TO AUS, NZL"]),
        .subject(
            "RELEASABLE TO long form", "[SECRET//RELEASABLE TO NZL, GBR, USA]", "SECRET", ["REL TO GBR, NZL, USA"]),
        .subject(
            "FVEY expands to five countries", "[SECRET//REL TO FVEY]", "SECRET", ["REL TO AUS, CAN, GBR, NZL, USA"]),
        .subject(
            "NZL plus FVEY deduplicates", "[SECRET//REL TO NZL, FVEY]", "SECRET", ["REL TO AUS, CAN, GBR, NZL, USA"]),
        .subject("NEW ZEALAND EYES ONLY long form", "[SECRET//NEW ZEALAND EYES ONLY]", "SECRET", ["NZEO"]),
        .subject("ACCOUNTABLE MATERIAL", "[SECRET//ACCOUNTABLE MATERIAL]", "SECRET", ["ACCOUNTABLE MATERIAL"]),
        .subject("ORCON", "[SECRET//ORCON]", "SECRET", ["ORCON"]),
        .subject("several endorsements in one marking", "[SECRET//NZEO/ORCON]", "SECRET", ["NZEO", "ORCON"]),
        .subject(
            "the PSR example with an unlisted codeword", "TOP SECRET//CODEWORD//ORCON/REL TO NZL, AUS", "TOP SECRET",
            ["ACCOUNTABLE MATERIAL", "CODEWORD", "ORCON", "REL TO AUS, NZL"], findings: ["invalid-combination"]),
        .subject("two brackets with the same marking", "[SECRET] plan [SECRET]", "SECRET"),
        .subject("SEEMail trigger word with a marking", "[SEEMAIL] [IN-CONFIDENCE] report", "IN-CONFIDENCE"),
    ]

    static let epms: [MarkingCase] = [
        .subject("SEC=RESTRICTED (NZ value in the EPMS form)", "Plan [SEC=RESTRICTED]", "RESTRICTED"),
        .subject("SEC=OFFICIAL maps to UNCLASSIFIED", "Note [SEC=OFFICIAL]", "UNCLASSIFIED"),
        .subject("SEC=OFFICIAL:Sensitive maps to IN-CONFIDENCE", "Note [SEC=OFFICIAL:Sensitive]", "IN-CONFIDENCE"),
        .subject(
            "EPMS example with ACCESS=Legal-Privilege",
            "This is an example subject line [SEC=OFFICIAL:Sensitive, ACCESS=Legal-Privilege]", "IN-CONFIDENCE",
            ["LEGAL PRIVILEGE"]),
        .subject("SEC=PROTECTED maps to RESTRICTED", "x [SEC=PROTECTED]", "RESTRICTED"),
        .subject("SEC=TOP-SECRET", "x [SEC=TOP-SECRET]", "TOP SECRET", TS),
        .subject(
            "EPMS example with AUSTEO", "x [SEC=SECRET, CAVEAT=SH:ACCOUNTABLE-MATERIAL, CAVEAT=RI:AUSTEO]", "SECRET",
            ["ACCOUNTABLE MATERIAL", "AUSTEO"], findings: ["foreign-eyes-only"]),
        .subject(
            "EXPIRES and DOWNTO are recorded, not applied", "x [SEC=PROTECTED, EXPIRES=2019-07-01, DOWNTO=OFFICIAL]",
            "RESTRICTED"),
        .subject(
            "NATIONAL-CABINET is CABINET", "x [SEC=OFFICIAL:Sensitive, CAVEAT=SH:NATIONAL-CABINET]", "IN-CONFIDENCE",
            ["CABINET"]),
        .subject("OFFICIAL: Sensitive with a space is tolerated", "x [SEC=OFFICIAL: Sensitive]", "IN-CONFIDENCE"),
        .subject("OFFICIAL-Sensitive is tolerated", "x [SEC=OFFICIAL-Sensitive]", "IN-CONFIDENCE"),
        .subject("lower-case sec= key and NZ value", "x [sec=restricted]", "RESTRICTED"),
        .subject(
            "REL list in an AU caveat", "x [SEC=PROTECTED, CAVEAT=RI:REL/AUS/NZL]", "RESTRICTED", ["REL TO AUS, NZL"]),
        .subject(
            "AGAO is foreign eyes only", "x [SEC=SECRET, CAVEAT=RI:AGAO]", "SECRET", ["AGAO"],
            findings: ["foreign-eyes-only"]),
        .subject(
            "unlisted AU codeword is invalid", "x [SEC=PROTECTED, CAVEAT=C:KESTREL]", "RESTRICTED", ["KESTREL"],
            findings: ["invalid-combination"]),
        .subject(
            "DELICATE-SOURCE is kept as an AU caveat", "x [SEC=PROTECTED, CAVEAT=SH:DELICATE-SOURCE]", "RESTRICTED",
            ["AU:DELICATE-SOURCE"]),
        .subject(
            "Personal-Privacy is kept as an AU access marker", "x [SEC=OFFICIAL:Sensitive, ACCESS=Personal-Privacy]",
            "IN-CONFIDENCE", ["AU:PERSONAL-PRIVACY"]),
        .subject(
            "Legislative-Secrecy is kept", "x [SEC=OFFICIAL:Sensitive, ACCESS=Legislative-Secrecy]", "IN-CONFIDENCE",
            ["AU:LEGISLATIVE-SECRECY"]),
        .subject(
            "ACCESS on OFFICIAL is an endorsement on UNCLASSIFIED", "x [SEC=OFFICIAL, ACCESS=Legal-Privilege]",
            "UNCLASSIFIED", ["LEGAL PRIVILEGE"], findings: ["invalid-combination"]),
        .subject("legacy DLM For-Official-Use-Only", "x [DLM=For-Official-Use-Only]", "IN-CONFIDENCE"),
        .subject("legacy DLM Sensitive:Legal", "x [DLM=Sensitive:Legal]", "SENSITIVE", ["LEGAL PRIVILEGE"]),
        .subject("legacy DLM Sensitive:Cabinet", "x [DLM=Sensitive:Cabinet]", "SENSITIVE", ["CABINET"]),
        .subject(
            "legacy SEC=UNCLASSIFIED with DLM=Sensitive raises to SENSITIVE", "x [SEC=UNCLASSIFIED, DLM=Sensitive]",
            "SENSITIVE"),
        .subject("legacy X-IN-CONFIDENCE", "x [SEC=X-IN-CONFIDENCE]", "IN-CONFIDENCE"),
        .subject("legacy HIGHLY-PROTECTED is SECRET", "x [SEC=HIGHLY-PROTECTED]", "SECRET"),
        .subject("misspelt SEC value is unparseable", "x [SEC=SECRT]", nil, findings: ["unparseable-marking"]),
        .subject("empty SEC value is unparseable", "x [SEC=]", nil, findings: ["unparseable-marking"]),
        // Spec §10.11: an unknown field beside a valid classification keeps the classification.
        .subject(
            "unknown EPMS field keeps the classification and is unparseable", "x [SEC=SECRET, FOO=BAR]", "SECRET",
            findings: ["unparseable-marking"]),
        .subject("unknown DLM is unparseable", "x [DLM=Whatever]", nil, findings: ["unparseable-marking"]),
        .subject(
            "unknown CAVEAT type keeps the classification and is unparseable", "x [SEC=PROTECTED, CAVEAT=ZZ:TOP]",
            "RESTRICTED", findings: ["unparseable-marking"]),
    ]

    static let bare: [MarkingCase] = [
        .subject("bare SECRET: budget reads SECRET without an endorsement", "SECRET: budget", "SECRET"),
        .subject("bare SECRET then lower-case words", "SECRET budget figures", "SECRET"),
        .subject("bare marking at the end after a dash", "Budget - SENSITIVE", "SENSITIVE"),
        .subject("bare marking at the end after a colon", "Budget: RESTRICTED", "RESTRICTED"),
        .subject("bare marking with endorsement at the end", "Budget RESTRICTED//NZEO", "RESTRICTED", ["NZEO"]),
        .subject("bare upper-case endorsement is read", "RESTRICTED NZEO: plan", "RESTRICTED", ["NZEO"]),
        .subject("bare marking after RE: and FW:", "RE: FW: SECRET: plan", "SECRET"),
        .subject("bare marking after Re: Fwd:", "Re: Fwd: IN-CONFIDENCE update", "IN-CONFIDENCE"),
        .subject("German reply prefixes AW: WG:", "AW: WG: CONFIDENTIAL", "CONFIDENTIAL"),
        .subject("counted reply prefix RE[2]:", "RE[2]: SENSITIVE: notes", "SENSITIVE"),
        .subject("Nordic prefixes SV: VS:", "SV: VS: RESTRICTED: x", "RESTRICTED"),
        .subject("French prefix TR:", "TR: SECRET plan", "SECRET"),
        .subject("Automatic reply: prefix", "Automatic reply: RESTRICTED: x", "RESTRICTED"),
        .subject("Undeliverable: prefix", "Undeliverable: SECRET x", "SECRET"),
        .subject("[EXT] tag before a bare marking", "[EXT] SECRET: x", "SECRET"),
        .subject("mixed prefixes and tags", "RE: [EXT] FW: IN-CONFIDENCE x", "IN-CONFIDENCE"),
        .subject("bare TOP SECRET alone", "SV: TOP SECRET", "TOP SECRET", TS),
        .subject("whole subject is a marking", "IN-CONFIDENCE", "IN-CONFIDENCE"),
        .subject("bare marking with an em dash separator", "SECRET\u{2014}plan", "SECRET"),
        .subject("bare UNCLASSIFIED then lower-case words", "UNCLASSIFIED ads for the intranet", "UNCLASSIFIED"),
        .subject("marking at the start and the end agree", "SECRET: plan - SECRET", "SECRET"),
    ]

    static let nearMisses: [MarkingCase] = [
        .subject("secret santa in the middle is not a marking", "the secret santa list", nil),
        .subject("Secretary is not SECRET", "Secretary's diary for May", nil),
        .subject("top secret santa mid-subject is not a marking", "Planning the top secret santa", nil),
        .subject("lower-case bare Secret: at the start is not a marking", "Secret: budget", nil),
        .subject("Sensitive stuff is not a marking", "Sensitive stuff", nil),
        .subject("Confidential at the start in title case is not a marking", "Confidential matters for you", nil),
        .subject("SECRETARY in capitals is not SECRET", "SECRETARY meeting", nil),
        .subject("upper-case SECRET in the middle is not a marking", "Meeting with the SECRET service team today", nil),
        .subject("Restricted in title case is not a marking", "Restricted area access", nil),
        .subject("In-Confidence in title case at the start is not a marking", "In-Confidence: notes", nil),
        .subject("SEEMail routing hint alone is not a classification", "[SEEMAIL] hello", nil),
        .subject("TRUSTED routing hint alone is not a classification", "[TRUSTED] hello", nil),
        .subject("an [EXT] tag alone is nothing", "[EXT] lunch", nil),
        .subject("a bracket of ordinary words is nothing", "[Draft] minutes", nil),
        .subject("PROTECTED in title case mid-subject is nothing", "Protected species report", nil),
        .subject("confidentiality is not CONFIDENTIAL", "CONFIDENTIALITY agreement", nil),
        .subject("unclassified ads mid-subject", "Some unclassified ads", nil),
        .subject("empty subject", "", nil),
    ]

    static let findings: [MarkingCase] = [
        .subject(
            "endorsement alone is unmarked and invalid", "[NZEO]", nil, ["NZEO"], findings: ["invalid-combination"]),
        .subject(
            "endorsement on UNCLASSIFIED is invalid", "[UNCLASSIFIED//NZEO]", "UNCLASSIFIED", ["NZEO"],
            findings: ["invalid-combination"]),
        .subject(
            "P&P endorsement on UNCLASSIFIED is invalid", "[UNCLASSIFIED MEDICAL]", "UNCLASSIFIED", ["MEDICAL"],
            findings: ["invalid-combination"]),
        .subject(
            "unknown endorsement after // is kept and invalid", "[SECRET//BANANA]", "SECRET", ["BANANA"],
            findings: ["invalid-combination"]),
        .subject(
            "NZEO with REL TO another country is invalid", "[SECRET//NZEO/REL TO NZL, AUS]", "SECRET",
            ["NZEO", "REL TO AUS, NZL"], findings: ["invalid-combination"]),
        .subject(
            "AUSTEO in NZ form is foreign eyes only", "[SECRET//AUSTEO]", "SECRET", ["AUSTEO"],
            findings: ["foreign-eyes-only"]),
        .subject(
            "two different markings in the subject disagree", "[RESTRICTED] hello [UNCLASSIFIED]", "RESTRICTED",
            findings: ["locations-disagree"]),
        .subject(
            "bracket starting like a marking but not parsing is unparseable", "[SECRET santa list]", nil,
            findings: ["unparseable-marking"]),
    ]

    static let obfuscation: [MarkingCase] = [
        .subject("Cyrillic Е inside SECRET", "[S\u{0415}CRET]", "SECRET", findings: ["obfuscated-marking"]),
        .subject("zero-width space inside SECRET", "[SE\u{200B}CRET]", "SECRET", findings: ["obfuscated-marking"]),
        .subject("soft hyphen inside SECRET", "[SEC\u{00AD}RET]", "SECRET", findings: ["obfuscated-marking"]),
        .subject(
            "fullwidth letters", "[\u{FF33}\u{FF25}\u{FF23}\u{FF32}\u{FF25}\u{FF34}]", "SECRET",
            findings: ["obfuscated-marking"]),
        .subject(
            "Greek Epsilon inside RESTRICTED", "[R\u{0395}STRICTED]", "RESTRICTED", findings: ["obfuscated-marking"]),
        .subject(
            "bidi override inside a bare marking", "SEC\u{202E}RET: plan", "SECRET", findings: ["obfuscated-marking"]),
        .subject(
            "Cyrillic о in a bare CONFIDENTIAL", "C\u{041E}NFIDENTIAL: x", "CONFIDENTIAL",
            findings: ["obfuscated-marking"]),
        .subject(
            "NBSP between TOP and SECRET is a separator, not obfuscation", "[TOP\u{00A0}SECRET]", "TOP SECRET", TS),
        .subject("non-breaking hyphen is a separator", "[IN\u{2011}CONFIDENCE]", "IN-CONFIDENCE"),
        .subject("en dash is a separator", "[IN\u{2013}CONFIDENCE]", "IN-CONFIDENCE"),
        .subject(
            "marking split across adjacent encoded words is not obfuscation", "=?utf-8?Q?[SEC?= =?utf-8?Q?RET]?=",
            "SECRET"),
        .subject("marking inside one B encoded word", "=?utf-8?B?W1NFQ1JFVF0=?=", "SECRET"),
        .subject("Cyrillic lookalike text without a marking word stays unmarked", "Привет", nil),
    ]

    @Test(arguments: bracketed) func bracketedCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: epms) func epmsCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: bare) func bareCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: nearMisses) func nearMissesCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: findings) func findingsCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: obfuscation) func obfuscationCases(_ c: MarkingCase) throws { try c.check() }

    @Test("a policy-listed codeword is a compartment, not invalid")
    func listedCodeword() throws {
        var v = Vocabulary.nz
        v.codewords = ["CODEWORD"]
        let reader = try MarkingReader(options: .standard(vocabulary: v))
        try MarkingCase.subject(
            "listed", "TOP SECRET//CODEWORD//ORCON", "TOP SECRET", ["ACCOUNTABLE MATERIAL", "CODEWORD", "ORCON"]
        ).check(reader: reader)
    }

    @Test("every subject reading records its location and the marking text as written")
    func location() throws {
        let r = try read(makeMessage(subject: "Plan [SECRET//NZEO]"))
        #expect(r.readings.map(\.location) == ["subject"])
        #expect(r.readings[0].text == "SECRET//NZEO")
    }
}
