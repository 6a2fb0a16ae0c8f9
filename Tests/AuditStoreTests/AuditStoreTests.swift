import DecisionEngine
import Foundation
import GRDB
import MailParsing
import PolicyLanguage
import Testing

@testable import AuditStore

#if canImport(Glibc)
import Glibc
#endif

@Suite("Audit store: files, migrations, durability")
struct StoreFileTests {
    @Test(
        """
        A new store is created 0600 (WAL file too) with every migration, on the system SQLite, WAL and synchronous=FULL
        """
    )
    func newStore() async throws {
        let dir = TempDir()
        let path = dir.file("audit.db")
        let store = try AuditStore.open(path)
        try await store.record(Fixture.event())
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(stat(path + "-wal", &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try store.appliedMigrations() == Schema.migrationNames)
        let (mode, sync, version) = try await store.pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try String.fetchOne(db, sql: "SELECT sqlite_version()")
            )
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL: the WAL is synced at every commit
        #expect(version?.hasPrefix("3.") == true)
        #expect(try store.integrityCheck() == ["ok"])
    }

    /// Builds a store at every earlier schema (each prefix of the migrations), writes decisions
    /// and an event with that schema's columns, then opens it with the current code.
    @Test("A store at every earlier schema migrates forward, keeping its rows and an intact chain")
    func migratesFromEveryEarlierSchema() async throws {
        for upTo in Schema.migrationNames.dropLast() {
            let dir = TempDir()
            let path = dir.file("old.db")
            let scratch = try AuditStore.open(dir.file("scratch.db"))
            let events = [Fixture.event(), Fixture.event(subject: "hello", rcpts: ["a@gmail.com"])]
            let q = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(q, upTo: upTo)
            try await q.write { db in
                var head = try Chain.head(db)
                for e in events { _ = try AuditStore.insert(db, try scratch.prepare(e), head: &head) }
                try Chain.store(db, head)
                // An event with only the columns the old schema has.
                let e = EventContent(
                    timeUS: 1, kind: "release", decisionID: 2, actor: "ops", reason: "checked", detail: "re-submitted",
                    address: nil, addressKey: nil)
                let link = try Chain.next(db, kind: "event", content: try Chain.canonical(e))
                try db.execute(
                    sql:
                        """
                        INSERT INTO events (seq, time_us, kind, decision_id, actor, reason, detail, prev_hash, hash) \
                        VALUES (?, 1, 'release', 2, 'ops', 'checked', 're-submitted', ?, ?)
                        """,
                    arguments: [link.seq, link.prev, link.hash])
            }
            try q.close()
            let store = try AuditStore.open(path)
            #expect(try store.appliedMigrations() == Schema.migrationNames, "from \(upTo)")
            #expect(try store.records(AuditFilter()).count == 2)
            #expect(try store.verify().isIntact, "from \(upTo)")
            try await store.record(Fixture.event())
            let r = try store.verify()
            #expect(r.isIntact && r.entries == 4, "from \(upTo)")
        }
    }

    @Test("The committed dump of a first-schema store opens, migrates and verifies")
    func goldenFirstSchema() throws {
        let dir = TempDir()
        let path = dir.file("v1.db")
        let sql = try String(
            contentsOfFile: Fixture.root + "/Tests/AuditStoreTests/Fixtures/schema-v1.sql", encoding: .utf8)
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: sql) }
        try q.close()
        let store = try AuditStore.open(path)
        #expect(try store.appliedMigrations() == Schema.migrationNames)
        let report = try store.verify()
        #expect(report.isIntact)
        #expect(report.entries >= 3)
        #expect(try store.quarantineItems(pendingOnly: false).count >= 1)
    }

    @Test("A store written by a newer pmark is refused, not written to")
    func newerSchemaRefused() throws {
        let dir = TempDir()
        let path = dir.file("audit.db")
        _ = try AuditStore.open(path)
        try raw(path).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')") }
        #expect(throws: AuditError.self) { try AuditStore.open(path) }
    }

    @Test("Concurrent decisions are each committed before record returns, grouped into few transactions, chain intact")
    func concurrentRecords() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("audit.db"))
        let events = (0..<200).map { i in
            Fixture.event(subject: i % 3 == 0 ? "hello" : "[IN-CONFIDENCE] n\(i)", rcpts: ["r\(i)@example.com"])
        }
        let ids = try await withThrowingTaskGroup(of: Int64.self) { g in
            for e in events { g.addTask { try await store.append(e) } }
            var out: [Int64] = []
            for try await id in g {
                // Committed: another connection sees it as soon as append returns.
                let seen = try await DatabaseQueue(path: dir.file("audit.db")).read {
                    try Int.fetchOne($0, sql: "SELECT count(*) FROM decisions WHERE id = ?", arguments: [id])
                }
                #expect(seen == 1)
                out.append(id)
            }
            return out
        }
        #expect(Set(ids).count == 200)
        let r = try store.verify()
        #expect(r.isIntact)
        #expect(r.entries == 200)
        // The store's own CPU is counted for benchmarks: every decision, both phases.
        let spent = store.cpuSpent
        #expect(spent.decisions == 200)
        #expect(spent.prepareSeconds > 0 && spent.writeSeconds > 0)
    }

    @Test("Every decision column and child row reads back as prepared, whether decisions share a transaction or not")
    func decisionRowRoundTrips() async throws {
        let dir = TempDir()
        let store = try AuditStore(path: dir.file("audit.db"), options: .init(privacy: .open, pmarkVersion: "test"))
        let events = [
            Fixture.event(subject: "[SENSITIVE] x", rcpts: ["a@gmail.com", "b@agency.govt.nz"], queueID: "Q1"),
            Fixture.event(
                subject: "hello", mailFrom: nil, rcpts: ["c@gmail.com"], headers: ["Message-ID: <m1@agency.govt.nz>"],
                direction: .inbound),
            Fixture.event(subject: "[IN-CONFIDENCE] figures", rcpts: ["d@example.com"], time: 1_700_000_000.25),
        ]
        let prepared = try events.map(store.prepare)
        // Two decisions in one transaction (one chain-head read and write), one alone.
        let ids = try store.write(Array(prepared.prefix(2))) + store.write([prepared[2]])
        for (p, id) in zip(prepared, ids) {
            let stored = try store.read { try Chain.loadDecision($0, id: id) }
            #expect(stored == p.content)
        }
        #expect(try store.read { try Int64.fetchOne($0, sql: "SELECT seq FROM chain_head") } == 3)
        #expect(try store.verify().isIntact)
    }
}

@Suite("Audit store: what is recorded, and privacy")
struct RecordContentTests {
    /// Every `.eml` in the committed corpus (attachments, documents, markings, MIME).
    static let corpusMessages: [String] = {
        let fm = FileManager.default
        let root = Fixture.root + "/Corpus"
        return (fm.enumerator(atPath: root)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted().map { root + "/" + $0 }
    }()

    @Test(
        """
        Redaction from the engine's parse (what the milter passes) stores exactly what parsing the bytes again stored, \
        on the whole corpus
        """,
        arguments: [false, true])
    func redactionFromEnginesParse(_ logAttachmentNames: Bool) throws {
        let dir = TempDir()
        let policy = Fixture.policy(logAttachmentNames: logAttachmentNames)
        let store = try AuditStore.open(dir.file("audit.db"), policy: policy)
        #expect(Self.corpusMessages.count >= 90)
        var redacted = 0
        for path in Self.corpusMessages {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let evaluation = Fixture.engine.evaluate(
                bytes: bytes, envelope: Envelope(mailFrom: "aroha@agency.govt.nz", recipients: []),
                envelopeFromHeaders: true)
            #expect(evaluation.message != nil, "\(path)")
            func event(_ message: Message?) -> DecisionEvent {
                DecisionEvent(
                    unixTime: 1_700_000_000, origin: .gateway(queueID: "Q", daemonName: "smtpd"),
                    envelope: evaluation.envelope, verdict: evaluation.verdict, messageBytes: bytes, message: message)
            }
            let reused = try store.prepare(event(evaluation.message))
            let reparsed = try store.prepare(event(nil))
            #expect(reused.json == reparsed.json, "\(path)")
            #expect(reused.content == reparsed.content, "\(path)")
            #expect(reused.quarantine?.data == reparsed.quarantine?.data, "\(path)")
            if String(decoding: reused.json, as: UTF8.self).contains("(redacted)") { redacted += 1 }
        }
        // The comparison means something: with file names withheld, the redactor replaced text
        // in many of the decisions (with names allowed it has only addresses to find, and the
        // corpus's evidence holds none).
        #expect(logAttachmentNames || redacted >= 10, "\(redacted) decisions with redacted text")
    }

    @Test(
        """
        A decision row holds identity, envelope, policy, version, action; verdicts per recipient with path; reasons \
        with rule, control and CID
        """
    )
    func rowContent() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(
            dir.file("audit.db"), policy: Fixture.policy(logSubjects: true, logAddresses: true))
        let e = Fixture.event(
            subject: "[SENSITIVE] budget", rcpts: ["a@gmail.com", "b@dpmc.govt.nz"], queueID: "4ABC123")
        let id = try await store.append(e)
        let r = try store.record(id: id)
        #expect(r.queueID == "4ABC123")
        #expect(r.messageID?.hasPrefix("<m") == true)
        #expect(r.sha256 == SHA256.hex(e.messageBytes))
        #expect(r.size == e.messageBytes.count)
        #expect(r.direction == "outbound")
        #expect(r.mailFrom == "aroha@agency.govt.nz")
        #expect(r.subject == "[SENSITIVE] budget")
        #expect(r.policy == "NZ agency default" && r.policyHash == e.verdict.policyHash)
        #expect(r.pmarkVersion == "test")
        #expect(r.action == "allow")  // the blocked recipient is removed, the other receives it
        #expect(r.classification == "SENSITIVE")
        #expect(r.recipients.contains(.init(recipient: "a@gmail.com", path: "internet", action: "block")))
        #expect(r.recipients.contains(.init(recipient: "b@dpmc.govt.nz", path: "all-of-government", action: "allow")))
        #expect(r.quarantine == "blocked")
        let reason = try #require(r.reasons.first { $0.rule == "PM-OUT-001" })
        #expect(reason.control == "15.2.40.C.01" && reason.cid == 1760 && reason.action == "block")
    }

    @Test("Findings and attachment identities are recorded; file names only when the policy logs attachment names")
    func findingsAndAttachments() async throws {
        let body =
            """
            --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\n\
            Content-Disposition: attachment; filename="run-me.exe"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA4fug4AtAnNIbgBTM0hVGh\
            pcyBwcm9ncmFtIGNhbm5vdCBiZSBydW4gaW4gRE9TIG1vZGUuDQ0KJAAAAAAAAABQRQAATAEDAA==\r\n--b--\r\n
            """
        for names in [false, true] {
            let dir = TempDir()
            let store = try AuditStore.open(dir.file("audit.db"), policy: Fixture.policy(logAttachmentNames: names))
            let e = Fixture.event(
                subject: "[SEC=SECRT] x", headers: ["MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=b"],
                body: body)
            let r = try store.record(id: try await store.append(e))
            let att = try #require(r.attachments.first)
            #expect(att.family == "executable")
            #expect(att.filename == (names ? "run-me.exe" : nil))
            let text = AuditFormat.jsonLine(r)
            #expect(text.contains("run-me") == names, "file name in locations or evidence")
            #expect(r.findings.contains { $0.origin == "marking" })
            #expect(r.reasons.contains { $0.rule == "PM-ATT-001" })
        }
    }

    @Test("log-addresses false: no address and no subject anywhere in the store's files, keyed hashes instead")
    func privacyStrict() async throws {
        let dir = TempDir()
        let path = dir.file("audit.db")
        let store = try AuditStore.open(path, policy: Fixture.policy(logSubjects: false, logAddresses: false))
        let e = Fixture.event(
            subject: "[IN-CONFIDENCE] Tangaroa restructure", mailFrom: "aroha@agency.govt.nz",
            rcpts: ["hemi.walker@example.com"])
        let r = try store.record(id: try await store.append(e))
        #expect(r.action == "allow")
        #expect(r.subject == nil)
        #expect(r.mailFrom == store.addressKey("aroha@agency.govt.nz"))
        #expect(r.mailFrom?.hasPrefix("hmac:") == true)
        #expect(r.recipients.map(\.recipient) == [store.addressKey("HEMI.walker@example.com")])
        // Searching by address uses the same keyed form.
        #expect(try store.records(AuditFilter(address: "hemi.walker@example.com")).count == 1)
        // No trace in the database, WAL or shared-memory files.
        var all: [UInt8] = []
        for f in [path, path + "-wal", path + "-shm"] {
            all += (try? Data(contentsOf: URL(fileURLWithPath: f))).map(Array.init) ?? []
        }
        for needle in ["hemi.walker", "aroha@", "Tangaroa"] {
            #expect(!String(decoding: all, as: UTF8.self).contains(needle), "\(needle) stored")
        }
    }

    @Test("log-addresses true and log-subjects true: addresses and subjects are stored as given")
    func privacyOpen() async throws {
        let dir = TempDir()
        let store = try AuditStore.open(
            dir.file("audit.db"), policy: Fixture.policy(logSubjects: true, logAddresses: true))
        let r = try store.record(
            id: try await store.append(Fixture.event(subject: "[IN-CONFIDENCE] Tangaroa", rcpts: ["hemi@example.com"])))
        #expect(r.subject == "[IN-CONFIDENCE] Tangaroa")
        #expect(r.mailFrom == "aroha@agency.govt.nz")
        #expect(r.recipients.map(\.recipient) == ["hemi@example.com"])
        // A reloaded policy's settings apply from the next decision on.
        store.reconfigure(privacy: .closed, notices: nil)
        let r2 = try store.record(
            id: try await store.append(Fixture.event(subject: "[IN-CONFIDENCE] Tangaroa", rcpts: ["hemi@example.com"])))
        #expect(r2.subject == nil && r2.recipients.map(\.recipient) == [store.addressKey("hemi@example.com")])
    }

    @Test(
        """
        The keyed hash differs between stores (per-store key) and is HMAC-SHA256 (RFC 4231 vectors); digests agree \
        with the portable SHA-256
        """
    )
    func keyedHash() throws {
        let dir = TempDir()
        let a = try AuditStore.open(dir.file("a.db")), b = try AuditStore.open(dir.file("b.db"))
        #expect(a.addressKey("x@example.com") != b.addressKey("x@example.com"))
        let mac = HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)).hex
        #expect(mac == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // RFC 4231 cases 2 (a key shorter than the hash) and 6 (a key longer than SHA-256's block).
        #expect(
            HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hex
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            HMAC.sha256(
                key: [UInt8](repeating: 0xaa, count: 131),
                message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
            ).hex == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        // The message and chain digests (libcrypto) agree with the portable SHA-256.
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(Digest.sha256Hex(big) == SHA256.hex(big))
        #expect(
            Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test(
        """
        Keyed addresses are cached per store (case-insensitively), the cache never holds more than its limit, and \
        a key is the same from the cache, after the cache empties, and from a fresh store on the same file
        """
    )
    func addressKeyCache() throws {
        let dir = TempDir()
        let store = try AuditStore.open(dir.file("a.db"))
        let first = store.addressKey("Hemi.Walker@Example.com")
        #expect(store.cachedAddressKeys == 1)
        #expect(store.addressKey("hemi.walker@example.com") == first)
        #expect(store.cachedAddressKeys == 1)
        let expected =
            "hmac:" + HMAC.sha256(key: store.hmacKey, message: Array("hemi.walker@example.com".utf8)).hex
        #expect(first == expected)
        for i in 0..<AuditStore.addressKeyCacheLimit { _ = store.addressKey("r\(i)@example.com") }
        // One more distinct address than fits: the cache emptied once at the limit, then refilled.
        #expect(store.cachedAddressKeys < AuditStore.addressKeyCacheLimit)
        #expect(store.addressKey("HEMI.WALKER@example.com") == first)
        #expect(try AuditStore.open(dir.file("a.db")).addressKey("hemi.walker@example.com") == first)
    }
}

@Suite("Audit store: tamper evidence")
struct ChainTests {
    /// A store with five decisions and a release event (seq 1…6).
    static func populated(_ dir: TempDir) async throws -> String {
        let path = dir.file("audit.db")
        let store = try AuditStore.open(path)
        for i in 0..<5 {
            try await store.record(
                Fixture.event(subject: i == 2 ? "hello" : "[IN-CONFIDENCE] \(i)", rcpts: ["r\(i)@gmail.com"]))
        }
        let (sendmail, _) = dir.fakeSendmail()
        try store.release(
            3, actor: "ops", reason: "checked with sender", mta: MTA(sendmail: sendmail, postqueue: "/nonexistent"))
        #expect(try store.verify().isIntact)
        #expect(try store.verify().entries == 6)
        return path
    }

    @Test("An edited decision row is found at its own sequence number")
    func editedRow() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        try await raw(path).write { try $0.execute(sql: "UPDATE decisions SET message_action = 'allow' WHERE id = 3") }
        let b = try #require(try AuditStore.open(path).verify().firstBreak)
        #expect(b.seq == 3 && b.row == "decision 3")
        #expect(b.problem.contains("content does not match"))
    }

    @Test("An edited reason (child row) breaks its decision's link")
    func editedChild() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        try await raw(path).write {
            try $0.execute(sql: "UPDATE reasons SET rule_id = 'PM-FWD-001' WHERE decision_id = 3")
        }
        #expect(try AuditStore.open(path).verify().firstBreak?.seq == 3)
    }

    @Test("An edited event (who released it) is found")
    func editedEvent() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        try await raw(path).write { try $0.execute(sql: "UPDATE events SET actor = 'someone else'") }
        let b = try #require(try AuditStore.open(path).verify().firstBreak)
        #expect(b.seq == 6 && b.row == "event 1")
    }

    @Test("A deleted row is found at the next entry, and a deleted last row at the head")
    func deletedRows() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        try await raw(path).write { db in
            try db.execute(
                sql:
                    """
                    DELETE FROM reasons WHERE decision_id = 2; DELETE FROM recipient_verdicts WHERE decision_id = 2; \
                    DELETE FROM findings WHERE decision_id = 2; DELETE FROM decisions WHERE id = 2
                    """
            )
        }
        let b = try #require(try AuditStore.open(path).verify().firstBreak)
        #expect(b.seq == 3)
        #expect(b.problem.contains("missing"))

        let dir2 = TempDir()
        let path2 = try await Self.populated(dir2)
        try await raw(path2).write { try $0.execute(sql: "DELETE FROM events") }
        let b2 = try #require(try AuditStore.open(path2).verify().firstBreak)
        #expect(b2.row == "head")
    }

    @Test("A row inserted in the middle, even with a correct hash of its own, breaks the next link")
    func insertedRow() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        let store = try AuditStore.open(path)
        let forged = try store.prepare(Fixture.event(subject: "[IN-CONFIDENCE] forged", rcpts: ["x@gmail.com"]))
        try await raw(path).write { db in
            try db.execute(sql: "UPDATE decisions SET seq = seq + 1000 WHERE seq >= 3")
            try db.execute(sql: "UPDATE events SET seq = seq + 1000 WHERE seq >= 3")
            try db.execute(sql: "UPDATE decisions SET seq = seq - 999 WHERE seq >= 1000")
            try db.execute(sql: "UPDATE events SET seq = seq - 999 WHERE seq >= 1000")
            // The forger links the new row to seq 2 properly (with its child rows), then moves
            // the head on to the last entry.
            let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM chain_head")!
            try db.execute(sql: "UPDATE chain_head SET seq = 2, hash = (SELECT hash FROM decisions WHERE seq = 2)")
            var forgedHead = try Chain.head(db)
            #expect(try AuditStore.insert(db, forged, head: &forgedHead) > 0)
            try db.execute(
                sql: "UPDATE chain_head SET seq = ?, hash = ?",
                arguments: [(head["seq"] as Int64) + 1, head["hash"] as String])
        }
        let b = try #require(try store.verify().firstBreak)
        #expect(b.seq == 4)
        #expect(b.problem.contains("does not link"))
    }

    @Test("An untouched chain verifies and reports its head")
    func intact() async throws {
        let dir = TempDir()
        let path = try await Self.populated(dir)
        let r = try AuditStore.open(path).verify()
        #expect(r.isIntact && r.headSeq == 6 && r.headHash.count == 64)
    }
}
