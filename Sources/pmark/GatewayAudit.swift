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

/// `pmark milter --audit DB [--notices]`: the store the milter awaits before every reply, its
/// notices, and what a policy reload changes.
struct GatewayAudit {
    let store: AuditStore
    let notices: Bool
    let mta: MTA
    let from: String?

    init(path: String, policy: Policy, notices: Bool, sendmail: String, postfixConfig: String?, from: String?) throws {
        self.notices = notices
        mta = MTA(sendmail: sendmail, configDirectory: postfixConfig)
        self.from = from
        store = try AuditStore(path: path, options: .init(privacy: policy.privacy, notices: nil))
        reload(policy)
    }

    func settings(_ policy: Policy) -> NoticeSettings? {
        notices ? NoticeSettings(policy: policy, mta: mta, from: from) : nil
    }

    func reload(_ policy: Policy) { store.reconfigure(privacy: policy.privacy, notices: settings(policy)) }
}

/// `pmark audit bench-milter`: the milter's messages/s with the audit store on and off, in the
/// same run (in-process milter on a unix socket, the load generator playing Postfix).
struct AuditMilterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-milter",
        abstract:
            "The milter's messages/s with the audit store on vs off, same messages, same run (build with -c release).",
        discussion:
            """
            Rounds come in pairs, in alternating order (off, on; on, off; …); each pair's ratio, their median (the \
            figure for the target on/off ≥ 0.8), the best of each mode, and CPU per message.
            """
    )
    @Option(help: "Messages per round.") var messages: Int = 2000
    @Option(help: "Concurrent milter connections.") var connections: Int = 8
    @Option(help: "Rounds per mode (pairs of off and on, in alternating order; each pair is compared).")
    var rounds: Int = 3
    @Option(help: "Size in MB of the generated archive the messages come from.") var sizeMB: Int = 24
    @Option(
        help: """
            Percentage of the messages that are held or blocked (their bytes kept), spread evenly and cycled from \
            the archive's (default: the archive's own mix, 71 % for the generated archive).
            """)
    var heldPercent: Double?
    @Flag(help: "Attribution: do not keep held/blocked bytes.") var noBytes = false

    func validate() throws {
        if let heldPercent, !(0...100).contains(heldPercent) {
            throw ValidationError("--held-percent must be between 0 and 100, not \(heldPercent)")
        }
        if messages < 1 { throw ValidationError("--messages must be at least 1, not \(messages)") }
    }
    @Flag(help: "Attribution: synchronous=NORMAL (not durable at commit).") var noFsync = false
    @Flag(help: "Attribution: privacy open (no keyed hashes, no redaction).") var openPrivacy = false

    func run() throws {
        let dir = NSTemporaryDirectory() + "pmark-audit-milter-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let archive = dir + "/archive.mbox"
        try ArchiveGenerator(targetBytes: sizeMB << 20).write(to: archive)
        let policy = try PolicyLoader.embeddedDefault()
        let engine = try Engine(policy: policy, documents: OOXMLReader())
        var mix = try MilterLoadGenerator.messages(archive: archive, count: messages)
        if let heldPercent {
            // The store keeps the bytes of held (quarantined) and blocked messages; the engine
            // decides which those are, with the envelope the milter would build.
            mix = MilterLoadGenerator.mixed(mix, count: messages, heldShare: heldPercent / 100) { m in
                let v = engine.evaluate(
                    bytes: m.bytes, envelope: Envelope(mailFrom: m.mailFrom, recipients: m.recipients),
                    envelopeFromHeaders: false
                ).verdict
                return v.messageAction == .quarantine || v.decisions.contains { $0.action == .block }
            }
            guard !mix.isEmpty else { throw ValidationError("the archive has no messages for that mix") }
        }
        let msgs = mix
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        print(
            """
            \(msgs.count) messages (\(msgs.map(\.bytes.count).reduce(0, +) >> 10) KiB), \(connections) connections, \
            \(System.coreCount) cores
            """
        )
        var best: [Bool: Double] = [:], bestCPU: [Bool: Double] = [:], pairs: [Double] = []
        var pair: [Bool: Double] = [:]
        for round in 0..<(2 * rounds) {
            // Pairs alternate their order (off, on; then on, off; …): this machine slows down
            // under sustained load, and a fixed order would charge that drift to one side.
            let on = (round / 2) % 2 == 0 ? round % 2 == 1 : round % 2 == 0
            let address = ListenAddress(kind: .unix(dir + "/m\(round).sock"))
            var config = MilterServerConfiguration(listeners: [address])
            config.spoolDirectory = dir
            let db = dir + "/audit\(round).db"
            let options = AuditStore.Options(
                privacy: openPrivacy ? .open : policy.privacy, keepMessageBytes: !noBytes, synchronousFull: !noFsync)
            let sink: any DecisionSink = on ? try AuditStore(path: db, options: options) : DiscardingSink()
            let server = MilterServer(
                configuration: config, engine: engine, sink: sink, logger: logger, reload: { engine })
            try server.start()
            let load = loadAverage()
            let cpu0 = Self.cpuSeconds()
            let r = try blocking {
                try await MilterLoadGenerator.run(address, messages: msgs, connections: connections, group: group)
            }
            let cpu = Self.cpuSeconds() - cpu0
            server.shutdown()
            var recorded = ""
            if on, let s = sink as? AuditStore {
                // The store's own CPU (its threads' clocks: steady under load), per decision.
                let spent = s.cpuSpent
                let per = { (seconds: Double) in seconds / Double(max(1, spent.decisions)) * 1000 }
                let n = try s.records(AuditFilter()).count
                let kept = try s.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM quarantine") ?? 0 }
                recorded =
                    String(
                        format: ", store CPU %.3f + %.3f ms/decision (prepare + write)", per(spent.prepareSeconds),
                        per(spent.writeSeconds))
                    + ", \(n) decisions recorded (\(kept) with bytes kept), chain "
                    + (try s.verify().isIntact ? "intact" : "BROKEN")
            }
            let cpuPerMessage = cpu / Double(max(1, msgs.count)) * 1000
            print(
                String(
                    format: "round %d store %@: %6.0f msgs/s  p50 %.2f ms  p99 %.2f ms  CPU %.2f ms/msg", round + 1,
                    on ? "on " : "off", r.messagesPerSecond,
                    r.percentile(0.5) * 1000, r.percentile(0.99) * 1000, cpuPerMessage) + recorded + "  (load \(load))")
            best[on] = max(best[on] ?? 0, r.messagesPerSecond)
            pair[on] = r.messagesPerSecond
            if round % 2 == 1, let a = pair[true], let b = pair[false] {
                pairs.append(a / b)
                pair = [:]
            }
            bestCPU[on] = min(bestCPU[on] ?? .infinity, cpuPerMessage)
        }
        if !pairs.isEmpty {
            let sorted = pairs.sorted(), mid = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
            print(
                "ratio on/off per pair: " + pairs.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    + String(format: ", median %.2f (target >= 0.8)", median))
        }
        if let off = best[false], let on = best[true], let cOff = bestCPU[false], let cOn = bestCPU[true] {
            print(
                String(
                    format:
                        """
                        best: store off %.0f msgs/s, store on %.0f msgs/s, ratio %.2f; CPU (this process, load \
                        generator included) %.2f vs %.2f ms/msg, off/on %.2f
                        """,
                    off, on, on / off, cOff, cOn, cOff / cOn))
        }
    }
}

extension AuditMilterBench {
    /// User + system CPU seconds of this process so far (getrusage): on a shared machine, CPU per
    /// message is steadier than wall-clock throughput, and it shows what the store costs.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
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

/// The 1-, 5- and 15-minute load averages (/proc/loadavg), printed beside every benchmark figure:
/// on a shared machine a figure means little without the load it was measured under.
func loadAverage() -> String {
    guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
    return s.split(separator: " ").prefix(3).joined(separator: " ")
}
