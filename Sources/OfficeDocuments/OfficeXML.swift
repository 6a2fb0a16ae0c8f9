/// Reads one XML part of an Office Open XML or OpenDocument package, identified by its root
/// element (local name, any namespace prefix), not by its part name: a header named `hdr1.xml`,
/// `Header1.XML` or anything else is still a header (spec §10.2). One pass, linear in the part.
enum OfficeXML {
    enum Kind: Equatable {
        case wordHeaderFooter, slide, slideMasterOrLayout, sheet, customProperties, labelInfo, odf, ignored
    }

    struct Part {
        var kind: Kind = .ignored
        var properties: [(name: String, value: String)] = []
        var headerFooterLines: [String] = []
        /// Each page's lines (one page for a PowerPoint slide, one per `draw:page` in ODF).
        var pages: [[String]] = []
        var failure: XMLStream.Failure? = nil
        /// Whether the root element was reached (a part that fails before it is unidentified).
        var sawRoot = false
    }

    static let paragraphs: Set<String> = ["p", "h"]
    static let lineBreaks: Set<String> = ["br", "cr", "line-break"]
    /// Elements whose text a reader does not see: field instructions, deleted text, Word's tab-stop definitions.
    static let hiddenText: Set<String> = ["instrText", "delText", "delInstrText", "tabs", "param"]
    static let sheetHeaderFooter: Set<String> = [
        "oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter",
    ]
    static let odfHeaderFooter: Set<String> = [
        "header", "footer", "header-left", "footer-left", "header-first", "footer-first",
    ]
    static let slidePlaceholders: Set<String> = ["ftr", "hdr", "dt", "sldNum"]

    static func kind(ofRoot name: String) -> Kind {
        switch name {
        case "hdr", "ftr": return .wordHeaderFooter
        case "sld": return .slide
        case "sldLayout", "sldMaster", "notesMaster", "handoutMaster", "notes": return .slideMasterOrLayout
        case "worksheet", "chartsheet", "dialogsheet", "macrosheet": return .sheet
        case "Properties": return .customProperties
        case "labelList": return .labelInfo
        case "document-content", "document-styles", "document-meta": return .odf
        default: return .ignored
        }
    }

    /// A paragraph being read: its tab- or break-separated segments.
    struct Paragraph {
        var segments: [String] = [""]
        var visibleFor: Int  // element depth at which it started
        mutating func breakSegment() { if !(segments.last ?? "").isEmpty { segments.append("") } }
        /// The lines a reader sees: each segment (tab stops place them apart), and the whole
        /// paragraph when it has more than one.
        func lines() -> [String] {
            var segs: [String] = []
            for s in segments {
                for piece in s.split(separator: "\t", omittingEmptySubsequences: true) { segs.append(String(piece)) }
            }
            segs = segs.filter { !$0.allSatisfy { $0 == " " || $0 == "\u{A0}" } }
            if segs.count > 1 { return [segs.joined(separator: "\t")] + segs }
            return segs
        }
    }

    static func read(_ bytes: [UInt8]) -> Part {
        var part = Part()
        var depth = 0
        var stack: [String] = []
        var paras: [Paragraph] = []
        var hidden = 0  // depth inside hidden-text elements
        var placeholder: [String?] = []  // PowerPoint shape stack: placeholder type
        var inSheetHF: String? = nil
        var sheetText = ""
        var inODFHeaderFooter = 0
        var inODFPage = 0
        var currentPage: [String]? = nil
        var property: (name: String, value: String)? = nil
        var propertyDepth = 0

        func inPlaceholder() -> Bool { placeholder.contains { $0.map(slidePlaceholders.contains) ?? false } }

        let failure = XMLStream.walk(bytes) { event, attribute in
            switch event {
            case .start(let name):
                depth += 1
                stack.append(name)
                if depth == 1 {
                    part.kind = kind(ofRoot: name)
                    part.sawRoot = true
                    if part.kind == .ignored { return false }  // not a part that holds markings: stop reading
                    if part.kind == .slide { currentPage = [] }
                    return true
                }
                if hiddenText.contains(name) { hidden += 1 }
                switch part.kind {
                case .customProperties:
                    if name == "property", let n = attribute("name") {
                        property = (n, "")
                        propertyDepth = depth
                    }
                case .labelInfo:
                    // `docMetadata/LabelInfo.xml` (Office's sensitivity-label metadata since 2021):
                    // `<clbl:label id="{guid}" enabled="1" removed="0" …/>`, an id without a name.
                    // Reported like the older custom property, `MSIP_Label_<id>_Name` = the id, so
                    // the policy's `vocabulary.label-map` can map the id to a classification.
                    if name == "label", let raw = attribute("id"), attribute("enabled") != "0",
                        attribute("removed") != "1"
                    {
                        let id = raw.trimmingCharacters(in: "{} ").lowercased()
                        if !id.isEmpty { part.properties.append(("MSIP_Label_\(id)_Name", id)) }
                    }
                case .sheet:
                    if sheetHeaderFooter.contains(name) {
                        inSheetHF = name
                        sheetText = ""
                    }
                case .odf:
                    if odfHeaderFooter.contains(name) && stack.contains("master-page") { inODFHeaderFooter += 1 }
                    if name == "page" {
                        inODFPage += 1
                        currentPage = []
                    }
                    if name == "user-defined", let n = attribute("name") {
                        property = (n, "")
                        propertyDepth = depth
                    }
                    if name == "s", !paras.isEmpty {
                        paras[paras.count - 1].segments[paras[paras.count - 1].segments.count - 1] += " "
                    }
                case .slide, .slideMasterOrLayout:
                    if name == "sp" { placeholder.append(nil) }
                    if name == "ph", !placeholder.isEmpty {
                        placeholder[placeholder.count - 1] = attribute("type") ?? "body"
                    }
                default: break
                }
                if paragraphs.contains(name) {
                    paras.append(Paragraph(visibleFor: depth))
                } else if !paras.isEmpty, hidden == 0, name == "tab" || lineBreaks.contains(name) {
                    paras[paras.count - 1].breakSegment()
                }
            case .text(let t):
                if property != nil { property!.value += t }
                if inSheetHF != nil { sheetText += t }
                if hidden == 0, !paras.isEmpty {
                    // Word keeps visible text in <w:t>; other text nodes inside a Word paragraph are white space
                    let i = paras.count - 1
                    paras[i].segments[paras[i].segments.count - 1] += t
                }
            case .end(let name):
                if hiddenText.contains(name), hidden > 0 { hidden -= 1 }
                if paragraphs.contains(name), let p = paras.popLast() {
                    let lines = p.lines()
                    switch part.kind {
                    case .wordHeaderFooter: part.headerFooterLines += lines
                    case .slide:
                        currentPage?.append(contentsOf: lines)
                        if inPlaceholder() { part.headerFooterLines += lines }
                    case .slideMasterOrLayout: if inPlaceholder() { part.headerFooterLines += lines }
                    case .odf:
                        if inODFHeaderFooter > 0 { part.headerFooterLines += lines }
                        if inODFPage > 0 { currentPage?.append(contentsOf: lines) }
                    default: break
                    }
                }
                switch part.kind {
                case .customProperties, .odf:
                    if let p = property, depth == propertyDepth {
                        part.properties.append(p)
                        property = nil
                    }
                    if part.kind == .odf {
                        if odfHeaderFooter.contains(name), inODFHeaderFooter > 0 { inODFHeaderFooter -= 1 }
                        if name == "page", inODFPage > 0 {
                            inODFPage -= 1
                            part.pages.append(currentPage ?? [])
                            currentPage = nil
                        }
                    }
                case .sheet:
                    if name == inSheetHF {
                        part.headerFooterLines += sheetCodes(sheetText)
                        inSheetHF = nil
                    }
                case .slide, .slideMasterOrLayout:
                    if name == "sp", !placeholder.isEmpty { placeholder.removeLast() }
                default: break
                }
                depth -= 1
                if !stack.isEmpty { stack.removeLast() }
            }
            return true
        }
        if part.kind == .slide { part.pages.append(currentPage ?? []) }
        part.failure = failure
        return part
    }

    /// Excel `&CSECRET&RPage &P`: section codes (`&L`, `&C`, `&R`) split lines; font (`&"Arial,Bold"`),
    /// size (`&12`) and field codes are dropped; `&&` is `&`.
    static func sheetCodes(_ v: String) -> [String] {
        var lines: [String] = []
        var cur = ""
        var chars = Array(v)[...]
        while let ch = chars.first {
            chars = chars.dropFirst()
            if ch == "&", let code = chars.first {
                chars = chars.dropFirst()
                if code == "\"" {
                    while let x = chars.first, x != "\"" { chars = chars.dropFirst() }
                    chars = chars.dropFirst()
                    continue
                }
                if "LCR".contains(code) {
                    if !cur.isEmpty { lines.append(cur) }
                    cur = ""
                    continue
                }
                if code.isNumber {
                    while let x = chars.first, x.isNumber { chars = chars.dropFirst() }
                    continue
                }
                if code == "&" { cur.append("&") }
                continue
            }
            cur.append(ch)
        }
        if !cur.isEmpty { lines.append(cur) }
        return lines
    }
}
