/// An error that stops reading or parsing a message: a limit was exceeded, or I/O failed.
///
/// Malformed input is never an error (see ``MailDefect``). The description names what
/// happened and where (byte offset, part path, file), and never quotes message content.
public struct MailParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A ``ParserLimits`` value was exceeded; `limit` names it.
        case limitExceeded(LimitName, limit: Int)
        /// A file or stream could not be read.
        case io(path: String, errno: Int32, operation: String)
        /// A path given to a reader is neither a file, a directory nor standard input.
        case unsupportedInput(path: String)
    }
    public var kind: Kind
    public var byteOffset: Int?
    public var partPath: [Int]

    public init(_ kind: Kind, byteOffset: Int? = nil, partPath: [Int] = []) {
        self.kind = kind
        self.byteOffset = byteOffset
        self.partPath = partPath
    }

    /// The limit exceeded, when this error is a limit.
    public var exceededLimit: LimitName? {
        if case .limitExceeded(let name, _) = kind { return name }
        return nil
    }

    public var description: String {
        var where_ = ""
        if let o = byteOffset { where_ += " at byte \(o)" }
        if !partPath.isEmpty { where_ += " in part \(partPath.map(String.init).joined(separator: "."))" }
        switch kind {
        case .limitExceeded(let name, let limit):
            return "limit exceeded: \(name.rawValue) (limit \(limit))\(where_)"
        case .io(let path, let err, let op):
            return "cannot \(op) \(path): \(String(cString: strerrorCompat(err)))"
        case .unsupportedInput(let path):
            return "not a file, directory or '-': \(path)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func strerrorCompat(_ e: Int32) -> UnsafeMutablePointer<CChar> { strerror(e) }
