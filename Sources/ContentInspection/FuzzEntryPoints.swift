@_spi(Fuzzing) import MailParsing

/// What the content fuzz target runs (in the library, so crasher replays use the same code).
@_spi(Fuzzing) public enum ContentFuzzEntryPoints {
    static let limits = ArchiveLimits()

    /// The input as an attachment's bytes (identification, encryption checks, libmagic, and the
    /// bounded archive reader in each of its modes) and as a whole message. Must never crash or hang.
    public static func inspect(_ bytes: [UInt8]) {
        var items: [InspectedItem] = []
        ContentInspector(limits: limits).identify(
            bytes, element: ElementLocation([.attachment(1)]), filename: "f.zip", declared: "application/zip", depth: 0,
            budget: ArchiveBudget(), into: &items)
        for formats in [BoundedArchive.Formats.zip, .tar, .compressedStream] {
            _ = BoundedArchive.list(bytes, formats: formats, limits: limits)
            _ = BoundedArchive.read(bytes, formats: formats, limits: limits)
        }
        _ = Encryption.pkcs7ContentType(bytes)
        if let m = try? Message(parsing: bytes, limits: FuzzEntryPoints.limits) {
            _ = ContentInspector(limits: limits).inspect(m)
        }
    }
}
