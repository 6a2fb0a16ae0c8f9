import OfficeDocuments
import Testing

@testable import Markings

@Suite("Markings in body lines (spec §3.4)")
struct BodyMarkingTests {
    static let plain: [MarkingCase] = [
        .body("first line", "IN-CONFIDENCE\n\nKia ora.\n", "IN-CONFIDENCE"),
        .body("last line", "Kia ora.\n\nSECRET\n", "SECRET"),
        .body("bold markdown decoration", "**SECRET//NZEO**\n\nhello\n", "SECRET", ["NZEO"]),
        .body("Classification: label", "Classification: RESTRICTED\n\nhello\n", "RESTRICTED"),
        .body("Security classification: label", "Security classification: SENSITIVE\nhello\n", "SENSITIVE"),
        .body("Protective marking: label", "hello\nProtective Marking: IN-CONFIDENCE\n", "IN-CONFIDENCE"),
        .body("title case Confidential is a body marking", "Confidential\n\nhello\n", "CONFIDENTIAL"),
        .body("lower case secret is a body marking", "secret\nhello\n", "SECRET"),
        .body("bracketed body line", "[IN-CONFIDENCE]\nhello\n", "IN-CONFIDENCE"),
        .body("== decorated ==", "== UNCLASSIFIED ==\nhello\n", "UNCLASSIFIED"),
        .body("leading blank lines are skipped", "   \n\n  RESTRICTED  \n\nhello\n", "RESTRICTED"),
        .body("endorsement after the classification", "IN-CONFIDENCE MEDICAL\nhello\n", "IN-CONFIDENCE", ["MEDICAL"]),
        .body("endorsement before the classification", "MEDICAL IN-CONFIDENCE\nhello\n", "IN-CONFIDENCE", ["MEDICAL"]),
        .body("AU body style OFFICIAL: Sensitive", "OFFICIAL: Sensitive\nhello\n", "IN-CONFIDENCE"),
        .body("AU PROTECTED in a body line", "PROTECTED\nhello\n", "RESTRICTED"),
        .body("EPMS medium form in a body line", "hello\nSEC=SECRET\n", "SECRET"),
        .body("TOP SECRET body line", "TOP SECRET\nhello\n", "TOP SECRET", ["ACCOUNTABLE MATERIAL"]),
        .body(
            "first and last lines disagree", "SECRET\nhello\nUNCLASSIFIED\n", "SECRET", findings: ["locations-disagree"]
        ),
        .body("trailing full stop", "IN-CONFIDENCE.\nhello\n", "IN-CONFIDENCE"),
        .body("en dash between classification and endorsement", "SECRET \u{2013} NZEO\nhello\n", "SECRET", ["NZEO"]),
        .body("CRLF line ends", "RESTRICTED\r\n\r\nhello\r\n", "RESTRICTED"),
        .body("near miss: unclassified ads in a sentence", "Unclassified ads are on page 3.\nhello\n", nil),
        .body("near miss: secret santa sentence", "Secret santa this Friday\nbring a gift\n", nil),
        .body("near miss: marking on a middle line is not read", "hello\nSECRET\nbye\n", nil),
        .body("near miss: signature line with SECRET inside", "hello\nThe SECRET team\n", nil),
        .body(
            "near miss: Classification: label with prose", "Classification: pending review by the team\nhello\n", nil),
        .body("empty body", "", nil),
    ]

    static let html: [MarkingCase] = [
        .body(
            "HTML paragraph, title dropped",
            "<html><head><title>SECRET</title></head><body><p>IN-CONFIDENCE</p><p>hi</p></body></html>",
            "IN-CONFIDENCE", contentType: "text/html"),
        .body(
            "HTML bold and nbsp", "<div><b>SECRET</b>&nbsp;</div><div>text</div>", "SECRET", contentType: "text/html"),
        .body("HTML numeric entity", "<p>IN&#45;CONFIDENCE</p><p>x</p>", "IN-CONFIDENCE", contentType: "text/html"),
        .body(
            "HTML style content is dropped", "<style>.SECRET{color:red}</style><p>hello</p>", nil,
            contentType: "text/html"),
        .body(
            "HTML script content is dropped", "<script>var s='SECRET'</script><p>hello</p>", nil,
            contentType: "text/html"),
        .body("HTML br ends a line", "hello<br>RESTRICTED", "RESTRICTED", contentType: "text/html"),
        .body("HTML comment is ignored", "<!-- SECRET --><p>hello</p>", nil, contentType: "text/html"),
    ]

    @Test(arguments: plain) func plainCases(_ c: MarkingCase) throws { try c.check() }
    @Test(arguments: html) func htmlCases(_ c: MarkingCase) throws { try c.check() }

    static func alternative(_ plain: String, _ html: String) -> String {
        makeMessage(
            subject: "hello", headers: ["Content-Type: multipart/alternative; boundary=b"],
            body: "--b\nContent-Type: text/plain\n\n\(plain)\n--b\nContent-Type: text/html\n\n\(html)\n--b--\n")
    }

    @Test("every alternative of multipart/alternative counts as the body")
    func alternatives() throws {
        try MarkingCase("html alternative marked", Self.alternative("hello", "<p>SECRET</p>"), "SECRET").check()
        try MarkingCase(
            "alternatives disagree", Self.alternative("RESTRICTED\nhi", "<p>UNCLASSIFIED</p><p>hi</p>"), "RESTRICTED",
            findings: ["locations-disagree"]
        ).check()
    }

    @Test("quoted-printable and base64 bodies are decoded before reading")
    func encodedBodies() throws {
        try MarkingCase(
            "qp",
            makeMessage(subject: "x", headers: ["Content-Transfer-Encoding: quoted-printable"], body: "=53ECRET\nhi\n"),
            "SECRET"
        ).check()
        try MarkingCase(
            "b64",
            makeMessage(subject: "x", headers: ["Content-Transfer-Encoding: base64"], body: "UkVTVFJJQ1RFRApoaQo=\n"),
            "RESTRICTED"
        ).check()
    }

    @Test("body readings are located as body:first-line and body:last-line")
    func locations() throws {
        let r = try read(makeMessage(subject: "x", body: "SECRET\nhello\nSECRET\n"))
        #expect(r.readings.map(\.location) == ["body:first-line", "body:last-line"])
    }
}

@Suite("X-Protective-Marking and other headers (spec §3.1–3.2)")
struct HeaderMarkingTests {
    static let cases: [MarkingCase] = [
        .header(
            "NZ namespace with NZEO", "VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=RI:NZEO, ORIGIN=a.b@agency.govt.nz",
            "SECRET", ["NZEO"]),
        .header(
            "folded over lines", "VER=2024.1, NS=govt.nz,\n SEC=RESTRICTED,\n ORIGIN=a.b@agency.govt.nz", "RESTRICTED"),
        .header(
            "AU namespace with ACCESS",
            """
            VER=2024.1, NS=gov.au,\n SEC=OFFICIAL:Sensitive,\n ACCESS=Legal-Privilege,\n \
            ORIGIN=neville.jones@entity.gov.au
            """,
            "IN-CONFIDENCE", ["LEGAL PRIVILEGE"]),
        .header(
            "AU SECRET AUSTEO",
            "VER=2024.1, NS=gov.au, SEC=SECRET, CAVEAT=SH:ACCOUNTABLE-MATERIAL, CAVEAT=RI:AUSTEO, ORIGIN=n.j@e.gov.au",
            "SECRET", ["ACCOUNTABLE MATERIAL", "AUSTEO"], findings: ["foreign-eyes-only"]),
        .header("missing ORIGIN is tolerated", "VER=2024.1, NS=gov.au, SEC=UNOFFICIAL", "UNCLASSIFIED"),
        .header(
            "older VER=2018.4 is accepted", "VER=2018.4, NS=gov.au, SEC=PROTECTED, ORIGIN=a@b.gov.au", "RESTRICTED"),
        .header(
            "legacy 2012 value", "VER=2012.3, NS=gov.au, SEC=UNCLASSIFIED, DLM=Sensitive, ORIGIN=a@b.gov.au",
            "SENSITIVE"),
        .header(
            "ACCESS after EXPIRES is tolerated",
            """
            VER=2024.1, NS=gov.au, SEC=OFFICIAL:Sensitive, EXPIRES=2030-01-01, DOWNTO=OFFICIAL, \
            ACCESS=Legal-Privilege, ORIGIN=a@b.gov.au
            """,
            "IN-CONFIDENCE", ["LEGAL PRIVILEGE"]),
        .header("NS is case-insensitive", "VER=2024.1, NS=GOV.AU, SEC=PROTECTED, ORIGIN=a@b.gov.au", "RESTRICTED"),
        .header(
            "escaped comma in NOTE", "VER=2024.1, NS=govt.nz, SEC=SENSITIVE, NOTE=budget\\, draft, ORIGIN=a@b.govt.nz",
            "SENSITIVE"),
        .header("NZ values are case-insensitive", "VER=2024.1, NS=govt.nz, SEC=Secret, ORIGIN=a@b.govt.nz", "SECRET"),
        .header(
            "NZ TOP-SECRET", "VER=2024.1, NS=govt.nz, SEC=TOP-SECRET, ORIGIN=a@b.govt.nz", "TOP SECRET",
            ["ACCOUNTABLE MATERIAL"]),
        .header(
            "NZ REL list caveat", "VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=RI:REL/NZL/AUS, ORIGIN=a@b.govt.nz",
            "SECRET", ["REL TO AUS, NZL"]),
        .header(
            "NZ P&P endorsement as SH caveat",
            "VER=2024.1, NS=govt.nz, SEC=SENSITIVE, CAVEAT=SH:LEGAL-PRIVILEGE, ORIGIN=a@b.govt.nz", "SENSITIVE",
            ["LEGAL PRIVILEGE"]),
        .header(
            "NZ SPECIAL-HANDLING-REQUIRED",
            "VER=2024.1, NS=govt.nz, SEC=SENSITIVE, CAVEAT=SH:SPECIAL-HANDLING-REQUIRED, ORIGIN=a@b.govt.nz",
            "SENSITIVE", ["SPECIAL HANDLING REQUIRED"]),
        .header(
            "NZ agency use only caveat",
            "VER=2024.1, NS=govt.nz, SEC=IN-CONFIDENCE, CAVEAT=SH:DIA-USE-ONLY, ORIGIN=a@b.govt.nz", "IN-CONFIDENCE",
            ["DIA USE ONLY"]),
        .header(
            "NZ ORCON and ACCOUNTABLE-MATERIAL",
            "VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=SH:ORCON, CAVEAT=SH:ACCOUNTABLE-MATERIAL, ORIGIN=a@b.govt.nz",
            "SECRET", ["ACCOUNTABLE MATERIAL", "ORCON"]),
        .header(
            "NZ unlisted codeword is invalid",
            "VER=2024.1, NS=govt.nz, SEC=TOP-SECRET, CAVEAT=C:KESTREL, ORIGIN=a@b.govt.nz", "TOP SECRET",
            ["ACCOUNTABLE MATERIAL", "KESTREL"], findings: ["invalid-combination"]),
        .header(
            "NZ NZEO with REL TO AUS is invalid",
            "VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=RI:NZEO, CAVEAT=RI:REL/NZL/AUS, ORIGIN=a@b.govt.nz", "SECRET",
            ["NZEO", "REL TO AUS, NZL"], findings: ["invalid-combination"]),
        .header(
            "NZ endorsement on UNCLASSIFIED is invalid",
            "VER=2024.1, NS=govt.nz, SEC=UNCLASSIFIED, CAVEAT=RI:NZEO, ORIGIN=a@b.govt.nz", "UNCLASSIFIED", ["NZEO"],
            findings: ["invalid-combination"]),
        .header(
            "VER not YYYY.N is unparseable", "VER=abc, NS=govt.nz, SEC=SECRET", nil, findings: ["unparseable-marking"]),
        .header("missing VER is unparseable", "NS=govt.nz, SEC=SECRET", nil, findings: ["unparseable-marking"]),
        .header(
            "unknown namespace is unparseable", "VER=2024.1, NS=example.org, SEC=SECRET", nil,
            findings: ["unparseable-marking"]),
        .header(
            "unknown SEC value is unparseable", "VER=2024.1, NS=govt.nz, SEC=SECRT", nil,
            findings: ["unparseable-marking"]),
        .header(
            "AU values are case-sensitive", "VER=2024.1, NS=gov.au, SEC=secret, ORIGIN=a@b.gov.au", nil,
            findings: ["unparseable-marking"]),
        .header(
            "a field without = is broken grammar", "VER=2024.1, NS=govt.nz, SECRET", nil,
            findings: ["unparseable-marking"]),
        .header(
            "Cyrillic in the header value is read and flagged", "VER=2024.1, NS=govt.nz, SEC=S\u{0415}CRET", "SECRET",
            findings: ["obfuscated-marking"]),
        // Spec §10.11: an unknown caveat never erases the classification.
        .header(
            "unknown AU caveat value is kept as an unknown endorsement",
            "VER=2024.1, NS=gov.au, SEC=PROTECTED, CAVEAT=SH:WHATEVER", "RESTRICTED", ["AU:SH:WHATEVER"],
            findings: ["invalid-combination"]),
    ]

    @Test(arguments: cases) func headerCases(_ c: MarkingCase) throws { try c.check() }

    @Test("two identical headers raise multiple-marking-headers")
    func twoHeaders() throws {
        let h = "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=SECRET"
        try MarkingCase(
            "two", makeMessage(subject: "x", headers: [h, h]), "SECRET", findings: ["multiple-marking-headers"]
        ).check()
    }

    @Test("two different headers raise multiple headers and disagreement; the highest counts")
    func twoDifferentHeaders() throws {
        try MarkingCase(
            "two",
            makeMessage(
                subject: "x",
                headers: [
                    "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=UNCLASSIFIED",
                    "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=RESTRICTED",
                ]),
            "RESTRICTED", findings: ["multiple-marking-headers", "locations-disagree"]
        ).check()
    }

    @Test("header and subject disagree")
    func disagree() throws {
        try MarkingCase(
            "d",
            makeMessage(
                subject: "[RESTRICTED] plan",
                headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=UNCLASSIFIED"]),
            "RESTRICTED", findings: ["locations-disagree"]
        ).check()
    }

    @Test("header and subject agree across schemes (OFFICIAL:Sensitive = IN-CONFIDENCE)")
    func agreeAcrossSchemes() throws {
        try MarkingCase(
            "a",
            makeMessage(
                subject: "[IN-CONFIDENCE] x",
                headers: ["X-Protective-Marking: VER=2024.1, NS=gov.au, SEC=OFFICIAL:Sensitive, ORIGIN=a@b.gov.au"]),
            "IN-CONFIDENCE"
        ).check()
    }

    @Test("NZEO in the header with REL TO AUS in the subject is invalid across locations")
    func unionInvalid() throws {
        try MarkingCase(
            "u",
            makeMessage(
                subject: "[SECRET//REL TO NZL, AUS] x",
                headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=RI:NZEO"]),
            "SECRET", ["NZEO", "REL TO AUS, NZL"], findings: ["invalid-combination"]
        ).check()
        let r = try read(
            makeMessage(
                subject: "[SECRET//REL TO NZL, AUS] x",
                headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=RI:NZEO"]))
        #expect(r.findings.first { $0.id == .invalidCombination }?.location == "message")
    }

    @Test("an unparseable location does not disagree with anything")
    func unparseableDoesNotDisagree() throws {
        try MarkingCase(
            "u",
            makeMessage(
                subject: "[SEC=SECRT] x", headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=RESTRICTED"]),
            "RESTRICTED", findings: ["unparseable-marking"]
        ).check()
    }

    @Test("other marking headers are read only when configured")
    func extraHeaders() throws {
        let msg = makeMessage(subject: "x", headers: ["X-Classification: SECRET"])
        try MarkingCase("off", msg, nil, findings: ["unmarked"]).check()
        let reader = try MarkingReader(options: .standard(extraHeaders: ["X-Classification"]))
        try MarkingCase("on", msg, "SECRET").check(reader: reader)
        #expect(try read(msg, reader: reader).readings.map(\.location) == ["header:X-Classification"])
    }

    @Test("msip_labels names are mapped through the label map")
    func msipLabels() throws {
        var v = Vocabulary.nz
        v.labelMap = ["Agency Restricted": "RESTRICTED"]
        let reader = try MarkingReader(options: .standard(vocabulary: v, readMSIPLabels: true))
        let msg = makeMessage(
            subject: "x",
            headers: [
                """
                msip_labels: MSIP_Label_1234_Enabled=true; MSIP_Label_1234_Name=Agency Restricted; \
                MSIP_Label_1234_SiteId=x
                """
            ])
        try MarkingCase("mapped", msg, "RESTRICTED").check(reader: reader)
    }
}
