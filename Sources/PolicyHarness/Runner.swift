import DecisionEngine
import Foundation
import MailParsing
import OfficeDocuments
import PolicyLanguage

/// The outcome of one case.
public struct CaseResult: Sendable {
    public var testCase: PolicyTestCase
    public var policyName: String
    public var failures: [String]
    public var verdict: Verdict?
    /// Wall time spent building and evaluating the message (seconds), for JUnit.
    public var seconds: Double = 0
    /// Rules this case demonstrates: asserted to fire, or producing an asserted decision.
    public var demonstratedRules: Set<String> = []
    /// NZISM paragraphs this case demonstrates (the controls of `demonstratedRules`, and the
    /// notice controls when the case asserts that a notice goes out).
    public var demonstratedControls: Set<String> = []
    public var passed: Bool { failures.isEmpty }
}

/// Which rules and NZISM controls the cases demonstrated, per policy. A rule counts only when a
/// passing case asserts that it fired or asserts the decision it produced; a control counts only
/// when a passing case asserts the behaviour that implements it (a demonstrated rule citing it,
/// or `notify.recipients: true` for 15.2.41.C.02 and `notify.sender: true` for 15.2.42.C.01).
public struct Coverage: Sendable {
    public struct Entry: Sendable {
        public var policy: String
        public var rules: [String]
        public var uncoveredRules: [String]
        public var controls: [String]
        public var uncoveredControls: [String]
    }
    public var entries: [Entry]
    public var rulePercent: Double {
        let t = entries.reduce(0) { $0 + $1.rules.count }
        return t == 0
            ? 100 : 100 * Double(entries.reduce(0) { $0 + $1.rules.count - $1.uncoveredRules.count }) / Double(t)
    }
    public var controlPercent: Double {
        let t = entries.reduce(0) { $0 + $1.controls.count }
        return t == 0
            ? 100 : 100 * Double(entries.reduce(0) { $0 + $1.controls.count - $1.uncoveredControls.count }) / Double(t)
    }
}

public struct HarnessReport: Sendable {
    public var results: [CaseResult]
    public var coverage: Coverage
    public var passed: Int { results.filter(\.passed).count }
    public var failed: Int { results.count - passed }
}

/// Runs policy test files through the decision engine — the same entry point the gateway uses,
/// so a passing case is a statement about production behaviour.
public struct HarnessRunner {
    /// Overrides the policy named in each test file.
    public var policyOverride: Policy?
    /// Runs only the cases whose name matches (`pmark test --run REGEX`).
    public var only: NSRegularExpression?
    /// The rule definitions the engine evaluates and coverage counts (``Rules/all``).
    public var rules: [Rule] = Rules.all
    public init(policyOverride: Policy? = nil, only: NSRegularExpression? = nil, rules: [Rule] = Rules.all) {
        self.policyOverride = policyOverride
        self.only = only
        self.rules = rules
    }

    /// The policy a test file runs against.
    public func policy(for f: PolicyTestFile) throws -> Policy {
        if let o = policyOverride { return o }
        if let p = f.policy { return try PolicyLoader.load(contentsOf: p) }
        return try PolicyLoader.embeddedDefault()
    }

    public func run(_ files: [PolicyTestFile]) throws -> HarnessReport {
        var results: [CaseResult] = []
        var engines: [String: Engine] = [:]
        var demonstrated: [String: (rules: Set<String>, controls: Set<String>)] = [:]
        var policies: [String: Policy] = [:]
        var ran = Set<String>()  // policies with at least one case run (--run may select none)
        for f in files {
            let policy = try self.policy(for: f)
            let key = policy.name + "#" + policy.contentHash
            if engines[key] == nil {
                engines[key] = try Engine(policy: policy, documents: OOXMLReader(), rules: rules)
                policies[key] = policy
            }
            guard let engine = engines[key] else { continue }
            var fileResults: [CaseResult] = []
            defer { if !fileResults.isEmpty { ran.insert(key) } }
            let applicableIDs = Set(Rules.applicable(to: policy, rules: rules).map(\.id))
            for c in f.cases where matches(c.name) {
                var r = evaluate(c, engine: engine)
                r.policyName = policy.name
                // An assertion about a rule that cannot fire under this policy checks nothing.
                for id in c.expect.notRules where !applicableIDs.contains(id) {
                    r.failures.append(
                        """
                        not-rules: \(id) cannot fire under policy '\(policy.name)', so asserting that it does not fire \
                        checks nothing
                        """
                    )
                }
                fileResults.append(r)
            }
            Self.checkTags(&fileResults)
            for r in fileResults where r.passed {
                demonstrated[key, default: ([], [])].rules.formUnion(r.demonstratedRules)
                demonstrated[key, default: ([], [])].controls.formUnion(r.demonstratedControls)
            }
            results += fileResults
        }
        var entries: [Coverage.Entry] = []
        let citations = HarnessVocabulary.citations
        for (key, policy) in policies.sorted(by: { $0.key < $1.key }) where ran.contains(key) {
            let applicable = Rules.applicable(to: policy, rules: rules)
            let got = demonstrated[key] ?? ([], [])
            let controls = Set(applicable.flatMap(\.controls).map(HarnessVocabulary.paragraph) + Self.noticeControls)
                .sorted()
            entries.append(
                Coverage.Entry(
                    policy: policy.name, rules: applicable.map(\.id),
                    uncoveredRules: applicable.map(\.id).filter { !got.rules.contains($0) },
                    controls: controls.map { citations[$0] ?? $0 },
                    uncoveredControls: controls.filter { !got.controls.contains($0) }.map { citations[$0] ?? $0 }))
        }
        return HarnessReport(results: results, coverage: Coverage(entries: entries))
    }

    /// Controls implemented by notices and the audit log rather than rules; every policy can
    /// send both notices, and every decision it makes is logged (15.2.40.C.02, asserted with
    /// `logged: true` on a blocked message).
    static let noticeControls = [Rules.recipientNoticeControl, Rules.senderNoticeControl, Rules.blockLoggedControl].map(
        HarnessVocabulary.paragraph)

    func matches(_ name: String) -> Bool {
        guard let only else { return true }
        return only.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    /// The message under test: the fixture file, or one built from the inline fields.
    public static func messageBytes(_ c: PolicyTestCase) throws -> [UInt8] {
        if let f = c.message.file { return Array(try Data(contentsOf: URL(fileURLWithPath: f))) }
        var lines = ["From: \(c.message.from)"]
        let to = c.message.to.isEmpty ? c.envelope.recipients : c.message.to
        if !to.isEmpty { lines.append("To: " + to.joined(separator: ", ")) }
        if let s = c.message.subject { lines.append("Subject: \(s)") }
        lines += c.message.headers
        guard !c.message.attachments.isEmpty else {
            return Array((lines.joined(separator: "\n") + "\n\n" + c.message.body).utf8)
        }
        // Generated attachments: multipart/mixed with the body first, each attachment base64-encoded.
        let b = "=_pmark_test_boundary"
        lines += ["MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"\(b)\""]
        var text =
            lines.joined(separator: "\n") + "\n\n--\(b)\nContent-Type: text/plain; charset=utf-8\n\n" + c.message.body
            + "\n"
        for a in c.message.attachments {
            text +=
                """
                --\(b)\nContent-Type: \(a.type); name="\(a.name)"\nContent-Disposition: attachment; \
                filename="\(a.name)"\n
                """
            text +=
                "Content-Transfer-Encoding: base64\n\n"
                + Data(a.bytes).base64EncodedString(options: .lineLength76Characters) + "\n"
        }
        return Array((text + "--\(b)--\n").utf8)
    }

    func evaluate(_ c: PolicyTestCase, engine: Engine) -> CaseResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let bytes: [UInt8]
        do { bytes = try Self.messageBytes(c) } catch {
            // A missing fixture fails this case, at the position of its `file:` key; the rest run.
            let at = c.message.fileLocation ?? c.location
            return CaseResult(
                testCase: c, policyName: "",
                failures: [
                    """
                    \(at): message file '\(c.message.file ?? "")' cannot be read (message files resolve against the \
                    test file's folder)
                    """
                ],
                verdict: nil, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        // The envelope the case gives, its gaps filled from the headers by the engine (one parse).
        let evaluation = engine.evaluate(bytes: bytes, envelope: c.envelope, envelopeFromHeaders: true)
        let v = evaluation.verdict
        var r = CaseResult(testCase: c, policyName: "", failures: Self.compare(c.expect, v), verdict: v)
        (r.demonstratedRules, r.demonstratedControls) = Self.demonstrated(c.expect, v)
        if c.expect.logged == true {
            let logged = LoggedCheck.check(
                c, verdict: v, envelope: evaluation.envelope, bytes: bytes, policy: engine.policy)
            r.failures += logged
            if logged.isEmpty, v.decisions.contains(where: { $0.action == .block }) {
                r.demonstratedControls.insert(LoggedCheck.control)
            }
        }
        r.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return r
    }

    /// A tagged control is a claim: the case (over all its `each:` items) must assert the
    /// behaviour that implements it, or every item of the case fails.
    static func checkTags(_ results: inout [CaseResult]) {
        var groups: [SourceLocation: Set<String>] = [:]
        for r in results { groups[r.testCase.caseLocation, default: []].formUnion(r.demonstratedControls) }
        for i in results.indices {
            let c = results[i].testCase
            for tag in c.controls where !(groups[c.caseLocation] ?? []).contains(tag) {
                results[i].failures.append(
                    """
                    controls: tagged \(tag), but nothing this case asserts implements it (assert that a rule citing it \
                    fired, the decision such a rule produced, or the notice)
                    """
                )
            }
        }
    }

    /// What a case's assertions demonstrate against the actual verdict.
    static func demonstrated(_ x: PolicyTestCase.Expectation, _ v: Verdict) -> (
        rules: Set<String>, controls: Set<String>
    ) {
        var rules = Set(x.rules ?? [])
        func producing(_ ds: [RecipientDecision], _ action: String) {
            for d in ds where d.action.rawValue == action {
                for reason in d.reasons where reason.action == d.action { rules.insert(reason.rule.id) }
            }
        }
        if let d = x.decision { producing(v.decisions, d) }
        for (r, a) in x.recipients { producing(v.decisions.filter { $0.recipients.contains(r) }, a) }
        for (p, a) in x.paths { producing(v.decisions.filter { $0.path == p }, a) }
        let fired = v.decisions.flatMap(\.reasons).map(\.rule)
        var controls = Set(fired.filter { rules.contains($0.id) }.flatMap(\.controls).map(HarnessVocabulary.paragraph))
        if x.notifyRecipients == true && v.notifyRecipients {
            controls.insert(HarnessVocabulary.paragraph(Rules.recipientNoticeControl))
        }
        if x.notifySender == true && v.notifySender {
            controls.insert(HarnessVocabulary.paragraph(Rules.senderNoticeControl))
        }
        return (rules.intersection(fired.map(\.id)), controls)
    }

    /// A one-line summary of a verdict: the message action, each recipient group's action and
    /// rules, the classification and the notices. Used in failure text, JUnit and policy diff.
    public static func summary(_ v: Verdict) -> String {
        let groups = v.decisions.map { d in
            let rules = Array(Set(d.reasons.map(\.rule.id))).sorted()
            return "\(d.path) \(d.action.rawValue)" + (rules.isEmpty ? "" : " (\(rules.joined(separator: ", ")))")
        }
        var notices: [String] = []
        if v.notifyRecipients { notices.append("recipients") }
        if v.notifySender { notices.append("sender") }
        return
            """
            \(v.messageAction.rawValue) [\(groups.joined(separator: "; "))], classification \
            \(v.markings?.classification?.name ?? "UNMARKED")
            """
                + (notices.isEmpty ? "" : ", notify \(notices.joined(separator: "+"))")
    }

    /// Expected versus actual, one line per difference.
    static func compare(_ x: PolicyTestCase.Expectation, _ v: Verdict) -> [String] {
        var out: [String] = []
        if let d = x.decision, d != v.messageAction.rawValue {
            out.append("decision: expected \(d), got \(v.messageAction.rawValue)")
        }
        for (r, a) in x.recipients.sorted(by: { $0.key < $1.key }) {
            let got = v.decisions.first { $0.recipients.contains(r) }?.action.rawValue ?? "(not a recipient)"
            if got != a { out.append("recipient \(r): expected \(a), got \(got)") }
        }
        for (p, a) in x.paths.sorted(by: { $0.key < $1.key }) {
            let got = v.decisions.filter { $0.path == p }.map(\.action).max()?.rawValue ?? "(no recipient on this path)"
            if got != a { out.append("path \(p): expected \(a), got \(got)") }
        }
        let fired = Set(v.decisions.flatMap(\.reasons).map(\.rule.id))
        if let rules = x.rules {
            if rules.isEmpty, !fired.isEmpty {
                out.append("rules: expected no rule to fire, fired: \(fired.sorted().joined(separator: ", "))")
            }
            for r in rules where !fired.contains(r) {
                out.append(
                    """
                    rule \(r): expected to fire, did not (fired: \
                    \(fired.sorted().joined(separator: ", ").ifEmpty("none")))
                    """
                )
            }
        }
        for r in x.notRules where fired.contains(r) { out.append("rule \(r): expected not to fire, fired") }
        let findings = Set(v.markings?.findings.map(\.id.rawValue) ?? [])
        for f in x.findings where !findings.contains(f) {
            out.append(
                """
                finding \(f): expected, not raised (raised: \
                \(findings.sorted().joined(separator: ", ").ifEmpty("none")))
                """
            )
        }
        for f in x.notFindings where findings.contains(f) { out.append("finding \(f): not expected, raised") }
        if let c = x.classification {
            let got = v.markings?.classification?.name ?? "UNMARKED"
            if c != got { out.append("classification: expected \(c), got \(got)") }
        }
        if let n = x.notifyRecipients, n != v.notifyRecipients {
            out.append("notify.recipients: expected \(n), got \(v.notifyRecipients)")
        }
        if let n = x.notifySender, n != v.notifySender {
            out.append("notify.sender: expected \(n), got \(v.notifySender)")
        }
        return out
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
