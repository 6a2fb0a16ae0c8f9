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

/// Reads document properties and header/footer text from an office document's bytes.
///
/// Markings stays free of Foundation and ZIP code; the `OfficeDocuments` module provides
/// the OOXML implementation (`OOXMLReader`). Without one, an Office document is reported as
/// `element-not-inspected` (fail closed), never skipped silently.
public protocol DocumentMarkingSource: Sendable {
    func read(_ bytes: [UInt8]) -> DocumentText
}

/// Pure OOXML detection helpers (no ZIP parsing).
public enum OOXMLDetection {
    /// Custom property names read as markings (case-insensitive).
    public static let propertyNames: Set<String> = ["classification", "securityclassification", "security classification", "protectivemarking", "protective marking"]
    public static let extensions: Set<String> = ["docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "pptx", "pptm"]

    /// A ZIP (local file header signature) declared or named as an Office Open XML document.
    public static func looksLikeOOXML(_ bytes: [UInt8], filename: String?, mimeType: String) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 else { return false }
        return isOfficeType(filename: filename, mimeType: mimeType)
    }

    public static func isOfficeType(filename: String?, mimeType: String) -> Bool {
        if mimeType.hasPrefix("application/vnd.openxmlformats") || mimeType.hasPrefix("application/vnd.ms-word")
            || mimeType.hasPrefix("application/vnd.ms-excel") || mimeType.hasPrefix("application/vnd.ms-powerpoint") { return true }
        guard let f = filename, let dot = f.lastIndex(of: ".") else { return false }
        return extensions.contains(f[f.index(after: dot)...].lowercased())
    }

    /// Whether a part may be an Office document worth sniffing: an Office type or extension, or
    /// a generic container type (`application/octet-stream`, `application/zip`).
    public static func mayBeOffice(filename: String?, mimeType: String) -> Bool {
        mimeType == "application/octet-stream" || mimeType == "application/zip" || mimeType == "application/x-zip-compressed"
            || isOfficeType(filename: filename, mimeType: mimeType)
    }
}
