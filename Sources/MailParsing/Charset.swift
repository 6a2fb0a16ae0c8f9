#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts bytes in a named charset to a Swift `String`.
///
/// UTF-8, US-ASCII and ISO-8859-1 are decoded in Swift; everything else goes through the C
/// library's iconv (an `iconv_t` is opened per call, so this is safe from any thread).
/// Aliases seen in real mail are normalised first (`latin1`, `cp1252`, `x-sjis`, `ks_c_5601-1987`,
/// `gb2312` → GBK, which is a superset, …).
public enum Charset {
    /// The result of a conversion: the text, and whether it was exact.
    public struct Decoded: Sendable, Hashable {
        public var text: String
        /// The charset was not known; bytes were read as UTF-8 (or Latin-1 when not UTF-8).
        public var unknownCharset: Bool
        /// Some bytes were invalid for the charset and were replaced or skipped.
        public var invalidData: Bool
    }

    /// Normalises a charset label to the name iconv knows, or nil for the built-in ones.
    static func normalise(_ label: String) -> String {
        var l = label.trimmingASCIIWhitespace().lowercased()
        if l.hasPrefix("\"") && l.hasSuffix("\"") && l.count >= 2 { l = String(l.dropFirst().dropLast()) }
        switch l {
        case "", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "iso646-us", "7bit", "8bit": return "us-ascii"
        case "utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8": return "utf-8"
        case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "iso_8859-1:1987": return "iso-8859-1"
        case "cp1252", "windows1252", "x-cp1252": return "windows-1252"
        case "x-sjis", "sjis", "shift-jis", "ms_kanji", "csshiftjis": return "shift_jis"
        case "ks_c_5601-1987", "ks_c_5601", "ksc5601", "korean", "csksc56011987": return "euc-kr"
        case "gb2312", "csgb2312", "x-gbk", "gb_2312-80", "cp936", "ms936": return "gbk"
        case "x-euc-jp": return "euc-jp"
        case "big-5", "x-big5", "cn-big5": return "big5"
        case "unicode", "ucs-2": return "utf-16"
        default:
            if l.hasPrefix("iso8859-") { return "iso-8859-" + l.dropFirst(8) }
            if l.hasPrefix("iso_8859-") { return "iso-8859-" + l.dropFirst(9) }
            if l.hasPrefix("cp125") && l.count == 6 { return "windows-" + l.dropFirst(2) }
            return l
        }
    }

    /// Decodes `bytes` labelled `charset`.
    public static func decode<C: Collection>(_ bytes: C, charset: String?) -> Decoded where C.Element == UInt8 {
        let name = normalise(charset ?? "us-ascii")
        switch name {
        case "us-ascii", "utf-8":
            return decodeUTF8OrLatin1(bytes, unknown: false, asciiLabel: name == "us-ascii")
        case "iso-8859-1":
            return Decoded(text: latin1(bytes), unknownCharset: false, invalidData: false)
        default:
            if let r = iconvDecode(Array(bytes), from: name) { return r }
            var d = decodeUTF8OrLatin1(bytes, unknown: true, asciiLabel: false)
            d.unknownCharset = true
            return d
        }
    }

    static func latin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(b)) }
        return String(s)
    }

    static func decodeUTF8OrLatin1<C: Collection>(_ bytes: C, unknown: Bool, asciiLabel: Bool) -> Decoded
    where C.Element == UInt8 {
        if let s = String(validating: bytes, as: UTF8.self) {
            return Decoded(text: s, unknownCharset: unknown, invalidData: false)
        }
        // Not valid UTF-8: the commonest real cause is unlabelled Windows-1252/Latin-1.
        return Decoded(text: latin1(bytes), unknownCharset: unknown, invalidData: true)
    }

    static func iconvDecode(_ input: [UInt8], from name: String) -> Decoded? {
        let cd = iconv_open("UTF-8", name)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var out = [UInt8](repeating: 0, count: max(16, input.count * 4 + 8))
        var invalid = false
        var inLeft = input.count
        var outLeft = out.count
        var src = input
        src.withUnsafeMutableBytes { ib in
            out.withUnsafeMutableBytes { ob in
                var ip = ib.baseAddress?.assumingMemoryBound(to: CChar.self)
                var op = ob.baseAddress?.assumingMemoryBound(to: CChar.self)
                while inLeft > 0 {
                    let r = iconv(cd, &ip, &inLeft, &op, &outLeft)
                    if r == -1 {
                        let e = errno
                        if e == EILSEQ || e == EINVAL {
                            // Skip one invalid byte and go on, emitting U+FFFD.
                            invalid = true
                            ip = ip.map { $0 + 1 }
                            inLeft -= 1
                            if outLeft >= 3 {
                                op![0] = CChar(bitPattern: 0xEF)
                                op![1] = CChar(bitPattern: 0xBF)
                                op![2] = CChar(bitPattern: 0xBD)
                                op = op! + 3
                                outLeft -= 3
                            }
                            if e == EINVAL { break }
                        } else {
                            break
                        }  // E2BIG cannot happen with 4x room (+ replacement room)
                    }
                }
                // Flush: stateful converters (Windows-1258, ISO-2022-JP) may hold the last character.
                _ = iconv(cd, nil, nil, &op, &outLeft)
            }
        }
        let produced = out.count - outLeft
        return Decoded(
            text: String(decoding: out[0..<produced], as: UTF8.self), unknownCharset: false, invalidData: invalid)
    }
}

extension StringProtocol {
    /// The string without leading and trailing ASCII spaces, tabs, CR and LF.
    package func trimmingASCIIWhitespace() -> String {
        let u = Array(self.utf8)
        var s = 0, e = u.count
        while s < e, u[s] == 0x20 || u[s] == 0x09 || u[s] == 0x0D || u[s] == 0x0A { s += 1 }
        while e > s, u[e - 1] == 0x20 || u[e - 1] == 0x09 || u[e - 1] == 0x0D || u[e - 1] == 0x0A { e -= 1 }
        if s == 0 && e == u.count { return String(self) }
        return String(decoding: u[s..<e], as: UTF8.self)
    }
}
