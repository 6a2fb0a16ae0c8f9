import ContentInspection

/// Marking-relevant text from an office document (spec §8 "Office documents").
public struct DocumentText: Sendable {
    /// Custom document properties, name and value.
    public var properties: [(name: String, value: String)]
    /// Header and footer text lines (read with the whole-line rule).
    public var headerFooterLines: [String]
    /// Set when (part of) the document could not be inspected: the reader fails closed.
    public var notInspected: String?

    public init(properties: [(name: String, value: String)] = [], headerFooterLines: [String] = [], notInspected: String? = nil) {
        self.properties = properties; self.headerFooterLines = headerFooterLines; self.notInspected = notInspected
    }
}

/// A document element handed to a document reader: its decoded bytes (decoded once, shared
/// with content inspection), its type as content inspection identified it, and access to its
/// container through the one bounded archive reader (so a bomb inside a document hits the
/// same archive limits as one inside a ZIP).
public struct DocumentInput: Sendable {
    public let bytes: [UInt8]
    /// The canonical identified type (`application/vnd.openxmlformats-officedocument.…`).
    public let type: String
    let budget: ArchiveBudget

    public init(bytes: [UInt8], type: String, budget: ArchiveBudget = ArchiveBudget()) {
        self.bytes = bytes; self.type = type; self.budget = budget
    }

    /// The document as a ZIP container (OOXML, ODF), opened through the bounded reader; nil
    /// when it is not one. Entries read from it count against the message's archive limits.
    public func container(opener: ArchiveOpener = ArchiveOpener()) -> OpenedArchive? {
        opener.open(bytes, format: ZipFormat(), budget: budget)
    }
}

/// Reads document properties and header/footer text from a document element.
///
/// Markings stays free of Foundation and XML code; the `OfficeDocuments` module provides the
/// OOXML implementation (`OOXMLReader`). Without one, an Office document is reported as
/// `element-not-inspected` (fail closed), never skipped silently. Which elements are
/// documents is decided by content inspection, never by name or declared type.
public protocol DocumentMarkingSource: Sendable {
    /// Whether this reader reads elements identified as `canonicalType`.
    func reads(type canonicalType: String) -> Bool
    func read(_ document: DocumentInput) -> DocumentText
}

/// What a document reader looks for.
public enum OOXMLDetection {
    /// Custom property names read as markings (case-insensitive).
    public static let propertyNames: Set<String> = ["classification", "securityclassification", "security classification", "protectivemarking", "protective marking"]
}
