import CArchive

/// What pmark has spent opening archives for one message: entries and uncompressed bytes,
/// shared across nested archives (and between content inspection and document reading) so
/// the ``ArchiveLimits`` totals hold for the whole message. Used by one thread at a time.
public final class ArchiveBudget: @unchecked Sendable {
    public var entries = 0
    public var bytes = 0
    public init() {}
}

/// One entry of an archive as the bounded reader saw it.
public struct ArchiveEntryReading: Sendable, Hashable {
    /// The entry's path inside the archive (UTF-8; `data` for a bare gzip/bzip2/xz stream).
    public var name: String
    /// The entry's bytes; nil when they were not read (encrypted, not a regular file, a limit).
    public var data: [UInt8]?
    /// The entry's data (or metadata) is encrypted: it cannot be inspected.
    public var encrypted: Bool
    /// The size the archive declares for the entry (0 when unknown).
    public var declaredSize: Int
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

/// The one bounded archive reader pmark uses for everything it opens (ZIP, 7z, RAR, cab, ISO
/// 9660, tar, and gzip/bzip2/xz streams), backed by libarchive, the field's library for these
/// formats, which reports per-entry encryption. pmark's ``ArchiveLimits`` are applied WHILE
/// reading: entries are counted as their headers are read, bytes as they are decompressed, and
/// reading stops at the first limit (never after decompressing a bomb).
///
/// libarchive is read from memory only (`archive_read_open_memory`): no file system access, no
/// extraction, no passphrases. It is fuzzed by OSS-Fuzz; pmark's own fuzz target `FuzzArchive`
/// runs it on hostile input under ASan.
public enum BoundedArchive {
    /// Whether bytes start like an archive libarchive reads (not OOXML/ODF detection: a DOCX is a ZIP).
    public static func looksLikeArchive(_ b: [UInt8]) -> Bool {
        if b.starts(with: [0x50, 0x4B, 0x03, 0x04]) || b.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return true }  // ZIP
        if b.starts(with: [0x1F, 0x8B]) { return true }  // gzip
        if b.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return true }  // 7z
        if b.starts(with: Array("Rar!\u{1A}\u{07}".utf8)) { return true }  // RAR 4/5
        if b.starts(with: Array("MSCF".utf8)) { return true }  // cab
        if b.starts(with: Array("BZh".utf8)) || b.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return true }  // bzip2, xz
        if b.count > 262, b[257..<262].elementsEqual("ustar".utf8) { return true }  // tar
        if b.count > 32_774, b[32_769..<32_774].elementsEqual("CD001".utf8) { return true }  // ISO 9660
        return false
    }

    /// Reads an archive's entries within `limits`, charging `budget`. `wantData` decides, from an
    /// entry's name, whether its bytes are needed (an OOXML reader wants only XML parts);
    /// unwanted entries are skipped without decompression. Returns nil when libarchive does not
    /// recognise the bytes as any archive it reads.
    public static func read(_ bytes: [UInt8], limits: ArchiveLimits = .default, wantData: (String) -> Bool = { _ in true }) -> ArchiveListing? {
        read(bytes, limits: limits, budget: ArchiveBudget(), wantData: wantData)
    }

    /// As ``read(_:limits:wantData:)``, charging what is read to `budget` (shared across archives).
    public static func read(_ bytes: [UInt8], limits: ArchiveLimits, budget: ArchiveBudget,
                            wantData: (String) -> Bool = { _ in true }) -> ArchiveListing? {
        guard !bytes.isEmpty, let a = archive_read_new() else { return nil }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_all(a)
        // A bare gzip/bzip2/xz stream (not a tar inside) is one entry; libarchive bids `raw` last.
        archive_read_support_format_raw(a)
        var listing = ArchiveListing(format: "", entries: [], limitHit: nil, damaged: nil, headersEncrypted: false)
        return bytes.withUnsafeBufferPointer { buf -> ArchiveListing? in
            guard archive_read_open_memory(a, buf.baseAddress, buf.count) == ARCHIVE_OK else { return nil }
            // Total decompressed output may not exceed maxRatio × the archive's own size.
            let ratioCap = limits.maxRatio.multipliedReportingOverflow(by: max(bytes.count, 1))
            let totalRatioCap = ratioCap.overflow ? Int.max : ratioCap.partialValue
            var produced = 0
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            var entry: OpaquePointer? = nil
            while true {
                let r = archive_read_next_header(a, &entry)
                if listing.format.isEmpty, let f = archive_format_name(a) { listing.format = String(cString: f) }
                if r == ARCHIVE_EOF { break }
                if r == ARCHIVE_FATAL || r == ARCHIVE_FAILED || r == ARCHIVE_RETRY {
                    let msg = archive_error_string(a).map { String(cString: $0) } ?? "unreadable archive"
                    if msg.lowercased().contains("encrypt") || msg.lowercased().contains("passphrase") { listing.headersEncrypted = true }
                    else { listing.damaged = msg }
                    if listing.format.isEmpty && listing.entries.isEmpty && !listing.headersEncrypted { return nil }
                    break
                }
                guard let e = entry else { break }
                budget.entries += 1
                if budget.entries > limits.maxEntries { listing.limitHit = "entries (limit \(limits.maxEntries))"; break }
                let namePtr = archive_entry_pathname_utf8(e) ?? archive_entry_pathname(e)
                let name = namePtr.map { String(cString: $0) } ?? ""
                let declared = archive_entry_size_is_set(e) != 0 ? Int(clamping: archive_entry_size(e)) : 0
                let encrypted = archive_entry_is_encrypted(e) != 0
                let filetype = archive_entry_filetype(e)
                let isFile = filetype == 0o100000 || filetype == 0  // AE_IFREG, or no type recorded (read rather than skip)
                var reading = ArchiveEntryReading(name: name, data: nil, encrypted: encrypted, declaredSize: declared)
                if declared > limits.maxEntryBytes { listing.entries.append(reading); listing.limitHit = "entry size of \(name) (limit \(limits.maxEntryBytes))"; break }
                if encrypted || !isFile || !wantData(name) { listing.entries.append(reading); continue }
                var data: [UInt8] = []
                var stop: String? = nil
                while true {
                    let n = chunk.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress, $0.count) }
                    if n == 0 { break }
                    if n < 0 {
                        let msg = archive_error_string(a).map { String(cString: $0) } ?? "entry cannot be read"
                        if msg.lowercased().contains("encrypt") || msg.lowercased().contains("passphrase") { reading.encrypted = true } else { listing.damaged = "\(name): \(msg)" }
                        break
                    }
                    let count = Int(n)
                    produced += count
                    budget.bytes += count
                    if data.count + count > limits.maxEntryBytes { stop = "entry size of \(name) (limit \(limits.maxEntryBytes))"; break }
                    if budget.bytes > limits.maxTotalBytes { stop = "total uncompressed bytes (limit \(limits.maxTotalBytes))"; break }
                    if produced > totalRatioCap { stop = "compression ratio (limit \(limits.maxRatio))"; break }
                    data.append(contentsOf: chunk[0..<count])
                }
                if let s = stop { listing.entries.append(reading); listing.limitHit = s; break }
                if !reading.encrypted && listing.damaged == nil { reading.data = data }
                listing.entries.append(reading)
                if listing.damaged != nil { break }
            }
            if archive_read_has_encrypted_entries(a) > 0, !listing.entries.contains(where: \.encrypted) { listing.headersEncrypted = listing.headersEncrypted || listing.entries.isEmpty }
            // libarchive 3.6 hands back RAR5 ciphertext as data: pmark reads the encryption records itself.
            if RAR5Encryption.isEncrypted(bytes) == true {
                if listing.entries.isEmpty { listing.headersEncrypted = true }
                for i in listing.entries.indices { listing.entries[i].encrypted = true; listing.entries[i].data = nil }
            }
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
            let x = b[p]; p += 1
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
            if flags & 0x01 != 0 { guard let e = vint(b, &q) else { return false }; extraSize = e }
            if flags & 0x02 != 0 { guard let d = vint(b, &q) else { return false }; dataSize = d }
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
