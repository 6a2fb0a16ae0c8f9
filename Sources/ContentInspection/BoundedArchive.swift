import CArchive
import PmarkZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits on looking inside archives and document containers (an OOXML or ODF document is a
/// ZIP). Each prevents a decompression bomb or an entry flood from costing the gateway
/// unbounded time or memory; hitting one is a finding (PM-ATT-004, quarantine), never an allow.
/// ``BoundedArchive`` applies them while reading.
public struct ArchiveLimits: Sendable, Hashable {
    /// Archives inside archives (default 4): real mail rarely nests deeper than 2.
    public var maxDepth = 4
    /// Entries per message across all archives (default 1,000): an entry flood costs a header
    /// read and an identification each.
    public var maxEntries = 1_000
    /// Uncompressed size of one entry (default 32 MiB): larger than any document mail carries.
    public var maxEntryBytes = 32 << 20
    /// Uncompressed bytes across all archives of a message (default 128 MiB): bounds the memory
    /// and time one message can cost.
    public var maxTotalBytes = 128 << 20
    /// Uncompressed/compressed ratio (default 100): zip bombs reach 1,000+, documents and
    /// ordinary archives stay below 20. Checked per ZIP entry (declared sizes before reading,
    /// the bytes really consumed after) and for the whole archive while reading.
    public var maxRatio = 100
    public init() {}
    public static let `default` = ArchiveLimits()
}

/// What pmark has spent opening archives for one message: entries and uncompressed bytes,
/// shared across nested archives so the ``ArchiveLimits`` totals hold for the whole message.
/// Used by one thread at a time.
public final class ArchiveBudget: @unchecked Sendable {
    public var entries = 0
    public var bytes = 0
    public init() {}
}

/// One entry of an archive as the bounded reader saw it.
public struct ArchiveEntryReading: Sendable, Hashable {
    /// The entry's path inside the archive (UTF-8; `data` for a bare gzip/bzip2/xz stream).
    public var name: String
    /// The entry's bytes; nil when they were not read (encrypted, not a regular file, not
    /// wanted, a limit, damaged data).
    public var data: [UInt8]?
    /// The entry's data (or metadata) is encrypted: it cannot be inspected.
    public var encrypted: Bool
    /// The size the archive declares for the entry (0 when unknown). A hostile archive may lie:
    /// reading is bounded by the limits, not by this.
    public var declaredSize: Int
    /// A directory (or another non-regular entry: link, device): it has no contents.
    public var isDirectory: Bool = false

    public init(
        name: String, data: [UInt8]? = nil, encrypted: Bool = false, declaredSize: Int = 0, isDirectory: Bool = false
    ) {
        self.name = name
        self.data = data
        self.encrypted = encrypted
        self.declaredSize = declaredSize
        self.isDirectory = isDirectory
    }
}

/// The result of reading one archive through ``BoundedArchive``.
public struct ArchiveListing: Sendable, Hashable {
    /// libarchive's name of the format (`ZIP 2.0 (deflation)`, `7-Zip`, `RAR5`, `POSIX ustar format`, `raw`).
    public var format: String
    public var entries: [ArchiveEntryReading]
    /// The limit that stopped reading (named, with its value); later entries were not read.
    public var limitHit: String?
    /// Reading stopped on damaged or unsupported data (libarchive's message); entries so far are kept.
    public var damaged: String?
    /// The archive's headers are encrypted (7z `-mhe`, RAR `-hp`): not even names are readable.
    public var headersEncrypted: Bool
    /// Whether any entry is encrypted, or the whole archive's headers are.
    public var anyEncrypted: Bool { headersEncrypted || entries.contains(where: \.encrypted) }
}

/// The one bounded archive reader pmark uses for everything it opens: attachments and archive
/// entries during content inspection (identification, encryption, recursion), OOXML and ODF
/// packages and archives during marking reading. Backed by libarchive, the field's library for
/// these formats (ZIP, 7z, RAR, cab, ISO 9660, tar, and gzip/bzip2/xz streams), which reports
/// per-entry encryption (ZIP traditional and AES, 7z, RAR). pmark's ``ArchiveLimits`` are
/// applied WHILE reading: entries are counted as their headers are read, declared sizes are
/// checked before anything is decompressed, bytes are counted as they are decompressed, and
/// reading stops at the first limit (never after decompressing a bomb).
///
/// libarchive is read from memory only (`archive_read_open_memory`): no file system access, no
/// extraction, no passphrases. It is fuzzed by OSS-Fuzz; pmark's fuzz targets `FuzzArchive` and
/// `FuzzContent` run it on hostile input under ASan.
public enum BoundedArchive {
    /// Which of libarchive's readers a read may use. Content inspection names the format it
    /// identified (a ZIP is read only as a ZIP, a gzip stream as one stream); the document
    /// reader, which reads by signature, allows any.
    public enum Formats: Sendable, Hashable {
        /// Every archive format and compression filter, and a bare compressed stream as one entry.
        case any
        /// ZIP only (OOXML, ODF, JAR, plain ZIP).
        case zip
        /// tar only (uncompressed).
        case tar
        /// One gzip, bzip2 or xz stream, read as one entry named `data` (a `.tar.gz` is read as
        /// its `.tar`, which is an archive of its own).
        case compressedStream
    }

    /// Names the process's time zone once (`TZ=:/etc/localtime`, the zone it already uses) when
    /// `TZ` is unset. libarchive converts each ZIP entry's DOS time with `mktime`, and glibc
    /// re-reads `/etc/localtime` on every call while `TZ` is unset: a `stat` per entry, which made
    /// listing a 17-part DOCX cost 70 µs instead of 12. Call it at start-up, before any thread
    /// (`setenv` is not thread-safe); the `pmark` executable does.
    public static func nameTimeZoneOnce() {
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 1) }
    }

    /// Whether bytes start like an archive libarchive reads (not OOXML/ODF detection: a DOCX is a ZIP).
    public static func looksLikeArchive(_ b: [UInt8]) -> Bool {
        if b.starts(with: [0x50, 0x4B, 0x03, 0x04]) || b.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return true }  // ZIP
        if b.starts(with: [0x1F, 0x8B]) { return true }  // gzip
        if b.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return true }  // 7z
        if b.starts(with: Array("Rar!\u{1A}\u{07}".utf8)) { return true }  // RAR 4/5
        if b.starts(with: Array("MSCF".utf8)) { return true }  // cab
        // bzip2, xz
        if b.starts(with: Array("BZh".utf8)) || b.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return true }
        if b.count > 262, b[257..<262].elementsEqual("ustar".utf8) { return true }  // tar
        if b.count > 32_774, b[32_769..<32_774].elementsEqual("CD001".utf8) { return true }  // ISO 9660
        return false
    }

    /// Whether a gzip stream's trailer (CRC-32 and length mod 2^32 of its last member) matches the
    /// data it decompressed to: the whole data for one member, or its tail for concatenated
    /// members (the last member's length says where it starts).
    static func gzipTrailerMatches(_ stream: [UInt8], _ data: [UInt8]) -> Bool {
        guard stream.count >= 18 else { return false }
        let t = stream.count - 8
        func u32(_ o: Int) -> UInt32 {
            UInt32(stream[o]) | UInt32(stream[o + 1]) << 8 | UInt32(stream[o + 2]) << 16 | UInt32(stream[o + 3]) << 24
        }
        let crc = u32(t), size = Int(u32(t + 4))
        func crc32Of(_ s: ArraySlice<UInt8>) -> UInt32 {
            s.withUnsafeBufferPointer {
                UInt32(truncatingIfNeeded: PmarkZlib.crc32(0, $0.baseAddress, UInt32($0.count)))
            }
        }
        if UInt32(truncatingIfNeeded: data.count) == UInt32(size), crc32Of(data[...]) == crc { return true }
        return size > 0 && size < data.count && crc32Of(data.suffix(size)) == crc
    }

    /// Reads an archive's entries within `limits`, with their bytes. `wantData` decides, from an
    /// entry's name, whether its bytes are needed (an OOXML reader wants only XML parts);
    /// unwanted entries are listed without decompression. Returns nil when libarchive does not
    /// recognise the bytes as an archive of `formats`.
    public static func read(
        _ bytes: [UInt8], formats: Formats = .any, limits: ArchiveLimits = .default,
        wantData: (String) -> Bool = { _ in true }
    ) -> ArchiveListing? {
        read(bytes, formats: formats, limits: limits, budget: ArchiveBudget(), wantData: wantData)
    }

    /// As ``read(_:formats:limits:wantData:)``, charging what is read to `budget` (shared across
    /// the archives of one message).
    public static func read(
        _ bytes: [UInt8], formats: Formats = .any, limits: ArchiveLimits, budget: ArchiveBudget,
        wantData: (String) -> Bool = { _ in true }
    ) -> ArchiveListing? {
        visit(bytes, formats: formats, limits: limits, budget: budget, wantData: wantData, keepData: true) { _ in }
    }

    /// Lists an archive's entries (names, declared sizes, encryption) without decompressing
    /// anything. The declared sizes are still held to the limits (an entry declaring more than
    /// `maxEntryBytes`, or entries declaring more than `maxRatio` × the archive's size, are a
    /// `limitHit`), and the entry count to `maxEntries`; nothing is charged to a message budget.
    public static func list(_ bytes: [UInt8], formats: Formats = .any, limits: ArchiveLimits = .default)
        -> ArchiveListing?
    {
        visit(
            bytes, formats: formats, limits: limits, budget: ArchiveBudget(), wantData: { _ in false }, keepData: false
        ) { _ in }
    }

    /// Reads an archive entry by entry, handing each (with its bytes, when wanted and readable)
    /// to `body` as soon as it is read, so a caller can look inside it (recursively, against the
    /// same `budget`) before the next is decompressed. The listing returned keeps the entries
    /// without their bytes unless `keepData`.
    public static func visit(
        _ bytes: [UInt8], formats: Formats = .any, limits: ArchiveLimits, budget: ArchiveBudget,
        wantData: (String) -> Bool = { _ in true }, keepData: Bool = false,
        _ body: (ArchiveEntryReading) -> Void
    ) -> ArchiveListing? {
        guard !bytes.isEmpty, let a = archive_read_new() else { return nil }
        defer { archive_read_free(a) }
        switch formats {
        case .any:
            archive_read_support_filter_all(a)
            // libarchive's formats but two: ZIP only through its central directory (the
            // streaming ZIP reader decompresses an entry to skip it, unbounded by pmark's limits),
            // and no mtree (a description of files on disk, never mail).
            for support in [
                archive_read_support_format_7zip, archive_read_support_format_ar, archive_read_support_format_cab,
                archive_read_support_format_cpio, archive_read_support_format_iso9660, archive_read_support_format_lha,
                archive_read_support_format_rar, archive_read_support_format_rar5, archive_read_support_format_tar,
                archive_read_support_format_warc, archive_read_support_format_xar,
                archive_read_support_format_zip_seekable,
            ] {
                _ = support(a)
            }
            // A bare gzip/bzip2/xz stream (not a tar inside) is one entry; libarchive bids `raw` last.
            archive_read_support_format_raw(a)
        case .zip:
            // Through the central directory only: skipping an entry is then a seek, never a
            // decompression (a ZIP without one cannot be read: a finding, never an allow).
            archive_read_support_format_zip_seekable(a)
        case .tar:
            archive_read_support_format_tar(a)
        case .compressedStream:
            archive_read_support_filter_gzip(a)
            archive_read_support_filter_bzip2(a)
            archive_read_support_filter_xz(a)
            archive_read_support_format_raw(a)
        }
        var listing = ArchiveListing(format: "", entries: [], limitHit: nil, damaged: nil, headersEncrypted: false)
        return bytes.withUnsafeBufferPointer { buf -> ArchiveListing? in
            guard archive_read_open_memory(a, buf.baseAddress, buf.count) == ARCHIVE_OK else { return nil }
            // Total decompressed output (and total declared size) may not exceed maxRatio × the
            // archive's own size.
            let ratioCap = limits.maxRatio.multipliedReportingOverflow(by: max(bytes.count, 1))
            let totalRatioCap = ratioCap.overflow ? Int.max : ratioCap.partialValue
            var produced = 0
            var declaredTotal = 0
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            var entry: OpaquePointer? = nil
            // libarchive 3.6 hands back RAR5 ciphertext as data: pmark reads the encryption records
            // itself (``RAR5Encryption``), before any entry is read.
            let rar5Encrypted = RAR5Encryption.isEncrypted(bytes) == true
            func limit(_ s: String) { listing.limitHit = s }
            func isPassphraseError(_ msg: String) -> Bool {
                let m = msg.lowercased()
                return m.contains("encrypt") || m.contains("passphrase")
            }
            while true {
                let r = archive_read_next_header(a, &entry)
                if listing.format.isEmpty, let f = archive_format_name(a) { listing.format = String(cString: f) }
                // `raw` is for a bare compressed stream: bytes no filter decompressed are not an archive.
                if listing.entries.isEmpty, archive_format(a) == ARCHIVE_FORMAT_RAW, archive_filter_count(a) <= 1 {
                    return nil
                }
                if r == ARCHIVE_EOF { break }
                if r == ARCHIVE_FATAL || r == ARCHIVE_FAILED || r == ARCHIVE_RETRY {
                    let msg = archive_error_string(a).map { String(cString: $0) } ?? "unreadable archive"
                    if isPassphraseError(msg) { listing.headersEncrypted = true } else { listing.damaged = msg }
                    if listing.format.isEmpty && listing.entries.isEmpty && !listing.headersEncrypted { return nil }
                    break
                }
                guard let e = entry else { break }
                budget.entries += 1
                if listing.entries.count >= limits.maxEntries || budget.entries > limits.maxEntries {
                    limit("entries (limit \(limits.maxEntries))")
                    break
                }
                let namePtr = archive_entry_pathname_utf8(e) ?? archive_entry_pathname(e)
                let name = namePtr.map { String(cString: $0) } ?? ""
                let declared = archive_entry_size_is_set(e) != 0 ? max(0, Int(clamping: archive_entry_size(e))) : 0
                let encrypted = archive_entry_is_encrypted(e) != 0
                let filetype = archive_entry_filetype(e)
                // AE_IFREG, or no type recorded (read rather than skip)
                let isFile = filetype == 0o100000 || filetype == 0
                let isZip = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK == ARCHIVE_FORMAT_ZIP
                var reading = ArchiveEntryReading(
                    name: name, encrypted: encrypted || rar5Encrypted, declaredSize: declared, isDirectory: !isFile)
                // Declared sizes are checked before anything is decompressed.
                declaredTotal =
                    declaredTotal.addingReportingOverflow(declared).overflow ? Int.max : declaredTotal + declared
                if declared > limits.maxEntryBytes {
                    listing.entries.append(reading)
                    limit("entry size of \(name) (limit \(limits.maxEntryBytes))")
                    break
                }
                if declaredTotal > totalRatioCap {
                    listing.entries.append(reading)
                    limit("compression ratio of \(name) (limit \(limits.maxRatio))")
                    break
                }
                let wanted = !reading.encrypted && isFile && wantData(name)
                // Skipping an entry is a seek in a ZIP (central directory) and in an uncompressed
                // tar or ISO image; anywhere else (7z and RAR blocks, a compressed tar) libarchive
                // decompresses to skip, so the entry is read and dropped under the same limits.
                let base = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK
                let skipIsSeek =
                    isZip
                    || (archive_filter_count(a) <= 1 && (base == ARCHIVE_FORMAT_TAR || base == ARCHIVE_FORMAT_ISO9660))
                if !wanted && (reading.encrypted || !isFile || skipIsSeek) {
                    listing.entries.append(reading)
                    body(reading)
                    continue
                }
                var data: [UInt8] = []
                var stop: String? = nil
                var dropped = 0
                let consumedBefore = archive_filter_bytes(a, -1)
                while true {
                    let n = chunk.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                    if n == 0 { break }
                    if n < 0 {
                        let msg = archive_error_string(a).map { String(cString: $0) } ?? "entry cannot be read"
                        if isPassphraseError(msg) {
                            reading.encrypted = true
                        } else {
                            listing.damaged = "\(name): \(msg)"
                        }
                        break
                    }
                    let count = Int(n)
                    produced += count
                    budget.bytes += count
                    if data.count + dropped + count > limits.maxEntryBytes {
                        stop = "entry size of \(name) (limit \(limits.maxEntryBytes))"
                        break
                    }
                    if budget.bytes > limits.maxTotalBytes {
                        stop = "total uncompressed bytes (limit \(limits.maxTotalBytes))"
                        break
                    }
                    if produced > totalRatioCap {
                        stop = "compression ratio of \(name) (limit \(limits.maxRatio))"
                        break
                    }
                    if wanted { data.append(contentsOf: chunk[0..<count]) } else { dropped += count }
                }
                // A ZIP entry is its own compressed stream: its ratio is the bytes it expanded to
                // over the bytes it consumed (whatever its header declared).
                if stop == nil, isZip, listing.damaged == nil, !data.isEmpty {
                    let consumed = max(Int(clamping: archive_filter_bytes(a, -1) - consumedBefore), 1)
                    if data.count / consumed > limits.maxRatio {
                        stop = "compression ratio of \(name) (limit \(limits.maxRatio))"
                    }
                }
                if let s = stop {
                    listing.entries.append(reading)
                    limit(s)
                    break
                }
                // libarchive does not check a gzip stream's trailer: a bare gzip stream is checked
                // here (CRC-32 and length of its last member), so corrupt data is never read as good.
                if wanted, listing.damaged == nil, !reading.encrypted, archive_format(a) == ARCHIVE_FORMAT_RAW,
                    archive_filter_count(a) > 1, archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP,
                    !Self.gzipTrailerMatches(bytes, data)
                {
                    listing.damaged = "\(name): gzip CRC or length does not match the data"
                }
                if wanted && !reading.encrypted && listing.damaged == nil { reading.data = data }
                body(reading)
                if !keepData { reading.data = nil }
                listing.entries.append(reading)
                if listing.damaged != nil { break }
            }
            if archive_read_has_encrypted_entries(a) > 0, !listing.entries.contains(where: \.encrypted) {
                listing.headersEncrypted = listing.headersEncrypted || listing.entries.isEmpty
            }
            if rar5Encrypted, listing.entries.isEmpty { listing.headersEncrypted = true }
            return listing
        }
    }
}

/// RAR5 encryption, read from the headers by pmark itself: libarchive 3.6's RAR5 reader neither
/// reports encrypted entries nor refuses them (it hands back the ciphertext as the entry's
/// data; upstream libarchive PR #2096 is unmerged). Format: RAR 5.0 technote (rarlab.com):
/// after the signature, headers of `CRC32, size (vint), type (vint), flags (vint), [extra area
/// size], [data size], …, extra area`; a file (2) or service (3) header whose extra area holds a
/// record of type 1 is encrypted; an archive encryption header (type 4) encrypts all headers.
/// One pass, every length checked against the bytes left.
public enum RAR5Encryption {
    public static let signature: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00]
    /// Headers walked at most (default 100,000): bounds a file of empty headers.
    static let maxHeaders = 100_000

    /// Reads a RAR5 variable-length integer at `p`; nil when it runs past the end or over 64 bits.
    static func vint(_ b: [UInt8], _ p: inout Int) -> Int? {
        var v = 0, shift = 0
        while p < b.count, shift <= 56 {
            let x = b[p]
            p += 1
            v |= Int(x & 0x7F) << shift
            if x & 0x80 == 0 { return v }
            shift += 7
        }
        return nil
    }

    /// Whether a RAR5 archive has encrypted entries or encrypted headers (nil: not RAR5).
    public static func isEncrypted(_ b: [UInt8]) -> Bool? {
        guard b.starts(with: signature) else { return nil }
        var p = signature.count
        var n = 0
        while p + 4 < b.count, n < maxHeaders {
            n += 1
            var q = p + 4  // CRC32
            guard let size = vint(b, &q), size > 0, size <= b.count - q else { return false }
            let start = q, end = q + size
            guard let type = vint(b, &q), let flags = vint(b, &q) else { return false }
            if type == 4 { return true }  // archive encryption header: everything is encrypted
            var extraSize = 0, dataSize = 0
            if flags & 0x01 != 0 {
                guard let e = vint(b, &q) else { return false }
                extraSize = e
            }
            if flags & 0x02 != 0 {
                guard let d = vint(b, &q) else { return false }
                dataSize = d
            }
            if (type == 2 || type == 3), extraSize > 0, extraSize <= end - start {
                var r = end - extraSize
                while r < end {
                    guard let recSize = vint(b, &r), recSize > 0, recSize <= end - r else { break }
                    let recEnd = r + recSize
                    var t = r
                    if let recType = vint(b, &t), recType == 1 { return true }
                    r = recEnd
                }
            }
            if type == 5 { return false }  // end of archive
            guard dataSize >= 0, dataSize <= b.count - end else { return false }
            p = end + dataSize
        }
        return false
    }
}
