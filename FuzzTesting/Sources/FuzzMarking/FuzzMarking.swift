@_spi(Fuzzing) import Markings

/// Invariant: the marking grammars (header, subject, body line, file name) never crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMarking(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    MarkingFuzzEntryPoints.readMarkingText(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
