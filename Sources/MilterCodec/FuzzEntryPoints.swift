import NIOCore

/// The codec's fuzz invariant, shared by the libFuzzer target (FuzzTesting/FuzzMilter) and the
/// unit tests that replay its seeds and any saved crasher through exactly the fuzzed code.
public enum MilterFuzzEntryPoints {
    /// Decodes arbitrary bytes as commands and as responses. Whatever decodes must re-encode to
    /// a frame that decodes to the same value. Returns the first violation, or nil.
    public static func roundTrip(_ bytes: [UInt8]) -> String? {
        let limits = MilterLimits(maxFrameLength: 1 << 16, maxStrings: 64)
        let wide = MilterLimits(maxFrameLength: 1 << 20, maxStrings: 1 << 16)
        for c in decodeCommands(bytes, limits: limits).commands {
            var buf = ByteBuffer()
            // a lenient string holding a NUL cannot be re-sent
            guard (try? c.encode(into: &buf)) != nil else { continue }
            let again = decodeCommands(Array(buf.readableBytesView), limits: wide)
            if again.error != nil || again.commands != [c] { return "command did not round-trip: \(c)" }
        }
        var buffer = ByteBuffer(bytes: bytes)
        let reader = MilterFrameReader(limits: limits)
        while let frame = try? reader.nextFrame(&buffer) {
            guard let r = try? MilterResponse.decode(code: frame.code, data: frame.data, limits: limits) else {
                continue
            }
            var out = ByteBuffer()
            guard (try? r.encode(into: &out)) != nil else { continue }
            guard let f2 = try? MilterFrameReader(limits: wide).nextFrame(&out),
                (try? MilterResponse.decode(code: f2.code, data: f2.data, limits: wide)) == r
            else { return "response did not round-trip: \(r)" }
        }
        return nil
    }
}
