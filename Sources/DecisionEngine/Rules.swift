import ContentInspection
import MailParsing
import Markings
import PolicyLanguage

/// What a rule's evaluation sees: the evidence of one message and the context it is decided in.
public struct RuleInput: Sendable {
    public let message: Message
    public let envelope: Envelope
    public let direction: Direction
    public let policy: Policy
    public let markings: MarkingResult
    public let content: ContentReport
}

/// A rule as a value: its stable id (never reused), a one-line title, the NZISM controls it
/// implements, the policy key that chooses its action (or its fixed action), when it applies
/// under a policy, and what `policy explain` says of it. The engine, `policy explain`, the
/// harness coverage and the README rule table (`pmark policy rules`) all derive from these
/// definitions; a rule added to ``Rules/all`` (or passed to the engine) shows up in all of them.
public struct Rule: Sendable, Hashable, Codable {
    public let id: String
    public let title: String
    /// `NZISM 15.2.40.C.01 [CID:1760]` style citations.
    public let controls: [String]
    /// The policy's `actions:` key that chooses the action; nil when the action is fixed.
    public let actionKey: ActionKey?
    /// The action when no policy key chooses it.
    public let fixedAction: Action
    let appliesTo: @Sendable (Policy) -> Bool
    /// Message-level evaluation for rules defined outside the built-in decision table (the
    /// built-in rules are evaluated by the engine's path and system checks, which need the
    /// per-recipient path resolution).
    let evaluation: (@Sendable (RuleInput) -> [String])?

    public init(
        id: String, title: String, controls: [String], actionKey: ActionKey? = nil, fixedAction: Action = .block,
        applies: @escaping @Sendable (Policy) -> Bool = { _ in true },
        evaluate: (@Sendable (RuleInput) -> [String])? = nil
    ) {
        self.id = id
        self.title = title
        self.controls = controls
        self.actionKey = actionKey
        self.fixedAction = fixedAction
        self.appliesTo = applies
        self.evaluation = evaluate
    }

    /// Whether the rule can fire under `policy` (harness coverage counts only these).
    public func applies(to policy: Policy) -> Bool { appliesTo(policy) }

    /// The action the rule asks for under `policy`.
    public func action(under policy: Policy) -> Action {
        actionKey.map { Action(policy.action($0)) } ?? fixedAction
    }

    /// Reasons from a rule with its own evaluation: one per evidence string it returns.
    func evaluate(_ input: RuleInput) -> [Reason] {
        (evaluation?(input) ?? []).map { Reason(rule: self, action: action(under: input.policy), evidence: $0) }
    }

    public static func == (a: Rule, b: Rule) -> Bool { a.id == b.id && a.title == b.title && a.controls == b.controls }
    public func hash(into h: inout Hasher) { h.combine(id) }

    enum CodingKeys: String, CodingKey { case id, title, controls }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(controls, forKey: .controls)
    }
    /// A decoded rule is the definition with its id when pmark knows it; otherwise the data.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .id)
        if let known = Rules.byID[id] {
            self = known
            return
        }
        self.init(
            id: id, title: try c.decode(String.self, forKey: .title),
            controls: try c.decode([String].self, forKey: .controls))
    }
}

extension Action {
    public init(_ a: PolicyAction) {
        switch a {
        case .block: self = .block
        case .quarantine: self = .quarantine
        case .allowAndTag: self = .allowAndTag
        case .allow: self = .allow
        }
    }
}

/// Every rule of the engine (spec §6). Ids are referenced by reports, the audit log and
/// policy tests, so they never change meaning.
public enum Rules {
    static let c1760 = ["NZISM 15.2.40.C.01 [CID:1760]"], c1764 = ["NZISM 15.2.41.C.01 [CID:1764]"],
        c1754 = ["NZISM 15.2.39.C.01 [CID:1754]"]
    static let c1756 = ["NZISM 15.2.39.C.03 [CID:1756]"], c1745 = ["NZISM 15.2.37.C.01 [CID:1745]"],
        c1771 = ["NZISM 15.2.43.C.01 [CID:1771]"]
    @Sendable static func high(_ p: Policy) -> Bool { p.accreditation.rank >= 4 }  // CONFIDENTIAL and above
    @Sendable static func attachmentLists(_ p: Policy) -> Bool {
        !p.denyFamilies.isEmpty || !p.denyTypes.isEmpty || !p.allowFamilies.isEmpty || !p.allowTypes.isEmpty
    }

    public static let outboundClassification = Rule(
        id: "PM-OUT-001", title: "classification exceeds the communication path", controls: c1760)
    public static let outboundNZEO = Rule(
        id: "PM-OUT-002", title: "NZEO over a path that reaches foreign nationals", controls: c1760)
    public static let outboundRelTo = Rule(
        id: "PM-OUT-003", title: "REL TO list does not cover the path's countries", controls: c1760)
    public static let outboundEndorsement = Rule(
        id: "PM-OUT-004", title: "endorsement or codeword not permitted on the path", controls: c1760)
    public static let outboundForeignEyes = Rule(
        id: "PM-OUT-005", title: "foreign-eyes-only material (AUSTEO/AGAO) leaving the system", controls: c1760)
    public static let inboundClassification = Rule(
        id: "PM-IN-001", title: "classification exceeds the system's accreditation", controls: c1764)
    public static let inboundEndorsement = Rule(
        id: "PM-IN-002", title: "endorsement or codeword the system may not hold", controls: c1764)
    public static let unmarkedHighSystem = Rule(
        id: "PM-UNM-001", title: "unmarked mail on a system accredited CONFIDENTIAL or above", controls: c1754,
        applies: high)
    /// The action key depends on the direction (`unmarked-inbound` / `unmarked-outbound`); the
    /// engine picks it.
    public static let unmarked = Rule(
        id: "PM-UNM-002", title: "unmarked mail", controls: c1756, actionKey: .unmarkedOutbound,
        applies: { !high($0) })
    public static let inappropriateHighSystem = Rule(
        id: "PM-INAPP-001", title: "inappropriately marked mail on a system accredited CONFIDENTIAL or above",
        controls: c1754, actionKey: .inappropriatelyMarked, applies: high)
    public static let inappropriate = Rule(
        id: "PM-INAPP-002", title: "inappropriately marked mail", controls: c1756, actionKey: .inappropriatelyMarked,
        applies: { !high($0) })
    public static let autoForward = Rule(
        id: "PM-FWD-001", title: "auto-forwarded mail leaving the organisation", controls: c1771,
        actionKey: .autoForwardExternal)
    public static let internalOnlyAlias = Rule(
        id: "PM-ALIAS-001", title: "mail from outside to an internal-only alias", controls: c1745,
        applies: { !$0.internalOnlyAliases.isEmpty })
    public static let spoofedDomain = Rule(
        id: "PM-SPOOF-001", title: "external mail claiming an organisation sender domain", controls: c1745)
    public static let deniedAttachment = Rule(
        id: "PM-ATT-001", title: "deny-listed or unauthorised attachment type (by content)", controls: c1745,
        actionKey: .denyListedAttachment, applies: attachmentLists)
    public static let unidentifiableAttachment = Rule(
        id: "PM-ATT-002", title: "attachment content that cannot be identified", controls: c1745,
        actionKey: .unidentifiableAttachment)
    public static let encryptedAttachment = Rule(
        id: "PM-ATT-003", title: "encrypted content that cannot be inspected", controls: c1745,
        actionKey: .encryptedAttachment)
    public static let archiveLimit = Rule(
        id: "PM-ATT-004", title: "archive limit exceeded (possible decompression bomb)", controls: c1745,
        fixedAction: .quarantine)
    public static let typeMismatch = Rule(
        id: "PM-ATT-005", title: "attachment content disguised by its name or declared type", controls: c1745,
        fixedAction: .quarantine)
    public static let notInspected = Rule(
        id: "PM-ERR-001", title: "message or element could not be inspected", controls: c1756, fixedAction: .quarantine)

    public static let all: [Rule] = [
        outboundClassification, outboundNZEO, outboundRelTo, outboundEndorsement, outboundForeignEyes,
        inboundClassification, inboundEndorsement, unmarkedHighSystem, unmarked, inappropriateHighSystem,
        inappropriate, autoForward, internalOnlyAlias, spoofedDomain, deniedAttachment, unidentifiableAttachment,
        encryptedAttachment, archiveLimit, typeMismatch, notInspected,
    ]

    static let byID: [String: Rule] = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })

    /// The rules of `rules` that can fire under `policy`: the unmarked and inappropriately-marked
    /// rules depend on the system tier, the alias rule needs internal-only aliases, the attachment
    /// type rule needs a deny or allow list.
    public static func applicable(to policy: Policy, rules: [Rule] = all) -> [Rule] {
        rules.filter { $0.applies(to: policy) }
    }

    /// The README's rule table: id, title, action under the embedded default policy, controls.
    public static func markdownTable(_ rules: [Rule] = all) -> String {
        var out = "| rule | title | action | controls |\n|---|---|---|---|\n"
        for r in rules {
            var action =
                r.actionKey.map { "policy `\($0.rawValue)` (default \($0.defaultAction.rawValue))" }
                ?? r.fixedAction.rawValue
            if r.actionKey == .unmarkedOutbound {
                action +=
                    """
                    , inbound `\(ActionKey.unmarkedInbound.rawValue)` (default \
                    \(ActionKey.unmarkedInbound.defaultAction.rawValue))
                    """
            }
            out += "| \(r.id) | \(r.title) | \(action) | \(r.controls.joined(separator: "; ")) |\n"
        }
        return out
    }

    /// Notices cite these (spec §9).
    public static let recipientNoticeControl = "NZISM 15.2.41.C.02 [CID:1765]"
    public static let senderNoticeControl = "NZISM 15.2.42.C.01 [CID:1768]"
    public static let blockLoggedControl = "NZISM 15.2.40.C.02 [CID:1761]"
}
