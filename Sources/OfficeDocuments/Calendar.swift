import Markings

/// iCalendar items (RFC 5545; `text/calendar`, `application/ics`, meeting requests), read as a
/// client shows them (spec §10.3): `SUMMARY` like a subject, `DESCRIPTION` like a body, `ATTACH`
/// like an attachment (inline `VALUE=BINARY` content is an element; a URI's last path segment is a
/// file name). One pass over unfolded lines, linear in the input.
enum Calendar {
    static func isCalendar(_ b: [UInt8]) -> Bool {
        guard let t = TextDecoding.decode(Array(b.prefix(512)), declaredCharset: "utf-8")?.text else { return false }
        return t.drop { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "\t" || $0 == "\u{FEFF}" }.uppercased()
            .hasPrefix("BEGIN:VCALENDAR")
    }

    static func read(_ b: [UInt8]) -> DocumentText {
        var out = DocumentText(kind: "calendar")
        let text = TextDecoding.readings(b, declaredCharset: "utf-8").first ?? ""
        // unfold: a line starting with a space or tab continues the previous one
        var logical: [String] = []
        for line in MarkingReaderLines.lines(text) {
            if let f = line.first, f == " " || f == "\t", !logical.isEmpty {
                logical[logical.count - 1] += line.dropFirst()
            } else {
                logical.append(line)
            }
        }
        for line in logical {
            guard let colon = valueColon(line) else { continue }
            let head = line[..<colon], value = String(line[line.index(after: colon)...])
            let parts = head.split(separator: ";")
            guard let name = parts.first?.uppercased() else { continue }
            var params: [String: String] = [:]
            for p in parts.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { params[kv[0].uppercased()] = String(kv[1]).trimmingCharacters(in: "\"") }
            }
            switch name {
            case "SUMMARY": out.subjects.append(unescape(value))
            case "DESCRIPTION", "COMMENT": out.bodies.append(unescape(value))
            case "LOCATION": out.subjects.append(unescape(value))
            case "ATTACH":
                let filename = params["X-FILENAME"] ?? params["FILENAME"] ?? params["X-APPLE-FILENAME"]
                if params["VALUE"]?.uppercased() == "BINARY" || params["ENCODING"]?.uppercased() == "BASE64" {
                    if let bytes = Base64.decode(value) {
                        out.entries.append(DocumentEntry(name: filename ?? "", bytes: bytes))
                    } else {
                        out.entries.append(
                            DocumentEntry(
                                name: filename ?? "", bytes: nil, notReadable: "calendar attachment is not valid base64"
                            ))
                    }
                } else {
                    let last = value.split(separator: "/").last.map(String.init) ?? value
                    out.entries.append(DocumentEntry(name: filename ?? last, bytes: nil))
                }
            default: break
            }
        }
        return out
    }

    /// The colon that ends the property name and parameters (colons inside quoted parameter values do not count).
    static func valueColon(_ line: String) -> String.Index? {
        var quoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" { quoted.toggle() } else if c == ":" && !quoted { return i }
            i = line.index(after: i)
        }
        return nil
    }

    /// RFC 5545 TEXT escapes: `\n` `\N` newline, `\,` `\;` `\\`.
    static func unescape(_ v: String) -> String {
        var out = ""
        var esc = false
        for c in v {
            if esc {
                switch c {
                case "n", "N": out.append("\n")
                default: out.append(c)
                }
                esc = false
            } else if c == "\\" {
                esc = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

/// Base64 without Foundation's strictness about line breaks and padding (bounded, linear).
enum Base64 {
    static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count * 3 / 4)
        var acc: UInt32 = 0, bits = 0
        for c in s.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2B, 0x2D: v = 62
            case 0x2F, 0x5F: v = 63
            case 0x3D: return out
            case 0x20, 0x09, 0x0D, 0x0A: continue
            default: return nil
            }
            acc = (acc << 6 | v) & 0xFFFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
