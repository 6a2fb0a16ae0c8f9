import DecisionEngine
import Foundation
import MailParsing
import OfficeDocuments
import PolicyLanguage

/// What changes between two versions of a policy: every setting that differs, and every test
/// case or corpus message whose verdict differs, with both verdicts — so a policy change can be
/// approved from evidence (`pmark policy diff OLD NEW --suite DIR --corpus PATH`).
public struct PolicyDiff: Sendable {
    /// One setting, old and new value (`paths.internet.ceiling: IN-CONFIDENCE → RESTRICTED`).
    public struct SettingChange: Sendable, Equatable, CustomStringConvertible {
        public var setting: String
        public var old: String
        public var new: String
        public var description: String { "\(setting): \(old) → \(new)" }
    }
    /// A case or message whose verdict changes.
    public struct VerdictChange: Sendable, Equatable {
        /// The case name, or the corpus file's path.
        public var name: String
        /// `file:line:column` of the case, or the corpus file's path.
        public var location: String
        public var old: String
        public var new: String
    }
    public var settings: [SettingChange]
    public var cases: [VerdictChange]
    public var messages: [VerdictChange]
    public var casesCompared: Int
    public var messagesCompared: Int
    /// Corpus files that could not be read (listed, never skipped silently).
    public var unreadable: [String]
    public var isEmpty: Bool { settings.isEmpty && cases.isEmpty && messages.isEmpty }

    /// Compares two policies' settings, then evaluates every case of `suite` (against both
    /// policies, whatever policy the test files name) and every message file under `corpus`.
    public static func compare(old: Policy, new: Policy, suite: [PolicyTestFile] = [], corpus: [String] = []) throws
        -> PolicyDiff
    {
        let a = try Engine(policy: old, documents: OOXMLReader()), b = try Engine(policy: new, documents: OOXMLReader())
        var cases: [VerdictChange] = []
        var compared = 0
        for f in suite {
            for c in f.cases {
                compared += 1
                guard let bytes = try? HarnessRunner.messageBytes(c) else {
                    cases.append(
                        VerdictChange(
                            name: c.name, location: c.location.description, old: "(message file cannot be read)",
                            new: "(message file cannot be read)"))
                    continue
                }
                let (va, vb) = (summary(a, bytes, c.envelope), summary(b, bytes, c.envelope))
                if va != vb {
                    cases.append(VerdictChange(name: c.name, location: c.location.description, old: va, new: vb))
                }
            }
        }
        var messages: [VerdictChange] = []
        var unreadable: [String] = []
        let files = messageFiles(corpus)
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                unreadable.append(path)
                continue
            }
            let bytes = Array(data)
            let (va, vb) = (summary(a, bytes, Envelope(recipients: [])), summary(b, bytes, Envelope(recipients: [])))
            if va != vb { messages.append(VerdictChange(name: path, location: path, old: va, new: vb)) }
        }
        return PolicyDiff(
            settings: settings(old, new), cases: cases, messages: messages, casesCompared: compared,
            messagesCompared: files.count - unreadable.count, unreadable: unreadable)
    }

    /// The engine's one entry point, as the harness and the gateway call it: the envelope's gaps
    /// are filled from the message headers.
    static func summary(_ e: Engine, _ bytes: [UInt8], _ env: Envelope) -> String {
        HarnessRunner.summary(e.evaluate(bytes: bytes, envelope: env, envelopeFromHeaders: true).verdict)
    }

    /// Message files: each path itself, or every regular file under a folder (sorted; hidden
    /// files and `.yaml`/`.txt` side files are left out).
    public static func messageFiles(_ paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                out.append(p)
                continue
            }
            guard isDir.boolValue else {
                out.append(p)
                continue
            }
            let e = fm.enumerator(atPath: p)
            while let f = e?.nextObject() as? String {
                let name = (f as NSString).lastPathComponent
                if name.hasPrefix(".") || [".yaml", ".yml", ".txt", ".md", ".json"].contains(where: name.hasSuffix) {
                    continue
                }
                let full = (p as NSString).appendingPathComponent(f)
                var d: ObjCBool = false
                if fm.fileExists(atPath: full, isDirectory: &d), !d.boolValue { out.append(full) }
            }
        }
        return out.sorted()
    }

    /// Every setting that differs between two policies, in policy-file order.
    public static func settings(_ a: Policy, _ b: Policy) -> [SettingChange] {
        var out: [SettingChange] = []
        func cmp(_ name: String, _ x: String, _ y: String) {
            if x != y { out.append(SettingChange(setting: name, old: x, new: y)) }
        }
        func list<S: Sequence>(_ s: S) -> String where S.Element == String {
            let v = s.sorted()
            return v.isEmpty ? "[]" : "[" + v.joined(separator: ", ") + "]"
        }
        func reach(_ r: PathReach) -> String {
            switch r {
            case .any: "any"
            case .countries(let c): list(c)
            }
        }
        cmp("policy.name", a.name, b.name)
        cmp("organisation.domains", list(a.domains), list(b.domains))
        cmp("organisation.internal-only-aliases", list(a.internalOnlyAliases), list(b.internalOnlyAliases))
        cmp("system.name", a.systemName, b.systemName)
        cmp("system.accreditation", a.accreditation.name, b.accreditation.name)
        cmp("system.endorsements", list(a.systemEndorsements), list(b.systemEndorsements))
        let pa = Dictionary(a.paths.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let pb = Dictionary(b.paths.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let names = (a.paths.map(\.name) + b.paths.map(\.name).filter { pa[$0] == nil }).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        for name in names {
            let k = "paths.\(name)"
            switch (pa[name], pb[name]) {
            case (nil, let n?):
                cmp(k, "(absent)", "ceiling \(n.ceiling.name), countries \(reach(n.reach)), domains \(list(n.domains))")
            case (let o?, nil):
                cmp(k, "ceiling \(o.ceiling.name), countries \(reach(o.reach)), domains \(list(o.domains))", "(absent)")
            case (let o?, let n?):
                cmp(k + ".ceiling", o.ceiling.name, n.ceiling.name)
                cmp(k + ".countries", reach(o.reach), reach(n.reach))
                cmp(k + ".endorsements", list(o.endorsements), list(n.endorsements))
                cmp(k + ".domains", list(o.domains), list(n.domains))
                cmp(k + ".default", "\(o.isDefault)", "\(n.isDefault)")
            default: break
            }
        }
        cmp("vocabulary.codewords", list(a.vocabulary.codewords), list(b.vocabulary.codewords))
        cmp(
            "vocabulary.endorsements", list(a.vocabulary.policyEndorsements.map { $0.joined(separator: " ") }),
            list(b.vocabulary.policyEndorsements.map { $0.joined(separator: " ") }))
        cmp(
            "vocabulary.label-map", list(a.vocabulary.labelMap.map { "\($0.key): \($0.value)" }),
            list(b.vocabulary.labelMap.map { "\($0.key): \($0.value)" }))
        cmp(
            "vocabulary.australian", list(a.vocabulary.australian.map { "\($0.key): \($0.value)" }),
            list(b.vocabulary.australian.map { "\($0.key): \($0.value)" }))
        for k in ActionKey.allCases { cmp("actions.\(k.rawValue)", a.action(k).rawValue, b.action(k).rawValue) }
        cmp("authentication.trusted-authserv-ids", list(a.trustedAuthservIDs), list(b.trustedAuthservIDs))
        cmp("privacy.log-subjects", "\(a.logSubjects)", "\(b.logSubjects)")
        cmp("privacy.log-addresses", "\(a.logAddresses)", "\(b.logAddresses)")
        for k in NoticeKey.allCases { cmp("notices.\(k.rawValue)", a.notice(k), b.notice(k)) }
        cmp("attachments.deny-families", list(a.denyFamilies), list(b.denyFamilies))
        cmp("attachments.deny-types", list(a.denyTypes), list(b.denyTypes))
        cmp("attachments.allow-families", list(a.allowFamilies), list(b.allowFamilies))
        cmp("attachments.allow-types", list(a.allowTypes), list(b.allowTypes))
        return out
    }

    /// The report: settings changed, then each changed case and message with both verdicts.
    public func text(old: String, new: String) -> String {
        var out = ["policy diff \(old) → \(new)", ""]
        out.append(settings.isEmpty ? "settings: no change" : "settings changed (\(settings.count)):")
        for s in settings { out.append("  \(s)") }
        if casesCompared > 0 {
            out.append("")
            out.append("test cases whose verdict changes: \(cases.count) of \(casesCompared)")
            for c in cases { out += ["  \(c.name)  (\(c.location))", "    old: \(c.old)", "    new: \(c.new)"] }
        }
        if messagesCompared > 0 || !unreadable.isEmpty {
            out.append("")
            out.append("corpus messages whose verdict changes: \(messages.count) of \(messagesCompared)")
            for m in messages { out += ["  \(m.name)", "    old: \(m.old)", "    new: \(m.new)"] }
            for u in unreadable { out.append("  cannot read: \(u)") }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
