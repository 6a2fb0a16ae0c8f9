/// Builds the MIME tree of a message (RFC 5322 header sections, RFC 2045/2046 multiparts,
/// RFC 2046 §5.2.1 embedded messages) without decoding any body except that of a
/// transfer-encoded embedded message, which must be decoded to be parsed.
///
/// Throws only ``MailParseError`` for an exceeded limit; every malformation is a
/// ``MailDefect``.
public struct MIMEParser: Sendable {
    public var limits: ParserLimits

    public init(limits: ParserLimits = .default) { self.limits = limits }

    /// Parses `bytes` as one message.
    public func parse(_ bytes: [UInt8]) throws -> Message {
        if bytes.count > limits.maxMessageBytes {
            throw MailParseError(.limitExceeded(.messageBytes, limit: limits.maxMessageBytes), byteOffset: limits.maxMessageBytes)
        }
        let counter = PartCounter()
        return try parseMessage(bytes, range: 0..<bytes.count, depth: 0, counter: counter)
    }

    func parseMessage(_ bytes: [UInt8], range: Range<Int>, depth: Int, counter: PartCounter) throws -> Message {
        try bytes.withUnsafeBufferPointer { buf in
            var b = TreeBuilder(bytes: bytes, base: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!, limits: limits, counter: counter, parser: self)
            if range.isEmpty { b.defects.append(MailDefect(.noHeaders, at: range.lowerBound)) }
            _ = try b.parseEntity(start: range.lowerBound, end: range.upperBound, depth: depth, path: [], inDigest: false)
            return Message(bytes: bytes, parts: b.parts, defects: b.defects, limits: limits)
        }
    }
}

/// Counts entities across a message and its embedded messages (for `maxParts`).
final class PartCounter: @unchecked Sendable { var count = 0 }

struct ParsedHeaders {
    var fields: [HeaderField] = []
    var bodyStart: Int
    var contentType: Int? = nil       // index into fields
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
        self.bytes = bytes; self.base = base; self.limits = limits; self.counter = counter; self.parser = parser
    }

    mutating func defect(_ k: MailDefect.Kind, _ at: Int, _ path: [Int]) {
        defects.append(MailDefect(k, at: at, partPath: path))
    }

    // MARK: header section (RFC 5322 §2.2, §3.6; obsolete syntax §4.5)

    mutating func parseHeaders(start: Int, end: Int, path: [Int]) throws -> ParsedHeaders {
        var h = ParsedHeaders(bodyStart: end)
        let base = self.base, bytes = self.bytes, limits = self.limits
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
                throw MailParseError(.limitExceeded(.lineLength, limit: limits.maxLineLength), byteOffset: fStart, partPath: path)
            }
            let name = String(decoding: UnsafeBufferPointer(start: base + fStart, count: nameEnd - fStart), as: UTF8.self)
            let field = HeaderField(name: name, rawValue: bytes[valueStart..<max(valueStart, valueEnd)], offset: fStart)
            switch classify(fStart, nameEnd) {
            case 1: if h.contentType == nil { h.contentType = h.fields.count } else { defect(.duplicateContentHeader, fStart, path) }
            case 2: if h.transferEncoding == nil { h.transferEncoding = h.fields.count } else { defect(.duplicateContentHeader, fStart, path) }
            case 3: if h.disposition == nil { h.disposition = h.fields.count } else { defect(.duplicateContentHeader, fStart, path) }
            default: break
            }
            h.fields.append(field)
            if h.fields.count > limits.maxHeaderCount {
                throw MailParseError(.limitExceeded(.headerCount, limit: limits.maxHeaderCount), byteOffset: fStart, partPath: path)
            }
            fStart = -1
        }

        while pos < end {
            let nl = ByteSearch.lineEnd(base, from: pos, to: end)
            var le = nl
            if le > pos, base[le - 1] == 0x0D { le -= 1 }
            if nl - start > limits.maxHeaderBytes {
                throw MailParseError(.limitExceeded(.headerBytes, limit: limits.maxHeaderBytes), byteOffset: start, partPath: path)
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
                if b <= 0x20 || b >= 0x7F { ok = false; break }
                i += 1
            }
            var nEnd = i
            if !ok, i < le, base[i] == 0x20 || base[i] == 0x09 {
                // "Name  : value" (RFC 5322 §4.5.8 obs-optional)
                var j = i
                while j < le, base[j] == 0x20 || base[j] == 0x09 { j += 1 }
                if j < le, base[j] == 0x3A, j > pos { ok = true; nEnd = i; i = j; defect(.obsoleteHeaderSyntax, pos, path) }
            }
            if !ok || i >= le || nEnd == pos {
                if firstLine, le - pos >= 5, UnsafeBufferPointer(start: base + pos, count: 5).elementsEqual("From ".utf8) {
                    // An mbox postmark line left at the top of a message (e.g. in an attachment).
                    defect(.malformedHeaderLine, pos, path)
                    firstLine = false
                    pos = nl + 1
                    continue
                }
                defect(h.fields.isEmpty && firstLine ? .noHeaders : .missingHeaderBodySeparator, pos, path)
                h.bodyStart = pos
                break
            }
            fStart = pos; nameEnd = nEnd; valueStart = i + 1; valueEnd = le
            firstLine = false
            pos = nl + 1
        }
        if pos >= end { try finish(&h); if h.bodyStart > end { h.bodyStart = end } }
        // 8-bit and NUL bytes in the header section are kept; report them once.
        let hEnd = min(h.bodyStart, end)
        if hEnd > start {
            var acc: UInt8 = 0
            for k in start..<hEnd { acc |= base[k] }
            if acc & 0x80 != 0 { defect(.eightBitHeader, start, path) }
            if ByteSearch.find(0, in: base, from: start, to: hEnd) != nil { defect(.nulByte, start, path) }
        }
        return h
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
            cte = TransferEncoding.parse(h.fields[i].value)
            if cte == .unknown { defect(.unknownTransferEncoding, h.fields[i].offset, path) }
        }
        var disp: HeaderParameters? = nil
        if let i = h.disposition {
            let d = HeaderParameters.parse(h.fields[i].value)
            for k in d.defects { defect(k, h.fields[i].offset, path) }
            disp = d
        }
        let index = parts.count
        let bodyStart = min(h.bodyStart, end)
        parts.append(MIMEPart(
            path: path, depth: depth, range: start..<end, bodyRange: bodyStart..<end, headers: h.fields,
            contentType: ct, hasDeclaredContentType: declared, transferEncoding: cte, disposition: disp))

        if ct.mediaType == "multipart" {
            if !(cte == .sevenBit || cte == .eightBit || cte == .binary) {
                defect(.encodingOnCompositeType, start, path)
            }
            guard let boundary = ct.parameters["boundary"], !boundary.isEmpty else {
                defect(.missingBoundaryParameter, start, path)
                return index
            }
            try parseMultipart(index: index, bodyStart: bodyStart, end: end, boundary: boundary, depth: depth, path: path,
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
                    throw MailParseError(.limitExceeded(.decodedBytes, limit: limits.maxDecodedBytes), byteOffset: bodyStart, partPath: path)
                }
                embedded = try parser.parseMessage(d.bytes, range: 0..<d.bytes.count, depth: depth + 1, counter: counter)
            }
            parts[index].embedded = embedded
        }
        return index
    }

    /// Finds the next delimiter line `--boundary` at or after `from` (RFC 2046 §5.1.1).
    /// A delimiter must start a line; after the boundary may come `--` (close delimiter),
    /// then only transport padding (white space) up to the line end.
    func nextDelimiter(_ delim: UnsafeBufferPointer<UInt8>, from: Int, bodyStart: Int, end: Int)
        -> (lineStart: Int, next: Int, close: Bool)?
    {
        var s = from
        let n = delim.count
        while let d = ByteSearch.find(0x2D, in: base, from: s, to: end) {
            if d + n <= end, d + 1 < end, base[d + 1] == 0x2D, d == bodyStart || base[d - 1] == 0x0A,
               memcmp(base + d, delim.baseAddress!, n) == 0
            {
                var k = d + n
                var close = false
                if k + 1 < end, base[k] == 0x2D, base[k + 1] == 0x2D { close = true; k += 2 }
                if k >= end || base[k] == 0x0D || base[k] == 0x0A || base[k] == 0x20 || base[k] == 0x09 || close {
                    let le = ByteSearch.lineEnd(base, from: k, to: end)
                    return (d, min(le + 1, end), close)
                }
            }
            s = d + 1
        }
        return nil
    }

    mutating func parseMultipart(index: Int, bodyStart: Int, end: Int, boundary: String, depth: Int, path: [Int], digest: Bool) throws {
        let delim = Array(("--" + boundary).utf8)
        try delim.withUnsafeBufferPointer { dp in
            guard let first = nextDelimiter(dp, from: bodyStart, bodyStart: bodyStart, end: end) else {
                defect(.startBoundaryNotFound, bodyStart, path)
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
                if let d = nextDelimiter(dp, from: partStart, bodyStart: bodyStart, end: end) {
                    let partEnd = trimEOL(d.lineStart, floor: partStart)
                    let child = try parseEntity(start: partStart, end: partEnd, depth: depth + 1, path: path + [n], inDigest: digest)
                    parts[index].children.append(child)
                    n += 1
                    if d.close {
                        parts[index].epilogue = d.next..<end
                        return
                    }
                    partStart = d.next
                } else {
                    defect(.closeBoundaryNotFound, end, path)
                    let child = try parseEntity(start: partStart, end: end, depth: depth + 1, path: path + [n], inDigest: digest)
                    parts[index].children.append(child)
                    return
                }
            }
        }
    }

    /// The CRLF preceding a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    func trimEOL(_ at: Int, floor: Int) -> Int {
        var e = at
        if e > floor, base[e - 1] == 0x0A { e -= 1; if e > floor, base[e - 1] == 0x0D { e -= 1 } }
        return e
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
