import ContentInspection
import Markings

/// Reads every document and container kind a mail client shows, identified by content
/// (spec §10.1–10.3): Office Open XML (Word, Excel, PowerPoint) and OpenDocument packages,
/// PDF, RTF, iCalendar, TNEF (`winmail.dat`), and archives (ZIP, 7z, RAR, cab, ISO, tar,
/// gzip/bzip2/xz) whose entries come back as elements. Bytes in, readings or a
/// not-inspected reason out: every reader is pure apart from the PDF one, which runs poppler's
/// `pdftotext` in a bounded child process (see ``PDFText``).
public struct DocumentReader: DocumentMarkingSource {
    /// Limits on archives and packages (entries, sizes, ratio) applied while reading.
    public var limits: ArchiveLimits
    /// Limits on PDF text extraction.
    public var pdf: PDFText.Limits

    public init(limits: ArchiveLimits = .default, pdf: PDFText.Limits = .default) {
        self.limits = limits
        self.pdf = pdf
    }

    public func read(_ bytes: [UInt8]) -> DocumentText {
        let b = bytes
        if b.starts(with: [0x78, 0x9F, 0x3E, 0x22]) { return TNEF.read(b) }
        if b.starts(with: Array("{\\rtf".utf8)) { return RTF.read(b) }
        if b.starts(with: ElementSniffer.compoundFileSignature) {
            // Word, Excel and PowerPoint 97–2003 and Outlook .msg are OLE2 compound files whose
            // headers, footers and properties pmark does not read yet: never a silent allow.
            var out = DocumentText(kind: "ole2")
            out.fail("legacy binary Office document or Outlook item (OLE2 compound file) is not read")
            return out
        }
        // Archive signatures sit at offset 0; PDF's may follow up to a KiB of junk, so a ZIP
        // holding a stored PDF (its `%PDF-` 30 bytes in) must be taken as the ZIP it is.
        if BoundedArchive.looksLikeArchive(b) { return readPackageOrArchive(b) }
        if PDFText.isPDF(b) { return PDFText.read(b, limits: pdf) }
        if Calendar.isCalendar(b) { return Calendar.read(b) }
        return DocumentText(kind: nil)
    }

    /// A ZIP may be an OOXML or ODF package (read its XML parts) or an archive (its entries are
    /// elements). The first pass lists names only (nothing decompressed).
    func readPackageOrArchive(_ b: [UInt8]) -> DocumentText {
        var out = DocumentText(kind: "archive")
        guard let names = BoundedArchive.read(b, limits: limits, wantData: { _ in false }) else {
            out.fail("archive cannot be read")
            return out
        }
        let lower = Set(names.entries.map { $0.name.lowercased() })
        let isOOXML = lower.contains("[content_types].xml")
        let isODF = lower.contains("mimetype") && (lower.contains("content.xml") || lower.contains("styles.xml"))
        if isOOXML || isODF {
            out.kind = isOOXML ? "ooxml" : "odf"
            // Every XML part is read and identified by its root element; binary parts are skipped.
            guard let listing = BoundedArchive.read(b, limits: limits, wantData: { $0.lowercased().hasSuffix(".xml") })
            else {
                out.fail("document package cannot be read")
                return out
            }
            if let l = listing.limitHit { out.fail("document package over a limit: \(l)") }
            if let d = listing.damaged { out.fail("document package is damaged: \(d)") }
            if listing.anyEncrypted { out.fail("document package has encrypted parts") }
            var slides: [(order: Int, lines: [String])] = []
            for e in listing.entries {
                guard let data = e.data, e.name.lowercased().hasSuffix(".xml") else { continue }
                let part = OfficeXML.read(data)
                if let f = part.failure {
                    // A part that holds no markings (the document body) may be left half-read;
                    // one that does must be read to its end.
                    if part.kind != .ignored || !part.sawRoot || f == .doctype { out.fail("\(e.name): \(describe(f))") }
                }
                out.properties += part.properties
                out.headerFooterLines += part.headerFooterLines
                if part.kind == .slide {
                    slides.append((Self.number(in: e.name), part.pages.first ?? []))
                } else {
                    for p in part.pages { out.pageLines.append(Self.firstAndLast(p)) }
                }
            }
            for s in slides.sorted(by: { $0.order < $1.order }) { out.pageLines.append(Self.firstAndLast(s.lines)) }
            return out
        }
        guard let listing = BoundedArchive.read(b, limits: limits) else {
            out.fail("archive cannot be read")
            return out
        }
        if let l = listing.limitHit { out.fail("archive over a limit: \(l)") }
        if let d = listing.damaged { out.fail("archive is damaged: \(d)") }
        if listing.headersEncrypted { out.fail("archive headers are encrypted") }
        for e in listing.entries where !e.name.hasSuffix("/") {
            if e.encrypted {
                out.entries.append(DocumentEntry(name: e.name, bytes: nil, notReadable: "entry is encrypted"))
                continue
            }
            guard let data = e.data else { continue }
            out.entries.append(DocumentEntry(name: listing.format == "raw" ? "" : e.name, bytes: data))
        }
        return out
    }

    func describe(_ f: XMLStream.Failure) -> String {
        switch f {
        case .doctype: return "XML with a document type declaration is refused"
        case .malformed(let why): return why
        case .tooLarge: return "part too large"
        }
    }

    /// The first number in a part name (`slide12.xml` → 12), for page order.
    static func number(in name: String) -> Int {
        var digits = ""
        for ch in name.split(separator: "/").last ?? "" {
            if ch.isASCII && ch.isNumber { digits.append(ch) } else if !digits.isEmpty { break }
        }
        return Int(digits.prefix(9)) ?? Int.max
    }

    /// The first and last non-blank of a page's lines.
    static func firstAndLast(_ lines: [String]) -> [String] {
        let l = lines.filter { !$0.allSatisfy { $0.isWhitespace } }
        guard let f = l.first, let last = l.last else { return [] }
        return l.count == 1 ? [f] : [f, last]
    }
}

extension MarkingOptions {
    /// The options pmark uses: the built-in vocabulary and the document reader.
    public static func standard(vocabulary: Vocabulary = .nz, extraHeaders: [String] = [], readMSIPLabels: Bool = false)
        -> MarkingOptions
    {
        MarkingOptions(
            vocabulary: vocabulary, extraHeaders: extraHeaders, readMSIPLabels: readMSIPLabels,
            documents: DocumentReader())
    }
}

/// The reader pmark used before documents were identified by content; kept as a name for callers.
public typealias OOXMLReader = DocumentReader
