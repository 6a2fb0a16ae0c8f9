import ContentInspection
import DecisionEngine
import Foundation
import GRDB
import MailParsing
import PolicyLanguage
import Reporting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The audit log: every decision recorded in SQLite (WAL) before the front-end acts on it, with
/// per-recipient verdicts, reasons (rule, control, CID), findings and attachment identities; the
/// bytes of held and blocked messages (zstd); quarantine release and deletion events; notices.
/// A hash chain over every entry makes edits visible (``verify()``).
///
/// Durability: each `record` returns only after the transaction holding its decision has
/// committed with `synchronous = FULL` (the WAL is fsynced at commit). Concurrent callers are
/// grouped: while one transaction commits, the next decisions queue up and commit together
/// (at most ``Options/maxBatch`` per transaction), so every caller still awaits its own commit.
/// One writer (a serial queue; SQLite's lock serialises other processes), many readers (WAL).
public final class AuditStore: CompletionDecisionSink, @unchecked Sendable {
    public struct Options: Sendable {
        /// The policy's `privacy:` settings: what the store may keep.
        /// - `log-subjects: false` → no subject is stored.
        /// - `log-attachment-names: false` → no file name (nor in locations, evidence, details).
        /// - `log-addresses: false` → every envelope address (sender, recipients, notice
        ///   addressees) is stored as `hmac:` + HMAC-SHA256 under the store's own key, so an
        ///   auditor can still count and correlate ("the same recipient") and look one up with
        ///   `pmark audit list --address`, but the store does not hold the address; addresses
        ///   in free text (evidence, details) are replaced as in every other report.
        public var privacy: Privacy
        /// Written into every decision row.
        public var pmarkVersion: String
        /// Keep the bytes of held (quarantine) and blocked messages. Off for batch scans, whose
        /// messages were delivered long ago and cannot be released.
        public var keepMessageBytes: Bool
        /// Decisions committed in one transaction at most (a bound on the latency of the
        /// callers queued behind a commit; 64 keeps a batch well under a millisecond of work).
        public var maxBatch: Int
        /// Notices to send after a decision commits (nil: none).
        public var notices: NoticeSettings?
        /// Seconds a writer waits for another process's write lock before failing (the caller
        /// then fails closed: the milter answers tempfail).
        public var busyTimeout: Double
        /// `synchronous = FULL` (the default: a commit is on disk when `record` returns). Off
        /// (NORMAL) only for benchmarks that attribute the cost of the fsync.
        public var synchronousFull: Bool

        public init(
            privacy: Privacy = .closed, pmarkVersion: String = PmarkVersion.current, keepMessageBytes: Bool = true,
            maxBatch: Int = 64, notices: NoticeSettings? = nil, busyTimeout: Double = 10, synchronousFull: Bool = true
        ) {
            self.privacy = privacy
            self.pmarkVersion = pmarkVersion
            self.keepMessageBytes = keepMessageBytes
            self.maxBatch = max(1, maxBatch)
            self.notices = notices
            self.busyTimeout = busyTimeout
            self.synchronousFull = synchronousFull
        }
    }

    public let path: String
    private var _options: Options
    /// The current options (``reconfigure(privacy:notices:)`` changes them when the gateway
    /// reloads its policy).
    public var options: Options { lock.withLock { _options } }
    let pool: DatabasePool
    let hmacKey: [UInt8]

    private let lock = NSLock()
    private var pending: [(PreparedDecision, @Sendable (Result<Int64, Error>) -> Void)] = []
    private var draining = false
    private var transactions = 0
    /// Write transactions committed by this process (benchmarks report decisions per commit).
    public var transactionCount: Int { lock.withLock { transactions } }

    /// CPU time this store's own work took (the threads' CPU clocks, so other processes on a
    /// shared machine do not count): benchmarks attribute the store's cost per decision with it.
    public struct CPUSpent: Sendable, Hashable {
        /// Decisions prepared.
        public var decisions = 0
        /// Preparing them on the callers' threads: SHA-256, redaction, compression of held
        /// bytes, the chain's canonical JSON.
        public var prepareSeconds = 0.0
        /// The write transactions on the writer: inserts, the chain link, commit (WAL write and
        /// fsync) and SQLite's automatic checkpoints.
        public var writeSeconds = 0.0
    }
    private var spent = CPUSpent()
    public var cpuSpent: CPUSpent { lock.withLock { spent } }

    /// This thread's CPU time in seconds.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    private let writerQueue = DispatchQueue(label: "pmark.audit.writer")
    let noticeQueue = DispatchQueue(label: "pmark.audit.notices")

    /// Opens (creating it 0600 when missing) and migrates the store.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self._options = options
        if access(path, F_OK) != 0 {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd < 0 && errno != EEXIST {
                throw AuditError.invalid("cannot create \(path): \(String(cString: strerror(errno)))")
            }
            if fd >= 0 {
                fchmod(fd, 0o600)
                close(fd)
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(options.busyTimeout)
        pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets NORMAL on the writer when it enables WAL; FULL makes every commit durable
        // (the WAL is fsynced before COMMIT returns), not just crash-safe.
        let sync = options.synchronousFull ? "FULL" : "NORMAL"
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(sync)") }
        let migrator = Schema.migrator
        let unknown = try pool.read { db -> [String] in
            guard try db.tableExists("grdb_migrations") else { return [] }
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            return applied.filter { !Schema.migrationNames.contains($0) }
        }
        if !unknown.isEmpty { throw AuditError.newerSchema(path: path, unknown: unknown) }
        try migrator.migrate(pool)
        guard let key = try pool.read({ try Data.fetchOne($0, sql: "SELECT hmac_key FROM store_meta WHERE id = 1") }),
            key.count == 32
        else {
            throw AuditError.corrupt("store key missing in \(path)")
        }
        hmacKey = Array(key)
    }

    /// The migrations applied to the file, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
    }

    /// Applies a reloaded policy's privacy settings and notice texts to decisions recorded
    /// from now on (rows already written keep what they were written with).
    public func reconfigure(privacy: Privacy, notices: NoticeSettings?) {
        lock.withLock {
            _options.privacy = privacy
            _options.notices = notices
        }
    }

    // MARK: addresses

    /// `hmac:` + HMAC-SHA256(store key, lower-cased address): the stored form of an address when
    /// the policy does not allow addresses, and the key the notice rate limit counts by.
    public func addressKey(_ address: String) -> String {
        let lower = address.lowercased()
        if let known = lock.withLock({ addressKeys[lower] }) { return known }
        let key = "hmac:" + HMAC.sha256(key: hmacKey, message: Array(lower.utf8)).hex
        lock.withLock {
            if addressKeys.count >= Self.addressKeyCacheLimit { addressKeys.removeAll(keepingCapacity: true) }
            addressKeys[lower] = key
        }
        return key
    }

    /// Keyed addresses already computed (a gateway sees the same senders and recipients again
    /// and again; the HMAC is on the decision's path before the commit). In memory only.
    private var addressKeys: [String: String] = [:]
    /// At most this many cached keyed addresses (about 0.5 MB): a flood of distinct addresses
    /// empties the cache instead of growing it.
    static let addressKeyCacheLimit = 4096
    /// How many keyed addresses are cached (tests of the limit).
    var cachedAddressKeys: Int { lock.withLock { addressKeys.count } }

    func stored(address: String) -> String { stored(address: address, privacy: options.privacy) }
    func stored(address: String, privacy: Privacy) -> String { privacy.logAddresses ? address : addressKey(address) }

    // MARK: recording

    public func record(_ event: DecisionEvent) async throws { _ = try await append(event) }

    /// Records a decision and reports the outcome to `completion`: on the writer's thread once
    /// the transaction holding it has committed (or failed), or on this thread when the decision
    /// cannot be prepared. The milter calls this on the worker that decided and answers the MTA
    /// from `completion`, without starting a task to await ``record(_:)`` and resuming it after
    /// the commit (two thread hand-offs per message fewer).
    public func record(_ event: DecisionEvent, completion: @escaping @Sendable (Result<Void, Error>) -> Void) {
        enqueue(event) { completion($0.map { _ in () }) }
    }

    /// Records a decision and returns its id once it has committed.
    @discardableResult
    public func append(_ event: DecisionEvent) async throws -> Int64 {
        try await withCheckedThrowingContinuation { c in enqueue(event) { c.resume(with: $0) } }
    }

    /// Prepares the decision on this thread and queues it for the writer, which commits it with
    /// whatever else is queued and then calls `done` (after scheduling the decision's notices).
    private func enqueue(_ event: DecisionEvent, _ done: @escaping @Sendable (Result<Int64, Error>) -> Void) {
        let t0 = Self.threadCPUSeconds()
        let p: PreparedDecision
        do { p = try prepare(event) } catch {
            done(.failure(error))
            return
        }
        let prepareSeconds = Self.threadCPUSeconds() - t0
        let committed: @Sendable (Result<Int64, Error>) -> Void = { result in
            if case .success(let id) = result { self.scheduleNotices(for: event, decisionID: id) }
            done(result)
        }
        let start: Bool = lock.withLock {
            spent.decisions += 1
            spent.prepareSeconds += prepareSeconds
            pending.append((p, committed))
            if draining { return false }
            draining = true
            return true
        }
        if start { writerQueue.async { self.drain() } }
    }

    /// Records decisions in one transaction, synchronously (batch scans).
    @discardableResult
    public func appendSync(_ events: [DecisionEvent]) throws -> [Int64] {
        let t0 = Self.threadCPUSeconds()
        let prepared = try events.map(prepare)
        let prepareSeconds = Self.threadCPUSeconds() - t0
        lock.withLock {
            spent.decisions += prepared.count
            spent.prepareSeconds += prepareSeconds
        }
        let ids = try write(prepared)
        for (e, id) in zip(events, ids) { scheduleNotices(for: e, decisionID: id) }
        return ids
    }

    private func drain() {
        while true {
            let batch: [(PreparedDecision, @Sendable (Result<Int64, Error>) -> Void)] = lock.withLock {
                if pending.isEmpty {
                    draining = false
                    return []
                }
                let b = Array(pending.prefix(_options.maxBatch))
                pending.removeFirst(b.count)
                return b
            }
            if batch.isEmpty { return }
            do {
                let ids = try write(batch.map(\.0))
                for (i, (_, done)) in batch.enumerated() { done(.success(ids[i])) }
            } catch {
                for (_, done) in batch { done(.failure(error)) }
            }
        }
    }

    struct PreparedDecision: Sendable {
        var content: DecisionContent
        var json: [UInt8]
        var quarantine: QuarantineInsert?
    }

    struct QuarantineInsert: Sendable {
        /// `releaseRecipients` is the JSON array as stored (encoded off the writer).
        var kind: String, queueID: String?, envelopeFrom: String, releaseRecipients: String, size: Int, sha256: String,
            data: [UInt8]
    }

    /// Everything but the chain link, computed on the caller's thread (hashing, compression and
    /// encoding run in parallel; only the inserts are serialised).
    func prepare(_ e: DecisionEvent) throws -> PreparedDecision {
        let v = e.verdict
        let peek = HeaderPeek(e.messageBytes)
        let options = self.options
        let privacy = options.privacy
        let stored = { (a: String) in self.stored(address: a, privacy: privacy) }
        // Free text (evidence, locations, details) is scrubbed of addresses and file names the
        // policy withholds, by the same redactor every other report uses (it needs the parsed
        // message to know every address and file name: the engine's parse when the front-end
        // passed it, which the milter does; otherwise the bytes are parsed here).
        let redactor: Redactor? =
            privacy.logAddresses && privacy.logAttachmentNames
            ? nil
            : Redactor(
                privacy: privacy,
                evaluation: Evaluation(
                    message: e.message ?? (try? Message(parsing: e.messageBytes)), error: nil, envelope: e.envelope,
                    verdict: v))
        let scrub = { (s: String) in redactor?.scrub(s) ?? s }
        let sha = Digest.sha256Hex(e.messageBytes)
        let (origin, source, queueID): (String, String?, String?) =
            switch e.origin {
            case .gateway(let q, let d): ("gateway", d, q)
            case .scan(let s): ("scan", s, nil)
            case .check(let s): ("check", s, nil)
            }
        let header = DecisionHeader(
            timeUS: Int64((e.unixTime * 1_000_000).rounded()), origin: origin, source: source, queueID: queueID,
            messageID: peek.messageID, sha256: sha, size: e.messageBytes.count, direction: v.direction.rawValue,
            mailFrom: e.envelope.mailFrom.map(stored), authenticated: e.envelope.authenticatedSubmission,
            subject: privacy.logSubjects ? peek.subject : nil,
            policyName: v.policyName, policyHash: v.policyHash, pmarkVersion: options.pmarkVersion,
            messageAction: v.messageAction.rawValue, classification: v.markings?.classification?.name,
            endorsements: (v.markings?.endorsements ?? []).map(\.name).joined(separator: "/"),
            autoForward: v.autoForwardSignals.joined(separator: ","), notifyRecipients: v.notifyRecipients,
            notifySender: v.notifySender)
        var verdicts: [VerdictRow] = [], reasons: [ReasonRow] = []
        for (g, d) in v.decisions.enumerated() {
            for (i, r) in d.recipients.enumerated() {
                verdicts.append(
                    VerdictRow(groupIndex: g, ordinal: i, recipient: stored(r), path: d.path, action: d.action.rawValue)
                )
            }
            for (i, r) in d.reasons.enumerated() {
                let (control, cid) = Self.control(r.rule.controls.first ?? "")
                reasons.append(
                    ReasonRow(
                        groupIndex: g, ordinal: i, ruleID: r.rule.id, action: r.action.rawValue, control: control,
                        cid: cid, evidence: scrub(r.evidence)))
            }
        }
        var findings: [FindingRow] = []
        for f in v.markings?.findings ?? [] {
            findings.append(
                FindingRow(
                    ordinal: findings.count, origin: "marking", findingID: f.id.rawValue, location: scrub(f.location),
                    detail: scrub(f.detail)))
        }
        for (loc, f) in v.content?.findings ?? [] {
            findings.append(
                FindingRow(
                    ordinal: findings.count, origin: "content", findingID: f.kind.rawValue, location: scrub(loc),
                    detail: scrub(f.detail)))
        }
        var attachments: [AttachmentRow] = []
        for item in v.content?.items ?? [] where item.location != "message" {
            attachments.append(
                AttachmentRow(
                    ordinal: attachments.count, location: scrub(item.location),
                    filename: privacy.logAttachmentNames ? item.filename : nil,
                    declaredType: item.declaredType, detectedType: item.detectedType, family: item.family.rawValue,
                    size: item.size))
        }
        let content = DecisionContent(
            header: header, verdicts: verdicts, reasons: reasons, findings: findings, attachments: attachments)
        var q: QuarantineInsert? = nil
        let blocked = v.decisions.filter { $0.action == .block }.flatMap(\.recipients)
        if options.keepMessageBytes, v.messageAction == .quarantine || !blocked.isEmpty {
            let held = v.messageAction == .quarantine
            q = QuarantineInsert(
                kind: held ? "held" : "blocked", queueID: queueID, envelopeFrom: e.envelope.mailFrom ?? "",
                releaseRecipients: String(
                    decoding: try JSONEncoder().encode(held ? e.envelope.recipients : blocked), as: UTF8.self),
                size: e.messageBytes.count, sha256: sha,
                data: try HeldBytes.compress(e.messageBytes))
        }
        return PreparedDecision(content: content, json: content.canonicalJSON, quarantine: q)
    }

    /// `NZISM 15.2.40.C.01 [CID:1760]` → ("15.2.40.C.01", 1760).
    static func control(_ citation: String) -> (String, Int?) {
        var s = Substring(citation)
        if s.hasPrefix("NZISM ") { s = s.dropFirst(6) }
        var cid: Int? = nil
        if let open = s.range(of: " [CID:"), let close = s.lastIndex(of: "]"), open.upperBound <= close {
            cid = Int(s[open.upperBound..<close])
            s = s[..<open.lowerBound]
        }
        return (String(s), cid)
    }

    func write(_ batch: [PreparedDecision]) throws -> [Int64] {
        let t0 = Self.threadCPUSeconds()
        defer {
            let seconds = Self.threadCPUSeconds() - t0
            lock.withLock {
                transactions += 1
                spent.writeSeconds += seconds
            }
        }
        return try pool.writeWithoutTransaction { db in
            var ids: [Int64] = []
            try db.inTransaction(.immediate) {
                // The chain head is read once and written once per transaction, not per decision.
                var head = try Chain.head(db)
                for p in batch { ids.append(try Self.insert(db, p, head: &head)) }
                try Chain.store(db, head)
                return .commit
            }
            return ids
        }
    }

    /// Inserts one decision with its child rows, linked after `head` (which moves to it).
    static func insert(_ db: Database, _ p: PreparedDecision, head: inout Chain.Head) throws -> Int64 {
        let link = Chain.advance(&head, kind: "decision", content: p.json)
        let h = p.content.header
        // One cached statement with the columns named (GRDB's record encoding of the same row,
        // through its Encoder, cost more than the insert itself on the gateway's path).
        try db.cachedStatement(
            sql: """
                INSERT INTO decisions (seq, prev_hash, hash, time_us, origin, source, queue_id, message_id, \
                sha256, size,
                    direction, mail_from, authenticated, subject, policy_name, policy_hash, pmark_version, \
                message_action,
                    classification, endorsements, auto_forward, notify_recipients, notify_sender)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            link.seq, link.prev, link.hash, h.timeUS, h.origin, h.source, h.queueID, h.messageID, h.sha256, h.size,
            h.direction, h.mailFrom, h.authenticated, h.subject, h.policyName, h.policyHash, h.pmarkVersion,
            h.messageAction, h.classification, h.endorsements, h.autoForward, h.notifyRecipients, h.notifySender,
        ])
        let id = db.lastInsertedRowID
        for r in p.content.verdicts {
            try db.cachedStatement(
                sql:
                    """
                    INSERT INTO recipient_verdicts (decision_id, group_index, ordinal, recipient, path, action) VALUES \
                    (?, ?, ?, ?, ?, ?)
                    """
            )
            .execute(arguments: [id, r.groupIndex, r.ordinal, r.recipient, r.path, r.action])
        }
        for r in p.content.reasons {
            try db.cachedStatement(
                sql:
                    """
                    INSERT INTO reasons (decision_id, group_index, ordinal, rule_id, action, control, cid, evidence) \
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            .execute(arguments: [id, r.groupIndex, r.ordinal, r.ruleID, r.action, r.control, r.cid, r.evidence])
        }
        for f in p.content.findings {
            try db.cachedStatement(
                sql:
                    """
                    INSERT INTO findings (decision_id, ordinal, origin, finding_id, location, detail) VALUES (?, ?, ?, \
                    ?, ?, ?)
                    """
            )
            .execute(arguments: [id, f.ordinal, f.origin, f.findingID, f.location, f.detail])
        }
        for a in p.content.attachments {
            try db.cachedStatement(
                sql:
                    """
                    INSERT INTO attachments (decision_id, ordinal, location, filename, declared_type, detected_type, \
                    family, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            .execute(arguments: [
                id, a.ordinal, a.location, a.filename, a.declaredType, a.detectedType, a.family, a.size,
            ])
        }
        if let q = p.quarantine {
            try db.cachedStatement(
                sql: """
                    INSERT INTO quarantine (decision_id, kind, status, created_us, updated_us, queue_id, \
                    envelope_from, release_recipients, size, sha256, compression, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                id, q.kind, q.kind, p.content.header.timeUS, p.content.header.timeUS, q.queueID, q.envelopeFrom,
                q.releaseRecipients, q.size, q.sha256, HeldBytes.codec.rawValue, Data(q.data),
            ])
        }
        return id
    }

    /// Appends an event (release, deletion, notice) to the chain inside the caller's transaction.
    @discardableResult
    func appendEvent(_ db: Database, _ e: EventContent) throws -> Int64 {
        let link = try Chain.next(db, kind: "event", content: try Chain.canonical(e))
        try EventInsert(content: e, seq: link.seq, prev: link.prev, hash: link.hash).insert(db)
        return db.lastInsertedRowID
    }

    // MARK: verification

    /// Walks the whole chain; the report names the first broken link.
    public func verify() throws -> Chain.Report { try pool.read { try Chain.verify($0) } }

    /// `PRAGMA integrity_check` (SQLite's own page-level check): "ok" when sound.
    public func integrityCheck() throws -> [String] {
        try pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
    }

    /// Runs `body` against a read-only snapshot (reports, tests).
    public func read<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }
}

struct EventInsert: PersistableRecord {
    static let databaseTableName = "events"
    var content: EventContent, seq: Int64, prev: String, hash: String
    func encode(to container: inout PersistenceContainer) throws {
        try content.encode(to: &container)
        container["seq"] = seq
        container["prev_hash"] = prev
        container["hash"] = hash
    }
}
