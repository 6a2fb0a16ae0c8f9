import MailParsing

/// Auto-forwarding signals in a message's headers (spec §7, made precise in §8). Envelope
/// signals (internal envelope sender with an external From; several Delivered-To) need an
/// envelope and belong to the decision engine.
public enum AutoForward {
    /// The names of the signals that fired, in a stable order.
    public static func signals(_ m: Message) -> [String] {
        var out: [String] = []
        let h = m.root
        if h.header("x-ms-exchange-inbox-rules-loop") != nil { out.append("x-ms-exchange-inbox-rules-loop") }
        if h.header("x-ms-exchange-organization-autoforwarded")?.value.lowercased() == "true" {
            out.append("x-ms-exchange-organization-autoforwarded")
        }
        if h.header("x-forwarded-to") != nil { out.append("x-forwarded-to") }
        if h.header("x-forwarded-for") != nil { out.append("x-forwarded-for") }
        if h.header("resent-from") != nil || h.header("resent-sender") != nil { out.append("resent") }
        if h.header("x-ms-exchange-generated-message-source")?.value.lowercased() == "mailbox rules agent"
            && !isAutoReply(m)
        {
            out.append("x-ms-exchange-generated-message-source")
        }
        return out
    }

    /// `Auto-Submitted: auto-replied`, or `X-Auto-Response-Suppress` with an "Automatic reply" subject.
    static func isAutoReply(_ m: Message) -> Bool {
        if m.header("auto-submitted")?.value.lowercased().hasPrefix("auto-replied") == true { return true }
        if m.header("x-auto-response-suppress") != nil, m.subject?.lowercased().hasPrefix("automatic reply") == true {
            return true
        }
        return false
    }
}
