import ContentInspection
import Foundation
@_spi(Testing) import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage
import TestSupport
import Testing

@testable import DecisionEngine

/// One evidence pipeline (issue 9): elements once, identified once, markings read by identified
/// type from the same decoded bytes.
@Suite("One evidence pipeline")
struct PipelineTests {
    static func mime(
        subject: String, from: String, to: String, parts: [(type: String, name: String?, bytes: [UInt8])],
        boundary b: String = "B"
    ) -> [UInt8] {
        var s =
            """
            From: \(from)\nTo: \(to)\nSubject: \(subject)\nMIME-Version: 1.0\n\
            Content-Type: multipart/mixed; boundary="\(b)"\n\n
            """
        s += "--\(b)\nContent-Type: text/plain\n\nKia ora.\n"
        for p in parts {
            s +=
                "--\(b)\nContent-Type: \(p.type)"
                + (p.name.map { "; name=\"\($0)\"\nContent-Disposition: attachment; filename=\"\($0)\"" } ?? "") + "\n"
            s +=
                "Content-Transfer-Encoding: base64\n\n"
                + Data(p.bytes).base64EncodedString(options: .lineLength76Characters) + "\n"
        }
        return Array((s + "--\(b)--\n").utf8)
    }

    static let secretDocx = ZipWriter.docx(customProperties: [("Classification", "SECRET")])

    struct Disguise: Sendable, CustomTestStringConvertible {
        var declared: String
        var name: String?
        var testDescription: String { "\(declared) \(name ?? "(no name)")" }
    }
    static let disguises = [
        Disguise(declared: "application/pdf", name: "r.pdf"),
        Disguise(declared: "application/octet-stream", name: "plan.dat"),
        Disguise(declared: "image/png", name: nil), Disguise(declared: "text/plain", name: "notes.txt"),
    ]

    @Test(
        "an Office document under a misleading name and declared type is read for markings: outbound it is blocked",
        arguments: disguises)
    func misleadingOutbound(_ d: Disguise) {
        let bytes = Self.mime(
            subject: "[IN-CONFIDENCE] plan", from: "aroha@agency.govt.nz", to: "x@gmail.com",
            parts: [(d.declared, d.name, Self.secretDocx)])
        let v = Fixture.defaultEngine.evaluate(
            bytes: bytes,
            envelope: Envelope(direction: .outbound, mailFrom: "aroha@agency.govt.nz", recipients: ["x@gmail.com"]))
        #expect(v.markings?.classification?.name == "SECRET")
        #expect(v.markings?.readings.contains { $0.location == "attachment[1]:property:Classification" } == true)
        #expect(v.markings?.findings.contains { $0.id == .underMarked && $0.location == "attachment[1]" } == true)
        #expect(v.ruleIDs.contains("PM-OUT-001") && v.messageAction != .allow)
    }

    @Test(
        """
        an Office document under a misleading name and declared type is read for markings: inbound above the \
        accreditation it is blocked
        """,
        arguments: disguises)
    func misleadingInbound(_ d: Disguise) {
        let bytes = Self.mime(
            subject: "[RESTRICTED] plan", from: "p@partner.example", to: "me@agency.govt.nz",
            parts: [(d.declared, d.name, Self.secretDocx)])
        let v = Fixture.defaultEngine.evaluate(
            bytes: bytes,
            envelope: Envelope(direction: .inbound, mailFrom: "p@partner.example", recipients: ["me@agency.govt.nz"]))
        #expect(v.markings?.classification?.name == "SECRET")
        #expect(v.ruleIDs.contains("PM-IN-001"))
        #expect(v.decision(for: "me@agency.govt.nz")?.action == .block)
    }

    @Test(
        "a DOCX containing a ZIP bomb hits the archive limit (PM-ATT-004) and its part is never inflated past the limit"
    )
    func docxBomb() {
        let bomb = [UInt8](repeating: 0x20, count: 40 << 20)  // 40 MiB of spaces deflates about 1000:1
        let docx = ZipWriter.docx(
            customProperties: [("Classification", "UNCLASSIFIED")], extra: [("word/header1.xml", bomb)])
        #expect(docx.count < 200_000)
        let bytes = Self.mime(
            subject: "[UNCLASSIFIED] x", from: "aroha@agency.govt.nz", to: "x@gmail.com",
            parts: [("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "report.docx", docx)])
        let v = Fixture.defaultEngine.evaluate(
            bytes: bytes,
            envelope: Envelope(direction: .outbound, mailFrom: "aroha@agency.govt.nz", recipients: ["x@gmail.com"]))
        let item = v.content?.items.first { $0.location == "attachment[1]" }
        #expect(item?.findings.contains { $0.kind == .archiveLimit && $0.detail.contains("word/header1.xml") } == true)
        #expect(v.ruleIDs.contains("PM-ATT-004"))
        #expect(v.messageAction == .quarantine)
        // The marking reader reads the document through the same limits: the bomb part is refused.
        #expect(v.markings?.findings.contains { $0.id == .elementNotInspected && $0.detail.contains("limit") } == true)
    }

    @Test("each element is decoded at most once, however many consumers read it (counting test)")
    func decodedOnce() throws {
        let zip = ZipWriter.zip([("inner/a.txt", Array("hello".utf8)), ("inner/b.docx", Self.secretDocx)])
        let inner = String(
            decoding: Self.mime(
                subject: "[SECRET] inner", from: "a@agency.govt.nz", to: "b@agency.govt.nz",
                parts: [("text/plain", "inner-notes.txt", Array("SECRET\nbody\nSECRET\n".utf8))], boundary: "I"),
            as: UTF8.self)
        var bytes = Self.mime(
            subject: "[SECRET] outer", from: "aroha@agency.govt.nz", to: "x@agency.govt.nz",
            parts: [
                ("application/octet-stream", "plan.dat", Self.secretDocx), ("application/zip", "bundle.zip", zip),
                ("text/csv", "list.csv", Array("SECRET\na,b\nSECRET\n".utf8)),
                ("image/png", "p.png", [0x89, 0x50, 0x4E, 0x47] + Array(repeating: 7, count: 300)),
            ])
        bytes.removeLast("--B--\n".utf8.count)
        bytes += Array("--B\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n\(inner)\n--B--\n".utf8)
        let m = try Message(parsing: bytes)
        let v = Fixture.defaultEngine.evaluate(
            message: m,
            envelope: Envelope(direction: .internal, mailFrom: "aroha@agency.govt.nz", recipients: ["x@agency.govt.nz"])
        )
        #expect(v.markings?.classification?.name == "SECRET")
        #expect(v.markings?.readings.contains { $0.location == "attachment[1]:property:Classification" } == true)
        var counts: [Int] = []
        var decodedParts = 0
        var messages: [ObjectIdentifier: Message] = [ObjectIdentifier(m): m]
        for e in m.elements { messages[ObjectIdentifier(e.message)] = e.message }
        #expect(messages.count == 2)  // the embedded message's parts are counted too
        for owner in messages.values { counts += owner.decodeCounts.values }
        decodedParts = m.decodeCounts.count
        #expect(decodedParts >= 3)  // the docx, the zip and the CSV were decoded whole
        #expect(counts.allSatisfy { $0 == 1 }, "\(counts)")
        // and a second evaluation of the same parsed message decodes nothing again
        _ = Fixture.defaultEngine.evaluate(
            message: m,
            envelope: Envelope(direction: .internal, mailFrom: "aroha@agency.govt.nz", recipients: ["x@agency.govt.nz"])
        )
        #expect(m.decodeCounts.values.allSatisfy { $0 == 1 })
    }

    @Test("every element gets one typed location, rendered once, with a link to its parent")
    func elementLocations() throws {
        let inner = String(
            decoding: Self.mime(
                subject: "x", from: "a@b.c", to: "d@e.f", parts: [("text/plain", "n.txt", Array("x".utf8))],
                boundary: "I"), as: UTF8.self)
        var bytes = Self.mime(
            subject: "x", from: "a@b.c", to: "d@e.f", parts: [("application/pdf", "a.pdf", Array("%PDF-1.4".utf8))])
        bytes.removeLast("--B--\n".utf8.count)
        bytes += Array("--B\nContent-Type: message/rfc822\n\n\(inner)\n--B--\n".utf8)
        let els = try Message(parsing: bytes).elements
        #expect(
            els.map(\.location.description) == [
                "attachment[1]", "attachment[2]", "attachment[2]/message/attachment[1]",
            ])
        #expect(els.map(\.parent) == [nil, nil, 1])
        let entry = ElementLocation([.attachment(2), .entry("inner.zip"), .entry("evil.exe")])
        #expect(entry.description == "attachment[2]/inner.zip/evil.exe")
        #expect(entry.rendered(names: false) == "attachment[2]/entry[1]/entry[2]")
    }
}
