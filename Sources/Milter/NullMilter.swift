import MilterCodec
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The control of `pmark milter bench` part 2: a milter that speaks the protocol exactly as
/// pmark's server does (the same codec, session and negotiated steps, so the MTA sends the same
/// packets) but answers every message with accept without inspecting it. Postfix's cost of
/// having any milter then shows apart from pmark's own. It serves only the benchmark's private
/// Postfix on a unix socket and is not reachable from `pmark milter`.
public final class NullMilter: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel

    /// Listens on `path` (replaced if it exists) with one event-loop thread, as pmark's server.
    public init(path: String) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(ByteToMessageHandler(MilterCommandDecoder(limits: MilterLimits())))
                        try sync.addHandler(MessageToByteHandler(MilterResponseEncoder()))
                        try sync.addHandler(NullMilterHandler())
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        chmod(path, 0o666)
    }

    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// The session as pmark's connection handler runs it, with accept at every end of message.
final class NullMilterHandler: ChannelInboundHandler {
    typealias InboundIn = MilterCommand
    typealias OutboundOut = MilterResponse

    var session = MilterSession()
    var spool = MessageSpool()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let step: SessionStep
        do { step = try session.handle(unwrapInboundIn(data), spool: spool) } catch {
            context.close(promise: nil)
            return
        }
        switch step {
        case .reply(let rs):
            guard !rs.isEmpty else { return }
            for r in rs { context.write(wrapOutboundOut(r), promise: nil) }
            context.flush()
        case .close: context.close(promise: nil)
        case .endOfMessage:
            session.messageDone(spool: spool)
            spool = MessageSpool()
            context.writeAndFlush(wrapOutboundOut(.accept), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
