import Foundation
import MilterCodec
import Testing

@testable import Milter

/// The benchmark's control: the same negotiation as pmark's server, so Postfix sends it the same
/// packets, and accept for every message, so only the protocol's cost is measured.
@Suite("Null milter (the gateway benchmark's control)", .serialized)
struct NullMilterTests {
    /// A null milter on a fresh unix socket, and a client connected to it.
    static func withNullMilter(
        throughPool: Bool = false, _ body: (MilterClient) async throws -> Void
    ) async throws {
        let dir = NSTemporaryDirectory() + "pmark-null-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let null = try NullMilter(path: dir + "/null.sock", throughPool: throughPool)
        defer { null.stop() }
        let c = try await MilterClient.connect(ListenAddress(kind: .unix(dir + "/null.sock")), group: Fixture.group)
        try await body(c)
        await c.close()
    }

    @Test("it negotiates exactly what pmark's server negotiates and accepts every message on one connection")
    func sameNegotiationAndAccept() async throws {
        let pmark = try TestServer()
        defer { pmark.stop() }
        let (p, pmarkTerms) = try await pmark.client()
        await p.close()
        try await Self.withNullMilter { c in
            let o = try await c.negotiate()
            #expect(o == pmarkTerms)
            // SECRET inbound, which pmark rejects: the control inspects nothing.
            #expect(try await c.transaction(secretInbound, negotiated: o) == [.accept])
            #expect(try await c.transaction(unmarkedOutbound, negotiated: o, connect: false) == [.accept])
        }
    }

    @Test("through the worker pool it still accepts every message, in order, on one connection")
    func throughPool() async throws {
        try await Self.withNullMilter(throughPool: true) { c in
            let o = try await c.negotiate()
            #expect(try await c.transaction(secretInbound, negotiated: o) == [.accept])
            #expect(
                try await c.transaction(restrictedToInternalAndInternet, negotiated: o, connect: false) == [.accept])
        }
    }

    @Test("a malformed frame closes the connection")
    func malformedFrameCloses() async throws {
        try await Self.withNullMilter { c in
            try await c.sendRaw([0, 0, 0, 0])
            #expect(await c.isClosed())
        }
    }
}
