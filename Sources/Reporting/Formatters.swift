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
                """
                  decision:  \(d.messageAction.rawValue.uppercased()) (\(d.direction.rawValue), policy \
                '\(d.policy.name)' \(d.policy.sha256.prefix(12)))\n
                """
            for g in d.groups {
                s += "    \(g.action.rawValue.uppercased()) via \(g.path) for \(g.recipients.joined(separator: ", "))\n"
                for r in g.reasons {
                    s +=
                        """
                              \(r.rule) \(r.title): \(r.evidence) [\(r.controls.joined(separator: "; "))] -> \
                        \(r.action.rawValue)\n
                        """
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
