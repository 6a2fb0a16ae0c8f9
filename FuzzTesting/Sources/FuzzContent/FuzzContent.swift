@_spi(Fuzzing) import ContentInspection

/// Invariant: content identification, archive readers and encryption checks never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContent(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ContentFuzzEntryPoints.inspect(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
