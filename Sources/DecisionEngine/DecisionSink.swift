import MailParsing

/// Where a decision goes before anyone acts on it.
///
/// NZISM 15.2.40.C.02 [CID:1761] asks that every blocked email is logged, and 15.2.41.C.01
/// [CID:1764] that inbound mail above the accreditation is rejected, logged and reported. A
/// front-end that acts on a verdict (the milter replying to the MTA, a scan recording a batch)
/// hands a `DecisionEvent` to a sink and **awaits** `record(_:)` before it acts: when `record`
/// throws, the front-end fails closed (the milter answers tempfail; nothing is accepted
/// unrecorded). A quarantined message's bytes travel with the event so the store can keep them
/// before the MTA is told to hold the message ("nothing lost").
public protocol DecisionSink: Sendable {
    func record(_ event: DecisionEvent) async throws
}

/// A sink whose record is finished when `recordNow` returns, without waiting on anything else
/// (a file append, nothing at all). A front-end may call it on the thread that decided instead
/// of starting a task to await `record` (the milter saves a thread hand-off per message); the
/// rule is the same: it returns before the front-end acts, and a throw fails closed.
public protocol SynchronousDecisionSink: DecisionSink {
    func recordNow(_ event: DecisionEvent) throws
}

/// A sink that reports when its record is finished through a callback, called once on whatever
/// thread finished it (the audit store's writer, after the commit). A front-end may call it on
/// the thread that decided and act in `completion`, instead of starting a task to await
/// `record` (the milter saves two thread hand-offs per message); the rule is the same: act only
/// after a success, and a failure fails closed.
public protocol CompletionDecisionSink: DecisionSink {
    func record(_ event: DecisionEvent, completion: @escaping @Sendable (Result<Void, Error>) -> Void)
}

extension SynchronousDecisionSink {
    public func record(_ event: DecisionEvent) async throws { try recordNow(event) }
}

/// One decision, as a sink receives it. Built by the front-end; the engine stays pure.
public struct DecisionEvent: Sendable {
    /// Which front-end decided, with what it knows of the message's identity.
    public enum Origin: Sendable, Hashable {
        /// The milter: the MTA's queue id (`{i}`) and listener name (`{daemon_name}`) when sent.
        case gateway(queueID: String?, daemonName: String?)
        /// A batch scan: the message's source (`path@offset (#n)` or a file path).
        case scan(source: String)
        /// `pmark check` on one message.
        case check(source: String)
    }

    /// Seconds since 1970-01-01T00:00:00Z, from the front-end's clock (the engine has none).
    public var unixTime: Double
    public var origin: Origin
    /// The envelope the engine was given (direction possibly nil: then `verdict.direction` holds
    /// the inferred one).
    public var envelope: Envelope
    public var verdict: Verdict
    /// The message exactly as received (CRLF or LF as the front-end had it). Stores keep it for
    /// quarantined and blocked messages and hash it for identity.
    public var messageBytes: [UInt8]
    /// The engine's parse of `messageBytes` (``Evaluation/message``) when the front-end has it,
    /// so a store applying the privacy settings (which needs every address and file name in the
    /// message) does not parse the message again; nil: the store parses `messageBytes` itself.
    /// Never a parse of other bytes.
    public var message: Message?

    public init(
        unixTime: Double, origin: Origin, envelope: Envelope, verdict: Verdict, messageBytes: [UInt8],
        message: Message? = nil
    ) {
        self.unixTime = unixTime
        self.origin = origin
        self.envelope = envelope
        self.verdict = verdict
        self.messageBytes = messageBytes
        self.message = message
    }
}
