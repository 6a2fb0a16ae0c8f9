import MailParsing

/// What the engine's entry point returns: the parsed message (for reports), why it could not
/// be inspected (if so), the envelope actually used (gaps filled from the headers when asked)
/// and the verdict.
public struct Evaluation: Sendable {
    /// nil when the message could not be parsed (see `error`).
    public var message: Message?
    /// The limit or read error that stopped inspection; the verdict is then a quarantine.
    public var error: MailParseError?
    public var envelope: Envelope
    public var verdict: Verdict

    public init(message: Message?, error: MailParseError?, envelope: Envelope, verdict: Verdict) {
        self.message = message
        self.error = error
        self.envelope = envelope
        self.verdict = verdict
    }

    /// The outcome a command-line front-end turns into its exit status, from typed actions.
    public enum Outcome: Int, Sendable, Hashable, Codable {
        /// Delivered (allow or allow-and-tag) to every recipient.
        case delivered = 0
        /// Not inspected (limit, unreadable): quarantined.
        case notInspected = 1
        /// The whole message is held.
        case quarantined = 2
        /// At least one recipient is refused.
        case blocked = 3
    }

    public var outcome: Outcome {
        if error != nil || !verdict.inspected { return .notInspected }
        if verdict.messageAction == .quarantine { return .quarantined }
        if verdict.blocksSomeRecipient { return .blocked }
        return .delivered
    }
}
