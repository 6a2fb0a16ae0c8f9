import DecisionEngine
import MilterCodec
import PolicyLanguage

/// How a connection's direction is known. Order: the listener's own direction, then the
/// `{daemon_name}` the MTA sends (a Postfix `master.cf` listener sets it with
/// `-o milter_macro_daemon_name=NAME`), then inference from the envelope (sender and recipient
/// domains against the policy's organisation domains). An authenticated submission
/// (`{auth_authen}` present) is always marked as one; it never makes mail inbound.
public struct DirectionRules: Sendable, Hashable {
    public var listener: Direction?
    public var daemonNames: [String: Direction]
    public init(listener: Direction? = nil, daemonNames: [String: Direction] = [:]) {
        self.listener = listener
        self.daemonNames = daemonNames
    }

    public func direction(daemonName: String?) -> Direction? {
        if let listener { return listener }
        if let d = daemonName, let dir = daemonNames[d] { return dir }
        return nil
    }
}

/// The gateway's decisions: envelope from the milter session, milter replies from a verdict. No
/// reply, header or reason text names the marking, the rule or another recipient.
public enum Gateway {
    /// The hold reason Postfix records with a quarantined message (`postcat`, logs). Generic.
    public static let quarantineReason = "held by the email gateway's policy"
    /// Used when the policy has no `notices.tag-header`.
    public static let defaultTagHeader = (name: "X-Pmark-Tag", value: "review")

    /// The envelope the engine sees.
    public static func envelope(_ s: MilterSession, rules: DirectionRules) -> Envelope {
        let auth = s.macros["auth_authen"].map { !$0.isEmpty } ?? false
        return Envelope(
            direction: rules.direction(daemonName: s.macros["daemon_name"]), mailFrom: s.mailFrom,
            recipients: s.recipients.map(\.address), authenticatedSubmission: auth, clientAddress: s.clientAddress)
    }

    /// `Name: value` → (name, value), or nil when it is not a header field.
    public static func headerField(_ s: String?) -> (name: String, value: String)? {
        guard let s, let colon = s.firstIndex(of: ":") else { return nil }
        let name = s[..<colon], value = s[s.index(after: colon)...].drop { $0 == " " }
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }),
            !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
        else { return nil }
        return (String(name), String(value))
    }

    /// SMTP tempfail reply (the policy's generic text).
    public static func tempfail(_ policy: Policy?) -> [MilterResponse] {
        if let t = policy?.notices[.smtpTempfail], t.hasPrefix("4") { return [.replyCode(t)] }
        return [.tempfail]
    }

    /// The end-of-message replies for a verdict: blocked recipients removed (the others
    /// delivered), the whole message held (quarantine), rejected with the generic 5.7.1 text when
    /// every recipient is blocked, or tagged. When the MTA did not grant an action the verdict
    /// needs, the answer is tempfail (never accept).
    public static func responses(for verdict: Verdict, session s: MilterSession, policy: Policy) -> [MilterResponse] {
        let blocked = Set(verdict.decisions.filter { $0.action == .block }.flatMap(\.recipients))
        switch verdict.messageAction {
        case .block:
            let reject = policy.notices[.smtpReject] ?? NoticeKey.smtpReject.defaultText
            return [.replyCode(reject)]
        case .quarantine, .allow, .allowAndTag:
            var out: [MilterResponse] = []
            let remove = s.recipients.filter { blocked.contains($0.address) }
            if !remove.isEmpty {
                guard s.canDeleteRecipients else { return tempfail(policy) }
                out += remove.map { .deleteRecipient($0.raw) }
            }
            if verdict.messageAction == .allowAndTag {
                guard s.canAddHeaders else { return tempfail(policy) }
                let h = headerField(policy.notices[.tagHeader]) ?? defaultTagHeader
                // With SMFIP_HDR_LEADSPC agreed the MTA writes the value exactly after the colon.
                out.append(.addHeader(name: h.name, value: (s.headerLeadingSpace ? " " : "") + h.value))
            }
            if verdict.messageAction == .quarantine {
                guard s.canQuarantine else { return tempfail(policy) }
                out.append(.quarantine(reason: quarantineReason))
            }
            out.append(.accept)
            return out
        }
    }
}
