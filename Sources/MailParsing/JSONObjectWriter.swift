/// A JSON object written directly to UTF-8, byte for byte as Foundation's `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` writes the same members (keys in UTF-8 byte order,
/// a key written twice keeps its last value, the same string escapes), without `Codable`'s
/// boxing: the scan writes one record per message, and `JSONEncoder` was a tenth of its time.
/// Types that write themselves this way keep their `Codable` conformance as the schema; tests
/// compare both encodings.
public struct JSONObjectWriter {
    var keys: [String] = []
    var values: [[UInt8]] = []

    public init() {}

    /// Sets `key` to an already-encoded JSON value (replacing an earlier value of the key).
    public mutating func setRaw(_ key: String, _ value: [UInt8]) {
        if let i = keys.firstIndex(of: key) {
            values[i] = value
            return
        }
        keys.append(key)
        values.append(value)
    }

    public mutating func set(_ key: String, _ v: String) { setRaw(key, Self.string(v)) }
    public mutating func set(_ key: String, _ v: String?) { if let v { set(key, v) } }
    public mutating func set(_ key: String, _ v: Int) { setRaw(key, Array(String(v).utf8)) }
    public mutating func set(_ key: String, _ v: Int?) { if let v { set(key, v) } }
    public mutating func set(_ key: String, _ v: Bool) { setRaw(key, Array((v ? "true" : "false").utf8)) }
    public mutating func set(_ key: String, _ v: [String]) { setRaw(key, Self.array(v.map(Self.string))) }
    public mutating func set(_ key: String, _ v: [String]?) { if let v { set(key, v) } }
    public mutating func setNull(_ key: String) { setRaw(key, Array("null".utf8)) }
    public mutating func set(_ key: String, object: JSONObjectWriter) { setRaw(key, object.encoded()) }
    public mutating func set(_ key: String, objects: [JSONObjectWriter]) {
        setRaw(key, Self.array(objects.map { $0.encoded() }))
    }

    /// The object: `{` members sorted by key bytes `}`.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        var size = 2
        for (k, v) in zip(keys, values) { size += k.utf8.count + v.count + 4 }
        out.reserveCapacity(size)
        out.append(UInt8(ascii: "{"))
        let order = keys.indices.sorted { keys[$0].utf8.lexicographicallyPrecedes(keys[$1].utf8) }
        for (n, i) in order.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            Self.appendString(keys[i], to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: values[i])
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func array(_ items: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (n, v) in items.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: v)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public static func string(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendString(s, to: &out)
        return out
    }

    static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00xx`,
    /// `/` and everything else (non-ASCII included) as is — `JSONEncoder`'s escapes with
    /// `.withoutEscapingSlashes`. The one string escaper of every JSON pmark writes directly
    /// (scan records, decision records, the audit chain's canonical JSON).
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0x08:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "b"))
            case 0x0C:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "f"))
            case 0x0A:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "n"))
            case 0x0D:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "r"))
            case 0x09:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)],
                    hex[Int(b & 0xF)],
                ])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A value that writes its JSON object members directly (see ``JSONObjectWriter``), exactly
/// as its `Encodable` conformance would encode them.
public protocol JSONObjectWritable {
    func writeJSON(into o: inout JSONObjectWriter)
}

extension JSONObjectWritable {
    /// The object alone.
    public var jsonObject: JSONObjectWriter {
        var o = JSONObjectWriter()
        writeJSON(into: &o)
        return o
    }
}
