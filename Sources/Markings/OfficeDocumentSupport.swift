/// One element found inside another: an archive entry, a calendar `ATTACH`, a TNEF attachment.
/// Its name is read like a file name and its bytes like an attachment, recursively.
public struct DocumentEntry: Sendable {
    public var name: String
    /// nil when the bytes could not be read (then `notReadable` says why).
    public var bytes: [UInt8]?
    public var notReadable: String?
    public init(name: String, bytes: [UInt8]?, notReadable: String? = nil) {
        self.name = name
        self.bytes = bytes
        self.notReadable = notReadable
    }
}

/// Marking-relevant text from a document or container element (spec §3.5, §10.1–10.3).
public struct DocumentText: Sendable {
    /// What the reader identified the bytes as (`docx`, `pptx`, `odt`, `pdf`, `rtf`, `calendar`,
    /// `tnef`, `archive`); nil when the bytes are none of the kinds the reader knows.
    public var kind: String?
    /// Custom document properties, name and value.
    public var properties: [(name: String, value: String)]
    /// Header and footer text lines (read with the whole-line rule).
    public var headerFooterLines: [String]
    /// The first and last non-blank line of each page (PDF) or slide (PowerPoint, Impress), in page order.
    public var pageLines: [[String]]
    /// Text read like a subject (a calendar item's `SUMMARY`, a TNEF message's subject).
    public var subjects: [String]
    /// Text read like a body: first and last non-blank line (a calendar `DESCRIPTION`, a TNEF body).
    public var bodies: [String]
    /// HTML read like an HTML body, as displayed (a TNEF message's `PR_HTML` body).
    public var htmlBodies: [String] = []
    /// Elements inside this one (archive entries, calendar attachments, TNEF attachments).
    public var entries: [DocumentEntry]
    /// Set when (part of) the document could not be inspected: the reader fails closed.
    public var notInspected: String?

    public init(
        kind: String? = nil, properties: [(name: String, value: String)] = [], headerFooterLines: [String] = [],
        pageLines: [[String]] = [],
        subjects: [String] = [], bodies: [String] = [], entries: [DocumentEntry] = [], notInspected: String? = nil
    ) {
        self.kind = kind
        self.properties = properties
        self.headerFooterLines = headerFooterLines
        self.pageLines = pageLines
        self.subjects = subjects
        self.bodies = bodies
        self.entries = entries
        self.notInspected = notInspected
    }

    /// Adds a reason the document was not (fully) inspected, keeping earlier ones.
    public mutating func fail(_ why: String) { notInspected = notInspected.map { $0 + "; " + why } ?? why }
}

/// Reads marking-relevant text from an element's bytes, identified by content.
///
/// Markings stays free of Foundation and C document libraries; the `OfficeDocuments` module
/// provides the implementation (`DocumentReader`). Without one, a document is reported as
/// `element-not-inspected` (fail closed), never skipped silently.
public protocol DocumentMarkingSource: Sendable {
    func read(_ bytes: [UInt8]) -> DocumentText
}

/// Pure detection helpers (no parsing).
public enum OOXMLDetection {
    /// Custom property names read as markings (case-insensitive).
    public static let propertyNames: Set<String> = [
        "classification", "securityclassification", "security classification", "protectivemarking",
        "protective marking",
    ]
    public static let extensions: Set<String> = [
        "docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "pptx", "pptm",
    ]

    /// A ZIP (local file header signature) declared or named as an Office Open XML document.
    public static func looksLikeOOXML(_ bytes: [UInt8], filename: String?, mimeType: String) -> Bool {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 else {
            return false
        }
        return isOfficeType(filename: filename, mimeType: mimeType)
    }

    public static func isOfficeType(filename: String?, mimeType: String) -> Bool {
        if mimeType.hasPrefix("application/vnd.openxmlformats") || mimeType.hasPrefix("application/vnd.ms-word")
            || mimeType.hasPrefix("application/vnd.ms-excel") || mimeType.hasPrefix("application/vnd.ms-powerpoint")
        {
            return true
        }
        guard let f = filename, let dot = f.lastIndex(of: ".") else { return false }
        return extensions.contains(f[f.index(after: dot)...].lowercased())
    }

    /// Whether a part may be an Office document worth sniffing: an Office type or extension, or
    /// a generic container type (`application/octet-stream`, `application/zip`).
    public static func mayBeOffice(filename: String?, mimeType: String) -> Bool {
        mimeType == "application/octet-stream" || mimeType == "application/zip"
            || mimeType == "application/x-zip-compressed"
            || isOfficeType(filename: filename, mimeType: mimeType)
    }
}

/// What an element's bytes are, from their first bytes alone (spec §10.1: by content, whatever
/// the name or declared type says).
public enum ElementSniffer {
    public enum Kind: Sendable, Equatable {
        /// A document or container the document reader reads (ZIP/OOXML/ODF, PDF, RTF, TNEF, calendar, 7z, RAR, gzip,
        /// tar, …).
        case document
        /// An RFC 5322 message (a forwarded `.eml` declared octet-stream).
        case message
        /// Text (UTF-8, or with a BOM, or UTF-16 without one).
        case text
        /// Anything else (images, media, executables): nothing to read for markings.
        case other
    }

    static func has(_ b: [UInt8], _ s: String, at o: Int = 0) -> Bool {
        let u = Array(s.utf8)
        return b.count >= o + u.count && b[o..<(o + u.count)].elementsEqual(u)
    }

    /// OLE2 / Compound File Binary (MS-CFB): Word, Excel and PowerPoint 97–2003, Outlook `.msg`,
    /// encrypted OOXML. A document: the reader must account for it (spec §10.2).
    public static let compoundFileSignature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    public static func kind(_ b: [UInt8]) -> Kind {
        if b.isEmpty { return .other }
        // binary containers and documents
        if has(b, "PK\u{03}\u{04}") || has(b, "PK\u{05}\u{06}") || has(b, "%PDF") || has(b, "{\\rtf")
            || b.starts(with: [0x78, 0x9F, 0x3E, 0x22])
            || b.starts(with: [0x1F, 0x8B]) || b.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C])
            || has(b, "Rar!\u{1A}\u{07}") || has(b, "MSCF")
            || has(b, "BZh") || b.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00])
            || (b.count > 262 && has(b, "ustar", at: 257))
            || b.starts(with: compoundFileSignature)
        {
            return .document
        }
        // %PDF may follow a little junk (readers accept it within the first KiB)
        if let i = firstIndex(of: Array("%PDF-".utf8), in: b.prefix(1024)), i >= 0 { return .document }
        let t = textPrefix(b)
        guard let text = t else { return .other }
        let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        if trimmed.uppercased().hasPrefix("BEGIN:VCALENDAR") { return .document }
        if looksLikeMessage(text) { return .message }
        return .text
    }

    static func firstIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= hay.count else { return nil }
        var i = hay.startIndex
        while i + needle.count <= hay.endIndex {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The first bytes as text when they look like text: no NULs (UTF-8), or a BOM, or UTF-16
    /// without one (every other byte NUL). Control characters other than white space are rare.
    static func textPrefix(_ b: [UInt8]) -> String? {
        let p = Array(b.prefix(1024))
        if let decoded = TextDecoding.decode(p, declaredCharset: nil) {
            let scalars = decoded.text.unicodeScalars
            let controls = scalars.filter {
                $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" && $0 != "\u{0C}"
            }.count
            if controls * 50 > max(scalars.count, 1) { return nil }
            return decoded.text
        }
        return nil
    }

    /// Header lines (`Name: value`) up to a blank line, with at least two well-known message fields.
    static func looksLikeMessage(_ text: String) -> Bool {
        let known: Set<String> = [
            "from", "to", "subject", "date", "message-id", "received", "return-path", "mime-version", "content-type",
            "cc", "reply-to", "sender", "x-protective-marking",
        ]
        var seen = 0, lines = 0
        for line in MarkingReader.lines(text) {
            if line.isEmpty { return seen >= 2 }
            lines += 1
            if line.first == " " || line.first == "\t" { continue }
            guard let colon = line.firstIndex(of: ":") else { return false }
            let name = line[..<colon]
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && $0 != " " && !$0.isWhitespace }) else { return false }
            if known.contains(name.lowercased()) { seen += 1 }
            if lines > 200 { break }
        }
        return seen >= 2
    }
}
