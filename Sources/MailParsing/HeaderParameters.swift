/// A parsed `Content-Type` or `Content-Disposition` value: a token and its parameters.
///
/// Implements RFC 2045 §5.1 parameter syntax with the tolerance real mail needs (missing
/// subtype, stray semicolons, comments, unquoted values with spaces, unterminated quotes),
/// and RFC 2231 continuations (`name*0=`, `name*1*=`) and charset/language
/// (`name*=utf-8'en'%E2%82%AC`).
public struct HeaderParameters: Sendable, Hashable {
    /// The leading token, lower-cased (`text/plain`, `attachment`).
    public var value: String {
        didSet { (mediaType, mediaSubtype) = Self.split(value) }
    }
    /// The MIME type part of a Content-Type value (`text`); the whole value when it has no `/`.
    public private(set) var mediaType: String
    /// The subtype (`plain`), or "" when absent.
    public private(set) var mediaSubtype: String

    static func split(_ v: String) -> (String, String) {
        guard let slash = v.firstIndex(of: "/") else { return (v, "") }
        return (String(v[..<slash]), String(v[v.index(after: slash)...]))
    }
    /// Parameters by lower-cased name, after RFC 2231 reassembly and decoding.
    public var parameters: [String: String]
    /// Problems found while parsing.
    public var defects: [MailDefect.Kind]
    /// Parameters given again with a different value: name → the last value (the first is in
    /// ``parameters``). Empty for well-formed values.
    public var laterValues: [String: String] = [:]

    public init(value: String, parameters: [String: String] = [:], defects: [MailDefect.Kind] = []) {
        self.value = value
        self.parameters = parameters
        self.defects = defects
        (mediaType, mediaSubtype) = Self.split(value)
    }

    /// Parses a header value (unfolded).
    public static func parse(_ raw: String) -> HeaderParameters {
        let b = Array(raw.utf8)
        var i = 0
        var defects: [MailDefect.Kind] = []
        func skipCFWS() {
            while i < b.count {
                if b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A {
                    i += 1
                    continue
                }
                if b[i] == 0x28 {  // comment, nested
                    var depth = 0
                    while i < b.count {
                        if b[i] == 0x5C {
                            i = min(i + 2, b.count)
                            continue
                        }  // quoted-pair may end the value
                        if b[i] == 0x28 {
                            depth += 1
                        } else if b[i] == 0x29 {
                            depth -= 1
                            if depth == 0 {
                                i += 1
                                break
                            }
                        }
                        i += 1
                    }
                    continue
                }
                break
            }
        }
        skipCFWS()
        let vStart = i
        while i < b.count, b[i] != 0x3B, b[i] != 0x28 { i += 1 }
        let value = String(decoding: b[vStart..<i], as: UTF8.self).trimmingASCIIWhitespace().lowercased()
            .filter { $0 != " " && $0 != "\t" }
        var raws: [(name: String, value: String, quoted: Bool)] = []
        while i < b.count {
            skipCFWS()
            if i < b.count, b[i] == 0x3B {
                i += 1
                continue
            }
            guard i < b.count else { break }
            let nStart = i
            while i < b.count, b[i] != 0x3D, b[i] != 0x3B { i += 1 }
            let name = String(decoding: b[nStart..<i], as: UTF8.self).trimmingASCIIWhitespace().lowercased()
            guard i < b.count, b[i] == 0x3D else {
                if !name.isEmpty { defects.append(.malformedParameter) }
                continue
            }
            i += 1
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 }
            var v: [UInt8] = []
            var quoted = false
            if i < b.count, b[i] == 0x22 {
                quoted = true
                i += 1
                var closed = false
                while i < b.count {
                    if b[i] == 0x5C, i + 1 < b.count {
                        v.append(b[i + 1])
                        i += 2
                        continue
                    }
                    if b[i] == 0x22 {
                        closed = true
                        i += 1
                        break
                    }
                    v.append(b[i])
                    i += 1
                }
                if !closed { defects.append(.unterminatedQuotedString) }
                // skip junk up to the next ';'
                while i < b.count, b[i] != 0x3B { i += 1 }
            } else {
                let s = i
                while i < b.count, b[i] != 0x3B { i += 1 }
                var e = i
                while e > s, b[e - 1] == 0x20 || b[e - 1] == 0x09 || b[e - 1] == 0x0D || b[e - 1] == 0x0A { e -= 1 }
                v = Array(b[s..<e])
            }
            if name.isEmpty || name.contains(" ") {
                defects.append(.malformedParameter)
                continue
            }
            raws.append((name, String(decoding: v, as: UTF8.self), quoted))
        }
        let (params, d2, later) = assembleRFC2231(raws)
        var h = HeaderParameters(value: value, parameters: params, defects: defects + d2)
        h.laterValues = later
        return h
    }

    /// Reassembles RFC 2231 continuations and decodes extended values.
    static func assembleRFC2231(_ raws: [(name: String, value: String, quoted: Bool)]) -> (
        [String: String], [MailDefect.Kind], [String: String]
    ) {
        var plain: [String: String] = [:]
        var later: [String: String] = [:]
        var sections: [String: [(Int, String, Bool)]] = [:]
        var defects: [MailDefect.Kind] = []
        for r in raws {
            guard let star = r.name.firstIndex(of: "*") else {
                if let first = plain[r.name] {
                    // The first wins (as in Python's email); a different second value is an
                    // ambiguity (two boundaries, spec §10.9) kept for the other interpretation.
                    if first != r.value {
                        defects.append(.duplicateParameter)
                        later[r.name] = r.value
                    }
                } else {
                    plain[r.name] = r.value
                }
                continue
            }
            let base = String(r.name[..<star])
            let rest = r.name[r.name.index(after: star)...]
            if rest.isEmpty {
                sections[base, default: []].append((0, r.value, true))
                continue
            }  // name*=
            var numPart = Substring(rest)
            var extended = false
            if numPart.hasSuffix("*") {
                extended = true
                numPart = numPart.dropLast()
            }
            guard let n = Int(numPart) else {
                defects.append(.malformedParameter)
                continue
            }
            sections[base, default: []].append((n, r.value, extended))
        }
        for (name, secs) in sections {
            let sorted = secs.sorted { $0.0 < $1.0 }
            var charset: String? = nil
            var bytes: [UInt8] = []
            for (idx, (n, v, ext)) in sorted.enumerated() {
                if n != idx { defects.append(.malformedParameter) }
                if ext {
                    var value = Substring(v)
                    if idx == 0 {
                        let parts = v.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if parts.count == 3 {
                            charset = parts[0].isEmpty ? nil : String(parts[0])
                            value = parts[2]
                        } else {
                            defects.append(.malformedParameter)
                        }
                    }
                    bytes += percentDecode(value)
                } else {
                    bytes += Array(v.utf8)
                }
            }
            let d = Charset.decode(bytes, charset: charset ?? "utf-8")
            if d.unknownCharset { defects.append(.unknownCharset) }
            plain[name] = d.text  // RFC 2231 value wins over a plain one
        }
        return (plain, defects, later)
    }

    static func percentDecode(_ s: Substring) -> [UInt8] {
        var out: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 0x25, i + 2 < u.count, let h = hexValue(u[i + 1]), let l = hexValue(u[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            }
            out.append(u[i])
            i += 1
        }
        return out
    }

}
