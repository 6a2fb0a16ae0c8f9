import DecisionEngine
import Foundation
import PolicyLanguage
import Testing

@testable import AuditStore

/// The chain's canonical JSON writer must give exactly the bytes Foundation's JSONEncoder
/// (sorted keys, slashes unescaped) gives: stores written before the writer existed were hashed
/// with the encoder, and `verify` still re-encodes with it.
@Suite("Audit chain: canonical JSON")
struct CanonicalJSONTests {
    /// Strings that exercise escaping: every ASCII byte, quotes, backslashes, slashes, non-ASCII.
    static let strings: [String] = [
        "", "plain", "a\"quoted\"b", "back\\slash", "path/with/slashes", "tab\tnew\nline\r\u{08}\u{0C}",
        String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) }), "Māori kupu — “quotes” ✓ 🙂",
        "\u{2028}\u{2029}\u{FEFF}\u{7F}",
    ]

    static func content(_ i: Int) -> DecisionContent {
        let s = { (k: Int) in strings[(i + k) % strings.count] }
        let opt = { (k: Int) -> String? in (i + k) % 3 == 0 ? nil : s(k) }
        let header = DecisionHeader(
            timeUS: Int64(i) * 1_234_567 - 5, origin: s(1), source: opt(2), queueID: opt(3), messageID: opt(4),
            sha256: s(5), size: i * 7,
            direction: s(6), mailFrom: opt(7), authenticated: i % 2 == 0, subject: opt(8), policyName: s(9),
            policyHash: s(10),
            pmarkVersion: s(11), messageAction: s(12), classification: opt(13), endorsements: s(14), autoForward: s(15),
            notifyRecipients: i % 3 == 0, notifySender: i % 5 == 0)
        let n = i % 4
        return DecisionContent(
            header: header,
            verdicts: (0..<n).map {
                VerdictRow(groupIndex: $0, ordinal: i, recipient: s($0), path: s($0 + 1), action: s($0 + 2))
            },
            reasons: (0..<n).map {
                ReasonRow(
                    groupIndex: $0, ordinal: -$0, ruleID: s($0), action: s($0 + 1), control: s($0 + 2),
                    cid: $0 % 2 == 0 ? nil : 1760 + $0, evidence: s($0 + 3))
            },
            findings: (0..<(3 - n)).map {
                FindingRow(ordinal: $0, origin: s($0), findingID: s($0 + 1), location: s($0 + 2), detail: s($0 + 3))
            },
            attachments: (0..<n).map {
                AttachmentRow(
                    ordinal: $0, location: s($0), filename: opt($0), declaredType: opt($0 + 1), detectedType: s($0 + 2),
                    family: s($0 + 3), size: Int.max - $0)
            })
    }

    @Test(
        """
        the writer gives JSONEncoder's bytes for rows with every escape, nil and non-nil optionals, empty and full \
        lists
        """,
        arguments: 0..<60)
    func sameBytes(_ i: Int) throws {
        let c = Self.content(i)
        #expect(c.canonicalJSON == Array(try Chain.encoder().encode(c)))
    }

    @Test("real decisions (held, blocked, allowed; closed and open privacy) hash the same bytes JSONEncoder gives")
    func realDecisions() throws {
        for privacy in [Privacy.closed, .open] {
            let dir = TempDir()
            let store = try AuditStore(path: dir.file("audit.db"), options: .init(privacy: privacy))
            for e in [
                Fixture.event(subject: "Lunch", rcpts: ["a@gmail.com"]),
                Fixture.event(subject: "[SENSITIVE] x", rcpts: ["a@gmail.com", "b@agency.govt.nz"]),
                Fixture.event(subject: "[IN-CONFIDENCE] \"quoted\" \\ / \t", rcpts: ["hemi@example.com"]),
            ] {
                let p = try store.prepare(e)
                #expect(p.json == Array(try Chain.encoder().encode(p.content)))
            }
        }
    }
}
