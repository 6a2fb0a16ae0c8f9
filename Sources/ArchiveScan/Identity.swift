import CCrypto
import MailParsing

/// The identity of one scanned message, as separate keys: where it is (source path, byte
/// offset of its postmark or PST item id, index in its file, ordinal in the whole scan), what
/// it is (Message-ID, Date, From, To, Cc, size, SHA-256 of the bytes evaluated) — so that a
/// finding can be traced back and deduplicated by tools.
public struct MessageIdentity: Sendable, Hashable, Codable {
    /// 1-based position of the message in the whole scan (all inputs, in scan order); the same
    /// whatever `--jobs` and `--shard`, so shard outputs merge back into scan order.
    public var ordinal: Int
    public var sourcePath: String
    public var sourceKind: String
    public var offset: Int?
    public var index: Int?
    public var messageID: String?
    public var date: String?
    /// `YYYY-MM` from the Date header as written (no time-zone conversion); nil when absent or
    /// unparseable.
    public var month: String?
    public var from: String?
    public var to: String?
    public var cc: String?
    public var size: Int
    public var sha256: String

    enum CodingKeys: String, CodingKey {
        case ordinal, offset, index, date, month, from, to, cc, size, sha256
        case sourcePath = "source_path", sourceKind = "source_kind", messageID = "message_id"
    }

    public init(ordinal: Int, raw: RawMessage) {
        self.ordinal = ordinal
        sourcePath = raw.source.path
        sourceKind = raw.source.kind.rawValue
        offset = raw.source.offset
        index = raw.source.index
        size = raw.bytes.count
        sha256 = SHA256Digest.hex(raw.bytes)
        let h = HeaderScan(raw.bytes)
        messageID = h.messageID
        date = h.date
        month = h.date.flatMap(Self.month(ofDate:))
        from = h.from
        to = h.to
        cc = h.cc
    }

    /// Addresses (From, To, Cc) replaced by `(redacted)` unless the policy logs addresses.
    public func redacted(addresses: Bool) -> MessageIdentity {
        guard addresses else { return self }
        var c = self
        if c.from != nil { c.from = "(redacted)" }
        if c.to != nil { c.to = "(redacted)" }
        if c.cc != nil { c.cc = "(redacted)" }
        return c
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `2025-01` from `Mon, 6 Jan 2025 09:10:00 +1300` (RFC 5322 and its obsolete forms).
    static func month(ofDate d: String) -> String? {
        let tokens = d.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "-" }).map {
            $0.lowercased()
        }
        for (i, t) in tokens.enumerated() {
            guard let m = months.firstIndex(of: String(t.prefix(3))), t.count >= 3, i + 1 < tokens.count else {
                continue
            }
            guard var y = Int(tokens[i + 1]) else { continue }
            if tokens[i + 1].count == 2 { y += y < 50 ? 2000 : 1900 }
            guard y >= 1970 && y <= 9999 else { return nil }
            return "\(y)-" + (m < 9 ? "0" : "") + "\(m + 1)"
        }
        return nil
    }
}

/// Reads the identity header fields from a message's header section (unfolded, RFC 2047
/// decoded for From/To/Cc; first occurrence of each, To and Cc joined when repeated).
/// Stops at the first empty line; bounded by the header section.
struct HeaderScan {
    var messageID: String?, date: String?, from: String?, to: String?, cc: String?

    static let identityFields = ["message-id", "date", "from", "to", "cc"]

    /// The identity field a header name is, or nil: what `lowercased()` and trimming spaces and
    /// tabs of the decoded name would match, compared as bytes (every header line is checked,
    /// and most are not these). Unicode lower-casing maps no non-ASCII character onto these
    /// names' letters (only U+212A onto `k`, which none contains).
    static func identityField(_ raw: ArraySlice<UInt8>) -> String? {
        var s = raw.startIndex, e = raw.endIndex
        while s < e, raw[s] == 0x20 || raw[s] == 0x09 { s += 1 }
        while e > s, raw[e - 1] == 0x20 || raw[e - 1] == 0x09 { e -= 1 }
        let name = raw[s..<e]
        for f in identityFields
        where name.count == f.utf8.count
            && zip(name, f.utf8).allSatisfy({ (($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0) == $1 })
        { return f }
        return nil
    }

    init(_ b: [UInt8]) {
        var fields: [(String, String)] = []
        var i = 0
        let n = b.count
        var current: (name: String, value: [UInt8])? = nil
        func flush() {
            if let c = current {
                fields.append((c.name, String(decoding: c.value, as: UTF8.self).trimmingCharacters(in: " \t")))
            }
            current = nil
        }
        while i < n {
            var e = i
            while e < n, b[e] != 0x0A { e += 1 }
            var le = e
            if le > i, b[le - 1] == 0x0D { le -= 1 }
            if le == i { break }  // end of the header section
            if b[i] == 0x20 || b[i] == 0x09 {
                current?.value.append(0x20)
                current?.value.append(contentsOf: b[i..<le].drop { $0 == 0x20 || $0 == 0x09 })
            } else {
                flush()
                if let colon = b[i..<le].firstIndex(of: 0x3A), let name = Self.identityField(b[i..<colon]) {
                    current = (name, Array(b[(colon + 1)..<le]))
                }
            }
            i = e + 1
        }
        flush()
        for (name, value) in fields {
            switch name {
            case "message-id": if messageID == nil { messageID = value }
            case "date": if date == nil { date = value }
            case "from": if from == nil { from = EncodedWords.decode(value).text }
            case "to": to = (to.map { $0 + ", " } ?? "") + EncodedWords.decode(value).text
            case "cc": cc = (cc.map { $0 + ", " } ?? "") + EncodedWords.decode(value).text
            default: break
            }
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let s = Set(set)
        var sub = Substring(self)
        while let f = sub.first, s.contains(f) { sub.removeFirst() }
        while let l = sub.last, s.contains(l) { sub.removeLast() }
        return String(sub)
    }
}

/// SHA-256 through OpenSSL's libcrypto (SHA extensions where the CPU has them).
public enum SHA256Digest {
    public static func hex(_ data: [UInt8]) -> String {
        var md = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { p in EVP_Digest(p.baseAddress, p.count, &md, &len, EVP_sha256(), nil) }
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")  // not input-driven: only on a broken libcrypto
        let hexd = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in md {
            out.append(hexd[Int(b >> 4)])
            out.append(hexd[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
