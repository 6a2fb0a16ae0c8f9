/// A piece of malformed but parseable input, recorded as data on the message.
///
/// Defects never stop a parse (only limits and I/O do). Each records where it was found:
/// the byte offset in the message (or in the decoded body of an embedded message) and the
/// MIME part path (`[]` is the top-level entity, `[2, 1]` the first child of the second).
public struct MailDefect: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of malformation this is. Raw values are stable identifiers.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case malformedHeaderLine = "malformed-header-line"
        case missingHeaderBodySeparator = "missing-header-body-separator"
        case continuationWithoutHeader = "continuation-without-header"
        case obsoleteHeaderSyntax = "obsolete-header-syntax"
        case eightBitHeader = "eight-bit-header"
        case nulByte = "nul-byte"
        case invalidEncodedWord = "invalid-encoded-word"
        case unknownCharset = "unknown-charset"
        case invalidCharsetData = "invalid-charset-data"
        case malformedContentType = "malformed-content-type"
        case malformedParameter = "malformed-parameter"
        case unterminatedQuotedString = "unterminated-quoted-string"
        case duplicateContentHeader = "duplicate-content-header"
        case missingBoundaryParameter = "missing-boundary-parameter"
        case startBoundaryNotFound = "start-boundary-not-found"
        case closeBoundaryNotFound = "close-boundary-not-found"
        case encodingOnCompositeType = "encoding-on-composite-type"
        case unknownTransferEncoding = "unknown-transfer-encoding"
        case invalidBase64 = "invalid-base64"
        case truncatedBase64 = "truncated-base64"
        case invalidQuotedPrintable = "invalid-quoted-printable"
        case invalidUuencode = "invalid-uuencode"
        case emptyEmbeddedMessage = "empty-embedded-message"
        case contentLengthMismatch = "content-length-mismatch"
        case noHeaders = "no-headers"
        /// Blank lines or other bytes before an mbox's first `From ` postmark; skipped. The
        /// offset is that of the first postmark in the file.
        case mboxJunkBeforeFirstPostmark = "mbox-junk-before-first-postmark"
    }

    public var kind: Kind
    /// Byte offset of the defect in the buffer the entity was parsed from.
    public var byteOffset: Int
    /// Part path of the entity (1-based child indices from the top-level entity).
    public var partPath: [Int]

    public init(_ kind: Kind, at byteOffset: Int, partPath: [Int] = []) {
        self.kind = kind
        self.byteOffset = byteOffset
        self.partPath = partPath
    }

    /// `kind@offset in part 1.2`.
    public var description: String {
        let path = partPath.isEmpty ? "top" : partPath.map(String.init).joined(separator: ".")
        return "\(kind.rawValue)@\(byteOffset) in part \(path)"
    }
}
