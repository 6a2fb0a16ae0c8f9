import DecisionEngine
import Foundation
import PolicyLanguage
import Yams

/// One test case of a policy test file (after parameter expansion).
public struct PolicyTestCase: Sendable {
    public struct Message: Sendable {
        /// A message file (resolved against the test file's folder), or nil for an inline message.
        public var file: String?
        /// The position of `file:` in the test file, for a fixture that is missing at run time.
        public var fileLocation: SourceLocation?
        public var subject: String?
        public var from: String
        public var to: [String]
        public var headers: [String]
        public var body: String
        /// Generated attachments: a multipart/mixed message is built around the body.
        public var attachments: [Attachment] = []
    }
    /// An attachment generated for an inline message.
    public struct Attachment: Sendable {
        public var name: String
        public var type: String
        /// The attachment's bytes (`content:` as UTF-8, or `base64:` decoded).
        public var bytes: [UInt8]
    }
    public struct Expectation: Sendable {
        /// Message-level action (`allow`, `allow-and-tag`, `quarantine`, `block`).
        public var decision: String?
        /// Per-recipient actions.
        public var recipients: [String: String] = [:]
        /// Per-path actions (`internet: block`; `system` for inbound and internal mail).
        public var paths: [String: String] = [:]
        /// Rules that must fire; `[]` asserts that no rule fired; nil asserts nothing.
        public var rules: [String]?
        public var notRules: [String] = []
        public var findings: [String] = []
        public var notFindings: [String] = []
        /// Effective classification; `UNMARKED` for none.
        public var classification: String?
        /// Whether the intended recipients are to be told (15.2.41.C.02).
        public var notifyRecipients: Bool?
        /// Whether the sender may be told (15.2.42.C.01).
        public var notifySender: Bool?
        /// `logged: true`: the decision is recorded in an audit store and reads back as decided
        /// (see ``LoggedCheck``; on a block it demonstrates 15.2.40.C.02).
        public var logged: Bool?
    }
    public var name: String
    public var file: String
    public var location: SourceLocation
    /// The position of the case as written: for an `each:` expansion, its parent case. Tagged
    /// controls are claims about the whole parent case.
    public var caseLocation: SourceLocation
    public var controls: [String]
    public var message: Message
    public var envelope: Envelope
    public var expect: Expectation
}

/// A parsed test file.
public struct PolicyTestFile: Sendable {
    public var path: String
    /// The policy file named by the test file (resolved path), if any.
    public var policy: String?
    public var cases: [PolicyTestCase]
}

/// Reads test files, reporting every problem as `file:line:column: message`.
public enum PolicyTestLoader {
    static let caseKeys = ["name", "controls", "message", "envelope", "expect", "each"]
    static let messageKeys = ["file", "subject", "from", "to", "headers", "body", "attachments"]
    static let envelopeKeys = ["direction", "mail-from", "rcpt", "authenticated"]
    static let expectKeys = [
        "decision", "recipients", "paths", "rules", "not-rules", "findings", "not-findings", "classification", "notify",
        "logged",
    ]
    static let notifyKeys = ["recipients", "sender"]

    /// - Parameter rules: the rule definitions whose ids a file may name (``Rules/all``).
    public static func load(path: String, rules: [Rule] = Rules.all) throws -> PolicyTestFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw PolicyLoadError(diagnostics: [
                PolicyDiagnostic(
                    location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the test file")
            ])
        }
        return try load(yaml: text, path: path, rules: rules)
    }

    public static func load(yaml: String, path: String, rules: [Rule] = Rules.all) throws -> PolicyTestFile {
        var r = TestWalker(file: path)
        r.ruleIDs = Set(rules.map(\.id))
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw PolicyLoadError(diagnostics: [r.yamlDiagnostic(error)])
        }
        guard let root else { throw PolicyLoadError(diagnostics: [r.diag(nil, "the test file is empty")]) }
        let file = r.file(root)
        if !r.diagnostics.isEmpty || file == nil {
            throw PolicyLoadError(
                diagnostics: r.diagnostics.sorted {
                    ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
                })
        }
        return file!
    }

    /// Every `*.yaml`/`*.yml` test file under `paths` (a test file has a top-level `cases:`),
    /// sorted; directories are searched recursively.
    public static func discover(_ paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
                out.append(p)
                continue
            }
            if !isDir.boolValue {
                out.append(p)
                continue
            }
            let e = fm.enumerator(atPath: p)
            while let f = e?.nextObject() as? String {
                guard f.hasSuffix(".yaml") || f.hasSuffix(".yml") else { continue }
                let full = (p as NSString).appendingPathComponent(f)
                if let text = try? String(contentsOfFile: full, encoding: .utf8),
                    text.contains("\ncases:") || text.hasPrefix("cases:")
                {
                    out.append(full)
                }
            }
        }
        return out.sorted()
    }
}

struct TestWalker: YAMLDiagnosing {
    /// Rule ids a file may name.
    var ruleIDs = HarnessVocabulary.ruleIDs
    let file: String
    var diagnostics: [PolicyDiagnostic] = []

    func loc(_ n: Node?) -> SourceLocation { location(n) }

    /// Values by key (the shared walker also reports unknown and duplicate keys).
    mutating func mapping(_ n: Node, _ what: String, _ allowed: [String]) -> [String: Node]? {
        mapping(n, what, allowed: allowed)?.mapValues(\.value)
    }
    mutating func string(_ n: Node?, _ what: String) -> String? {
        guard let n else { return nil }
        guard case .scalar(let s) = n else {
            error(n, "\(what) must be a string")
            return nil
        }
        return s.string
    }
    mutating func strings(_ n: Node?, _ what: String) -> [String] {
        guard let n else { return [] }
        if case .scalar(let s) = n { return [s.string] }
        guard let seq = n.sequence else {
            error(n, "\(what) must be a list")
            return []
        }
        return seq.compactMap { string($0, "an item of \(what)") }
    }
    mutating func action(_ n: Node?, _ what: String) -> String? {
        guard let s = string(n, what) else { return nil }
        if !HarnessVocabulary.actions.contains(s) {
            error(n, "\(what) must be one of: \(HarnessVocabulary.actionList)")
            return nil
        }
        return s
    }
    mutating func bool(_ n: Node?, _ what: String) -> Bool? {
        guard let n else { return nil }
        guard case .scalar = n, let b = n.bool else {
            error(n, "\(what) must be true or false")
            return nil
        }
        return b
    }

    mutating func file(_ root: Node) -> PolicyTestFile? {
        guard let top = mapping(root, "the test file", ["policy", "cases"]) else { return nil }
        let dir = (file as NSString).deletingLastPathComponent
        var policy: String? = nil
        if let p = string(top["policy"], "policy") {
            policy = (dir as NSString).appendingPathComponent(p)
            if let policy, !FileManager.default.fileExists(atPath: policy) {
                error(
                    top["policy"],
                    "policy file '\(p)' does not exist (resolved against the test file's folder: \(policy))")
            }
        }
        guard let casesNode = top["cases"] else {
            error(root, "the test file is missing required key 'cases'")
            return nil
        }
        guard let seq = casesNode.sequence else {
            error(casesNode, "cases must be a list")
            return nil
        }
        var cases: [PolicyTestCase] = []
        var names = Set<String>()
        for c in seq {
            for tc in testCases(c, dir: dir) {
                if !names.insert(tc.name).inserted { error(c, "duplicate case name '\(tc.name)'") }
                cases.append(tc)
            }
        }
        return PolicyTestFile(path: file, policy: policy, cases: cases)
    }

    mutating func testCases(_ n: Node, dir: String) -> [PolicyTestCase] {
        guard let m = mapping(n, "a case", PolicyTestLoader.caseKeys) else { return [] }
        guard let name = string(m["name"], "case name") else {
            error(n, "a case is missing required key 'name'")
            return []
        }
        let controls = strings(m["controls"], "controls")
        checkControls(m["controls"], controls)
        // message
        var msg = PolicyTestCase.Message(
            file: nil, subject: nil, from: "Sender <sender@agency.govt.nz>", to: [], headers: [], body: "Kia ora.\n")
        if let mn = m["message"], let mm = mapping(mn, "message", PolicyTestLoader.messageKeys) {
            if let f = string(mm["file"], "message.file") {
                // Relative to the test file, so a copied policies/ folder keeps working; a missing
                // fixture fails this case at run time (with this position) and the others still run.
                msg.file = f.hasPrefix("/") ? f : (dir as NSString).appendingPathComponent(f)
                msg.fileLocation = loc(mm["file"])
            }
            msg.subject = string(mm["subject"], "message.subject")
            if let f = string(mm["from"], "message.from") { msg.from = f }
            msg.to = strings(mm["to"], "message.to")
            msg.headers = strings(mm["headers"], "message.headers")
            if let b = string(mm["body"], "message.body") { msg.body = b }
            if let an = mm["attachments"] {
                if let seq = an.sequence {
                    for a in seq {
                        guard let am = mapping(a, "an attachment", ["name", "type", "content", "base64"]) else {
                            continue
                        }
                        guard let name = string(am["name"], "attachment name") else {
                            error(a, "an attachment is missing required key 'name'")
                            continue
                        }
                        var bytes = Array((string(am["content"], "attachment content") ?? "").utf8)
                        if let b = am["base64"] {
                            // Binary content (a corrupt gzip, an executable header) given as base64.
                            if am["content"] != nil { error(b, "an attachment has either content or base64, not both") }
                            if let s = string(b, "attachment base64"),
                                let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters)
                            {
                                bytes = Array(d)
                            } else {
                                error(b, "attachment base64 is not valid base64")
                            }
                        }
                        msg.attachments.append(
                            PolicyTestCase.Attachment(
                                name: name, type: string(am["type"], "attachment type") ?? "application/octet-stream",
                                bytes: bytes))
                    }
                } else {
                    error(an, "message.attachments must be a list")
                }
            }
        } else if m["message"] == nil {
            error(n, "case '\(name)' is missing required key 'message'")
        }
        // envelope
        var env = Envelope(recipients: [])
        if let en = m["envelope"], let em = mapping(en, "envelope", PolicyTestLoader.envelopeKeys) {
            apply(em, to: &env)
        }
        // expectations
        var exp = PolicyTestCase.Expectation()
        if let xn = m["expect"], let xm = mapping(xn, "expect", PolicyTestLoader.expectKeys) {
            apply(xm, to: &exp)
        } else if m["expect"] == nil && m["each"] == nil {
            error(n, "case '\(name)' is missing required key 'expect'")
        }
        let base = PolicyTestCase(
            name: name, file: file, location: loc(n), caseLocation: loc(n), controls: controls, message: msg,
            envelope: env, expect: exp)
        // parameterisation: each item overrides envelope keys and expectation keys
        guard let each = m["each"] else { return [base] }
        guard let seq = each.sequence else {
            error(each, "each must be a list")
            return [base]
        }
        var out: [PolicyTestCase] = []
        for item in seq {
            guard let im = mapping(item, "an item of each", PolicyTestLoader.envelopeKeys + PolicyTestLoader.expectKeys)
            else { continue }
            var c = base
            apply(im, to: &c.envelope)
            apply(im, to: &c.expect)
            let label = [
                im["direction"].flatMap(\.string), im["rcpt"].map { strings($0, "rcpt").joined(separator: ",") },
            ].compactMap { $0 }.joined(separator: " ")
            c.name = "\(name) [\(label.isEmpty ? String(out.count + 1) : label)]"
            c.location = loc(item)
            out.append(c)
        }
        return out
    }

    mutating func apply(_ m: [String: Node], to env: inout Envelope) {
        if let d = m["direction"] {
            if let s = string(d, "direction"), let dir = Direction(rawValue: s) {
                env.direction = dir
            } else {
                error(d, "direction must be one of: inbound, outbound, internal")
            }
        }
        if let f = string(m["mail-from"], "mail-from") { env.mailFrom = f }
        if m["rcpt"] != nil { env.recipients = strings(m["rcpt"], "rcpt") }
        if let a = m["authenticated"], let b = bool(a, "authenticated") { env.authenticatedSubmission = b }
    }

    mutating func apply(_ m: [String: Node], to x: inout PolicyTestCase.Expectation) {
        if let d = m["decision"] { x.decision = action(d, "expect.decision") }
        if let r = m["recipients"] {
            if let rm = r.mapping {
                for (k, v) in rm {
                    if let key = k.string, let a = action(v, "expect.recipients['\(key)']") { x.recipients[key] = a }
                }
            } else {
                error(r, "expect.recipients must map recipients to actions")
            }
        }
        if let r = m["paths"] {
            if let rm = r.mapping {
                for (k, v) in rm {
                    if let key = k.string, let a = action(v, "expect.paths['\(key)']") { x.paths[key] = a }
                }
            } else {
                error(r, "expect.paths must map path names to actions")
            }
        }
        if let n = m["rules"] { x.rules = checked(n, "rules", ruleIDs, "rule id") }
        if let n = m["not-rules"] { x.notRules = checked(n, "not-rules", ruleIDs, "rule id") }
        if let n = m["findings"] { x.findings = checked(n, "findings", HarnessVocabulary.findingIDs, "finding id") }
        if let n = m["not-findings"] {
            x.notFindings = checked(n, "not-findings", HarnessVocabulary.findingIDs, "finding id")
        }
        if let n = m["classification"], let c = string(n, "classification") {
            if HarnessVocabulary.classifications.contains(c) {
                x.classification = c
            } else {
                error(n, "unknown classification '\(c)' (expected one of: \(HarnessVocabulary.classificationList))")
            }
        }
        if let n = m["notify"], let nm = mapping(n, "expect.notify", PolicyTestLoader.notifyKeys) {
            if n.mapping?.count == 0 {
                error(n, "expect.notify must state recipients: true|false and/or sender: true|false")
            }
            if let r = nm["recipients"] { x.notifyRecipients = bool(r, "notify.recipients") }
            if let r = nm["sender"] { x.notifySender = bool(r, "notify.sender") }
        }
        if let n = m["logged"], let b = bool(n, "expect.logged") {
            // Every decision is recorded; `false` would claim a behaviour pmark does not have.
            if b {
                x.logged = true
            } else {
                error(
                    n,
                    "expect.logged must be true (every decision is recorded; logged: false asserts nothing pmark does)")
            }
        }
    }

    /// A list whose every item must be in `known`; each unknown item is reported at its own position.
    mutating func checked(_ n: Node, _ what: String, _ known: Set<String>, _ kind: String) -> [String] {
        if case .scalar = n {
            error(n, "\(what) must be a list (write [\(n.string ?? "")])")
            return []
        }
        guard let seq = n.sequence else {
            error(n, "\(what) must be a list")
            return []
        }
        var out: [String] = []
        for item in seq {
            guard let s = string(item, "an item of \(what)") else { continue }
            if known.contains(s) {
                out.append(s)
            } else {
                error(item, "unknown \(kind) '\(s)' in \(what) (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        return out
    }

    /// Tagged controls must be NZISM controls some rule (or notice) implements.
    mutating func checkControls(_ n: Node?, _ controls: [String]) {
        guard let n else { return }
        let items = n.sequence ?? [n]
        for (c, item) in zip(controls, items) where !HarnessVocabulary.controls.contains(c) {
            error(
                item,
                """
                unknown control '\(c)': no rule or notice implements it (known: \
                \(HarnessVocabulary.controls.sorted().joined(separator: ", ")))
                """
            )
        }
    }
}
