/// Compressed RTF (MS-OXRTFCP), the form in which Outlook stores a message body in
/// `PR_RTF_COMPRESSED` (0x1009) — inside TNEF (`winmail.dat`) and `.msg` files. Outlook shows
/// this RTF as the message body, so a marking in it must be read (spec §10.1).
///
/// A decoder of pmark's own (no library on Debian decodes it; the format is a 16-byte header
/// and an LZ77 variant with a 4,096-byte ring dictionary pre-loaded with an RTF prologue).
/// Every read is bounds-checked, the output is capped, and a stream that ends before its end
/// marker, runs past its declared sizes or exceeds the cap is refused, never half-read.
enum CompressedRTF {
    /// Largest decompressed RTF accepted (default 32 MiB). A message body is kilobytes; the
    /// format's 4-bit lengths make the ratio at most 8.5:1 per control unit, so this also bounds
    /// memory for a hostile `rawSize`.
    static let maxOutputBytes = 32 << 20

    /// "LZFu": compressed. "MELA": stored.
    static let compressed: UInt32 = 0x7546_5A4C
    static let uncompressed: UInt32 = 0x414C_454D

    /// The dictionary's initial content (MS-OXRTFCP 2.1.2.1), 207 bytes.
    static let prologue: [UInt8] = Array(
        ("{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
            + "\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n"
            + "\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx").utf8)

    enum Failure: Error, Equatable, CustomStringConvertible {
        case truncated, unknownType(UInt32), tooLarge, noEndMarker
        var description: String {
            switch self {
            case .truncated: return "compressed RTF is truncated"
            case .unknownType(let t): return "compressed RTF has an unknown compression type 0x\(String(t, radix: 16))"
            case .tooLarge: return "compressed RTF expands beyond \(CompressedRTF.maxOutputBytes) bytes"
            case .noEndMarker: return "compressed RTF ends without its end marker"
            }
        }
    }

    @inline(__always) static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    /// The RTF bytes of a `PR_RTF_COMPRESSED` value.
    static func decompress(_ b: [UInt8], limit: Int = maxOutputBytes) throws(Failure) -> [UInt8] {
        guard b.count >= 16 else { throw .truncated }
        let compSize = Int(u32(b, 0))  // bytes after this field
        let rawSize = Int(u32(b, 4))
        let type = u32(b, 8)
        // The data ends at the declared size when it is within the value (writers pad the value).
        let end = min(b.count, compSize >= 12 && compSize <= b.count - 4 ? compSize + 4 : b.count)
        switch type {
        case uncompressed:
            guard rawSize <= limit else { throw .tooLarge }
            guard rawSize <= end - 16 else { throw .truncated }
            return Array(b[16..<(16 + rawSize)])
        case compressed:
            break
        default:
            throw .unknownType(type)
        }
        let cap = min(limit, max(rawSize, 0))
        var dict = [UInt8](repeating: 0, count: 4096)
        for (i, c) in prologue.enumerated() { dict[i] = c }
        var write = prologue.count
        var out: [UInt8] = []
        out.reserveCapacity(min(cap, 1 << 20))
        var p = 16
        while p < end {
            let control = b[p]
            p += 1
            for bit in 0..<8 {
                if control & (1 << bit) == 0 {
                    guard p < end else { throw .noEndMarker }
                    let c = b[p]
                    p += 1
                    guard out.count < cap else { throw .tooLarge }
                    out.append(c)
                    dict[write] = c
                    write = (write + 1) & 0xFFF
                } else {
                    guard p + 1 < end else { throw .noEndMarker }
                    let word = Int(b[p]) << 8 | Int(b[p + 1])
                    p += 2
                    let offset = word >> 4
                    let length = (word & 0xF) + 2
                    if offset == write { return out }  // the end marker
                    guard out.count + length <= cap else { throw .tooLarge }
                    for k in 0..<length {
                        let c = dict[(offset + k) & 0xFFF]
                        out.append(c)
                        dict[write] = c
                        write = (write + 1) & 0xFFF
                    }
                }
            }
        }
        throw .noEndMarker
    }
}
