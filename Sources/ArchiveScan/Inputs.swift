#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How one input file is read.
public enum InputContainer: String, Sendable, Hashable, Codable {
    /// An mbox or one message, sniffed by a leading postmark (junk before it tolerated).
    case stream
    /// One message in a Maildir's `cur/` or `new/`.
    case maildirMessage = "maildir-message"
    /// gzip-compressed mbox or message (decompressed with zlib, then sniffed like `stream`).
    case gzip
    /// Outlook PST/OST (libpff).
    case pst
    /// Standard input (sniffed like `stream`).
    case stdin
}

/// One file the scan will read, in scan order.
public struct ScanInput: Sendable, Hashable {
    public var path: String
    public var container: InputContainer
    /// Bytes on disk (0 for standard input); progress and ETA are computed from these.
    public var size: Int
}

/// A file the scan did not read, and why. Skipped files are not errors.
public struct SkippedFile: Sendable, Hashable, Codable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// An input that could not be read (a path, a file, or a message in it). Read errors never
/// stop a scan; they are counted, listed and set the exit status.
public struct InputError: Sendable, Hashable, Codable {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// The files under the scan's paths, in a deterministic order (arguments in order; directory
/// entries sorted by byte value), with every skipped file and unreadable path.
public struct InputPlan: Sendable {
    public var inputs: [ScanInput] = []
    public var skipped: [SkippedFile] = []
    public var errors: [InputError] = []
    public var totalBytes: Int { inputs.reduce(0) { $0 + $1.size } }
}

/// Expands scan paths into input files.
///
/// Directories: a directory with `cur/` or `new/` is a Maildir (its `tmp/` and metadata files
/// are skipped with a reason; Maildir++ `.Folder`s are Maildirs too). Every other directory is
/// walked (Thunderbird's `Folder.sbd/` included), and each file is read when it is mail:
/// `*.eml`, `*.mbox`, a file that starts with a `From ` postmark (Thunderbird's extension-less
/// mbox files), a file that starts with mail header fields, `*.gz` / gzip data, `*.pst` / `*.ost`
/// / PST data. Everything else is skipped with the reason (`.msf` summary files, empty files,
/// not mail). Symbolic links are followed, but each file and directory is visited once (by
/// device and inode), so links cannot loop or scan a file twice.
public struct InputPlanner {
    /// How many bytes of a file in a directory walk are read to decide whether it is mail.
    public static let sniffBytes = 4096

    var visited = Set<FileID>()
    var plan = InputPlan()

    struct FileID: Hashable {
        var dev: UInt64
        var ino: UInt64
    }

    public init() {}

    public static func plan(_ paths: [String]) -> InputPlan {
        var p = InputPlanner()
        for path in paths { p.add(path, explicit: true) }
        return p.plan
    }

    mutating func add(_ path: String, explicit: Bool) {
        if path == "-" {
            plan.inputs.append(ScanInput(path: "-", container: .stdin, size: 0))
            return
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            plan.errors.append(InputError(path: path, message: "cannot read: \(String(cString: strerror(errno)))"))
            return
        }
        let id = FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR {
            guard visited.insert(id).inserted else {
                plan.skipped.append(
                    SkippedFile(path: path, reason: "directory already scanned (a symbolic link back into the scan)"))
                return
            }
            walk(path)
            return
        }
        if type != S_IFREG && !(explicit && (type == S_IFIFO || type == S_IFCHR)) {
            plan.skipped.append(SkippedFile(path: path, reason: "not a regular file"))
            return
        }
        if type == S_IFREG {
            guard visited.insert(id).inserted else {
                plan.skipped.append(
                    SkippedFile(
                        path: path, reason: "already scanned (the same file through another path or a symbolic link)"))
                return
            }
        }
        let size = type == S_IFREG ? Int(st.st_size) : 0
        if type == S_IFREG && size == 0 {
            plan.skipped.append(SkippedFile(path: path, reason: "empty file"))
            return
        }
        let head = type == S_IFREG ? Self.head(path) : []
        let name = Self.baseName(path).lowercased()
        switch Self.classify(name: name, head: head, explicit: explicit) {
        case .read(let c): plan.inputs.append(ScanInput(path: path, container: c, size: size))
        case .skip(let reason): plan.skipped.append(SkippedFile(path: path, reason: reason))
        case .unreadable(let message): plan.errors.append(InputError(path: path, message: message))
        }
    }

    enum Decision: Equatable { case read(InputContainer), skip(String), unreadable(String) }

    /// What to do with a file, from its lower-cased name and its first bytes.
    static func classify(name: String, head: [UInt8], explicit: Bool) -> Decision {
        if head.starts(with: [0x21, 0x42, 0x44, 0x4E]) { return .read(.pst) }  // "!BDN"
        if head.starts(with: [0x1F, 0x8B]) { return .read(.gzip) }
        if name.hasSuffix(".pst") || name.hasSuffix(".ost") {
            return explicit
                ? .unreadable("not a PST/OST file (no !BDN signature)")
                : .skip("named .pst/.ost but has no PST signature")
        }
        if name.hasSuffix(".gz") {
            return explicit ? .unreadable("not gzip data (no gzip signature)") : .skip("named .gz but is not gzip data")
        }
        if explicit { return .read(.stream) }
        if name.hasSuffix(".msf") { return .skip("Thunderbird summary file (.msf), not mail") }
        if name.hasSuffix(".eml") || name.hasSuffix(".mbox") || name.hasSuffix(".mbx") { return .read(.stream) }
        if startsWithPostmark(head) || startsWithMailHeaders(head) { return .read(.stream) }
        return .skip("not mail (no postmark, no message header fields)")
    }

    /// `From ` at the start, after an optional BOM and blank lines.
    static func startsWithPostmark(_ b: [UInt8]) -> Bool {
        var i = 0
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < b.count, b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        return b.count - i >= 5 && Array(b[i..<i + 5]) == Array("From ".utf8)
    }

    /// The file starts with header fields, one of them a field every message has
    /// (`From`, `Date`, `Received`, `Return-Path`, `Message-ID`, `Delivered-To`, `MIME-Version`).
    static func startsWithMailHeaders(_ b: [UInt8]) -> Bool {
        let known: Set<String> = [
            "from", "date", "received", "return-path", "message-id", "delivered-to", "mime-version", "x-mozilla-status",
        ]
        var i = 0, sawKnown = false, lines = 0
        while i < b.count, lines < 40 {
            let lineEnd = b[i...].firstIndex(of: 0x0A) ?? b.count
            var line = b[i..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { return sawKnown && lines > 0 }
            if line.first == 0x20 || line.first == 0x09 {
                if lines == 0 { return false }
            } else {
                guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
                    line[line.startIndex..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
                else { return false }
                if known.contains(String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()) {
                    sawKnown = true
                }
            }
            lines += 1
            i = lineEnd + 1
        }
        return sawKnown
    }

    static func head(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: sniffBytes)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, sniffBytes) }
        return n > 0 ? Array(buf[0..<n]) : []
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    static func list(_ path: String) -> [String]? {
        guard let d = opendir(path) else { return nil }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            out.append(name)
        }
        // Byte order, independent of locale: the same tree always scans in the same order.
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    mutating func walk(_ path: String) {
        guard let names = Self.list(path) else {
            plan.errors.append(
                InputError(path: path, message: "cannot list directory: \(String(cString: strerror(errno)))"))
            return
        }
        let dir = path.hasSuffix("/") ? path : path + "/"
        let isMaildir = names.contains { ($0 == "cur" || $0 == "new") && Self.isDirectory(dir + $0) }
        if isMaildir {
            for sub in ["new", "cur"] where names.contains(sub) {
                guard let files = Self.list(dir + sub) else {
                    plan.errors.append(
                        InputError(
                            path: dir + sub, message: "cannot list directory: \(String(cString: strerror(errno)))"))
                    continue
                }
                for f in files {
                    let full = dir + sub + "/" + f
                    if f.hasPrefix(".") {
                        plan.skipped.append(SkippedFile(path: full, reason: "hidden file in a Maildir"))
                        continue
                    }
                    addMaildirMessage(full)
                }
            }
            for n in names where n != "cur" && n != "new" {
                let full = dir + n
                if n == "tmp" {
                    for f in Self.list(full) ?? [] {
                        plan.skipped.append(
                            SkippedFile(path: full + "/" + f, reason: "Maildir tmp/ (a delivery in progress)"))
                    }
                } else if n.hasPrefix(".") && Self.isDirectory(full) {
                    add(full, explicit: false)  // Maildir++ folder
                } else if Self.isDirectory(full) {
                    add(full, explicit: false)
                } else {
                    plan.skipped.append(SkippedFile(path: full, reason: "Maildir metadata, not a message"))
                }
            }
            return
        }
        for n in names { add(dir + n, explicit: false) }
    }

    mutating func addMaildirMessage(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            plan.errors.append(InputError(path: path, message: "cannot read: \(String(cString: strerror(errno)))"))
            return
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            plan.skipped.append(SkippedFile(path: path, reason: "not a regular file"))
            return
        }
        guard visited.insert(FileID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))).inserted else {
            plan.skipped.append(
                SkippedFile(
                    path: path, reason: "already scanned (the same file through another path or a symbolic link)"))
            return
        }
        if st.st_size == 0 {
            plan.skipped.append(SkippedFile(path: path, reason: "empty file"))
            return
        }
        let head = Self.head(path)
        if head.starts(with: [0x1F, 0x8B]) {
            plan.inputs.append(ScanInput(path: path, container: .gzip, size: Int(st.st_size)))
            return
        }
        plan.inputs.append(ScanInput(path: path, container: .maildirMessage, size: Int(st.st_size)))
    }
}
