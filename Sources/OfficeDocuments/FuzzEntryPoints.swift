import ContentInspection
import Markings

/// What the document fuzz targets run (in the library, so crasher replays use the same code).
/// Each must never crash, trap or hang on any input.
public enum DocumentFuzzEntryPoints {
    static let limits: ArchiveLimits = {
        var l = ArchiveLimits()
        l.maxEntries = 200
        l.maxEntryBytes = 4 << 20
        l.maxTotalBytes = 16 << 20
        return l
    }()

    /// One XML part (any root) through libxml2's reader, and the input as a whole package.
    public static func officeXML(_ bytes: [UInt8]) {
        _ = OfficeXML.read(bytes)
        _ = OfficeXML.sheetCodes(String(decoding: bytes, as: UTF8.self))
        if bytes.starts(with: [0x50, 0x4B]) { _ = DocumentReader(limits: limits).read(bytes) }
    }

    /// pmark's side of PDF reading: detection, page splitting of pdftotext's output, the page
    /// count scan. (poppler itself runs in a separate, bounded process.)
    public static func pdfFrontEnd(_ bytes: [UInt8]) {
        _ = PDFText.isPDF(bytes)
        _ = PDFText.split(bytes)
        _ = PDFText.pageCount(bytes)
        _ = PDFText.imagePageNumbers(bytes)
    }

    public static func tnef(_ bytes: [UInt8]) {
        // the signature is forced so every input reaches the attribute reader
        _ = TNEF.read([0x78, 0x9F, 0x3E, 0x22, 0x01, 0x00] + bytes.dropFirst(min(bytes.count, 6)))
        _ = TNEF.read(bytes)
        // the compressed-RTF decoder on its own, with a real header forced and as given
        _ = try? CompressedRTF.decompress(bytes, limit: 1 << 20)
        _ = try? CompressedRTF.decompress(
            [
                UInt8(truncatingIfNeeded: bytes.count + 12), UInt8(truncatingIfNeeded: (bytes.count + 12) >> 8), 0, 0,
                0, 0, 1, 0,
            ]
                + Array("LZFu".utf8) + [0, 0, 0, 0] + bytes, limit: 1 << 20)
    }

    public static func calendar(_ bytes: [UInt8]) {
        _ = Calendar.read(bytes)
        _ = Calendar.isCalendar(bytes)
    }

    public static func rtf(_ bytes: [UInt8]) {
        _ = RTF.read(bytes)
        _ = RTF.read(bytes, body: true)
        let text = String(decoding: bytes, as: UTF8.self)
        _ = TextDecoding.unflow(text, delsp: true)
        _ = TextDecoding.enriched(text)
        _ = TextDecoding.uuencodedFiles(text)
        _ = TextDecoding.clearSignedText(text)
        _ = TextDecoding.readings(bytes, declaredCharset: "utf-16")
        _ = ElementSniffer.kind(bytes)
    }

    /// libarchive on hostile input, through the bounded reader, and the document reader's dispatch.
    public static func archive(_ bytes: [UInt8]) {
        _ = BoundedArchive.read(bytes, limits: limits)
        _ = DocumentReader(limits: limits, pdf: .default).readPackageOrArchive(bytes)
    }
}
