import Foundation
import PmarkZlib

/// Paths shared by every test target.
public enum Repository {
    /// The repository root (this file is `Tests/TestSupport/TestSupport.swift`).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}

/// Builds ZIP archives in memory (stored or deflated entries, CRC-32 from zlib), for document
/// and archive-limit tests.
public enum ZipWriter {
    public enum Method { case stored, deflated }

    /// A ZIP of `entries` in order.
    public static func zip(_ entries: [(String, [UInt8])], method: Method = .deflated) -> [UInt8] {
        zip(mixed: entries.map { ($0.0, $0.1, method) })
    }

    /// A ZIP of `entries` in order, each stored or deflated as given.
    public static func zip(mixed entries: [(String, [UInt8], Method)]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        for (name, data, method) in entries {
            let off = out.count, n = Array(name.utf8)
            let crc = data.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
            let body = method == .deflated ? deflateRaw(data) : data
            let m = method == .deflated ? 8 : 0
            out +=
                [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(m) + le16(0) + le16(0) + le32(crc)
                + le32(body.count) + le32(data.count)
                + le16(n.count) + le16(0) + n + body
            central +=
                [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(m) + le16(0) + le16(0) + le32(crc)
                + le32(body.count) + le32(data.count)
                + le16(n.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(off) + n
        }
        let cdOff = out.count
        return out + central + [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
            + le32(central.count) + le32(cdOff) + le16(0)
    }

    /// One gzip member (RFC 1952): header, raw deflate, CRC-32 and length.
    public static func gzip(_ data: [UInt8]) -> [UInt8] {
        let crc = data.withUnsafeBufferPointer {
            UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress, UInt32($0.count)))
        }
        func le32(_ v: UInt32) -> [UInt8] {
            [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        }
        return [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xFF] + deflateRaw(data) + le32(crc)
            + le32(UInt32(truncatingIfNeeded: data.count))
    }

    /// Raw deflate (no zlib header), best compression.
    public static func deflateRaw(_ input: [UInt8]) -> [UInt8] {
        var s = z_stream()
        guard
            deflateInit2_(
                &s, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return [] }
        defer { deflateEnd(&s) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&s, UInt(input.count))) + 64)
        var src = input
        let produced: Int = src.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                s.next_in = inp.baseAddress
                s.avail_in = UInt32(inp.count)
                s.next_out = o.baseAddress
                s.avail_out = UInt32(o.count)
                _ = deflate(&s, Z_FINISH)
                return o.count - Int(s.avail_out)
            }
        }
        return Array(out.prefix(produced))
    }

    /// A minimal Office Open XML word-processing document.
    public static func docx(
        customProperties: [(String, String)] = [], header: String? = nil, sheetHeader: String? = nil,
        extra: [(String, [UInt8])] = []
    ) -> [UInt8] {
        var entries: [(String, [UInt8])] = [
            ("[Content_Types].xml", Array("<?xml version=\"1.0\"?><Types/>".utf8)),
            (
                "word/document.xml",
                Array("<w:document><w:body><w:p><w:r><w:t>Body text</w:t></w:r></w:p></w:body></w:document>".utf8)
            ),
        ]
        if !customProperties.isEmpty {
            let props = customProperties.enumerated().map { i, p in
                """
                <property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="\(i + 2)" \
                name="\(p.0)"><vt:lpwstr>\(p.1)</vt:lpwstr></property>
                """
            }.joined()
            entries.append(
                (
                    "docProps/custom.xml",
                    Array("<?xml version=\"1.0\"?><Properties xmlns:vt=\"x\">\(props)</Properties>".utf8)
                ))
        }
        if let header {
            entries.append(
                ("word/header1.xml", Array("<w:hdr><w:p><w:r><w:t>\(header)</w:t></w:r></w:p></w:hdr>".utf8)))
        }
        if let sheetHeader {
            entries.append(
                (
                    "xl/worksheets/sheet1.xml",
                    Array(
                        """
                        <worksheet><headerFooter><oddHeader>&amp;C\(sheetHeader)</oddHeader></headerFooter></worksheet>
                        """
                        .utf8)
                ))
        }
        return zip(entries + extra)
    }
}

/// A deterministic xorshift generator: tests that feed random bytes are the same on every run.
public struct XorShift {
    public var s: UInt64
    public init(s: UInt64) { self.s = s }
    public mutating func next() -> UInt64 {
        s ^= s << 13
        s ^= s >> 7
        s ^= s << 17
        return s
    }
}
