/// An `Authentication-Results` header field tokenised per RFC 8601 §2.2 (spec §10.10):
///
/// ```
/// authres-header = authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo ) [CFWS]
/// resinfo        = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
/// methodspec     = [CFWS] method [CFWS] "=" [CFWS] result
/// reasonspec     = "reason" [CFWS] "=" [CFWS] value
/// propspec       = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
/// ```
///
/// Comments (nested, with quoted pairs) are white space; values may be quoted strings. The
/// value is never searched as text: a pass counts only for the method, property and exact
/// domain it names (``passes(method:for:)``).
public struct AuthenticationResults: Sendable, Hashable {
    /// One `method=result` with its properties (`header.d`, `smtp.mailfrom`, …).
    public struct Result: Sendable, Hashable {
        /// Lower-cased method (`dkim`, `spf`, `dmarc`, …; a version suffix `/1` is dropped).
        public var method: String
        /// Lower-cased result (`pass`, `fail`, `none`, …).
        public var result: String
        /// The `reason=` value, if any.
        public var reason: String?
        /// `ptype.property` (lower-cased) → value as written (quoted strings unquoted).
        public var properties: [(key: String, value: String)]

        public static func == (a: Result, b: Result) -> Bool {
            a.method == b.method && a.result == b.result && a.reason == b.reason
                && a.properties.map(\.key) == b.properties.map(\.key)
                && a.properties.map(\.value) == b.properties.map(\.value)
        }
        public func hash(into h: inout Hasher) {
            h.combine(method)
            h.combine(result)
        }

        /// The first value of `ptype.property` (case-insensitive key).
        public func property(_ key: String) -> String? {
            let k = key.lowercased()
            return properties.first { $0.key == k }?.value
        }
    }

    /// The authserv-id, lower-cased (empty when the field does not start with one).
    public var authservID: String
    /// The results in order; empty for `none`.
    public var results: [Result]
    /// Whether something did not follow the grammar (the parse is best effort; a malformed
    /// resinfo is dropped, never guessed at).
    public var malformed: Bool

    /// Longest value tokenised, in bytes (default 16 KiB). RFC 5322 lines are at most 998
    /// octets and real fields a few hundred; the header parser already caps a field at 256 KiB,
    /// this keeps the tokeniser's work per field small. A longer value is `malformed` with no
    /// results (so it proves nothing: fail closed).
    public static let maxValueBytes = 16 << 10

    /// Tokenises an unfolded field value.
    public init(parsing value: String) {
        authservID = ""
        results = []
        malformed = false
        let bytes = Array(value.utf8)
        guard bytes.count <= Self.maxValueBytes else {
            malformed = true
            return
        }
        var lx = Lexer(bytes: bytes)
        guard let id = lx.value() else {
            malformed = true
            return
        }
        authservID = id.lowercased()
        // optional authres-version (digits)
        lx.skipCFWS()
        if let v = lx.peekToken(), !v.isEmpty, v.allSatisfy({ $0.isNumber }) { _ = lx.token() }
        lx.skipCFWS()
        if lx.atEnd { return }
        // "none" with no resinfo: "mx.example; none"
        while !lx.atEnd {
            lx.skipCFWS()
            guard lx.eat(0x3B) else {
                malformed = true
                return
            }  // ";"
            lx.skipCFWS()
            if lx.atEnd { break }
            guard var method = lx.token()?.lowercased() else {
                malformed = true
                lx.skipToSemicolon()
                continue
            }
            lx.skipCFWS()
            if lx.eat(0x2F) {
                lx.skipCFWS()
                _ = lx.token()
                lx.skipCFWS()
            }  // method "/" version
            if method == "none", lx.atEnd || lx.peek == 0x3B { continue }
            guard lx.eat(0x3D) else {
                malformed = true
                lx.skipToSemicolon()
                continue
            }  // "="
            lx.skipCFWS()
            guard let result = lx.token()?.lowercased() else {
                malformed = true
                lx.skipToSemicolon()
                continue
            }
            if let slash = method.firstIndex(of: "/") { method = String(method[..<slash]) }
            var r = Result(method: method, result: result, reason: nil, properties: [])
            var ok = true
            while true {
                lx.skipCFWS()
                if lx.atEnd || lx.peek == 0x3B { break }
                guard let name = lx.token()?.lowercased() else {
                    ok = false
                    break
                }
                lx.skipCFWS()
                if name == "reason" {
                    guard lx.eat(0x3D) else {
                        ok = false
                        break
                    }
                    lx.skipCFWS()
                    guard let v = lx.value() else {
                        ok = false
                        break
                    }
                    r.reason = v
                    continue
                }
                guard lx.eat(0x2E) else {
                    ok = false
                    break
                }  // "."
                lx.skipCFWS()
                guard let prop = lx.token()?.lowercased() else {
                    ok = false
                    break
                }
                lx.skipCFWS()
                guard lx.eat(0x3D) else {
                    ok = false
                    break
                }
                lx.skipCFWS()
                guard let v = lx.pvalue() else {
                    ok = false
                    break
                }
                r.properties.append((name + "." + prop, v))
            }
            if ok {
                results.append(r)
            } else {
                malformed = true
                lx.skipToSemicolon()
            }
        }
    }

    /// The lower-cased domain of an address or domain value (`user@Example.COM` → `example.com`,
    /// `example.com` → `example.com`; angle brackets and a trailing dot removed).
    public static func domain(of value: String) -> String? {
        var v = Substring(value)
        if v.hasPrefix("<"), v.hasSuffix(">") { v = v.dropFirst().dropLast() }
        if let at = v.lastIndex(of: "@") { v = v[v.index(after: at)...] }
        while v.hasSuffix(".") { v = v.dropLast() }
        let d = v.lowercased()
        guard !d.isEmpty,
            d.utf8.allSatisfy({ b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x5F || b >= 0x80
            })
        else { return nil }
        return d
    }

    /// Whether a `dkim=pass` names exactly `domain` in `header.d` (or `header.i`'s domain).
    public func dkimPass(for domain: String) -> Bool {
        let d = domain.lowercased()
        return results.contains { r in
            r.method == "dkim" && r.result == "pass"
                && (r.property("header.d").flatMap(Self.domain(of:)) == d
                    || (r.property("header.d") == nil && r.property("header.i").flatMap(Self.domain(of:)) == d))
        }
    }

    /// Whether an `spf=pass` names exactly `domain`: the domain of `smtp.mailfrom`, or
    /// `smtp.helo` when there is no `smtp.mailfrom` (RFC 7208 §2.4 null sender).
    public func spfPass(for domain: String) -> Bool {
        let d = domain.lowercased()
        return results.contains { r in
            guard r.method == "spf", r.result == "pass" else { return false }
            if let mf = r.property("smtp.mailfrom") { return Self.domain(of: mf) == d }
            return r.property("smtp.helo").flatMap(Self.domain(of:)) == d
        }
    }
}

/// RFC 8601 / RFC 5322 lexical rules over bytes.
private struct Lexer {
    let bytes: [UInt8]
    var i = 0
    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func eat(_ b: UInt8) -> Bool {
        if peek == b {
            i += 1
            return true
        }
        return false
    }

    /// White space and comments (nested, `\` quotes the next byte). An unterminated comment
    /// runs to the end.
    mutating func skipCFWS() {
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A {
                i += 1
                continue
            }
            if b == 0x28 {
                var depth = 0
                while i < bytes.count {
                    let c = bytes[i]
                    if c == 0x5C {
                        i += 2
                        continue
                    }
                    if c == 0x28 {
                        depth += 1
                    } else if c == 0x29 {
                        depth -= 1
                        if depth == 0 {
                            i += 1
                            break
                        }
                    }
                    i += 1
                }
                if i > bytes.count { i = bytes.count }
                continue
            }
            break
        }
    }

    /// RFC 2045 token characters (no tspecials, no CTLs, no space). `.` is a tspecial here
    /// only where the grammar splits `ptype.property`, so tokens stop at `.` too; domains
    /// come through ``pvalue``.
    static func isTokenChar(_ b: UInt8, allowDot: Bool) -> Bool {
        if b <= 0x20 || b >= 0x7F { return b >= 0x80 }  // UTF-8 (RFC 6532) allowed in values
        switch b {
        case 0x28, 0x29, 0x3C, 0x3E, 0x40, 0x2C, 0x3B, 0x3A, 0x5C, 0x22, 0x2F, 0x5B, 0x5D, 0x3F, 0x3D: return false
        case 0x2E: return allowDot
        default: return true
        }
    }

    mutating func run(allowDot: Bool) -> String? {
        let s = i
        while i < bytes.count, Self.isTokenChar(bytes[i], allowDot: allowDot) { i += 1 }
        return i > s ? String(decoding: bytes[s..<i], as: UTF8.self) : nil
    }

    func peekToken() -> String? {
        var c = self
        return c.token()
    }

    mutating func token() -> String? { run(allowDot: false) }

    mutating func quoted() -> String? {
        guard eat(0x22) else { return nil }
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x5C, i + 1 < bytes.count {
                out.append(bytes[i + 1])
                i += 2
                continue
            }
            if b == 0x22 {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            out.append(b)
            i += 1
        }
        return nil  // unterminated
    }

    /// `value = token / quoted-string` (the authserv-id and `reason`; dots allowed for ids).
    mutating func value() -> String? {
        skipCFWS()
        if peek == 0x22 { return quoted() }
        return run(allowDot: true)
    }

    /// `pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]`.
    mutating func pvalue() -> String? {
        skipCFWS()
        if peek == 0x22 {
            guard let q = quoted() else { return nil }
            if peek == 0x40 {
                i += 1
                return q + "@" + (run(allowDot: true) ?? "")
            }  // "local"@domain
            return q
        }
        let s = i
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x40 || b == 0x2E || b == 0x2F || b == 0x3A || b == 0x3D || b == 0x2B || b == 0x5B || b == 0x5D
                || Self.isTokenChar(b, allowDot: true)
            {
                i += 1
                continue
            }
            break
        }
        return i > s ? String(decoding: bytes[s..<i], as: UTF8.self) : nil
    }

    mutating func skipToSemicolon() {
        while i < bytes.count, bytes[i] != 0x3B {
            if bytes[i] == 0x22 {
                _ = quoted()
                continue
            }
            if bytes[i] == 0x28 {
                skipCFWS()
                continue
            }
            i += 1
        }
    }
}
