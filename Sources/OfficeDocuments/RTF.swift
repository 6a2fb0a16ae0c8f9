import Markings

/// RTF header and footer groups (spec §10.2): `{\header …}`, `{\headerl …}`, `{\headerr …}`,
/// `{\headerf …}` and the footer forms. A small reader of pmark's own: one pass over the bytes,
/// an explicit group stack (no recursion), bounded by the input; `\par`/`\line` end a line,
/// `\tab`/`\cell` separate segments, `\'hh` is a Windows-1252 byte, `\uN` a Unicode character
/// (skipping `\ucN` fallback characters), `{\*\…}` destinations and tables (fonts, colours,
/// styles, pictures) are not text.
enum RTF {
    static let headerFooterWords: Set<String> = [
        "header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf",
    ]
    static let skipDestinations: Set<String> = [
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "listtable", "listoverridetable",
        "rsidtbl", "generator", "xmlnstbl", "themedata", "colorschememapping", "datastore", "latentstyles", "fldinst",
        "bkmkstart", "bkmkend",
    ]
    /// Deepest group nesting read (default 1,000): real documents nest tens deep.
    static let maxDepth = 1_000

    struct Group {
        var skip: Bool
        var headerFooter: Bool
        var uc: Int
    }

    /// Most body text kept when the body is read (default 1 MiB of scalars): only its first and
    /// last non-blank lines are read for markings, so beyond this the middle of the body is
    /// dropped while the latest non-blank line is always kept.
    static let maxBodyScalars = 1 << 20

    /// Reads header and footer groups; with `body`, also the body text (outside header/footer
    /// groups and non-text destinations) as one string of lines in `bodies`, for RTF that is a
    /// message body (TNEF `PR_RTF_COMPRESSED`), read like a body: first and last non-blank line.
    static func read(_ b: [UInt8], body: Bool = false) -> DocumentText {
        var out = DocumentText(kind: "rtf")
        var stack: [Group] = [Group(skip: false, headerFooter: false, uc: 1)]
        var scalars = String.UnicodeScalarView()
        var bodyLines: [String] = []  // (appending to one growing scalar view re-reserves exactly: quadratic)
        var bodyLine = String.UnicodeScalarView()
        var bodyCount = 0, lineCount = 0  // scalars in bodyLines and bodyLine (a view's count is O(n))
        var lastBodyLine: String.UnicodeScalarView? = nil
        var pendingSkip = 0
        var newGroup = false
        func endBodyLine() {
            guard body else { return }
            if bodyCount + lineCount < maxBodyScalars {
                bodyLines.append(String(bodyLine))
                bodyCount += lineCount + 1
            } else if !bodyLine.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\u{A0}" }) {
                lastBodyLine = bodyLine
            }
            bodyLine = String.UnicodeScalarView()
            lineCount = 0
        }
        func flush() {
            if stack.last?.headerFooter == true {
                let text = String(scalars)
                for seg in text.split(separator: "\t") where !seg.allSatisfy({ $0 == " " }) {
                    out.headerFooterLines.append(String(seg))
                }
            } else {
                endBodyLine()
            }
            scalars = String.UnicodeScalarView()
        }
        func emit(_ s: Unicode.Scalar) {
            if pendingSkip > 0 {
                pendingSkip -= 1
                return
            }
            guard let g = stack.last, !g.skip else { return }
            if g.headerFooter {
                scalars.append(s)
            } else if body, lineCount < maxBodyScalars {
                bodyLine.append(s)
                lineCount += 1
            }
        }
        func finish() -> DocumentText {
            if body {
                endBodyLine()
                if let l = lastBodyLine { bodyLines.append(String(l)) }
                out.bodies.append(bodyLines.joined(separator: "\n"))
            }
            return out
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x7B:  // {
                guard stack.count < maxDepth else {
                    out.fail("RTF nests deeper than \(maxDepth) groups")
                    return finish()
                }
                stack.append(stack.last ?? Group(skip: false, headerFooter: false, uc: 1))
                newGroup = true
                i += 1
                continue
            case 0x7D:  // }
                if stack.last?.headerFooter == true, stack.count >= 2, stack[stack.count - 2].headerFooter == false {
                    flush()
                }
                if stack.count > 1 { stack.removeLast() }
                i += 1
            case 0x5C:  // backslash
                i += 1
                guard i < b.count else { break }
                let d = b[i]
                if d == 0x27, i + 2 < b.count, let hi = hex(b[i + 1]), let lo = hex(b[i + 2]) {  // \'hh
                    emit(cp1252(hi << 4 | lo))
                    i += 3
                } else if d == 0x2A {  // \* : an optional destination, ignored unless known
                    stack[stack.count - 1].skip = true
                    i += 1
                } else if isLetter(d) {
                    var j = i
                    while j < b.count, isLetter(b[j]), j - i < 32 { j += 1 }
                    let word = String(decoding: b[i..<j], as: UTF8.self)
                    var k = j, neg = false
                    if k < b.count, b[k] == 0x2D {
                        neg = true
                        k += 1
                    }
                    var num: Int? = nil
                    while k < b.count, b[k] >= 0x30, b[k] <= 0x39, k - j < 10 {
                        num = (num ?? 0) * 10 + Int(b[k] - 0x30)
                        k += 1
                    }
                    if k < b.count, b[k] == 0x20 { k += 1 }
                    i = k
                    let n = num.map { neg ? -$0 : $0 }
                    if newGroup, headerFooterWords.contains(word) {
                        stack[stack.count - 1].headerFooter = true
                        stack[stack.count - 1].skip = false
                    } else if newGroup, skipDestinations.contains(word) {
                        stack[stack.count - 1].skip = true
                    }
                    switch word {
                    case "par", "line", "row", "sect", "page": flush()
                    case "tab", "cell": emit("\t")
                    case "uc": stack[stack.count - 1].uc = max(0, min(n ?? 1, 10))
                    case "u":
                        if var v = n {
                            if v < 0 { v += 65_536 }
                            if let s = Unicode.Scalar(UInt32(clamping: v)) { emit(s) }
                        }
                        pendingSkip = stack.last?.uc ?? 1
                        newGroup = false
                        continue
                    case "emdash": emit("\u{2014}")
                    case "endash": emit("\u{2013}")
                    case "lquote": emit("\u{2018}")
                    case "rquote": emit("\u{2019}")
                    case "ldblquote": emit("\u{201C}")
                    case "rdblquote": emit("\u{201D}")
                    case "bullet": emit("\u{2022}")
                    default: break
                    }
                    newGroup = false
                    continue
                } else {
                    // control symbols: \\ \{ \} \~ (NBSP) \- \_
                    switch d {
                    case 0x5C, 0x7B, 0x7D: emit(Unicode.Scalar(d))
                    case 0x7E: emit("\u{A0}")
                    case 0x5F: emit("-")
                    case 0x0A, 0x0D: flush()
                    default: break
                    }
                    i += 1
                }
            case 0x0A, 0x0D:
                i += 1
            default:
                emit(cp1252(c))
                i += 1
            }
            newGroup = false
        }
        return finish()
    }

    static func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x37
        case 0x61...0x66: c - 0x57
        default: nil
        }
    }
    static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D,
        0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E,
        0x178,
    ]
    static func cp1252(_ b: UInt8) -> Unicode.Scalar {
        if b >= 0x80 && b < 0xA0 { return Unicode.Scalar(cp1252High[Int(b - 0x80)]) ?? "?" }
        return Unicode.Scalar(b)
    }
}
