#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the spool cannot go on.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Size limits of one message at the gateway. Each has a reason.
public struct SpoolLimits: Sendable, Hashable {
    /// Bytes kept in memory per message before the rest goes to a private temporary file: with
    /// `--max-connections` messages in flight at once, memory stays bounded by this times the
    /// connection count (default 4 MiB: most mail fits, so most messages never touch the disk).
    public var memoryLimit: Int
    /// Bytes inspected at most; a larger message is quarantined (held, not accepted
    /// uninspected). Default 50 MiB, above Postfix's default `message_size_limit` (10 MB), so by
    /// default every message the MTA accepts is inspected whole.
    public var maxMessageSize: Int
    public init(memoryLimit: Int = 4 << 20, maxMessageSize: Int = 50 << 20) {
        self.memoryLimit = memoryLimit
        self.maxMessageSize = maxMessageSize
    }
}

/// One message's bytes as they arrive: in memory up to `memoryLimit`, then in a private temporary
/// file (created 0600 in `directory` and unlinked at once, so no other process can open it and
/// nothing is left behind if pmark dies). Bytes past `maxMessageSize` are counted, not kept.
public final class MessageSpool: @unchecked Sendable {
    public let limits: SpoolLimits
    public let directory: String
    private var memory: [UInt8] = []
    private var fd: Int32 = -1
    private var fileBytes = 0
    /// Every byte the MTA sent for this message, kept or not.
    public private(set) var totalBytes = 0
    public var exceedsMaximum: Bool { totalBytes > limits.maxMessageSize }
    public var isSpooledToDisk: Bool { fd >= 0 }

    public init(limits: SpoolLimits = SpoolLimits(), directory: String = "/tmp") {
        self.limits = limits
        self.directory = directory
    }
    deinit { if fd >= 0 { close(fd) } }

    /// Forgets the message (a new one starts, or an abort).
    public func reset() {
        memory.removeAll(keepingCapacity: memory.count <= 1 << 20)
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        fileBytes = 0
        totalBytes = 0
    }

    /// A header as the MTA sent it, as `Name:value` (the leading space kept by the MTA) or
    /// `Name: value`, CRLF-terminated, with folded lines CRLF-joined.
    public func appendHeader(name: [UInt8], value: [UInt8], leadingSpaceKept: Bool) throws {
        var line = name
        line.append(UInt8(ascii: ":"))
        if !leadingSpaceKept { line.append(UInt8(ascii: " ")) }
        var prev: UInt8 = 0
        for b in value {
            if b == 10 && prev != 13 { line.append(13) }
            line.append(b)
            prev = b
        }
        line += [13, 10]
        try append(line)
    }

    public func append(_ bytes: [UInt8]) throws {
        let before = totalBytes
        totalBytes += bytes.count
        // Keep only what lies below the maximum.
        let room = max(0, limits.maxMessageSize - before)
        guard room > 0 else { return }
        let keep = bytes.count <= room ? bytes[...] : bytes[..<room]
        if fd < 0, memory.count + keep.count <= limits.memoryLimit {
            memory.append(contentsOf: keep)
            return
        }
        if fd < 0 { try openFile() }
        try writeAll(keep)
        fileBytes += keep.count
    }

    private func openFile() throws {
        var template = Array((directory + "/pmark-spool-XXXXXX").utf8CString)
        let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // mkstemp creates the file 0600
        guard f >= 0 else {
            throw SpoolError(description: "cannot create a spool file in \(directory): errno \(errno)")
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        unlink(path)
        fd = f
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>) throws {
        var off = 0
        try bytes.withUnsafeBytes { buf in
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError(description: "spool write failed: errno \(errno)")
                }
                off += n
            }
        }
    }

    /// The kept bytes (at most `maxMessageSize`), read back from the file if spooled.
    public func contents() throws -> [UInt8] {
        guard fd >= 0 else { return memory }
        var out = memory
        out.reserveCapacity(memory.count + fileBytes)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while Int(offset) < fileBytes {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError(description: "spool read failed: errno \(errno)")
            }
            if n == 0 {
                throw SpoolError(description: "spool file shorter than written (\(offset) of \(fileBytes) bytes)")
            }
            out.append(contentsOf: chunk[..<n])
            offset += off_t(n)
        }
        return out
    }
}
