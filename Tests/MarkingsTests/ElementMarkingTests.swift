import Foundation
import Testing

@testable import MailParsing
@testable import Markings

/// Builds a minimal OOXML document in memory.
func makeDocx(customProperties: [(String, String)] = [], header: String? = nil, sheetHeader: String? = nil) throws
    -> [UInt8]
{
    var files: [(String, String)] = []
    files.append(("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>"))
    files.append(
        ("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Body text</w:t></w:r></w:p></w:body></w:document>"))
    if !customProperties.isEmpty {
        let props = customProperties.enumerated().map { i, p in
            """
            <property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="\(i + 2)" \
            name="\(p.0)"><vt:lpwstr>\(p.1)</vt:lpwstr></property>
            """
        }.joined()
        files.append(("docProps/custom.xml", "<?xml version=\"1.0\"?><Properties xmlns:vt=\"x\">\(props)</Properties>"))
    }
    if let header { files.append(("word/header1.xml", "<w:hdr><w:p><w:r><w:t>\(header)</w:t></w:r></w:p></w:hdr>")) }
    if let sheetHeader {
        files.append(
            (
                "xl/worksheets/sheet1.xml",
                "<worksheet><headerFooter><oddHeader>&amp;C\(sheetHeader)</oddHeader></headerFooter></worksheet>"
            ))
    }
    return StoredZip.make(files.map { ($0.0, Array($0.1.utf8)) })
}

/// A minimal stored (uncompressed) ZIP writer for tests: local headers, central directory, CRC-32.
enum StoredZip {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
    static func crc32(_ b: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for x in b { c = table[Int((c ^ UInt32(x)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
    static func make(_ files: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func le16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func le32(_ v: UInt32, _ a: inout [UInt8]) {
            a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        for (name, data) in files {
            let n = Array(name.utf8), crc = crc32(data), offset = UInt32(out.count)
            le32(0x0403_4B50, &out)
            le16(20, &out)
            le16(0, &out)
            le16(0, &out)
            le16(0, &out)
            le16(0, &out)
            le32(crc, &out)
            le32(UInt32(data.count), &out)
            le32(UInt32(data.count), &out)
            le16(n.count, &out)
            le16(0, &out)
            out += n
            out += data
            le32(0x0201_4B50, &central)
            le16(20, &central)
            le16(20, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le32(crc, &central)
            le32(UInt32(data.count), &central)
            le32(UInt32(data.count), &central)
            le16(n.count, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le32(0, &central)
            le32(offset, &central)
            central += n
        }
        let cdOffset = UInt32(out.count)
        out += central
        le32(0x0605_4B50, &out)
        le16(0, &out)
        le16(0, &out)
        le16(files.count, &out)
        le16(files.count, &out)
        le32(UInt32(central.count), &out)
        le32(cdOffset, &out)
        le16(0, &out)
        return out
    }
}

func withAttachment(
    subject: String, type: String, filename: String, content: [UInt8], base64: Bool = true, body: String = "hello"
) -> String {
    let payload =
        base64
        ? Data(content).base64EncodedString(options: .lineLength76Characters) : String(decoding: content, as: UTF8.self)
    return makeMessage(
        subject: subject, headers: ["Content-Type: multipart/mixed; boundary=B"],
        body: """
            --B
            Content-Type: text/plain

            \(body)
            --B
            Content-Type: \(type); name="\(filename)"
            Content-Disposition: attachment; filename="\(filename)"
            \(base64 ? "Content-Transfer-Encoding: base64\n" : "")
            \(payload)
            --B--

            """)
}

@Suite("Markings in attachments and embedded messages (spec §3.5)")
struct ElementMarkingTests {
    /// A real (blank, one-page) PDF: the document reader reads it, so file-name tests see no `element-not-inspected`.
    static let pdf = Array(
        """
        %PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
        3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n
        """
        .utf8)

    @Test("a bracketed marking in a file name is read, and a higher one under-marks the email")
    func filenameBracket() throws {
        let m = withAttachment(
            subject: "[RESTRICTED] x", type: "application/pdf", filename: "report [SECRET].pdf", content: Self.pdf)
        try MarkingCase("f", m, "SECRET", findings: ["under-marked"]).check()
        let r = try read(m)
        #expect(r.readings.map(\.location) == ["subject", "attachment[1]:name"])
        #expect(r.findings.first { $0.id == .underMarked }?.location == "attachment[1]")
        #expect(r.ownClassification?.name == "RESTRICTED")
    }

    @Test("bare upper-case markings at the start or end of a file name")
    func filenameBare() throws {
        try MarkingCase(
            "start",
            withAttachment(
                subject: "[SECRET] x", type: "application/pdf", filename: "SECRET - plan.pdf", content: Self.pdf),
            "SECRET"
        ).check()
        try MarkingCase(
            "end",
            withAttachment(
                subject: "[SECRET] x", type: "application/pdf", filename: "plan_SECRET.pdf", content: Self.pdf),
            "SECRET"
        ).check()
    }

    @Test("a lower-case word in a file name is not a marking")
    func filenameNearMiss() throws {
        let r = try read(
            withAttachment(
                subject: "[IN-CONFIDENCE] x", type: "application/pdf", filename: "secret-recipe.pdf", content: Self.pdf)
        )
        #expect(r.readings.map(\.location) == ["subject"])
    }

    @Test("first and last lines of a text attachment")
    func textAttachment() throws {
        let m = withAttachment(
            subject: "[IN-CONFIDENCE] x", type: "text/plain", filename: "notes.txt",
            content: Array("SENSITIVE\nnotes\nSENSITIVE\n".utf8))
        try MarkingCase("t", m, "SENSITIVE", findings: ["under-marked"]).check()
        #expect(
            try read(m).readings.map(\.location) == ["subject", "attachment[1]:first-line", "attachment[1]:last-line"])
    }

    @Test("an element marked lower than the email raises nothing")
    func lowerElement() throws {
        try MarkingCase(
            "l",
            withAttachment(
                subject: "[SECRET] x", type: "application/pdf", filename: "[UNCLASSIFIED] leaflet.pdf",
                content: Self.pdf), "SECRET"
        ).check()
    }

    @Test("an unmarked email with a SECRET attachment is unmarked and under-marked, and effectively SECRET")
    func unmarkedWithSecretAttachment() throws {
        let m = withAttachment(
            subject: "plan", type: "application/pdf", filename: "[SECRET] plan.pdf", content: Self.pdf)
        try MarkingCase("u", m, "SECRET", findings: ["unmarked", "under-marked"]).check()
    }

    static func embedded(outer: String, inner: String, innerBody: String = "hello") -> String {
        makeMessage(
            subject: outer, headers: ["Content-Type: multipart/mixed; boundary=O"],
            body: """
                --O
                Content-Type: text/plain

                See attached.
                --O
                Content-Type: message/rfc822

                Subject: \(inner)

                \(innerBody)
                --O--

                """)
    }

    @Test("every location inside an embedded message is read under its element path")
    func embeddedMessage() throws {
        let m = Self.embedded(outer: "[IN-CONFIDENCE] fwd", inner: "[SECRET] plan", innerBody: "SECRET\nplan\n")
        let r = try read(m)
        #expect(r.classificationName == "SECRET")
        #expect(
            r.readings.map(\.location) == [
                "subject", "attachment[1]/message:subject", "attachment[1]/message:body:first-line",
            ])
        #expect(r.findingIDs == ["under-marked"])
        #expect(r.findings.first { $0.id == .underMarked }?.location == "attachment[1]")
    }

    @Test("an embedded message is judged like a top-level one: its own findings under its path")
    func embeddedFindings() throws {
        let r = try read(Self.embedded(outer: "[IN-CONFIDENCE] fwd", inner: "plain"))
        #expect(
            r.findings.map(\.description) == [
                "unmarked at attachment[1]/message: no classification in the headers, subject or body lines"
            ])
        let r2 = try read(Self.embedded(outer: "[SECRET] fwd", inner: "[SEC=SECRT] x"))
        #expect(r2.findings.contains { $0.id == .unparseableMarking && $0.location == "attachment[1]/message:subject" })
    }

    @Test("OOXML custom property Classification is read")
    func docxProperty() throws {
        let doc = try makeDocx(customProperties: [("Classification", "SECRET"), ("Author", "someone")])
        let m = withAttachment(
            subject: "[RESTRICTED] x", type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename: "plan.docx", content: doc)
        let r = try read(m)
        #expect(r.classificationName == "SECRET")
        #expect(r.readings.map(\.location).contains("attachment[1]:property:Classification"))
        #expect(r.findingIDs == ["under-marked"])
    }

    @Test("OOXML property names are case-insensitive and include Protective Marking")
    func docxPropertyNames() throws {
        for name in ["securityclassification", "Security Classification", "ProtectiveMarking", "Protective Marking"] {
            let doc = try makeDocx(customProperties: [(name, "RESTRICTED")])
            let r = try read(
                withAttachment(
                    subject: "[RESTRICTED] x", type: "application/octet-stream", filename: "a.docx", content: doc))
            #expect(r.readings.contains { $0.location == "attachment[1]:property:\(name)" }, "\(name)")
        }
    }

    @Test("OOXML Word header text is read with the whole-line rule")
    func docxHeader() throws {
        let doc = try makeDocx(header: "RESTRICTED")
        let r = try read(
            withAttachment(
                subject: "[IN-CONFIDENCE] x",
                type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", filename: "a.docx",
                content: doc))
        #expect(r.classificationName == "RESTRICTED")
        #expect(r.readings.map(\.location).contains("attachment[1]:header-footer"))
    }

    @Test("Excel header/footer section codes are stripped before reading")
    func xlsxHeader() throws {
        let doc = try makeDocx(sheetHeader: "SENSITIVE")
        let r = try read(
            withAttachment(
                subject: "[SENSITIVE] x", type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                filename: "a.xlsx", content: doc))
        #expect(r.readings.map(\.location).contains("attachment[1]:header-footer"))
    }

    @Test("Microsoft sensitivity-label name property goes through the label map")
    func msipProperty() throws {
        var v = Vocabulary.nz
        v.labelMap = ["Agency Secret": "SECRET"]
        let reader = try MarkingReader(options: .standard(vocabulary: v))
        let doc = try makeDocx(customProperties: [("MSIP_Label_0f1e2d3c_Name", "Agency Secret")])
        let r = try read(
            withAttachment(subject: "[SECRET] x", type: "application/octet-stream", filename: "a.docx", content: doc),
            reader: reader)
        #expect(r.readings.map(\.location).contains("attachment[1]:property:MSIP_Label_0f1e2d3c_Name"))
    }

    @Test(
        """
        a sensitivity label in docMetadata/LabelInfo.xml (an id without a name) is read through the label map; removed \
        or disabled labels are not
        """,
        arguments: [
            ("enabled=\"1\" removed=\"0\"", true), ("enabled=\"0\"", false), ("enabled=\"1\" removed=\"1\"", false),
        ])
    func labelInfo(_ attrs: String, isRead: Bool) throws {
        var v = Vocabulary.nz
        v.labelMap = ["f42aa342-8706-4288-bd11-ebb85995028c": "SECRET"]
        let reader = try MarkingReader(options: .standard(vocabulary: v))
        let labelInfo =
            """
            <?xml version="1.0"?><clbl:labelList xmlns:clbl="http://schemas.microsoft.com/office/2020/mipLabelMetadata"\
            >
            """
                + """
                <clbl:label id="{F42AA342-8706-4288-BD11-EBB85995028C}" \(attrs) method="Privileged" \
                siteId="{72f988bf-86f1-41af-91ab-2d7cd011db47}"/></clbl:labelList>
                """
        let doc = StoredZip.make([
            ("[Content_Types].xml", Array("<Types/>".utf8)), ("word/document.xml", Array("<w:document/>".utf8)),
            ("docMetadata/LabelInfo.xml", Array(labelInfo.utf8)),
        ])
        let r = try read(
            withAttachment(
                subject: "[IN-CONFIDENCE] x", type: "application/octet-stream", filename: "a.docx", content: doc),
            reader: reader)
        let location = "attachment[1]:property:MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c_Name"
        #expect(
            r.readings.contains { $0.location == location && $0.marking?.classification?.name == "SECRET" } == isRead,
            "\(r.readings.map(\.location))")
    }

    @Test("without a document reader an Office document is not inspected (fail closed), never skipped")
    func noDocumentReader() throws {
        let doc = try makeDocx(customProperties: [("Classification", "SECRET")])
        let r = try read(
            withAttachment(subject: "[SECRET] x", type: "application/octet-stream", filename: "a.docx", content: doc),
            reader: try MarkingReader())
        #expect(r.findingIDs == ["element-not-inspected"])
    }

    @Test("a document that claims to be OOXML but is a broken ZIP is not inspected (fail closed)")
    func brokenDocx() throws {
        let bogus: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0x41, count: 64)
        let r = try read(
            withAttachment(
                subject: "[SECRET] x", type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename: "a.docx", content: bogus))
        #expect(r.findingIDs == ["element-not-inspected"])
    }
}

@Suite("Auto-forwarding signals (spec §7, §8)")
struct AutoForwardTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var headers: [String]
        var subject = "x"
        var expected: [String]
        var testDescription: String { name }
    }
    static let cases: [Case] = [
        .init(
            name: "Exchange inbox rule loop", headers: ["X-MS-Exchange-Inbox-Rules-Loop: a@agency.govt.nz"],
            expected: ["x-ms-exchange-inbox-rules-loop"]),
        .init(
            name: "Exchange AutoForwarded true", headers: ["X-MS-Exchange-Organization-AutoForwarded: true"],
            expected: ["x-ms-exchange-organization-autoforwarded"]),
        .init(
            name: "Exchange AutoForwarded false is no signal",
            headers: ["X-MS-Exchange-Organization-AutoForwarded: false"], expected: []),
        .init(
            name: "Gmail X-Forwarded-To", headers: ["X-Forwarded-To: someone@gmail.com"], expected: ["x-forwarded-to"]),
        .init(name: "X-Forwarded-For", headers: ["X-Forwarded-For: a@b.c d@e.f"], expected: ["x-forwarded-for"]),
        .init(
            name: "Resent-From block", headers: ["Resent-From: a@agency.govt.nz", "Resent-To: b@example.com"],
            expected: ["resent"]),
        .init(name: "Resent-Sender alone", headers: ["Resent-Sender: a@agency.govt.nz"], expected: ["resent"]),
        .init(
            name: "Mailbox Rules Agent", headers: ["X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent"],
            expected: ["x-ms-exchange-generated-message-source"]),
        .init(
            name: "Mailbox Rules Agent on an auto-reply is not a forward",
            headers: ["X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "Auto-Submitted: auto-replied"],
            expected: []),
        .init(
            name: "Mailbox Rules Agent with suppress header and Automatic reply subject",
            headers: ["X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent", "X-Auto-Response-Suppress: All"],
            subject: "Automatic reply: away", expected: []),
        .init(
            name: "Auto-Submitted auto-generated alone is a notification, not a forward",
            headers: ["Auto-Submitted: auto-generated"], expected: []),
        .init(
            name: "a manual forward is not auto-forwarding", headers: ["X-Forwarded-Message-Id: <a@b>"],
            subject: "Fwd: plan", expected: []),
        .init(
            name: "several signals are all recorded",
            headers: ["X-MS-Exchange-Inbox-Rules-Loop: a@b", "X-MS-Exchange-Organization-AutoForwarded: true"],
            expected: ["x-ms-exchange-inbox-rules-loop", "x-ms-exchange-organization-autoforwarded"]),
    ]

    @Test(arguments: cases)
    func signals(_ c: Case) throws {
        let r = try read(makeMessage(subject: c.subject, headers: c.headers))
        #expect(r.autoForwardSignals == c.expected)
    }
}
