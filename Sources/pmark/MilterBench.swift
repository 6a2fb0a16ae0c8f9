import ArgumentParser
import AuditStore
import Benchmarking
import DecisionEngine
import Foundation
import Logging
import Milter
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OfficeDocuments
import PolicyLanguage
import PostfixTestBed

struct MilterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            """
            Gateway benchmark (build with -c release): a milter load generator on loopback at increasing concurrency, \
            then smtp-source → Postfix → smtp-sink with and without pmark.
            """,
        discussion: """
            Part 1 plays Postfix against an in-process pmark milter (unix socket, the default policy, a
            JSON-lines decision log): --messages from the generated archive over each number of
            connections; messages/s and p50/p99 end-of-message latency (end of body sent → reply).
            Part 2 (root, Debian's postfix): the same private Postfix as the tests, per round without a
            milter, with a null milter (pmark's protocol, accept without inspecting: the control) and
            with pmark as smtpd_milters; the time for --postfix-messages IN-CONFIDENCE messages
            from smtp-source to reach smtp-sink, the ratio with/without, and the account sent =
            delivered + held + rejected (unmarked outbound held, SECRET inbound rejected); then a
            summary over every round: throughput of the totals and CPU per message by process.
            With --audit-store, each round also runs pmark with its audit store (a fresh file, every
            decision committed before the reply): the store on/off ratio per round and over the
            totals, and a check that every message sent has its record and the chain holds.
            """)

    @Option(help: "Archive to take messages from; generated deterministically when missing.")
    var archive: String = "bench-data/generated.mbox"

    @Option(help: "Size of the generated archive in MB (when it must be generated).")
    var sizeMB: Int = 220

    @Option(help: "Messages per concurrency level.")
    var messages: Int = 10_000

    @Option(help: "Concurrent milter connections, comma-separated.")
    var connections: String = "1,2,4,8,16,32"

    @Option(help: "Timed messages through Postfix per mode (0 skips part 2).")
    var postfixMessages: Int = 2000

    @Option(help: "Parallel SMTP sessions of smtp-source.")
    var sessions: Int = 8

    @Option(
        help:
            """
            Part 2 rounds: without and with pmark, in alternating order (a shared machine's speed drifts; \
            each pair is compared, and the best of each mode).
            """
    )
    var rounds: Int = 3

    @Option(
        name: .customLong("null-milter"),
        help: """
            Part 2 also runs Postfix with a null milter (pmark's protocol, no inspection, accept): what any milter \
            costs this Postfix, apart from pmark's own work.
            """)
    var nullMilter: Bool = true

    @Flag(
        help: """
            The null milter answers through a worker thread as pmark does (the hand-off that keeps the engine off \
            the event loop, with no engine).
            """)
    var nullMilterThroughPool = false

    @Flag(
        help: """
            Part 2 also runs pmark with its audit store (--audit, a fresh file per round, every decision committed \
            before the reply): the store on/off ratio through a real Postfix.
            """)
    var auditStore = false

    func run() throws {
        let levels = connections.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        if !FileManager.default.fileExists(atPath: archive) {
            print("generating \(archive) (\(sizeMB) MB)…")
            try FileManager.default.createDirectory(
                atPath: (archive as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try ArchiveGenerator(targetBytes: sizeMB << 20).write(to: archive)
        }
        let msgs = try MilterLoadGenerator.messages(archive: archive, count: messages)
        print(
            """
            part 1: milter load generator, \(msgs.count) messages (\(msgs.map(\.bytes.count).reduce(0, +) >> 20) MiB) \
            per level, \(System.coreCount) cores
            """
        )
        let dir = NSTemporaryDirectory() + "pmark-milter-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try Engine(policy: PolicyLoader.embeddedDefault(), documents: OOXMLReader())
        let address = ListenAddress(kind: .unix(dir + "/milter.sock"))
        var config = MilterServerConfiguration(listeners: [address])
        config.spoolDirectory = dir
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let sink = try JSONLinesSink(path: dir + "/decisions.jsonl", logAddresses: { false })
        let server = MilterServer(configuration: config, engine: engine, sink: sink, logger: logger, reload: { engine })
        try server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        print("connections   msgs/s   p50 ms   p99 ms   actions")
        for n in levels {
            let r = try blocking {
                try await MilterLoadGenerator.run(address, messages: msgs, connections: n, group: group)
            }
            let acts = r.actions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print(
                String(
                    format: "%11d %8.0f %8.2f %8.2f   ", n, r.messagesPerSecond, r.percentile(0.5) * 1000,
                    r.percentile(0.99) * 1000) + acts)
        }
        server.shutdown()
        try? group.syncShutdownGracefully()

        guard postfixMessages > 0 else { return }
        if let why = PostfixBed.unavailable {
            print("part 2 skipped: \(why)")
            return
        }
        let binary =
            CommandLine.arguments[0].hasPrefix("/")
            ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]
        let policy = dir + "/policy.yaml"
        try (PolicyLoader.embeddedDefaultYAML + "\n").write(toFile: policy, atomically: true, encoding: .utf8)
        let controlName =
            !nullMilter ? "" : nullMilterThroughPool ? ", a null milter answering through a worker" : ", a null milter"
        print(
            """
            part 2: smtp-source → Postfix → smtp-sink, \(postfixMessages) messages, \(sessions) sessions, \(rounds) \
            rounds of without\(controlName) and with pmark\(auditStore ? ", and pmark with its audit store" : ""), in \
            alternating order
            """
        )
        typealias Mode = PostfixThroughput.Mode
        var pairs: [Double] = [], controlPairs: [Double] = [], storePairs: [Double] = [], best: [Mode: Double] = [:],
            accounted = true
        var all: [PostfixThroughput.Result] = []
        let controlSocket = dir + "/null-milter.sock"
        let control = nullMilter ? try NullMilter(path: controlSocket, throughPool: nullMilterThroughPool) : nil
        defer { control?.stop() }
        for round in 1...max(1, rounds) {
            var r: [Mode: PostfixThroughput.Result] = [:]
            // Rounds alternate the order (without, null, with; then with, null, without; …): this
            // machine slows down under sustained load, and a fixed order would charge that drift
            // to pmark.
            let store = dir + "/audit-\(round).db"
            var milters: [PostfixThroughput.Milter] =
                control == nil
                ? [.none, .pmark]
                : [.none, .control(socket: controlSocket, cpuSeconds: { AuditMilterBench.cpuSeconds() }), .pmark]
            if auditStore { milters.append(.pmarkAudited(store: store)) }
            for milter in round % 2 == 1 ? milters : milters.reversed() {
                let load = loadAverage()
                let x = try PostfixThroughput.run(
                    pmarkBinary: binary, policy: policy, milter: milter, messages: postfixMessages, sessions: sessions,
                    unmarked: 100, secret: 100
                ) { print($0) }
                print("round \(round) (load \(load)) \(x)")
                accounted = accounted && x.accounted
                if x.mode == .pmarkAudited {
                    // Every message sent has its committed record, and the chain holds.
                    let s = try AuditStore(path: store)
                    let n = try s.records(AuditFilter()).count, intact = try s.verify().isIntact
                    let chain = intact ? "intact" : "BROKEN"
                    print("  audit store: \(n) decisions recorded of \(x.sent) sent, chain \(chain)")
                    accounted = accounted && n == x.sent && intact
                }
                r[x.mode] = x
                all.append(x)
                best[x.mode] = max(best[x.mode] ?? 0, x.messagesPerSecond)
            }
            if let a = r[.without], let b = r[.pmark] { pairs.append(b.messagesPerSecond / a.messagesPerSecond) }
            if let a = r[.pmark], let b = r[.pmarkAudited] {
                storePairs.append(b.messagesPerSecond / a.messagesPerSecond)
            }
            if let a = r[.without], let n = r[.control] {
                controlPairs.append(n.messagesPerSecond / a.messagesPerSecond)
            }
        }
        let median = Self.median(pairs)
        let bestRatio = (best[.pmark] ?? 0) / (best[.without] ?? 1)
        print(
            "throughput with pmark / without, per round: "
                + pairs.map { String(format: "%.2f", $0) }.joined(separator: " "))
        if !controlPairs.isEmpty {
            print(
                "throughput with the null milter / without, per round: "
                    + controlPairs.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    + String(
                        format: " (median %.2f: what the control%@ costs this Postfix)", Self.median(controlPairs),
                        nullMilterThroughPool ? ", answering through a worker," : ""))
        }
        print(
            String(
                format: "median of the rounds %.2f, best with / best without %.2f (target ≥ 0.80)", median, bestRatio)
                + (median >= 0.8 ? "" : "  BELOW TARGET"))
        if !storePairs.isEmpty {
            print(
                "throughput of pmark with its audit store / without it, per round: "
                    + storePairs.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    + String(format: ", median %.2f (target ≥ 0.80)", Self.median(storePairs))
                    + (Self.median(storePairs) >= 0.8 ? "" : "  BELOW TARGET"))
        }
        let summary = PostfixAttribution(all).lines
        if !summary.isEmpty { print(summary.joined(separator: "\n")) }
        if !accounted { throw ExitCode(1) }
    }

    static func median(_ xs: [Double]) -> Double {
        let sorted = xs.sorted(), mid = sorted.count / 2
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Runs async work from this synchronous command.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = NIOLockedValueBox<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let v = try await body()
                box.withLockedValue { $0 = .success(v) }
            } catch { box.withLockedValue { $0 = .failure(error) } }
            done.signal()
        }
        done.wait()
        return try box.withLockedValue { $0! }.get()
    }
}
