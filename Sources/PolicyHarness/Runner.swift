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
    public var passed: Bool { failures.isEmpty }
}

/// Which rules and NZISM controls the cases exercised, per policy.
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
        return t == 0 ? 100 : 100 * Double(entries.reduce(0) { $0 + $1.rules.count - $1.uncoveredRules.count }) / Double(t)
    }
    public var controlPercent: Double {
        let t = entries.reduce(0) { $0 + $1.controls.count }
        return t == 0 ? 100 : 100 * Double(entries.reduce(0) { $0 + $1.controls.count - $1.uncoveredControls.count }) / Double(t)
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
    public init(policyOverride: Policy? = nil) { self.policyOverride = policyOverride }

    public func run(_ files: [PolicyTestFile]) throws -> HarnessReport {
        var results: [CaseResult] = []
        var engines: [String: Engine] = [:]
        var fired: [String: Set<String>] = [:]
        var policies: [String: Policy] = [:]
        for f in files {
            let policy: Policy
            if let o = policyOverride { policy = o }
            else if let p = f.policy { policy = try PolicyLoader.load(contentsOf: p) }
            else { policy = try PolicyLoader.embeddedDefault() }
            let key = policy.name + "#" + policy.contentHash
            if engines[key] == nil { engines[key] = try Engine(policy: policy, documents: OOXMLReader()); policies[key] = policy }
            let engine = engines[key]!
            for c in f.cases {
                var r = evaluate(c, engine: engine)
                r.policyName = policy.name
                if let v = r.verdict { fired[key, default: []].formUnion(v.decisions.flatMap(\.reasons).map(\.rule.id)) }
                results.append(r)
            }
        }
        var entries: [Coverage.Entry] = []
        for (key, policy) in policies.sorted(by: { $0.key < $1.key }) {
            let applicable = Rules.applicable(to: policy)
            let got = fired[key] ?? []
            let controls = Array(Set(applicable.flatMap(\.controls))).sorted()
            let coveredControls = Set(applicable.filter { got.contains($0.id) }.flatMap(\.controls))
            entries.append(Coverage.Entry(policy: policy.name, rules: applicable.map(\.id), uncoveredRules: applicable.map(\.id).filter { !got.contains($0) },
                                          controls: controls, uncoveredControls: controls.filter { !coveredControls.contains($0) }))
        }
        return HarnessReport(results: results, coverage: Coverage(entries: entries))
    }

    func messageBytes(_ c: PolicyTestCase) throws -> [UInt8] {
        if let f = c.message.file { return Array(try Data(contentsOf: URL(fileURLWithPath: f))) }
        var lines = ["From: \(c.message.from)"]
        let to = c.message.to.isEmpty ? c.envelope.recipients : c.message.to
        if !to.isEmpty { lines.append("To: " + to.joined(separator: ", ")) }
        if let s = c.message.subject { lines.append("Subject: \(s)") }
        lines += c.message.headers
        guard !c.message.attachments.isEmpty else { return Array((lines.joined(separator: "\n") + "\n\n" + c.message.body).utf8) }
        // Generated attachments: multipart/mixed with the body first, each attachment base64-encoded.
        let b = "=_pmark_test_boundary"
        lines += ["MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"\(b)\""]
        var text = lines.joined(separator: "\n") + "\n\n--\(b)\nContent-Type: text/plain; charset=utf-8\n\n" + c.message.body + "\n"
        for a in c.message.attachments {
            text += "--\(b)\nContent-Type: \(a.type); name=\"\(a.name)\"\nContent-Disposition: attachment; filename=\"\(a.name)\"\n"
            text += "Content-Transfer-Encoding: base64\n\n" + Data(a.content.utf8).base64EncodedString(options: .lineLength76Characters) + "\n"
        }
        return Array((text + "--\(b)--\n").utf8)
    }

    func evaluate(_ c: PolicyTestCase, engine: Engine) -> CaseResult {
        let bytes: [UInt8]
        do { bytes = try messageBytes(c) } catch {
            return CaseResult(testCase: c, policyName: "", failures: ["cannot read message file \(c.message.file ?? "")"], verdict: nil)
        }
        // The envelope the case gives, its gaps filled from the headers by the engine (one parse).
        let v = engine.evaluate(bytes: bytes, envelope: c.envelope, envelopeFromHeaders: true).verdict
        return CaseResult(testCase: c, policyName: "", failures: Self.compare(c.expect, v), verdict: v)
    }

    /// Expected versus actual, one line per difference.
    static func compare(_ x: PolicyTestCase.Expectation, _ v: Verdict) -> [String] {
        var out: [String] = []
        if let d = x.decision, d != v.messageAction.rawValue { out.append("decision: expected \(d), got \(v.messageAction.rawValue)") }
        for (r, a) in x.recipients.sorted(by: { $0.key < $1.key }) {
            let got = v.decisions.first { $0.recipients.contains(r) }?.action.rawValue ?? "(not a recipient)"
            if got != a { out.append("recipient \(r): expected \(a), got \(got)") }
        }
        for (p, a) in x.paths.sorted(by: { $0.key < $1.key }) {
            let got = v.decisions.filter { $0.path == p }.map(\.action).max()?.rawValue ?? "(no recipient on this path)"
            if got != a { out.append("path \(p): expected \(a), got \(got)") }
        }
        let fired = Set(v.decisions.flatMap(\.reasons).map(\.rule.id))
        for r in x.rules where !fired.contains(r) { out.append("rule \(r): expected to fire, did not (fired: \(fired.sorted().joined(separator: ", ").ifEmpty("none")))") }
        for r in x.notRules where fired.contains(r) { out.append("rule \(r): expected not to fire, fired") }
        let findings = Set(v.markings?.findings.map(\.id.rawValue) ?? [])
        for f in x.findings where !findings.contains(f) { out.append("finding \(f): expected, not raised (raised: \(findings.sorted().joined(separator: ", ").ifEmpty("none")))") }
        for f in x.notFindings where findings.contains(f) { out.append("finding \(f): not expected, raised") }
        if let c = x.classification {
            let got = v.markings?.classification?.name ?? "UNMARKED"
            if c.uppercased() != got { out.append("classification: expected \(c), got \(got)") }
        }
        return out
    }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
