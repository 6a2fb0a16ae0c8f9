#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// glibc's memmem (a GNU extension the Swift Glibc module does not export).
@_silgen_name("memmem")
func c_memmem(_ haystack: UnsafeRawPointer, _ hlen: Int, _ needle: UnsafeRawPointer, _ nlen: Int) -> UnsafeMutableRawPointer?

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
