import Foundation
import GRDB
import PolicyLanguage

/// A held or blocked message in the store.
public struct QuarantineItem: Sendable, Codable, Hashable {
    /// The decision's id (one id for the decision and its quarantined message).
    public var id: Int64
    /// `held` (the whole message was quarantined) or `blocked` (kept for review; release
    /// re-submits it to the blocked recipients).
    public var kind: String
    /// `held`, `blocked`, `released` or `deleted`.
    public var status: String
    public var created: String
    public var updated: String
    public var queueID: String?
    public var envelopeFrom: String
    public var releaseRecipients: [String]
    public var size: Int
    public var sha256: String
    public var direction: String
    public var rules: [String]
    public var hasBytes: Bool

    public var isPending: Bool { status == "held" || status == "blocked" }
}

/// How a release reached the MTA.
public enum ReleaseMethod: Sendable, Hashable, CustomStringConvertible {
    case holdQueue(queueID: String)
    case resubmitted(recipients: Int)
    public var description: String {
        switch self {
        case .holdQueue(let q): "postsuper -H \(q)"
        case .resubmitted(let n): "re-submitted through sendmail to \(n) recipient(s)"
        }
    }
}

extension AuditStore {
    static let quarantineSelect = """
        SELECT q.*, d.direction, \
        (SELECT group_concat(DISTINCT rule_id) FROM reasons r WHERE r.decision_id = q.decision_id) AS rules
        FROM quarantine q JOIN decisions d ON d.id = q.decision_id
        """

    static func item(_ r: Row) -> QuarantineItem {
        let rcptJSON: String = r["release_recipients"]
        let rcpts = (try? JSONDecoder().decode([String].self, from: Data(rcptJSON.utf8))) ?? []
        let rules: String? = r["rules"]
        let data: Data? = r["data"]
        return QuarantineItem(
            id: r["decision_id"], kind: r["kind"], status: r["status"], created: isoTime(r["created_us"]),
            updated: isoTime(r["updated_us"]),
            queueID: r["queue_id"], envelopeFrom: r["envelope_from"], releaseRecipients: rcpts, size: r["size"],
            sha256: r["sha256"],
            direction: r["direction"], rules: (rules ?? "").split(separator: ",").map(String.init).sorted(),
            hasBytes: data != nil)
    }

    /// Quarantined messages, newest first; `pendingOnly` hides released and deleted ones.
    public func quarantineItems(pendingOnly: Bool = true, limit: Int = 1000) throws -> [QuarantineItem] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.quarantineSelect + (pendingOnly ? " WHERE q.status IN ('held', 'blocked')" : "")
                    + " ORDER BY q.decision_id DESC LIMIT ?",
                arguments: [limit]
            ).map(Self.item)
        }
    }

    public func quarantineItem(_ id: Int64) throws -> QuarantineItem {
        try pool.read { db in
            guard let r = try Row.fetchOne(db, sql: Self.quarantineSelect + " WHERE q.decision_id = ?", arguments: [id])
            else {
                throw AuditError.notFound("quarantined message \(id)")
            }
            return Self.item(r)
        }
    }

    /// The message exactly as received, checked against the SHA-256 its decision recorded.
    public func quarantinedBytes(_ id: Int64) throws -> [UInt8] {
        let (data, codec, size, sha) = try pool.read { db -> (Data?, String, Int, String) in
            guard
                let r = try Row.fetchOne(
                    db,
                    sql:
                        """
                        SELECT q.data, q.compression, q.size, d.sha256 FROM quarantine q JOIN decisions d ON d.id = \
                        q.decision_id WHERE q.decision_id = ?
                        """,
                    arguments: [id])
            else {
                throw AuditError.notFound("quarantined message \(id)")
            }
            return (r["data"], r["compression"], r["size"], r["sha256"])
        }
        guard let data else { throw AuditError.notFound("the bytes of message \(id) (deleted)") }
        let bytes = try HeldBytes.decompress(Array(data), codec: codec, expectedSize: size)
        guard SHA256Hex(bytes) == sha else {
            throw AuditError.corrupt("quarantined message \(id) does not match its recorded SHA-256")
        }
        return bytes
    }

    /// The events recorded about a decision (release, deletion, notices), oldest first.
    public func events(decisionID: Int64) throws -> [AuditEvent] {
        try pool.read { db in
            try AuditEvent.fetchAll(
                db, sql: "SELECT * FROM events WHERE decision_id = ? ORDER BY seq", arguments: [decisionID])
        }
    }

    /// Hands a held or blocked message back to the MTA. The release is recorded (who, why, how)
    /// **before** the hand-off; when the hand-off fails a `release-failed` event follows and the
    /// message stays quarantined. A held message still in Postfix's hold queue is released
    /// there (`postsuper -H`); otherwise the stored bytes are re-submitted through `sendmail`
    /// to the recipients that did not receive it.
    @discardableResult
    public func release(_ id: Int64, actor: String, reason: String, mta: MTA) throws -> ReleaseMethod {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw AuditError.invalid("a release needs a reason (--reason)")
        }
        let item = try quarantineItem(id)
        guard item.isPending else { throw AuditError.invalid("message \(id) is already \(item.status)") }
        let method: ReleaseMethod
        var bytes: [UInt8] = []
        if item.kind == "held", let q = item.queueID, mta.isHeld(queueID: q) {
            method = .holdQueue(queueID: q)
        } else {
            bytes = try quarantinedBytes(id)
            method = .resubmitted(recipients: item.releaseRecipients.count)
        }
        try pool.write { db in
            try appendEvent(
                db,
                EventContent(
                    timeUS: nowMicroseconds(), kind: "release", decisionID: id, actor: actor, reason: reason,
                    detail: method.description))
            try db.execute(
                sql: "UPDATE quarantine SET status = 'released', updated_us = ? WHERE decision_id = ?",
                arguments: [nowMicroseconds(), id])
        }
        do {
            switch method {
            case .holdQueue(let q): try mta.releaseHeld(queueID: q)
            case .resubmitted: try mta.submit(bytes, sender: item.envelopeFrom, recipients: item.releaseRecipients)
            }
        } catch {
            try pool.write { db in
                try appendEvent(
                    db,
                    EventContent(
                        timeUS: nowMicroseconds(), kind: "release-failed", decisionID: id, actor: actor, reason: reason,
                        detail: "\(error)"))
                try db.execute(
                    sql: "UPDATE quarantine SET status = ?, updated_us = ? WHERE decision_id = ?",
                    arguments: [item.status, nowMicroseconds(), id])
            }
            throw error
        }
        return method
    }

    /// Deletes a quarantined message's bytes (and its Postfix hold-queue entry, when there is
    /// one). The deletion event is committed first, in the same transaction that removes the
    /// bytes: nothing is deleted without a record. Decision rows are never deleted.
    public func delete(_ id: Int64, actor: String, reason: String, mta: MTA?) throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw AuditError.invalid("a deletion needs a reason (--reason)")
        }
        let item = try quarantineItem(id)
        guard item.status != "deleted" else { throw AuditError.invalid("message \(id) is already deleted") }
        try deleteItems([item], actor: actor, reason: reason, kind: "delete", mta: mta)
    }

    /// Deletes the bytes of every quarantined message older than `seconds`, one `purge` event
    /// per message. Returns how many were purged.
    @discardableResult
    public func purge(olderThan seconds: Double, actor: String, reason: String, mta: MTA?) throws -> Int {
        guard seconds >= 0 else { throw AuditError.invalid("--older-than must not be negative") }
        let cutoff = nowMicroseconds() - Int64(seconds * 1_000_000)
        let items = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.quarantineSelect + " WHERE q.status != 'deleted' AND q.created_us < ? ORDER BY q.decision_id",
                arguments: [cutoff]
            ).map(Self.item)
        }
        try deleteItems(items, actor: actor, reason: reason, kind: "purge", mta: mta)
        return items.count
    }

    private func deleteItems(_ items: [QuarantineItem], actor: String, reason: String, kind: String, mta: MTA?) throws {
        guard !items.isEmpty else { return }
        var inHold: [Int64: String] = [:]
        if let mta {
            for i in items where i.isPending && i.kind == "held" {
                if let q = i.queueID, mta.isHeld(queueID: q) { inHold[i.id] = q }
            }
        }
        try pool.write { db in
            for i in items {
                let detail =
                    "bytes deleted (\(i.size) bytes, sha256 \(i.sha256))"
                    + (inHold[i.id].map { "; hold queue entry \($0) deleted" } ?? "")
                try appendEvent(
                    db,
                    EventContent(
                        timeUS: nowMicroseconds(), kind: kind, decisionID: i.id, actor: actor, reason: reason,
                        detail: detail))
                try db.execute(
                    sql: "UPDATE quarantine SET status = 'deleted', data = NULL, updated_us = ? WHERE decision_id = ?",
                    arguments: [nowMicroseconds(), i.id])
            }
        }
        var failures: [String] = []
        for (id, q) in inHold.sorted(by: { $0.key < $1.key }) {
            do { try mta?.deleteHeld(queueID: q) } catch {
                failures.append("\(id): \(error)")
                _ = try? pool.write { db in
                    _ = try appendEvent(
                        db,
                        EventContent(
                            timeUS: nowMicroseconds(), kind: "\(kind)-incomplete", decisionID: id, actor: actor,
                            reason: reason, detail: "hold queue entry \(q) remains: \(error)"))
                }
            }
        }
        if !failures.isEmpty { throw AuditError.handOff(failures.joined(separator: "; ")) }
    }
}

/// An event in the chain (release, deletion, purge, notice), as read back.
public struct AuditEvent: Codable, FetchableRecord, Sendable, Hashable {
    public var id: Int64
    public var seq: Int64
    public var timeUS: Int64
    public var kind: String
    public var decisionID: Int64?
    public var actor: String
    public var reason: String
    public var detail: String
    public var address: String?
    enum CodingKeys: String, CodingKey {
        case id, seq, timeUS = "time_us", kind, decisionID = "decision_id", actor, reason, detail, address
    }
    public var time: String { isoTime(timeUS) }
}

func SHA256Hex(_ b: [UInt8]) -> String { Digest.sha256Hex(b) }
