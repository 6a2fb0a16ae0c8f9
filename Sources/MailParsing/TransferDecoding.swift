/// Content-Transfer-Encoding decoders (RFC 2045 §6), tolerant of what real mailers send.
public enum TransferDecoding {
    /// Decoded bytes and whether the input was malformed.
    public struct Output: Sendable, Hashable {
        public var bytes: [UInt8]
        /// Characters outside the alphabet, bad escapes or bad line lengths were skipped.
        public var invalid: Bool
        /// Base64 ended in the middle of a quantum (bits were dropped).
        public var truncated: Bool = false
    }

    private static let b64: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = UInt8(i)
        }
        t[Int(UInt8(ascii: "-"))] = 62
        t[Int(UInt8(ascii: "_"))] = 63  // base64url, seen in the wild
        return t
    }()

    /// 1 for the 64 characters of the standard alphabet (what ``base64DecodedSize(_:)``
    /// counts), 0 for everything else (`=`, `-`, `_`, white space, junk).
    private static let b64Counted: [UInt8] = (0..<256).map { c in b64[c] < 64 && c != 0x2D && c != 0x5F ? 1 : 0 }

    /// Base64: white space is ignored; other junk is skipped and reported; decoding stops at
    /// the first `=` padding of a complete quantum (anything after is reported as junk).
    public static func base64<C: Collection>(_ input: C, limit: Int = .max) -> Output where C.Element == UInt8 {
        if let r = input.withContiguousStorageIfAvailable({ base64Contiguous($0, limit: limit) }) { return r }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3 + 3)
        var acc: UInt32 = 0
        var n = 0
        var invalid = false
        var padded = false
        let table = b64
        for c in input {
            if c == 0x0A || c == 0x0D || c == 0x20 || c == 0x09 { continue }
            if c == 0x3D {
                padded = true
                continue
            }
            let v = table[Int(c)]
            if v == 0xFF {
                invalid = true
                continue
            }
            if padded {
                invalid = true
                padded = false
            }  // data after padding: keep decoding, report
            acc = acc << 6 | UInt32(v)
            n += 1
            if n == 4 {
                out.append(UInt8(truncatingIfNeeded: acc >> 16))
                out.append(UInt8(truncatingIfNeeded: acc >> 8))
                out.append(UInt8(truncatingIfNeeded: acc))
                acc = 0
                n = 0
                if out.count > limit { break }
            }
        }
        var truncated = false
        switch n {
        case 2: out.append(UInt8(truncatingIfNeeded: acc >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: acc >> 10))
            out.append(UInt8(truncatingIfNeeded: acc >> 2))
        case 1: truncated = true
        default: break
        }
        if n != 0 && !padded { truncated = true }
        return Output(bytes: out, invalid: invalid, truncated: truncated)
    }

    /// `base64` over contiguous bytes: the same decoding (and the same defects), with a fast
    /// path that turns four alphabet characters into three bytes at a time and falls back to the
    /// byte-by-byte rules at line breaks, padding and junk. Output is written in place.
    static func base64Contiguous(_ p: UnsafeBufferPointer<UInt8>, limit: Int) -> Output {
        var acc: UInt32 = 0
        var n = 0
        var invalid = false
        var padded = false
        let end = p.count
        let bytes = [UInt8](unsafeUninitializedCapacity: end / 4 * 3 + 3) { out, count in
            var o = 0
            guard let base = p.baseAddress else {
                count = 0
                return
            }
            b64.withUnsafeBufferPointer { t in
                var i = 0
                while i < end {
                    if n == 0 && !padded && i + 4 <= end {
                        let a = t[Int(base[i])], b = t[Int(base[i + 1])], c = t[Int(base[i + 2])],
                            d = t[Int(base[i + 3])]
                        if (a | b | c | d) & 0x80 == 0 {
                            let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            out[o] = UInt8(truncatingIfNeeded: v >> 16)
                            out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                            out[o + 2] = UInt8(truncatingIfNeeded: v)
                            o += 3
                            i += 4
                            if o > limit { break }
                            continue
                        }
                    }
                    let c = base[i]
                    i += 1
                    if c == 0x0A || c == 0x0D || c == 0x20 || c == 0x09 { continue }
                    if c == 0x3D {
                        padded = true
                        continue
                    }
                    let v = t[Int(c)]
                    if v == 0xFF {
                        invalid = true
                        continue
                    }
                    if padded {
                        invalid = true
                        padded = false
                    }
                    acc = acc << 6 | UInt32(v)
                    n += 1
                    if n == 4 {
                        out[o] = UInt8(truncatingIfNeeded: acc >> 16)
                        out[o + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                        out[o + 2] = UInt8(truncatingIfNeeded: acc)
                        o += 3
                        acc = 0
                        n = 0
                        if o > limit { break }
                    }
                }
            }
            switch n {
            case 2:
                out[o] = UInt8(truncatingIfNeeded: acc >> 4)
                o += 1
            case 3:
                out[o] = UInt8(truncatingIfNeeded: acc >> 10)
                out[o + 1] = UInt8(truncatingIfNeeded: acc >> 2)
                o += 2
            default: break
            }
            count = o
        }
        var truncated = n == 1
        if n != 0 && !padded { truncated = true }
        return Output(bytes: bytes, invalid: invalid, truncated: truncated)
    }

    /// The exact size `base64` decodes `p` to when the input holds only alphabet characters,
    /// white space and trailing padding (counted without decoding; other bytes are not counted).
    public static func base64DecodedSize(_ p: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0, pad = 0
        // Branch-free: every attachment's size is counted over its whole body.
        b64Counted.withUnsafeBufferPointer { t in
            for c in p {
                n &+= Int(t[Int(c)])
                pad &+= c == 0x3D ? 1 : 0
            }
        }
        return n * 3 / 4 - (n % 4 == 0 ? min(pad, 2) : 0)
    }

    /// Quoted-printable (RFC 2045 §6.7): soft line breaks removed, `=XX` decoded (either
    /// case); a bad escape is kept literally and reported.
    public static func quotedPrintable<C: Collection>(_ input: C) -> Output where C.Element == UInt8, C.Index == Int {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var invalid = false
        var i = input.startIndex
        let end = input.endIndex
        while i < end {
            let c = input[i]
            if c == 0x3D {
                // soft line break: "=" then optional trailing white space then (CR)LF
                var j = i + 1
                while j < end, input[j] == 0x20 || input[j] == 0x09 { j += 1 }
                if j < end, input[j] == 0x0A {
                    i = j + 1
                    continue
                }
                if j + 1 < end, input[j] == 0x0D, input[j + 1] == 0x0A {
                    i = j + 2
                    continue
                }
                if j == end {
                    i = j
                    continue
                }
                if i + 2 < end, let h = hexValue(input[i + 1]), let l = hexValue(input[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
                invalid = true
                out.append(c)
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
        return Output(bytes: out, invalid: invalid)
    }

    /// uuencode: the lines between `begin <mode> <name>` and `end`.
    public static func uuencode<C: Collection>(_ input: C) -> Output where C.Element == UInt8, C.Index == Int {
        var out = [UInt8]()
        var invalid = false
        var started = false
        var lineStart = input.startIndex
        let end = input.endIndex
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end, input[lineEnd] != 0x0A { lineEnd += 1 }
            var trimmedEnd = lineEnd
            if trimmedEnd > lineStart, input[trimmedEnd - 1] == 0x0D { trimmedEnd -= 1 }
            let line = input[lineStart..<trimmedEnd]
            defer { lineStart = lineEnd + 1 }
            if !started {
                if line.starts(with: Array("begin ".utf8)) { started = true }
                continue
            }
            if line.elementsEqual("end".utf8) { return Output(bytes: out, invalid: invalid) }
            guard let first = line.first else { continue }
            let count = Int((first &- 0x20) & 0x3F)
            if count == 0 { continue }
            var quad: [UInt8] = []
            var produced = 0
            for c in line.dropFirst() {
                quad.append((c &- 0x20) & 0x3F)
                if quad.count == 4 {
                    let bytes = [quad[0] << 2 | quad[1] >> 4, quad[1] << 4 | quad[2] >> 2, quad[2] << 6 | quad[3]]
                    for b in bytes where produced < count {
                        out.append(b)
                        produced += 1
                    }
                    quad.removeAll(keepingCapacity: true)
                }
            }
            if produced < count { invalid = true }
        }
        // No `end` line (or no `begin`): the data is truncated.
        return Output(bytes: out, invalid: true)
    }
}
