/// Resource limits for parsing one message.
///
/// Every limit exists because hostile mail can otherwise make a gateway spend unbounded
/// memory or time. Exceeding one stops the parse with ``MailParseError`` of kind
/// ``MailParseError/Kind/limitExceeded``: a distinct outcome that callers must treat as
/// "could not be inspected" (the decision engine quarantines or temp-fails, never allows).
public struct ParserLimits: Sendable, Hashable {
    /// Largest message accepted, in bytes (default 64 MiB).
    ///
    /// Prevents memory exhaustion by a single huge message. Gateways normally refuse much
    /// smaller mail (Postfix `message_size_limit` defaults to 10 MB), so 64 MiB leaves room
    /// for archives while bounding the memory of one parse.
    public var maxMessageBytes: Int = 64 << 20
    /// Largest header section of one entity, in bytes (default 1 MiB).
    ///
    /// Prevents a "header bomb": megabytes of headers that never reach a blank line make
    /// every header lookup and the marking readers slow.
    public var maxHeaderBytes: Int = 1 << 20
    /// Most header fields in one entity (default 5,000).
    ///
    /// Real mail has tens of fields (long Received chains reach ~100); millions of tiny
    /// fields are an allocation attack.
    public var maxHeaderCount: Int = 5_000
    /// Longest single header field after unfolding, in bytes (default 256 KiB).
    ///
    /// RFC 5322 §2.1.1 caps lines at 998 octets, but folded fields and broken mailers
    /// produce longer ones; beyond 256 KiB a field is an attack on the encoded-word and
    /// parameter decoders, which are linear but allocate per field.
    public var maxLineLength: Int = 256 << 10
    /// Deepest nesting of multiparts and embedded messages (default 32).
    ///
    /// Prevents stack exhaustion and quadratic rescans from "Russian doll" messages. Real
    /// mail rarely exceeds depth 6 (forward of a forward of a signed message).
    public var maxDepth: Int = 32
    /// Most MIME entities in one message, embedded messages included (default 2,000).
    ///
    /// Prevents a flood of empty parts (a few bytes each) from costing a gateway millions of
    /// allocations. The largest real message in the test corpora has about 300 attachments.
    public var maxParts: Int = 2_000
    /// Largest decoded size of one entity's body, in bytes (default 128 MiB).
    ///
    /// Transfer decoding shrinks data, but uuencode/base64 of a message near
    /// ``maxMessageBytes`` plus embedded-message decoding must still be bounded.
    public var maxDecodedBytes: Int = 128 << 20

    /// The documented defaults.
    public static let `default` = ParserLimits()

    /// Creates limits; every argument defaults to the documented value.
    public init(
        maxMessageBytes: Int = 64 << 20, maxHeaderBytes: Int = 1 << 20,
        maxHeaderCount: Int = 5_000, maxLineLength: Int = 256 << 10,
        maxDepth: Int = 32, maxParts: Int = 2_000, maxDecodedBytes: Int = 128 << 20
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxLineLength = maxLineLength
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxDecodedBytes = maxDecodedBytes
    }
}

/// The name of a limit, as reported when it is exceeded.
public enum LimitName: String, Sendable, Hashable, CaseIterable, Codable {
    case messageBytes = "message-bytes"
    case headerBytes = "header-bytes"
    case headerCount = "header-count"
    case lineLength = "line-length"
    case depth = "depth"
    case parts = "parts"
    case decodedBytes = "decoded-bytes"
}
