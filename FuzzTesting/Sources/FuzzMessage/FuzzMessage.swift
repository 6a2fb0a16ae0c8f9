@_spi(Fuzzing) import MailParsing

/// Invariant: parsing never crashes or hangs; every lazy decoder on every part is safe too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntryPoints.parseMessage(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
