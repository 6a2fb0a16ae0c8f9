import DecisionEngine
import Foundation
import MailParsing
import OfficeDocuments
import PolicyLanguage
import Reporting
import Testing

@Suite("JSON output written directly")
struct JSONOutputTests {
    static let engine = try! Engine(policy: try! PolicyLoader.embeddedDefault(), documents: OOXMLReader())

    static func encoderLine(_ r: DecisionRecord) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! enc.encode(r), as: UTF8.self)
    }

    /// Every string escape: all ASCII control characters, quote, backslash, slash, DEL,
    /// non-ASCII (Latin, CJK, emoji, U+2028, U+FEFF).
    static let nasty = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self) + "é日本😀\u{2028}\u{2029}\u{FEFF}\\/\"end"

    @Test("a record with every field set, and nasty strings everywhere, is written byte for byte as JSONEncoder writes it")
    func everyField() {
        var r = DecisionRecord(source: Self.nasty)
        r.messageID = "<id/\(Self.nasty)>"
        r.subject = Self.nasty
        r.structure = "multipart/mixed(text/plain)"
        r.parts = 3
        r.defects = [.init(kind: .malformedHeaderLine, offset: 12, part: "top")]
        r.error = .init(kind: .limitExceeded, limit: .depth, message: Self.nasty)
        r.endorsements = ["AUSTEO", Self.nasty]
        r.findings = [.init(id: .underMarked, location: "attachment[1]", detail: Self.nasty)]
        r.readings = [.init(location: "subject", text: Self.nasty, marking: nil), .init(location: "header", text: "x", marking: "SECRET")]
        r.autoForward = []
        r.attachments = [.init(location: "attachment[1]", filename: Self.nasty, declared: nil, detected: "application/pdf", family: .document, size: 0,
                               findings: [.init(id: .unidentifiable, location: "attachment[1]", detail: "d")])]
        r.outcome = .blocked
        for cls: String?? in [nil, .some(nil), .some("SECRET")] {
            r.classification = cls
            #expect(r.jsonLine == Self.encoderLine(r))
        }
        #expect(DecisionRecord(source: "").jsonLine == Self.encoderLine(DecisionRecord(source: "")))
    }

    static func repositoryRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("the record of every corpus message, privacy open and closed, is written byte for byte as JSONEncoder writes it")
    func corpus() throws {
        let root = Self.repositoryRoot().appendingPathComponent("Corpus")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
            .filter { ["eml", "mbox", "txt", "bin"].contains($0.pathExtension) }
        var compared = 0
        for f in files {
            guard let data = try? Data(contentsOf: f), data.count < 4 << 20 else { continue }
            let e = Self.engine.evaluate(bytes: Array(data), envelope: Envelope(), envelopeFromHeaders: true)
            for privacy in [Privacy(), Privacy(logSubjects: true, logAddresses: true, logAttachmentNames: true)] {
                let r = DecisionRecord(source: f.lastPathComponent, evaluation: e, privacy: privacy)
                #expect(r.jsonLine == Self.encoderLine(r), "\(f.path)")
                compared += 1
            }
        }
        #expect(compared > 100)
    }
}
