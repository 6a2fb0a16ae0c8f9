import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the store hands messages back to the MTA (Postfix commands; every path configurable so
/// a test can point them at a private instance or a fake).
public struct MTA: Sendable, Hashable {
    /// `sendmail` for re-submission and notices (Postfix's, or any compatible one).
    public var sendmail: String
    public var postsuper: String
    public var postqueue: String
    /// A private Postfix configuration directory (`postqueue -c`, `postsuper -c`, `sendmail -C`).
    public var configDirectory: String?

    public init(
        sendmail: String = "/usr/sbin/sendmail", postsuper: String = "/usr/sbin/postsuper",
        postqueue: String = "/usr/sbin/postqueue", configDirectory: String? = nil
    ) {
        self.sendmail = sendmail
        self.postsuper = postsuper
        self.postqueue = postqueue
        self.configDirectory = configDirectory
    }

    var postfixConfigArgs: [String] { configDirectory.map { ["-c", $0] } ?? [] }

    /// Whether Postfix's hold queue has `queueID` (`postqueue -j`). A missing or failing
    /// postqueue counts as "not held" (release then re-submits the stored bytes).
    public func isHeld(queueID: String) -> Bool {
        guard access(postqueue, X_OK) == 0, let r = try? Subprocess.run(postqueue, postfixConfigArgs + ["-j"]),
            r.status == 0
        else { return false }
        for line in r.stdout.split(separator: 0x0A) {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            if obj["queue_id"] as? String == queueID, obj["queue_name"] as? String == "hold" { return true }
        }
        return false
    }

    /// `postsuper -H QUEUEID` (the held message moves to the deferred queue), then
    /// `postqueue -i QUEUEID` so it is delivered now rather than at the next queue run (a
    /// failure of the second step only delays delivery).
    public func releaseHeld(queueID: String) throws {
        let r = try Subprocess.run(postsuper, postfixConfigArgs + ["-H", queueID])
        guard r.status == 0 else {
            throw AuditError.handOff("postsuper -H \(queueID) exited \(r.status): \(r.stderrText)")
        }
        _ = try? Subprocess.run(postqueue, postfixConfigArgs + ["-i", queueID])
    }

    /// `postsuper -d QUEUEID hold`.
    public func deleteHeld(queueID: String) throws {
        let r = try Subprocess.run(postsuper, postfixConfigArgs + ["-d", queueID, "hold"])
        guard r.status == 0 else {
            throw AuditError.handOff("postsuper -d \(queueID) exited \(r.status): \(r.stderrText)")
        }
    }

    /// `sendmail -G -i -f SENDER -- RCPT…` with the message on standard input (`-G`: a gateway
    /// submission, not an initial one, so Postfix does not rewrite the headers).
    public func submit(_ bytes: [UInt8], sender: String, recipients: [String]) throws {
        guard !recipients.isEmpty else { throw AuditError.handOff("no recipients to submit to") }
        for a in recipients + [sender] where !MTA.isSafeAddress(a) {
            throw AuditError.handOff("refusing an address with control characters or a leading '-'")
        }
        var args = configDirectory.map { ["-C", $0] } ?? []
        args += ["-G", "-i", "-f", sender.isEmpty ? "<>" : sender, "--"] + recipients
        let r = try Subprocess.run(sendmail, args, stdin: bytes)
        guard r.status == 0 else { throw AuditError.handOff("\(sendmail) exited \(r.status): \(r.stderrText)") }
    }

    /// An envelope address that is safe on a command line and in a header: no control
    /// characters or spaces, no leading '-' (never an option), at most 320 bytes.
    static func isSafeAddress(_ a: String) -> Bool {
        if a.isEmpty { return true }
        guard a.utf8.count <= 320, a.utf8.first != UInt8(ascii: "-") else { return false }
        return !a.utf8.contains { $0 < 0x21 || $0 == 0x7F }
    }
}

/// Runs a program with files for its standard streams (no pipe deadlocks, no SIGPIPE).
enum Subprocess {
    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var stderrText: String {
            String(decoding: stderr.prefix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    static func run(_ path: String, _ args: [String], stdin: [UInt8] = []) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.path
        let base = "\(dir)/pmark-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let inPath = base + ".in", outPath = base + ".out", errPath = base + ".err"
        defer { for p in [inPath, outPath, errPath] { unlink(p) } }
        guard
            FileManager.default.createFile(
                atPath: inPath, contents: Data(stdin), attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(atPath: outPath, contents: nil, attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(atPath: errPath, contents: nil, attributes: [.posixPermissions: 0o600]),
            let i = FileHandle(forReadingAtPath: inPath), let o = FileHandle(forWritingAtPath: outPath),
            let e = FileHandle(forWritingAtPath: errPath)
        else { throw AuditError.handOff("cannot create temporary files in \(dir)") }
        defer {
            try? i.close()
            try? o.close()
            try? e.close()
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardInput = i
        p.standardOutput = o
        p.standardError = e
        do { try p.run() } catch { throw AuditError.handOff("cannot run \(path): \(error.localizedDescription)") }
        p.waitUntilExit()
        let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return Result(status: p.terminationStatus, stdout: Array(out), stderr: Array(err))
    }
}

/// Who is acting: `--by` when given, else the OS user (with the sudo user when under sudo).
public func currentActor() -> String {
    var name = "uid \(geteuid())"
    if let pw = getpwuid(geteuid()), let n = pw.pointee.pw_name { name = String(cString: n) }
    if let s = ProcessInfo.processInfo.environment["SUDO_USER"], !s.isEmpty, s != name { name += " (sudo by \(s))" }
    return name
}
