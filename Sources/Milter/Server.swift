import DecisionEngine
import Foundation
import Logging
import MailParsing
import MilterCodec
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PolicyLanguage

/// Where the milter listens: `unix:/path` or `inet:PORT@ADDR` (Sendmail's and Postfix's own
/// notation; `inet6:PORT@ADDR` too), optionally prefixed `DIRECTION=` to fix the direction of
/// everything that arrives on it.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case unix(String), inet(host: String, port: Int) }
    public var kind: Kind
    public var direction: Direction?

    public init(kind: Kind, direction: Direction? = nil) {
        self.kind = kind
        self.direction = direction
    }

    /// Parses `[inbound=|outbound=|internal=]unix:/path | inet:PORT@ADDR | inet6:PORT@ADDR`.
    public init?(_ spec: String) {
        var s = Substring(spec)
        if let eq = s.firstIndex(of: "="), let d = Direction(rawValue: String(s[..<eq])) {
            direction = d
            s = s[s.index(after: eq)...]
        }
        if s.hasPrefix("unix:") || s.hasPrefix("local:") {
            let p = s.drop { $0 != ":" }.dropFirst()
            guard p.hasPrefix("/") else { return nil }
            kind = .unix(String(p))
        } else if s.hasPrefix("inet:") || s.hasPrefix("inet6:") {
            let rest = s.drop { $0 != ":" }.dropFirst()
            let parts = rest.split(separator: "@", maxSplits: 1)
            guard let port = Int(parts.first ?? ""), (1...65535).contains(port) else { return nil }
            var host = parts.count == 2 ? String(parts[1]) : (s.hasPrefix("inet6:") ? "::1" : "127.0.0.1")
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            kind = .inet(host: host, port: port)
        } else {
            return nil
        }
    }

    public var description: String {
        let d = direction.map { "\($0.rawValue)=" } ?? ""
        switch kind {
        case .unix(let p): return d + "unix:" + p
        case .inet(let h, let p): return d + "inet:\(p)@\(h)"
        }
    }
}

/// Operating limits of the server. Each has a default and a reason.
public struct MilterServerConfiguration: Sendable {
    public var listeners: [ListenAddress]
    public var daemonDirections: [String: Direction] = [:]
    /// Engine evaluations at once (threads off the event loops). Default: the machine's cores —
    /// evaluation is CPU-bound, more threads only queue.
    public var workers: Int = System.coreCount
    /// Milter connections at once; more are closed at once (Postfix then applies its
    /// `milter_default_action`, tempfail). Postfix opens one per SMTP session, so this also
    /// bounds messages in flight and memory (`spool.memoryLimit` each). Default 256.
    public var maxConnections: Int = 256
    /// A connection with no traffic this long is closed. Postfix keeps the milter connection
    /// for a whole SMTP session and waits up to `smtpd_timeout` (300 s) on a slow client, so the
    /// default (600 s) is above that.
    public var idleTimeout: TimeAmount = .seconds(600)
    /// A connection older than this is closed (one SMTP session; bounds a peer that trickles).
    public var connectionTimeout: TimeAmount = .seconds(3600)
    /// End of message to reply: beyond it the answer is tempfail (Postfix's own
    /// `milter_content_timeout` is 300 s; the default 60 s answers well before it).
    public var decisionTimeout: TimeAmount = .seconds(60)
    /// On SIGTERM, how long open connections may finish before they are closed.
    public var drainTimeout: TimeAmount = .seconds(30)
    public var spool: SpoolLimits = SpoolLimits()
    public var spoolDirectory: String = NSTemporaryDirectory()
    public var codec: MilterLimits = .default
    /// Permissions of a unix socket (the MTA's user must connect: Postfix runs as `postfix`).
    public var socketMode: mode_t = 0o666

    public init(listeners: [ListenAddress]) { self.listeners = listeners }
}

/// The engine in use, replaced atomically on reload.
public final class EngineHolder: Sendable {
    private let box: NIOLockedValueBox<Engine>
    public init(_ engine: Engine) { box = NIOLockedValueBox(engine) }
    public var current: Engine { box.withLockedValue { $0 } }
    public func replace(_ e: Engine) { box.withLockedValue { $0 = e } }
}

/// Everything a connection shares with the server.
struct ServerShared: Sendable {
    let config: MilterServerConfiguration
    let engines: EngineHolder
    let sink: any DecisionSink
    /// The same sink when it records without waiting (a file, nothing): called on the worker
    /// that decided, so a message costs two thread hand-offs instead of three.
    let synchronousSink: (any SynchronousDecisionSink)?
    /// The same sink when it reports through a completion (the audit store's group commit):
    /// called on the worker that decided, the reply sent from its completion, three hand-offs.
    let completionSink: (any CompletionDecisionSink)?
    let pool: NIOThreadPool
    let logger: Logger
    let connections: NIOLockedValueBox<Int>
    let clock: @Sendable () -> Double
}

/// The milter server: SwiftNIO listeners around `MilterSession`, the engine on a thread pool,
/// the decision sink awaited before every end-of-message reply.
public final class MilterServer: Sendable {
    let shared: ServerShared
    let group: MultiThreadedEventLoopGroup
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let reload: @Sendable () throws -> Engine

    /// - Parameter reload: builds a fresh engine from the policy file (SIGHUP); throws the
    ///   loader's diagnostics when the policy is invalid, and the old engine stays.
    public init(
        configuration: MilterServerConfiguration, engine: Engine, sink: any DecisionSink, logger: Logger,
        reload: @escaping @Sendable () throws -> Engine,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        let pool = NIOThreadPool(numberOfThreads: max(1, configuration.workers))
        pool.start()
        shared = ServerShared(
            config: configuration, engines: EngineHolder(engine), sink: sink,
            synchronousSink: (sink as? any SynchronousDecisionSink) ?? (sink as? FanOutSink)?.synchronous,
            completionSink: (sink as? any CompletionDecisionSink) ?? (sink as? FanOutSink)?.completion, pool: pool,
            logger: logger, connections: NIOLockedValueBox(0), clock: clock)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.reload = reload
    }

    public var engines: EngineHolder { shared.engines }
    public var openConnections: Int { shared.connections.withLockedValue { $0 } }

    /// Binds every listener. A unix socket path is replaced if it exists and made connectable.
    public func start() throws {
        for l in shared.config.listeners {
            let shared = self.shared
            let rules = DirectionRules(listener: l.direction, daemonNames: shared.config.daemonDirections)
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    let admitted = shared.connections.withLockedValue { n -> Bool in
                        guard n < shared.config.maxConnections else { return false }
                        n += 1
                        return true
                    }
                    guard admitted else {
                        shared.logger.warning(
                            "connection refused: limit reached",
                            metadata: ["max_connections": "\(shared.config.maxConnections)"])
                        return channel.close()
                    }
                    channel.closeFuture.whenComplete { _ in shared.connections.withLockedValue { $0 -= 1 } }
                    return channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(IdleStateHandler(allTimeout: shared.config.idleTimeout))
                        try sync.addHandler(ByteToMessageHandler(MilterCommandDecoder(limits: shared.config.codec)))
                        try sync.addHandler(MessageToByteHandler(MilterResponseEncoder()))
                        try sync.addHandler(MilterConnectionHandler(shared: shared, rules: rules))
                    }
                }
            let ch: Channel
            switch l.kind {
            case .unix(let path):
                ch = try bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
                chmod(path, shared.config.socketMode)
            case .inet(let host, let port):
                ch = try bootstrap.bind(host: host, port: port).wait()
            }
            channels.withLockedValue { $0.append(ch) }
            shared.logger.info("listening", metadata: ["listen": "\(l)"])
        }
    }

    /// The bound port of an inet listener (tests bind port 0... via a chosen port).
    public var localPorts: [Int] { channels.withLockedValue { $0.compactMap { $0.localAddress?.port } } }

    /// Reloads the policy: a valid one replaces the engine for every message that ends after
    /// this; an invalid one is refused with its diagnostics and the old one stays.
    @discardableResult
    public func reloadPolicy() -> Bool {
        do {
            let e = try reload()
            shared.engines.replace(e)
            shared.logger.notice(
                "policy reloaded", metadata: ["policy": "\(e.policy.name)", "policy_hash": "\(e.policy.contentHash)"])
            return true
        } catch {
            shared.logger.error(
                "policy reload refused; the previous policy stays in force", metadata: ["diagnostics": "\(error)"])
            return false
        }
    }

    /// Stops accepting, lets open connections finish (up to `drainTimeout`), then closes them.
    public func shutdown() {
        let listeners = channels.withLockedValue { c -> [Channel] in
            defer { c = [] }
            return c
        }
        for ch in listeners { try? ch.close().wait() }
        let deadline = NIODeadline.now() + shared.config.drainTimeout
        while openConnections > 0 && NIODeadline.now() < deadline { usleep(50_000) }
        if openConnections > 0 {
            shared.logger.warning("drain timeout: closing open connections", metadata: ["open": "\(openConnections)"])
        }
        try? group.syncShutdownGracefully()
        try? shared.pool.syncShutdownGracefully()
        shared.logger.notice("stopped")
    }

    /// Runs until SIGTERM or SIGINT (then drains); SIGHUP reloads the policy.
    ///
    /// The signals are handled before `starting` runs (it binds the listeners): an MTA or an
    /// operator that sees the socket may signal at once, and a SIGHUP that arrived between the
    /// bind and the handlers used to be lost (or, before `SIG_IGN`, end the process). When
    /// `starting` throws, the handlers are removed and the error passes on.
    public func runUntilTerminated(starting: () throws -> Void = {}) rethrows {
        signal(SIGHUP, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let q = DispatchQueue(label: "pmark.milter.signals")
        let done = DispatchSemaphore(value: 0)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: q)
        hup.setEventHandler { [self] in _ = reloadPolicy() }
        hup.resume()
        var stops: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let s = DispatchSource.makeSignalSource(signal: sig, queue: q)
            s.setEventHandler { done.signal() }
            s.resume()
            stops.append(s)
        }
        do { try starting() } catch {
            hup.cancel()
            stops.forEach { $0.cancel() }
            throw error
        }
        done.wait()
        shared.logger.notice("terminating: draining connections", metadata: ["open": "\(openConnections)"])
        shutdown()
        hup.cancel()
        stops.forEach { $0.cancel() }
    }
}

struct DecisionTimeout: Error {}

/// One milter connection: decodes commands into the session, replies, and at end of message
/// runs the engine on the thread pool and awaits the sink before replying. Anything that goes
/// wrong while deciding answers tempfail; anything wrong with the framing closes the connection.
final class MilterConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MilterCommand
    typealias OutboundOut = MilterResponse

    let shared: ServerShared
    let rules: DirectionRules
    var session = MilterSession()
    var spool: MessageSpool
    /// An end-of-message decision is running; commands that arrive meanwhile wait.
    var pending: Int? = nil
    var nextDecision = 0
    var queued: [MilterCommand] = []
    var lifetime: Scheduled<Void>?
    var closing = false

    init(shared: ServerShared, rules: DirectionRules) {
        self.shared = shared
        self.rules = rules
        spool = MessageSpool(limits: shared.config.spool, directory: shared.config.spoolDirectory)
    }

    func channelActive(context: ChannelHandlerContext) {
        let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
        lifetime = context.eventLoop.assumeIsolated().scheduleTask(in: shared.config.connectionTimeout) {
            self.shared.logger.info("connection timeout: closing")
            ctx.value.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        lifetime?.cancel()
        closing = true
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if pending == nil {
                shared.logger.info("idle timeout: closing")
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed frames (MilterCodecError) and I/O errors end the connection; the MTA applies
        // its default action (tempfail).
        shared.logger.warning("closing connection", metadata: ["error": "\(error)"])
        closing = true
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let cmd = unwrapInboundIn(data)
        if pending != nil || closing {
            queued.append(cmd)
            return
        }
        process(cmd, context: context)
    }

    func process(_ cmd: MilterCommand, context: ChannelHandlerContext) {
        let step: SessionStep
        do {
            step = try session.handle(cmd, spool: spool)
        } catch {
            errorCaught(context: context, error: error)
            return
        }
        switch step {
        case .reply(let rs): context.send(rs)
        case .close:
            closing = true
            context.close(promise: nil)
        case .endOfMessage:
            decide(context: context)
        }
    }

    func decide(context: ChannelHandlerContext) {
        nextDecision += 1
        let id = nextDecision
        pending = id
        let messageSpool = spool
        spool = MessageSpool(limits: shared.config.spool, directory: shared.config.spoolDirectory)
        let s = session
        let envelope = Gateway.envelope(s, rules: rules)
        let engine = shared.engines.current
        let shared = self.shared
        let abandoned = NIOLockedValueBox(false)
        let started = DispatchTime.now().uptimeNanoseconds
        let queueID = s.macros["i"], daemon = s.macros["daemon_name"]
        let loop = context.eventLoop
        let promise = loop.makePromise(of: [MilterResponse].self)
        // The engine runs on the thread pool; a synchronous sink (the decision log, none) is
        // then called on that thread, and the reply goes out on the event loop: two thread
        // hand-offs per message. A completion sink (the audit store's group commit) is called on
        // that thread too and the reply sent from its completion on the store's writer: three.
        // Any other sink is awaited in a task started from the worker (five with the store:
        // the task, the writer, resuming the task, the event loop), each a wake-up that costs
        // most on a busy gateway.
        shared.pool.submit { state in
            guard case .active = state else {
                promise.fail(CancellationError())
                return
            }
            // The engine's parse travels with the decision, so the audit store's privacy
            // redaction does not parse the message a second time.
            let decided = Result { () throws -> (Verdict, Message?, [UInt8]) in
                let bytes = try messageSpool.contents()
                if messageSpool.exceedsMaximum {
                    return (
                        engine.notInspected(
                            envelope: envelope,
                            detail:
                                """
                                message of \(messageSpool.totalBytes) bytes exceeds the inspected maximum of \
                                \(messageSpool.limits.maxMessageSize)
                                """
                        ), nil, bytes
                    )
                }
                let evaluation = engine.evaluate(bytes: bytes, envelope: envelope, envelopeFromHeaders: false)
                return (evaluation.verdict, evaluation.message, bytes)
            }
            guard case .success(let (verdict, message, bytes)) = decided else {
                if case .failure(let e) = decided { promise.fail(e) }
                return
            }
            if abandoned.withLockedValue({ $0 }) {
                promise.fail(DecisionTimeout())
                return
            }
            let event = DecisionEvent(
                unixTime: shared.clock(), origin: .gateway(queueID: queueID, daemonName: daemon),
                envelope: envelope, verdict: verdict, messageBytes: bytes, message: message)
            @Sendable func recorded() -> [MilterResponse] {
                Self.log(
                    shared.logger, verdict: verdict, envelope: envelope, policy: engine.policy, queueID: queueID,
                    size: messageSpool.totalBytes,
                    micros: (DispatchTime.now().uptimeNanoseconds - started) / 1000)
                return Gateway.responses(for: verdict, session: s, policy: engine.policy)
            }
            if let sink = shared.synchronousSink {
                promise.completeWith(Result { try sink.recordNow(event) }.map { recorded() })
            } else if let sink = shared.completionSink {
                sink.record(event) { result in promise.completeWith(result.map { recorded() }) }
            } else {
                promise.completeWithTask {
                    try await shared.sink.record(event)
                    return recorded()
                }
            }
        }
        let ctx = NIOLoopBound(context, eventLoop: loop)
        let timer = loop.assumeIsolated().scheduleTask(in: shared.config.decisionTimeout) {
            guard self.pending == id else { return }
            abandoned.withLockedValue { $0 = true }
            shared.logger.error("decision timeout: tempfail", metadata: ["queue_id": "\(queueID ?? "-")"])
            self.finish(Gateway.tempfail(engine.policy), id: id, context: ctx.value)
        }
        promise.futureResult.assumeIsolated().whenComplete { result in
            timer.cancel()
            switch result {
            case .success(let rs): self.finish(rs, id: id, context: ctx.value)
            case .failure(let e):
                if !(e is DecisionTimeout) {
                    shared.logger.error(
                        "decision failed: tempfail", metadata: ["queue_id": "\(queueID ?? "-")", "error": "\(e)"])
                }
                self.finish(Gateway.tempfail(engine.policy), id: id, context: ctx.value)
            }
        }
    }

    func finish(_ responses: [MilterResponse], id: Int, context: ChannelHandlerContext) {
        guard pending == id else { return }
        pending = nil
        session.messageDone(spool: spool)
        guard !closing else { return }
        context.send(responses)
        while pending == nil, !closing, !queued.isEmpty {
            process(queued.removeFirst(), context: context)
        }
    }

    static func log(
        _ logger: Logger, verdict v: Verdict, envelope: Envelope, policy: Policy, queueID: String?, size: Int,
        micros: UInt64
    ) {
        // The metadata is built only when the line is written (not at --log-level warning/error).
        guard logger.logLevel <= .info else { return }
        var md: Logger.Metadata = [
            "queue_id": "\(queueID ?? "-")", "direction": "\(v.direction.rawValue)",
            "action": "\(v.messageAction.rawValue)",
            "recipients": "\(envelope.recipients.count)", "size": "\(size)", "micros": "\(micros)",
            "rules": "\(Set(v.decisions.flatMap(\.reasons).map(\.rule.id)).sorted().joined(separator: ","))",
            "blocked": "\(v.decisions.filter { $0.action == .block }.map(\.recipients.count).reduce(0, +))",
        ]
        if policy.logAddresses {
            md["mail_from"] = "\(envelope.mailFrom ?? "")"
            md["blocked_recipients"] =
                "\(v.decisions.filter { $0.action == .block }.flatMap(\.recipients).joined(separator: ","))"
        }
        logger.info("decision", metadata: md)
    }
}

extension ChannelHandlerContext {
    /// Writes the responses and flushes once (nothing at all for none: a step negotiated as
    /// no-reply). For the milter handlers, whose outbound type is `MilterResponse`.
    func send(_ responses: [MilterResponse]) {
        guard !responses.isEmpty else { return }
        for r in responses { write(NIOAny(r), promise: nil) }
        flush()
    }
}
