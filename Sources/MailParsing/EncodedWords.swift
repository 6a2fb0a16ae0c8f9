/// RFC 2047 encoded-word decoding for unstructured header text (Subject, Comments, …) and,
/// leniently, for file names.
///
/// - `=?charset?B?...?=` and `=?charset?Q?...?=` (RFC 2047 §4), with an optional RFC 2231
///   language suffix (`=?utf-8*en?Q?...?=`).
/// - Linear white space between two adjacent encoded words is dropped (§6.2).
/// - Adjacent words in the same charset are joined **before** charset conversion, so a
///   multi-byte character split across two words decodes correctly.
/// - Malformed words are left as literal text and reported.
public enum EncodedWords {
    /// The decoded text and what was wrong with the input.
    public struct Result: Sendable, Hashable {
        public var text: String
        public var invalidWords: Int
        public var unknownCharsets: Int
        /// Number of encoded words decoded (a marking built from several is still read; the
        /// markings layer may want to know the text came from encoded words).
        public var encodedWordCount: Int
    }

    /// Decodes unstructured header text.
    public static func decode(_ input: String) -> Result {
        let bytes = Array(input.utf8)
        // Fast path: no "=?" at all.
        if !containsMarker(bytes) {
            return Result(text: input, invalidWords: 0, unknownCharsets: 0, encodedWordCount: 0)
        }
        var out = ""
        var invalid = 0, unknown = 0, count = 0
        var literal: [UInt8] = []  // plain text not yet appended
        var word: (charset: String, bytes: [UInt8])? = nil  // decoded word(s) awaiting conversion
        var gap: [UInt8] = []  // white space after `word`

        func flushLiteral() {
            if !literal.isEmpty {
                out += String(decoding: literal, as: UTF8.self)
                literal.removeAll()
            }
        }
        func flushWord() {
            guard let w = word else { return }
            let d = Charset.decode(w.bytes, charset: w.charset)
            if d.unknownCharset { unknown += 1 }
            out += d.text
            word = nil
        }
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x3D, i + 1 < bytes.count, bytes[i + 1] == 0x3F, let w = parseWord(bytes, at: i) {
                count += 1
                if let decoded = w.decoded {
                    if word != nil {
                        gap.removeAll()  // RFC 2047 §6.2: white space between adjacent words is dropped
                        if word!.charset == w.charset {
                            word!.bytes += decoded
                        } else {
                            flushWord()
                            word = (w.charset, decoded)
                        }
                    } else {
                        flushLiteral()
                        word = (w.charset, decoded)
                    }
                } else {
                    invalid += 1
                    flushWord()
                    literal += gap
                    gap.removeAll()
                    literal += bytes[i..<w.end]
                }
                i = w.end
                continue
            }
            if word != nil {
                if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A {
                    gap.append(c)
                    i += 1
                    continue
                }
                flushWord()
                literal += gap
                gap.removeAll()
            }
            literal.append(c)
            i += 1
        }
        flushWord()
        literal += gap
        flushLiteral()
        return Result(text: out, invalidWords: invalid, unknownCharsets: unknown, encodedWordCount: count)
    }

    static func containsMarker(_ b: [UInt8]) -> Bool {
        guard b.count > 1 else { return false }
        for i in 0..<(b.count - 1) where b[i] == 0x3D && b[i + 1] == 0x3F { return true }
        return false
    }

    struct Word {
        var charset: String
        var decoded: [UInt8]?
        var end: Int
    }

    /// The longest encoded word accepted, in bytes.
    static let maxWordLength = 1_000

    /// Parses `=?cs?E?text?=` at `start`; nil when the syntax does not form a word at all.
    static func parseWord(_ b: [UInt8], at start: Int) -> Word? {
        var i = start + 2
        let csStart = i
        while i < b.count, b[i] != 0x3F {
            if b[i] == 0x20 || b[i] == 0x09 { return nil }
            i += 1
        }
        guard i + 2 < b.count, b[i + 2] == 0x3F else { return nil }
        var charset = String(decoding: b[csStart..<i], as: UTF8.self)
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 §5 language
        let enc = b[i + 1] | 0x20
        let textStart = i + 3
        // Find "?=" — encoded text may not contain spaces (RFC 2047 §5), but some mailers put
        // them in Q words; we accept them up to the end marker within the same header.
        // RFC 2047 §2 caps an encoded word at 75 characters; real mailers exceed that, so
        // accept up to `maxWordLength`. The cap also keeps decoding linear: without it, a
        // header of many "=?x?q?" openers and no terminator would be rescanned from each one.
        var j = textStart
        let limit = min(b.count, start + maxWordLength)
        while j + 1 < limit, !(b[j] == 0x3F && b[j + 1] == 0x3D) { j += 1 }
        guard j + 1 < limit else { return nil }
        let text = b[textStart..<j]
        let end = j + 2
        guard !charset.isEmpty else { return Word(charset: "", decoded: nil, end: end) }
        switch enc {
        case 0x62:  // b
            let r = TransferDecoding.base64(text)
            return Word(charset: charset.lowercased(), decoded: r.invalid && r.bytes.isEmpty ? nil : r.bytes, end: end)
        case 0x71:  // q
            var out: [UInt8] = []
            out.reserveCapacity(text.count)
            var k = text.startIndex
            while k < text.endIndex {
                let c = text[k]
                if c == 0x5F {
                    out.append(0x20)
                    k += 1
                    continue
                }
                if c == 0x3D, k + 2 < text.endIndex, let h = hexValue(text[k + 1]), let l = hexValue(text[k + 2]) {
                    out.append(h << 4 | l)
                    k += 3
                    continue
                }
                out.append(c)
                k += 1
            }
            return Word(charset: charset.lowercased(), decoded: out, end: end)
        default:
            return Word(charset: charset, decoded: nil, end: end)
        }
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}
