import CCrypto
import CZstd
import Foundation
import MailParsing
import PmarkZlib
import PolicyLanguage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HMAC-SHA256 (RFC 2104), libcrypto's (already linked for the message digests) rather than
/// one composed by hand over the policy hash's portable SHA-256: the store keys every address it
/// keeps, a few per decision on the gateway's path to its reply. RFC 4231's cases 1, 2 and 6
/// (a key longer than the block) are tests.
enum HMAC {
    static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    CCrypto.HMAC(
                        LibcryptoSHA256.md, k.baseAddress, Int32(k.count), m.baseAddress, m.count, o.baseAddress,
                        &length)
                }
            }
        }
        // Not input-driven: only a broken libcrypto fails here.
        precondition(ok != nil && length == 32, "HMAC(SHA-256) failed")
        return out
    }
}

extension Array where Element == UInt8 {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// How the bytes of held and blocked messages are stored. Each quarantine row names its codec in
/// its `compression` column, so rows written before a change of codec stay readable.
public enum HeldBytes {
    /// The codec of new rows: zstd at level 1. The gateway compresses on the decision's path
    /// (before the commit the MTA waits for), so CPU per byte is what counts: on the generated
    /// archive's messages (mostly base64 attachments) zstd level 1 takes ~70–90 µs per ~50 KB
    /// message for 0.71 of the size, where zlib's run-length strategy (the earlier codec) took
    /// ~440 µs for 0.75, and zlib level 6 about four times that.
    public static let codec = Codec.zstd

    /// The codecs a quarantine row's `compression` column may name (stored as the raw value).
    public enum Codec: String, Sendable, CaseIterable {
        /// zstd (RFC 8878), level 1: every row written since the third wave-2 session.
        case zstd
        /// zlib deflate: rows written before; read back, never written.
        case zlib
    }

    /// Why stored bytes could not be written or read back.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func compress(_ input: [UInt8]) throws -> [UInt8] { try Zstd.compress(input) }

    /// The stored bytes of a row back to exactly `expectedSize` bytes; an unknown codec, corrupt
    /// data or another size is an error, never a partial message.
    public static func decompress(_ data: [UInt8], codec: String, expectedSize: Int) throws -> [UInt8] {
        guard let known = Codec(rawValue: codec) else {
            throw Failure(description: "unknown compression \"\(codec)\" of stored message bytes")
        }
        switch known {
        case .zstd: return try Zstd.decompress(data, expectedSize: expectedSize)
        case .zlib: return try Zlib.decompress(data, expectedSize: expectedSize)
        }
    }
}

/// zstd (RFC 8878 frames) for held message bytes, through a few reused compression contexts (a
/// context holds its tables; allocating them for every message cost page faults).
public enum Zstd {
    /// Level 1: zstd's fastest level with entropy coding (negative levels skip it, and base64
    /// text, most of a held message, then barely shrinks: 0.93 of the size instead of 0.71).
    public static let level: Int32 = 1

    final class Contexts: @unchecked Sendable {
        private let lock = NSLock()
        private var idle: [OpaquePointer] = []
        /// Idle contexts kept at most (about one per thread compressing at the same time).
        static let maxIdle = 8

        func withContext<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
            let reused: OpaquePointer? = lock.withLock { idle.popLast() }
            guard let ctx = reused ?? ZSTD_createCCtx() else {
                throw HeldBytes.Failure(description: "zstd: cannot create a compression context")
            }
            defer {
                let kept = lock.withLock { () -> Bool in
                    guard idle.count < Self.maxIdle else { return false }
                    idle.append(ctx)
                    return true
                }
                if !kept { ZSTD_freeCCtx(ctx) }
            }
            return try body(ctx)
        }
    }

    static let contexts = Contexts()

    public static func compress(_ input: [UInt8]) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        guard ZSTD_isError(bound) == 0 else {
            throw HeldBytes.Failure(description: "\(input.count) bytes are too many to compress in one call")
        }
        return try contexts.withContext { ctx in
            var failure: String? = nil
            let out = [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { dst, count in
                let n = input.withUnsafeBytes { src in
                    ZSTD_compressCCtx(ctx, dst.baseAddress, bound, src.baseAddress, src.count, level)
                }
                if ZSTD_isError(n) != 0 {
                    failure = String(cString: ZSTD_getErrorName(n))
                    count = 0
                } else {
                    count = n
                }
            }
            if let failure { throw HeldBytes.Failure(description: "zstd compression failed: \(failure)") }
            return out
        }
    }

    /// Decompresses to exactly `expectedSize` bytes: a frame that holds more or less, corrupt
    /// data, or anything after the frame is an error, never a partial message.
    public static func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        guard expectedSize >= 0 else { throw HeldBytes.Failure(description: "negative size") }
        var failure: String? = nil
        let out = [UInt8](unsafeUninitializedCapacity: max(expectedSize, 1)) { dst, count in
            let n = input.withUnsafeBytes { src in
                ZSTD_decompress(dst.baseAddress, expectedSize, src.baseAddress, src.count)
            }
            if ZSTD_isError(n) != 0 {
                failure = String(cString: ZSTD_getErrorName(n))
                count = 0
            } else if n != expectedSize {
                failure = "\(n) bytes"
                count = 0
            } else {
                count = n
            }
        }
        if let failure {
            throw HeldBytes.Failure(
                description: "quarantined bytes do not decompress to \(expectedSize) bytes (zstd: \(failure))")
        }
        return out
    }
}

/// zlib (deflate): the codec of held bytes written before zstd (rows whose `compression` is
/// `zlib` are read back through ``HeldBytes/decompress(_:codec:expectedSize:)``).
public enum Zlib {
    public typealias Failure = HeldBytes.Failure

    /// How the earlier codec deflated: a standard zlib stream (read back by `uncompress`) with
    /// the run-length strategy (`Z_RLE`: Huffman coding plus runs, no LZ77 string search).
    public static let strategy = Z_RLE

    public static func compress(_ input: [UInt8]) throws -> [UInt8] {
        // One deflate call takes at most 4 GiB (zlib's counters); held messages are far smaller.
        guard input.count < Int(UInt32.max) / 2 else {
            throw Failure(description: "\(input.count) bytes are too many to deflate in one call")
        }
        var s = z_stream()
        guard
            deflateInit2_(&s, 6, Z_DEFLATED, 15, 8, strategy, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            throw Failure(description: "zlib deflateInit2 failed")
        }
        defer { deflateEnd(&s) }
        let bound = Int(deflateBound(&s, uLong(input.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let (rc, produced) = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst -> (Int32, Int) in
                // zlib reads next_in only (its z_const is off in the system header).
                s.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                s.avail_in = uInt(src.count)
                s.next_out = dst.baseAddress
                s.avail_out = uInt(dst.count)
                let rc = deflate(&s, Z_FINISH)
                return (rc, dst.count - Int(s.avail_out))
            }
        }
        // deflateBound guarantees room for the whole stream in one call.
        guard rc == Z_STREAM_END else { throw Failure(description: "zlib deflate failed (\(rc))") }
        out.removeSubrange(produced...)
        return out
    }

    /// Inflates to exactly `expectedSize` bytes; anything else (corrupt data, another size) is
    /// an error, never a partial message.
    public static func decompress(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        guard expectedSize >= 0 else { throw Failure(description: "negative size") }
        var destLen = uLong(expectedSize)
        var out = [UInt8](repeating: 0, count: max(expectedSize, 1))
        let rc = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                uncompress(dst.baseAddress, &destLen, src.baseAddress, uLong(src.count))
            }
        }
        guard rc == Z_OK, Int(destLen) == expectedSize else {
            throw Failure(description: "quarantined bytes do not inflate to \(expectedSize) bytes (zlib \(rc))")
        }
        if expectedSize == 0 { return [] }
        return out
    }
}

/// The few top-level header values the store needs, read without a full parse: Message-ID,
/// Subject (decoded; used only when the policy allows subjects) and Auto-Submitted.
struct HeaderPeek {
    var messageID: String?
    var subject: String?
    var autoSubmitted: String?

    /// Headers beyond this many bytes are not read (the store keeps the identity it found).
    static let maxHeaderBytes = 256 * 1024

    init(_ bytes: [UInt8]) {
        let end = min(bytes.count, Self.maxHeaderBytes)
        var fields: [(String, [UInt8])] = []
        var i = 0
        while i < end {
            var j = i
            while j < end && bytes[j] != 0x0A { j += 1 }
            var line = bytes[i..<j]
            if line.last == 0x0D { line = line.dropLast() }
            i = j + 1
            if line.isEmpty { break }
            if line.first == 0x20 || line.first == 0x09 {
                if !fields.isEmpty {
                    fields[fields.count - 1].1 += [0x20] + line.drop(while: { $0 == 0x20 || $0 == 0x09 })
                }
                continue
            }
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            fields.append((name, Array(line[(colon + 1)...].drop(while: { $0 == 0x20 || $0 == 0x09 }))))
        }
        func first(_ n: String) -> String? {
            fields.first { $0.0 == n }.map { String(decoding: $0.1, as: UTF8.self).trimmingASCIIWhitespace() }
        }
        messageID = first("message-id")
        subject = first("subject").map { EncodedWords.decode($0).text }
        autoSubmitted = first("auto-submitted")?.lowercased()
    }
}

/// The current time in microseconds since 1970 (the store's clock for events it makes itself).
public func nowMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// `2026-11-30T13:22:11.123456Z` for a time in microseconds.
public func isoTime(_ us: Int64) -> String {
    var t = time_t(us / 1_000_000)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    func p(_ v: Int32, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    let frac = String(us % 1_000_000)
    return
        """
        \(p(tmv.tm_year + 1900, 4))-\(p(tmv.tm_mon + 1, 2))-\(p(tmv.tm_mday, 2))T\(p(tmv.tm_hour, 2))\
        :\(p(tmv.tm_min, 2)):\(p(tmv.tm_sec, 2)).\(String(repeating: "0", count: 6 - frac.count) + frac)Z
        """
}

/// libcrypto's SHA-256 implementation, fetched once for the message digest and the address HMAC.
/// `EVP_sha256()` leaves libcrypto 3 to look the implementation up in its provider on every use
/// (a lock and a table search per digest, on the decision's path before the commit); a fetched one
/// is used as it is. Never freed: it lives as long as the process.
enum LibcryptoSHA256 {
    nonisolated(unsafe) static let md: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()
}

/// SHA-256 through libcrypto (several times faster than the portable one on long messages);
/// the portable implementation answers if libcrypto ever fails.
enum Digest {
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var md = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = bytes.withUnsafeBytes { p in
            md.withUnsafeMutableBufferPointer {
                EVP_Digest(p.baseAddress, p.count, $0.baseAddress, &len, LibcryptoSHA256.md, nil)
            }
        }
        return ok == 1 && len == 32 ? md.hex : SHA256.hex(bytes)
    }
}
