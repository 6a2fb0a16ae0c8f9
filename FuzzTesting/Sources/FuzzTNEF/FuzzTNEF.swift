import OfficeDocuments

/// Invariant: the document reader never crashes, traps or hangs (see DocumentFuzzEntryPoints.tnef).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTNEF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DocumentFuzzEntryPoints.tnef(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
