import Foundation
import Markings
import Yams

/// Loads a policy file and validates it, reporting every problem as `file:line:column: message`.
///
/// ```swift
/// let policy = try PolicyLoader.load(contentsOf: "policies/default.yaml")
/// ```
public enum PolicyLoader {
    /// A label-map key: a sensitivity label's name as written, or its id (a GUID, as Office
    /// writes it in `docMetadata/LabelInfo.xml`) in one form — lower case without braces — so
    /// `{F42AA342-…}` in a policy matches the id in a document.
    public static func labelKey(_ label: String) -> String {
        var t = Substring(label)
        if t.first == "{", t.last == "}" { t = t.dropFirst().dropLast() }
        let hex = t.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) || $0 == "-"
        }
        let groups = t.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
        return hex && groups == [8, 4, 4, 4, 12] ? t.lowercased() : label
    }

    /// Loads and validates the policy at `path`.
    public static func load(contentsOf path: String) throws -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyLoadError(diagnostics: [
                PolicyDiagnostic(
                    location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the policy file")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyLoadError(diagnostics: [
                PolicyDiagnostic(
                    location: SourceLocation(file: path, line: 1, column: 1), message: "the policy file is not UTF-8")
            ])
        }
        return try load(yaml: text, file: path)
    }

    /// Loads and validates policy text; `file` names it in diagnostics.
    public static func load(yaml: String, file: String) throws -> Policy {
        var w = Walker(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PolicyLoadError(diagnostics: [w.yamlDiagnostic(error)])
        }
        guard let root else { throw PolicyLoadError(diagnostics: [w.diag(nil, "the policy file is empty")]) }
        let policy = w.policy(root)
        if !w.diagnostics.isEmpty || policy == nil {
            throw PolicyLoadError(
                diagnostics: w.diagnostics.sorted {
                    ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
                })
        }
        var p = policy!
        p.contentHash = SHA256.hex(Array(yaml.utf8))
        return p
    }

    /// Action keys the policy may set, with the defaults of the spec's decision table.
    public static var defaultActions: [ActionKey: PolicyAction] {
        Dictionary(uniqueKeysWithValues: ActionKey.allCases.map { ($0, $0.defaultAction) })
    }
    /// Notice and SMTP reply texts; generic so they reveal nothing of what matched.
    public static var defaultNotices: [NoticeKey: String] {
        Dictionary(uniqueKeysWithValues: NoticeKey.allCases.map { ($0, $0.defaultText) })
    }
    /// `Name: value` with a printable field name and no line break (a header the gateway can add).
    public static func isHeaderField(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let name = s[..<colon]
        return !name.isEmpty && name.utf8.allSatisfy { $0 > 32 && $0 < 127 }
            && !s.utf8.contains { $0 == 10 || $0 == 13 || $0 == 0 }
    }
    static let auValues: Set<String> = [
        "UNOFFICIAL", "OFFICIAL", "OFFICIAL:Sensitive", "PROTECTED", "SECRET", "TOP-SECRET",
    ]
}

struct Walker: YAMLDiagnosing {
    /// Attachment families a policy may name (ContentInspection's TypeFamily raw values).
    static let attachmentFamilies: Set<String> = [
        "executable", "script", "macro-office", "disk-image", "installer", "archive", "document", "image", "audio",
        "video", "text", "unknown",
    ]
    let file: String
    var diagnostics: [PolicyDiagnostic] = []

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let s) = node else {
            error(node, "\(what) must be a string")
            return nil
        }
        if s.string.isEmpty {
            error(node, "\(what) must not be empty")
            return nil
        }
        return s.string
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard case .scalar = node, let b = node.bool else {
            error(node, "\(what) must be true or false")
            return nil
        }
        return b
    }

    mutating func strings(_ node: Node, _ what: String) -> [(String, Node)]? {
        guard let seq = node.sequence else {
            error(node, "\(what) must be a list")
            return nil
        }
        var out: [(String, Node)] = []
        for item in seq { if let s = string(item, "an item of \(what)") { out.append((s, item)) } }
        return out
    }

    mutating func classification(_ node: Node, _ what: String, _ v: Vocabulary) -> Classification? {
        guard let s = string(node, what) else { return nil }
        guard let c = v.classification(named: s), Vocabulary.words(s) != ["PERSONAL"],
            Vocabulary.words(s) != ["UNOFFICIAL"]
        else {
            error(
                node,
                """
                unknown classification '\(s)' in \(what) (expected one of: UNCLASSIFIED, IN-CONFIDENCE, SENSITIVE, \
                RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET)
                """
            )
            return nil
        }
        return c
    }

    static func isDomain(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2
            && parts.allSatisfy { p in !p.isEmpty && p.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }
    }

    /// Canonical endorsement name if `s` names one the vocabulary knows, else nil.
    static func endorsementName(_ s: String, _ v: Vocabulary) -> String? {
        let w = Vocabulary.words(s)
        let joined = w.joined(separator: " ")
        if ["NZEO", "ORCON", "ACCOUNTABLE MATERIAL", "AUSTEO", "AGAO"].contains(joined) { return joined }
        if joined == "NEW ZEALAND EYES ONLY" { return "NZEO" }
        if v.policyEndorsements.contains(w) { return joined }
        if w.count >= 3, w.suffix(2) == ["USE", "ONLY"] { return joined }
        if v.codewords.contains(joined) { return joined }
        return nil
    }

    // MARK: the document

    mutating func policy(_ root: Node) -> Policy? {
        guard
            let top = mapping(
                root, "the policy",
                allowed: [
                    "policy", "organisation", "system", "paths", "vocabulary", "actions", "authentication", "privacy",
                    "notices", "attachments",
                ],
                required: ["policy", "organisation", "system", "paths"])
        else { return nil }
        // policy:
        var name = ""
        if let p = top["policy"],
            let m = mapping(p.value, "policy", allowed: ["name", "description"], required: ["name"])
        {
            if let n = m["name"] { name = string(n.value, "policy.name") ?? "" }
            if let d = m["description"] { _ = string(d.value, "policy.description") }
        }
        // vocabulary: first, because names elsewhere are checked against it
        var vocabulary = Vocabulary.nz
        if let v = top["vocabulary"],
            let m = mapping(v.value, "vocabulary", allowed: ["codewords", "endorsements", "label-map", "australian"])
        {
            if let c = m["codewords"], let list = strings(c.value, "vocabulary.codewords") {
                for (s, n) in list {
                    let up = s.uppercased()
                    if up.contains(" ") || up.contains("/")
                        || !up.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
                    {
                        error(n, "codeword '\(s)' must be one word of letters, digits and hyphens")
                    } else {
                        vocabulary.codewords.insert(up)
                    }
                }
            }
            if let e = m["endorsements"], let list = strings(e.value, "vocabulary.endorsements") {
                for (s, _) in list { vocabulary.policyEndorsements.append(Vocabulary.words(s)) }
            }
            if let l = m["label-map"], let lm = l.value.mapping {
                for (k, val) in lm {
                    guard let label = k.string else { continue }
                    if let c = classification(val, "vocabulary.label-map['\(label)']", Vocabulary.nz) {
                        vocabulary.labelMap[PolicyLoader.labelKey(label)] = c.name
                    }
                }
            } else if let l = m["label-map"] {
                error(l.value, "vocabulary.label-map must be a mapping of label names to classifications")
            }
            if let a = m["australian"], let am = a.value.mapping {
                for (k, val) in am {
                    guard let au = k.string else { continue }
                    guard PolicyLoader.auValues.contains(au) else {
                        error(
                            k,
                            """
                            unknown Australian value '\(au)' in vocabulary.australian (expected one of: \
                            \(PolicyLoader.auValues.sorted().joined(separator: ", ")))
                            """
                        )
                        continue
                    }
                    if let c = classification(val, "vocabulary.australian['\(au)']", Vocabulary.nz) {
                        vocabulary.australian[au == "OFFICIAL:Sensitive" ? "OFFICIAL:SENSITIVE" : au] = c.name
                    }
                }
            } else if let a = m["australian"] {
                error(a.value, "vocabulary.australian must be a mapping of Australian values to classifications")
            }
        }
        // organisation:
        var domains: [String] = [], aliases: [String] = []
        if let o = top["organisation"],
            let m = mapping(
                o.value, "organisation", allowed: ["domains", "internal-only-aliases"], required: ["domains"])
        {
            if let d = m["domains"], let list = strings(d.value, "organisation.domains") {
                if list.isEmpty { error(d.value, "organisation.domains must list at least one domain") }
                for (s, n) in list {
                    if Self.isDomain(s) {
                        domains.append(s.lowercased())
                    } else {
                        error(n, "'\(s)' is not a domain name")
                    }
                }
            }
            if let a = m["internal-only-aliases"], let list = strings(a.value, "organisation.internal-only-aliases") {
                for (s, n) in list {
                    let parts = s.lowercased().split(separator: "@")
                    guard parts.count == 2 else {
                        error(n, "'\(s)' is not an email address")
                        continue
                    }
                    let d = String(parts[1])
                    if !domains.contains(where: { d == $0 || d.hasSuffix("." + $0) }) {
                        error(n, "internal-only alias '\(s)' is not in an organisation domain")
                    }
                    aliases.append(s.lowercased())
                }
            }
        }
        // system:
        var systemName = "", accreditation: Classification? = nil, held = Set<String>()
        if let sNode = top["system"],
            let m = mapping(
                sNode.value, "system", allowed: ["name", "accreditation", "endorsements", "codewords"],
                required: ["name", "accreditation"])
        {
            if let n = m["name"] { systemName = string(n.value, "system.name") ?? "" }
            if let a = m["accreditation"] {
                accreditation = classification(a.value, "system.accreditation", vocabulary)
            }
            if let e = m["endorsements"], let list = strings(e.value, "system.endorsements") {
                for (s, n) in list {
                    if let c = Self.endorsementName(s, vocabulary) {
                        held.insert(c)
                    } else {
                        error(n, "unknown endorsement '\(s)' in system.endorsements")
                    }
                }
            }
            if let c = m["codewords"], let list = strings(c.value, "system.codewords") {
                for (s, n) in list {
                    if vocabulary.codewords.contains(s.uppercased()) {
                        held.insert(s.uppercased())
                    } else {
                        error(n, "codeword '\(s)' is not listed in vocabulary.codewords")
                    }
                }
            }
        }
        // paths:
        var paths: [CommunicationPath] = []
        if let p = top["paths"] {
            if let seq = p.value.sequence {
                if seq.isEmpty { error(p.value, "paths must list at least one path") }
                for item in seq {
                    if let path = self.path(item, vocabulary, accreditation, held) { paths.append(path) }
                }
                // Count declared defaults on the raw nodes, so a path with other errors still counts.
                let declaredDefaults = seq.filter { $0.mapping?["default"]?.bool == true }.count
                validatePaths(paths, listNode: p.value, declaredDefaults: declaredDefaults, listed: seq.count)
            } else {
                error(p.value, "paths must be a list")
            }
        }
        // actions:
        var actions = PolicyLoader.defaultActions
        if let a = top["actions"],
            let m = mapping(a.value, "actions", allowed: ActionKey.allCases.map(\.rawValue).sorted())
        {
            for (k, v) in m {
                guard let key = ActionKey(rawValue: k) else { continue }
                guard let s = string(v.value, "actions.\(k)") else { continue }
                guard let act = PolicyAction(rawValue: s) else {
                    error(
                        v.value,
                        """
                        unknown action '\(s)' for actions.\(k) (expected one of: block, quarantine, allow-and-tag, \
                        allow)
                        """
                    )
                    continue
                }
                actions[key] = act
            }
        }
        // authentication:
        var trusted: [String] = []
        if let a = top["authentication"], let m = mapping(a.value, "authentication", allowed: ["trusted-authserv-ids"])
        {
            if let t = m["trusted-authserv-ids"], let list = strings(t.value, "authentication.trusted-authserv-ids") {
                for (s, n) in list {
                    if s.contains(" ") {
                        error(n, "authserv-id '\(s)' must not contain spaces")
                    } else {
                        trusted.append(s.lowercased())
                    }
                }
            }
        }
        // privacy:
        var privacy = Privacy.closed
        if let pr = top["privacy"],
            let m = mapping(pr.value, "privacy", allowed: ["log-subjects", "log-addresses", "log-attachment-names"])
        {
            if let s = m["log-subjects"] { privacy.logSubjects = bool(s.value, "privacy.log-subjects") ?? false }
            if let s = m["log-addresses"] { privacy.logAddresses = bool(s.value, "privacy.log-addresses") ?? false }
            if let s = m["log-attachment-names"] {
                privacy.logAttachmentNames = bool(s.value, "privacy.log-attachment-names") ?? false
            }
        }
        // notices:
        var notices = PolicyLoader.defaultNotices
        if let n = top["notices"],
            let m = mapping(n.value, "notices", allowed: NoticeKey.allCases.map(\.rawValue).sorted())
        {
            for (k, v) in m {
                guard let key = NoticeKey(rawValue: k) else { continue }
                guard let s = string(v.value, "notices.\(k)") else { continue }
                if key.isSMTPReply,
                    !(s.hasPrefix("4") || s.hasPrefix("5")) || s.count < 4 || !s.prefix(3).allSatisfy(\.isNumber)
                {
                    error(v.value, "notices.\(k) must start with a 4xx or 5xx SMTP reply code")
                    continue
                }
                if key == .tagHeader, !PolicyLoader.isHeaderField(s) {
                    error(
                        v.value,
                        "notices.tag-header must be one header field, 'Name: value' (printable name, no line breaks)")
                    continue
                }
                notices[key] = s
            }
        }
        // attachments:
        var denyFamilies = Set<String>(), denyTypes = Set<String>(), allowFamilies = Set<String>(),
            allowTypes = Set<String>()
        var extensionFamilies: [String: String] = [:]
        if let a = top["attachments"],
            let m = mapping(
                a.value, "attachments",
                allowed: ["deny-families", "deny-types", "allow-families", "allow-types", "extension-families"])
        {
            let families = Walker.attachmentFamilies
            for (key, target) in [("deny-families", 0), ("allow-families", 1)] {
                if let f = m[key], let list = strings(f.value, "attachments.\(key)") {
                    for (s, n) in list {
                        if families.contains(s) {
                            if target == 0 { denyFamilies.insert(s) } else { allowFamilies.insert(s) }
                        } else {
                            error(
                                n,
                                """
                                unknown attachment family '\(s)' (expected one of: \
                                \(families.sorted().joined(separator: ", ")))
                                """
                            )
                        }
                    }
                }
            }
            // extension-families: {script: [ps1, vbs, …]}: the family a file name's extension gives
            // (Windows runs these by extension, whatever their content).
            if let ef = m["extension-families"],
                let fm = mapping(
                    ef.value, "attachments.extension-families", allowed: Walker.attachmentFamilies.sorted())
            {
                for (family, list) in fm.sorted(by: { $0.key < $1.key }) {
                    guard let exts = strings(list.value, "attachments.extension-families.\(family)") else { continue }
                    for (e, n) in exts {
                        let ext = e.lowercased().hasPrefix(".") ? String(e.lowercased().dropFirst()) : e.lowercased()
                        guard !ext.isEmpty, !ext.contains("."), !ext.contains("/") else {
                            error(n, "'\(e)' is not a file-name extension")
                            continue
                        }
                        if let other = extensionFamilies[ext], other != family {
                            error(n, "extension '\(ext)' is listed under both \(other) and \(family)")
                            continue
                        }
                        extensionFamilies[ext] = family
                    }
                }
            }
            for (key, target) in [("deny-types", 0), ("allow-types", 1)] {
                if let f = m[key], let list = strings(f.value, "attachments.\(key)") {
                    for (s, n) in list {
                        if s.split(separator: "/").count == 2 {
                            if target == 0 {
                                denyTypes.insert(s.lowercased())
                            } else {
                                allowTypes.insert(s.lowercased())
                            }
                        } else {
                            error(n, "'\(s)' in attachments.\(key) is not a MIME type")
                        }
                    }
                }
            }
        }
        guard let acc = accreditation, !name.isEmpty else { return nil }
        var result = Policy(
            name: name, domains: domains, internalOnlyAliases: aliases, systemName: systemName, accreditation: acc,
            systemEndorsements: held, paths: paths, vocabulary: vocabulary, actions: actions,
            trustedAuthservIDs: trusted,
            privacy: privacy, notices: notices)
        result.denyFamilies = denyFamilies
        result.denyTypes = denyTypes
        result.allowFamilies = allowFamilies
        result.allowTypes = allowTypes
        result.extensionFamilies = extensionFamilies
        return result
    }

    mutating func path(_ node: Node, _ v: Vocabulary, _ accreditation: Classification?, _ held: Set<String>)
        -> CommunicationPath?
    {
        guard
            let m = mapping(
                node, "a path", allowed: ["name", "ceiling", "countries", "endorsements", "domains", "default"],
                required: ["name", "ceiling", "countries"])
        else { return nil }
        guard let nameNode = m["name"], let name = string(nameNode.value, "path name") else { return nil }
        let what = "path '\(name)'"
        var ceiling: Classification? = nil
        if let c = m["ceiling"] {
            ceiling = classification(c.value, "\(what) ceiling", v)
            if let ce = ceiling, let acc = accreditation, ce > acc {
                error(c.value, "\(what) ceiling \(ce.name) is above the system accreditation \(acc.name)")
            }
        }
        var reach: PathReach? = nil
        if let c = m["countries"] {
            if c.value.string == "any" {
                reach = .any
            } else if c.value.sequence == nil {
                error(c.value, "\(what) countries must be 'any' or a list of ISO 3166-1 alpha-3 codes")
            } else if let list = strings(c.value, "\(what) countries") {
                var codes: [String] = []
                for (s, n) in list {
                    if s == "FVEY" {
                        codes += ["AUS", "CAN", "GBR", "NZL", "USA"]
                        continue
                    }
                    if s.count == 3 && s.allSatisfy({ $0.isUppercase && $0.isASCII }) {
                        codes.append(s)
                    } else {
                        error(n, "'\(s)' in \(what) countries is not an ISO 3166-1 alpha-3 code (or FVEY)")
                    }
                }
                if list.isEmpty { error(c.value, "\(what) countries must be 'any' or a non-empty list") }
                reach = .countries(Array(Set(codes)).sorted())
            }
        }
        var allowed = Set<String>()
        if let e = m["endorsements"], let list = strings(e.value, "\(what) endorsements") {
            for (s, n) in list {
                guard let c = Self.endorsementName(s, v) else {
                    error(n, "unknown endorsement '\(s)' in \(what) endorsements")
                    continue
                }
                if !held.contains(c) {
                    error(n, "\(what) allows '\(c)', which the system may not hold (add it to system.endorsements)")
                }
                if c == "NZEO", let r = reach, !r.isNZOnly {
                    error(n, "\(what) allows NZEO but reaches countries other than NZL")
                }
                allowed.insert(c)
            }
        }
        var domains: [String] = []
        if let d = m["domains"], let list = strings(d.value, "\(what) domains") {
            for (s, n) in list {
                if Self.isDomain(s) {
                    domains.append(s.lowercased())
                } else {
                    error(n, "'\(s)' in \(what) domains is not a domain name")
                }
            }
        }
        var isDefault = false
        if let d = m["default"] { isDefault = bool(d.value, "\(what) default") ?? false }
        guard let ce = ceiling, let r = reach else { return nil }
        return CommunicationPath(
            name: name, ceiling: ce, endorsements: allowed, reach: r, domains: domains, isDefault: isDefault,
            location: location(node))
    }

    mutating func validatePaths(_ paths: [CommunicationPath], listNode: Node, declaredDefaults: Int, listed: Int) {
        var seenNames: [String: CommunicationPath] = [:]
        var seenDomains: [String: String] = [:]
        var defaults: [CommunicationPath] = []
        for p in paths {
            if let first = seenNames[p.name] {
                diagnostics.append(
                    PolicyDiagnostic(
                        location: p.location,
                        message:
                            """
                            duplicate path name '\(p.name)' (first defined at \
                            \(first.location.line):\(first.location.column))
                            """
                    ))
            }
            seenNames[p.name] = seenNames[p.name] ?? p
            for d in p.domains {
                if let other = seenDomains[d], other != p.name {
                    diagnostics.append(
                        PolicyDiagnostic(
                            location: p.location,
                            message: "domain '\(d)' is routed over both path '\(other)' and path '\(p.name)'"))
                }
                seenDomains[d] = seenDomains[d] ?? p.name
            }
            if p.isDefault { defaults.append(p) }
        }
        if declaredDefaults == 0 && listed > 0 {
            error(listNode, "no default path: mark exactly one path with 'default: true'")
        }
        for extra in defaults.dropFirst() {
            diagnostics.append(
                PolicyDiagnostic(
                    location: extra.location,
                    message: "more than one default path ('\(defaults[0].name)' and '\(extra.name)')"))
        }
    }
}

/// Positions and diagnostics while walking a YAML document: shared by the policy loader and
/// the harness's test-file loader (package access: Yams types stay out of the public API), so both report
/// `file:line:column: message` the same way.
package protocol YAMLDiagnosing {
    var file: String { get }
    var diagnostics: [PolicyDiagnostic] { get set }
}

extension YAMLDiagnosing {
    /// The 1-based position of a node (1:1 when unknown).
    package func location(_ node: Node?) -> SourceLocation {
        guard let m = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: m.line, column: m.column)
    }
    /// A YAML syntax error at its real line and column (never `1:1` with the position buried
    /// in the message); the message names the problem, never the file's text.
    package func yamlDiagnostic(_ e: Error) -> PolicyDiagnostic {
        guard let e = e as? YamlError else {
            return PolicyDiagnostic(location: SourceLocation(file: file, line: 1, column: 1), message: "YAML: \(e)")
        }
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let ctx = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return PolicyDiagnostic(
                location: SourceLocation(file: file, line: mark.line, column: mark.column),
                message: "YAML syntax: \(problem)\(ctx)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyDiagnostic(
                location: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                message: "duplicate key(s) in a mapping: \(duplicates.sorted().joined(separator: ", "))")
        case .reader(let problem, let offset, _, let yaml):
            // The offset counts from the text's start: turn it into a line and column.
            var line = 1, column = 1
            for (i, ch) in yaml.unicodeScalars.enumerated() {
                if i >= (offset ?? 0) { break }
                if ch == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            return PolicyDiagnostic(
                location: SourceLocation(file: file, line: line, column: column), message: "YAML: \(problem)")
        default:
            return PolicyDiagnostic(location: SourceLocation(file: file, line: 1, column: 1), message: "YAML: \(e)")
        }
    }

    package func diag(_ node: Node?, _ message: String) -> PolicyDiagnostic {
        PolicyDiagnostic(location: location(node), message: message)
    }
    package mutating func error(_ node: Node?, _ message: String) { diagnostics.append(diag(node, message)) }

    /// A mapping's entries by key, reporting a non-mapping, unknown keys, duplicate keys and
    /// missing required keys.
    package mutating func mapping(_ node: Node, _ what: String, allowed: [String], required: [String] = []) -> [String:
        (key: Node, value: Node)]?
    {
        guard let m = node.mapping else {
            error(node, "\(what) must be a mapping")
            return nil
        }
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in m {
            guard let name = k.string else {
                error(k, "\(what): keys must be strings")
                continue
            }
            if !allowed.contains(name) {
                error(k, "unknown key '\(name)' in \(what) (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            if out[name] != nil {
                error(k, "duplicate key '\(name)' in \(what)")
                continue
            }
            out[name] = (k, v)
        }
        for r in required where out[r] == nil { error(node, "\(what) is missing required key '\(r)'") }
        return out
    }
}
