import MilterCodec
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A milter client playing the MTA: the health check, the load generator and the tests use it.
public final class MilterClient: Sendable {
    let channel: Channel
    let collector: NIOLoopBound<ResponseCollector>

    public struct Closed: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "the milter closed the connection" }
    }
    public struct TimedOut: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "no reply from the milter in time" }
    }

    init(channel: Channel, collector: NIOLoopBound<ResponseCollector>) {
        self.channel = channel
        self.collector = collector
    }

    public static func connect(_ address: ListenAddress, group: EventLoopGroup) async throws -> MilterClient {
        // The collector is captured as the pipeline is built: the milter may close the connection
        // at once (connection limit), tearing the pipeline down before anyone could look it up.
        let collector = NIOLockedValueBox<NIOLoopBound<ResponseCollector>?>(nil)
        let bootstrap = ClientBootstrap(group: group).connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let c = ResponseCollector()
                    try sync.addHandler(ByteToMessageHandler(MilterResponseDecoder()))
                    try sync.addHandler(MessageToByteHandler(MilterCommandEncoder()))
                    try sync.addHandler(c)
                    collector.withLockedValue { $0 = NIOLoopBound(c, eventLoop: channel.eventLoop) }
                }
            }
        let ch: Channel
        switch address.kind {
        case .unix(let p): ch = try await bootstrap.connect(unixDomainSocketPath: p).get()
        case .inet(let h, let port): ch = try await bootstrap.connect(host: h, port: port).get()
        }
        guard let loopBound = collector.withLockedValue({ $0 }) else { throw Closed() }
        return MilterClient(channel: ch, collector: loopBound)
    }

    /// Sends commands (one flush).
    public func send(_ commands: [MilterCommand]) async throws {
        guard let last = commands.last else { return }
        for c in commands.dropLast() { channel.write(c, promise: nil) }
        try await channel.writeAndFlush(last).get()
    }

    /// Sends raw bytes (malformed-frame tests).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        // Bypass the encoder: write a ByteBuffer to the head of the pipeline.
        try await channel.pipeline.context(handlerType: MessageToByteHandler<MilterCommandEncoder>.self).flatMap {
            ctx in
            ctx.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)))
        }.get()
    }

    /// The next response, or `Closed` when the milter closed the connection.
    public func next(timeout: TimeAmount = .seconds(30)) async throws -> MilterResponse {
        let loop = channel.eventLoop
        let collector = self.collector
        let f: EventLoopFuture<MilterResponse> = loop.flatSubmit {
            let p = loop.makePromise(of: MilterResponse.self)
            collector.value.wait(p)
            let t = loop.scheduleTask(in: timeout) { p.fail(TimedOut()) }
            p.futureResult.whenComplete { _ in t.cancel() }
            return p.futureResult
        }
        return try await f.get()
    }

    /// Responses until a final one (accept, continue, reject, tempfail, reply code, …).
    public func untilFinal(timeout: TimeAmount = .seconds(30)) async throws -> [MilterResponse] {
        var out: [MilterResponse] = []
        while true {
            let r = try await next(timeout: timeout)
            out.append(r)
            if r.isFinal { return out }
        }
    }

    /// Whether the connection is closed (waits up to `timeout` for the close).
    public func isClosed(within timeout: TimeAmount = .seconds(5)) async -> Bool {
        let loop = channel.eventLoop
        let p = loop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in p.succeed(true) }
        loop.scheduleTask(in: timeout) { p.succeed(false) }
        return (try? await p.futureResult.get()) ?? false
    }

    public func close() async { try? await channel.close().get() }

    /// Option negotiation as Postfix 3.7 offers it (version 6, every action, every protocol step).
    public static let postfixOffer = OptionNegotiation(
        version: 6, actions: ActionFlags(rawValue: 0x1FF), protocolFlags: ProtocolFlags(rawValue: 0x1FFFFF))

    /// Negotiates; returns the milter's answer.
    public func negotiate(_ offer: OptionNegotiation = postfixOffer) async throws -> OptionNegotiation {
        try await send([.optionNegotiation(offer)])
        guard case .optionNegotiation(let o) = try await next() else {
            throw MilterCodecError.invalidField(code: 0x4F, field: "negotiation reply")
        }
        return o
    }

    /// One whole transaction, as Postfix sends it, after negotiation: connect (once per
    /// connection), MAIL, RCPTs, headers, body in 64 KiB chunks, end of message. Returns the
    /// end-of-message responses. Replies to steps that expect one are consumed and must be
    /// `continue`.
    public func transaction(
        _ m: ClientMessage, negotiated: OptionNegotiation, connect: Bool = true,
        beforeEndOfBody: @Sendable () -> Void = {}
    ) async throws -> [MilterResponse] {
        let p = negotiated.protocolFlags
        func expect(_ noReply: ProtocolFlags, _ what: String) async throws {
            if p.contains(noReply) { return }
            let r = try await next()
            guard r == .continue else { throw MilterCodecError.invalidField(code: 0, field: "\(what) reply \(r)") }
        }
        if connect {
            try await send([
                .macro(
                    stage: CommandCode.connect.rawValue,
                    macros: [Macro("j", "mx.test"), Macro("{daemon_name}", m.daemonName)]),
                .connect(hostname: "client.test", address: .inet(address: m.clientAddress, port: 40000)),
            ])
            try await expect(.noReplyConnect, "connect")
        }
        var mailMacros = [Macro("{mail_addr}", m.mailFrom)]
        if let a = m.authenticatedAs { mailMacros.append(Macro("{auth_authen}", a)) }
        try await send([
            .macro(stage: CommandCode.mail.rawValue, macros: mailMacros),
            .mail(arguments: ["<\(m.mailFrom)>", "BODY=8BITMIME"]),
        ])
        try await expect(.noReplyMail, "MAIL")
        for r in m.recipients {
            try await send([
                .macro(stage: CommandCode.recipient.rawValue, macros: [Macro("{rcpt_addr}", r)]),
                .recipient(arguments: ["<\(r)>"]),
            ])
            try await expect(.noReplyRecipient, "RCPT")
        }
        if !p.contains(.noData) {
            try await send([.data])
            try await expect(.noReplyData, "DATA")
        }
        let (headers, body) = ClientMessage.split(m.bytes)
        for (n, v) in headers {
            try await send([.header(name: n, value: p.contains(.headerLeadingSpace) ? v : Array(v.drop { $0 == 32 }))])
            try await expect(.noReplyHeader, "header")
        }
        try await send([.endOfHeaders])
        try await expect(.noReplyEndOfHeaders, "end of headers")
        var i = 0
        while i < body.count {
            let end = min(body.count, i + Milter.chunkSize)
            try await send([.body(Array(body[i..<end]))])
            try await expect(.noReplyBody, "body")
            i = end
        }
        beforeEndOfBody()
        try await send([.macro(stage: CommandCode.endOfBody.rawValue, macros: [Macro("i", m.queueID)]), .endOfBody([])])
        return try await untilFinal()
    }
}

/// A message and its envelope, for `MilterClient.transaction`.
public struct ClientMessage: Sendable {
    public var mailFrom: String
    public var recipients: [String]
    public var bytes: [UInt8]
    public var queueID: String = "4ABCDE1234"
    public var daemonName: String = "smtpd"
    public var clientAddress: String = "192.0.2.10"
    public var authenticatedAs: String? = nil
    public init(mailFrom: String, recipients: [String], bytes: [UInt8]) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.bytes = bytes
    }

    /// Header fields (name, value with its leading space, folds as CRLF) and the body with CRLF
    /// line ends, as Postfix hands them to a milter.
    static func split(_ bytes: [UInt8]) -> ([([UInt8], [UInt8])], [UInt8]) {
        var lines: [[UInt8]] = []
        var i = 0, start = 0
        var bodyStart = bytes.count
        while i < bytes.count {
            if bytes[i] == 10 {
                var line = Array(bytes[start..<i])
                if line.last == 13 { line.removeLast() }
                start = i + 1
                if line.isEmpty {
                    bodyStart = start
                    break
                }
                lines.append(line)
            }
            i += 1
        }
        if bodyStart == bytes.count, start < bytes.count { lines.append(Array(bytes[start...])) }
        var headers: [([UInt8], [UInt8])] = []
        for l in lines {
            if let f = l.first, f == 32 || f == 9, !headers.isEmpty {
                headers[headers.count - 1].1 += [13, 10] + l
            } else if let c = l.firstIndex(of: UInt8(ascii: ":")) {
                headers.append((Array(l[..<c]), Array(l[(c + 1)...])))
            }
        }
        var body: [UInt8] = []
        body.reserveCapacity(bytes.count - min(bodyStart, bytes.count) + 1024)
        var prev: UInt8 = 0
        for b in bytes[min(bodyStart, bytes.count)...] {
            if b == 10 && prev != 13 { body.append(13) }
            body.append(b)
            prev = b
        }
        return (headers, body)
    }
}

/// Collects responses on the event loop and hands them to waiters in order.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = MilterResponse
    var buffered: [MilterResponse] = []
    var waiters: [EventLoopPromise<MilterResponse>] = []
    var closed = false

    func wait(_ p: EventLoopPromise<MilterResponse>) {
        if !buffered.isEmpty {
            p.succeed(buffered.removeFirst())
        } else if closed {
            p.fail(MilterClient.Closed())
        } else {
            waiters.append(p)
        }
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let r = unwrapInboundIn(data)
        if !waiters.isEmpty { waiters.removeFirst().succeed(r) } else { buffered.append(r) }
    }
    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        for w in waiters { w.fail(MilterClient.Closed()) }
        waiters = []
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
