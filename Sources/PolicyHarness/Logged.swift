import AuditStore
import DecisionEngine
import Foundation
import PolicyLanguage

/// The `logged: true` expectation: the case's decision is recorded in an audit store through the
/// store's own recording path (the one `pmark milter --audit` and `pmark scan --audit` use:
/// prepare, then a committed write with `synchronous = FULL`), in a temporary SQLite file with the
/// gateway's options under the policy's privacy settings, and read back as `pmark audit list`
/// reads it. What an auditor can rely on when the case passes:
/// - exactly one decision was stored, with the verdict's message action;
/// - every recipient with its path and action (in the stored form the privacy settings give:
///   the address, or its keyed hash);
/// - every reason with its rule id, action and NZISM control;
/// - the message bytes kept when the message is held or blocked for anyone (so it can be
///   released or produced as evidence);
/// - no subject kept unless the policy's `log-subjects` allows it;
/// - the store's hash chain verifies.
/// A passing `logged: true` on a blocked message demonstrates NZISM 15.2.40.C.02 [CID:1761]
/// ("every blocked email is logged").
enum LoggedCheck {
    /// The control a passing `logged: true` on a block demonstrates.
    static var control: String { HarnessVocabulary.paragraph(Rules.blockLoggedControl) }

    /// The differences between what the store kept and the verdict (empty: logged as decided).
    static func check(_ c: PolicyTestCase, verdict v: Verdict, envelope: Envelope, bytes: [UInt8], policy: Policy)
        -> [String]
    {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pmark-test-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let store = try AuditStore(
                path: dir.appendingPathComponent("audit.sqlite").path, options: .init(privacy: policy.privacy))
            let event = DecisionEvent(
                unixTime: 0, origin: .check(source: "\(c.file):\(c.location.line)"), envelope: envelope, verdict: v,
                messageBytes: bytes)
            try store.appendSync([event])
            let stored = try store.records(AuditFilter())
            guard stored.count == 1, let r = stored.first else {
                return ["logged: the audit store holds \(stored.count) decisions after recording one"]
            }
            return compare(r, v, store: store, privacy: policy.privacy, chainIntact: try store.verify().isIntact)
        } catch {
            return ["logged: the decision could not be recorded in an audit store: \(error)"]
        }
    }

    static func compare(_ r: AuditRecord, _ v: Verdict, store: AuditStore, privacy: Privacy, chainIntact: Bool)
        -> [String]
    {
        var out: [String] = []
        if r.action != v.messageAction.rawValue {
            out.append("logged: action \(r.action) stored, the decision was \(v.messageAction.rawValue)")
        }
        let storedForm = { (a: String) in privacy.logAddresses ? a : store.addressKey(a) }
        func key(_ s: [String]) -> [String] { s.sorted() }
        let wantRecipients = key(
            v.decisions.flatMap { d in d.recipients.map { "\(storedForm($0)) \(d.path) \(d.action.rawValue)" } })
        let gotRecipients = key(r.recipients.map { "\($0.recipient) \($0.path) \($0.action)" })
        if wantRecipients != gotRecipients {
            out.append(
                """
                logged: recipients stored \(gotRecipients.count), decided \(wantRecipients.count), or their paths or \
                actions differ
                """
            )
        }
        let wantReasons = key(
            v.decisions.flatMap { d in
                d.reasons.map {
                    "\($0.rule.id) \($0.action.rawValue) \(HarnessVocabulary.paragraph($0.rule.controls.first ?? ""))"
                }
            })
        let gotReasons = key(r.reasons.map { "\($0.rule) \($0.action) \($0.control)" })
        if wantReasons != gotReasons {
            out.append(
                """
                logged: reasons stored [\(gotReasons.joined(separator: "; "))], decided \
                [\(wantReasons.joined(separator: "; "))]
                """
            )
        }
        let held =
            v.messageAction == .quarantine || v.decisions.contains { $0.action == .block && !$0.recipients.isEmpty }
        if held && r.quarantine == nil {
            out.append("logged: the message is held or blocked but its bytes were not kept")
        }
        if !privacy.logSubjects && r.subject != nil {
            out.append("logged: a subject was stored although the policy's privacy settings withhold it")
        }
        if !chainIntact { out.append("logged: the audit store's hash chain does not verify") }
        return out
    }
}
