import DecisionEngine
import Foundation
import GRDB

/// Which decisions a listing, report or export covers.
public struct AuditFilter: Sendable, Hashable {
    /// Microseconds since 1970, inclusive / exclusive.
    public var since: Int64?
    public var until: Int64?
    public var action: String?
    public var rule: String?
    /// An NZISM control (`15.2.40.C.01`) or a CID (`1760` or `CID:1760`).
    public var control: String?
    public var direction: String?
    /// An address: matched in its stored form (the address, or its keyed hash).
    public var address: String?
    public var limit: Int?

    public init(
        since: Int64? = nil, until: Int64? = nil, action: String? = nil, rule: String? = nil, control: String? = nil,
        direction: String? = nil, address: String? = nil, limit: Int? = nil
    ) {
        self.since = since
        self.until = until
        self.action = action
        self.rule = rule
        self.control = control
        self.direction = direction
        self.address = address
        self.limit = limit
    }
}

/// One decision as listings and exports show it.
public struct AuditRecord: Sendable, Codable, Hashable {
    public struct Recipient: Sendable, Codable, Hashable {
        public var recipient: String
        public var path: String
        public var action: String
    }
    public struct ReasonEntry: Sendable, Codable, Hashable {
        public var rule: String
        public var title: String
        public var control: String
        public var cid: Int?
        public var action: String
        public var evidence: String
    }
    public struct Finding: Sendable, Codable, Hashable {
        public var origin: String
        public var id: String
        public var location: String
        public var detail: String
    }
    public struct Attachment: Sendable, Codable, Hashable {
        public var location: String
        public var filename: String?
        public var declaredType: String?
        public var detectedType: String
        public var family: String
        public var size: Int
        enum CodingKeys: String, CodingKey {
            case location, filename, declaredType = "declared_type", detectedType = "detected_type", family, size
        }
    }
    public var id: Int64
    public var seq: Int64
    public var time: String
    public var origin: String
    public var source: String?
    public var queueID: String?
    public var messageID: String?
    public var sha256: String
    public var size: Int
    public var direction: String
    public var mailFrom: String?
    public var subject: String?
    public var policy: String
    public var policyHash: String
    public var pmarkVersion: String
    public var action: String
    public var classification: String?
    public var endorsements: [String]
    public var recipients: [Recipient]
    public var reasons: [ReasonEntry]
    public var findings: [Finding]
    public var attachments: [Attachment]
    public var quarantine: String?
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case id, seq, time, origin, source, queueID = "queue_id", messageID = "message_id", sha256, size, direction,
            mailFrom = "mail_from", subject
        case policy, policyHash = "policy_hash", pmarkVersion = "pmark_version", action, classification, endorsements,
            recipients, reasons, findings, attachments, quarantine, hash
    }
}

/// Counts for the security officer's return.
public struct AuditSummary: Sendable, Codable, Hashable {
    public struct Count: Sendable, Codable, Hashable {
        public var key: String
        public var title: String?
        public var count: Int
    }
    public var since: String?
    public var until: String?
    public var decisions: Int
    public var byAction: [Count]
    public var byDirection: [Count]
    /// Messages per rule (a message counts once per rule).
    public var byRule: [Count]
    /// Messages per NZISM control, with the CID.
    public var byControl: [Count]
    /// Recipients per path and action (`path action`).
    public var byPath: [Count]
    /// Decisions per UTC day and action (`2026-11-30 block`).
    public var byDay: [Count]
    public var quarantine: [Count]
    public var events: [Count]
    enum CodingKeys: String, CodingKey {
        case since, until, decisions, byAction = "by_action", byDirection = "by_direction", byRule = "by_rule",
            byControl = "by_control"
        case byPath = "by_path", byDay = "by_day", quarantine, events
    }
}

extension AuditStore {
    func whereClause(_ f: AuditFilter) -> (String, StatementArguments) {
        var conds: [String] = [], args: StatementArguments = []
        if let s = f.since {
            conds.append("d.time_us >= ?")
            args += [s]
        }
        if let u = f.until {
            conds.append("d.time_us < ?")
            args += [u]
        }
        if let a = f.action {
            conds.append(
                """
                (d.message_action = ? OR EXISTS (SELECT 1 FROM recipient_verdicts v WHERE v.decision_id = d.id AND \
                v.action = ?))
                """
            )
            args += [a, a]
        }
        if let dir = f.direction {
            conds.append("d.direction = ?")
            args += [dir]
        }
        if let r = f.rule {
            conds.append("EXISTS (SELECT 1 FROM reasons r WHERE r.decision_id = d.id AND r.rule_id = ?)")
            args += [r.uppercased()]
        }
        if let c = f.control {
            let digits = c.uppercased().replacingOccurrences(of: "CID:", with: "")
            if let cid = Int(digits) {
                conds.append("EXISTS (SELECT 1 FROM reasons r WHERE r.decision_id = d.id AND r.cid = ?)")
                args += [cid]
            } else {
                let ctl = c.hasPrefix("NZISM ") ? String(c.dropFirst(6)) : c
                conds.append("EXISTS (SELECT 1 FROM reasons r WHERE r.decision_id = d.id AND r.control = ?)")
                args += [ctl]
            }
        }
        if let a = f.address {
            // Either stored form: the store may hold rows written under either privacy setting.
            let plain = a, keyed = addressKey(a)
            conds.append(
                """
                (d.mail_from IN (?, ?) OR EXISTS (SELECT 1 FROM recipient_verdicts v WHERE v.decision_id = d.id AND \
                v.recipient IN (?, ?)))
                """
            )
            args += [plain, keyed, plain, keyed]
        }
        return (conds.isEmpty ? "" : " WHERE " + conds.joined(separator: " AND "), args)
    }

    /// Decisions matching `filter`, oldest first (the last `limit` when a limit is given).
    public func records(_ filter: AuditFilter) throws -> [AuditRecord] {
        let (w, args) = whereClause(filter)
        var sql = "SELECT d.id FROM decisions d" + w + " ORDER BY d.id"
        var a = args
        if let l = filter.limit {
            sql = "SELECT id FROM (SELECT d.id FROM decisions d" + w + " ORDER BY d.id DESC LIMIT ?) ORDER BY id"
            a += [l]
        }
        return try pool.read { db in
            try Int64.fetchAll(db, sql: sql, arguments: a).map { try record(db, id: $0) }
        }
    }

    /// Iterates matching decisions in id order without holding them all (exports).
    public func forEachRecord(_ filter: AuditFilter, _ body: (AuditRecord) throws -> Void) throws {
        let (w, args) = whereClause(filter)
        var last: Int64 = 0
        while true {
            let page: [AuditRecord] = try pool.read { db in
                let (w2, a2) =
                    w.isEmpty ? (" WHERE d.id > ?", StatementArguments([last])) : (w + " AND d.id > ?", args + [last])
                return try Int64.fetchAll(
                    db, sql: "SELECT d.id FROM decisions d" + w2 + " ORDER BY d.id LIMIT 500", arguments: a2
                ).map { try record(db, id: $0) }
            }
            if page.isEmpty { return }
            for r in page { try body(r) }
            last = page.last!.id
        }
    }

    public func record(id: Int64) throws -> AuditRecord { try pool.read { try record($0, id: id) } }

    func record(_ db: Database, id: Int64) throws -> AuditRecord {
        let c = try Chain.loadDecision(db, id: id)
        guard
            let row = try Row.fetchOne(
                db,
                sql:
                    """
                    SELECT d.seq, d.hash, q.status FROM decisions d LEFT JOIN quarantine q ON q.decision_id = d.id \
                    WHERE d.id = ?
                    """,
                arguments: [id])
        else {
            throw AuditError.notFound("decision \(id)")
        }
        let titles = Dictionary(uniqueKeysWithValues: Rules.all.map { ($0.id, $0.title) })
        let h = c.header
        return AuditRecord(
            id: id, seq: row["seq"], time: isoTime(h.timeUS), origin: h.origin, source: h.source, queueID: h.queueID,
            messageID: h.messageID,
            sha256: h.sha256, size: h.size, direction: h.direction, mailFrom: h.mailFrom, subject: h.subject,
            policy: h.policyName, policyHash: h.policyHash,
            pmarkVersion: h.pmarkVersion, action: h.messageAction, classification: h.classification,
            endorsements: h.endorsements.split(separator: "/").map(String.init),
            recipients: c.verdicts.map { .init(recipient: $0.recipient, path: $0.path, action: $0.action) },
            reasons: c.reasons.map {
                .init(
                    rule: $0.ruleID, title: titles[$0.ruleID] ?? "", control: $0.control, cid: $0.cid,
                    action: $0.action, evidence: $0.evidence)
            },
            findings: c.findings.map {
                .init(origin: $0.origin, id: $0.findingID, location: $0.location, detail: $0.detail)
            },
            attachments: c.attachments.map {
                .init(
                    location: $0.location, filename: $0.filename, declaredType: $0.declaredType,
                    detectedType: $0.detectedType, family: $0.family, size: $0.size)
            },
            quarantine: row["status"], hash: row["hash"])
    }

    /// Counts per action, direction, rule, control, path and day.
    public func summary(_ filter: AuditFilter) throws -> AuditSummary {
        let (w, args) = whereClause(filter)
        let titles = Dictionary(uniqueKeysWithValues: Rules.all.map { ($0.id, $0.title) })
        return try pool.read { db in
            func counts(_ sql: String, title: ((String) -> String?)? = nil) throws -> [AuditSummary.Count] {
                try Row.fetchAll(db, sql: sql, arguments: args).map { r in
                    let k: String = r["k"]
                    return AuditSummary.Count(key: k, title: title?(k), count: r["n"])
                }
            }
            let sub = "SELECT d.id FROM decisions d" + w
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM decisions d" + w, arguments: args) ?? 0
            return AuditSummary(
                since: filter.since.map(isoTime), until: filter.until.map(isoTime), decisions: total,
                byAction: try counts(
                    "SELECT d.message_action AS k, count(*) AS n FROM decisions d\(w) GROUP BY k ORDER BY n DESC, k"),
                byDirection: try counts(
                    "SELECT d.direction AS k, count(*) AS n FROM decisions d\(w) GROUP BY k ORDER BY n DESC, k"),
                byRule: try counts(
                    """
                    SELECT r.rule_id AS k, count(DISTINCT r.decision_id) AS n FROM reasons r WHERE r.decision_id IN \
                    (\(sub)) GROUP BY k ORDER BY n DESC, k
                    """,
                    title: { titles[$0] }),
                byControl: try counts(
                    """
                    SELECT r.control || ' [CID:' || ifnull(r.cid, '?') || ']' AS k, count(DISTINCT r.decision_id) AS n \
                    FROM reasons r WHERE r.decision_id IN (\(sub)) GROUP BY k ORDER BY n DESC, k
                    """
                ),
                byPath: try counts(
                    """
                    SELECT v.path || ' ' || v.action AS k, count(*) AS n FROM recipient_verdicts v WHERE v.decision_id \
                    IN (\(sub)) GROUP BY k ORDER BY k
                    """
                ),
                byDay: try counts(
                    """
                    SELECT strftime('%Y-%m-%d', d.time_us / 1000000, 'unixepoch') || ' ' || d.message_action AS k, \
                    count(*) AS n FROM decisions d\(w) GROUP BY k ORDER BY k
                    """
                ),
                quarantine: try counts(
                    """
                    SELECT q.status AS k, count(*) AS n FROM quarantine q WHERE q.decision_id IN (\(sub)) GROUP BY k \
                    ORDER BY k
                    """
                ),
                events: try counts(
                    """
                    SELECT e.kind AS k, count(*) AS n FROM events e WHERE e.decision_id IN (\(sub)) GROUP BY k ORDER \
                    BY k
                    """
                ))
        }
    }
}

/// Formats for listings, reports and SIEM exports.
public enum AuditFormat {
    public static func text(_ r: AuditRecord) -> String {
        var s = "#\(r.id) \(r.time) \(r.direction) \(r.action.uppercased())"
        s += r.queueID.map { " queue \($0)" } ?? ""
        s += " policy '\(r.policy)' \(r.policyHash.prefix(12))"
        s += r.quarantine.map { " [quarantine: \($0)]" } ?? ""
        s += "\n"
        if let m = r.messageID {
            s += "  message-id \(m) sha256 \(r.sha256.prefix(16)) \(r.size) bytes\n"
        } else {
            s += "  sha256 \(r.sha256.prefix(16)) \(r.size) bytes\n"
        }
        if let f = r.mailFrom { s += "  from \(f)\n" }
        if let sub = r.subject { s += "  subject \(sub)\n" }
        for v in r.recipients { s += "  \(v.action.uppercased()) \(v.recipient) via \(v.path)\n" }
        var seen = Set<String>()
        for x in r.reasons where seen.insert(x.rule + x.evidence).inserted {
            s +=
                "    \(x.rule) \(x.control)" + (x.cid.map { " [CID:\($0)]" } ?? "") + " -> \(x.action): \(x.evidence)\n"
        }
        return s
    }

    public static func jsonLine<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(v)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func json<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(v)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// ArcSight Common Event Format, one line per decision: the strongest reason's rule as the
    /// signature id, severity by action (block 8, quarantine 6, allow-and-tag 3, allow 1).
    public static func cef(_ r: AuditRecord) -> String {
        func hdr(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
        }
        func ext(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "=", with: "\\=")
                .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        }
        let top = r.reasons.first
        let sig = top?.rule ?? "PM-DECISION"
        let name = top?.title ?? "message decided"
        let sev = ["block": 8, "quarantine": 6, "allow-and-tag": 3][r.action] ?? 1
        let version = r.pmarkVersion
        var e: [String] = []
        e.append("rt=\(ext(r.time))")
        e.append("act=\(ext(r.action))")
        e.append("deviceDirection=\(r.direction == "outbound" ? 1 : 0)")
        e.append("externalId=\(r.id)")
        if let q = r.queueID { e.append("cs1Label=queueId cs1=\(ext(q))") }
        if let m = r.messageID { e.append("cs2Label=messageId cs2=\(ext(m))") }
        e.append("cs3Label=rules cs3=\(ext(Array(Set(r.reasons.map(\.rule))).sorted().joined(separator: ",")))")
        let controls = Array(Set(r.reasons.map { $0.control + ($0.cid.map { " CID:\($0)" } ?? "") })).sorted()
        e.append("cs4Label=controls cs4=\(ext(controls.joined(separator: ",")))")
        e.append("cs5Label=policy cs5=\(ext(r.policy + " " + r.policyHash))")
        e.append("cs6Label=direction cs6=\(ext(r.direction))")
        if let f = r.mailFrom { e.append("suser=\(ext(f))") }
        e.append("duser=\(ext(r.recipients.map(\.recipient).joined(separator: ",")))")
        e.append("fileHash=\(r.sha256)")
        e.append("fsize=\(r.size)")
        return "CEF:0|pmark|pmark|\(hdr(version))|\(hdr(sig))|\(hdr(name))|\(sev)|" + e.joined(separator: " ")
    }

    public static func reportText(_ s: AuditSummary) -> String {
        var out =
            "pmark audit report" + (s.since.map { " since \($0)" } ?? "") + (s.until.map { " until \($0)" } ?? "")
            + "\n"
        out += "decisions: \(s.decisions)\n"
        func section(_ title: String, _ cs: [AuditSummary.Count]) {
            guard !cs.isEmpty else { return }
            out += "\n\(title)\n"
            for c in cs {
                out +=
                    "  " + c.key.padding(toLength: max(30, c.key.count + 1), withPad: " ", startingAt: 0)
                    + String(c.count) + (c.title.map { "  \($0)" } ?? "") + "\n"
            }
        }
        section("by action", s.byAction)
        section("by direction", s.byDirection)
        section("by rule (messages)", s.byRule)
        section("by control (messages)", s.byControl)
        section("by path (recipients)", s.byPath)
        section("by day", s.byDay)
        section("quarantine", s.quarantine)
        section("events", s.events)
        return out
    }

    public static func reportHTML(_ s: AuditSummary) -> String {
        func esc(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pmark audit report</title>\n"
        h +=
            """
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}td,\
            th{border:1px solid #ccc;padding:.25em .6em;text-align:left}td.n{text-align:right}</style></head><body>\n
            """
        h +=
            "<h1>pmark audit report</h1>\n<p>"
            + esc((s.since.map { "Since \($0). " } ?? "") + (s.until.map { "Until \($0). " } ?? ""))
            + "Decisions: \(s.decisions).</p>\n"
        func table(_ title: String, _ cs: [AuditSummary.Count]) {
            h += "<h2>\(esc(title))</h2>\n<table><tr><th>\(esc(title))</th><th>count</th><th></th></tr>\n"
            for c in cs {
                h += "<tr><td>\(esc(c.key))</td><td class=\"n\">\(c.count)</td><td>\(esc(c.title ?? ""))</td></tr>\n"
            }
            h += "</table>\n"
        }
        table("by action", s.byAction)
        table("by direction", s.byDirection)
        table("by rule", s.byRule)
        table("by control", s.byControl)
        table("by path", s.byPath)
        table("by day", s.byDay)
        table("quarantine", s.quarantine)
        table("events", s.events)
        return h + "</body></html>\n"
    }
}

/// Times on the command line: `2026-11-01`, `2026-11-01T10:00:00Z` (or with an offset), or a
/// span back from now: `90m`, `24h`, `7d`, `4w`.
public enum AuditTime {
    public static func parse(_ s: String, now: Int64 = nowMicroseconds()) -> Int64? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if let unit = t.last, let n = Int64(t.dropLast()), n >= 0, n < 100_000 {
            let seconds: Int64? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86400
                case "w": 604_800
                default: nil
                }
            if let seconds { return now - n * seconds * 1_000_000 }
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970 * 1_000_000) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970 * 1_000_000) }
        f.formatOptions = [.withFullDate]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970 * 1_000_000) }
        return nil
    }
}
