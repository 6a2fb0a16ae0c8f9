import PmarkZlib

/// Limits on looking inside archives. Each prevents a decompression bomb or an entry flood
/// from costing the gateway unbounded time or memory; hitting one is a finding (quarantine).
public struct ArchiveLimits: Sendable, Hashable {
    /// Archives inside archives (default 4): real mail rarely nests deeper than 2.
    public var maxDepth = 4
    /// Entries per message across all archives (default 1,000).
    public var maxEntries = 1_000
    /// Uncompressed size of one entry (default 32 MiB).
    public var maxEntryBytes = 32 << 20
    /// Uncompressed bytes across all archives of a message (default 128 MiB).
    public var maxTotalBytes = 128 << 20
    /// Uncompressed/compressed ratio of one entry (default 100): zip bombs reach 1,000+.
    public var maxRatio = 100
    public init() {}
    public static let `default` = ArchiveLimits()
}

/// A ZIP entry from the central directory.
struct ZipEntry {
    var name: String
    var flags: UInt16
    var method: UInt16
    var compressedSize: Int
    var uncompressedSize: Int
    var localHeaderOffset: Int
    var encrypted: Bool { flags & 1 != 0 }
}

enum ZipReader {
    @inline(__always) static func u16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    @inline(__always) static func u32(_ b: [UInt8], _ o: Int) -> Int { u16(b, o) | u16(b, o + 2) << 16 }

    /// Entries from the central directory, or nil when there is none (not a readable ZIP).
    static func entries(_ b: [UInt8]) -> [ZipEntry]? {
        guard b.count >= 22 else { return nil }
        // End of central directory: search backwards over the comment (max 64 KiB).
        var eocd = -1
        var i = b.count - 22
        let floor = max(0, b.count - 22 - 65_535)
        while i >= floor {
            if b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 0x05, b[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { return nil }
        let count = u16(b, eocd + 10)
        var p = u32(b, eocd + 16)
        var out: [ZipEntry] = []
        for _ in 0..<count {
            guard p + 46 <= b.count, b[p] == 0x50, b[p + 1] == 0x4B, b[p + 2] == 0x01, b[p + 3] == 0x02 else { return out.isEmpty ? nil : out }
            let nameLen = u16(b, p + 28), extraLen = u16(b, p + 30), commentLen = u16(b, p + 32)
            guard p + 46 + nameLen <= b.count else { break }
            let name = String(decoding: b[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            out.append(ZipEntry(name: name, flags: UInt16(u16(b, p + 8)), method: UInt16(u16(b, p + 10)),
                                compressedSize: u32(b, p + 20), uncompressedSize: u32(b, p + 24), localHeaderOffset: u32(b, p + 42)))
            p += 46 + nameLen + extraLen + commentLen
        }
        return out
    }

    /// The entry's data (stored or deflated), bounded by `limit`; nil when it cannot be read.
    static func data(_ b: [UInt8], _ e: ZipEntry, limit: Int) -> [UInt8]? {
        let h = e.localHeaderOffset
        guard h + 30 <= b.count, b[h] == 0x50, b[h + 1] == 0x4B, b[h + 2] == 0x03, b[h + 3] == 0x04 else { return nil }
        let start = h + 30 + u16(b, h + 26) + u16(b, h + 28)
        guard start + e.compressedSize <= b.count else { return nil }
        let comp = Array(b[start..<(start + e.compressedSize)])
        switch e.method {
        case 0: return Array(comp.prefix(limit))
        case 8: return Inflate.inflate(comp, windowBits: -15, limit: limit)
        default: return nil
        }
    }
}

enum Inflate {
    /// zlib inflate; windowBits -15 = raw deflate (ZIP), 47 = gzip or zlib (auto). Output is cut
    /// at `limit + 1` bytes so callers can tell a limit hit from a complete stream.
    static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int) -> [UInt8]? {
        var s = z_stream()
        guard inflateInit2_(&s, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&s) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var src = input
        var ok = true
        src.withUnsafeMutableBufferPointer { inp in
            s.next_in = inp.baseAddress
            s.avail_in = UInt32(inp.count)
            while true {
                let r: Int32 = chunk.withUnsafeMutableBufferPointer { c in
                    s.next_out = c.baseAddress
                    s.avail_out = UInt32(c.count)
                    return PmarkZlib.inflate(&s, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(s.avail_out)
                out.append(contentsOf: chunk[0..<produced])
                if out.count > limit { out.removeLast(out.count - limit - 1); return }
                if r == Z_STREAM_END { return }
                if r != Z_OK { ok = !out.isEmpty && r == Z_BUF_ERROR; return }
                if produced == 0 && s.avail_in == 0 { return }
            }
        }
        return ok ? out : nil
    }
}

enum TarReader {
    /// (name, data range) of each regular file in a tar archive.
    static func entries(_ b: [UInt8]) -> [(String, Range<Int>)]? {
        var out: [(String, Range<Int>)] = []
        var p = 0
        while p + 512 <= b.count {
            let header = b[p..<(p + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }
            let magic = String(decoding: b[(p + 257)..<(p + 262)], as: UTF8.self)
            guard magic == "ustar" || out.isEmpty == false || b[(p + 100)..<(p + 108)].contains(where: { $0 >= 0x30 && $0 <= 0x37 }) else { return nil }
            let name = String(decoding: b[p..<(p + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let sizeField = String(decoding: b[(p + 124)..<(p + 136)].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            guard let size = Int(sizeField, radix: 8) else { return out.isEmpty ? nil : out }
            let type = b[p + 156]
            let dataStart = p + 512
            guard dataStart + size <= b.count else { return out.isEmpty ? nil : out }
            if type == 0x30 || type == 0 { out.append((name, dataStart..<(dataStart + size))) }
            p = dataStart + (size + 511) / 512 * 512
        }
        return out
    }
}
