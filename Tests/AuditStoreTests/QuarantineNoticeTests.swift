import DecisionEngine
import Foundation
import GRDB
import PolicyLanguage
import Testing

@testable import AuditStore

@Suite("Quarantine: bytes, release, delete, purge")
struct QuarantineTests {
    static let noMTA = MTA(
        sendmail: "/nonexistent/sendmail", postsuper: "/nonexistent/postsuper", postqueue: "/nonexistent/postqueue")

    @Test(
        "A held message round-trips byte-exact (CRLF, 8-bit, NUL, 1 MiB) and matches its recorded SHA-256",
        arguments: [0, 1, 2])
    func roundTrip(_ variant: Int) async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        var bytes = Fixture.message(subject: "hello", to: "a@gmail.com")
        switch variant {
        case 0: break
        case 1: bytes += [0x00, 0xFF, 0x0D, 0x0A, 0x0A, 0x0D, 0xE2, 0x80, 0x99] + Array("trailing\r\n\r\n".utf8)
        default:
            var g = SystemRandomNumberGenerator()
            bytes += (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &g) }
        }
        let e = Fixture.event(rcpts: ["a@gmail.com"], bytes: bytes)
        #expect(e.verdict.messageAction == .quarantine)
        let id = try await store.append(e)
        let item = try store.quarantineItem(id)
        #expect(item.kind == "held" && item.status == "held" && item.size == bytes.count)
        #expect(try store.quarantinedBytes(id) == bytes)
    }

    static func codecSample(_ variant: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &g) }
        return switch variant {
        case 0: []
        case 1:
            Array(String(repeating: "Kia ora koutou, the quarterly figures are attached.\r\n", count: 2000).utf8)
        case 2: Array(Data(random).base64EncodedString(options: .lineLength76Characters).utf8)
        case 3: random
        default: [UInt8](repeating: 0, count: 100_000) + [UInt8](repeating: 0x41, count: 100_000)
        }
    }

    @Test(
        "Held bytes are stored as one zstd frame that decompresses byte-exact: empty, text, base64, random, runs",
        arguments: [0, 1, 2, 3, 4])
    func zstdRoundTrip(_ variant: Int) throws {
        let bytes = Self.codecSample(variant)
        #expect(HeldBytes.codec == .zstd)
        let packed = try HeldBytes.compress(bytes)
        #expect(try HeldBytes.decompress(packed, codec: "zstd", expectedSize: bytes.count) == bytes)
        // A zstd frame (RFC 8878: magic number 0xFD2FB528, little-endian), so the zstd tool reads it.
        #expect(Array(packed.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
        // Base64 text (most of a held message) shrinks as it did with zlib.
        if variant == 2 { #expect(packed.count < bytes.count * 80 / 100) }
        // A size that is not the message's, a cut or extended frame, another codec: refused, never
        // a partial message.
        #expect(throws: HeldBytes.Failure.self) {
            try HeldBytes.decompress(packed, codec: "zstd", expectedSize: bytes.count + 1)
        }
        if !bytes.isEmpty {
            #expect(throws: HeldBytes.Failure.self) {
                try HeldBytes.decompress(packed, codec: "zstd", expectedSize: bytes.count - 1)
            }
        }
        #expect(throws: HeldBytes.Failure.self) {
            try HeldBytes.decompress(Array(packed.dropLast()), codec: "zstd", expectedSize: bytes.count)
        }
        #expect(throws: HeldBytes.Failure.self) {
            try HeldBytes.decompress(packed + [0], codec: "zstd", expectedSize: bytes.count)
        }
        #expect(throws: HeldBytes.Failure.self) {
            try HeldBytes.decompress(packed, codec: "lz4", expectedSize: bytes.count)
        }
    }

    @Test(
        """
        Rows written with the earlier codec (a zlib stream) still read back byte-exact: empty, text, base64, random, \
        runs
        """,
        arguments: [0, 1, 2, 3, 4])
    func zlibRoundTrip(_ variant: Int) throws {
        let bytes = Self.codecSample(variant)
        let packed = try Zlib.compress(bytes)
        #expect(try HeldBytes.decompress(packed, codec: "zlib", expectedSize: bytes.count) == bytes)
        // zlib framing (RFC 1950: CMF 0x78 = deflate, 32 KiB window), so any zlib reader inflates it.
        #expect(packed.first == 0x78)
        // A size that is not the message's is refused, never a partial message.
        #expect(throws: Zlib.Failure.self) {
            try HeldBytes.decompress(packed, codec: "zlib", expectedSize: bytes.count + 1)
        }
    }

    @Test("A quarantined message stored by an earlier pmark (zlib) is shown and released from its stored bytes")
    func zlibRowReadBack() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        let e = Fixture.event(rcpts: ["a@gmail.com"], bytes: Fixture.message(subject: "hello", to: "a@gmail.com"))
        let id = try await store.append(e)
        let codec = try store.read { try String.fetchOne($0, sql: "SELECT compression FROM quarantine") }
        #expect(codec == "zstd")
        try await store.pool.write { db in
            try db.execute(
                sql: "UPDATE quarantine SET compression = 'zlib', data = ? WHERE decision_id = ?",
                arguments: [Data(try Zlib.compress(e.messageBytes)), id])
        }
        #expect(try store.quarantinedBytes(id) == e.messageBytes)
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE quarantine SET compression = 'brotli' WHERE decision_id = ?", arguments: [id])
        }
        #expect(throws: HeldBytes.Failure.self) { try store.quarantinedBytes(id) }
    }

    @Test("Blocked messages are kept too (for review), with the blocked recipients to release to; allowed ones are not")
    func blockedKept() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        let blocked = try await store.append(
            Fixture.event(subject: "[SENSITIVE] x", rcpts: ["a@gmail.com", "b@agency.govt.nz"]))
        let allowed = try await store.append(Fixture.event(subject: "[IN-CONFIDENCE] x", rcpts: ["a@gmail.com"]))
        let item = try store.quarantineItem(blocked)
        #expect(item.kind == "blocked" && item.releaseRecipients == ["a@gmail.com"])
        #expect(throws: AuditError.self) { try store.quarantineItem(allowed) }
    }

    @Test(
        """
        Release re-submits through sendmail (-G -i -f sender -- rcpts) the exact bytes, and is recorded with who and \
        why
        """
    )
    func releaseRecorded() async throws {
        let dir = TempDir()
        let (sendmail, _) = dir.fakeSendmail()
        let store = try AuditStore.open(dir.file("audit.db"))
        let e = Fixture.event(subject: "hello", rcpts: ["a@gmail.com", "b@gmail.com"])
        let id = try await store.append(e)
        let method = try store.release(
            id, actor: "kiri", reason: "sender confirmed UNCLASSIFIED",
            mta: MTA(sendmail: sendmail, postqueue: "/nonexistent"))
        #expect(method == .resubmitted(recipients: 2))
        let sub = try #require(dir.submissions().first)
        #expect(sub.args == ["-G", "-i", "-f", "aroha@agency.govt.nz", "--", "a@gmail.com", "b@gmail.com"])
        #expect(sub.bytes == e.messageBytes)
        let ev = try #require(try store.events(decisionID: id).first)
        #expect(ev.kind == "release" && ev.actor == "kiri" && ev.reason == "sender confirmed UNCLASSIFIED")
        #expect(try store.quarantineItem(id).status == "released")
        #expect(throws: AuditError.self) {
            try store.release(id, actor: "kiri", reason: "again", mta: MTA(sendmail: sendmail))
        }
        #expect(try store.verify().isIntact)
    }

    @Test("A release needs a reason; a failed hand-off is recorded and the message stays held")
    func releaseFailures() async throws {
        let dir = TempDir()
        let (failing, _) = dir.fakeSendmail(status: 75)
        let store = try AuditStore.open(dir.file("audit.db"))
        let id = try await store.append(Fixture.event(subject: "hello", rcpts: ["a@gmail.com"]))
        #expect(throws: AuditError.self) {
            try store.release(id, actor: "kiri", reason: "  ", mta: MTA(sendmail: failing))
        }
        #expect(try store.events(decisionID: id).isEmpty)
        #expect(throws: AuditError.self) {
            try store.release(id, actor: "kiri", reason: "ok", mta: MTA(sendmail: failing, postqueue: "/nonexistent"))
        }
        #expect(try store.events(decisionID: id).map(\.kind) == ["release", "release-failed"])
        #expect(try store.quarantineItem(id).status == "held")
    }

    @Test("Delete removes the bytes in the same transaction as its record; the decision stays")
    func deleteRecorded() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        let id = try await store.append(Fixture.event(subject: "hello", rcpts: ["a@gmail.com"]))
        #expect(throws: AuditError.self) { try store.delete(id, actor: "kiri", reason: "", mta: nil) }
        try store.delete(id, actor: "kiri", reason: "spam", mta: Self.noMTA)
        let ev = try #require(try store.events(decisionID: id).last)
        #expect(ev.kind == "delete" && ev.actor == "kiri" && ev.reason == "spam")
        #expect(try store.quarantineItem(id).status == "deleted")
        #expect(throws: AuditError.self) { try store.quarantinedBytes(id) }
        #expect(try store.record(id: id).action == "quarantine")
        #expect(try store.verify().isIntact)
    }

    @Test("Purge --older-than deletes only older bytes, one recorded event each")
    func purge() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        let old = try await store.append(
            Fixture.event(subject: "hello", rcpts: ["a@gmail.com"], time: Date().timeIntervalSince1970 - 40 * 86400))
        let recent = try await store.append(Fixture.event(subject: "hello", rcpts: ["a@gmail.com"]))
        #expect(
            try store.purge(olderThan: 30 * 86400, actor: "cron", reason: "retention 30 days", mta: Self.noMTA) == 1)
        #expect(try store.quarantineItem(old).status == "deleted")
        #expect(try store.quarantineItem(recent).status == "held")
        #expect(try store.events(decisionID: old).map(\.kind) == ["purge"])
        #expect(try store.verify().isIntact)
    }
}

@Suite("Notices")
struct NoticeTests {
    static func settings(_ dir: TempDir, max: Int = 5) -> NoticeSettings {
        NoticeSettings(policy: Fixture.policy(), mta: MTA(sendmail: dir.fakeSendmail().script), maxPerAddress: max)
    }

    static func inboundSecret(_ mailFrom: String, _ headers: [String]) -> DecisionEvent {
        Fixture.event(
            subject: "[SECRET] Operation Kahu", from: "Bob <bob@example.org>", mailFrom: mailFrom,
            rcpts: ["hemi@agency.govt.nz"], headers: headers)
    }

    @Test(
        """
        A blocked inbound message sends the recipient a generic MIME notice (no marking, rule or subject) from the \
        null sender, recorded
        """
    )
    func recipientNotice() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"), notices: Self.settings(dir))
        let e = Self.inboundSecret("bob@example.org", [])
        #expect(e.verdict.notifyRecipients && !e.verdict.notifySender)
        let id = try await store.append(e)
        store.waitForNotices()
        let subs = dir.submissions()
        #expect(subs.count == 1)
        let s = try #require(subs.first)
        #expect(s.args == ["-G", "-i", "-f", "<>", "--", "hemi@agency.govt.nz"])
        let text = String(decoding: s.bytes, as: UTF8.self)
        for h in [
            "From: Email gateway <postmaster@agency.govt.nz>\r\n", "To: <hemi@agency.govt.nz>\r\n",
            "MIME-Version: 1.0\r\n", "Auto-Submitted: auto-generated\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: quoted-printable\r\n",
            "\r\nDate: ", "\r\nMessage-ID: <pmark-notice.\(id).",
        ] {
            #expect(text.contains(h), "\(h)")
        }
        #expect(text.contains("A message addressed to you was held by the email gateway."))
        #expect(text.contains("Reference: \(id)"))
        for secret in ["SECRET", "PM-", "Kahu", "15.2.4", "bob@"] {
            #expect(!text.contains(secret), "\(secret) leaked")
        }
        let ev = try #require(try store.events(decisionID: id).first)
        #expect(ev.kind == "notice" && ev.reason == "recipient notice")
        #expect(ev.address == store.addressKey("hemi@agency.govt.nz"))
    }

    @Test("A verified sender (trusted SPF pass) gets a sender notice; an unverified one gets none")
    func senderNotice() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"), notices: Self.settings(dir))
        let verified = Self.inboundSecret(
            "bob@example.org", ["Authentication-Results: mx.agency.govt.nz; spf=pass smtp.mailfrom=bob@example.org"])
        #expect(verified.verdict.notifySender)
        _ = try await store.append(verified)
        store.waitForNotices()
        #expect(dir.submissions().map { $0.args.last } == ["hemi@agency.govt.nz", "bob@example.org"])
        let senderText = String(decoding: dir.submissions()[1].bytes, as: UTF8.self)
        #expect(senderText.contains("Your message was not delivered because of the organisation's email policy."))

        let dir2 = TempDir()
        let store2 = try AuditStore.open(dir2.file("audit.db"), notices: Self.settings(dir2))
        let unverified = Self.inboundSecret(
            "bob@example.org", ["Authentication-Results: evil.example; spf=pass smtp.mailfrom=bob@example.org"])
        #expect(!unverified.verdict.notifySender)
        _ = try await store2.append(unverified)
        store2.waitForNotices()
        #expect(dir2.submissions().map { $0.args.last } == ["hemi@agency.govt.nz"])
    }

    @Test("Notices are rate-limited per address; suppressed ones are recorded")
    func rateLimit() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"), notices: Self.settings(dir, max: 3))
        for _ in 0..<5 { _ = try await store.append(Self.inboundSecret("bob@example.org", [])) }
        store.waitForNotices()
        #expect(dir.submissions().count == 3)
        let kinds = try await store.pool.read { try String.fetchAll($0, sql: "SELECT kind FROM events ORDER BY seq") }
        #expect(kinds == ["notice", "notice", "notice", "notice-suppressed", "notice-suppressed"])
        #expect(try store.verify().isIntact)
    }

    @Test("No sender notice to the null sender or about an auto-submitted message")
    func noLoops() {
        let h = [
            "Authentication-Results: mx.agency.govt.nz; spf=pass smtp.mailfrom=bob@example.org",
            "Auto-Submitted: auto-replied",
        ]
        let e = Self.inboundSecret("bob@example.org", h)
        #expect(!AuditStore.noticeTargets(for: e).contains { $0.0 == .sender })
    }

    @Test("Quoted-printable body lines stay under 76 characters and encode UTF-8")
    func quotedPrintable() {
        let qp = String(
            decoding: NoticeMessage.quotedPrintable(String(repeating: "Kia ora, tēnā koe. ", count: 10)), as: UTF8.self)
        #expect(qp.split(separator: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(qp.contains("t=C4=93n=C4=81"))
    }
}

@Suite("Reports and exports")
struct ReportTests {
    static func store(_ dir: TempDir) async throws -> AuditStore {
        let s = try AuditStore.open(dir.file("audit.db"), policy: Fixture.policy(logAddresses: true))
        try await s.record(Fixture.event(subject: "[SENSITIVE] a", rcpts: ["a@gmail.com"]))  // block PM-OUT-001
        try await s.record(Fixture.event(subject: "hello", rcpts: ["a@gmail.com"]))  // quarantine PM-UNM-002
        try await s.record(Fixture.event(subject: "[IN-CONFIDENCE] c", rcpts: ["a@gmail.com"]))  // allow
        try await s.record(
            Fixture.event(
                subject: "[SECRET] d", from: "Bob <bob@example.org>", mailFrom: "bob@example.org",
                rcpts: ["h@agency.govt.nz"]))  // inbound block PM-IN-001
        return s
    }

    @Test(
        "audit list filters by action, rule, control (name or CID), direction and time",
        arguments: [
            (AuditFilter(action: "block"), 2), (AuditFilter(rule: "PM-OUT-001"), 1),
            (AuditFilter(rule: "pm-unm-002"), 1),
            (AuditFilter(control: "15.2.41.C.01"), 1), (AuditFilter(control: "CID:1760"), 1),
            (AuditFilter(control: "1756"), 1),
            (AuditFilter(direction: "inbound"), 1), (AuditFilter(since: 0, until: 1), 0), (AuditFilter(), 4),
            (AuditFilter(limit: 2), 2),
        ])
    func filters(_ f: AuditFilter, _ n: Int) async throws {
        let dir = TempDir()
        #expect(try await Self.store(dir).records(f).count == n)
    }

    @Test("audit report counts per action, rule, control, path and day")
    func summary() async throws {
        let dir = TempDir()
        let s = try await Self.store(dir).summary(AuditFilter())
        #expect(s.decisions == 4)
        #expect(s.byAction.first { $0.key == "block" }?.count == 2)
        #expect(s.byRule.first { $0.key == "PM-IN-001" }?.title == Rules.inboundClassification.title)
        #expect(s.byControl.first { $0.key == "15.2.40.C.01 [CID:1760]" }?.count == 1)
        #expect(s.byPath.first { $0.key == "internet block" }?.count == 1)
        #expect(s.byDay.reduce(0) { $0 + $1.count } == 4)
        #expect(AuditFormat.reportHTML(s).contains("<td>PM-IN-001</td>"))
        #expect(AuditFormat.reportText(s).contains("by control"))
    }

    @Test("CEF export: header fields escaped, one line per decision, rule as signature id")
    func cef() async throws {
        let dir = TempDir()
        let recs = try await Self.store(dir).records(AuditFilter())
        let line = AuditFormat.cef(recs[0])
        #expect(line.hasPrefix("CEF:0|pmark|pmark|test|PM-OUT-001|classification exceeds the communication path|8|"))
        #expect(line.contains("act=block") && line.contains("cs4=15.2.40.C.01 CID:1760"))
        #expect(!line.contains("\n"))
        var r = recs[0]
        r.reasons[0].title = "a|b"
        #expect(AuditFormat.cef(r).contains("a\\|b"))
        let json = AuditFormat.jsonLine(recs[3])
        #expect(json.contains("\"direction\":\"inbound\"") && json.contains("\"rule\":\"PM-IN-001\""))
    }
}

@Suite("Command-line times")
struct TimeTests {
    static let now: Int64 = 1_000_000_000_000_000
    static let cases: [(String, Int64)] = [
        ("2026-11-01", 1_793_491_200_000_000), ("2026-11-01T10:00:00Z", 1_793_527_200_000_000),
        ("2026-11-01T23:00:00+13:00", 1_793_527_200_000_000), ("7d", now - 604_800_000_000),
        ("24h", now - 86_400_000_000),
    ]

    @Test("Dates, date-times and spans back from now", arguments: cases)
    func parses(_ s: String, _ expected: Int64) {
        #expect(AuditTime.parse(s, now: Self.now) == expected)
    }

    @Test("Nonsense is refused", arguments: ["yesterday", "7x", "", "-3d", "2026-13-01"])
    func refuses(_ s: String) { #expect(AuditTime.parse(s) == nil) }
}
