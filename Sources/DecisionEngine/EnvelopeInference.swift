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

    /// This envelope with what it lacks read from the headers: recipients from `To`/`Cc` when
    /// it has none, the sender from `From` when it has no MAIL FROM. Given values are kept.
    public func fillingGaps(from m: Message) -> Envelope {
        guard recipients.isEmpty || mailFrom == nil else { return self }
        let inferred = Envelope.inferred(from: m)
        var e = self
        if e.recipients.isEmpty { e.recipients = inferred.recipients }
        if e.mailFrom == nil { e.mailFrom = inferred.mailFrom }
        return e
    }

    /// Addresses in an address-list header: `<a@b>` forms, and bare `a@b` tokens outside
    /// quoted display names and comments. Works on UTF-8 bytes.
    public static func addresses(_ value: String) -> [String] {
        var out: [String] = []
        let u = Array(value.utf8)
        var i = 0
        var token: [UInt8] = []
        var inQuote = false, depth = 0
        func flush() {
            if token.contains(0x40) { out.append(String(decoding: token, as: UTF8.self)) }
            token.removeAll(keepingCapacity: true)
        }
        while i < u.count {
            let c = u[i]
            if inQuote {
                if c == 0x5C {
                    i += 2
                    continue
                }
                if c == 0x22 { inQuote = false }
                i += 1
                continue
            }
            if depth > 0 {
                if c == 0x28 { depth += 1 } else if c == 0x29 { depth -= 1 }
                i += 1
                continue
            }
            switch c {
            case 0x22:
                inQuote = true
                token.removeAll(keepingCapacity: true)
            case 0x28: depth = 1
            case 0x3C:  // <addr>
                token.removeAll(keepingCapacity: true)
                var j = i + 1
                while j < u.count, u[j] != 0x3E { j += 1 }
                let addr = u[(i + 1)..<min(j, u.count)].filter { $0 != 0x20 && $0 != 0x09 }
                if addr.contains(0x40) { out.append(String(decoding: addr, as: UTF8.self)) }
                i = j
            case 0x2C, 0x3B, 0x20, 0x09, 0x0D, 0x0A: flush()
            default: token.append(c)
            }
            i += 1
        }
        flush()
        return out
    }
}
