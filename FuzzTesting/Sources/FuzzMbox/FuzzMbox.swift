import MailParsing

#if canImport(Glibc)
import Glibc
#endif

/// glibc's memfd_create (not exported by the Swift Glibc module).
@_silgen_name("memfd_create")
func c_memfd_create(_ name: UnsafePointer<CChar>, _ flags: UInt32) -> Int32

nonisolated(unsafe) var memfd: Int32 = -1

/// Invariant: the mbox splitter never crashes or hangs, and never returns more bytes than it read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMbox(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if memfd < 0 { memfd = c_memfd_create("pmark-fuzz", 0) }
    ftruncate(memfd, 0)
    lseek(memfd, 0, SEEK_SET)
    var off = 0
    while off < size {
        let n = write(memfd, data + off, size - off)
        if n <= 0 { break }
        off += n
    }
    let path = "/proc/self/fd/\(memfd)"
    var total = 0
    try? ArchiveReader(limits: ParserLimits(maxMessageBytes: 1 << 16)).forEach(paths: [path]) { raw in
        total += raw.bytes.count
        precondition(total <= size, "splitter produced more bytes than it read")
        return true
    }
    return 0
}
