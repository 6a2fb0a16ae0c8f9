import DecisionEngine
import Foundation
import MailParsing
import OfficeDocuments
import PolicyLanguage
import Reporting
import Testing

@Suite("Decision records")
struct ReportingTests {
    static let engine = try! Engine(policy: try! PolicyLoader.embeddedDefault(), documents: OOXMLReader())

    static let message = Array(
        """
        From: Dana Writer <dana.writer@agency.govt.nz>
        To: erin@gmail.com
        Subject: [SECRET] Operation Kingfisher
        Message-ID: <m1@agency.govt.nz>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain

        hello
        --b
        Content-Type: text/plain; name="kingfisher-notes.txt"
        Content-Disposition: attachment; filename="kingfisher-notes.txt"

        notes
        --b--

        """.utf8)

    @Test("a Verdict survives a JSON round trip")
    func verdictCodable() throws {
        let v = Self.engine.evaluate(bytes: Self.message, envelope: Envelope(recipients: ["erin@gmail.com"]))
        let data = try JSONEncoder().encode(v)
        let back = try JSONDecoder().decode(Verdict.self, from: data)
        #expect(back.decisions == v.decisions && back.messageAction == v.messageAction && back.direction == v.direction)
        #expect(back.markings?.classification == v.markings?.classification)
        #expect(back.content?.items == v.content?.items)
    }

    @Test("a DecisionRecord survives a JSON round trip, typed")
    func recordCodable() throws {
        let e = Self.engine.evaluate(bytes: Self.message, envelope: Envelope(recipients: []), envelopeFromHeaders: true)
        let r = DecisionRecord(source: "m.eml", evaluation: e, privacy: .open)
        let back = try JSONDecoder().decode(DecisionRecord.self, from: Data(r.jsonLine.utf8))
        #expect(back == r)
        #expect(r.decision?.messageAction == .block && r.outcome == .blocked)
        #expect(r.pmarkVersion == PmarkVersion.current)
    }

    @Test(
        "privacy: each setting withholds its own kind of data, in text and JSON",
        arguments: [
            (Privacy.closed, ["Kingfisher", "dana.writer", "erin@gmail.com", "kingfisher-notes"], [String]()),
            (
                Privacy(logSubjects: true), ["dana.writer", "erin@gmail.com", "kingfisher-notes"],
                ["Operation Kingfisher"]
            ),
            (Privacy(logAddresses: true), ["Operation Kingfisher", "kingfisher-notes"], ["erin@gmail.com"]),
            (Privacy(logAttachmentNames: true), ["Operation Kingfisher", "erin@gmail.com"], ["kingfisher-notes.txt"]),
            (Privacy.open, [], ["Operation Kingfisher", "erin@gmail.com", "kingfisher-notes.txt"]),
        ])
    func privacy(_ privacy: Privacy, hidden: [String], shown: [String]) throws {
        let e = Self.engine.evaluate(bytes: Self.message, envelope: Envelope(recipients: []), envelopeFromHeaders: true)
        let r = DecisionRecord(source: "m.eml", evaluation: e, privacy: privacy)
        for out in [r.text, r.jsonLine] {
            for h in hidden { #expect(!out.contains(h), "\(h) leaked") }
        }
        for s in shown { #expect(r.jsonLine.contains(s), "\(s) missing") }  // the text report has no file-name line
    }

    @Test("the outcome comes from typed actions: delivered, not inspected, quarantined, blocked")
    func outcomes() {
        let env = Envelope(direction: .outbound, mailFrom: "a@agency.govt.nz", recipients: ["x@gmail.com"])
        func outcome(_ s: String) -> Evaluation.Outcome {
            Self.engine.evaluate(bytes: Array(s.utf8), envelope: env, envelopeFromHeaders: false).outcome
        }
        #expect(outcome("Subject: [IN-CONFIDENCE] x\n\nhi\n") == .delivered)
        #expect(outcome("Subject: x\n\nhi\n") == .quarantined)
        #expect(outcome("Subject: [SECRET] x\n\nhi\n") == .blocked)
        let over = Self.engine.evaluate(
            bytes: Array("Subject: x\n\nhi\n".utf8), envelope: env, envelopeFromHeaders: false,
            limits: {
                var l = ParserLimits.default
                l.maxMessageBytes = 4
                return l
            }())
        #expect(over.outcome == .notInspected)
        #expect(over.verdict.direction == .outbound && over.verdict.decisions.first?.recipients == ["x@gmail.com"])
    }
}
