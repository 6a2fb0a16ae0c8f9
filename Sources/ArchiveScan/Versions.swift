import CArchive
import CCrypto
import CMagic
import CPCRE2
import CPff
import CZstd
import GRDBSQLite  // the system SQLite, through GRDB (the audit store uses the same library)
import PmarkZlib
import Reporting

/// pmark's version and the versions of the libraries linked into this build, for
/// `pmark --version` (investigators record them with their findings).
public enum ToolVersions {
    /// pmark's own version (semantic; the wave-2 development line).
    public static var pmark: String { PmarkVersion.current }

    public static var libmagic: String {
        let v = magic_version()
        return "\(v / 100).\(v % 100)"
    }
    public static var pcre2: String {
        var buf = [UInt8](repeating: 0, count: 64)
        let n = pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), &buf)
        return n > 0 ? String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self) : "unknown"
    }
    public static var sqlite: String { String(cString: sqlite3_libversion()) }
    public static var zlib: String { String(cString: zlibVersion()) }
    public static var libpff: String { String(cString: libpff_get_version()) }
    public static var openssl: String { String(cString: OpenSSL_version(0)) }
    /// libarchive reads every archive and document package (its own string: "libarchive 3.6.2").
    public static var libarchive: String { String(cString: archive_version_string()) }
    /// zstd compresses the audit store's held message bytes.
    public static var zstd: String { String(cString: ZSTD_versionString()) }

    public static var text: String {
        """
        pmark \(pmark)
        libmagic \(libmagic)
        PCRE2 \(pcre2)
        SQLite \(sqlite)
        zlib \(zlib)
        libpff \(libpff)
        \(libarchive)
        zstd \(zstd)
        \(openssl)
        """
    }
}
