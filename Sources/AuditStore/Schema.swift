import Foundation
import GRDB

/// The store's schema, forward-only: a migration, once released, is never edited; a new one
/// is appended. A store written by a newer pmark (an unknown migration) is refused rather than
/// written to.
enum Schema {
    /// Every migration, in order (the names are stored in `grdb_migrations`).
    static let migrationNames = ["v1-decisions", "v2-notices"]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        // v1: decisions with their children, the hash chain, quarantine, release/delete events.
        m.registerMigration("v1-decisions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE store_meta (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        hmac_key BLOB NOT NULL,
                        created_us INTEGER NOT NULL);
                    -- The hash of the last entry (decision or event) and its sequence number.
                    CREATE TABLE chain_head (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL);
                    CREATE TABLE decisions (
                        id INTEGER PRIMARY KEY,
                        seq INTEGER NOT NULL UNIQUE,
                        time_us INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        source TEXT,
                        queue_id TEXT,
                        message_id TEXT,
                        sha256 TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        direction TEXT NOT NULL,
                        mail_from TEXT,
                        authenticated INTEGER NOT NULL,
                        subject TEXT,
                        policy_name TEXT NOT NULL,
                        policy_hash TEXT NOT NULL,
                        pmark_version TEXT NOT NULL,
                        message_action TEXT NOT NULL,
                        classification TEXT,
                        endorsements TEXT NOT NULL,
                        auto_forward TEXT NOT NULL,
                        notify_recipients INTEGER NOT NULL,
                        notify_sender INTEGER NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL);
                    CREATE INDEX decisions_time ON decisions(time_us);
                    CREATE INDEX decisions_queue ON decisions(queue_id);
                    CREATE TABLE recipient_verdicts (
                        decision_id INTEGER NOT NULL REFERENCES decisions(id),
                        group_index INTEGER NOT NULL,
                        ordinal INTEGER NOT NULL,
                        recipient TEXT NOT NULL,
                        path TEXT NOT NULL,
                        action TEXT NOT NULL,
                        PRIMARY KEY (decision_id, group_index, ordinal));
                    CREATE TABLE reasons (
                        decision_id INTEGER NOT NULL REFERENCES decisions(id),
                        group_index INTEGER NOT NULL,
                        ordinal INTEGER NOT NULL,
                        rule_id TEXT NOT NULL,
                        action TEXT NOT NULL,
                        control TEXT NOT NULL,
                        cid INTEGER,
                        evidence TEXT NOT NULL,
                        PRIMARY KEY (decision_id, group_index, ordinal));
                    CREATE INDEX reasons_rule ON reasons(rule_id);
                    CREATE TABLE findings (
                        decision_id INTEGER NOT NULL REFERENCES decisions(id),
                        ordinal INTEGER NOT NULL,
                        origin TEXT NOT NULL,
                        finding_id TEXT NOT NULL,
                        location TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        PRIMARY KEY (decision_id, ordinal));
                    CREATE TABLE attachments (
                        decision_id INTEGER NOT NULL REFERENCES decisions(id),
                        ordinal INTEGER NOT NULL,
                        location TEXT NOT NULL,
                        filename TEXT,
                        declared_type TEXT,
                        detected_type TEXT NOT NULL,
                        family TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        PRIMARY KEY (decision_id, ordinal));
                    -- Held and blocked messages. Not part of the chain (status changes, bytes are
                    -- deleted); every change is an event, and the decision's sha256 names the bytes.
                    CREATE TABLE quarantine (
                        decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL,
                        created_us INTEGER NOT NULL,
                        updated_us INTEGER NOT NULL,
                        queue_id TEXT,
                        envelope_from TEXT NOT NULL,
                        release_recipients TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        compression TEXT NOT NULL,
                        data BLOB);
                    CREATE INDEX quarantine_status ON quarantine(status, created_us);
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY,
                        seq INTEGER NOT NULL UNIQUE,
                        time_us INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        decision_id INTEGER,
                        actor TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL);
                    CREATE INDEX events_decision ON events(decision_id);
                    """)
            var key = [UInt8](repeating: 0, count: 32)
            for i in key.indices { key[i] = UInt8.random(in: 0...255) }
            try db.execute(
                sql: "INSERT INTO store_meta (id, hmac_key, created_us) VALUES (1, ?, ?)",
                arguments: [Data(key), nowMicroseconds()])
            try db.execute(sql: "INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, ?)", arguments: [Chain.genesis])
        }
        // v2: notices are events about an address; the keyed address lets the rate limit
        // count notices per addressee whatever the privacy settings.
        m.registerMigration("v2-notices") { db in
            try db.execute(
                sql: """
                    ALTER TABLE events ADD COLUMN address TEXT;
                    ALTER TABLE events ADD COLUMN address_key TEXT;
                    CREATE INDEX events_notice ON events(kind, address_key, time_us);
                    """)
        }
        return m
    }
}

// MARK: rows

/// The scalar content of a decision row (every column but id, seq and the chain hashes).
struct DecisionHeader: Codable, FetchableRecord, EncodableRecord, Sendable, Hashable {
    var timeUS: Int64
    var origin: String
    var source: String?
    var queueID: String?
    var messageID: String?
    var sha256: String
    var size: Int
    var direction: String
    var mailFrom: String?
    var authenticated: Bool
    var subject: String?
    var policyName: String
    var policyHash: String
    var pmarkVersion: String
    var messageAction: String
    var classification: String?
    var endorsements: String
    var autoForward: String
    var notifyRecipients: Bool
    var notifySender: Bool

    enum CodingKeys: String, CodingKey {
        case timeUS = "time_us", origin, source, queueID = "queue_id", messageID = "message_id", sha256, size, direction
        case mailFrom = "mail_from", authenticated, subject, policyName = "policy_name", policyHash = "policy_hash"
        case pmarkVersion = "pmark_version", messageAction = "message_action", classification, endorsements
        case autoForward = "auto_forward", notifyRecipients = "notify_recipients", notifySender = "notify_sender"
    }
}

struct VerdictRow: Codable, FetchableRecord, Sendable, Hashable {
    var groupIndex: Int
    var ordinal: Int
    var recipient: String
    var path: String
    var action: String
    enum CodingKeys: String, CodingKey { case groupIndex = "group_index", ordinal, recipient, path, action }
}

struct ReasonRow: Codable, FetchableRecord, Sendable, Hashable {
    var groupIndex: Int
    var ordinal: Int
    var ruleID: String
    var action: String
    var control: String
    var cid: Int?
    var evidence: String
    enum CodingKeys: String, CodingKey {
        case groupIndex = "group_index", ordinal, ruleID = "rule_id", action, control, cid, evidence
    }
}

struct FindingRow: Codable, FetchableRecord, Sendable, Hashable {
    var ordinal: Int
    var origin: String
    var findingID: String
    var location: String
    var detail: String
    enum CodingKeys: String, CodingKey { case ordinal, origin, findingID = "finding_id", location, detail }
}

struct AttachmentRow: Codable, FetchableRecord, Sendable, Hashable {
    var ordinal: Int
    var location: String
    var filename: String?
    var declaredType: String?
    var detectedType: String
    var family: String
    var size: Int
    enum CodingKeys: String, CodingKey {
        case ordinal, location, filename, declaredType = "declared_type", detectedType = "detected_type", family, size
    }
}

/// A decision with its children: exactly what the chain hash covers.
struct DecisionContent: Codable, Sendable, Hashable {
    var header: DecisionHeader
    var verdicts: [VerdictRow]
    var reasons: [ReasonRow]
    var findings: [FindingRow]
    var attachments: [AttachmentRow]
}

/// An event's content (what the chain hash covers, besides seq and the previous hash).
struct EventContent: Codable, FetchableRecord, EncodableRecord, Sendable, Hashable {
    var timeUS: Int64
    var kind: String
    var decisionID: Int64?
    var actor: String
    var reason: String
    var detail: String
    var address: String?
    var addressKey: String?
    enum CodingKeys: String, CodingKey {
        case timeUS = "time_us", kind, decisionID = "decision_id", actor, reason, detail, address, addressKey =
            "address_key"
    }
}
