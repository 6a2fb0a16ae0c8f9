import Foundation
import GRDB
import PolicyLanguage

/// The tamper-evidence chain. Decisions and events share one sequence (`seq` 1, 2, 3, …); each
/// row's `hash` is SHA-256 over its sequence number, its kind, the previous row's hash and the
/// canonical JSON of its content (for a decision: the row and every recipient verdict, reason,
/// finding and attachment row). Editing, deleting or inserting a row therefore breaks the link
/// at that row or the next one; `chain_head` holds the last link so a truncated tail shows too.
/// (Anchoring: an auditor who records the head hash printed by `pmark audit verify` elsewhere can
/// also detect a rewrite of the whole chain.)
public enum Chain {
    public static let genesis = String(repeating: "0", count: 64)

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    static func canonical<T: Encodable>(_ v: T) throws -> [UInt8] { Array(try encoder().encode(v)) }

    static func link(seq: Int64, kind: String, prev: String, content: [UInt8]) -> String {
        Digest.sha256Hex(Array("pmark-audit-chain-1\n\(seq)\n\(kind)\n\(prev)\n".utf8) + content)
    }

    /// The first broken link, or nil when the chain is whole.
    public struct Break: Sendable, Hashable, CustomStringConvertible {
        public var seq: Int64
        /// `decision 17` or `event 4` (the row at which the chain breaks), or `head`.
        public var row: String
        public var problem: String
        public var description: String { "seq \(seq) (\(row)): \(problem)" }
    }

    public struct Report: Sendable {
        public var entries: Int
        public var headSeq: Int64
        public var headHash: String
        public var firstBreak: Break?
        public var isIntact: Bool { firstBreak == nil }
    }

    static func verify(_ db: Database) throws -> Report {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT seq, 'decision' AS kind, id, prev_hash, hash FROM decisions
                UNION ALL SELECT seq, 'event' AS kind, id, prev_hash, hash FROM events ORDER BY seq
                """)
        var prev = genesis
        var expectedSeq: Int64 = 1
        var n = 0
        for r in rows {
            let seq: Int64 = r["seq"], kind: String = r["kind"], id: Int64 = r["id"]
            let stored: String = r["hash"], storedPrev: String = r["prev_hash"]
            let name = "\(kind) \(id)"
            if seq != expectedSeq {
                return Report(
                    entries: n, headSeq: seq, headHash: stored,
                    firstBreak: Break(
                        seq: seq, row: name,
                        problem: seq > expectedSeq
                            ? "entries \(expectedSeq)…\(seq - 1) are missing (deleted)"
                            : "sequence number out of order (expected \(expectedSeq))"))
            }
            if storedPrev != prev {
                return Report(
                    entries: n, headSeq: seq, headHash: stored,
                    firstBreak: Break(
                        seq: seq, row: name,
                        problem: "does not link to the previous entry (a row before it was deleted, inserted or edited)"
                    ))
            }
            let content =
                kind == "decision" ? try canonical(loadDecision(db, id: id)) : try canonical(loadEvent(db, id: id))
            let computed = link(seq: seq, kind: kind, prev: prev, content: content)
            if computed != stored {
                return Report(
                    entries: n, headSeq: seq, headHash: stored,
                    firstBreak: Break(
                        seq: seq, row: name,
                        problem: "content does not match its hash (the row or one of its child rows was edited)"))
            }
            prev = stored
            expectedSeq += 1
            n += 1
        }
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM chain_head WHERE id = 1")
        let headSeq: Int64 = head?["seq"] ?? -1, headHash: String = head?["hash"] ?? ""
        if headSeq != expectedSeq - 1 || headHash != prev {
            return Report(
                entries: n, headSeq: headSeq, headHash: headHash,
                firstBreak: Break(
                    seq: expectedSeq, row: "head",
                    problem:
                        """
                        the chain head names seq \(headSeq) but the last entry is seq \(expectedSeq - 1) (entries at \
                        the end were deleted, or the head was edited)
                        """
                ))
        }
        return Report(entries: n, headSeq: headSeq, headHash: headHash, firstBreak: nil)
    }

    static func loadDecision(_ db: Database, id: Int64) throws -> DecisionContent {
        guard let h = try DecisionHeader.fetchOne(db, sql: "SELECT * FROM decisions WHERE id = ?", arguments: [id])
        else {
            throw AuditError.notFound("decision \(id)")
        }
        return DecisionContent(
            header: h,
            verdicts: try VerdictRow.fetchAll(
                db, sql: "SELECT * FROM recipient_verdicts WHERE decision_id = ? ORDER BY group_index, ordinal",
                arguments: [id]),
            reasons: try ReasonRow.fetchAll(
                db, sql: "SELECT * FROM reasons WHERE decision_id = ? ORDER BY group_index, ordinal", arguments: [id]),
            findings: try FindingRow.fetchAll(
                db, sql: "SELECT * FROM findings WHERE decision_id = ? ORDER BY ordinal", arguments: [id]),
            attachments: try AttachmentRow.fetchAll(
                db, sql: "SELECT * FROM attachments WHERE decision_id = ? ORDER BY ordinal", arguments: [id]))
    }

    static func loadEvent(_ db: Database, id: Int64) throws -> EventContent {
        guard let e = try EventContent.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id]) else {
            throw AuditError.notFound("event \(id)")
        }
        return e
    }

    /// The last link: the sequence number and hash the next entry links to.
    struct Head: Sendable, Hashable {
        var seq: Int64
        var hash: String
    }

    /// Reads the head inside the caller's write transaction (so two writers — the milter and a
    /// `pmark quarantine` command — serialise on SQLite's lock).
    static func head(_ db: Database) throws -> Head {
        // Cached statements: this runs on the single writer, inside the transaction the MTA
        // waits for (compiling SQL each time was measurable there).
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM chain_head WHERE id = 1"))
        else {
            throw AuditError.corrupt("the chain head is missing")
        }
        return Head(seq: row["seq"], hash: row["hash"])
    }

    /// Links one entry after `head` and moves `head` to it (no I/O: a batch of decisions reads
    /// the head once and writes it once, see ``store(_:_:)``).
    static func advance(_ head: inout Head, kind: String, content: [UInt8]) -> (seq: Int64, prev: String, hash: String)
    {
        let seq = head.seq + 1
        let prev = head.hash
        let hash = link(seq: seq, kind: kind, prev: prev, content: content)
        head = Head(seq: seq, hash: hash)
        return (seq, prev, hash)
    }

    /// Writes the head after the entries linked in this transaction.
    static func store(_ db: Database, _ head: Head) throws {
        try db.cachedStatement(sql: "UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1").execute(arguments: [
            head.seq, head.hash,
        ])
    }

    /// Appends one entry: reads the head, links, updates the head (inside the caller's write
    /// transaction).
    static func next(_ db: Database, kind: String, content: [UInt8]) throws -> (seq: Int64, prev: String, hash: String)
    {
        var h = try head(db)
        let l = advance(&h, kind: kind, content: content)
        try store(db, h)
        return l
    }
}

/// Errors of the store: what and where.
public enum AuditError: Error, CustomStringConvertible, Sendable {
    case notFound(String)
    case corrupt(String)
    case newerSchema(path: String, unknown: [String])
    case invalid(String)
    case handOff(String)

    public var description: String {
        switch self {
        case .notFound(let s): "not found: \(s)"
        case .corrupt(let s): "audit store is damaged: \(s)"
        case .newerSchema(let p, let u):
            """
            \(p) was written by a newer pmark (unknown migrations: \(u.joined(separator: ", "))); refusing to write to \
            it
            """
        case .invalid(let s): s
        case .handOff(let s): "the MTA did not take the message: \(s)"
        }
    }
}
