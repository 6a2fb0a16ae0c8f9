import OfficeDocuments

/// Invariant: the document reader never crashes, traps or hangs (see DocumentFuzzEntryPoints.pdfFrontEnd).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPDF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    DocumentFuzzEntryPoints.pdfFrontEnd(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
