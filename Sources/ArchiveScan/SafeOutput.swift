#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Never write over input: an output file is created only when it does not exist, or when it
/// exists and begins with `signature` (a file pmark made for the same purpose, e.g. a
/// previous HTML report or generated benchmark archive). Anything else — an archive, evidence,
/// a report someone else wrote — is refused.
public enum SafeOutput {
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public var path: String
        public init(path: String) { self.path = path }
        public var description: String {
            """
            \(path): refusing to overwrite an existing file that pmark did not create (remove it or choose another \
            name)
            """
        }
    }
    public struct WriteFailed: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var message: String
        public var description: String { "\(path): cannot write: \(message)" }
    }

    /// Whether `path` is absent, or a file starting with `signature`.
    public static func mayWrite(_ path: String, signature: String) -> Bool {
        var st = stat()
        if lstat(path, &st) != 0 { return errno == ENOENT }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return false }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let sig = Array(signature.utf8)
        var buf = [UInt8](repeating: 0, count: sig.count)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, sig.count) }
        return n == sig.count && buf == sig
    }

    public static func checkCreatable(_ path: String, signature: String) throws {
        guard mayWrite(path, signature: signature) else { throw Refused(path: path) }
    }

    /// Writes `text` (which must itself start with `signature`) to `path`, through a temporary
    /// file renamed into place.
    public static func write(_ text: String, to path: String, signature: String) throws {
        // programming error, not input
        precondition(text.hasPrefix(signature), "pmark output must carry its signature")
        try checkCreatable(path, signature: signature)
        let tmp = path + ".pmark-tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw WriteFailed(path: path, message: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                let m = String(cString: strerror(errno))
                close(fd)
                unlink(tmp)
                throw WriteFailed(path: path, message: m)
            }
            off += n
        }
        close(fd)
        // Re-check just before replacing: the file may have appeared meanwhile.
        guard mayWrite(path, signature: signature) else {
            unlink(tmp)
            throw Refused(path: path)
        }
        guard rename(tmp, path) == 0 else {
            let m = String(cString: strerror(errno))
            unlink(tmp)
            throw WriteFailed(path: path, message: m)
        }
    }
}
