import Markings

/// Invariant: marking-text normalisation (confusable skeletons, invisibles, bidi reordering)
/// never traps or hangs and keeps its per-character arrays in step.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNormalizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TextFuzzEntryPoints.normalise(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
