#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// Where a message came from, so a report can point back to it.
public struct MessageSource: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable { case file, mbox, maildir, stdin, pst }
    public var kind: Kind
    /// The file (the mbox file, the Maildir message file, the .eml file, or "-").
    public var path: String
    /// For mbox: byte offset of the message's `From ` postmark line in the file (in the
    /// decompressed stream for a gzip-compressed mbox); for PST: the item's descriptor id.
    public var offset: Int?
    /// For mbox and PST: 1-based index of the message in the file.
    public var index: Int?

    public init(kind: Kind, path: String, offset: Int? = nil, index: Int? = nil) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.index = index
    }

    /// `archive.mbox@1234 (#3)`, `maildir/cur/123:2,S`, `-`.
    public var description: String {
        if let o = offset { return "\(path)@\(o)" + (index.map { " (#\($0))" } ?? "") }
        return path
    }
}

/// One message read from an archive, before parsing.
public struct RawMessage: Sendable {
    public var source: MessageSource
    /// The message bytes (mbox postmark removed, `>From ` unescaped).
    public var bytes: [UInt8]
    /// Reader-level defects (e.g. a Content-Length that does not fit the mbox).
    public var defects: [MailDefect]
    /// When set, the message was not read whole because it exceeded a limit.
    public var error: MailParseError?

    public init(source: MessageSource, bytes: [UInt8], defects: [MailDefect], error: MailParseError? = nil) {
        self.source = source
        self.bytes = bytes
        self.defects = defects
        self.error = error
    }
}

/// Reads messages from files, directories and standard input, one at a time, with memory
/// bounded by the largest message (never by the archive).
///
/// - A directory with `cur/` or `new/` is a Maildir; every other directory is walked for
///   `*.eml` files (and Maildir folders inside it), in sorted order.
/// - A file whose first line starts with `From ` (after an optional UTF-8 BOM) is an mbox;
///   any other file is one message.
/// - `-` is standard input (mbox or one message, sniffed the same way).
public struct ArchiveReader: Sendable {
    public var limits: ParserLimits
    public init(limits: ParserLimits = .default) { self.limits = limits }

    /// Calls `body` for every message under `paths`, in order. Stops early when `body` returns false.
    public func forEach(paths: [String], _ body: (RawMessage) throws -> Bool) throws {
        for p in paths {
            if try !read(path: p, body) { return }
        }
    }

    @discardableResult
    func read(path: String, _ body: (RawMessage) throws -> Bool) throws -> Bool {
        if path == "-" { return try readStream(fd: 0, path: "-", kind: .stdin, body) }
        var st = stat()
        guard stat(path, &st) == 0 else { throw MailParseError(.io(path: path, errno: errno, operation: "stat")) }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return try readDirectory(path, body)
        }
        if (st.st_mode & S_IFMT) == S_IFREG {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw MailParseError(.io(path: path, errno: errno, operation: "open")) }
            defer { close(fd) }
            return try readStream(fd: fd, path: path, kind: .file, body)
        }
        throw MailParseError(.unsupportedInput(path: path))
    }

    static func listDirectory(_ path: String) throws -> [(name: String, isDir: Bool)] {
        guard let d = opendir(path) else {
            throw MailParseError(.io(path: path, errno: errno, operation: "open directory"))
        }
        defer { closedir(d) }
        var out: [(String, Bool)] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard stat(path + "/" + name, &st) == 0 else { continue }
            out.append((name, (st.st_mode & S_IFMT) == S_IFDIR))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// A directory or file by device and inode: what the walk has already read.
    struct FileID: Hashable {
        var dev: UInt64
        var ino: UInt64
    }

    func readDirectory(_ path: String, _ body: (RawMessage) throws -> Bool) throws -> Bool {
        var visited = Set<FileID>()
        return try readDirectory(path, visited: &visited, body)
    }

    /// Whether `path` is new to this walk (false when it cannot be stat'ed: listDirectory and
    /// readWhole then report it).
    static func firstVisit(_ path: String, _ visited: inout Set<FileID>) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return true }
        return visited.insert(FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))).inserted
    }

    /// Walks a Maildir(++) or a tree of `.eml` files. Symbolic links are followed, but each
    /// directory and each file is read once (by device and inode): a link back up the tree
    /// (`loop -> ..`) cannot make the walk loop or read a message twice.
    func readDirectory(_ path: String, visited: inout Set<FileID>, _ body: (RawMessage) throws -> Bool) throws -> Bool {
        guard Self.firstVisit(path, &visited) else { return true }
        let entries = try Self.listDirectory(path)
        let isMaildir = entries.contains { $0.isDir && ($0.name == "cur" || $0.name == "new") }
        if isMaildir {
            for sub in ["new", "cur"] where entries.contains(where: { $0.isDir && $0.name == sub }) {
                for f in try Self.listDirectory(path + "/" + sub) where !f.isDir && !f.name.hasPrefix(".") {
                    let full = path + "/" + sub + "/" + f.name
                    guard Self.firstVisit(full, &visited) else { continue }
                    if try !readWhole(full, kind: .maildir, body) { return false }
                }
            }
            // Maildir++ subfolders (".Sent", ".Archive") are Maildirs too.
            for e in entries where e.isDir && e.name.hasPrefix(".") {
                if try !readDirectory(path + "/" + e.name, visited: &visited, body) { return false }
            }
            return true
        }
        for e in entries {
            let full = path + "/" + e.name
            if e.isDir {
                if try !readDirectory(full, visited: &visited, body) { return false }
            } else if e.name.lowercased().hasSuffix(".eml"), Self.firstVisit(full, &visited) {
                if try !readWhole(full, kind: .file, body) { return false }
            }
        }
        return true
    }

    func readWhole(_ path: String, kind: MessageSource.Kind, _ body: (RawMessage) throws -> Bool) throws -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw MailParseError(.io(path: path, errno: errno, operation: "open")) }
        defer { close(fd) }
        let buf = StreamBuffer(fd: fd, path: path)
        let source = MessageSource(kind: kind, path: path)
        while !buf.eof {
            try buf.fill()
            if buf.count > limits.maxMessageBytes {
                return try body(
                    RawMessage(
                        source: source, bytes: [], defects: [],
                        error: MailParseError(
                            .limitExceeded(.messageBytes, limit: limits.maxMessageBytes),
                            byteOffset: limits.maxMessageBytes)))
            }
        }
        return try body(RawMessage(source: source, bytes: buf.bytes(0..<buf.count), defects: []))
    }

    /// Reads one file (or `-`) as exactly one message, never splitting it at `From ` lines
    /// (spec §10.9): `pmark check` is given one message, and a `.eml` that starts with an mbox
    /// postmark is still one message to a mail client. A leading postmark line is removed (a
    /// `malformed-header-line` defect records it); nothing is unescaped.
    public func readOne(path: String) throws -> RawMessage {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw MailParseError(.io(path: path, errno: errno, operation: "open")) }
        defer { if fd != 0 { close(fd) } }
        let source = MessageSource(kind: path == "-" ? .stdin : .file, path: path)
        let tooBig = RawMessage(
            source: source, bytes: [], defects: [],
            error: MailParseError(
                .limitExceeded(.messageBytes, limit: limits.maxMessageBytes), byteOffset: limits.maxMessageBytes))
        var bytes: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            // A regular file is read into one buffer of its exact size: the message is held
            // once (the memory bound of spec §10 counts every copy).
            let size = Int(st.st_size)
            if size > limits.maxMessageBytes { return tooBig }
            var failure: Int32 = 0
            bytes = [UInt8](unsafeUninitializedCapacity: size) { b, n in
                n = 0
                while n < size {
                    let got = systemRead(fd, b.baseAddress! + n, size - n)
                    if got < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if got == 0 { break }
                    n += got
                }
            }
            if failure != 0 { throw MailParseError(.io(path: path, errno: failure, operation: "read")) }
        } else {
            let buf = StreamBuffer(fd: fd, path: path)
            while !buf.eof {
                try buf.fill()
                if buf.count > limits.maxMessageBytes { return tooBig }
            }
            bytes = buf.bytes(0..<buf.count)
        }
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        var defects: [MailDefect] = []
        if bytes.count - start >= 5, bytes[start..<(start + 5)].elementsEqual("From ".utf8) {
            var k = start
            while k < bytes.count, bytes[k] != 0x0A { k += 1 }
            defects.append(MailDefect(.malformedHeaderLine, at: start))
            start = min(k + 1, bytes.count)
        }
        if start > 0 { bytes.removeFirst(start) }
        return RawMessage(source: source, bytes: bytes, defects: defects)
    }

    func readStream(fd: Int32, path: String, kind: MessageSource.Kind, _ body: (RawMessage) throws -> Bool) throws
        -> Bool
    {
        try forEachMessage(in: FileDescriptorStream(fd: fd, path: path), path: path, kind: kind, body)
    }

    /// How far into a stream that does not start with a postmark or a header field the
    /// readers look for a first postmark (junk before it is skipped and reported with a
    /// `mbox-junk-before-first-postmark` defect). Beyond it the stream is one message.
    public static let junkSearchBytes = 64 << 10

    /// Reads the messages of one stream: an mbox when it starts with a `From ` postmark (after
    /// an optional UTF-8 BOM, blank lines or non-header junk within `junkSearchBytes`, which
    /// are skipped with a defect on the first message), otherwise one message. `kind` names
    /// the source of a single message (`.file`, `.maildir`, `.stdin`).
    public func forEachMessage(
        in stream: ByteStream, path: String, kind: MessageSource.Kind, _ body: (RawMessage) throws -> Bool
    ) throws -> Bool {
        let buf = StreamBuffer(stream: stream, path: path)
        while buf.count < 5 + 3 && !buf.eof { try buf.fill() }
        var start = 0
        if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { start = 3 }
        // An empty stream holds no message (not one empty message).
        if buf.eof && buf.count == start { return true }
        var isMbox = buf.count - start >= 5 && buf.hasPrefix("From ", at: start)
        var leading: [MailDefect] = []
        if !isMbox && !Self.looksLikeHeaderLine(buf, at: start) {
            while buf.count < Self.junkSearchBytes && !buf.eof { try buf.fill() }
            if let p = Self.firstPostmark(buf, from: start, within: Self.junkSearchBytes) {
                leading.append(MailDefect(.mboxJunkBeforeFirstPostmark, at: buf.base + p))
                start = p
                isMbox = true
            }
        }
        if !isMbox {
            // One message: read it whole (bounded).
            while !buf.eof {
                try buf.fill()
                if buf.count > limits.maxMessageBytes {
                    return try body(
                        RawMessage(
                            source: MessageSource(kind: kind, path: path), bytes: [], defects: [],
                            error: MailParseError(
                                .limitExceeded(.messageBytes, limit: limits.maxMessageBytes),
                                byteOffset: limits.maxMessageBytes)))
                }
            }
            return try body(
                RawMessage(
                    source: MessageSource(kind: kind, path: path), bytes: buf.bytes(start..<buf.count), defects: []))
        }
        var splitter = MboxSplitter(limits: limits)
        splitter.leadingDefects = leading
        return try splitter.run(buf, start: start, path: path, body)
    }

    /// Whether the line at `i` starts like a header field (`Name:` with printable name bytes).
    static func looksLikeHeaderLine(_ buf: StreamBuffer, at i: Int) -> Bool {
        var k = i
        while k < buf.count, k - i < 998 {
            let c = buf[k]
            if c == 0x3A { return k > i }
            if c <= 0x20 || c >= 0x7F { return false }
            k += 1
        }
        return false
    }

    /// The first line beginning `From ` at or after `from` (at a line start) within `within`
    /// bytes, whose next line looks like a header field: a postmark after leading junk.
    static func firstPostmark(_ buf: StreamBuffer, from: Int, within: Int) -> Int? {
        var ls = from
        let end = min(buf.count, from + within)
        while ls < end {
            if buf.hasPrefix("From ", at: ls) {
                var k = ls
                while k < buf.count, buf[k] != 0x0A { k += 1 }
                if k + 1 < buf.count, looksLikeHeaderLine(buf, at: k + 1) { return ls }
            }
            guard let nl = buf.withBytes({ p in ByteSearch.find(0x0A, in: p.baseAddress!, from: ls, to: end) }) else {
                return nil
            }
            ls = nl + 1
        }
        return nil
    }
}

/// A growable read buffer over a file descriptor. Consumed bytes are dropped lazily: the
/// live bytes are moved to the front only when there is no room for the next chunk, so the
/// cost of dropping is amortised and the memory held is bounded by the largest message plus
/// two chunks.
/// A source of bytes for the archive readers: a file descriptor, or a decompressor
/// (gzip, in `ArchiveScan`) over one. `read` returns 0 at the end of the stream.
public protocol ByteStream: AnyObject {
    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int
}

/// A file descriptor as a `ByteStream` (not closed by this object).
public final class FileDescriptorStream: ByteStream {
    public let fd: Int32
    public let path: String
    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }
    public func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        var got = 0
        repeat { got = systemRead(fd, buffer, count) } while got < 0 && errno == EINTR
        if got < 0 { throw MailParseError(.io(path: path, errno: errno, operation: "read")) }
        return got
    }
}

final class StreamBuffer {
    let stream: ByteStream
    let path: String
    private var mem: UnsafeMutablePointer<UInt8>
    private var cap: Int
    private var lo = 0, hi = 0
    /// Absolute stream offset of relative index 0.
    private(set) var base = 0
    private(set) var eof = false
    static let chunk = 1 << 20

    convenience init(fd: Int32, path: String) {
        self.init(stream: FileDescriptorStream(fd: fd, path: path), path: path)
    }

    init(stream: ByteStream, path: String) {
        self.stream = stream
        self.path = path
        cap = 2 * Self.chunk
        mem = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
    }
    deinit { mem.deallocate() }

    /// Bytes held (relative indices 0..<count).
    var count: Int { hi - lo }
    subscript(i: Int) -> UInt8 { mem[lo + i] }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: mem + lo, count: hi - lo))
    }

    func hasPrefix(_ s: String, at i: Int) -> Bool {
        let u = Array(s.utf8)
        guard i >= 0, i + u.count <= count else { return false }
        for k in 0..<u.count where mem[lo + i + k] != u[k] { return false }
        return true
    }

    func bytes(_ r: Range<Int>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: mem + lo + r.lowerBound, count: r.count))
    }

    /// Reads up to one more chunk. Sets `eof` when the stream ends.
    func fill() throws {
        guard !eof else { return }
        if cap - hi < Self.chunk {
            if lo > 0 {
                memmove(mem, mem + lo, hi - lo)
                hi -= lo
                lo = 0
            }
            if cap - hi < Self.chunk {
                let newCap = max(cap * 2, hi + Self.chunk)
                let n = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
                n.update(from: mem, count: hi)
                mem.deallocate()
                mem = n
                cap = newCap
            }
        }
        let got = try stream.read(into: mem + hi, count: Self.chunk)
        hi += got
        if got == 0 { eof = true }
    }

    /// Drops bytes before relative index `i`.
    func discard(upTo i: Int) {
        guard i > 0 else { return }
        lo += i
        base += i
    }
}

/// Splits an mbox stream into messages (RFC 4155 "default" format).
///
/// - A message starts after a line beginning `From ` (the mboxo/mboxrd rule: writers escape
///   body lines that begin `From `); when the line before a postmark is empty, that empty
///   line belongs to the mbox, not the message.
/// - A `Content-Length` header is honoured when it points exactly at the next postmark (or
///   the end of the file), so unescaped `From ` lines in such bodies do not split a message;
///   one that does not fit is ignored and reported as a defect (real files often lie).
/// - mboxrd unescaping: a line `>From ` (any number of `>`) loses one `>`. This is also right
///   for mboxo, which only ever escaped `From `.
struct MboxSplitter {
    let limits: ParserLimits
    /// Reader-level defects for the first message (junk before the first postmark).
    var leadingDefects: [MailDefect] = []

    /// Walks lines from relative `from` (a line start) with memchr, the same way the raw
    /// baseline does, and returns the relative offset of the next line beginning `From `.
    /// `resume` is set to the start of the last incomplete line when none is found; `escaped`
    /// is set when a `>From ` line was passed (so unescaping runs only when needed).
    func findSeparator(_ buf: StreamBuffer, from: Int, resume: inout Int, escaped: inout Bool) -> Int? {
        buf.withBytes { p in
            let base = p.baseAddress!
            let n = p.count
            var ls = from
            while ls < n {
                let c = base[ls]
                if c == 0x46 {  // F
                    if ls + 5 <= n {
                        if base[ls + 1] == 0x72, base[ls + 2] == 0x6F, base[ls + 3] == 0x6D, base[ls + 4] == 0x20 {
                            return ls
                        }
                    } else if !buf.eof {
                        resume = ls
                        return nil
                    }
                } else if c == 0x3E {  // >
                    escaped = true
                }
                guard let nl = ByteSearch.find(0x0A, in: base, from: ls, to: n) else {
                    resume = ls
                    return nil
                }
                ls = nl + 1
            }
            resume = ls
            return nil
        }
    }

    mutating func run(_ buf: StreamBuffer, start: Int, path: String, _ body: (RawMessage) throws -> Bool) throws -> Bool
    {
        var postmark = start  // relative offset of the current message's "From " line
        var index = 0
        while true {
            // The postmark line.
            var lineEnd: Int
            while true {
                if let e = buf.withBytes({ p in ByteSearch.find(0x0A, in: p.baseAddress!, from: postmark, to: p.count) }
                ) {
                    lineEnd = e
                    break
                }
                if buf.eof {
                    lineEnd = buf.count
                    break
                }
                try buf.fill()
            }
            index += 1
            let msgStart = min(lineEnd + 1, buf.count)
            let source = MessageSource(kind: .mbox, path: path, offset: buf.base + postmark, index: index)
            var defects: [MailDefect] = index == 1 ? leadingDefects : []
            // Search for the next separator, reading more as needed, bounded by the limit.
            var searchFrom = msgStart
            var escaped = false
            var next: Int? = nil
            var oversize = false
            var contentLengthEnd: Int? = nil
            var clDecided = false  // Content-Length looked at (used, rejected or absent)
            while true {
                if !clDecided {
                    if let cl = contentLength(buf, from: msgStart) {
                        let candidate = cl.bodyStart + cl.length
                        if candidate + 8 > buf.count && !buf.eof && candidate - msgStart <= limits.maxMessageBytes {
                            try buf.fill()  // need the bytes at the candidate end before deciding
                            continue
                        }
                        clDecided = true
                        if fitsPostmark(buf, at: candidate) {
                            contentLengthEnd = candidate
                        } else {
                            defects.append(MailDefect(.contentLengthMismatch, at: cl.headerOffset - msgStart))
                        }
                    } else if headerSectionComplete(buf, from: msgStart) || buf.eof {
                        clDecided = true
                    }
                }
                if let cle = contentLengthEnd {
                    next = nextPostmark(buf, after: cle)
                    break
                }
                var resume = searchFrom
                if let s = findSeparator(buf, from: searchFrom, resume: &resume, escaped: &escaped) {
                    next = s
                    break
                }
                if buf.eof { break }
                searchFrom = resume
                if buf.count - msgStart > limits.maxMessageBytes {
                    oversize = true
                    break
                }
                try buf.fill()
            }
            if oversize {
                let err = MailParseError(
                    .limitExceeded(.messageBytes, limit: limits.maxMessageBytes), byteOffset: limits.maxMessageBytes)
                // Skip to the next separator without keeping the message.
                var s = searchFrom
                var ignored = false
                while true {
                    var resume = s
                    if let n = findSeparator(buf, from: s, resume: &resume, escaped: &ignored) {
                        next = n
                        break
                    }
                    if buf.eof {
                        next = nil
                        break
                    }
                    buf.discard(upTo: resume)
                    s = 0
                    try buf.fill()
                }
                if try !body(RawMessage(source: source, bytes: [], defects: [], error: err)) { return false }
            } else {
                // The message keeps its last line break; the empty line before the next
                // postmark (or the end of the file), when there is one, belongs to the mbox.
                var end = next ?? buf.count
                if end - 2 >= msgStart, buf[end - 1] == 0x0A {
                    if buf[end - 2] == 0x0A {
                        end -= 1
                    } else if end - 3 >= msgStart, buf[end - 2] == 0x0D, buf[end - 3] == 0x0A {
                        end -= 2
                    }
                }
                if next != nil {
                    if contentLengthEnd != nil { end = contentLengthEnd! }
                } else if let cle = contentLengthEnd {
                    end = cle
                }
                let range = msgStart..<max(msgStart, end)
                let bytes =
                    escaped || contentLengthEnd != nil ? buf.withBytes { unescape($0, range) } : buf.bytes(range)
                if try !body(RawMessage(source: source, bytes: bytes, defects: defects)) { return false }
            }
            guard let n = next else { return true }
            buf.discard(upTo: n)
            postmark = 0
        }
    }

    /// Whether the buffer holds the whole header section of the message at `from` (walks
    /// header lines only, never the body).
    func headerSectionComplete(_ buf: StreamBuffer, from: Int) -> Bool {
        buf.withBytes { p in
            var ls = from
            while ls < p.count {
                if p[ls] == 0x0A || (p[ls] == 0x0D && ls + 1 < p.count && p[ls + 1] == 0x0A) { return true }
                guard let nl = ByteSearch.find(0x0A, in: p.baseAddress!, from: ls, to: p.count) else { return false }
                ls = nl + 1
            }
            return false
        }
    }

    /// Whether `at` (relative) is the end of the data or, after an optional empty line, a postmark.
    func fitsPostmark(_ buf: StreamBuffer, at: Int) -> Bool {
        if at > buf.count { return false }
        if buf.eof, (at..<buf.count).allSatisfy({ buf[$0] == 0x0A || buf[$0] == 0x0D }) { return true }
        return nextPostmark(buf, after: at) != nil
    }

    func nextPostmark(_ buf: StreamBuffer, after at: Int) -> Int? {
        var i = at
        // allow up to two line breaks (the separating empty line, CRLF or LF)
        for _ in 0..<3 {
            if buf.hasPrefix("From ", at: i) { return i }
            if i < buf.count, buf[i] == 0x0D { i += 1 }
            if i < buf.count, buf[i] == 0x0A { i += 1 } else { break }
        }
        return buf.hasPrefix("From ", at: i) ? i : nil
    }

    /// The Content-Length header of the message starting at `from`, when the header section
    /// is already in the buffer.
    func contentLength(_ buf: StreamBuffer, from: Int) -> (length: Int, bodyStart: Int, headerOffset: Int)? {
        buf.withBytes { p -> (Int, Int, Int)? in
            let base = p.baseAddress!
            var pos = from
            var found: (Int, Int)? = nil
            while pos < p.count {
                let nl = ByteSearch.find(0x0A, in: base, from: pos, to: p.count) ?? -1
                if nl < 0 { return nil }  // header section incomplete
                var le = nl
                if le > pos, base[le - 1] == 0x0D { le -= 1 }
                if le == pos { return found.map { ($0.0, nl + 1, $0.1) } }
                if le - pos > 15, UnsafeBufferPointer(start: base + pos, count: 15).asciiCaseEquals("content-length:") {
                    var v = 0, any = false
                    for k in (pos + 15)..<le {
                        let c = base[k]
                        if c >= 0x30 && c <= 0x39 {
                            v = v &* 10 &+ Int(c - 0x30)
                            any = true
                            if v > 1 << 40 { break }
                        } else if any {
                            break
                        }
                    }
                    if any { found = (v, pos) }
                }
                pos = nl + 1
            }
            return nil
        }
    }

    /// Copies the message, removing one `>` from lines matching `^>+From `.
    func unescape(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> [UInt8] {
        do {
            let base = p.baseAddress!
            var out: [UInt8] = []
            var copied = r.lowerBound
            var i = r.lowerBound
            let gt: [UInt8] = [0x0A, 0x3E]  // "\n>"
            // The first line can be escaped too.
            func escapedAt(_ k: Int) -> Bool {
                var j = k
                while j < r.upperBound, base[j] == 0x3E { j += 1 }
                return j > k && j + 5 <= r.upperBound
                    && UnsafeBufferPointer(start: base + j, count: 5).elementsEqual("From ".utf8)
            }
            if escapedAt(i) {
                out.reserveCapacity(r.count)
                copied = i + 1
            }
            while let hit = gt.withUnsafeBufferPointer({ ByteSearch.find($0, in: base, from: i, to: r.upperBound) }) {
                if escapedAt(hit + 1) {
                    if out.isEmpty { out.reserveCapacity(r.count) }
                    out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: hit + 1 - copied))
                    copied = hit + 2
                }
                i = hit + 1
            }
            if copied == r.lowerBound && out.isEmpty { return Array(p[r]) }
            out.append(contentsOf: UnsafeBufferPointer(start: base + copied, count: r.upperBound - copied))
            return out
        }
    }
}

/// `read(2)` (a global: inside types with a `read` method the name is shadowed).
@inline(__always) func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }
