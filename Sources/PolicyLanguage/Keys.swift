/// The decisions a policy may set in its `actions:` section, where the specification leaves
/// the choice to the policy. Raw values are the policy file's keys and never change.
public enum ActionKey: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case unmarkedOutbound = "unmarked-outbound"
    case unmarkedInbound = "unmarked-inbound"
    case inappropriatelyMarked = "inappropriately-marked"
    case denyListedAttachment = "deny-listed-attachment"
    case unidentifiableAttachment = "unidentifiable-attachment"
    case encryptedAttachment = "encrypted-attachment"
    /// Auto-forwarded marked mail leaving the organisation gets every outbound check; a policy
    /// may also block all of it (spec §6).
    case autoForwardExternal = "auto-forward-external"

    /// The spec's decision table default, used when the policy does not set the key.
    public var defaultAction: PolicyAction {
        switch self {
        case .unmarkedOutbound, .inappropriatelyMarked, .unidentifiableAttachment, .encryptedAttachment: .quarantine
        case .unmarkedInbound: .allowAndTag
        case .denyListedAttachment: .block
        case .autoForwardExternal: .allow
        }
    }

    public static func < (a: ActionKey, b: ActionKey) -> Bool { a.rawValue < b.rawValue }
}

/// Notice and SMTP reply texts a policy may set in its `notices:` section.
public enum NoticeKey: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case smtpReject = "smtp-reject"
    case smtpTempfail = "smtp-tempfail"
    case recipientNotice = "recipient-notice"
    case senderNotice = "sender-notice"
    /// The header the gateway adds for allow-and-tag (a generic field: it names no marking or rule).
    case tagHeader = "tag-header"

    /// Generic texts that reveal nothing of what matched.
    public var defaultText: String {
        switch self {
        case .smtpReject: "550 5.7.1 Message refused by the receiving organisation's email policy"
        case .smtpTempfail: "451 4.7.1 Message could not be processed; try again later"
        case .recipientNotice: "A message addressed to you was held by the email gateway."
        case .senderNotice: "Your message was not delivered because of the organisation's email policy."
        case .tagHeader: "X-Pmark-Tag: review"
        }
    }

    /// Whether the text is an SMTP reply (must start with a 4xx or 5xx code).
    public var isSMTPReply: Bool { self == .smtpReject || self == .smtpTempfail }

    public static func < (a: NoticeKey, b: NoticeKey) -> Bool { a.rawValue < b.rawValue }
}

/// What the policy lets pmark write into reports and logs (`privacy:`). Every report of a
/// decision (text, JSON, the audit store) applies it: what is not allowed is replaced by
/// `(redacted)`.
public struct Privacy: Sendable, Hashable, Codable {
    /// `log-subjects` (default false): the decoded Subject may appear.
    public var logSubjects: Bool
    /// `log-addresses` (default false): envelope and header addresses may appear.
    public var logAddresses: Bool
    /// `log-attachment-names` (default false): attachment and archive entry file names may
    /// appear (they often repeat the subject).
    public var logAttachmentNames: Bool

    public init(logSubjects: Bool = false, logAddresses: Bool = false, logAttachmentNames: Bool = false) {
        self.logSubjects = logSubjects
        self.logAddresses = logAddresses
        self.logAttachmentNames = logAttachmentNames
    }

    /// Nothing withheld (tests, and reports that never leave the accredited system).
    public static let open = Privacy(logSubjects: true, logAddresses: true, logAttachmentNames: true)
    /// The policy default: nothing personal is written.
    public static let closed = Privacy()
}
