import Foundation
import MilterCodec
import PostfixTestBed
import Testing

@testable import Milter

/// The `pmark milter` process as an operator runs it: health check, SIGHUP, SIGTERM.
final class MilterProcess {
    let dir: String
    let socket: String
    let process: Process
    let stderrFile: String

    init(policy: String, extra: [String] = []) throws {
        dir = NSTemporaryDirectory() + "pmark-ops-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        socket = dir + "/milter.sock"
        stderrFile = dir + "/stderr.log"
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.pmark!)
        process.arguments =
            ["milter", "--listen", "unix:" + socket, "--policy", policy, "--drain-timeout", "10"] + extra
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
    }

    func health() throws -> (Int32, String) {
        try PostfixBed.run(Binary.pmark!, ["milter", "health", "--connect", "unix:" + socket])
    }
    var log: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite(
    "pmark milter as an operator runs it", .serialized,
    .enabled(if: Binary.pmark != nil, "the pmark binary is not built"))
struct OperationsTests {
    @Test("the health check exits 0 against a running milter and 1 when nothing answers")
    func health() throws {
        let m = try MilterProcess(policy: Fixture.policyPath)
        defer { m.stop() }
        let (ok, out) = try m.health()
        #expect(ok == 0, "\(out)")
        #expect(out.contains("speaks milter protocol 6"))
        let (bad, _) = try PostfixBed.run(
            Binary.pmark!, ["milter", "health", "--connect", "unix:" + m.dir + "/nothing.sock"])
        #expect(bad == 1)
    }

    @Test("a listener that cannot bind ends pmark with exit 74 and says which, instead of waiting for signals")
    func cannotListen() throws {
        let (code, out) = try PostfixBed.run(
            Binary.pmark!,
            ["milter", "--listen", "unix:/nonexistent-pmark-dir/milter.sock", "--policy", Fixture.policyPath])
        #expect(code == 74, "\(out)")
        #expect(out.contains("cannot listen"))
    }

    @Test("SIGHUP with an invalid policy keeps the old one and logs file:line:column; a valid one is loaded")
    func sighup() throws {
        let policy = NSTemporaryDirectory() + "pmark-ops-policy-\(UInt32.random(in: 0..<UInt32.max)).yaml"
        let good = try String(contentsOfFile: Fixture.policyPath, encoding: .utf8)
        try good.write(toFile: policy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: policy) }
        let m = try MilterProcess(policy: policy)
        defer { m.stop() }
        try "policy:\n  name: broken\nsystem:\n  accreditation: NOPE\n".write(
            toFile: policy, atomically: true, encoding: .utf8)
        kill(m.process.processIdentifier, SIGHUP)
        var refused = false
        for _ in 0..<600 where !refused {
            usleep(50_000)
            refused = m.log.contains("policy reload refused")
        }
        #expect(refused)
        #expect(m.log.contains(policy + ":"), "diagnostics carry file:line:column")
        #expect(try m.health().0 == 0, "the old policy still serves")
        try good.replacingOccurrences(of: "name: NZ agency default", with: "name: reloaded by SIGHUP").write(
            toFile: policy, atomically: true, encoding: .utf8)
        kill(m.process.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<600 where !reloaded {
            usleep(50_000)
            reloaded = m.log.contains("policy reloaded") && m.log.contains("reloaded by SIGHUP")
        }
        #expect(reloaded)
    }

    @Test("SIGTERM lets a transaction in progress finish, then pmark exits 0")
    func sigtermDrains() async throws {
        let m = try MilterProcess(policy: Fixture.policyPath)
        defer { m.stop() }
        let c = try await MilterClient.connect(ListenAddress(kind: .unix(m.socket)), group: Fixture.group)
        let o = try await c.negotiate()
        kill(m.process.processIdentifier, SIGTERM)
        usleep(200_000)
        #expect(m.process.isRunning, "still draining the open connection")
        #expect(try await c.transaction(unmarkedInbound, negotiated: o).last == .accept)
        try await c.send([.quit])
        await c.close()
        for _ in 0..<100 where m.process.isRunning { usleep(50_000) }
        #expect(!m.process.isRunning)
        #expect(m.process.terminationStatus == 0)
        #expect(
            !FileManager.default.fileExists(atPath: m.socket) || (try? m.health().0) != 0,
            "no new connections after SIGTERM")
    }
}
