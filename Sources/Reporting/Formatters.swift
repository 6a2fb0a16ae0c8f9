import DecisionEngine
import Foundation
import PolicyLanguage

extension DecisionRecord {
    /// The human-readable report (`pmark check`, `pmark scan` text output).
    public var text: String {
        var s = "\(source)\n"
        if let e = error {
            s += "  NOT INSPECTED: \(e.message)\n"
        } else {
            s += "  subject:   \(subject.map { $0.isEmpty ? "(empty)" : $0 } ?? "(none)")\n"
            s += "  structure: \(structure ?? "")\n"
            if let cls = classification {
                let e = (endorsements ?? []).isEmpty ? "" : " // " + (endorsements ?? []).joined(separator: ", ")
                s += "  marking:   \(cls ?? "UNMARKED")\(e)\n"
                for r in readings ?? [] { s += "    read \(r.marking ?? "(does not parse)") at \(r.location)\n" }
                for f in findings ?? [] {
                    s +=
                        "  finding:   \(f.id.rawValue) at \(f.location)" + (f.detail.isEmpty ? "" : " (\(f.detail))")
                        + "\n"
                }
                if let af = autoForward, !af.isEmpty { s += "  auto-forwarded: \(af.joined(separator: ", "))\n" }
                for a in attachments ?? [] {
                    s +=
                        "  content:   \(a.location) \(a.detected) [\(a.family.rawValue)] \(a.size) bytes"
                        + a.findings.map { "; \($0.id.rawValue): \($0.detail)" }.joined() + "\n"
                }
            }
        }
        if let d = decision {
            s +=
                "  decision:  \(d.messageAction.rawValue.uppercased()) (\(d.direction.rawValue), policy '\(d.policy.name)' \(d.policy.sha256.prefix(12)))\n"
            for g in d.groups {
                s += "    \(g.action.rawValue.uppercased()) via \(g.path) for \(g.recipients.joined(separator: ", "))\n"
                for r in g.reasons {
                    s +=
                        "      \(r.rule) \(r.title): \(r.evidence) [\(r.controls.joined(separator: "; "))] -> \(r.action.rawValue)\n"
                }
            }
            if d.notifyRecipients {
                s += "    the intended recipients are to be notified (\(Rules.recipientNoticeControl))\n"
            }
            if d.notifySender {
                s += "    the sender may be notified (verified sender, \(Rules.senderNoticeControl))\n"
            }
        }
        if !defects.isEmpty {
            s +=
                "  defects:   " + defects.map { "\($0.kind.rawValue)@\($0.offset)[\($0.part)]" }.joined(separator: ", ")
                + "\n"
        }
        return s
    }

}

/// Totals over a run of records (`pmark scan`'s closing summary).
public struct ScanSummary: Sendable {
    public var total = 0
    public var notInspected = 0
    public var defects = 0
    public var byAction: [Action: Int] = [:]
    public var byRule: [String: Int] = [:]
    public var byClassification: [String: Int] = [:]
    public var byFinding: [String: Int] = [:]
    public var policyName = ""
    public var policyHash = ""

    public init(policy: Policy) {
        policyName = policy.name
        policyHash = policy.contentHash
    }

    public mutating func add(_ r: DecisionRecord) {
        total += 1
        if r.error != nil { notInspected += 1 }
        defects += r.defects.count
        if let c = r.classification { byClassification[c ?? "UNMARKED", default: 0] += 1 }
        for f in Set((r.findings ?? []).map(\.id.rawValue)) { byFinding[f, default: 0] += 1 }
        if let d = r.decision {
            policyName = d.policy.name
            policyHash = d.policy.sha256
            byAction[d.messageAction, default: 0] += 1
            for rule in Set(d.groups.flatMap(\.reasons).map(\.rule)) { byRule[rule, default: 0] += 1 }
        }
    }

    public var text: String {
        var s = "\n\(total) message(s), \(notInspected) not inspected, \(defects) defect(s)\n"
        if !byClassification.isEmpty {
            s +=
                "by classification: "
                + byClassification.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + "\n"
        }
        s +=
            "decisions (policy '\(policyName)' \(policyHash.prefix(12))): "
            + [Action.allow, .allowAndTag, .quarantine, .block].map { "\($0.rawValue) \(byAction[$0] ?? 0)" }.joined(
                separator: ", ") + "\n"
        if !byRule.isEmpty {
            let titles = Dictionary(uniqueKeysWithValues: Rules.all.map { ($0.id, $0.title) })
            s += "rules fired (messages):\n"
            for (rule, n) in byRule.sorted(by: { $0.key < $1.key }) {
                let id = rule.count >= 13 ? rule : rule + String(repeating: " ", count: 13 - rule.count)
                let count = String(n)
                s +=
                    "  " + id + String(repeating: " ", count: max(0, 5 - count.count)) + count
                    + "  \(titles[rule] ?? "")\n"
            }
        }
        if !byFinding.isEmpty {
            s +=
                "messages with findings: "
                + byFinding.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        return s
    }
}
