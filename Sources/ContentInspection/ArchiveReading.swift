/// One entry of an archive or document container, as its format lists it.
public struct ArchiveEntry: Sendable, Hashable {
    /// The entry's path inside the archive (`word/document.xml`, `inner/evil.exe`).
    public var path: String
    /// Sizes as the archive declares them (a hostile archive may lie: reading is bounded by
    /// the limits, not by these).
    public var uncompressedSize: Int
    public var compressedSize: Int
    public var isEncrypted: Bool
    public var isDirectory: Bool
    /// Where the format finds the entry (a ZIP local header offset, a tar data offset).
    public var position: Int
    /// The format's compression method for the entry (ZIP: 0 stored, 8 deflated).
    public var method: Int

    public init(
        path: String, uncompressedSize: Int, compressedSize: Int, isEncrypted: Bool = false, isDirectory: Bool = false,
        position: Int = 0,
        method: Int = 0
    ) {
        self.path = path
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
        self.isEncrypted = isEncrypted
        self.isDirectory = isDirectory
        self.position = position
        self.method = method
    }
}

/// A container format backend (ZIP and tar are built in; a libarchive backend can stand behind
/// the same two calls). Gzip streams are inflated by the inspector under the same limits. Backends only list and extract: every limit is enforced by
/// ``OpenedArchive``, so no backend can bypass them.
public protocol ArchiveFormat: Sendable {
    /// The entries, or nil when `bytes` are not in this format.
    func entries(of bytes: [UInt8]) -> [ArchiveEntry]?
    /// The entry's bytes, at most `limit + 1` of them (so the caller can tell a limit hit from
    /// a complete entry); nil when the entry cannot be extracted.
    func contents(of entry: ArchiveEntry, in bytes: [UInt8], limit: Int) -> [UInt8]?
}

/// A limit hit while reading an archive or document container (a possible decompression
/// bomb): always a finding (PM-ATT-004, quarantine), never an allow.
public struct ArchiveLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was exceeded, e.g. `compression ratio of word/document.xml (limit 100)`.
    public var detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
}

/// An archive or document container opened through the one bounded reader. Reading an entry
/// counts against the message's ``ArchiveBudget`` and the per-entry limits.
public struct OpenedArchive: Sendable {
    public let entries: [ArchiveEntry]
    let bytes: [UInt8]
    let format: any ArchiveFormat
    /// The message's budget (shared by every archive of the message) and its limits.
    let budget: ArchiveBudget
    public let limits: ArchiveLimits

    /// The first entry whose path is `path`.
    public func entry(_ path: String) -> ArchiveEntry? { entries.first { $0.path == path } }

    /// Checks an entry's declared sizes against the limits without reading it.
    public func check(_ e: ArchiveEntry) throws(ArchiveLimitError) {
        let l = limits
        if e.uncompressedSize > l.maxEntryBytes {
            throw ArchiveLimitError("entry size of \(e.path) (limit \(l.maxEntryBytes))")
        }
        if e.compressedSize > 0, e.uncompressedSize / max(e.compressedSize, 1) > l.maxRatio {
            throw ArchiveLimitError("compression ratio of \(e.path) (limit \(l.maxRatio))")
        }
    }

    /// The entry's bytes, within the limits; nil when the entry cannot be extracted.
    public func read(_ e: ArchiveEntry) throws(ArchiveLimitError) -> [UInt8]? {
        let l = limits
        budget.entries += 1
        if budget.entries > l.maxEntries { throw ArchiveLimitError("entries (limit \(l.maxEntries))") }
        try check(e)
        let cap = min(l.maxEntryBytes, max(e.compressedSize, 1) * l.maxRatio)
        guard let data = format.contents(of: e, in: bytes, limit: cap) else { return nil }
        if data.count > cap { throw ArchiveLimitError("expanded size of \(e.path) exceeds its header") }
        budget.bytes += data.count
        if budget.bytes > l.maxTotalBytes {
            throw ArchiveLimitError("total uncompressed bytes (limit \(l.maxTotalBytes))")
        }
        return data
    }
}

/// The one bounded archive reader: content inspection opens archives through it, and so do
/// the document readers (an OOXML or ODF document is a ZIP: a bomb inside a DOCX is an
/// archive-limit finding, like one inside a ZIP).
public struct ArchiveOpener: Sendable {
    /// The backends, tried in order.
    public var formats: [any ArchiveFormat]
    public init(formats: [any ArchiveFormat] = ArchiveOpener.builtIn) { self.formats = formats }

    public static let builtIn: [any ArchiveFormat] = [ZipFormat(), TarFormat()]

    /// Opens `bytes` with `format`; nil when it does not list them.
    public func open(_ bytes: [UInt8], format: any ArchiveFormat, budget: ArchiveBudget, limits: ArchiveLimits)
        -> OpenedArchive?
    {
        format.entries(of: bytes).map {
            OpenedArchive(entries: $0, bytes: bytes, format: format, budget: budget, limits: limits)
        }
    }

    /// Opens `bytes` with the first backend that lists it; nil when none does.
    public func open(_ bytes: [UInt8], budget: ArchiveBudget, limits: ArchiveLimits) -> OpenedArchive? {
        for f in formats {
            if let entries = f.entries(of: bytes) {
                return OpenedArchive(entries: entries, bytes: bytes, format: f, budget: budget, limits: limits)
            }
        }
        return nil
    }
}

/// ZIP (stored and deflated entries) from the central directory.
public struct ZipFormat: ArchiveFormat {
    public init() {}
    public func entries(of bytes: [UInt8]) -> [ArchiveEntry]? {
        ZipReader.entries(bytes)?.map {
            ArchiveEntry(
                path: $0.name, uncompressedSize: $0.uncompressedSize, compressedSize: $0.compressedSize,
                isEncrypted: $0.encrypted,
                isDirectory: $0.name.hasSuffix("/"), position: $0.localHeaderOffset, method: Int($0.method))
        }
    }
    public func contents(of e: ArchiveEntry, in bytes: [UInt8], limit: Int) -> [UInt8]? {
        let z = ZipEntry(
            name: e.path, flags: e.isEncrypted ? 1 : 0, method: UInt16(truncatingIfNeeded: e.method),
            compressedSize: e.compressedSize,
            uncompressedSize: e.uncompressedSize, localHeaderOffset: e.position)
        return ZipReader.data(bytes, z, limit: limit)
    }
}

/// POSIX tar (regular files).
public struct TarFormat: ArchiveFormat {
    public init() {}
    public func entries(of bytes: [UInt8]) -> [ArchiveEntry]? {
        TarReader.entries(bytes)?.map {
            ArchiveEntry(
                path: $0.0, uncompressedSize: $0.1.count, compressedSize: $0.1.count, position: $0.1.lowerBound)
        }
    }
    public func contents(of e: ArchiveEntry, in bytes: [UInt8], limit: Int) -> [UInt8]? {
        guard e.position >= 0, e.position + e.uncompressedSize <= bytes.count else { return nil }
        return Array(bytes[e.position..<(e.position + min(e.uncompressedSize, limit + 1))])
    }
}
