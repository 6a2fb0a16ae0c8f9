import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private Postfix (Debian's package) on loopback ports with pmark as `smtpd_milters`: its own
/// configuration, queue and data directories under one run directory, local delivery to
/// Maildirs through virtual mailboxes (`agency.govt.nz`), everything else relayed to Postfix's
/// `smtp-sink` on a loopback port, which dumps each message to a file. Two SMTP listeners: an MX
/// (`{daemon_name}` MX → inbound) and a submission listener (ORIGINATING → outbound).
public final class PostfixBed: @unchecked Sendable {
    public static let postfix = "/usr/sbin/postfix", smtpSink = "/usr/sbin/smtp-sink", postqueue = "/usr/sbin/postqueue"

    /// Why the bed cannot run here, or nil.
    public static var unavailable: String? {
        for p in [postfix, smtpSink, postqueue] where !FileManager.default.isExecutableFile(atPath: p) {
            return "\(p) is not installed (scripts/setup installs Debian's postfix)"
        }
        if getuid() != 0 { return "a private Postfix master must start as root" }
        if getpwnam("postfix") == nil || getpwnam("nobody") == nil {
            return "the postfix and nobody users do not exist"
        }
        return nil
    }

    public let dir: String
    public let mxPort: Int, submissionPort: Int, sinkPort: Int
    public let socket: String
    public let pmarkBinary: String
    public let policy: String
    /// Whether Postfix has a milter (pmark unless another socket was given) as `smtpd_milters`
    /// (false: the same Postfix without one).
    public let withMilter: Bool
    /// Whether `start()` starts pmark on `socket`.
    public let startsPmark: Bool
    /// Extra pmark arguments (e.g. `--log-level error`).
    public var pmarkArguments: [String] = []
    /// Whether smtp-sink dumps each message to a file (needed to read messages; costs I/O).
    public var sinkDumps = true
    var pmark: Process?
    var sink: Process?
    var master: Process?

    /// - Parameter milterSocket: with `withMilter`, a milter already listening on this unix
    ///   socket is used instead of starting pmark (the benchmark's null-milter control).
    public init(pmarkBinary: String, policy: String, withMilter: Bool = true, milterSocket: String? = nil) throws {
        self.pmarkBinary = pmarkBinary
        self.policy = policy
        self.withMilter = withMilter
        self.startsPmark = withMilter && milterSocket == nil
        dir = "/tmp/pmark-postfix-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        socket = milterSocket ?? dir + "/pmark.sock"
        let ports = Self.freePorts(3)
        mxPort = ports[0]
        submissionPort = ports[1]
        sinkPort = ports[2]
        let fm = FileManager.default
        for d in ["", "/config", "/queue", "/data", "/mail", "/sink"] {
            try fm.createDirectory(
                atPath: dir + d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let pf = getpwnam("postfix")!.pointee, nobody = getpwnam("nobody")!.pointee
        chown(dir + "/data", pf.pw_uid, pf.pw_gid)
        chown(dir + "/mail", nobody.pw_uid, nobody.pw_gid)
        chown(dir + "/sink", nobody.pw_uid, nobody.pw_gid)
        try mainCF(uid: nobody.pw_uid, gid: nobody.pw_gid).write(
            toFile: dir + "/config/main.cf", atomically: true, encoding: .utf8)
        try masterCF.write(toFile: dir + "/config/master.cf", atomically: true, encoding: .utf8)
        try "bob@agency.govt.nz bob/\nkiri@agency.govt.nz kiri/\n".write(
            toFile: dir + "/config/vmailbox", atomically: true, encoding: .utf8)
    }

    func mainCF(uid: uid_t, gid: gid_t) -> String {
        """
        compatibility_level = 3.6
        queue_directory = \(dir)/queue
        data_directory = \(dir)/data
        command_directory = /usr/sbin
        daemon_directory = /usr/lib/postfix/sbin
        shlib_directory = /usr/lib/postfix
        meta_directory = /etc/postfix
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = mx.agency.govt.nz
        mydomain = agency.govt.nz
        myorigin = agency.govt.nz
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
        relayhost = [127.0.0.1]:\(sinkPort)
        smtp_dns_support_level = disabled
        smtpd_peername_lookup = no
        virtual_mailbox_domains = agency.govt.nz
        virtual_mailbox_base = \(dir)/mail
        virtual_mailbox_maps = texthash:\(dir)/config/vmailbox
        virtual_uid_maps = static:\(uid)
        virtual_gid_maps = static:\(gid)
        \(withMilter ? "smtpd_milters = unix:\(socket)" : "")
        milter_protocol = 6
        milter_default_action = tempfail
        maillog_file = \(dir)/maillog
        maillog_file_prefixes = \(dir)
        local_header_rewrite_clients =
        alias_maps =
        alias_database =
        biff = no
        smtp_connect_timeout = 5s
        delay_warning_time = 0

        """
    }

    var masterCF: String {
        """
        127.0.0.1:\(mxPort) inet n - n - - smtpd -o syslog_name=postfix-mx -o milter_macro_daemon_name=MX
        127.0.0.1:\(submissionPort) inet n - n - - smtpd -o syslog_name=postfix-submission -o \
        milter_macro_daemon_name=ORIGINATING
        pickup unix n - n 60 1 pickup
        cleanup unix n - n - 0 cleanup
        qmgr unix n - n 300 1 qmgr
        rewrite unix - - n - - trivial-rewrite
        bounce unix - - n - 0 bounce
        defer unix - - n - 0 bounce
        trace unix - - n - 0 bounce
        verify unix - - n - 1 verify
        flush unix n - n 1000? 0 flush
        proxymap unix - - n - - proxymap
        smtp unix - - n - - smtp
        relay unix - - n - - smtp
        showq unix n - n - - showq
        error unix - - n - - error
        retry unix - - n - - error
        discard unix - - n - - discard
        local unix - n n - - local
        virtual unix - n n - - virtual
        anvil unix - - n - 1 anvil
        scache unix - - n - 1 scache
        postlog unix-dgram n - n - 1 postlogd

        """
    }

    static func freePorts(_ n: Int) -> [Int] {
        var out: [Int] = []
        while out.count < n {
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = 0
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            _ = withUnsafeMutablePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            let p = Int(UInt16(bigEndian: a.sin_port))
            close(fd)
            if p > 0, !out.contains(p) { out.append(p) }
        }
        return out
    }

    @discardableResult
    public static func run(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    public func startPmark() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: pmarkBinary)
        p.arguments =
            [
                "milter", "--listen", "unix:" + socket, "--policy", policy,
                "--daemon-direction", "MX=inbound", "--daemon-direction", "ORIGINATING=outbound",
                "--decision-log", dir + "/decisions.jsonl", "--spool-dir", dir, "--log-level", "warning",
            ] + pmarkArguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        pmark = p
        // Ready when the health check answers.
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: socket),
                (try? Self.run(pmarkBinary, ["milter", "health", "--connect", "unix:" + socket]).status) == 0
            {
                return
            }
            usleep(100_000)
        }
        throw BedError("pmark milter did not become healthy on \(socket)")
    }

    /// CPU seconds (user + system) pmark has used so far, from /proc; nil without a running pmark.
    public func pmarkCPUSeconds() -> Double? {
        guard let p = pmark,
            let stat = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3, utime 14 and stime 15 (proc(5)).
        let f = stat[stat.index(after: close)...].split(separator: " ")
        guard f.count > 12, let u = Double(f[11]), let s = Double(f[12]) else { return nil }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds (user + system) Postfix (its master and every process under it, the reaped
    /// ones through the master's children's times) and `smtp-sink` have used so far; 0 when the
    /// master's pid is unknown.
    public func postfixCPUSeconds() -> Double {
        var total = sink.map { Self.treeCPUSeconds($0.processIdentifier) } ?? 0
        if let pid = try? String(contentsOfFile: dir + "/queue/pid/master.pid", encoding: .utf8),
            let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            total += Self.treeCPUSeconds(n)
        }
        return total
    }

    /// User + system CPU seconds of `root` and every live descendant, each with its reaped
    /// children's times (`/proc/PID/stat` fields 14–17, proc(5)).
    static func treeCPUSeconds(_ root: Int32) -> Double {
        var parent: [Int32: Int32] = [:], ticks: [Int32: Double] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let f = stat[stat.index(after: close)...].split(separator: " ")
            guard f.count > 14, let pp = Int32(f[1]) else { continue }
            parent[pid] = pp
            ticks[pid] = f[11...14].compactMap { Double($0) }.reduce(0, +)
        }
        func under(_ p: Int32) -> Bool {
            var p = p
            for _ in 0..<64 {
                if p == root { return true }
                guard let q = parent[p], q > 1 else { return false }
                p = q
            }
            return false
        }
        let sum = ticks.filter { under($0.key) }.values.reduce(0, +)
        return sum / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Kills pmark with SIGKILL (no drain) and waits for it to be gone.
    public func killPmark() {
        guard let p = pmark else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        pmark = nil
    }

    public func start() throws {
        let s = Process()
        s.executableURL = URL(fileURLWithPath: Self.smtpSink)
        s.arguments =
            ["-u", "nobody"] + (sinkDumps ? ["-d", dir + "/sink/%H%M%S."] : []) + ["127.0.0.1:\(sinkPort)", "256"]
        s.standardOutput = FileHandle.nullDevice
        s.standardError = FileHandle.nullDevice
        try s.run()
        sink = s
        if startsPmark { try startPmark() }
        let m = Process()
        m.executableURL = URL(fileURLWithPath: Self.postfix)
        m.arguments = ["-c", dir + "/config", "start-fg"]
        m.standardOutput = FileHandle.nullDevice
        m.standardError = FileHandle.nullDevice
        try m.run()
        master = m
        for _ in 0..<150 {
            if (try? SMTPConnection(port: mxPort)) != nil { return }
            usleep(100_000)
        }
        throw BedError(
            """
            Postfix did not start; see \(dir)/maillog: \
            \((try? String(contentsOfFile: dir + "/maillog", encoding: .utf8)) ?? "")
            """
        )
    }

    public func stop() {
        if let pid = try? String(contentsOfFile: dir + "/queue/pid/master.pid", encoding: .utf8),
            let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(n, SIGTERM)
            for _ in 0..<50 where kill(n, 0) == 0 { usleep(100_000) }
        }
        if let m = master, m.isRunning { m.terminate() }
        master?.waitUntilExit()
        if let s = sink {
            kill(s.processIdentifier, SIGKILL)
            s.waitUntilExit()
        }
        if let p = pmark {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        if ProcessInfo.processInfo.environment["PMARK_KEEP_POSTFIX_BED"] == nil {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Messages delivered to `user`'s Maildir (new/).
    public func maildir(_ user: String) -> [String] {
        let d = dir + "/mail/\(user)/new"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []
        return names.compactMap { try? String(contentsOfFile: d + "/" + $0, encoding: .utf8) }
    }

    /// Messages the internet sink received.
    public func sunk() -> [String] {
        let d = dir + "/sink"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []
        return names.compactMap {
            try? String(decoding: FileManager.default.contents(atPath: d + "/" + $0) ?? Data(), as: UTF8.self)
        }
    }

    /// Number of files smtp-sink dumped (messages relayed to the "internet").
    public func sunkCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/sink")) ?? []).count
    }
    /// Messages delivered to `user`'s Maildir.
    public func maildirCount(_ user: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/mail/\(user)/new")) ?? []).count
    }
    /// Lines of the Postfix log containing `s`.
    public func logCount(_ s: String) -> Int {
        ((try? String(contentsOfFile: dir + "/maillog", encoding: .utf8)) ?? "").split(separator: "\n").filter {
            $0.contains(s)
        }.count
    }

    /// `postqueue -j`: one JSON object per queued message.
    public func queue() throws -> [[String: Any]] {
        let out = try Self.run(Self.postqueue, ["-c", dir + "/config", "-j"]).output
        return out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits until `check` holds (up to `seconds`).
    public func eventually(_ seconds: Double = 15, _ check: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try check() { return true }
            usleep(100_000)
        }
        return try check()
    }
}

public struct BedError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// A blocking SMTP client on loopback (the "sending MTA" of the tests).
public final class SMTPConnection {
    let fd: Int32
    var buffer: [UInt8] = []

    public init(port: Int) throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            close(fd)
            throw BedError("connect 127.0.0.1:\(port): errno \(errno)")
        }
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let greeting = try reply()
        guard greeting.code == 220 else {
            close(fd)
            throw BedError("greeting \(greeting)")
        }
    }
    deinit { close(fd) }

    public struct Reply: CustomStringConvertible {
        public var code: Int
        public var text: String
        public var description: String { "\(code) \(text)" }
    }

    public func reply() throws -> Reply {
        var lines: [String] = []
        while true {
            while let nl = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<nl])
                buffer.removeFirst(nl + 1)
                if line.last == 13 { line.removeLast() }
                let s = String(decoding: line, as: UTF8.self)
                lines.append(s)
                if s.count >= 4, s[s.index(s.startIndex, offsetBy: 3)] == " " || s.count == 3 {
                    return Reply(
                        code: Int(s.prefix(3)) ?? 0, text: lines.map { String($0.dropFirst(4)) }.joined(separator: "\n")
                    )
                }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { throw BedError("connection closed while reading a reply") }
            buffer += chunk[..<n]
        }
    }

    public func send(_ s: String) throws {
        let b = Array(s.utf8)
        var off = 0
        while off < b.count {
            let n = b.withUnsafeBytes { write(fd, $0.baseAddress! + off, b.count - off) }
            if n <= 0 { throw BedError("write failed") }
            off += n
        }
    }

    @discardableResult
    public func command(_ line: String) throws -> Reply {
        try send(line + "\r\n")
        return try reply()
    }

    /// EHLO, MAIL, RCPT…, DATA, the message, `.`: the reply to the final dot (or the first
    /// refusal before it).
    public static func send(port: Int, from: String, to: [String], message: String) throws -> Reply {
        let c = try SMTPConnection(port: port)
        _ = try c.command("EHLO client.example.com")
        var r = try c.command("MAIL FROM:<\(from)>")
        guard r.code == 250 else { return r }
        for t in to {
            r = try c.command("RCPT TO:<\(t)>")
            guard r.code == 250 else { return r }
        }
        r = try c.command("DATA")
        guard r.code == 354 else { return r }
        try c.send(message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))
        r = try c.command(".")
        _ = try? c.command("QUIT")
        return r
    }
}
