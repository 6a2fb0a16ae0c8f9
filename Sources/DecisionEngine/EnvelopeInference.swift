import MailParsing

extension Envelope {
    /// An envelope read from the message's own headers, for archives that have none: the
    /// sender from `From`, the recipients from `To` and `Cc` (spec §4 of issue 4: "the envelope
    /// inferred from the message's headers when none is given"). Bcc recipients are unknowable.
    public static func inferred(from m: Message, direction: Direction? = nil) -> Envelope {
        let from = m.header("from").flatMap { Self.addresses($0.value).first }
        var rcpts: [String] = []
        for name in ["to", "cc"] { for h in m.root.headers(named: name) { rcpts += addresses(h.value) } }
        var seen = Set<String>()
        rcpts = rcpts.filter { seen.insert($0.lowercased()).inserted }
        return Envelope(direction: direction, mailFrom: from, recipients: rcpts)
    }

    /// Addresses in an address-list header: `<a@b>` forms and bare `a@b` tokens.
    public static func addresses(_ value: String) -> [String] {
        var out: [String] = []
        var rest = Substring(value)
        while let lt = rest.firstIndex(of: "<") {
            let before = rest[..<lt]
            out += bare(before)
            guard let gt = rest[lt...].firstIndex(of: ">") else { rest = rest[rest.index(after: lt)...]; continue }
            let a = rest[rest.index(after: lt)..<gt]
            if a.contains("@") { out.append(String(a).trimmingASCIIWhitespace()) }
            rest = rest[rest.index(after: gt)...]
        }
        out += bare(rest)
        return out
    }

    static func bare(_ s: Substring) -> [String] {
        // Skip quoted display names; a bare address is a comma/space-separated token with '@'.
        var cleaned = ""
        var inQuote = false
        for ch in s { if ch == "\"" { inQuote.toggle(); continue }; if !inQuote { cleaned.append(ch) } }
        return cleaned.split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" || $0 == "\t" }).map(String.init).filter { $0.contains("@") && !$0.hasPrefix("(") }
    }
}
