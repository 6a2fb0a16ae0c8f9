import OfficeDocuments

/// Invariant: the document reader never crashes, traps or hangs (see DocumentFuzzEntryPoints.rtf).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DocumentFuzzEntryPoints.rtf(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
