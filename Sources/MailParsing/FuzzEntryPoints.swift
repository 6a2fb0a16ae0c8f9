/// What the libFuzzer targets run, kept in the library so that crasher replays in the unit
/// tests go through exactly the same code.
@_spi(Fuzzing) public enum FuzzEntryPoints {
    /// Limits small enough for fuzzing speed; the invariants do not depend on them.
    public static let limits = ParserLimits(
        maxMessageBytes: 1 << 20, maxDepth: 16, maxParts: 500, maxDecodedBytes: 4 << 20)

    /// Parses `bytes` and runs every lazy decoder on every part. Must never crash or hang.
    public static func parseMessage(_ bytes: [UInt8]) {
        guard let m = try? Message(parsing: bytes, limits: limits) else { return }
        _ = m.subject
        _ = m.structureSummary
        m.walk { owner, p in
            _ = try? owner.decodedBody(of: p)
            _ = try? owner.text(of: p)
            _ = p.filename
            for h in p.headers { _ = h.decodedValue }
        }
    }
}
