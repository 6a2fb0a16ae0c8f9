#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// glibc's memmem (a GNU extension the Swift Glibc module does not export).
@_silgen_name("memmem")
func c_memmem(_ haystack: UnsafeRawPointer, _ hlen: Int, _ needle: UnsafeRawPointer, _ nlen: Int)
    -> UnsafeMutableRawPointer?

/// Fast byte searches over raw buffers (memchr/memmem), returning absolute offsets.
enum ByteSearch {
    /// Offset of the first `byte` in `base[from..<to]`, or nil.
    @inline(__always)
    static func find(_ byte: UInt8, in base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        guard let p = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// Offset of the first occurrence of `needle` in `base[from..<to]`, or nil.
    @inline(__always)
    static func find(_ needle: UnsafeBufferPointer<UInt8>, in base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, needle.count <= to - from else { return nil }
        guard let p = c_memmem(base + from, to - from, needle.baseAddress!, needle.count) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// End of the line starting at `from`: offset of the `\n`, or `to`.
    @inline(__always)
    static func lineEnd(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        find(0x0A, in: base, from: from, to: to) ?? to
    }
}

@inline(__always) func isWSP(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

extension Collection where Element == UInt8 {
    /// Case-insensitive ASCII comparison with a lower-case ASCII string.
    func asciiCaseEquals(_ lower: String) -> Bool {
        var it = lower.utf8.makeIterator()
        for b in self {
            guard let c = it.next(), asciiLower(b) == c else { return false }
        }
        return it.next() == nil
    }
}

/// Exact substring tests on `String`s with a byte-level prefilter: `String.contains` compares
/// extended grapheme clusters under canonical equivalence, which is slow over long bodies, while
/// almost every body does not contain the needle at all.
public enum TextSearch {
    /// Exactly `text.contains(needle)` as the standard library (`_StringProcessing`, not
    /// Foundation's overload) answers it, i.e. `text.firstRange(of: needle) != nil` over
    /// Characters; fast when the answer is no.
    ///
    /// For an ASCII needle none of whose characters has a canonically equivalent non-ASCII form
    /// (U+212A KELVIN SIGN ≡ `K`, U+037E ≡ `;`, U+1FEF ≡ `` ` ``), every match of the grapheme
    /// search is also a match of the UTF-8 bytes; so no byte match means no match, and only a
    /// byte match is confirmed by `String.contains` (a combining mark after the needle can
    /// still make the grapheme search say no). Any other needle goes to `String.contains`.
    public static func contains(_ text: String, _ needle: String) -> Bool {
        guard
            needle.utf8.allSatisfy({
                $0 < 0x80 && $0 != UInt8(ascii: "K") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "`")
            }),
            !needle.isEmpty
        else { return text.firstRange(of: needle) != nil }
        guard bytesContain(text, needle) else { return false }
        return text.firstRange(of: needle) != nil
    }

    /// Whether the UTF-8 of `text` contains the UTF-8 of `needle` (memmem).
    public static func bytesContain(_ text: String, _ needle: String) -> Bool {
        var t = text, n = needle
        return t.withUTF8 { tb in
            n.withUTF8 { nb in
                guard let tp = tb.baseAddress, let np = nb.baseAddress, nb.count <= tb.count else { return nb.isEmpty }
                return c_memmem(tp, tb.count, np, nb.count) != nil
            }
        }
    }

    /// Whether `text` contains `needle` ignoring ASCII case, both ASCII; nil when either is not
    /// ASCII (the caller then needs a Unicode-aware search).
    public static func asciiCaseInsensitiveContains(_ text: String, _ needle: String) -> Bool? {
        var t = text, n = needle
        return t.withUTF8 { tb -> Bool? in
            n.withUTF8 { nb -> Bool? in
                guard tb.allSatisfy({ $0 < 0x80 }), nb.allSatisfy({ $0 < 0x80 }) else { return nil }
                guard let first = nb.first else { return true }
                guard nb.count <= tb.count, let tp = tb.baseAddress else { return false }
                let f0 = asciiLower(first), f1 = (f0 >= 0x61 && f0 <= 0x7A) ? f0 & 0xDF : f0
                var i = 0
                let last = tb.count - nb.count
                while i <= last {
                    // Next candidate: the first byte in either case (memchr twice over a window is
                    // not worth it for short secrets; a plain scan is).
                    let b = tp[i]
                    if b == f0 || b == f1 {
                        var k = 1
                        while k < nb.count && asciiLower(tp[i + k]) == asciiLower(nb[k]) { k += 1 }
                        if k == nb.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// `text` with every occurrence of `needle` (ASCII case ignored) replaced by `replacement`,
    /// left to right, not overlapping; nil when `text` or `needle` is not ASCII (the caller then
    /// needs a Unicode-aware search) or `needle` is empty.
    public static func asciiCaseInsensitiveReplacing(_ text: String, _ needle: String, with replacement: String)
        -> String?
    {
        var t = text, n = needle
        return t.withUTF8 { tb -> String? in
            n.withUTF8 { nb -> String? in
                guard !nb.isEmpty, tb.allSatisfy({ $0 < 0x80 }), nb.allSatisfy({ $0 < 0x80 }) else { return nil }
                var out: [UInt8] = []
                out.reserveCapacity(tb.count)
                var i = 0
                while i < tb.count {
                    if i + nb.count <= tb.count {
                        var k = 0
                        while k < nb.count && asciiLower(tb[i + k]) == asciiLower(nb[k]) { k += 1 }
                        if k == nb.count {
                            out.append(contentsOf: replacement.utf8)
                            i += nb.count
                            continue
                        }
                    }
                    out.append(tb[i])
                    i += 1
                }
                return String(decoding: out, as: UTF8.self)
            }
        }
    }
}
