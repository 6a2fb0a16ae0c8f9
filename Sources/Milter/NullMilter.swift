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
/// Postfix on a unix socket, is not reachable from `pmark milter`, and is `package`: not part of
/// the Milter library an embedding gateway links.
///
/// With `throughPool`, the accept takes the same path as pmark's decision (a worker of a thread
/// pool as large as pmark's, then back to the event loop) with no work on the worker: what the
/// hand-off that keeps the engine off the event loop costs, apart from the engine.
package final class NullMilter: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let pool: NIOThreadPool?

    /// Listens on `path` (replaced if it exists) with one event-loop thread, as pmark's server.
    package init(path: String, throughPool: Bool = false) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = throughPool ? NIOThreadPool(numberOfThreads: MilterServerConfiguration(listeners: []).workers) : nil
        pool?.start()
        self.pool = pool
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(ByteToMessageHandler(MilterCommandDecoder(limits: MilterLimits())))
                        try sync.addHandler(MessageToByteHandler(MilterResponseEncoder()))
                        try sync.addHandler(NullMilterHandler(pool: pool))
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        } catch {
            try? group.syncShutdownGracefully()
            try? pool?.syncShutdownGracefully()
            throw error
        }
        chmod(path, 0o666)
    }

    package func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        try? pool?.syncShutdownGracefully()
    }
}

/// The session as pmark's connection handler runs it, with accept at every end of message.
final class NullMilterHandler: ChannelInboundHandler {
    typealias InboundIn = MilterCommand
    typealias OutboundOut = MilterResponse

    let pool: NIOThreadPool?
    var session = MilterSession()
    var spool = MessageSpool()

    init(pool: NIOThreadPool?) { self.pool = pool }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let step: SessionStep
        do { step = try session.handle(unwrapInboundIn(data), spool: spool) } catch {
            context.close(promise: nil)
            return
        }
        switch step {
        case .reply(let rs): context.send(rs)
        case .close: context.close(promise: nil)
        case .endOfMessage:
            session.messageDone(spool: spool)
            spool = MessageSpool()
            guard let pool else {
                context.send([.accept])
                return
            }
            let loop = context.eventLoop
            let promise = loop.makePromise(of: Void.self)
            pool.submit { _ in promise.succeed() }
            let ctx = NIOLoopBound(context, eventLoop: loop)
            promise.futureResult.assumeIsolated().whenComplete { _ in
                ctx.value.send([.accept])
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
