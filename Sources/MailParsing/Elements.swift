#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an element sits in a message, as one typed path with one rendered form:
/// `attachment[2]`, `attachment[1]/message/attachment[3]`, `attachment[2]/inner.zip/evil.exe`.
public struct ElementLocation: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public enum Step: Sendable, Hashable, Codable {
        /// The n-th element (1-based) of a message: attachments, inline non-body parts,
        /// embedded messages.
        case attachment(Int)
        /// The message inside a `message/rfc822` element.
        case message
        /// A named entry inside an archive or document container.
        case entry(String)
    }

    public var steps: [Step]
    public init(_ steps: [Step] = []) { self.steps = steps }

    /// The top-level message (`message`).
    public static let message = ElementLocation()

    public func appending(_ s: Step) -> ElementLocation { ElementLocation(steps + [s]) }

    public var description: String { rendered(names: true) }

    /// The rendered form; with `names: false` entry names become `entry[n]` (for reports whose
    /// policy withholds attachment names).
    public func rendered(names: Bool) -> String {
        guard !steps.isEmpty else { return "message" }
        var out: [String] = []
        var entryCount = 0
        for s in steps {
            switch s {
            case .attachment(let n): out.append("attachment[\(n)]")
            case .message: out.append("message")
            case .entry(let name):
                entryCount += 1
                out.append(names ? name : "entry[\(entryCount)]")
            }
        }
        return out.joined(separator: "/")
    }

    public static func < (a: ElementLocation, b: ElementLocation) -> Bool { a.description < b.description }
}

/// One element of a message: an attachment, an inline non-body part or an embedded message,
/// at any depth. ``Message/elements`` enumerates them once; every consumer (content
/// identification, marking reading) walks the same list and reads decoded bytes through
/// ``decoded()``, which decodes at most once per element.
public struct MessageElement: Sendable {
    public let location: ElementLocation
    /// The message that holds the part (the top level, or an embedded message).
    public let message: Message
    /// Index of the part in `message.parts`.
    public let partIndex: Int
    /// Index in the element list of the enclosing element (the `message/rfc822` element an
    /// embedded message's elements sit in); nil at the top level.
    public let parent: Int?

    public var part: MIMEPart { message.parts[partIndex] }
    /// A stable key for this element within one evaluation.
    public var key: Key { Key(message: ObjectIdentifier(message), part: partIndex) }

    public struct Key: Sendable, Hashable {
        public let message: ObjectIdentifier
        public let part: Int
        public init(message: ObjectIdentifier, part: Int) {
            self.message = message
            self.part = part
        }
    }

    /// The transfer-decoded bytes, decoded once and shared (see ``Message/decodedBody(of:)``).
    public func decoded() throws -> Message.DecodedBody { try message.decodedBody(of: part) }
}

extension Message {
    /// Every element of this message and of its embedded messages, depth first, each once,
    /// with its typed location and a link to its enclosing element. Body parts (see
    /// ``bodyAndElements()``) are not elements.
    public var elements: [MessageElement] {
        var out: [MessageElement] = []
        collectElements(prefix: ElementLocation(), parent: nil, into: &out)
        return out
    }

    func collectElements(prefix: ElementLocation, parent: Int?, into out: inout [MessageElement]) {
        for (k, idx) in bodyAndElements().elements.enumerated() {
            let loc = prefix.appending(.attachment(k + 1))
            out.append(MessageElement(location: loc, message: self, partIndex: idx, parent: parent))
            if let e = parts[idx].embedded {
                e.collectElements(prefix: loc.appending(.message), parent: out.count - 1, into: &out)
            }
        }
    }
}

/// Decoded bodies and texts of a message's parts, made once and shared by every consumer.
/// Bounded: a body is only kept when it decoded within `maxDecodedBytes` (a larger one
/// throws, as before), so the cache never holds more than the message's own parts decoded.
final class DecodeCache: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var bodies: [Int: Result<Message.DecodedBody, MailParseError>] = [:]
    private var texts: [Int: (text: String, defects: [MailDefect.Kind])] = [:]
    /// Full transfer decodings performed, per part index (tests assert at most one).
    private(set) var decodeCounts: [Int: Int] = [:]

    init() {
        // Recursive: a decoding made under the lock records itself (``noteDecode(_:)``).
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(&mutex, &attr)
        pthread_mutexattr_destroy(&attr)
    }
    deinit { pthread_mutex_destroy(&mutex) }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }

    /// The body of part `i`, decoded by `make` on first use; a failure (a limit) is kept too,
    /// so it is not retried by the next consumer.
    func body(_ i: Int, make: () throws(MailParseError) -> Message.DecodedBody) throws(MailParseError)
        -> Message.DecodedBody
    {
        let r: Result<Message.DecodedBody, MailParseError> = withLock {
            if let b = bodies[i] { return b }
            let b: Result<Message.DecodedBody, MailParseError>
            b = Result { () throws(MailParseError) -> Message.DecodedBody in try make() }
            bodies[i] = b
            return b
        }
        return try r.get()
    }

    /// Records one full transfer decoding of part `i` (called by every decoding, cached or not).
    func noteDecode(_ i: Int?) {
        guard let i else { return }
        withLock { decodeCounts[i, default: 0] += 1 }
    }

    func cachedBody(_ i: Int) -> Message.DecodedBody? { withLock { try? bodies[i]?.get() } }

    func text(_ i: Int, make: () throws -> (text: String, defects: [MailDefect.Kind])) rethrows -> (
        text: String, defects: [MailDefect.Kind]
    ) {
        if let t = withLock({ texts[i] }) { return t }
        let t = try make()
        withLock { texts[i] = t }
        return t
    }

    var counts: [Int: Int] { withLock { decodeCounts } }
}
