import CLibXML2

/// A namespace-aware, streaming walk over an XML part with libxml2's `xmlTextReader` (pull
/// parser, linear time, constant memory beyond the current node).
///
/// Why libxml2's reader and not FoundationXML's `XMLParser`: on Linux `XMLParser` is itself a
/// wrapper over libxml2's SAX interface that converts every callback into Foundation objects and
/// keeps parser state in thread-local storage; the reader gives pmark the same parser with local
/// names (any prefix) directly, options under its own control, and no delegate objects.
///
/// Hostile-input posture: `XML_PARSE_NONET` (no network), no `XML_PARSE_NOENT` (entities are not
/// substituted), no DTD loading, no `XML_PARSE_HUGE`; a part with a document type declaration is
/// refused outright (OOXML and ODF never carry one), which rules out external entities and
/// entity-expansion bombs whatever the parser's defaults. Errors never print.
enum XMLStream {
    enum Event {
        case start(String)  // local name; attributes through the `attribute` closure while handling it
        case end(String)
        case text(String)
    }

    enum Failure: Error, Equatable { case doctype, malformed(String), tooLarge }

    static let initialised: Bool = {
        xmlInitParser()
        return true
    }()

    /// Walks `bytes`, calling `visit` for each event; `visit` returns false to stop early.
    /// `attribute` (valid during `.start`) returns an attribute's value by local name.
    static func walk(_ bytes: [UInt8], _ visit: (Event, (String) -> String?) -> Bool) -> Failure? {
        _ = initialised
        guard bytes.count < Int(Int32.max) else { return .tooLarge }
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                | XML_PARSE_NOCDATA.rawValue)
        return bytes.withUnsafeBufferPointer { buf -> Failure? in
            guard let base = buf.baseAddress else { return .malformed("empty part") }
            let r = base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                xmlReaderForMemory($0, Int32(buf.count), nil, nil, options)
            }
            guard let reader = r else { return .malformed("not XML") }
            defer { xmlFreeTextReader(reader) }
            xmlTextReaderSetStructuredErrorHandler(reader, { _, _ in }, nil)
            func str(_ p: UnsafePointer<xmlChar>?) -> String { p.map { String(cString: $0) } ?? "" }
            // With an undeclared prefix libxml2 reports the whole qualified name (`w:hdr`) as the
            // local name; a reader that ignores namespaces (as Word tolerates) sees `hdr`.
            func local(_ p: UnsafePointer<xmlChar>?) -> String {
                let s = str(p)
                guard let c = s.lastIndex(of: ":") else { return s }
                return String(s[s.index(after: c)...])
            }
            func attribute(_ name: String) -> String? {
                guard xmlTextReaderHasAttributes(reader) == 1 else { return nil }
                var found: String? = nil
                while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                    if local(xmlTextReaderConstLocalName(reader)) == name {
                        found = str(xmlTextReaderConstValue(reader))
                        break
                    }
                }
                xmlTextReaderMoveToElement(reader)
                return found
            }
            while true {
                let rc = xmlTextReaderRead(reader)
                if rc == 0 { return nil }
                if rc < 0 { return .malformed("XML is not well-formed") }
                switch xmlTextReaderNodeType(reader) {
                case 1:  // element
                    let name = local(xmlTextReaderConstLocalName(reader))
                    let empty = xmlTextReaderIsEmptyElement(reader) == 1
                    if !visit(.start(name), attribute) { return nil }
                    if empty, !visit(.end(name), { _ in nil }) { return nil }
                case 15:  // end element
                    if !visit(.end(local(xmlTextReaderConstLocalName(reader))), { _ in nil }) { return nil }
                case 3, 4, 14:  // text, CDATA, significant white space
                    if !visit(.text(str(xmlTextReaderConstValue(reader))), { _ in nil }) { return nil }
                case 10:  // document type declaration
                    return .doctype
                default: continue
                }
            }
        }
    }
}
