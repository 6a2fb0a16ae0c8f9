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
        // Ambiguities (spec §10.9): a client could see a different message than the strict
        // RFC 2046 reading; the marking reader reads the other interpretation too.
        /// A line `--boundary` followed by something other than white space (`--B junk`,
        /// `--B--x`): not a delimiter under RFC 2046, but a lenient client may take it as one.
        case delimiterWithTrailingText = "delimiter-with-trailing-text"
        /// A line that equals a delimiter except for letter case.
        case delimiterCaseMismatch = "delimiter-case-mismatch"
        /// A CR not followed by LF (some clients end lines there, RFC 5322 does not).
        case bareCarriageReturn = "bare-carriage-return"
        /// A parameter (e.g. `boundary`) given twice with different values.
        case duplicateParameter = "duplicate-parameter"
        /// Two `Subject` fields with different values at the top of a message (the other
        /// interpretation reads the last).
        case duplicateSubject = "duplicate-subject"
        /// Two `From` fields with different values: who sent it depends on the reader.
        case duplicateFrom = "duplicate-from"
        /// A line without a colon, or with a NUL or 8-bit name, followed by more header
        /// fields before the blank line: the strict reading ends the header section there.
        case headerSectionInterrupted = "header-section-interrupted"
        /// A transfer encoding written with extra text (`base64;`, `base64 (x)`): read as the
        /// named encoding; a strict reader treats it as unknown.
        case nonStandardTransferEncoding = "non-standard-transfer-encoding"
        /// A `boundary` ending in white space: RFC 2046 keeps it, Python's email and others
        /// strip it (the other interpretation strips it).
        case boundaryTrailingSpace = "boundary-trailing-space"
    }

    /// Whether a client could see a different message than pmark parsed (spec §10.9). The
    /// parser then also builds the other interpretation (``Message/alternate``).
    public var isAmbiguity: Bool { kind.isAmbiguity }

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

extension MailDefect.Kind {
    /// Defects that make the message ambiguous (spec §10.9).
    public var isAmbiguity: Bool {
        switch self {
        case .delimiterWithTrailingText, .delimiterCaseMismatch, .bareCarriageReturn, .duplicateParameter,
            .duplicateSubject, .duplicateFrom,
            .headerSectionInterrupted, .nonStandardTransferEncoding, .boundaryTrailingSpace, .duplicateContentHeader,
            .missingBoundaryParameter,
            .startBoundaryNotFound, .unknownTransferEncoding, .encodingOnCompositeType:
            return true
        default:
            return false
        }
    }

    /// Ambiguities for which the parser builds no second interpretation: the message is
    /// ambiguous whatever the markings (a transfer encoding nobody knows, a transfer-encoded
    /// multipart, two `From` fields that differ).
    public var isUnresolvedAmbiguity: Bool {
        self == .unknownTransferEncoding || self == .encodingOnCompositeType || self == .duplicateFrom
    }
}
