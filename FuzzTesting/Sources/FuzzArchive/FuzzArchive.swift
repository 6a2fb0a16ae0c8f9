import OfficeDocuments

/// Invariant: the document reader never crashes, traps or hangs (see DocumentFuzzEntryPoints.archive).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DocumentFuzzEntryPoints.archive(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
