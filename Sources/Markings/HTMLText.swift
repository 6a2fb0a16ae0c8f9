/// HTML to text for the whole-line rule (spec §8): `head`, `title`, `style` and `script`
/// are dropped; block elements end a line; entities are decoded (`&nbsp;` is a space).
/// Works on UTF-8 bytes in one pass.
enum HTMLText {
    static let blocks: Set<String> = ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr", "td", "th", "pre", "section", "article", "header", "footer"]
    static let dropped: Set<String> = ["head", "title", "style", "script"]
    static let blockNames: [[UInt8]] = blocks.map { Array($0.utf8) }
    static let droppedNames: [[UInt8]] = dropped.map { Array($0.utf8) }
    static let entities: [String: String] = ["nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ndash": "\u{2013}", "mdash": "\u{2014}", "shy": "\u{00AD}", "zwsp": "\u{200B}"]

    /// The text as lines (all of them).
    static func lines(_ html: String) -> [String] {
        let text = toText(html)
        var out: [String] = []
        var s = 0
        for (i, b) in text.enumerated() where b == 0x0A {
            out.append(String(decoding: text[s..<i], as: UTF8.self)); s = i + 1
        }
        out.append(String(decoding: text[s...], as: UTF8.self))
        return out
    }

    /// The first and last non-empty lines only.
    static func firstAndLastLines(_ html: String) -> [String] {
        toText(html).withUnsafeBufferPointer { MarkingReader.firstAndLastLines(bytes: $0) }
    }

    static func toText(_ html: String) -> [UInt8] {
        var html = html
        return html.withUTF8 { toText(bytes: $0) }
    }

    static func toText(bytes u: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        var dropUntil: [UInt8]? = nil
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
        while i < u.count {
            let c = u[i]
            if c == 0x3C {  // <
                if i + 3 < u.count, u[i + 1] == 0x21, u[i + 2] == 0x2D, u[i + 3] == 0x2D {  // <!--
                    var k = i + 4
                    while k + 2 < u.count, !(u[k] == 0x2D && u[k + 1] == 0x2D && u[k + 2] == 0x3E) { k += 1 }
                    i = k + 3; continue
                }
                var j = i + 1
                while j < u.count, u[j] != 0x3E { j += 1 }
                if j == u.count {
                    // No '>' anywhere after this '<': the rest is text. (Rescanning from every
                    // later '<' would be quadratic.)
                    if dropUntil == nil { for b in u[i...] { out.append(b == 0x0D ? 0x0A : b) } }
                    break
                }
                let closing = i + 1 < u.count && u[i + 1] == 0x2F
                var n = i + 1 + (closing ? 1 : 0)
                var name: [UInt8] = []
                while n < j, name.count < 12, (u[n] >= 0x41 && u[n] <= 0x5A) || (u[n] >= 0x61 && u[n] <= 0x7A) || (u[n] >= 0x30 && u[n] <= 0x39) { name.append(lower(u[n])); n += 1 }
                let selfClosing = j > i && j - 1 < u.count && u[j - 1] == 0x2F
                if let d = dropUntil {
                    if closing && name == d { dropUntil = nil }
                } else {
                    // Byte comparisons against small tables: no String or hashing per tag.
                    if !closing && !selfClosing && droppedNames.contains(name) { dropUntil = name }
                    else if !name.isEmpty && name.count <= 10 && blockNames.contains(name) { out.append(0x0A) }
                }
                i = j + 1
                continue
            }
            if dropUntil != nil { i += 1; continue }
            if c != 0x26 && c != 0x0D {
                // Copy the run of plain text up to the next '<', '&' or CR in one go.
                var e = i + 1
                while e < u.count, u[e] != 0x3C, u[e] != 0x26, u[e] != 0x0D { e += 1 }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: u[i..<e]))
                i = e
                continue
            }
            if c == 0x26 {  // &
                var j = i + 1
                while j < u.count, j - i < 10, u[j] != 0x3B, u[j] != 0x26, u[j] != 0x3C { j += 1 }
                if j < u.count, u[j] == 0x3B {
                    let ent = String(decoding: u[(i + 1)..<j], as: UTF8.self)
                    if let r = entities[ent.lowercased()] { out += Array(r.utf8); i = j + 1; continue }
                    if ent.hasPrefix("#") {
                        let num = ent.dropFirst()
                        let v = num.hasPrefix("x") || num.hasPrefix("X") ? UInt32(num.dropFirst(), radix: 16) : UInt32(num)
                        if let v, let sc = Unicode.Scalar(v) { out += Array(String(Character(sc)).utf8); i = j + 1; continue }
                    }
                }
            }
            out.append(c == 0x0D ? 0x0A : c)
            i += 1
        }
        return out
    }
}
