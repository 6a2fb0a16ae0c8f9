import Markings

/// A position in a policy file (1-based line and column).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem in a policy file: `file:line:column: message`.
public struct PolicyDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }
    public var description: String { "\(location): \(message)" }
}

/// A policy that failed to load: every problem found, each with its location.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PolicyDiagnostic]
    public init(diagnostics: [PolicyDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// What a rule does when it fires, where the specification leaves the choice to the policy.
public enum PolicyAction: String, Sendable, Hashable, CaseIterable {
    case block, quarantine, allow
    /// Deliver, adding a header that records the finding.
    case allowAndTag = "allow-and-tag"
}

/// The countries whose nationals a path reaches (spec §9): NZ-only, a list, or anyone.
public enum PathReach: Sendable, Hashable {
    case countries([String])
    case any
    public var isNZOnly: Bool { self == .countries(["NZL"]) }
}

/// A communication path: where a group of recipients' mail goes, and what it may carry.
public struct CommunicationPath: Sendable, Hashable {
    public var name: String
    /// The highest classification the path is accredited for.
    public var ceiling: Classification
    /// Endorsements the path may carry (canonical names).
    public var endorsements: Set<String>
    public var reach: PathReach
    /// Recipient domains routed over this path (lower case; subdomains included, spec §9).
    public var domains: [String]
    public var isDefault: Bool
    public var location: SourceLocation
}

/// A loaded, validated policy.
public struct Policy: Sendable {
    public var name: String
    /// SHA-256 of the policy file's bytes: with `name`, the policy's identity in every decision.
    public var contentHash: String = ""
    /// Organisation domains (lower case): mail between them is internal.
    public var domains: [String]
    /// Addresses that only internal senders may write to (lower case).
    public var internalOnlyAliases: [String]
    public var systemName: String
    /// The receiving system's accreditation (spec §6, inbound comparisons).
    public var accreditation: Classification
    /// Endorsements and codewords the system may hold (canonical names).
    public var systemEndorsements: Set<String>
    public var paths: [CommunicationPath]
    /// The marking vocabulary with the policy's extensions.
    public var vocabulary: Vocabulary
    /// The policy's choices; keys it does not set hold their defaults (see ``action(_:)``).
    public var actions: [ActionKey: PolicyAction]
    public var trustedAuthservIDs: [String]
    /// What reports may contain (`privacy:`).
    public var privacy: Privacy
    public var logSubjects: Bool { privacy.logSubjects }
    public var logAddresses: Bool { privacy.logAddresses }
    public var notices: [NoticeKey: String]
    /// Attachment types refused by family (`executable`, `script`, …) or by MIME type.
    public var denyFamilies: Set<String> = []
    public var denyTypes: Set<String> = []
    /// When non-empty, only these families/types are authorised (an allow list).
    public var allowFamilies: Set<String> = []
    public var allowTypes: Set<String> = []
    /// The family a file-name extension gives an attachment (`attachments.extension-families`,
    /// lower-case extension without the dot → family): Windows runs `.ps1`, `.vbs`, `.js`, `.hta`…
    /// by extension whatever libmagic calls their content, so the most dangerous of the content's,
    /// the extension's and the declared type's families decides.
    public var extensionFamilies: [String: String] = [:]

    /// The action the policy sets for `key`, or the spec's default.
    public func action(_ key: ActionKey) -> PolicyAction { actions[key] ?? key.defaultAction }

    /// The notice text the policy sets for `key`, or the generic default.
    public func notice(_ key: NoticeKey) -> String { notices[key] ?? key.defaultText }

    /// The path for a recipient domain: the most specific matching entry, else the default.
    public func path(forDomain domain: String) -> CommunicationPath {
        let d = domain.lowercased()
        var best: (CommunicationPath, Int)? = nil
        for p in paths {
            for pd in p.domains where d == pd || d.hasSuffix("." + pd) {
                if pd.count > (best?.1 ?? -1) { best = (p, pd.count) }
            }
        }
        return best?.0 ?? paths.first(where: \.isDefault)!
    }
}
