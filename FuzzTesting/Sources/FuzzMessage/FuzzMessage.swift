import MailParsing

/// Invariant: parsing never crashes or hangs; every lazy decoder on every part is safe too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = ParserLimits(maxMessageBytes: 1 << 20, maxDepth: 16, maxParts: 500, maxDecodedBytes: 4 << 20)
    guard let m = try? Message(parsing: bytes, limits: limits) else { return 0 }
    _ = m.subject
    _ = m.structureSummary
    m.walk { owner, p in
        _ = try? owner.decodedBody(of: p)
        _ = try? owner.text(of: p)
        _ = p.filename
        for h in p.headers { _ = h.decodedValue }
    }
    return 0
}
