import Foundation
import MailParsing
import Testing

@testable import ArchiveScan

@Suite("Scan JSONL lines written directly")
struct MessageLineJSONTests {
    /// A record whose keys collide with the identity's (`message_id`): the later writer wins,
    /// as in JSONEncoder's shared keyed container.
    struct Record: Encodable, JSONObjectWritable, Sendable {
        var messageID: String?
        var note: String
        enum CodingKeys: String, CodingKey { case messageID = "message_id", note }
        func writeJSON(into o: inout JSONObjectWriter) {
            o.set("message_id", messageID)
            o.set("note", note)
        }
    }

    static func encoderLine<R: Encodable>(_ l: MessageLine<R>) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! enc.encode(l), as: UTF8.self)
    }

    @Test(
        """
        identity, facts and record merge into one object byte for byte as JSONEncoder merges them, whichever fields \
        are absent
        """,
        arguments: [true, false])
    func sameAsEncoder(_ full: Bool) {
        let headers =
            full
            ? """
            Message-ID: <a/b@x>\nDate: Mon, 6 Jan 2025 09:10:00 +1300\nFrom: "Q\\" Z" <q@x.nz>\n\
            To: a@b.c, "d\te" <d@e.f>\nCc: g@h.i\n
            """
            : ""
        let raw = RawMessage(
            source: MessageSource(
                kind: full ? .mbox : .file, path: "dir/a \"b\".mbox", offset: full ? 10 : nil, index: full ? 2 : nil),
            bytes: Array((headers + "Subject: s\n\nbody\n").utf8), defects: [])
        for redact in [true, false] {
            let id = MessageIdentity(ordinal: 7, raw: raw).redacted(addresses: redact)
            let facts = MessageFacts(
                inspected: full, classification: full ? "SECRET" : nil, classificationRank: full ? 4 : nil,
                action: full ? .allowAndTag : nil,
                rules: full ? ["PM-OUT-001", "PM-INAPP-002"] : [], findings: full ? ["under-marked"] : [],
                defects: full ? 2 : 0,
                subject: full ? "\u{1}[SECRET] \"x\"/\\y\n日本" : nil)
            for rec in [Record(messageID: "<record@x>", note: "n"), Record(messageID: nil, note: "")] {
                let line = MessageLine(identity: id, facts: facts, record: rec)
                #expect(line.directJSON.map { String(decoding: $0, as: UTF8.self) } == Self.encoderLine(line))
            }
        }
    }

    @Test(
        "identity header names are matched by bytes exactly as the lower-cased, trimmed decoded name was",
        arguments: [
            "Date", "DATE", " date\t", "Message-ID", "message-id ", "Message-Id", "FROM", "To", "cC", "c c", "Dat",
            "Dates", "Received",
            "d\u{0430}te", "Date\u{301}", "\u{130}", "message-\u{130}d", "\u{212A}", "Fr\u{2060}om", "", " ",
            "t\u{FF4F}",
        ])
    func identityFieldNames(_ name: String) {
        let reference = name.lowercased().trimmingCharacters(in: " \t")
        let expected = HeaderScan.identityFields.contains(reference) ? reference : nil
        #expect(HeaderScan.identityField(ArraySlice(Array(name.utf8))) == expected)
    }
}
