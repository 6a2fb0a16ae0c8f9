import MailParsing
import PmarkZlib

/// An error reading an input that is not an I/O error of the file system: corrupt gzip data,
/// a PST libpff cannot open. Says what and where.
public struct InputReadError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// gzip-decompressing `ByteStream` (zlib, gzip or zlib wrapper detected; concatenated members
/// are read in turn, as gzip(1) does). Memory: one input chunk and zlib's 32 KiB window.
public final class GzipStream: ByteStream {
    let source: ByteStream
    let path: String
    var z = z_stream()
    var input: UnsafeMutablePointer<UInt8>
    static let inputChunk = 1 << 16
    var inputEOF = false
    var finished = false
    var initialised = false
    /// Decompressed bytes produced so far (offsets in the decompressed stream).
    public private(set) var produced = 0

    public init(source: ByteStream, path: String) throws {
        self.source = source
        self.path = path
        input = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.inputChunk)
        let rc = inflateInit2_(&z, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            input.deallocate()
            throw InputReadError(path: path, message: "zlib initialisation failed (\(rc))")
        }
        initialised = true
    }

    deinit {
        if initialised { inflateEnd(&z) }
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        if finished { return 0 }
        z.next_out = buffer
        z.avail_out = UInt32(min(count, Int(UInt32.max)))
        while z.avail_out > 0 {
            if z.avail_in == 0 && !inputEOF {
                let n = try source.read(into: input, count: Self.inputChunk)
                if n == 0 {
                    inputEOF = true
                } else {
                    z.next_in = input
                    z.avail_in = UInt32(n)
                }
            }
            if z.avail_in == 0 && inputEOF {
                let got = count - Int(z.avail_out)
                if got > 0 { break }
                if produced == 0 || !atMemberEnd { throw InputReadError(path: path, message: "gzip data is truncated") }
                finished = true
                return 0
            }
            let rc = inflate(&z, Z_NO_FLUSH)
            atMemberEnd = false
            if rc == Z_STREAM_END {
                atMemberEnd = true
                // Another member may follow (cat a.gz b.gz); trailing zero padding is allowed.
                if z.avail_in == 0 && inputEOF {
                    let got = count - Int(z.avail_out)
                    produced += got
                    if got == 0 { finished = true }
                    return got
                }
                inflateReset(&z)
                continue
            }
            if rc == Z_BUF_ERROR { continue }
            if rc != Z_OK {
                let msg = z.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw InputReadError(
                    path: path,
                    message: "corrupt gzip data at decompressed offset \(produced + count - Int(z.avail_out)): \(msg)")
            }
        }
        let got = count - Int(z.avail_out)
        produced += got
        return got
    }
    var atMemberEnd = false
}
