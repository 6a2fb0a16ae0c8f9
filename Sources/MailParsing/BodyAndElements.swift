extension Message {
    /// Splits a message's leaf parts into body parts (the first text part, or every text
    /// alternative of its multipart/alternative) and elements (everything else that is a leaf).
    /// Text types a client renders as the message body (`text/enriched` as RFC 1896 text).
    public static let bodyTypes: Set<String> = ["text/plain", "text/html", "text/enriched", "text/richtext"]

    public func bodyAndElements() -> (body: [Int], elements: [Int]) {
        let m = self
        var parent = [Int](repeating: -1, count: m.parts.count)
        for (i, p) in m.parts.enumerated() { for c in p.children { parent[c] = i } }
        func isBodyCandidate(_ i: Int) -> Bool {
            let p = m.parts[i]
            return Self.bodyTypes.contains(p.mimeType) && p.disposition?.value != "attachment" && p.embedded == nil
        }
        var body: [Int] = []
        if let first = m.parts.indices.first(where: { m.parts[$0].children.isEmpty && isBodyCandidate($0) }) {
            let par = parent[first]
            if par >= 0, m.parts[par].mimeType == "multipart/alternative" {
                body = m.parts[par].children.filter(isBodyCandidate)
            } else {
                body = [first]
            }
        }
        let bodySet = Set(body)
        let elements = m.parts.indices.filter { i in
            let p = m.parts[i]
            // A single-part message whose only part is not a body (text with `Content-Disposition:
            // attachment`, a calendar invitation) is itself an element: clients show it (spec §10.1).
            return !bodySet.contains(i) && (p.children.isEmpty && !p.isMultipart || p.embedded != nil)
        }
        return (body, elements)
    }
}
