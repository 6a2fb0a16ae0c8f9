import DecisionEngine
import Foundation

/// The strongest action a message got (block for any recipient, else the message action).
public enum ScanAction: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case allow, allowAndTag = "allow-and-tag", quarantine, block
    var strength: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: ScanAction, b: ScanAction) -> Bool { a.strength < b.strength }
}

/// `--fail-on`: the weakest result that makes the scan exit 1 ("found something").
public enum FailOn: String, Sendable, CaseIterable, Codable {
    /// a marking or content finding, or a quarantine or block
    case finding
    /// a quarantine or block
    case quarantine
    /// a block (for any recipient)
    case block
    public func matches(_ f: MessageFacts) -> Bool {
        switch self {
        case .block: return f.action == .block
        case .quarantine: return (f.action ?? .allow) >= .quarantine
        case .finding: return (f.action ?? .allow) >= .quarantine || !f.findings.isEmpty
        }
    }
}

/// `--only`: which message records are printed (the summary always counts every message).
public enum OnlyFilter: String, Sendable, CaseIterable, Codable {
    case blocked, quarantined, findings
    public func matches(_ f: MessageFacts) -> Bool {
        switch self {
        case .blocked: return f.action == .block
        case .quarantined: return f.action == .quarantine
        case .findings: return !f.findings.isEmpty
        }
    }
}

/// What the summary, the filters, the CSV and the HTML report need to know about one
/// evaluated message, whatever the record type. Built by the evaluation closure.
public struct MessageFacts: Sendable, Hashable, Codable {
    public var inspected: Bool
    /// Canonical classification; nil when unmarked or not inspected.
    public var classification: String?
    /// The classification's rank (higher is more sensitive); nil when unmarked.
    public var classificationRank: Int?
    public var action: ScanAction?
    /// Rule ids that fired (each once).
    public var rules: [String]
    /// Finding ids (marking and attachment findings, each once).
    public var findings: [String]
    public var defects: Int
    /// The subject when the policy (and options) allow it to be shown; nil otherwise.
    public var subject: String?

    public init(
        inspected: Bool, classification: String?, classificationRank: Int?, action: ScanAction?, rules: [String],
        findings: [String], defects: Int, subject: String?
    ) {
        self.inspected = inspected
        self.classification = classification
        self.classificationRank = classificationRank
        self.action = action
        self.rules = rules
        self.findings = findings
        self.defects = defects
        self.subject = subject
    }

    /// Blocked, quarantined, not inspected, or with a finding: listed in the HTML report.
    public var flagged: Bool { !inspected || (action ?? .allow) >= .quarantine || !findings.isEmpty }

    enum CodingKeys: String, CodingKey {
        case inspected, action, subject
        case classification = "classification_name", classificationRank = "classification_rank"
        case rules = "rules_fired", findings = "finding_ids", defects = "defect_count"
    }
}

/// Counters by key, encoded as a JSON object with sorted keys.
public typealias Counts = [String: Int]

/// The final record of a scan: totals merged over every worker, and over shards by `merge`.
public struct ScanSummary: Sendable, Codable, Equatable {
    public var record = "summary"
    public var pmarkVersion: String
    public var policyName: String
    public var policySHA256: String
    /// `K/N` for a shard's summary; absent for a whole scan and for merged shards.
    public var shard: String?
    public var messages = 0
    public var messageBytes = 0
    public var notInspected = 0
    public var defects = 0
    public var flagged = 0
    public var failOnMatches = 0
    public var byClassification: Counts = [:]
    public var byAction: Counts = [:]
    public var byRule: Counts = [:]
    public var byFinding: Counts = [:]
    public var byMonth: Counts = [:]
    public var flaggedByMonth: Counts = [:]
    /// Files read (inputs) and their bytes on disk.
    public var filesRead = 0
    public var inputBytes = 0
    public var skipped: [SkippedFile] = []
    public var errors: [InputError] = []

    enum CodingKeys: String, CodingKey {
        case record, shard, messages, defects, flagged, skipped, errors
        case pmarkVersion = "pmark_version", policyName = "policy_name", policySHA256 = "policy_sha256"
        case messageBytes = "message_bytes", notInspected = "not_inspected", failOnMatches = "fail_on_matches"
        case byClassification = "by_classification", byAction = "by_action", byRule = "by_rule", byFinding =
            "by_finding"
        case byMonth = "by_month", flaggedByMonth = "flagged_by_month", filesRead = "files_read", inputBytes =
            "input_bytes"
    }

    public init(pmarkVersion: String, policyName: String, policySHA256: String, shard: String?) {
        self.pmarkVersion = pmarkVersion
        self.policyName = policyName
        self.policySHA256 = policySHA256
        self.shard = shard
    }

    public mutating func add(_ id: MessageIdentity, _ f: MessageFacts, failOn: FailOn) {
        messages += 1
        messageBytes += id.size
        defects += f.defects
        if !f.inspected { notInspected += 1 } else { byClassification[f.classification ?? "UNMARKED", default: 0] += 1 }
        if let a = f.action { byAction[a.rawValue, default: 0] += 1 }
        for r in f.rules { byRule[r, default: 0] += 1 }
        for x in f.findings { byFinding[x, default: 0] += 1 }
        let month = id.month ?? "unknown"
        byMonth[month, default: 0] += 1
        if f.flagged {
            flagged += 1
            flaggedByMonth[month, default: 0] += 1
        }
        if failOn.matches(f) { failOnMatches += 1 }
    }

    /// Lists in a canonical order, so a whole scan and merged shards print the same bytes.
    public mutating func normalise() {
        skipped.sort { ($0.path, $0.reason) < ($1.path, $1.reason) }
        errors.sort { ($0.path, $0.message) < ($1.path, $1.message) }
    }

    /// Adds another shard's totals.
    public mutating func merge(_ o: ScanSummary) {
        messages += o.messages
        messageBytes += o.messageBytes
        notInspected += o.notInspected
        defects += o.defects
        flagged += o.flagged
        failOnMatches += o.failOnMatches
        for (k, v) in o.byClassification { byClassification[k, default: 0] += v }
        for (k, v) in o.byAction { byAction[k, default: 0] += v }
        for (k, v) in o.byRule { byRule[k, default: 0] += v }
        for (k, v) in o.byFinding { byFinding[k, default: 0] += v }
        for (k, v) in o.byMonth { byMonth[k, default: 0] += v }
        for (k, v) in o.flaggedByMonth { flaggedByMonth[k, default: 0] += v }
        filesRead = max(filesRead, o.filesRead)
        inputBytes = max(inputBytes, o.inputBytes)
        skipped += o.skipped
        errors += o.errors
        normalise()
    }

    /// Exit status, documented like clamscan's: 0 clean, 1 something at or above `--fail-on`
    /// was found, 2 some input could not be read (an unreadable path, file or message; this
    /// wins over 1 because the scan is incomplete — the summary still counts what was found).
    public var exitStatus: Int32 {
        if !errors.isEmpty || notInspected > 0 { return 2 }
        return failOnMatches > 0 ? 1 : 0
    }

    public var jsonLine: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The human-readable summary that ends a text scan (and goes to stderr with CSV).
    public var text: String {
        var out =
            """
            \n\(messages) message(s), \(notInspected) not inspected, \(defects) defect(s); \(filesRead) file(s) read, \
            \(skipped.count) skipped, \(errors.count) could not be read\n
            """
        if let shard { out += "shard \(shard)\n" }
        if !byClassification.isEmpty {
            out +=
                "by classification: "
                + byClassification.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "\n"
        }
        out +=
            "decisions (policy '\(policyName)' \(policySHA256.prefix(12))): "
            + ScanAction.allCases.map { "\($0.rawValue) \(byAction[$0.rawValue] ?? 0)" }.joined(separator: ", ") + "\n"
        if !byRule.isEmpty {
            let titles = Dictionary(uniqueKeysWithValues: Rules.all.map { ($0.id, $0.title) })
            out += "rules fired (messages):\n"
            for (rule, n) in byRule.sorted(by: { $0.key < $1.key }) {
                out += "  " + rule.padded(13) + String(n).leftPadded(5) + "  \(titles[rule] ?? "")\n"
            }
        }
        if !byFinding.isEmpty {
            out +=
                "messages with findings: "
                + byFinding.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        for s in skipped { out += "skipped: \(s.path): \(s.reason)\n" }
        for e in errors { out += "could not read: \(e.path): \(e.message)\n" }
        return out
    }
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
