import DecisionEngine
import Foundation
import PolicyLanguage
import Yams

/// One test case of a policy test file (after parameter expansion).
public struct PolicyTestCase: Sendable {
    public struct Message: Sendable {
        /// A message file (relative to the test file), or nil for an inline message.
        public var file: String?
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
        public var content: String
    }
    public struct Expectation: Sendable {
        /// Message-level action (`allow`, `allow-and-tag`, `quarantine`, `block`).
        public var decision: String?
        /// Per-recipient actions.
        public var recipients: [String: String] = [:]
        /// Per-path actions (`internet: block`; `system` for inbound and internal mail).
        public var paths: [String: String] = [:]
        public var rules: [String] = []
        public var notRules: [String] = []
        public var findings: [String] = []
        public var notFindings: [String] = []
        /// Effective classification; `UNMARKED` for none.
        public var classification: String?
    }
    public var name: String
    public var file: String
    public var location: SourceLocation
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
    static let expectKeys = ["decision", "recipients", "paths", "rules", "not-rules", "findings", "not-findings", "classification"]
    static let actions: Set<String> = ["allow", "allow-and-tag", "quarantine", "block"]

    public static func load(path: String) throws -> PolicyTestFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PolicyLoadError(diagnostics: [PolicyDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the test file")])
        }
        return try load(yaml: text, path: path)
    }

    public static func load(yaml: String, path: String) throws -> PolicyTestFile {
        var r = TestWalker(file: path)
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw PolicyLoadError(diagnostics: [PolicyDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML: \(String(describing: error).split(separator: "\n").first ?? "")")])
        }
        guard let root else { throw PolicyLoadError(diagnostics: [r.diag(nil, "the test file is empty")]) }
        let file = r.file(root)
        if !r.diagnostics.isEmpty || file == nil { throw PolicyLoadError(diagnostics: r.diagnostics) }
        return file!
    }

    /// Every `*.yaml`/`*.yml` test file under `paths` (a test file has a top-level `cases:`),
    /// sorted; directories are searched recursively.
    public static func discover(_ paths: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { out.append(p); continue }
            if !isDir.boolValue { out.append(p); continue }
            let e = fm.enumerator(atPath: p)
            while let f = e?.nextObject() as? String {
                guard f.hasSuffix(".yaml") || f.hasSuffix(".yml") else { continue }
                let full = (p as NSString).appendingPathComponent(f)
                if let text = try? String(contentsOfFile: full, encoding: .utf8), text.contains("\ncases:") || text.hasPrefix("cases:") { out.append(full) }
            }
        }
        return out.sorted()
    }
}

struct TestWalker: YAMLDiagnosing {
    let file: String
    var diagnostics: [PolicyDiagnostic] = []

    func loc(_ n: Node?) -> SourceLocation { location(n) }

    /// Values by key (the shared walker also reports unknown and duplicate keys).
    mutating func mapping(_ n: Node, _ what: String, _ allowed: [String]) -> [String: Node]? {
        mapping(n, what, allowed: allowed)?.mapValues(\.value)
    }
    mutating func string(_ n: Node?, _ what: String) -> String? {
        guard let n else { return nil }
        guard case .scalar(let s) = n else { error(n, "\(what) must be a string"); return nil }
        return s.string
    }
    mutating func strings(_ n: Node?, _ what: String) -> [String] {
        guard let n else { return [] }
        if case .scalar(let s) = n { return [s.string] }
        guard let seq = n.sequence else { error(n, "\(what) must be a list"); return [] }
        return seq.compactMap { string($0, "an item of \(what)") }
    }
    mutating func action(_ n: Node?, _ what: String) -> String? {
        guard let s = string(n, what) else { return nil }
        if !PolicyTestLoader.actions.contains(s) { error(n, "\(what) must be one of: allow, allow-and-tag, quarantine, block"); return nil }
        return s
    }

    mutating func file(_ root: Node) -> PolicyTestFile? {
        guard let top = mapping(root, "the test file", ["policy", "cases"]) else { return nil }
        let dir = (file as NSString).deletingLastPathComponent
        var policy: String? = nil
        if let p = string(top["policy"], "policy") { policy = (dir as NSString).appendingPathComponent(p) }
        guard let casesNode = top["cases"] else { error(root, "the test file is missing required key 'cases'"); return nil }
        guard let seq = casesNode.sequence else { error(casesNode, "cases must be a list"); return nil }
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
        guard let name = string(m["name"], "case name") else { error(n, "a case is missing required key 'name'"); return [] }
        let controls = strings(m["controls"], "controls")
        // message
        var msg = PolicyTestCase.Message(file: nil, subject: nil, from: "Sender <sender@agency.govt.nz>", to: [], headers: [], body: "Kia ora.\n")
        if let mn = m["message"], let mm = mapping(mn, "message", PolicyTestLoader.messageKeys) {
            if let f = string(mm["file"], "message.file") {
                let full = (dir as NSString).appendingPathComponent(f)
                if !FileManager.default.fileExists(atPath: full) { error(mm["file"], "message file '\(f)' does not exist") }
                msg.file = full
            }
            msg.subject = string(mm["subject"], "message.subject")
            if let f = string(mm["from"], "message.from") { msg.from = f }
            msg.to = strings(mm["to"], "message.to")
            msg.headers = strings(mm["headers"], "message.headers")
            if let b = string(mm["body"], "message.body") { msg.body = b }
            if let an = mm["attachments"] {
                if let seq = an.sequence {
                    for a in seq {
                        guard let am = mapping(a, "an attachment", ["name", "type", "content"]) else { continue }
                        guard let name = string(am["name"], "attachment name") else { error(a, "an attachment is missing required key 'name'"); continue }
                        msg.attachments.append(PolicyTestCase.Attachment(name: name, type: string(am["type"], "attachment type") ?? "application/octet-stream",
                                                                        content: string(am["content"], "attachment content") ?? ""))
                    }
                } else { error(an, "message.attachments must be a list") }
            }
        } else if m["message"] == nil { error(n, "case '\(name)' is missing required key 'message'") }
        // envelope
        var env = Envelope(recipients: [])
        if let en = m["envelope"], let em = mapping(en, "envelope", PolicyTestLoader.envelopeKeys) { apply(em, to: &env) }
        // expectations
        var exp = PolicyTestCase.Expectation()
        if let xn = m["expect"], let xm = mapping(xn, "expect", PolicyTestLoader.expectKeys) { apply(xm, to: &exp) }
        else if m["expect"] == nil && m["each"] == nil { error(n, "case '\(name)' is missing required key 'expect'") }
        let base = PolicyTestCase(name: name, file: file, location: loc(n), controls: controls, message: msg, envelope: env, expect: exp)
        // parameterisation: each item overrides envelope keys and expectation keys
        guard let each = m["each"] else { return [base] }
        guard let seq = each.sequence else { error(each, "each must be a list"); return [base] }
        var out: [PolicyTestCase] = []
        for item in seq {
            guard let im = mapping(item, "an item of each", PolicyTestLoader.envelopeKeys + PolicyTestLoader.expectKeys) else { continue }
            var c = base
            apply(im, to: &c.envelope)
            apply(im, to: &c.expect)
            let label = [im["direction"].flatMap(\.string), im["rcpt"].map { strings($0, "rcpt").joined(separator: ",") }].compactMap { $0 }.joined(separator: " ")
            c.name = "\(name) [\(label.isEmpty ? String(out.count + 1) : label)]"
            c.location = loc(item)
            out.append(c)
        }
        return out
    }

    mutating func apply(_ m: [String: Node], to env: inout Envelope) {
        if let d = m["direction"] {
            if let s = string(d, "direction"), let dir = Direction(rawValue: s) { env.direction = dir } else { error(d, "direction must be one of: inbound, outbound, internal") }
        }
        if let f = string(m["mail-from"], "mail-from") { env.mailFrom = f }
        if m["rcpt"] != nil { env.recipients = strings(m["rcpt"], "rcpt") }
        if let a = m["authenticated"] { env.authenticatedSubmission = a.bool ?? false }
    }

    mutating func apply(_ m: [String: Node], to x: inout PolicyTestCase.Expectation) {
        if let d = m["decision"] { x.decision = action(d, "expect.decision") }
        if let r = m["recipients"] {
            if let rm = r.mapping {
                for (k, v) in rm { if let key = k.string, let a = action(v, "expect.recipients['\(key)']") { x.recipients[key] = a } }
            } else { error(r, "expect.recipients must map recipients to actions") }
        }
        if let r = m["paths"] {
            if let rm = r.mapping {
                for (k, v) in rm { if let key = k.string, let a = action(v, "expect.paths['\(key)']") { x.paths[key] = a } }
            } else { error(r, "expect.paths must map path names to actions") }
        }
        if m["rules"] != nil { x.rules = strings(m["rules"], "rules"); checkRuleIDs(m["rules"], x.rules) }
        if m["not-rules"] != nil { x.notRules = strings(m["not-rules"], "not-rules"); checkRuleIDs(m["not-rules"], x.notRules) }
        if m["findings"] != nil { x.findings = strings(m["findings"], "findings") }
        if m["not-findings"] != nil { x.notFindings = strings(m["not-findings"], "not-findings") }
        if let c = string(m["classification"], "classification") { x.classification = c }
    }

    mutating func checkRuleIDs(_ n: Node?, _ ids: [String]) {
        let known = Set(Rules.all.map(\.id))
        for id in ids where !known.contains(id) { error(n, "unknown rule id '\(id)' (known: \(known.sorted().joined(separator: ", ")))") }
    }
}
