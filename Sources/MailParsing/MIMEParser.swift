/// Builds the MIME tree of a message (RFC 5322 header sections, RFC 2045/2046 multiparts,
/// RFC 2046 §5.2.1 embedded messages) without decoding any body except that of a
/// transfer-encoded embedded message, which must be decoded to be parsed.
///
/// Throws only ``MailParseError`` for an exceeded limit; every malformation is a
/// ``MailDefect``.
public struct MIMEParser: Sendable {
    public var limits: ParserLimits
    /// How constructs that RFC 2046 and mail clients read differently are read.
    var interpretation = Interpretation.strict

    public init(limits: ParserLimits = .default) { self.limits = limits }

    /// The readings of constructs where RFC 2046/5322 and some client disagree (spec §10.9).
    /// The primary parse is strict (what RFC 2046 and Python's `email` package do); when it
    /// finds an ambiguity, the message is parsed a second time with every flag on, so the
    /// marking reader can read both and compare.
    struct Interpretation: Sendable, Hashable {
        /// `--B junk` and `--B--x` lines are delimiters (close when `--` follows the boundary).
        var lenientDelimiters = false
        /// Delimiters match the boundary whatever the letter case.
        var caseInsensitiveDelimiters = false
        /// A multipart without a boundary, or whose delimiters are never found, takes its
        /// boundary from the first line starting `--`; with none, its body is text.
        var guessBoundary = false
        /// The last of duplicated Content-Type fields, `boundary` parameters and Subjects counts.
        var lastDuplicates = false
        /// A header line without a colon (or with a NUL/8-bit name) is skipped, not the end
        /// of the header section.
        var skipBadHeaderLines = false
        /// `base64;` and `base64 (x)` are unknown encodings (read as they are).
        var strictEncodings = false

        static let strict = Interpretation()
        static let alternate = Interpretation(
            lenientDelimiters: true, caseInsensitiveDelimiters: true, guessBoundary: true,
            lastDuplicates: true, skipBadHeaderLines: true, strictEncodings: true)
    }

    /// Parses `bytes` as one message. When the strict reading finds an ambiguity (spec §10.9),
    /// the other reading is parsed too and kept as ``Message/alternate``.
    public func parse(_ bytes: [UInt8]) throws -> Message {
        if bytes.count > limits.maxMessageBytes {
            throw MailParseError(
                .limitExceeded(.messageBytes, limit: limits.maxMessageBytes), byteOffset: limits.maxMessageBytes)
        }
        let counter = PartCounter()
        let primary = try parseMessage(bytes, range: 0..<bytes.count, depth: 0, counter: counter)
        let bareCR = Self.firstBareCR(bytes)
        // Bare CRs change the structure only in a header section or at a delimiter; elsewhere
        // they are line breaks inside text (the readers break lines there too), and the second
        // reading, which needs a copy of the message, is not built.
        let structuralCR = bareCR != nil && Self.bareCRIsStructural(bytes)
        guard structuralCR || primary.allDefects.contains(where: \.isAmbiguity) else {
            if let at = bareCR {
                return Message(
                    bytes: bytes, parts: primary.parts,
                    defects: primary.defects + [MailDefect(.bareCarriageReturn, at: at)], limits: limits)
            }
            return primary
        }
        var defects = primary.defects
        if let at = bareCR { defects.append(MailDefect(.bareCarriageReturn, at: at)) }
        var alt = self
        alt.interpretation = .alternate
        var altBytes = bytes
        if structuralCR {
            // The other reading: every bare CR ends a line (as Python's email and some clients do).
            for k in altBytes.indices where altBytes[k] == 0x0D && (k + 1 == altBytes.count || altBytes[k + 1] != 0x0A)
            { altBytes[k] = 0x0A }
        }
        let alternate = try alt.parseMessage(altBytes, range: 0..<altBytes.count, depth: 0, counter: PartCounter())
        return Message(bytes: bytes, parts: primary.parts, defects: defects, limits: limits, alternate: alternate)
    }

    /// Whether a bare CR could end a header line or a delimiter line: one before the first
    /// blank line, one followed by `--`, or one ending a line that starts with `--`.
    static func bareCRIsStructural(_ b: [UInt8]) -> Bool {
        var headerEnd = b.count
        for k in b.indices where b[k] == 0x0A {
            if k + 1 < b.count, b[k + 1] == 0x0A {
                headerEnd = k
                break
            }
            if k + 2 < b.count, b[k + 1] == 0x0D, b[k + 2] == 0x0A {
                headerEnd = k
                break
            }
        }
        var lineStart = 0
        for k in b.indices {
            let c = b[k]
            if c == 0x0A {
                lineStart = k + 1
                continue
            }
            guard c == 0x0D, k + 1 == b.count || b[k + 1] != 0x0A else { continue }
            if k < headerEnd { return true }
            if k + 2 < b.count, b[k + 1] == 0x2D, b[k + 2] == 0x2D { return true }
            if k - lineStart >= 2, b[lineStart] == 0x2D, b[lineStart + 1] == 0x2D { return true }
            lineStart = k + 1
        }
        return false
    }

    /// Offset of the first CR not followed by LF, if any.
    static func firstBareCR(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buf -> Int? in
            guard let base = buf.baseAddress else { return nil }
            var s = 0
            while let k = ByteSearch.find(0x0D, in: base, from: s, to: buf.count) {
                if k + 1 == buf.count || base[k + 1] != 0x0A { return k }
                s = k + 2
            }
            return nil
        }
    }

    func parseMessage(_ bytes: [UInt8], range: Range<Int>, depth: Int, counter: PartCounter) throws -> Message {
        try bytes.withUnsafeBufferPointer { buf in
            var b = TreeBuilder(
                bytes: bytes, base: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!, limits: limits, counter: counter,
                parser: self)
            if range.isEmpty { b.defects.append(MailDefect(.noHeaders, at: range.lowerBound)) }
            _ = try b.parseEntity(
                start: range.lowerBound, end: range.upperBound, depth: depth, path: [], inDigest: false)
            return Message(bytes: bytes, parts: b.parts, defects: b.defects, limits: limits)
        }
    }
}

/// Counts entities across a message and its embedded messages (for `maxParts`).
final class PartCounter: @unchecked Sendable { var count = 0 }

struct ParsedHeaders {
    var fields: [HeaderField] = []
    var bodyStart: Int
    var contentType: Int? = nil  // index into fields
    var transferEncoding: Int? = nil
    var disposition: Int? = nil
}

struct TreeBuilder {
    let bytes: [UInt8]
    let base: UnsafePointer<UInt8>
    let limits: ParserLimits
    let counter: PartCounter
    let parser: MIMEParser
    var parts: [MIMEPart] = []
    var defects: [MailDefect] = []

    init(bytes: [UInt8], base: UnsafePointer<UInt8>, limits: ParserLimits, counter: PartCounter, parser: MIMEParser) {
        self.bytes = bytes
        self.base = base
        self.limits = limits
        self.counter = counter
        self.parser = parser
    }

    mutating func defect(_ k: MailDefect.Kind, _ at: Int, _ path: [Int]) {
        defects.append(MailDefect(k, at: at, partPath: path))
    }

    // MARK: header section (RFC 5322 §2.2, §3.6; obsolete syntax §4.5)

    mutating func parseHeaders(start: Int, end: Int, path: [Int]) throws -> ParsedHeaders {
        var h = ParsedHeaders(bodyStart: end)
        let base = self.base, bytes = self.bytes, limits = self.limits, interp = parser.interpretation
        var ds: [MailDefect] = []
        defer { defects += ds }
        func defect(_ k: MailDefect.Kind, _ at: Int, _ path: [Int]) { ds.append(MailDefect(k, at: at, partPath: path)) }
        var pos = start
        var fStart = -1, nameEnd = -1, valueStart = -1, valueEnd = -1
        var firstLine = true

        func classify(_ nameStart: Int, _ nameEnd: Int) -> Int {
            // 1 = content-type, 2 = content-transfer-encoding, 3 = content-disposition
            let n = nameEnd - nameStart
            guard n == 12 || n == 25 || n == 19, asciiLower(base[nameStart]) == 0x63 else { return 0 }
            let name = UnsafeBufferPointer(start: base + nameStart, count: n)
            if n == 12, name.asciiCaseEquals("content-type") { return 1 }
            if n == 25, name.asciiCaseEquals("content-transfer-encoding") { return 2 }
            if n == 19, name.asciiCaseEquals("content-disposition") { return 3 }
            return 0
        }
        func finish(_ h: inout ParsedHeaders) throws {
            guard fStart >= 0 else { return }
            if valueEnd - fStart > limits.maxLineLength {
                throw MailParseError(
                    .limitExceeded(.lineLength, limit: limits.maxLineLength), byteOffset: fStart, partPath: path)
            }
            let name = String(
                decoding: UnsafeBufferPointer(start: base + fStart, count: nameEnd - fStart), as: UTF8.self)
            let field = HeaderField(name: name, rawValue: bytes[valueStart..<max(valueStart, valueEnd)], offset: fStart)
            switch classify(fStart, nameEnd) {
            case 1:
                if h.contentType != nil { defect(.duplicateContentHeader, fStart, path) }
                if h.contentType == nil || interp.lastDuplicates { h.contentType = h.fields.count }
            case 2:
                if h.transferEncoding != nil { defect(.duplicateContentHeader, fStart, path) }
                if h.transferEncoding == nil || interp.lastDuplicates { h.transferEncoding = h.fields.count }
            case 3:
                if h.disposition != nil { defect(.duplicateContentHeader, fStart, path) }
                if h.disposition == nil || interp.lastDuplicates { h.disposition = h.fields.count }
            default: break
            }
            h.fields.append(field)
            if h.fields.count > limits.maxHeaderCount {
                throw MailParseError(
                    .limitExceeded(.headerCount, limit: limits.maxHeaderCount), byteOffset: fStart, partPath: path)
            }
            fStart = -1
        }

        while pos < end {
            let nl = ByteSearch.lineEnd(base, from: pos, to: end)
            var le = nl
            if le > pos, base[le - 1] == 0x0D { le -= 1 }
            if nl - start > limits.maxHeaderBytes {
                throw MailParseError(
                    .limitExceeded(.headerBytes, limit: limits.maxHeaderBytes), byteOffset: start, partPath: path)
            }
            if le == pos {  // blank line: end of the header section
                try finish(&h)
                h.bodyStart = min(nl + 1, end)
                break
            }
            let c = base[pos]
            if c == 0x20 || c == 0x09 {
                if fStart >= 0 { valueEnd = le } else { defect(.continuationWithoutHeader, pos, path) }
                firstLine = false
                pos = nl + 1
                continue
            }
            try finish(&h)
            // field-name = 1*ftext (printable ASCII except ':'); obsolete syntax allows WSP before ':'
            var i = pos
            var ok = true
            while i < le {
                let b = base[i]
                if b == 0x3A { break }
                if b <= 0x20 || b >= 0x7F {
                    ok = false
                    break
                }
                i += 1
            }
            var nEnd = i
            if !ok, i < le, base[i] == 0x20 || base[i] == 0x09 {
                // "Name  : value" (RFC 5322 §4.5.8 obs-optional)
                var j = i
                while j < le, base[j] == 0x20 || base[j] == 0x09 { j += 1 }
                if j < le, base[j] == 0x3A, j > pos {
                    ok = true
                    nEnd = i
                    i = j
                    defect(.obsoleteHeaderSyntax, pos, path)
                }
            }
            if !ok || i >= le || nEnd == pos {
                if firstLine, le - pos >= 5,
                    UnsafeBufferPointer(start: base + pos, count: 5).elementsEqual("From ".utf8)
                {
                    // An mbox postmark line left at the top of a message (e.g. in an attachment).
                    defect(.malformedHeaderLine, pos, path)
                    firstLine = false
                    pos = nl + 1
                    continue
                }
                if !(h.fields.isEmpty && firstLine), Self.headerFieldFollows(base, from: nl + 1, to: end) {
                    // A line without a colon (or with a NUL/8-bit name) and more fields after
                    // it: strictly the body starts here; a lenient client skips the line.
                    defect(.headerSectionInterrupted, pos, path)
                    if interp.skipBadHeaderLines {
                        pos = nl + 1
                        continue
                    }
                }
                defect(h.fields.isEmpty && firstLine ? .noHeaders : .missingHeaderBodySeparator, pos, path)
                h.bodyStart = pos
                break
            }
            fStart = pos
            nameEnd = nEnd
            valueStart = i + 1
            valueEnd = le
            firstLine = false
            pos = nl + 1
        }
        if pos >= end {
            try finish(&h)
            if h.bodyStart > end { h.bodyStart = end }
        }
        // 8-bit and NUL bytes in the header section are kept; report them once.
        let hEnd = min(h.bodyStart, end)
        if hEnd > start {
            var acc: UInt8 = 0
            for k in start..<hEnd { acc |= base[k] }
            if acc & 0x80 != 0 { defect(.eightBitHeader, start, path) }
            if ByteSearch.find(0, in: base, from: start, to: hEnd) != nil { defect(.nulByte, start, path) }
        }
        if path.isEmpty { duplicateFields(&h, path: path) }
        return h
    }

    /// Whether a header field (`name:` with a printable ASCII name) starts a line in
    /// `[from, to)` before a blank line. Looks at most 64 lines: an interrupted header section
    /// is short.
    static func headerFieldFollows(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Bool {
        var pos = from, lines = 0
        while pos < to, lines < 64 {
            let nl = ByteSearch.lineEnd(base, from: pos, to: to)
            var le = nl
            if le > pos, base[le - 1] == 0x0D { le -= 1 }
            if le == pos { return false }
            var i = pos
            while i < le, base[i] > 0x20, base[i] < 0x7F, base[i] != 0x3A { i += 1 }
            if i > pos, i < le, base[i] == 0x3A { return true }
            pos = nl + 1
            lines += 1
        }
        return false
    }

    /// Two `Subject` or `From` fields with different values at the top of a message (spec
    /// §10.9). The other interpretation keeps only the last Subject.
    mutating func duplicateFields(_ h: inout ParsedHeaders, path: [Int]) {
        for (name, kind) in [("subject", MailDefect.Kind.duplicateSubject), ("from", .duplicateFrom)] {
            let idx = h.fields.indices.filter { h.fields[$0].is(name) }
            guard idx.count > 1 else { continue }
            let values = Set(idx.map { h.fields[$0].value })
            guard values.count > 1 else { continue }
            defect(kind, h.fields[idx[1]].offset, path)
            if kind == .duplicateSubject, parser.interpretation.lastDuplicates {
                let drop = Set(idx.dropLast())
                var kept: [HeaderField] = []
                var remap: [Int: Int] = [:]
                for (k, f) in h.fields.enumerated() where !drop.contains(k) {
                    remap[k] = kept.count
                    kept.append(f)
                }
                h.fields = kept
                h.contentType = h.contentType.flatMap { remap[$0] }
                h.transferEncoding = h.transferEncoding.flatMap { remap[$0] }
                h.disposition = h.disposition.flatMap { remap[$0] }
            }
        }
    }

    // MARK: entities

    static let defaultText = HeaderParameters(value: "text/plain", parameters: ["charset": "us-ascii"])
    static let defaultDigest = HeaderParameters(value: "message/rfc822")

    mutating func parseEntity(start: Int, end: Int, depth: Int, path: [Int], inDigest: Bool) throws -> Int {
        counter.count += 1
        if counter.count > limits.maxParts {
            throw MailParseError(.limitExceeded(.parts, limit: limits.maxParts), byteOffset: start, partPath: path)
        }
        if depth > limits.maxDepth {
            throw MailParseError(.limitExceeded(.depth, limit: limits.maxDepth), byteOffset: start, partPath: path)
        }
        let h = try parseHeaders(start: start, end: end, path: path)
        var ct = inDigest ? Self.defaultDigest : Self.defaultText
        var declared = false
        if let i = h.contentType {
            var parsed = HeaderParameters.parse(h.fields[i].value)
            for d in parsed.defects { defect(d, h.fields[i].offset, path) }
            if parsed.mediaType.isEmpty || parsed.mediaSubtype.isEmpty {
                defect(.malformedContentType, h.fields[i].offset, path)
                // RFC 2045 §5.2: an invalid Content-Type means text/plain (keep a charset).
                parsed.value = "text/plain"
            } else {
                declared = true
            }
            ct = parsed
        }
        var cte = TransferEncoding.sevenBit
        if let i = h.transferEncoding {
            let (e, nonStandard) = TransferEncoding.parseLenient(h.fields[i].value)
            cte = e
            if nonStandard {
                defect(.nonStandardTransferEncoding, h.fields[i].offset, path)
                if parser.interpretation.strictEncodings { cte = .unknown }
            } else if cte == .unknown {
                defect(.unknownTransferEncoding, h.fields[i].offset, path)
            }
        }
        var disp: HeaderParameters? = nil
        if let i = h.disposition {
            let d = HeaderParameters.parse(h.fields[i].value)
            for k in d.defects { defect(k, h.fields[i].offset, path) }
            disp = d
        }
        let bodyStart = min(h.bodyStart, end)
        var boundary: String? = nil
        if ct.mediaType == "multipart" {
            boundary =
                (parser.interpretation.lastDuplicates ? ct.laterValues["boundary"] : nil) ?? ct.parameters["boundary"]
            if let b = boundary, let last = b.last, last == " " || last == "\t" {
                defect(.boundaryTrailingSpace, start, path)
                if parser.interpretation.lenientDelimiters {
                    var t = Substring(b)
                    while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
                    boundary = String(t)
                }
            }
            if boundary?.isEmpty ?? true {
                defect(.missingBoundaryParameter, start, path)
                boundary = nil
                if parser.interpretation.guessBoundary {
                    // The other reading: the first `--` line gives the boundary; with none the body is text.
                    boundary = guessBoundary(from: bodyStart, to: end, excluding: nil)
                    if boundary == nil { ct = Self.defaultText }
                }
            }
        }
        let index = parts.count
        parts.append(
            MIMEPart(
                path: path, depth: depth, range: start..<end, bodyRange: bodyStart..<end, headers: h.fields,
                contentType: ct, hasDeclaredContentType: declared, transferEncoding: cte, disposition: disp))

        if ct.mediaType == "multipart" {
            if !(cte == .sevenBit || cte == .eightBit || cte == .binary) {
                defect(.encodingOnCompositeType, start, path)
            }
            guard let boundary else { return index }
            try parseMultipart(
                index: index, bodyStart: bodyStart, end: end, boundary: boundary, depth: depth, path: path,
                digest: ct.mediaSubtype == "digest")
        } else if ct.value == "message/rfc822" || ct.value == "message/global" || ct.value == "message/news" {
            let embedded: Message?
            if bodyStart >= end || (bodyStart..<end).allSatisfy({ bytes[$0] == 0x0A || bytes[$0] == 0x0D }) {
                defect(.emptyEmbeddedMessage, bodyStart, path)
                embedded = nil
            } else if cte.isIdentity {
                embedded = try parser.parseMessage(bytes, range: bodyStart..<end, depth: depth + 1, counter: counter)
            } else {
                let d = TransferDecoding.decode(bytes[bodyStart..<end], encoding: cte, limit: limits.maxDecodedBytes)
                for k in d.defects { defect(k, bodyStart, path) }
                if d.bytes.count > limits.maxDecodedBytes {
                    throw MailParseError(
                        .limitExceeded(.decodedBytes, limit: limits.maxDecodedBytes), byteOffset: bodyStart,
                        partPath: path)
                }
                embedded = try parser.parseMessage(
                    d.bytes, range: 0..<d.bytes.count, depth: depth + 1, counter: counter)
            }
            parts[index].embedded = embedded
        }
        return index
    }

    /// Finds the next delimiter line `--boundary` at or after `from` (RFC 2046 §5.1.1): it
    /// starts a line; after the boundary may come `--` (close delimiter), then only transport
    /// padding (space, tab) up to the line end. Lines that a lenient client could take for a
    /// delimiter (trailing text, another letter case) are reported once per multipart and are
    /// delimiters only in the alternate interpretation.
    mutating func nextDelimiter(
        _ delim: UnsafeBufferPointer<UInt8>, from: Int, bodyStart: Int, end: Int, path: [Int],
        reported: inout (junk: Bool, cased: Bool)
    )
        -> (lineStart: Int, next: Int, close: Bool)?
    {
        var s = from
        let n = delim.count
        let interp = parser.interpretation
        while let d = ByteSearch.find(0x2D, in: base, from: s, to: end) {
            s = d + 1
            guard d + n <= end, d + 1 < end, base[d + 1] == 0x2D, d == bodyStart || base[d - 1] == 0x0A else {
                continue
            }
            var exact = memcmp(base + d, delim.baseAddress!, n) == 0
            if !exact {
                guard
                    UnsafeBufferPointer(start: base + d, count: n).elementsEqual(
                        delim, by: { asciiLower($0) == asciiLower($1) })
                else { continue }
                if !reported.cased {
                    reported.cased = true
                    defect(.delimiterCaseMismatch, d, path)
                }
                guard interp.caseInsensitiveDelimiters else { continue }
                exact = true
            }
            var k = d + n
            var close = false
            if k + 1 < end, base[k] == 0x2D, base[k + 1] == 0x2D {
                close = true
                k += 2
            }
            var w = k
            while w < end, base[w] == 0x20 || base[w] == 0x09 { w += 1 }
            if w >= end || base[w] == 0x0A || (base[w] == 0x0D && (w + 1 == end || base[w + 1] == 0x0A)) {
                let le = ByteSearch.lineEnd(base, from: w, to: end)
                return (d, min(le + 1, end), close)
            }
            // Text after the boundary: `--B junk` (after white space) or `--B--x` is no
            // delimiter under RFC 2046; `--Bxyz` is another boundary and raises nothing.
            if close || w > k {
                if !reported.junk {
                    reported.junk = true
                    defect(.delimiterWithTrailingText, d, path)
                }
                if interp.lenientDelimiters {
                    let le = ByteSearch.lineEnd(base, from: w, to: end)
                    return (d, min(le + 1, end), close)
                }
            }
        }
        return nil
    }

    /// The boundary of the first line starting `--` in `[from, to)` (trailing `--` and white
    /// space removed), for the alternate reading of a multipart without usable delimiters.
    func guessBoundary(from: Int, to: Int, excluding: String?) -> String? {
        var pos = from
        while pos < to {
            let nl = ByteSearch.lineEnd(base, from: pos, to: to)
            var le = nl
            while le > pos, base[le - 1] == 0x0D || base[le - 1] == 0x20 || base[le - 1] == 0x09 { le -= 1 }
            if le - pos > 2, base[pos] == 0x2D, base[pos + 1] == 0x2D {
                var e = le
                if e - pos > 4, base[e - 1] == 0x2D, base[e - 2] == 0x2D { e -= 2 }
                let b = String(
                    decoding: UnsafeBufferPointer(start: base + pos + 2, count: min(e - pos - 2, 200)), as: UTF8.self)
                if b != excluding, !b.isEmpty { return b }
            }
            pos = nl + 1
        }
        return nil
    }

    /// - Parameter guessed: `boundary` is already a guess: a multipart is re-read with a guessed
    ///   boundary at most once (two guesses could otherwise point at each other forever).
    mutating func parseMultipart(
        index: Int, bodyStart: Int, end: Int, boundary: String, depth: Int, path: [Int], digest: Bool,
        guessed: Bool = false
    ) throws {
        let delim = Array(("--" + boundary).utf8)
        var reported = (junk: false, cased: false)
        try delim.withUnsafeBufferPointer { dp in
            guard
                let first = nextDelimiter(
                    dp, from: bodyStart, bodyStart: bodyStart, end: end, path: path, reported: &reported)
            else {
                defect(.startBoundaryNotFound, bodyStart, path)
                if !guessed, parser.interpretation.guessBoundary,
                    let guess = guessBoundary(from: bodyStart, to: end, excluding: boundary)
                {
                    try parseMultipart(
                        index: index, bodyStart: bodyStart, end: end, boundary: guess, depth: depth, path: path,
                        digest: digest,
                        guessed: true)
                    return
                }
                parts[index].preamble = bodyStart..<end
                return
            }
            parts[index].preamble = bodyStart..<trimEOL(first.lineStart, floor: bodyStart)
            if first.close {
                parts[index].epilogue = first.next..<end
                return
            }
            var partStart = first.next
            var n = 1
            while true {
                if let d = nextDelimiter(
                    dp, from: partStart, bodyStart: bodyStart, end: end, path: path, reported: &reported)
                {
                    let partEnd = trimEOL(d.lineStart, floor: partStart)
                    let child = try parseEntity(
                        start: partStart, end: partEnd, depth: depth + 1, path: path + [n], inDigest: digest)
                    parts[index].children.append(child)
                    n += 1
                    if d.close {
                        parts[index].epilogue = d.next..<end
                        return
                    }
                    partStart = d.next
                } else {
                    defect(.closeBoundaryNotFound, end, path)
                    let child = try parseEntity(
                        start: partStart, end: end, depth: depth + 1, path: path + [n], inDigest: digest)
                    parts[index].children.append(child)
                    return
                }
            }
        }
    }

    /// The CRLF preceding a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    func trimEOL(_ at: Int, floor: Int) -> Int {
        var e = at
        if e > floor, base[e - 1] == 0x0A {
            e -= 1
            if e > floor, base[e - 1] == 0x0D { e -= 1 }
        }
        return e
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
