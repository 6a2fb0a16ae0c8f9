/// HTML to lines for the whole-line rule (spec §8): `head`, `title`, `style` and `script`
/// are dropped; block elements end a line; entities are decoded (`&nbsp;` is a space).
enum HTMLText {
    static let blocks: Set<String> = ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr", "td", "th", "pre", "section", "article", "header", "footer"]
    static let dropped: Set<String> = ["head", "title", "style", "script"]
    static let entities: [String: String] = ["nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ndash": "\u{2013}", "mdash": "\u{2014}", "shy": "\u{00AD}", "zwsp": "\u{200B}"]

    static func lines(_ html: String) -> [String] {
        var out = ""
        var chars = Array(html.unicodeScalars)
        var i = 0
        var dropUntil: String? = nil
        while i < chars.count {
            let c = chars[i]
            if c == "<" {
                var j = i + 1
                while j < chars.count, chars[j] != ">" { j += 1 }
                let tag = String(String.UnicodeScalarView(chars[(i + 1)..<min(j, chars.count)]))
                var name = tag.lowercased().drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }
                if tag.hasPrefix("!--") {  // comment
                    var k = i + 4
                    while k + 2 < chars.count, !(chars[k] == "-" && chars[k + 1] == "-" && chars[k + 2] == ">") { k += 1 }
                    i = k + 3; continue
                }
                let closing = tag.hasPrefix("/")
                if let d = dropUntil {
                    if closing && String(name) == d { dropUntil = nil }
                } else if dropped.contains(String(name)) && !closing && !tag.hasSuffix("/") {
                    dropUntil = String(name)
                } else if blocks.contains(String(name)) {
                    out += "\n"
                }
                name = ""
                i = j + 1
                continue
            }
            if dropUntil != nil { i += 1; continue }
            if c == "&" {
                var j = i + 1
                while j < chars.count, j - i < 10, chars[j] != ";", chars[j] != "&", chars[j] != "<" { j += 1 }
                if j < chars.count, chars[j] == ";" {
                    let ent = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                    if let r = entities[ent.lowercased()] { out += r; i = j + 1; continue }
                    if ent.hasPrefix("#") {
                        let num = ent.dropFirst()
                        let v = num.hasPrefix("x") || num.hasPrefix("X") ? UInt32(num.dropFirst(), radix: 16) : UInt32(num)
                        if let v, let u = Unicode.Scalar(v) { out.unicodeScalars.append(u); i = j + 1; continue }
                    }
                }
            }
            out.unicodeScalars.append(c == "\r" ? "\n" : c)
            i += 1
        }
        chars.removeAll()
        return out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
