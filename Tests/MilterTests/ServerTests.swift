import DecisionEngine
import Foundation
import Logging
import MilterCodec
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OfficeDocuments
import PolicyLanguage
import Testing

@testable import Milter

enum Fixture {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let policyPath = root + "/policies/default.yaml"
    static let engine = try! Engine(policy: try! PolicyLoader.load(contentsOf: policyPath), documents: OOXMLReader())
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func message(subject: String, from: String, body: String = "Kia ora.\r\n") -> [UInt8] {
        Array("From: \(from)\r\nTo: someone\r\nSubject: \(subject)\r\nMessage-ID: <1@test>\r\n\r\n\(body)".utf8)
    }
    static let reject = NoticeKey.smtpReject.defaultText
    static let tempfail = NoticeKey.smtpTempfail.defaultText
}

/// Records every event; optionally waits or fails first.
final class RecordingSink: DecisionSink, @unchecked Sendable {
    let events = NIOLockedValueBox<[DecisionEvent]>([])
    let delay: UInt64
    let fails: Bool
    init(delayMillis: UInt64 = 0, fails: Bool = false) {
        delay = delayMillis
        self.fails = fails
    }
    struct Refused: Error {}
    func record(_ event: DecisionEvent) async throws {
        if delay > 0 { try await Task.sleep(nanoseconds: delay * 1_000_000) }
        if fails { throw Refused() }
        events.withLockedValue { $0.append(event) }
    }
    var count: Int { events.withLockedValue { $0.count } }
}

/// Records synchronously (the path the JSON-lines sink takes: no task hand-off); optionally fails.
final class SynchronousRecordingSink: SynchronousDecisionSink, @unchecked Sendable {
    let events = NIOLockedValueBox<[DecisionEvent]>([])
    let fails: Bool
    init(fails: Bool = false) { self.fails = fails }
    func recordNow(_ event: DecisionEvent) throws {
        if fails { throw RecordingSink.Refused() }
        events.withLockedValue { $0.append(event) }
    }
    var count: Int { events.withLockedValue { $0.count } }
}

/// Reports through a completion called later on another thread (the audit store's way: its
/// writer commits, then completes); optionally fails. `completed` is set just before completing.
final class CompletionRecordingSink: CompletionDecisionSink, @unchecked Sendable {
    let events = NIOLockedValueBox<[DecisionEvent]>([])
    let completed = NIOLockedValueBox(0)
    let fails: Bool
    init(fails: Bool = false) { self.fails = fails }
    func record(_ event: DecisionEvent) async throws {
        if fails { throw RecordingSink.Refused() }
        events.withLockedValue { $0.append(event) }
    }
    func record(_ event: DecisionEvent, completion: @escaping @Sendable (Result<Void, Error>) -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) {
            if !self.fails { self.events.withLockedValue { $0.append(event) } }
            self.completed.withLockedValue { $0 += 1 }
            completion(self.fails ? .failure(RecordingSink.Refused()) : .success(()))
        }
    }
    var count: Int { events.withLockedValue { $0.count } }
}

/// A server on a private unix socket for one test.
final class TestServer {
    let dir: String
    let address: ListenAddress
    let server: MilterServer
    let sink: RecordingSink

    init(
        sink: RecordingSink = RecordingSink(), configure: (inout MilterServerConfiguration) -> Void = { _ in },
        reload: @escaping @Sendable () throws -> Engine = { Fixture.engine }, serverSink: (any DecisionSink)? = nil
    ) throws {
        dir = NSTemporaryDirectory() + "pmark-milter-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        address = ListenAddress(kind: .unix(dir + "/milter.sock"))
        var config = MilterServerConfiguration(listeners: [address])
        config.spoolDirectory = dir
        config.workers = 2
        configure(&config)
        self.sink = sink
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = MilterServer(
            configuration: config, engine: Fixture.engine, sink: serverSink ?? sink, logger: logger, reload: reload)
        try server.start()
    }

    func client() async throws -> (MilterClient, OptionNegotiation) {
        let c = try await MilterClient.connect(address, group: Fixture.group)
        return (c, try await c.negotiate())
    }

    func stop() {
        server.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

let restrictedToInternalAndInternet = ClientMessage(
    mailFrom: "aroha@agency.govt.nz", recipients: ["bob@agency.govt.nz", "someone@example.com"],
    bytes: Fixture.message(subject: "[RESTRICTED] Budget", from: "Aroha <aroha@agency.govt.nz>"))
let secretInbound = ClientMessage(
    mailFrom: "spy@example.com", recipients: ["bob@agency.govt.nz", "kiri@agency.govt.nz"],
    bytes: Fixture.message(subject: "[SECRET] Plans", from: "spy@example.com"))
let unmarkedOutbound = ClientMessage(
    mailFrom: "aroha@agency.govt.nz", recipients: ["someone@example.com"],
    bytes: Fixture.message(subject: "Lunch", from: "aroha@agency.govt.nz"))
let unmarkedInbound = ClientMessage(
    mailFrom: "friend@example.com", recipients: ["bob@agency.govt.nz"],
    bytes: Fixture.message(subject: "Lunch", from: "friend@example.com"))

@Suite("Milter server: actions at end of message", .serialized)
struct ServerActionTests {
    @Test("negotiation grants only add-header, delete-recipient and quarantine, and protocol 6")
    func negotiation() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        #expect(o.version == 6)
        #expect(o.actions == [.addHeaders, .deleteRecipients, .quarantine])
        #expect(o.protocolFlags.contains(.headerLeadingSpace))
        // No replies to connect, MAIL and RCPT: pmark decides at end of message only, so the MTA
        // need not wait for it three times per message.
        #expect(o.protocolFlags.isSuperset(of: [.noReplyConnect, .noReplyMail, .noReplyRecipient]))
        #expect(
            !o.protocolFlags.contains(.noConnect) && !o.protocolFlags.contains(.noMail)
                && !o.protocolFlags.contains(.noRecipient) && !o.protocolFlags.contains(.noBody))
        await c.close()
    }

    @Test("a negotiation offering no protocol steps to skip still gets every reply it needs")
    func minimalOffer() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let c = try await MilterClient.connect(s.address, group: Fixture.group)
        let o = try await c.negotiate(
            OptionNegotiation(version: 6, actions: [.addHeaders, .deleteRecipients, .quarantine], protocolFlags: []))
        #expect(o.protocolFlags == [])
        let r = try await c.transaction(restrictedToInternalAndInternet, negotiated: o)
        #expect(r == [.deleteRecipient(Array("<someone@example.com>".utf8)), .accept])
        // Without SMFIP_HDR_LEADSPC the MTA adds the space after the colon itself.
        #expect(
            try await c.transaction(unmarkedInbound, negotiated: o, connect: false) == [
                .addHeader(name: "X-Pmark-Tag", value: "review"), .accept,
            ])
        await c.close()
    }

    @Test("an MTA that grants no quarantine gets tempfail for a message that must be held, never accept")
    func noQuarantineAction() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let c = try await MilterClient.connect(s.address, group: Fixture.group)
        let o = try await c.negotiate(OptionNegotiation(version: 6, actions: [.addHeaders], protocolFlags: []))
        #expect(try await c.transaction(unmarkedOutbound, negotiated: o) == [.replyCode(Fixture.tempfail)])
        #expect(
            try await c.transaction(restrictedToInternalAndInternet, negotiated: o, connect: false) == [
                .replyCode(Fixture.tempfail)
            ])
        await c.close()
    }

    @Test("a RESTRICTED message to an internal and an internet recipient loses only the internet recipient")
    func deleteOneRecipient() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        let r = try await c.transaction(restrictedToInternalAndInternet, negotiated: o)
        #expect(r == [.deleteRecipient(Array("<someone@example.com>".utf8)), .accept])
        let e = try #require(s.sink.events.withLockedValue { $0.first })
        #expect(e.envelope.recipients == ["bob@agency.govt.nz", "someone@example.com"])
        #expect(e.envelope.mailFrom == "aroha@agency.govt.nz")
        #expect(e.envelope.clientAddress == "192.0.2.10")
        #expect(e.origin == .gateway(queueID: "4ABCDE1234", daemonName: "smtpd"))
        #expect(e.messageBytes == restrictedToInternalAndInternet.bytes)
        await c.close()
    }

    @Test("SECRET inbound to recipients who are all blocked is rejected with the policy's generic 5.7.1 text")
    func rejectAll() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        let r = try await c.transaction(secretInbound, negotiated: o)
        #expect(r == [.replyCode(Fixture.reject)])
        #expect(!Fixture.reject.contains("SECRET") && !Fixture.reject.contains("PM-"))
        await c.close()
    }

    @Test("an unmarked outbound message is quarantined with a generic reason")
    func quarantine() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        let r = try await c.transaction(unmarkedOutbound, negotiated: o)
        #expect(r == [.quarantine(reason: Gateway.quarantineReason), .accept])
        await c.close()
    }

    @Test("an unmarked inbound message is accepted with the policy's tag header")
    func tag() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        let r = try await c.transaction(unmarkedInbound, negotiated: o)
        #expect(r == [.addHeader(name: "X-Pmark-Tag", value: " review"), .accept])
        await c.close()
    }

    @Test("several messages on one connection, with an abort between, are decided independently")
    func severalMessages() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        #expect(try await c.transaction(secretInbound, negotiated: o) == [.replyCode(Fixture.reject)])
        // A transaction aborted after its headers: nothing of it may leak into the next.
        try await c.send([.mail(arguments: ["<x@example.com>"]), .recipient(arguments: ["<bob@agency.govt.nz>"])])
        if !o.protocolFlags.contains(.noReplyMail) { _ = try await c.next() }
        if !o.protocolFlags.contains(.noReplyRecipient) { _ = try await c.next() }
        try await c.send([.header(name: Array("Subject".utf8), value: Array(" [SECRET] x".utf8)), .abort])
        #expect(
            try await c.transaction(unmarkedInbound, negotiated: o, connect: false) == [
                .addHeader(name: "X-Pmark-Tag", value: " review"), .accept,
            ])
        #expect(
            try await c.transaction(restrictedToInternalAndInternet, negotiated: o, connect: false)
                == [.deleteRecipient(Array("<someone@example.com>".utf8)), .accept])
        #expect(s.sink.count == 3)
        let last = try #require(s.sink.events.withLockedValue { $0.last })
        #expect(last.envelope.recipients == ["bob@agency.govt.nz", "someone@example.com"])
        await c.close()
    }

    @Test("after quit-new-connection the next SMTP session on the same milter connection is decided afresh")
    func quitNewConnection() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let (c, o) = try await s.client()
        #expect(try await c.transaction(unmarkedInbound, negotiated: o).last == .accept)
        try await c.send([.quitNewConnection])
        #expect(try await c.transaction(secretInbound, negotiated: o) == [.replyCode(Fixture.reject)])
        await c.close()
    }

    @Test("a listener's direction overrides inference: outbound-looking mail on an inbound listener is judged inbound")
    func listenerDirection() async throws {
        let s = try TestServer(configure: { $0.listeners[0].direction = .inbound })
        defer { s.stop() }
        let (c, o) = try await s.client()
        _ = try await c.transaction(unmarkedOutbound, negotiated: o)
        #expect(s.sink.events.withLockedValue { $0.first?.verdict.direction } == .inbound)
        await c.close()
    }

    @Test("{daemon_name} maps to a direction, and {auth_authen} marks an authenticated submission")
    func daemonDirection() async throws {
        let s = try TestServer(configure: { $0.daemonDirections = ["ORIGINATING": .outbound] })
        defer { s.stop() }
        let (c, o) = try await s.client()
        var m = unmarkedInbound
        m.daemonName = "ORIGINATING"
        m.authenticatedAs = "aroha@agency.govt.nz"
        _ = try await c.transaction(m, negotiated: o)
        let e = try #require(s.sink.events.withLockedValue { $0.first })
        #expect(e.envelope.direction == .outbound)
        #expect(e.envelope.authenticatedSubmission)
        await c.close()
    }
}

@Suite("Milter server: fail closed", .serialized)
struct ServerFailClosedTests {
    @Test("the sink is awaited before the reply: a slow sink has recorded when the reply arrives")
    func sinkAwaited() async throws {
        let s = try TestServer(sink: RecordingSink(delayMillis: 300))
        defer { s.stop() }
        let (c, o) = try await s.client()
        _ = try await c.transaction(unmarkedInbound, negotiated: o)
        #expect(s.sink.count == 1)
        await c.close()
    }

    @Test("a sink that fails gives tempfail, never accept")
    func sinkFails() async throws {
        let s = try TestServer(sink: RecordingSink(fails: true))
        defer { s.stop() }
        let (c, o) = try await s.client()
        #expect(try await c.transaction(unmarkedInbound, negotiated: o) == [.replyCode(Fixture.tempfail)])
        await c.close()
    }

    @Test("a synchronous sink, alone or fanned out, has recorded when the reply arrives")
    func synchronousSinkRecords() async throws {
        let a = SynchronousRecordingSink(), b = SynchronousRecordingSink()
        for sink in [a, FanOutSink([a, b])] as [any DecisionSink] {
            let s = try TestServer(serverSink: sink)
            defer { s.stop() }
            let (c, o) = try await s.client()
            #expect(try await c.transaction(unmarkedInbound, negotiated: o) != [.replyCode(Fixture.tempfail)])
            await c.close()
        }
        #expect(a.count == 2 && b.count == 1)
    }

    /// Each sink behind a server: the reply to an unmarked inbound message is tempfail.
    func expectTempfail(_ sinks: [any DecisionSink], sourceLocation: Testing.SourceLocation = #_sourceLocation)
        async throws
    {
        for sink in sinks {
            let s = try TestServer(serverSink: sink)
            defer { s.stop() }
            let (c, o) = try await s.client()
            #expect(
                try await c.transaction(unmarkedInbound, negotiated: o) == [.replyCode(Fixture.tempfail)],
                sourceLocation: sourceLocation)
            await c.close()
        }
    }

    @Test("a synchronous sink that fails gives tempfail, never accept, alone or fanned out")
    func synchronousSinkFails() async throws {
        try await expectTempfail([
            SynchronousRecordingSink(fails: true),
            FanOutSink([SynchronousRecordingSink(), SynchronousRecordingSink(fails: true)]),
        ])
    }

    @Test(
        """
        a completion sink (the audit store's group commit), alone or before synchronous sinks, has completed when the \
        reply arrives
        """
    )
    func completionSinkRecords() async throws {
        let a = CompletionRecordingSink(), b = SynchronousRecordingSink()
        for (i, sink) in ([a, FanOutSink([a, b])] as [any DecisionSink]).enumerated() {
            let s = try TestServer(serverSink: sink)
            defer { s.stop() }
            let (c, o) = try await s.client()
            #expect(try await c.transaction(unmarkedInbound, negotiated: o) != [.replyCode(Fixture.tempfail)])
            // The completion comes 200 ms after the decision: a reply sent before it would be
            // here while the count is still behind.
            #expect(a.completed.withLockedValue { $0 } == i + 1)
            #expect(b.count == i)
            await c.close()
        }
        #expect(a.count == 2)
    }

    @Test("a completion sink that fails, or a synchronous sink after it that fails, gives tempfail, never accept")
    func completionSinkFails() async throws {
        try await expectTempfail([
            CompletionRecordingSink(fails: true),
            FanOutSink([CompletionRecordingSink(fails: true), SynchronousRecordingSink()]),
            FanOutSink([CompletionRecordingSink(), SynchronousRecordingSink(fails: true)]),
        ])
    }

    @Test("a fan-out reports through a completion only when its first sink does and every other is synchronous")
    func fanOutCompletion() {
        #expect(FanOutSink([CompletionRecordingSink(), SynchronousRecordingSink()]).completion != nil)
        #expect(FanOutSink([CompletionRecordingSink()]).completion != nil)
        #expect(FanOutSink([SynchronousRecordingSink(), CompletionRecordingSink()]).completion == nil)
        #expect(FanOutSink([CompletionRecordingSink(), RecordingSink()]).completion == nil)
    }

    @Test("a fan-out is synchronous only when every sink in it is")
    func fanOutSynchronous() {
        #expect(FanOutSink([SynchronousRecordingSink(), DiscardingSink()]).synchronous != nil)
        #expect(FanOutSink([SynchronousRecordingSink(), RecordingSink()]).synchronous == nil)
    }

    @Test("a decision slower than the timeout gives tempfail")
    func timeout() async throws {
        let s = try TestServer(
            sink: RecordingSink(delayMillis: 2000), configure: { $0.decisionTimeout = .milliseconds(200) })
        defer { s.stop() }
        let (c, o) = try await s.client()
        #expect(try await c.transaction(unmarkedInbound, negotiated: o) == [.replyCode(Fixture.tempfail)])
        // The connection goes on: the next message is decided (and waits for the slow sink).
        await c.close()
    }

    @Test("a message above the memory limit is spooled to a private file and still inspected")
    func spooled() async throws {
        let s = try TestServer(configure: { $0.spool = SpoolLimits(memoryLimit: 1024, maxMessageSize: 10 << 20) })
        defer { s.stop() }
        let (c, o) = try await s.client()
        var m = restrictedToInternalAndInternet
        m.bytes = Fixture.message(
            subject: "[RESTRICTED] Budget", from: "aroha@agency.govt.nz",
            body: String(repeating: "Lorem ipsum dolor sit amet.\r\n", count: 10_000))
        #expect(
            try await c.transaction(m, negotiated: o) == [
                .deleteRecipient(Array("<someone@example.com>".utf8)), .accept,
            ])
        #expect(s.sink.events.withLockedValue { $0.first?.messageBytes } == m.bytes)
        await c.close()
    }

    @Test("a message above the inspected maximum is quarantined")
    func oversize() async throws {
        let s = try TestServer(configure: { $0.spool = SpoolLimits(memoryLimit: 1024, maxMessageSize: 64 * 1024) })
        defer { s.stop() }
        let (c, o) = try await s.client()
        var m = unmarkedInbound
        m.bytes = Fixture.message(
            subject: "[UNCLASSIFIED] big", from: "friend@example.com", body: String(repeating: "x", count: 200_000))
        #expect(try await c.transaction(m, negotiated: o) == [.quarantine(reason: Gateway.quarantineReason), .accept])
        let e = try #require(s.sink.events.withLockedValue { $0.first })
        #expect(e.verdict.messageAction == .quarantine)
        #expect(e.messageBytes.count == 64 * 1024)
        await c.close()
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var testDescription: String { name }
    }
    static let malformed: [Malformed] = [
        Malformed(name: "bad length (0)", bytes: [0, 0, 0, 0]),
        Malformed(name: "oversize length", bytes: [0x7F, 0, 0, 0, 0x42]),
        Malformed(name: "unknown command", bytes: [0, 0, 0, 1, 0x5A]),
        Malformed(name: "truncated field", bytes: [0, 0, 0, 3, 0x4C, 0x41, 0x42]),
        Malformed(name: "command before negotiation", bytes: [0, 0, 0, 1, 0x54]),
    ]

    @Test("a malformed frame closes the connection, and the server goes on serving", arguments: malformed)
    func malformedCloses(_ m: Malformed) async throws {
        let s = try TestServer()
        defer { s.stop() }
        let c = try await MilterClient.connect(s.address, group: Fixture.group)
        if m.name != "command before negotiation" { _ = try await c.negotiate() }
        try await c.sendRaw(m.bytes)
        #expect(await c.isClosed(within: .seconds(5)))
        let (c2, o) = try await s.client()
        #expect(try await c2.transaction(unmarkedInbound, negotiated: o).last == .accept)
        await c2.close()
    }

    @Test("a frame cut off by the peer closing mid-frame is no crash, and the server goes on")
    func truncatedAtClose() async throws {
        let s = try TestServer()
        defer { s.stop() }
        let c = try await MilterClient.connect(s.address, group: Fixture.group)
        _ = try await c.negotiate()
        try await c.sendRaw([0, 0, 0, 100, 0x42, 1, 2, 3])
        await c.close()
        let (c2, o) = try await s.client()
        #expect(try await c2.transaction(unmarkedInbound, negotiated: o).last == .accept)
        await c2.close()
    }

    @Test("connections above the maximum are closed at once")
    func maxConnections() async throws {
        let s = try TestServer(configure: { $0.maxConnections = 1 })
        defer { s.stop() }
        let (c1, _) = try await s.client()
        let c2 = try await MilterClient.connect(s.address, group: Fixture.group)
        #expect(await c2.isClosed(within: .seconds(5)))
        await c1.close()
    }

    @Test("an idle connection is closed after the idle timeout")
    func idle() async throws {
        let s = try TestServer(configure: { $0.idleTimeout = .milliseconds(200) })
        defer { s.stop() }
        let (c, _) = try await s.client()
        #expect(await c.isClosed(within: .seconds(5)))
    }

    @Test("a reload with an invalid policy is refused and the old policy stays; a valid one replaces it")
    func reload() async throws {
        let bad = NSTemporaryDirectory() + "pmark-bad-policy-\(UUID().uuidString.prefix(6)).yaml"
        try "policy:\n  name: x\nsystem:\n  accreditation: NOPE\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let which = NIOLockedValueBox(bad)
        let s = try TestServer(reload: {
            let p = try PolicyLoader.load(contentsOf: which.withLockedValue { $0 })
            return try Engine(policy: p)
        })
        defer { s.stop() }
        let before = s.server.engines.current.policy.contentHash
        #expect(!s.server.reloadPolicy())
        #expect(s.server.engines.current.policy.contentHash == before)
        do {
            _ = try PolicyLoader.load(contentsOf: bad)
            Issue.record("the bad policy loaded")
        } catch let e as PolicyLoadError {
            #expect(e.description.contains(bad + ":"))
        }
        let good = NSTemporaryDirectory() + "pmark-good-policy-\(UUID().uuidString.prefix(6)).yaml"
        try String(contentsOfFile: Fixture.policyPath, encoding: .utf8).replacingOccurrences(
            of: "name: NZ agency default", with: "name: reloaded"
        )
        .write(toFile: good, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: good) }
        which.withLockedValue { $0 = good }
        #expect(s.server.reloadPolicy())
        #expect(s.server.engines.current.policy.name == "reloaded")
    }

    @Test("the health check's negotiation works over inet too", .timeLimit(.minutes(1)))
    func inet() async throws {
        let port = 20000 + Int.random(in: 0..<20000)
        let s = try TestServer(configure: { $0.listeners = [ListenAddress(kind: .inet(host: "127.0.0.1", port: port))] }
        )
        defer { s.stop() }
        let c = try await MilterClient.connect(
            ListenAddress(kind: .inet(host: "127.0.0.1", port: port)), group: Fixture.group)
        #expect(try await c.negotiate().version == 6)
        await c.close()
    }
}

@Suite("Milter: listen addresses and the JSON-lines sink")
struct MiscTests {
    @Test(
        "listen addresses parse as Postfix and Sendmail write them",
        arguments: [
            ("unix:/run/pmark.sock", ListenAddress(kind: .unix("/run/pmark.sock"))),
            ("inet:10025@127.0.0.1", ListenAddress(kind: .inet(host: "127.0.0.1", port: 10025))),
            ("inet6:10025@[::1]", ListenAddress(kind: .inet(host: "::1", port: 10025))),
            (
                "inbound=inet:10025@127.0.0.1",
                ListenAddress(kind: .inet(host: "127.0.0.1", port: 10025), direction: .inbound)
            ),
            ("outbound=unix:/s", ListenAddress(kind: .unix("/s"), direction: .outbound)),
        ])
    func listen(_ spec: String, _ expected: ListenAddress) {
        #expect(ListenAddress(spec) == expected)
    }

    @Test(
        "bad listen addresses are refused",
        arguments: ["unix:relative", "inet:0@127.0.0.1", "inet:99999", "tcp:25", "sideways=unix:/s"])
    func badListen(_ spec: String) {
        #expect(ListenAddress(spec) == nil)
    }

    @Test("the JSON-lines record leaves addresses out unless the policy allows them")
    func jsonPrivacy() throws {
        let env = Envelope(mailFrom: "aroha@agency.govt.nz", recipients: ["bob@agency.govt.nz", "someone@example.com"])
        let v = Fixture.engine.evaluate(bytes: restrictedToInternalAndInternet.bytes, envelope: env)
        let e = DecisionEvent(
            unixTime: 1, origin: .gateway(queueID: "Q1", daemonName: "smtpd"), envelope: env, verdict: v,
            messageBytes: [1, 2])
        let hidden = JSONLinesSink.json(e, addresses: false)
        #expect(!hidden.contains("example.com") && !hidden.contains("aroha"))
        #expect(hidden.contains("\"queue_id\":\"Q1\"") && hidden.contains("PM-OUT-001"))
        #expect(try JSONSerialization.jsonObject(with: Data(hidden.utf8)) is [String: Any])
        let shown = JSONLinesSink.json(e, addresses: true)
        #expect(shown.contains("someone@example.com"))
    }

    @Test(
        """
        a spooled message leaves no file anyone could open (mkstemp 0600, unlinked at once) and reads back whole, up \
        to the maximum
        """
    )
    func spoolPrivate() throws {
        let dir = NSTemporaryDirectory() + "pmark-spool-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sp = MessageSpool(limits: SpoolLimits(memoryLimit: 4, maxMessageSize: 100), directory: dir)
        try sp.append(Array("0123456789".utf8))
        #expect(sp.isSpooledToDisk)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        #expect(try sp.contents() == Array("0123456789".utf8))
        try sp.append(Array(repeating: 65, count: 200))
        #expect(sp.exceedsMaximum)
        #expect(try sp.contents().count == 100)
    }

    @Test("the tag header must be one header field")
    func tagHeader() {
        #expect(Gateway.headerField("X-Pmark-Tag: review")! == ("X-Pmark-Tag", "review"))
        #expect(Gateway.headerField("no colon") == nil)
        #expect(Gateway.headerField("X: a\r\nBcc: evil") == nil)
        #expect(PolicyLoader.isHeaderField("X-Tag: y") && !PolicyLoader.isHeaderField("X-Tag y"))
    }
}
