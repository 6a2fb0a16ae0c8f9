import AuditStore
import Foundation
import Milter
import MilterCodec
import NIOConcurrencyHelpers
import NIOPosix
import PostfixTestBed
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Root {
    static let path: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var pmark: String? {
        [".build/debug/pmark", ".build/release/pmark"].map { path + "/" + $0 }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
    static var requirePostfix: Bool { ProcessInfo.processInfo.environment["PMARK_REQUIRE_POSTFIX"] == "1" }
    static var postfixSkip: String? { PostfixBed.unavailable ?? (pmark == nil ? "the pmark binary is not built" : nil) }
}

final class TempDir {
    let path: String
    init() {
        var t = Array("/tmp/pmark-gw-audit-XXXXXX".utf8CString)
        path = t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        chmod(path, 0o755)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A `pmark milter` process of its own, on a unix socket, recording into an audit store.
final class MilterProcess: @unchecked Sendable {
    let socket: String
    let process = Process()
    init(binary: String, socket: String, db: String, spool: String, extra: [String] = []) throws {
        self.socket = socket
        unlink(socket)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            ["milter", "--listen", "unix:" + socket, "--audit", db, "--spool-dir", spool, "--log-level", "critical"]
            + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<150 {
            if FileManager.default.fileExists(atPath: socket),
                (try? PostfixBed.run(binary, ["milter", "health", "--connect", "unix:" + socket]).status) == 0
            {
                return
            }
            usleep(100_000)
        }
        throw BedError("pmark milter did not become healthy")
    }
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}

/// Messages of several kinds (allowed, held, blocked, rejected) with unique queue ids.
func crashMessages(_ n: Int) -> [ClientMessage] {
    let shapes: [(String, String, [String])] = [
        ("[IN-CONFIDENCE] figures", "aroha@agency.govt.nz", ["hemi@example.com"]),
        ("lunch", "aroha@agency.govt.nz", ["hemi@example.com"]),
        ("[SENSITIVE] budget", "aroha@agency.govt.nz", ["a@example.com", "b@agency.govt.nz"]),
        ("[SECRET] plan", "bob@example.org", ["kiri@agency.govt.nz"]),
    ]
    return (0..<n).map { i in
        let s = shapes[i % shapes.count]
        let body = String(repeating: "Kia ora koutou, line \(i).\r\n", count: 20 + i % 50)
        let text =
            """
            From: <\(s.1)>\r\nTo: \(s.2.joined(separator: ", "))\r\nSubject: \(s.0)\r\n\
            Message-ID: <crash\(i)@test.example>\r\n\r\n\(body)
            """
        var m = ClientMessage(mailFrom: s.1, recipients: s.2, bytes: Array(text.utf8))
        m.queueID = String(format: "Q%05d", i)
        return m
    }
}

/// A final answer the MTA acts on (accept, reject, hold, tag, remove recipients); tempfail is
/// not one (nothing was accepted).
func isDecided(_ rs: [MilterResponse]) -> Bool {
    switch rs.last {
    case .tempfail?: return false
    case .replyCode(let t)? where t.hasPrefix("4"): return false
    case nil: return false
    default: return true
    }
}

@Suite(
    "Gateway audit: the milter awaits the store", .serialized,
    .enabled(if: Root.pmark != nil, "the pmark binary is not built"))
struct GatewayCrashTests {
    @Test(
        """
        SIGKILL at a random moment while 2,000 messages flow: integrity_check ok, chain intact, every decided message \
        has its committed record
        """
    )
    func crash() async throws {
        let binary = try #require(Root.pmark)
        let dir = TempDir()
        let db = dir.path + "/audit.db", sock = dir.path + "/m.sock"
        let messages = crashMessages(2000)
        let killAfter = Int.random(in: 200...1400)
        let milter = try MilterProcess(binary: binary, socket: sock, db: db, spool: dir.path)
        let decided = NIOLockedValueBox<Set<String>>([])
        let next = NIOLockedValueBox(0)
        let killed = NIOLockedValueBox(false)
        let group = MultiThreadedEventLoopGroup.singleton
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<8 {
                g.addTask {
                    guard let c = try? await MilterClient.connect(ListenAddress(kind: .unix(sock)), group: group),
                        let o = try? await c.negotiate()
                    else { return }
                    var first = true
                    while true {
                        let i = next.withLockedValue { n -> Int in
                            defer { n += 1 }
                            return n
                        }
                        guard i < messages.count else { break }
                        guard let rs = try? await c.transaction(messages[i], negotiated: o, connect: first) else {
                            break
                        }
                        first = false
                        if isDecided(rs) {
                            let n = decided.withLockedValue {
                                $0.insert(messages[i].queueID)
                                return $0.count
                            }
                            if n >= killAfter,
                                killed.withLockedValue({
                                    let k = $0
                                    $0 = true
                                    return !k
                                })
                            {
                                milter.kill9()
                            }
                        }
                    }
                    await c.close()
                }
            }
        }
        #expect(killed.withLockedValue { $0 })
        let answered = decided.withLockedValue { $0 }
        #expect(answered.count >= killAfter && answered.count < messages.count)
        // Restarted on the same file: it opens (WAL recovery), answers, stops.
        let again = try MilterProcess(binary: binary, socket: sock, db: db, spool: dir.path)
        again.stop()
        let store = try AuditStore(path: db)
        #expect(try store.integrityCheck() == ["ok"])
        #expect(try store.verify().isIntact)
        let recorded = Set(try store.records(AuditFilter()).compactMap(\.queueID))
        let missing = answered.subtracting(recorded)
        #expect(missing.isEmpty, "decided but not recorded: \(missing.sorted().prefix(10))")
    }
}

/// The Postfix test bed with `--audit`, `--notices` and the bed's own sendmail configuration.
struct AuditBedTrait: SuiteTrait, TestScoping {
    @TaskLocal static var bed: PostfixBed?
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
        async throws
    {
        if let why = Root.postfixSkip {
            if Root.requirePostfix {
                Issue.record("PMARK_REQUIRE_POSTFIX=1 but the Postfix test bed cannot run: \(why)")
            }
            return
        }
        let bed = try PostfixBed(pmarkBinary: Root.pmark!, policy: Root.path + "/policies/default.yaml")
        bed.pmarkArguments = ["--audit", bed.dir + "/audit.db", "--notices", "--postfix-config", bed.dir + "/config"]
        defer { bed.stop() }
        try bed.start()
        try await Self.$bed.withValue(bed) { try await function() }
    }
}

func mail(from: String, to: [String], subject: String, id: String, headers: [String] = []) -> String {
    ([
        "From: <\(from)>", "To: \(to.joined(separator: ", "))", "Subject: \(subject)",
        "Message-ID: <\(id)@test.example>",
    ] + headers).joined(separator: "\r\n")
        + "\r\n\r\nKia ora.\r\n"
}

@Suite(
    "Gateway audit through a real Postfix", .serialized,
    .enabled(if: Root.postfixSkip == nil || Root.requirePostfix, "\(Root.postfixSkip ?? "")"), AuditBedTrait())
struct GatewayPostfixAuditTests {
    var bed: PostfixBed { get throws { try #require(AuditBedTrait.bed) } }
    func store(_ bed: PostfixBed) throws -> AuditStore { try AuditStore(path: bed.dir + "/audit.db") }
    func pmark(_ args: [String]) throws -> (status: Int32, output: String) { try PostfixBed.run(Root.pmark!, args) }

    @Test(
        "A held message is released with pmark quarantine release (postsuper -H) and arrives; the release is recorded")
    func releaseArrives() throws {
        let bed = try bed, id = "rel\(UInt32.random(in: 0...UInt32.max))", sender = "\(id)@agency.govt.nz"
        let r = try SMTPConnection.send(
            port: bed.submissionPort, from: sender, to: ["someone@example.com"],
            message: mail(from: sender, to: ["someone@example.com"], subject: "lunch", id: id))
        #expect(r.code == 250, "\(r)")
        #expect(
            try bed.queue().contains { ($0["sender"] as? String) == sender && ($0["queue_name"] as? String) == "hold" })
        let rec = try #require(try store(bed).records(AuditFilter()).last { $0.messageID == "<\(id)@test.example>" })
        #expect(rec.action == "quarantine" && rec.quarantine == "held" && rec.queueID != nil)
        let out = try pmark([
            "quarantine", "release", "--db", bed.dir + "/audit.db", String(rec.id), "--reason", "sender confirmed",
            "--by", "kiri",
            "--postfix-config", bed.dir + "/config",
        ])
        #expect(out.status == 0, "\(out.output)")
        #expect(out.output.contains("postsuper -H \(rec.queueID ?? "")"))
        #expect(bed.eventually { bed.sunk().contains { $0.contains(id) } })
        #expect(try store(bed).events(decisionID: rec.id).map(\.kind) == ["release"])
        #expect(try store(bed).verify().isIntact)
    }

    @Test("A blocked inbound message is rejected and its recipient gets a generic notice in their Maildir")
    func recipientNotice() throws {
        let bed = try bed, id = "in\(UInt32.random(in: 0...UInt32.max))"
        let r = try SMTPConnection.send(
            port: bed.mxPort, from: "spy\(id)@example.org", to: ["bob@agency.govt.nz"],
            message: mail(
                from: "spy\(id)@example.org", to: ["bob@agency.govt.nz"], subject: "[SECRET] Operation \(id)", id: id))
        #expect(r.code == 550, "\(r)")
        let rec = try #require(try store(bed).records(AuditFilter()).last { $0.messageID == "<\(id)@test.example>" })
        #expect(rec.action == "block" && rec.direction == "inbound")
        #expect(bed.eventually { bed.maildir("bob").contains { $0.contains("Reference: \(rec.id)") } })
        let notice = try #require(bed.maildir("bob").first { $0.contains("Reference: \(rec.id)") })
        #expect(notice.contains("Subject: A message addressed to you was held"))
        #expect(notice.contains("Auto-Submitted: auto-generated"))
        #expect(!notice.contains("SECRET") && !notice.contains(id.dropFirst(2)) && !notice.contains("PM-IN"))
        #expect(try store(bed).events(decisionID: rec.id).map(\.kind) == ["notice"])
    }

    @Test("An unverified sender gets no notice; a verified one (trusted SPF pass) does")
    func senderNotices() throws {
        let bed = try bed
        for verified in [false, true] {
            let id = "snd\(verified)\(UInt32.random(in: 0...UInt32.max))", sender = "s\(id)@example.org"
            let ar = verified ? ["Authentication-Results: mx.agency.govt.nz; spf=pass smtp.mailfrom=\(sender)"] : []
            let r = try SMTPConnection.send(
                port: bed.mxPort, from: sender, to: ["kiri@agency.govt.nz"],
                message: mail(from: sender, to: ["kiri@agency.govt.nz"], subject: "[SECRET] x", id: id, headers: ar))
            #expect(r.code == 550, "\(r)")
            let rec = try #require(
                try store(bed).records(AuditFilter()).last { $0.messageID == "<\(id)@test.example>" })
            #expect(bed.eventually { bed.maildir("kiri").contains { $0.contains("Reference: \(rec.id)") } })
            if verified {
                #expect(
                    bed.eventually {
                        bed.sunk().contains {
                            $0.contains("Reference: \(rec.id)") && $0.contains("Your message was not delivered")
                        }
                    })
            } else {
                sleep(2)
                #expect(!bed.sunk().contains { $0.contains("Reference: \(rec.id)") })
                #expect(try store(bed).events(decisionID: rec.id).map(\.kind) == ["notice"])  // the recipient's only
            }
        }
    }

    @Test(
        """
        pmark killed mid-stream behind Postfix: every sent message ends delivered, held or rejected, each with a record
        """
    )
    func crashBehindPostfix() throws {
        let bed = try bed
        var outcomes: [String: Int] = [:]  // id → final SMTP code
        let ids = (0..<60).map { "pf\($0)x\(UInt32.random(in: 0...UInt32.max))" }
        // SIGKILL at a random moment while messages flow; back two seconds later.
        let killAt = Double.random(in: 0.3...2.0)
        let restarted = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            usleep(UInt32(killAt * 1_000_000))
            bed.killPmark()
            sleep(2)
            try? bed.startPmark()
            restarted.signal()
        }
        var tempfails = 0
        for (n, id) in ids.enumerated() {
            let inbound = n % 3 == 0
            let sender = inbound ? "ext\(id)@example.org" : "\(id)@agency.govt.nz"
            let rcpt = inbound ? "bob@agency.govt.nz" : "someone@example.com"
            let subject = ["[SECRET] x", "[IN-CONFIDENCE] y", "lunch"][n % 3]
            // A tempfail (pmark down) is retried, as an MTA would.
            var code = 0
            for _ in 0..<80 {
                code =
                    (try SMTPConnection.send(
                        port: inbound ? bed.mxPort : bed.submissionPort, from: sender, to: [rcpt],
                        message: mail(from: sender, to: [rcpt], subject: subject, id: id))).code
                if code / 100 != 4 { break }
                tempfails += 1
                usleep(250_000)
            }
            outcomes[id] = code
        }
        restarted.wait()
        #expect(tempfails > 0, "the kill did not happen while messages flowed")
        let records = try store(bed).records(AuditFilter())
        let held = Set(
            try bed.queue().filter { ($0["queue_name"] as? String) == "hold" }.compactMap { $0["sender"] as? String })
        for id in ids {
            let code = try #require(outcomes[id])
            #expect(code == 250 || code == 550, "\(id): \(code)")
            #expect(records.contains { $0.messageID == "<\(id)@test.example>" }, "\(id) has no record")
            if code == 250 {
                let ok = bed.eventually {
                    bed.sunk().contains { $0.contains(id) } || bed.maildir("bob").contains { $0.contains(id) }
                        || held.contains { $0.hasPrefix(id) || $0.contains(id) }
                }
                #expect(ok, "\(id) accepted but neither delivered nor held")
            }
        }
        #expect(try store(bed).integrityCheck() == ["ok"])
        #expect(try store(bed).verify().isIntact)
    }
}
