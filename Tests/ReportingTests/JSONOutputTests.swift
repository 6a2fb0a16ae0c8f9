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
    static let nasty =
        String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self) + "é日本😀\u{2028}\u{2029}\u{FEFF}\\/\"end"

    @Test(
        "a record with every field set, and nasty strings everywhere, is written byte for byte as JSONEncoder writes it"
    )
    func everyField() throws {
        // The nested values are decoded from JSON (their memberwise initialisers are internal),
        // with the nasty string in every string field.
        let q = String(decoding: try JSONEncoder().encode(Self.nasty), as: UTF8.self)
        let template = """
            {"source":\(q),"defects":[{"kind":"malformed-header-line","offset":12,"part":\(q)}],
             "error":{"kind":"limit-exceeded","limit":"depth","message":\(q)},
             "findings":[{"id":"under-marked","location":\(q),"detail":\(q)}],
             "readings":[{"location":\(q),"text":\(q)},{"location":"subject","text":"x","marking":\(q)}],
             "attachments":[{"location":\(q),"filename":\(q),"detected":"application/pdf","family":"document","size":0,
                             "findings":[{"id":"unidentifiable","location":\(q),"detail":\(q)}]},
                            {"location":"a","declared":\(q),"detected":"x","family":"unknown","size":7,"findings":[]}],
             "decision":{"policy":{"name":\(q),"sha256":"ab"},"direction":"outbound","message_action":"block",
                         "groups":[{"path":\(q),"recipients":[\(q),"b"],"action":"block",
                                    "reasons":[{"rule":"PM-OUT-001","title":\(q),"controls":[\(q)],"action":"block",\
            "evidence":\(q)}]}],
                         "notify_recipients":true,"notify_sender":false},
             "pmark_version":\(q)}
            """
        var r = try JSONDecoder().decode(DecisionRecord.self, from: Data(template.utf8))
        r.messageID = "<id/\(Self.nasty)>"
        r.subject = Self.nasty
        r.structure = "multipart/mixed(text/plain)"
        r.parts = 3
        r.endorsements = ["AUSTEO", Self.nasty]
        r.autoForward = []
        r.outcome = .blocked
        #expect(r.attachments?.count == 2 && r.decision != nil && r.error != nil)
        for cls: String?? in [nil, .some(nil), .some("SECRET")] {
            r.classification = cls
            #expect(r.jsonLine == Self.encoderLine(r))
        }
        #expect(DecisionRecord(source: "").jsonLine == Self.encoderLine(DecisionRecord(source: "")))
    }

    static func repositoryRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    @Test(
        "the record of every corpus message, privacy open and closed, is written byte for byte as JSONEncoder writes it"
    )
    func corpus() throws {
        let root = Self.repositoryRoot().appendingPathComponent("Corpus")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
            .filter { ["eml", "mbox", "txt", "bin"].contains($0.pathExtension) }
        var compared = 0
        for f in files {
            guard let data = try? Data(contentsOf: f), data.count < 4 << 20 else { continue }
            let e = Self.engine.evaluate(
                bytes: Array(data), envelope: Envelope(recipients: []), envelopeFromHeaders: true)
            for privacy in [Privacy(), Privacy(logSubjects: true, logAddresses: true, logAttachmentNames: true)] {
                let r = DecisionRecord(source: f.lastPathComponent, evaluation: e, privacy: privacy)
                #expect(r.jsonLine == Self.encoderLine(r), "\(f.path)")
                compared += 1
            }
        }
        #expect(compared > 100)
    }
}
