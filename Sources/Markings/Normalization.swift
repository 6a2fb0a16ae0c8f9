/// Text prepared for marking grammar: upper-cased ASCII skeleton with per-character flags.
///
/// - Separators (spec §8): NBSP, figure/narrow spaces and tabs become a space; en/em dash,
///   hyphen, non-breaking hyphen and minus become `-`. These are **not** obfuscation.
/// - Obfuscation (spec §5.6/§8): Latin look-alikes from other scripts (Cyrillic, Greek,
///   fullwidth forms, from Unicode's confusables data for the letters of the vocabulary) are
///   mapped to their Latin letter; zero-width, soft-hyphen and bidi-control characters are
///   dropped. Each affected character is flagged so a marking read across it raises
///   `obfuscated-marking` while still being read at face value.
struct NormalizedText {
    /// Upper-cased skeleton, one scalar per source character (scalars, not Characters: the
    /// vocabulary is ASCII and grapheme breaking is the slow part of String processing).
    var chars: [Unicode.Scalar]
    /// The same skeleton with its original case (for case-sensitive EPMS values).
    var plain: [Unicode.Scalar]
    /// Whether each skeleton character was upper case in the source (after mapping).
    var wasUpper: [Bool]
    /// Whether each skeleton character was a confusable, or adjacent to a dropped invisible.
    var obfuscated: [Bool]

    static let invisible: Set<UInt32> = [
        0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F,
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x180E,
    ]
    static let spaces: Set<UInt32> = [0x00A0, 0x2007, 0x202F, 0x2009, 0x200A, 0x2002, 0x2003, 0x3000, 0x09]
    static let dashes: Set<UInt32> = [0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212, 0xFE63, 0xFF0D]

    /// Confusable → Latin letter (subset of Unicode confusables.txt covering A–Z look-alikes in
    /// Cyrillic and Greek; fullwidth Latin is handled arithmetically).
    static let confusables: [UInt32: Unicode.Scalar] = [
        // Cyrillic capitals
        0x0410: "A", 0x0412: "B", 0x0415: "E", 0x041A: "K", 0x041C: "M", 0x041D: "H", 0x041E: "O", 0x0420: "P",
        0x0421: "C", 0x0422: "T", 0x0423: "Y", 0x0425: "X", 0x0406: "I", 0x0405: "S", 0x0408: "J", 0x04C0: "I",
        0x051A: "Q", 0x051C: "W",
        // Cyrillic small
        0x0430: "a", 0x0435: "e", 0x043E: "o", 0x0440: "p", 0x0441: "c", 0x0443: "y", 0x0445: "x", 0x0456: "i",
        0x0455: "s", 0x0458: "j", 0x04BB: "h", 0x0501: "d", 0x043A: "k", 0x0442: "t", 0x043D: "h", 0x0432: "b",
        0x0433: "r", 0x043C: "m", 0x0457: "i", 0x04CF: "l",
        // Greek capitals
        0x0391: "A", 0x0392: "B", 0x0395: "E", 0x0396: "Z", 0x0397: "H", 0x0399: "I", 0x039A: "K", 0x039C: "M",
        0x039D: "N", 0x039F: "O", 0x03A1: "P", 0x03A4: "T", 0x03A5: "Y", 0x03A7: "X",
        // Greek small
        0x03BF: "o", 0x03B1: "a", 0x03B5: "e", 0x03B9: "i", 0x03BA: "k", 0x03BD: "v", 0x03C1: "p", 0x03C4: "t",
        0x03C5: "u",
        // Latin look-alikes from other blocks
        0x0131: "i", 0x0269: "i", 0x1D00: "A", 0x0280: "R", 0x0274: "N", 0x026A: "I", 0x1D07: "E", 0x1D1B: "T",
    ]

    /// Whether `s` holds a right-to-left override (U+202E), so that its display order differs
    /// from its logical order.
    static func hasOverride(_ s: String) -> Bool { s.utf8.contains(0xE2) && s.unicodeScalars.contains("\u{202E}") }

    /// - Parameter displayOrder: reorder right-to-left overrides as displayed (spec §10.5);
    ///   readers read both orders of text that holds one (``hasOverride(_:)``).
    init(_ s: String, displayOrder: Bool = false) {
        chars = []
        plain = []
        wasUpper = []
        obfuscated = []
        chars.reserveCapacity(s.utf8.count)
        var pendingInvisible = false
        if displayOrder, Self.hasOverride(s) {
            for (u, reordered) in Self.displayOrder(Array(s.unicodeScalars)) {
                append(u, reordered: reordered, pendingInvisible: &pendingInvisible)
            }
        } else {
            for u in s.unicodeScalars { append(u, reordered: false, pendingInvisible: &pendingInvisible) }
        }
    }

    /// Scalars in display order for right-to-left overrides: the text between U+202E and the
    /// matching U+202C (or the end) is reversed, nested overrides inside it included.
    static func displayOrder(_ u: [Unicode.Scalar]) -> [(Unicode.Scalar, Bool)] {
        var out: [(Unicode.Scalar, Bool)] = []
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            if u[i] == "\u{202E}" {
                var depth = 1, j = i + 1
                while j < u.count {
                    if u[j] == "\u{202E}" || u[j] == "\u{202D}" || u[j] == "\u{202A}" || u[j] == "\u{202B}" {
                        depth += 1
                    }
                    if u[j] == "\u{202C}" {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    j += 1
                }
                for k in stride(from: j - 1, through: i + 1, by: -1) { out.append((u[k], true)) }
                out.append((u[i], true))
                i = j + 1
                continue
            }
            out.append((u[i], false))
            i += 1
        }
        return out
    }

    static func isCombiningMark(_ p: Unicode.Scalar.Properties) -> Bool {
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Scripts whose letters are never confusable with Latin: no ICU lookup.
    @inline(__always) static func neverLatin(_ v: UInt32) -> Bool {
        (0x3040...0x30FF).contains(v) || (0x3400...0x9FFF).contains(v) || (0xAC00...0xD7AF).contains(v)
            || (0x0600...0x06FF).contains(v)
    }

    mutating func append(_ u: Unicode.Scalar, reordered: Bool, pendingInvisible: inout Bool) {
        let v = u.value
        if v < 0x80 {
            // ASCII fast path: no Unicode property lookups, no String allocation.
            let b = UInt8(v == 0x09 || v == 0x0B || v == 0x0C ? 0x20 : v)
            let up = (b >= 0x61 && b <= 0x7A) ? b - 0x20 : b
            chars.append(Unicode.Scalar(up))
            plain.append(Unicode.Scalar(b))
            wasUpper.append(!(b >= 0x61 && b <= 0x7A))
            obfuscated.append(pendingInvisible || reordered)
            pendingInvisible = false
            return
        }
        let props = u.properties
        if Self.invisible.contains(v) || props.isDefaultIgnorableCodePoint {
            // Default-ignorable code points and bidi controls (U+034F, U+2063, U+FE00,
            // U+E0020, U+061C, …) are dropped; the characters beside them are flagged.
            if let last = obfuscated.indices.last { obfuscated[last] = true }
            pendingInvisible = true
            return
        }
        if Self.isCombiningMark(props) {
            // A combining mark (a low line under every letter) is dropped; its base is flagged.
            if let last = obfuscated.indices.last { obfuscated[last] = true } else { pendingInvisible = true }
            return
        }
        var out: [Unicode.Scalar] = []
        var obf = false
        var upper = false
        if Self.spaces.contains(v) || props.generalCategory == .spaceSeparator || props.isWhitespace {
            out = [" "]
        } else if Self.dashes.contains(v) {
            out = ["-"]
        } else if let m = Self.confusables[v] {
            out = [m]
            obf = true
            upper = m.properties.isUppercase
        } else if (0xFF01...0xFF5E).contains(v) {
            // Fullwidth forms: letters are look-alikes; punctuation is what CJK keyboards type.
            let base = Unicode.Scalar(v - 0xFEE0)!
            out = [base]
            if base.properties.isAlphabetic {
                obf = true
                upper = v <= 0xFF3A
            } else {
                upper = true
            }
        } else if v == 0x3010 || v == 0x3014 || v == 0x3016 || v == 0x3008 {
            out = ["["]
            upper = true  // 【 〔 〖 〈
        } else if v == 0x3011 || v == 0x3015 || v == 0x3017 || v == 0x3009 {
            out = ["]"]
            upper = true  // 】 〕 〗 〉
        } else if !Self.neverLatin(v), let (letters, up) = Skeleton.ascii(for: u) {
            // UTS #39 skeleton: mathematical alphanumerics, small capitals, Cherokee, …
            out = letters.map { Unicode.Scalar($0) }
            obf = true
            upper = up
        } else {
            out = [u]
            upper = props.isUppercase
        }
        if pendingInvisible || reordered {
            obf = true
            pendingInvisible = false
        }
        for c in out {
            let up = c.properties.uppercaseMapping.unicodeScalars
            chars.append(up.count == 1 ? up.first! : c)
            plain.append(c)
            wasUpper.append(upper || !c.properties.isAlphabetic)
            obfuscated.append(obf)
        }
    }
}

/// A token of marking text.
struct Token: Equatable {
    enum Kind: Equatable { case word, doubleSlash, slash, colon, comma, space, equals, punct }
    var kind: Kind
    var text: String
    /// Range in the normalised characters.
    var start: Int
    var end: Int
}

enum Tokenizer {
    static func isWordChar(_ c: Unicode.Scalar) -> Bool {
        let a = c.value
        if a < 0x80 {
            return (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A) || (a >= 0x30 && a <= 0x39) || a == 0x2E
                || a == 0x27 || a == 0x26
        }
        return c.properties.isAlphabetic || c.properties.numericType != nil
    }

    static func string(_ s: ArraySlice<Unicode.Scalar>) -> String {
        if s.allSatisfy({ $0.value < 0x80 }) {
            // ASCII: write the bytes straight into the string's storage.
            return String(unsafeUninitializedCapacity: s.count) { buf in
                for (k, u) in s.enumerated() { buf[k] = UInt8(u.value) }
                return s.count
            }
        }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    /// Splits normalised text into words and separators. Runs of spaces, hyphens and
    /// underscores become one `space` token (they all separate words, spec §1).
    static func tokens(_ n: NormalizedText) -> [Token] {
        var out: [Token] = []
        let c = n.chars
        var i = 0
        while i < c.count {
            let ch = c[i]
            if isWordChar(ch) {
                var j = i
                while j < c.count, isWordChar(c[j]) { j += 1 }
                // trailing dots are punctuation ("SECRET.")
                var e = j
                while e > i + 1, c[e - 1] == "." { e -= 1 }
                out.append(Token(kind: .word, text: string(c[i..<e]), start: i, end: e))
                if e < j { out.append(Token(kind: .punct, text: string(c[e..<j]), start: e, end: j)) }
                i = j
                continue
            }
            switch ch {
            case " ", "-", "_":
                var j = i
                while j < c.count, c[j] == " " || c[j] == "-" || c[j] == "_" { j += 1 }
                out.append(Token(kind: .space, text: string(c[i..<j]), start: i, end: j))
                i = j
            case "/":
                if i + 1 < c.count, c[i + 1] == "/" {
                    out.append(Token(kind: .doubleSlash, text: "//", start: i, end: i + 2))
                    i += 2
                } else {
                    out.append(Token(kind: .slash, text: "/", start: i, end: i + 1))
                    i += 1
                }
            case ":":
                out.append(Token(kind: .colon, text: ":", start: i, end: i + 1))
                i += 1
            case ",", ";":
                out.append(Token(kind: .comma, text: ",", start: i, end: i + 1))
                i += 1
            case "=":
                out.append(Token(kind: .equals, text: "=", start: i, end: i + 1))
                i += 1
            default:
                out.append(Token(kind: .punct, text: String(Character(ch)), start: i, end: i + 1))
                i += 1
            }
        }
        return out
    }
}

extension NormalizedText {
    var anyObfuscated: Bool { obfuscated.contains(true) }
    func obfuscated(in r: Range<Int>) -> Bool { r.contains { obfuscated[$0] } }
    func allUpper(in r: Range<Int>) -> Bool { r.allSatisfy { wasUpper[$0] } }
    func plainString(_ r: Range<Int>) -> String { Tokenizer.string(plain[r]) }
    func upperString(_ r: Range<Int>) -> String { Tokenizer.string(chars[r]) }
    var upperText: String { Tokenizer.string(chars[...]) }
    var plainText: String { Tokenizer.string(plain[...]) }
}
