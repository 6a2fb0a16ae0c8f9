import ContentInspection
import Markings

/// Direction of a message relative to the organisation (spec §6, §9).
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable {
    case inbound, outbound, `internal`
}

/// What happens to mail for a recipient. Ordered: block > quarantine > allow-and-tag > allow.
public enum Action: String, Sendable, Hashable, Comparable, Codable, CaseIterable {
    case allow, allowAndTag = "allow-and-tag", quarantine, block
    /// Whether the message (or the recipient) is delivered.
    public var delivers: Bool { self == .allow || self == .allowAndTag }
    var strength: Int {
        switch self {
        case .allow: 0
        case .allowAndTag: 1
        case .quarantine: 2
        case .block: 3
        }
    }
    public static func < (a: Action, b: Action) -> Bool { a.strength < b.strength }
}

/// The SMTP envelope and what the gateway knows about the connection.
public struct Envelope: Sendable, Hashable, Codable {
    /// nil: inferred from the envelope sender, recipients and organisation domains.
    public var direction: Direction?
    public var mailFrom: String?
    public var recipients: [String]
    /// The submitter authenticated to the organisation's MSA (an internal sender "verified by
    /// other trusted means", spec §9).
    public var authenticatedSubmission: Bool
    public var clientAddress: String?

    public init(
        direction: Direction? = nil, mailFrom: String? = nil, recipients: [String],
        authenticatedSubmission: Bool = false, clientAddress: String? = nil
    ) {
        self.direction = direction
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.authenticatedSubmission = authenticatedSubmission
        self.clientAddress = clientAddress
    }
}

/// Why a rule fired: the rule, the action it asks for, and the evidence (location and marking
/// text only; never message content).
public struct Reason: Sendable, Hashable, Codable {
    public var rule: Rule
    public var action: Action
    public var evidence: String
    public init(rule: Rule, action: Action, evidence: String) {
        self.rule = rule
        self.action = action
        self.evidence = evidence
    }
}

/// The decision for a group of recipients that share a path and a verdict.
public struct RecipientDecision: Sendable, Hashable, Codable {
    /// The path name (outbound), or `system` (inbound and internal mail).
    public var path: String
    public var recipients: [String]
    public var action: Action
    /// Every reason that on its own produces `action` (the strongest), then the weaker ones.
    public var reasons: [Reason]
}

/// The engine's answer for one message.
public struct Verdict: Sendable, Codable {
    public var policyName: String
    public var policyHash: String
    public var direction: Direction
    public var decisions: [RecipientDecision]
    /// The message-level gateway action: quarantine holds the whole message when any
    /// recipient's verdict is quarantine; otherwise blocked recipients are removed.
    public var messageAction: Action
    public var markings: MarkingResult?
    /// Attachments identified by content, with their findings.
    public var content: ContentReport?
    /// Whether the intended recipients are to be told a message was held (inbound, 15.2.41.C.02).
    public var notifyRecipients: Bool
    /// Whether a notice may go to the sender (verified sender only, 15.2.42.C.01).
    public var notifySender: Bool
    public var autoForwardSignals: [String]

    /// Whether the message was inspected (false: a limit or read error; the verdict is the
    /// fail-closed quarantine of ``Rules/notInspected``).
    public var inspected: Bool { markings != nil }
    /// Whether any recipient is refused.
    public var blocksSomeRecipient: Bool { decisions.contains { $0.action == .block } }
}
