import ArgumentParser
import DecisionEngine
import Foundation
import Logging
import Milter
import MilterCodec
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OfficeDocuments
import PolicyLanguage

struct MilterGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milter",
        abstract: "The mail gateway: a milter (protocol 6) for Postfix and Sendmail.",
        subcommands: [MilterServe.self, MilterHealth.self, MilterBench.self],
        defaultSubcommand: MilterServe.self)
}

extension ListenAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

struct MilterServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Listen for the MTA and decide every message at end of data.",
        discussion: """
            Listeners: unix:/path, inet:PORT@ADDR or inet6:PORT@ADDR, optionally prefixed with the
            direction of all mail on it: --listen inbound=inet:10025@127.0.0.1 --listen
            outbound=unix:/run/pmark/submission.sock. Without one, the direction comes from
            --daemon-direction (the MTA's {daemon_name}), else it is inferred from the envelope.

            SIGHUP reloads the policy (an invalid one is refused, the old one stays); SIGTERM stops
            accepting, lets open connections finish (--drain-timeout) and exits.
            Postfix: smtpd_milters = inet:127.0.0.1:10025, milter_protocol = 6,
            milter_default_action = tempfail (see contrib/postfix).
            """)

    @Option(name: .customLong("listen"), help: "Listener (repeatable): [DIRECTION=]unix:/path | inet:PORT@ADDR.")
    var listeners: [ListenAddress]

    @Option(help: "Policy file (default: the embedded default policy).")
    var policy: String?

    @Option(
        name: .customLong("daemon-direction"),
        help:
            "NAME=DIRECTION (repeatable): the direction of mail whose {daemon_name} is NAME, e.g. ORIGINATING=outbound."
    )
    var daemonDirections: [String] = []

    @Option(help: "Append every decision as a JSON line to this file (created 0600).")
    var decisionLog: String?

    @Flag(help: "fsync the decision log after every decision.")
    var syncDecisionLog = false

    @Option(
        help:
            """
            Record every decision in this audit store before answering (SQLite, WAL, created 0600); held and blocked \
            messages are kept for `pmark quarantine`.
            """
    )
    var audit: String?

    @Flag(
        help:
            """
            Send the policy's recipient and sender notices through sendmail when a verdict asks for them (needs \
            --audit, where they are recorded).
            """
    )
    var notices = false

    @Option(help: "sendmail for notices (default /usr/sbin/sendmail).")
    var sendmail: String = "/usr/sbin/sendmail"

    @Option(help: "A Postfix configuration directory for sendmail -C (notices).")
    var postfixConfig: String?

    @Option(help: "The notices' From address (default: postmaster@ the policy's first organisation domain).")
    var noticeFrom: String?

    @Option(name: .customLong("header"), help: "Also read this marking header (repeatable), e.g. X-Classification.")
    var extraHeaders: [String] = []

    @Option(help: "Engine evaluations at once (default: the number of cores).")
    var workers: Int = System.coreCount

    @Option(help: "Milter connections at once; more are closed (the MTA tempfails).")
    var maxConnections: Int = 256

    @Option(help: "Seconds a connection may be idle.")
    var idleTimeout: Int64 = 600

    @Option(help: "Seconds a connection may last.")
    var connectionTimeout: Int64 = 3600

    @Option(help: "Seconds from end of message to the reply; beyond it, tempfail.")
    var decisionTimeout: Int64 = 60

    @Option(help: "Seconds open connections may finish after SIGTERM.")
    var drainTimeout: Int64 = 30

    @Option(help: "Bytes of a message kept in memory; the rest is spooled to a private temporary file.")
    var memoryLimit: Int = 4 << 20

    @Option(help: "Bytes inspected at most; a larger message is quarantined.")
    var maxMessageSize: Int = 50 << 20

    @Option(help: "Directory for spool files (default: $TMPDIR or /tmp).")
    var spoolDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard !listeners.isEmpty else { throw ValidationError("at least one --listen is required") }
        for d in daemonDirections {
            let p = d.split(separator: "=", maxSplits: 1)
            guard p.count == 2, Direction(rawValue: String(p[1])) != nil else {
                throw ValidationError("--daemon-direction \(d): expected NAME=inbound|outbound|internal")
            }
        }
        guard workers > 0, maxConnections > 0, idleTimeout > 0, connectionTimeout > 0, decisionTimeout > 0,
            memoryLimit >= 0, maxMessageSize > 0
        else {
            throw ValidationError("limits must be positive")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        if notices && audit == nil { throw ValidationError("--notices needs --audit (every notice is recorded there)") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "pmark.milter")
        let policyPath = policy, headers = extraHeaders
        let makeEngine: @Sendable () throws -> Engine = {
            let p = try policyPath.map { try PolicyLoader.load(contentsOf: $0) } ?? PolicyLoader.embeddedDefault()
            return try Engine(policy: p, documents: OOXMLReader(), extraHeaders: headers)
        }
        let engine: Engine
        do { engine = try makeEngine() } catch let e as PolicyLoadError {
            FileHandle.standardError.write(Data((e.description + "\n").utf8))
            throw ExitCode(65)
        }
        var config = MilterServerConfiguration(listeners: listeners)
        for d in daemonDirections {
            let p = d.split(separator: "=", maxSplits: 1)
            config.daemonDirections[String(p[0])] = Direction(rawValue: String(p[1]))
        }
        config.workers = workers
        config.maxConnections = maxConnections
        config.idleTimeout = .seconds(idleTimeout)
        config.connectionTimeout = .seconds(connectionTimeout)
        config.decisionTimeout = .seconds(decisionTimeout)
        config.drainTimeout = .seconds(drainTimeout)
        config.spool = SpoolLimits(memoryLimit: memoryLimit, maxMessageSize: maxMessageSize)
        if let spoolDir { config.spoolDirectory = spoolDir }
        let holder = EngineBox()
        holder.engine = engine
        var sink: any DecisionSink = DiscardingSink()
        if let decisionLog {
            do {
                sink = try JSONLinesSink(
                    path: decisionLog, sync: syncDecisionLog,
                    logAddresses: { holder.engine?.policy.logAddresses ?? false })
            } catch {
                FileHandle.standardError.write(Data("pmark: \(error)\n".utf8))
                throw ExitCode(74)
            }
        }
        // The audit store is awaited first: a decision it cannot record is answered tempfail.
        var gatewayAudit: GatewayAudit? = nil
        if let audit {
            do {
                let g = try GatewayAudit(
                    path: audit, policy: engine.policy, notices: notices, sendmail: sendmail,
                    postfixConfig: postfixConfig, from: noticeFrom)
                sink = decisionLog == nil ? g.store : FanOutSink([g.store, sink])
                gatewayAudit = g
            } catch {
                FileHandle.standardError.write(Data("pmark: \(audit): \(error)\n".utf8))
                throw ExitCode(74)
            }
        }
        let auditForReload = gatewayAudit
        let server = MilterServer(
            configuration: config, engine: engine, sink: sink, logger: logger,
            reload: {
                let e = try makeEngine()
                holder.engine = e
                auditForReload?.reload(e.policy)
                return e
            })
        // Signals are handled from before the listeners bind (see runUntilTerminated).
        try server.runUntilTerminated {
            do { try server.start() } catch {
                FileHandle.standardError.write(Data("pmark: cannot listen: \(error)\n".utf8))
                throw ExitCode(74)
            }
            logger.notice(
                "pmark milter ready",
                metadata: [
                    "policy": "\(engine.policy.name)", "policy_hash": "\(engine.policy.contentHash)",
                    "workers": "\(workers)",
                ])
        }
    }
}

/// The engine the decision log reads its privacy setting from (follows reloads).
final class EngineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _engine: Engine?
    var engine: Engine? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return _engine
        }
        set {
            lock.lock()
            _engine = newValue
            lock.unlock()
        }
    }
}

struct MilterHealth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a pmark milter answers: option negotiation, then quit. Exit 0 healthy, 1 not.",
        discussion: "For monitoring and systemd: pmark milter health --connect inet:10025@127.0.0.1")

    @Option(help: "The milter to check: unix:/path | inet:PORT@ADDR.")
    var connect: ListenAddress

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int64 = 5

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let result = NIOLockedValueBox<Result<OptionNegotiation, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let target = connect, secs = timeout
        Task {
            do {
                let c = try await MilterClient.connect(target, group: group)
                let o = try await withThrowingTaskGroup(of: OptionNegotiation.self) { g in
                    g.addTask { try await c.negotiate() }
                    g.addTask {
                        try await Task.sleep(nanoseconds: UInt64(secs) * 1_000_000_000)
                        throw MilterClient.TimedOut()
                    }
                    let first = try await g.next()!
                    g.cancelAll()
                    return first
                }
                try? await c.send([.quit])
                await c.close()
                result.withLockedValue { $0 = .success(o) }
            } catch {
                result.withLockedValue { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        switch result.withLockedValue({ $0 }) {
        case .success(let o)?:
            print(
                """
                ok: \(connect) speaks milter protocol \(o.version), actions \
                0x\(String(o.actions.rawValue, radix: 16)), steps 0x\(String(o.protocolFlags.rawValue, radix: 16))
                """
            )
        case .failure(let e)?:
            print("unhealthy: \(connect): \(e)")
            throw ExitCode(1)
        case nil:
            throw ExitCode(1)
        }
    }
}
