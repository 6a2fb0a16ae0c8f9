import MilterCodec

/// Invariants over arbitrary bytes (MilterFuzzEntryPoints.roundTrip): the milter codec never
/// crashes, hangs or allocates beyond its frame limit, and whatever decodes as a command or a
/// response re-encodes to a frame that decodes to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMilter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let violation = MilterFuzzEntryPoints.roundTrip(Array(UnsafeBufferPointer(start: data, count: size))) {
        preconditionFailure(violation)
    }
    return 0
}
