import Markings

/// Invariant: the HTML tokenizer never traps or hangs on any bytes; output stays bounded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TextFuzzEntryPoints.html(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
