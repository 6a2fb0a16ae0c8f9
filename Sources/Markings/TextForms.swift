import MailParsing

/// Text as a mail client displays it (spec §10.4): BOM sniffing, UTF-16 without a BOM read in
/// both byte orders, `format=flowed` (RFC 3676, with `delsp=yes`), `text/enriched` (RFC 1896),
/// and the parts of a text body a client shows as something else: inline uuencoded files and
/// the signed text of an inline PGP clear-signed message. Every function is linear in its input.
public enum TextDecoding {
    /// The readings of text bytes: one, or two for UTF-16 whose byte order is unknown. A BOM
    /// wins over the declared charset (clients honour it); `nil` for bytes that are not text.
    public static func readings(_ b: [UInt8], declaredCharset: String?) -> [String] {
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { return [String(decoding: b.dropFirst(3), as: UTF8.self)] }
        if b.starts(with: [0xFF, 0xFE]) { return [utf16(b.dropFirst(2), littleEndian: true)] }
        if b.starts(with: [0xFE, 0xFF]) { return [utf16(b.dropFirst(2), littleEndian: false)] }
        let label = declaredCharset?.lowercased().trimmingCharacters()
        if let l = label, l == "utf-16" || l == "utf16" || l == "unicode" || l == "ucs-2" {
            return [utf16(b[...], littleEndian: false), utf16(b[...], littleEndian: true)]
        }
        if let l = label, l == "utf-16le" { return [utf16(b[...], littleEndian: true)] }
        if let l = label, l == "utf-16be" { return [utf16(b[...], littleEndian: false)] }
        if label == nil, let order = unlabelledUTF16(b) { return [utf16(b[...], littleEndian: order)] }
        return [Charset.decode(b, charset: declaredCharset).text]
    }

    /// Decodes bytes of unknown charset when they look like text (see `ElementSniffer`).
    public static func decode(_ b: [UInt8], declaredCharset: String?) -> (text: String, utf16: Bool)? {
        if b.starts(with: [0xFF, 0xFE]) || b.starts(with: [0xFE, 0xFF]) {
            return (readings(b, declaredCharset: nil)[0], true)
        }
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { return (readings(b, declaredCharset: nil)[0], false) }
        if let order = unlabelledUTF16(b) { return (utf16(b[...], littleEndian: order), true) }
        if b.contains(0) { return nil }
        return (Charset.decode(b, charset: declaredCharset ?? "utf-8").text, false)
    }

    /// UTF-16 without a BOM: most odd (LE) or even (BE) bytes are NUL in Latin text.
    static func unlabelledUTF16(_ b: [UInt8]) -> Bool? {
        let n = min(b.count, 512) / 2
        guard n >= 2 else { return nil }
        var evenZero = 0, oddZero = 0
        for i in 0..<n {
            if b[2 * i] == 0 { evenZero += 1 }
            if b[2 * i + 1] == 0 { oddZero += 1 }
        }
        if oddZero * 10 >= n * 7 && evenZero * 10 < n { return true }
        if evenZero * 10 >= n * 7 && oddZero * 10 < n { return false }
        return nil
    }

    static func utf16(_ b: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(b.count / 2)
        var i = b.startIndex
        while i + 1 < b.endIndex {
            let lo = UInt16(b[i]), hi = UInt16(b[i + 1])
            units.append(littleEndian ? lo | hi << 8 : hi | lo << 8)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// RFC 3676 `format=flowed`: a line ending in a space continues on the next line (the space is
    /// removed too with `delsp=yes`); space-stuffing is undone; quoted lines keep their depth.
    public static func unflow(_ text: String, delsp: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var pending = ""  // a flowed paragraph being joined
        var pendingDepth = -1
        func flush() {
            if pendingDepth >= 0 {
                out += pending
                out += "\n"
                pending = ""
                pendingDepth = -1
            }
        }
        for raw in MarkingReader.lines(text) {
            var line = Substring(raw)
            var depth = 0
            while line.first == ">" {
                depth += 1
                line = line.dropFirst()
            }
            if line.first == " " { line = line.dropFirst() }  // space-stuffing
            let isSig = line == "-- "
            if pendingDepth >= 0 && depth != pendingDepth { flush() }
            if line.hasSuffix(" ") && !isSig {
                pendingDepth = depth
                pending += delsp ? String(line.dropLast()) : String(line)
            } else {
                if pendingDepth >= 0 {
                    pending += line
                    out += pending
                    out += "\n"
                    pending = ""
                    pendingDepth = -1
                } else {
                    out += line
                    out += "\n"
                }
            }
        }
        flush()
        return out
    }

    /// RFC 1896 `text/enriched` as displayed: formatting commands removed, `<<` is `<`, a single
    /// newline is a space and n newlines are n−1 line breaks; `<param>` text is not shown.
    public static func enriched(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let s = Array(text.unicodeScalars)
        var i = 0, paramDepth = 0
        while i < s.count {
            let c = s[i]
            if c == "<" {
                if i + 1 < s.count, s[i + 1] == "<" {
                    if paramDepth == 0 { out.append("<") }
                    i += 2
                    continue
                }
                var j = i + 1
                while j < s.count, s[j] != ">", j - i < 64 { j += 1 }
                let cmd = String(String.UnicodeScalarView(s[(i + 1)..<min(j, s.count)])).lowercased()
                if cmd == "param" { paramDepth += 1 } else if cmd == "/param" { paramDepth = max(0, paramDepth - 1) }
                i = min(j + 1, s.count)
                continue
            }
            if c == "\n" {
                var k = i
                while k < s.count, s[k] == "\n" || s[k] == "\r" { k += 1 }
                let count = s[i..<k].filter { $0 == "\n" }.count
                if paramDepth == 0 {
                    if count == 1 { out.append(" ") } else { for _ in 0..<(count - 1) { out.append("\n") } }
                }
                i = k
                continue
            }
            if paramDepth == 0 && c != "\r" { out.append(c) }
            i += 1
        }
        return String(out)
    }

    /// Files uuencoded inline in a text body (`begin 644 name` … `end`), as a client that shows
    /// them as attachments (Outlook, Thunderbird) does. Bounded by the text's own length.
    public static func uuencodedFiles(_ text: String) -> [(name: String, bytes: [UInt8])] {
        guard TextSearch.contains(text, "begin ") else { return [] }
        var out: [(String, [UInt8])] = []
        var current: (String, [UInt8])? = nil
        for line in MarkingReader.lines(text) {
            if current == nil {
                let parts = line.split(separator: " ", maxSplits: 2)
                if parts.count == 3, parts[0] == "begin", parts[1].allSatisfy({ $0 >= "0" && $0 <= "7" }) {
                    current = (String(parts[2]), [])
                }
                continue
            }
            if line == "end" || line.hasPrefix("end ") {
                if let c = current { out.append(c) }
                current = nil
                continue
            }
            let u = Array(line.utf8)
            guard let first = u.first else { continue }
            let n = Int((first &- 0x20) & 0x3F)
            if n == 0 { continue }
            var bytes: [UInt8] = []
            var i = 1
            while i + 3 < u.count + 1 && bytes.count < n {
                func v(_ k: Int) -> UInt8 { k < u.count ? (u[k] &- 0x20) & 0x3F : 0 }
                let a = v(i), b = v(i + 1), c = v(i + 2), d = v(i + 3)
                bytes.append(a << 2 | b >> 4)
                bytes.append((b & 0x0F) << 4 | c >> 2)
                bytes.append((c & 0x03) << 6 | d)
                i += 4
            }
            current?.1.append(contentsOf: bytes.prefix(n))
        }
        return out
    }

    /// The signed text of an inline PGP clear-signed message (RFC 4880 §7), dash-escaping undone;
    /// nil when the text holds none.
    public static func clearSignedText(_ text: String) -> String? {
        guard TextSearch.contains(text, "-----BEGIN PGP SIGNED MESSAGE-----") else { return nil }
        var out: [String] = []
        var state = 0  // 0 before, 1 armour headers, 2 signed text
        for line in MarkingReader.lines(text) {
            switch state {
            case 0: if line.trimmingCharacters() == "-----BEGIN PGP SIGNED MESSAGE-----" { state = 1 }
            case 1: if line.trimmingCharacters().isEmpty { state = 2 }
            default:
                if line.hasPrefix("-----BEGIN PGP SIGNATURE-----") { return out.joined(separator: "\n") }
                out.append(line.hasPrefix("- ") ? String(line.dropFirst(2)) : line)
            }
        }
        return state == 2 ? out.joined(separator: "\n") : nil
    }
}
