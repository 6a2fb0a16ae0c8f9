import Foundation
import PostfixTestBed
import Testing

/// The binary under test (swift build puts it here; ./scripts/test builds it first).
enum Binary {
    static var pmark: String? {
        [".build/debug/pmark", ".build/release/pmark"].map { Fixture.root + "/" + $0 }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
    /// In CI (`PMARK_REQUIRE_POSTFIX=1`, set by .ci/run) a missing Postfix is a failure, not a skip.
    static var required: Bool { ProcessInfo.processInfo.environment["PMARK_REQUIRE_POSTFIX"] == "1" }
    static var skipReason: String? {
        if let r = PostfixBed.unavailable { return r }
        if pmark == nil { return "the pmark binary is not built (swift build)" }
        return nil
    }
}

/// Starts one private Postfix + smtp-sink + pmark for the whole suite, stops it after.
struct PostfixBedTrait: SuiteTrait, TestScoping {
    @TaskLocal static var bed: PostfixBed?

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
        async throws
    {
        if let why = Binary.skipReason {
            if Binary.required { Issue.record("PMARK_REQUIRE_POSTFIX=1 but the Postfix test bed cannot run: \(why)") }
            return
        }
        let bed = try PostfixBed(pmarkBinary: Binary.pmark!, policy: Fixture.policyPath)
        defer { bed.stop() }
        try bed.start()
        try await Self.$bed.withValue(bed) { try await function() }
    }
}

func uniqueID() -> String { "\(UInt64.random(in: 0..<UInt64.max))" }

func message(from: String, to: [String], subject: String, id: String) -> String {
    """
    From: \(from)\nTo: \(to.joined(separator: ", "))\nSubject: \(subject)\nMessage-ID: <\(id)@test.example>\n\n\
    Kia ora.\n
    """
}

@Suite(
    "A real Postfix with pmark as smtpd_milters", .serialized,
    .enabled(if: Binary.skipReason == nil || Binary.required, "\(Binary.skipReason ?? "")"), PostfixBedTrait())
struct PostfixIntegrationTests {
    var bed: PostfixBed { get throws { try #require(PostfixBedTrait.bed) } }

    @Test("an IN-CONFIDENCE message to the internet reaches the sink (the relay path works)")
    func relayWorks() throws {
        let bed = try bed, id = uniqueID()
        let r = try SMTPConnection.send(
            port: bed.submissionPort, from: "aroha@agency.govt.nz", to: ["someone@example.com"],
            message: message(
                from: "aroha@agency.govt.nz", to: ["someone@example.com"], subject: "[IN-CONFIDENCE] agenda", id: id))
        #expect(r.code == 250, "\(r)")
        #expect(bed.eventually { bed.sunk().contains { $0.contains(id) } })
    }

    @Test("a RESTRICTED message to one internal and one internet recipient is delivered to the internal one only")
    func restrictedSplit() throws {
        let bed = try bed, id = uniqueID(), sender = "split-\(id)@agency.govt.nz"
        let rcpts = ["bob@agency.govt.nz", "someone@example.com"]
        let r = try SMTPConnection.send(
            port: bed.submissionPort, from: sender, to: rcpts,
            message: message(from: sender, to: rcpts, subject: "[RESTRICTED] budget", id: id))
        #expect(r.code == 250, "\(r)")
        #expect(bed.eventually { bed.maildir("bob").contains { $0.contains(id) } })
        // Nothing of it stays queued or reaches the internet sink: the internet recipient was
        // removed (SMFIR_DELRCPT) before Postfix queued the message.
        #expect(try bed.eventually { try bed.queue().allSatisfy { ($0["sender"] as? String) != sender } })
        #expect(!bed.sunk().contains { $0.contains(id) })
    }

    @Test("an unmarked outbound message lands in Postfix's hold queue")
    func unmarkedHeld() throws {
        let bed = try bed, id = uniqueID(), sender = "held-\(id)@agency.govt.nz"
        let r = try SMTPConnection.send(
            port: bed.submissionPort, from: sender, to: ["someone@example.com"],
            message: message(from: sender, to: ["someone@example.com"], subject: "lunch", id: id))
        #expect(r.code == 250, "\(r)")
        let held = try bed.queue().filter { ($0["sender"] as? String) == sender }
        #expect(held.count == 1)
        #expect(held.first?["queue_name"] as? String == "hold")
        #expect(!bed.sunk().contains { $0.contains(id) })
    }

    @Test("a SECRET inbound message is rejected at the SMTP client with the generic 5.7.1 text")
    func secretRejected() throws {
        let bed = try bed, id = uniqueID()
        let r = try SMTPConnection.send(
            port: bed.mxPort, from: "spy@example.com", to: ["bob@agency.govt.nz", "kiri@agency.govt.nz"],
            message: message(from: "spy@example.com", to: ["bob@agency.govt.nz"], subject: "[SECRET] plans", id: id))
        #expect(r.code == 550)
        #expect(r.text == String(Fixture.reject.dropFirst(4)))
        #expect(!r.text.contains("SECRET") && !r.text.contains("PM-") && !r.text.contains("bob"))
        #expect(!bed.maildir("bob").contains { $0.contains(id) })
    }

    @Test("an unmarked inbound message (allow-and-tag) arrives with the tag header")
    func tagged() throws {
        let bed = try bed, id = uniqueID()
        let r = try SMTPConnection.send(
            port: bed.mxPort, from: "friend@example.com", to: ["kiri@agency.govt.nz"],
            message: message(from: "friend@example.com", to: ["kiri@agency.govt.nz"], subject: "hello", id: id))
        #expect(r.code == 250, "\(r)")
        #expect(bed.eventually { bed.maildir("kiri").contains { $0.contains(id) } })
        let m = try #require(bed.maildir("kiri").first { $0.contains(id) })
        #expect(m.contains("\nX-Pmark-Tag: review\n"))
    }

    @Test("killing pmark mid-transaction makes Postfix tempfail; the client retries and nothing is lost")
    func killMidTransaction() throws {
        let bed = try bed, id = uniqueID()
        let rcpts = ["bob@agency.govt.nz"]
        let text = message(from: "friend@example.com", to: rcpts, subject: "[UNCLASSIFIED] retry me", id: id)
        let c = try SMTPConnection(port: bed.mxPort)
        _ = try c.command("EHLO client.example.com")
        #expect(try c.command("MAIL FROM:<friend@example.com>").code == 250)
        #expect(try c.command("RCPT TO:<bob@agency.govt.nz>").code == 250)
        #expect(try c.command("DATA").code == 354)
        try c.send(text.replacingOccurrences(of: "\n", with: "\r\n"))
        bed.killPmark()
        let r = try c.command(".")
        #expect(r.code / 100 == 4, "end of data with the milter dead: \(r)")
        _ = try? c.command("QUIT")
        // Nothing was queued from the failed attempt.
        #expect(try bed.queue().allSatisfy { ($0["sender"] as? String) != "friend@example.com" })
        // The sending MTA retries once pmark is back.
        try bed.startPmark()
        var retry = try SMTPConnection.send(port: bed.mxPort, from: "friend@example.com", to: rcpts, message: text)
        if retry.code / 100 == 4 {  // a new smtpd process may still be backing off from the dead milter
            usleep(1_000_000)
            retry = try SMTPConnection.send(port: bed.mxPort, from: "friend@example.com", to: rcpts, message: text)
        }
        #expect(retry.code == 250, "\(retry)")
        #expect(bed.eventually { bed.maildir("bob").contains { $0.contains(id) } })
        #expect(bed.maildir("bob").filter { $0.contains(id) }.count == 1)
    }
}

/// miltertest (Debian's package, from OpenDKIM) as a second client independent of pmark's own.
enum Miltertest {
    static let path = "/usr/bin/miltertest"
    static var skipReason: String? {
        if !FileManager.default.isExecutableFile(atPath: path) {
            return "\(path) is not installed (scripts/setup installs miltertest)"
        }
        if Binary.pmark == nil { return "the pmark binary is not built (swift build)" }
        return nil
    }
}

@Suite(
    "The same cases through miltertest",
    .enabled(if: Miltertest.skipReason == nil || Binary.required, "\(Miltertest.skipReason ?? "")"))
struct MiltertestTests {
    @Test("miltertest's Lua script sees the split, the hold, the 5.7.1 reject, the tag and an abort between messages")
    func script() throws {
        if let why = Miltertest.skipReason {
            Issue.record("PMARK_REQUIRE_POSTFIX=1 but miltertest cannot run: \(why)")
            return
        }
        let dir = NSTemporaryDirectory() + "pmark-miltertest-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = "unix:\(dir)/pmark.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.pmark!)
        p.arguments = [
            "milter", "--listen", socket, "--policy", Fixture.policyPath, "--log-level", "warning",
            "--daemon-direction", "MX=inbound", "--daemon-direction", "ORIGINATING=outbound",
        ]
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let text = String(Fixture.reject.dropFirst(10))  // after "550 5.7.1 "
        let (status, output) = try PostfixBed.run(
            Miltertest.path,
            [
                "-D", "socket=\(socket)", "-D", "reject=\(text)",
                "-s", Fixture.root + "/Tests/MilterTests/miltertest/gateway.lua",
            ])
        #expect(status == 0, "\(output)")
        #expect(output.contains("all miltertest cases passed"))
    }
}
