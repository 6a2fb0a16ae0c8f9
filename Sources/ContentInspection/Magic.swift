import CMagic

#if canImport(Glibc)
import Glibc
#endif

/// libmagic identification on a bounded prefix, with one `magic_t` per thread (a cookie owns
/// its result buffers; sharing one across threads corrupts results).
public enum Magic {
    /// Bytes of content given to libmagic: enough for PE, ELF, PDF, OOXML and CDF signatures
    /// (4 KiB is measured sufficient); 16 KiB leaves margin. libmagic's own byte limit does not
    /// bound `magic_buffer`, so the caller must.
    public static let prefixBytes = 16 << 10

    /// Flags: MIME type only; skip checks we do ourselves (compressed content, tar) or that cost
    /// without changing the MIME type (JSON, CSV). Never NO_CHECK_ENCODING (it breaks text
    /// classification) and never MAGIC_COMPRESS (it forks in 5.44).
    static let flags: Int32 =
        MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_CSV

    final class Cookie {
        let handle: OpaquePointer?
        let loaded: Bool
        /// libmagic calls made on this thread (tests check that text bodies never get here).
        var calls = 0
        init() {
            handle = magic_open(Magic.flags)
            loaded = handle != nil && magic_load(handle, nil) == 0
        }
        deinit { if let h = handle { magic_close(h) } }
    }

    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in if let p { Unmanaged<Cookie>.fromOpaque(p).release() } }
        return k
    }()

    static var cookie: Cookie {
        if let p = pthread_getspecific(key) { return Unmanaged<Cookie>.fromOpaque(p).takeUnretainedValue() }
        let c = Cookie()
        pthread_setspecific(key, Unmanaged.passRetained(c).toOpaque())
        return c
    }

    /// The MIME type libmagic gives the first `prefixBytes` of `bytes`; nil when libmagic
    /// fails (the caller treats that as unidentifiable: fail closed).
    public static func mimeType(_ bytes: [UInt8]) -> String? {
        let c = cookie
        c.calls += 1
        guard c.loaded, let h = c.handle else { return nil }
        let n = min(bytes.count, prefixBytes)
        return bytes.withUnsafeBytes { raw -> String? in
            guard let r = magic_buffer(h, raw.baseAddress, n) else { return nil }
            return String(cString: r)
        }
    }

    /// libmagic calls made so far on the calling thread.
    public static var callsOnThisThread: Int { cookie.calls }

    /// The libmagic library version (e.g. 544 for 5.44).
    public static var version: Int { Int(magic_version()) }
}
