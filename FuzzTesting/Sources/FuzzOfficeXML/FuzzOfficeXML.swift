import OfficeDocuments

/// Invariant: the document reader never crashes, traps or hangs (see DocumentFuzzEntryPoints.officeXML).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOfficeXML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DocumentFuzzEntryPoints.officeXML(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
