extension Message {
    /// A one-line summary of the MIME tree: `multipart/mixed(text/plain, message/rfc822{text/html})`.
    public var structureSummary: String {
        func describe(_ m: Message, _ i: Int) -> String {
            let p = m.parts[i]
            var s = p.mimeType
            if !p.children.isEmpty { s += "(" + p.children.map { describe(m, $0) }.joined(separator: ", ") + ")" }
            if let e = p.embedded { s += "{" + describe(e, 0) + "}" }
            return s
        }
        return describe(self, 0)
    }

    /// Content types of every entity in pre-order, embedded messages included.
    public var contentTypesInOrder: [String] {
        var out: [String] = []
        walk { _, p in out.append(p.mimeType) }
        return out
    }
}
