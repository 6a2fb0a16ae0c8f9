/// One header field, in the order it appeared, with its raw bytes kept.
public struct HeaderField: Sendable {
    /// The field name as written (case kept; compare with ``is(_:)``).
    public let name: String
    /// The raw field body after the colon, folding and 8-bit bytes intact (no trailing CRLF).
    public let rawValue: ArraySlice<UInt8>
    /// Offset of the field's first byte in the buffer it was parsed from.
    public let offset: Int

    /// Whether the field name equals `lowerName` (ASCII case-insensitive).
    @inlinable public func `is`(_ lowerName: String) -> Bool {
        let a = name.utf8, b = lowerName.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where ((x >= 0x41 && x <= 0x5A) ? x | 0x20 : x) != y { return false }
        return true
    }

    /// The unfolded value: CR and LF removed, surrounding white space trimmed. Bytes that are
    /// not UTF-8 are read as Latin-1; encoded words are **not** decoded (see ``decodedValue``).
    public var value: String {
        // Trim on bytes first (one copy), then unfold only when the value is folded.
        var s = rawValue.startIndex, e = rawValue.endIndex
        @inline(__always) func ws(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while s < e, ws(rawValue[s]) { s += 1 }
        while e > s, ws(rawValue[e - 1]) { e -= 1 }
        let trimmed = rawValue[s..<e]
        let bytes: ArraySlice<UInt8>
        if trimmed.contains(0x0A) || trimmed.contains(0x0D) {
            var out = [UInt8]()
            out.reserveCapacity(trimmed.count)
            for b in trimmed where b != 0x0D && b != 0x0A { out.append(b) }
            bytes = out[...]
        } else {
            bytes = trimmed
        }
        return String(validating: bytes, as: UTF8.self) ?? Charset.latin1(bytes)
    }

    /// The unfolded value with RFC 2047 encoded words decoded (for unstructured fields).
    public var decodedValue: String { EncodedWords.decode(value).text }
}

/// The transfer encoding of an entity (RFC 2045 §6), with the non-standard ones seen in mail.
public enum TransferEncoding: String, Sendable, Hashable, Codable {
    case sevenBit = "7bit", eightBit = "8bit", binary, base64, quotedPrintable = "quoted-printable", uuencode
    /// Unknown token: treated as identity and reported as a defect.
    case unknown

    /// The encoding named by a field value, and whether it was written with extra text
    /// (`base64;`, `base64 (x)`, `"base64"`): such a value names the encoding for a lenient
    /// reader and nothing for a strict one (spec §10.9).
    static func parseLenient(_ s: String) -> (TransferEncoding, nonStandard: Bool) {
        let exact = parse(s)
        if exact != .unknown { return (exact, false) }
        var out = ""
        var depth = 0
        for ch in s {
            if ch == "(" {
                depth += 1
                continue
            }
            if ch == ")" {
                depth = max(0, depth - 1)
                continue
            }
            if depth > 0 || ch == ";" || ch == "\"" || ch == "'" || ch == " " || ch == "\t" { continue }
            out.append(ch)
        }
        let cleaned = parse(out)
        return cleaned == .unknown || out.isEmpty ? (.unknown, false) : (cleaned, true)
    }

    static func parse(_ s: String?) -> TransferEncoding {
        guard let s = s?.trimmingASCIIWhitespace().lowercased(), !s.isEmpty else { return .sevenBit }
        switch s {
        case "7bit", "7-bit": return .sevenBit
        case "8bit", "8-bit": return .eightBit
        case "binary": return .binary
        case "base64", "base-64": return .base64
        case "quoted-printable", "quotedprintable": return .quotedPrintable
        case "x-uuencode", "uuencode", "x-uue", "uue": return .uuencode
        default: return .unknown
        }
    }
    /// Whether the body bytes are the content (no decoding needed).
    public var isIdentity: Bool { self == .sevenBit || self == .eightBit || self == .binary || self == .unknown }
}

/// One MIME entity: headers, body range, and its place in the tree.
public struct MIMEPart: Sendable {
    /// 1-based child indices from the top-level entity (`[]` for the top level).
    public let path: [Int]
    /// Nesting depth (0 for the top level; each multipart and embedded message adds one).
    public let depth: Int
    /// The whole entity, headers included.
    public let range: Range<Int>
    /// The body (after the blank line) up to the entity's end.
    public let bodyRange: Range<Int>
    /// Header fields in order.
    public let headers: [HeaderField]
    /// The effective Content-Type (defaulted per RFC 2045 §5.2 / RFC 2046 §5.1.5).
    public let contentType: HeaderParameters
    /// Whether the entity declared a Content-Type at all.
    public let hasDeclaredContentType: Bool
    /// The Content-Transfer-Encoding.
    public let transferEncoding: TransferEncoding
    /// The Content-Disposition, when present.
    public let disposition: HeaderParameters?
    /// Indices into ``Message/parts`` of the children of a multipart.
    public internal(set) var children: [Int] = []
    /// Preamble and epilogue of a multipart.
    public internal(set) var preamble: Range<Int>? = nil
    public internal(set) var epilogue: Range<Int>? = nil
    /// The parsed embedded message of a `message/rfc822` (or `message/global`) entity.
    public internal(set) var embedded: Message? = nil

    /// `text/plain`.
    public var mimeType: String { contentType.value }
    public var isMultipart: Bool { contentType.mediaType == "multipart" }
    public var isMessage: Bool { embedded != nil }
    /// The declared charset parameter, if any.
    public var charset: String? { contentType.parameters["charset"] }
    /// The file name: Content-Disposition `filename` (RFC 2231 aware), else Content-Type `name`;
    /// encoded words in it are decoded.
    public var filename: String? {
        guard let f = disposition?.parameters["filename"] ?? contentType.parameters["name"] else { return nil }
        return EncodedWords.decode(f).text
    }
    /// Whether the entity is an attachment (disposition `attachment`, or a file name on a
    /// non-text leaf).
    public var isAttachment: Bool {
        if disposition?.value == "attachment" { return true }
        if isMultipart { return false }
        return filename != nil && contentType.mediaType != "text"
    }
    /// The first header named `lowerName`.
    public func header(_ lowerName: String) -> HeaderField? { headers.first { $0.is(lowerName) } }
    /// Every header named `lowerName`, in order.
    public func headers(named lowerName: String) -> [HeaderField] { headers.filter { $0.is(lowerName) } }
}

/// A parsed message: the bytes, the MIME tree as a flat list, and the defects found.
///
/// Parsing indexes the structure only; bodies are decoded on demand with ``decodedBody(of:)``
/// and ``text(of:)``.
public final class Message: Sendable {
    /// The bytes the parts' ranges refer to.
    public let bytes: [UInt8]
    /// All entities of this message in pre-order; `parts[0]` is the top level. Entities of
    /// embedded messages are in their own ``MIMEPart/embedded`` message.
    public let parts: [MIMEPart]
    /// Defects found in this message's own entities (embedded messages keep their own).
    public let defects: [MailDefect]
    /// The limits this message was parsed under (decoding honours `maxDecodedBytes`).
    public let limits: ParserLimits
    /// Decoded bodies and texts, made at most once per part and shared by every consumer.
    let cache = DecodeCache()

    /// The other interpretation of an ambiguous message (spec §10.9): the same bytes read
    /// the way a lenient client would (see ``MailDefect/Kind/isAmbiguity``). Nil when the
    /// strict reading found no ambiguity.
    public let alternate: Message?

    init(bytes: [UInt8], parts: [MIMEPart], defects: [MailDefect], limits: ParserLimits, alternate: Message? = nil) {
        self.bytes = bytes
        self.parts = parts
        self.defects = defects
        self.limits = limits
        self.alternate = alternate
    }

    /// Parses a message. Throws only when a limit is exceeded.
    public convenience init(parsing bytes: [UInt8], limits: ParserLimits = .default) throws {
        let m = try MIMEParser(limits: limits).parse(bytes)
        self.init(bytes: m.bytes, parts: m.parts, defects: m.defects, limits: limits, alternate: m.alternate)
    }

    /// The top-level entity.
    public var root: MIMEPart { parts[0] }
    /// The top-level header fields in order.
    public var headers: [HeaderField] { parts[0].headers }
    /// The first top-level header named `lowerName`.
    public func header(_ lowerName: String) -> HeaderField? { parts[0].header(lowerName) }
    /// The decoded Subject (RFC 2047), or nil when absent.
    public var subject: String? { header("subject")?.decodedValue }

    /// Every defect of this message and, recursively, of its embedded messages.
    public var allDefects: [MailDefect] {
        defects + parts.compactMap(\.embedded).flatMap(\.allDefects)
    }
    /// The number of entities including those of embedded messages.
    public var totalPartCount: Int {
        parts.count + parts.compactMap(\.embedded).reduce(0) { $0 + $1.totalPartCount }
    }

    /// Raw (still transfer-encoded) body bytes of a part.
    public func rawBody(of part: MIMEPart) -> ArraySlice<UInt8> { bytes[part.bodyRange] }

    /// A decoded body: bytes after transfer decoding, and any defects decoding found.
    public struct DecodedBody: Sendable {
        public var bytes: [UInt8]
        public var defects: [MailDefect.Kind]
    }

    /// Transfer-decodes a part's body, once: later calls (from any consumer) share the result.
    /// Throws when the decoded size exceeds `maxDecodedBytes`.
    public func decodedBody(of part: MIMEPart) throws -> DecodedBody {
        guard let i = partIndex(part) else { return try decodeUncached(part) }
        return try cache.body(i) { () throws(MailParseError) in try decodeUncached(part) }
    }

    /// Full transfer decodings made so far, per part index of this message (tests assert that
    /// no part is decoded twice).
    @_spi(Testing) public var decodeCounts: [Int: Int] { cache.counts }

    /// The index of `part` in ``parts`` (parts are identified by their body range).
    func partIndex(_ part: MIMEPart) -> Int? {
        // Parts are in pre-order, so ranges are unique per index; a binary search would do, but
        // messages have few parts.
        parts.firstIndex { $0.bodyRange == part.bodyRange && $0.range == part.range }
    }

    func decodeUncached(_ part: MIMEPart) throws(MailParseError) -> DecodedBody {
        let raw = bytes[part.bodyRange]
        if !part.transferEncoding.isIdentity { cache.noteDecode(partIndex(part)) }
        let r = TransferDecoding.decode(raw, encoding: part.transferEncoding, limit: limits.maxDecodedBytes)
        if r.bytes.count > limits.maxDecodedBytes {
            throw MailParseError(
                .limitExceeded(.decodedBytes, limit: limits.maxDecodedBytes), byteOffset: part.bodyRange.lowerBound,
                partPath: part.path)
        }
        return DecodedBody(bytes: r.bytes, defects: r.defects)
    }

    /// The first `count` decoded bytes of a part, decoding only as much input as that needs
    /// (for content sniffing: a ZIP signature, a PDF header).
    public func decodedPrefix(of part: MIMEPart, count: Int) -> [UInt8] {
        let raw = bytes[part.bodyRange]
        if let i = partIndex(part), let whole = cache.cachedBody(i) { return Array(whole.bytes.prefix(count)) }
        // A body not much larger than the prefix is decoded whole, once, and shared.
        if !part.transferEncoding.isIdentity, raw.count <= count * 2, let whole = try? decodedBody(of: part) {
            return Array(whole.bytes.prefix(count))
        }
        switch part.transferEncoding {
        case .base64:
            // 4 significant characters give 3 bytes; white space does not count.
            var need = (count + 2) / 3 * 4
            var end = raw.startIndex
            while end < raw.endIndex, need > 0 {
                let c = raw[end]
                if !(c == 0x0A || c == 0x0D || c == 0x20 || c == 0x09) { need -= 1 }
                end += 1
            }
            return Array(TransferDecoding.base64(raw[raw.startIndex..<end]).bytes.prefix(count))
        case .quotedPrintable:
            return Array(TransferDecoding.quotedPrintable(raw.prefix(count * 3 + 8)).bytes.prefix(count))
        case .uuencode:
            return Array(TransferDecoding.uuencode(raw).bytes.prefix(count))
        default:
            return Array(raw.prefix(count))
        }
    }

    /// The decoded size of a part's body without decoding it (base64: significant characters
    /// less padding; identity encodings: the raw size; others are decoded).
    public func decodedSize(of part: MIMEPart) -> Int {
        let raw = bytes[part.bodyRange]
        if let i = partIndex(part), let whole = cache.cachedBody(i) { return whole.bytes.count }
        switch part.transferEncoding {
        case .base64:
            return raw.withUnsafeBufferPointer { TransferDecoding.base64DecodedSize($0) }
        case .sevenBit, .eightBit, .binary, .unknown: return raw.count
        default: return (try? decodedBody(of: part).bytes.count) ?? raw.count
        }
    }

    /// A text part decoded to Unicode using its charset (US-ASCII when none is declared).
    public func text(of part: MIMEPart) throws -> (text: String, defects: [MailDefect.Kind]) {
        guard let i = partIndex(part) else { return try textUncached(part) }
        return try cache.text(i) { try textUncached(part) }
    }

    func textUncached(_ part: MIMEPart) throws -> (text: String, defects: [MailDefect.Kind]) {
        // Identity encodings: convert straight from the message bytes (no intermediate copy).
        let body = part.transferEncoding.isIdentity ? DecodedBody(bytes: [], defects: []) : try decodedBody(of: part)
        let d =
            part.transferEncoding.isIdentity
            ? Charset.decode(bytes[part.bodyRange], charset: part.charset)
            : Charset.decode(body.bytes, charset: part.charset)
        var defects = body.defects
        if d.unknownCharset { defects.append(.unknownCharset) }
        if d.invalidData && part.charset != nil && !d.unknownCharset { defects.append(.invalidCharsetData) }
        return (d.text, defects)
    }

    /// Walks this message's parts and those of embedded messages, depth first, giving each
    /// part with the message that owns it.
    public func walk(_ body: (Message, MIMEPart) throws -> Void) rethrows {
        for p in parts {
            try body(self, p)
            if let e = p.embedded { try e.walk(body) }
        }
    }
}

extension TransferDecoding {
    static func decode(_ raw: ArraySlice<UInt8>, encoding: TransferEncoding, limit: Int) -> (
        bytes: [UInt8], defects: [MailDefect.Kind]
    ) {
        switch encoding {
        case .sevenBit, .eightBit, .binary, .unknown:
            return (Array(raw), [])
        case .base64:
            let o = base64(raw, limit: limit)
            var d: [MailDefect.Kind] = []
            if o.invalid { d.append(.invalidBase64) }
            if o.truncated { d.append(.truncatedBase64) }
            return (o.bytes, d)
        case .quotedPrintable:
            let o = quotedPrintable(raw)
            return (o.bytes, o.invalid ? [.invalidQuotedPrintable] : [])
        case .uuencode:
            let o = uuencode(raw)
            return (o.bytes, o.invalid ? [.invalidUuencode] : [])
        }
    }
}
