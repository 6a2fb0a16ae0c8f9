import ContentInspection
import Foundation
import Markings

/// Office Open XML documents (spec §8 "Office documents").
/// The OOXML implementation of ``DocumentMarkingSource``: `docProps/custom.xml` properties,
/// Word `word/header*.xml`/`footer*.xml` paragraphs and Excel header/footer elements.
public struct OOXMLReader: DocumentMarkingSource {
    public init() {}
    public func reads(type canonicalType: String) -> Bool { ContentInspector.isOfficeOpenXML(canonicalType) }
    public func read(_ document: DocumentInput) -> DocumentText {
        guard let container = document.container() else { return DocumentText(notInspected: "document is not a readable ZIP") }
        let c = OOXML.read(container)
        return DocumentText(properties: c.properties, headerFooterLines: c.headerFooterLines, notInspected: c.notInspected)
    }
}

extension MarkingOptions {
    /// The options pmark uses: the built-in vocabulary and the OOXML document reader.
    public static func standard(vocabulary: Vocabulary = .nz, extraHeaders: [String] = [], readMSIPLabels: Bool = false) -> MarkingOptions {
        MarkingOptions(vocabulary: vocabulary, extraHeaders: extraHeaders, readMSIPLabels: readMSIPLabels, documents: OOXMLReader())
    }
}

enum OOXML {
    /// The largest XML part read from a document: bounded so a decompression bomb inside a
    /// document cannot exhaust memory (issue 5 adds archive-wide limits).
    static let maxPartBytes = 4 << 20

    struct Content {
        var properties: [(name: String, value: String)] = []
        var headerFooterLines: [String] = []
        var notInspected: String? = nil
    }

    /// Reads the parts that can hold markings, each through the bounded archive reader: an
    /// archive limit (a bomb inside the document) makes the document not inspected.
    static func read(_ archive: OpenedArchive) -> Content {
        var c = Content()
        for entry in archive.entries where !entry.isDirectory {
            let path = entry.path
            let isCustom = path == "docProps/custom.xml"
            let isHF = (path.hasPrefix("word/header") || path.hasPrefix("word/footer")) && path.hasSuffix(".xml")
            let isSheet = path.hasPrefix("xl/worksheets/sheet") && path.hasSuffix(".xml")
            guard isCustom || isHF || isSheet else { continue }
            let data: [UInt8]
            do throws(ArchiveLimitError) {
                try archive.check(entry)
                guard entry.uncompressedSize <= maxPartBytes else { c.notInspected = "\(path) exceeds \(maxPartBytes) bytes"; continue }
                guard let d = try archive.read(entry) else { c.notInspected = "\(path) cannot be extracted"; continue }
                data = d
            } catch {
                c.notInspected = "archive limit: \(error.detail)"
                return c
            }
            if data.count > maxPartBytes { c.notInspected = "\(path) exceeds \(maxPartBytes) bytes"; continue }
            let xml = String(decoding: data, as: UTF8.self)
            if isCustom { c.properties += customProperties(xml) }
            if isHF { c.headerFooterLines += wordLines(xml) }
            if isSheet { c.headerFooterLines += sheetHeaderFooter(xml) }
        }
        return c
    }

    static func unescape(_ s: Substring) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `<property … name="Classification"><vt:lpwstr>SECRET</vt:lpwstr></property>`
    static func customProperties(_ xml: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var rest = xml[...]
        while let p = rest.range(of: "<property ") {
            guard let end = rest.range(of: "</property>", range: p.upperBound..<rest.endIndex) else { break }
            let el = rest[p.lowerBound..<end.lowerBound]
            rest = rest[end.upperBound...]
            guard let n = el.range(of: "name=\"") , let q = el[n.upperBound...].firstIndex(of: "\"") else { continue }
            let name = unescape(el[n.upperBound..<q])
            guard let gt = el[q...].firstIndex(of: ">") else { continue }
            // the value: text of the first child element
            let inner = el[el.index(after: gt)...]
            guard let vs = inner.firstIndex(of: ">"), let ve = inner[vs...].firstIndex(of: "<") else { continue }
            out.append((name, unescape(inner[inner.index(after: vs)..<ve])))
        }
        return out
    }

    /// Word header/footer: paragraphs (`</w:p>`) end lines; text is in `<w:t>` runs.
    static func wordLines(_ xml: String) -> [String] {
        var lines: [String] = []
        for para in xml.components(separatedBy: "</w:p>") {
            var text = ""
            var rest = para[...]
            while let t = rest.range(of: "<w:t") {
                guard let gt = rest[t.upperBound...].firstIndex(of: ">") else { break }
                if rest[rest.index(before: gt)] == "/" { rest = rest[rest.index(after: gt)...]; continue }
                guard let close = rest.range(of: "</w:t>", range: gt..<rest.endIndex) else { break }
                text += unescape(rest[rest.index(after: gt)..<close.lowerBound])
                rest = rest[close.upperBound...]
            }
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { lines.append(text) }
        }
        return lines
    }

    /// Excel `<oddHeader>&CSECRET</oddHeader>`: section codes (`&L`, `&C`, `&R`, font codes) split lines.
    static func sheetHeaderFooter(_ xml: String) -> [String] {
        var lines: [String] = []
        for tag in ["oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"] {
            var rest = xml[...]
            while let s = rest.range(of: "<\(tag)>"), let e = rest.range(of: "</\(tag)>", range: s.upperBound..<rest.endIndex) {
                let v = unescape(rest[s.upperBound..<e.lowerBound])
                var cur = ""
                var chars = Array(v)[...]
                while let ch = chars.first {
                    chars = chars.dropFirst()
                    if ch == "&", let code = chars.first {
                        chars = chars.dropFirst()
                        if code == "\"" { while let x = chars.first, x != "\"" { chars = chars.dropFirst() }; chars = chars.dropFirst(); continue }
                        if "LCR".contains(code) { if !cur.isEmpty { lines.append(cur) }; cur = ""; continue }
                        if code.isNumber { while let x = chars.first, x.isNumber { chars = chars.dropFirst() }; continue }
                        if code == "&" { cur.append("&") }
                        continue
                    }
                    cur.append(ch)
                }
                if !cur.isEmpty { lines.append(cur) }
                rest = rest[e.upperBound...]
            }
        }
        return lines
    }
}
