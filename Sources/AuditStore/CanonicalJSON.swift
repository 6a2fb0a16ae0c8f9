import MailParsing

/// The chain's canonical JSON, written directly: the same bytes as `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` over the synthesized `Encodable` of each row (keys
/// sorted, nil optionals left out, `"`, `\` and control characters escaped, everything else as
/// UTF-8), which stores written before this writer existed were hashed with. The writer runs once
/// per decision on the gateway's path to its reply, where Foundation's encoder cost about a
/// quarter of the store's CPU. Equivalence with `JSONEncoder` is a test (`CanonicalJSONTests`).
struct CanonicalWriter {
    private(set) var bytes: [UInt8] = []
    private var first: [Bool] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        first.append(true)
    }
    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        first.removeLast()
    }
    mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        first.append(true)
    }
    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        first.removeLast()
    }

    /// A comma before every element but the first of the innermost object or array.
    private mutating func separator() {
        if first.last == true { first[first.count - 1] = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    mutating func key(_ k: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// An array element's separator (objects inside arrays).
    mutating func element() { separator() }

    mutating func value(_ s: String) { JSONObjectWriter.appendString(s, to: &bytes) }
    mutating func value(_ i: Int64) { bytes.append(contentsOf: Array(String(i).utf8)) }
    mutating func value(_ i: Int) { value(Int64(i)) }
    mutating func value(_ b: Bool) { bytes.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8)) }

    mutating func field(_ k: StaticString, _ s: String) {
        key(k)
        value(s)
    }
    mutating func field(_ k: StaticString, _ s: String?) {
        if let s {
            key(k)
            value(s)
        }
    }
    mutating func field(_ k: StaticString, _ i: Int) {
        key(k)
        value(i)
    }
    mutating func field(_ k: StaticString, _ i: Int?) {
        if let i {
            key(k)
            value(i)
        }
    }
    mutating func field(_ k: StaticString, _ i: Int64) {
        key(k)
        value(i)
    }
    mutating func field(_ k: StaticString, _ i: Int64?) {
        if let i {
            key(k)
            value(i)
        }
    }
    mutating func field(_ k: StaticString, _ b: Bool) {
        key(k)
        value(b)
    }
}

// Each row writes its keys in sorted order (byte order; no key here differs from another only
// where one has "_" and the other a letter, so every collation JSONEncoder might use agrees).

extension DecisionHeader {
    func canonical(into w: inout CanonicalWriter) {
        w.beginObject()
        w.field("authenticated", authenticated)
        w.field("auto_forward", autoForward)
        w.field("classification", classification)
        w.field("direction", direction)
        w.field("endorsements", endorsements)
        w.field("mail_from", mailFrom)
        w.field("message_action", messageAction)
        w.field("message_id", messageID)
        w.field("notify_recipients", notifyRecipients)
        w.field("notify_sender", notifySender)
        w.field("origin", origin)
        w.field("pmark_version", pmarkVersion)
        w.field("policy_hash", policyHash)
        w.field("policy_name", policyName)
        w.field("queue_id", queueID)
        w.field("sha256", sha256)
        w.field("size", size)
        w.field("source", source)
        w.field("subject", subject)
        w.field("time_us", timeUS)
        w.endObject()
    }
}

extension VerdictRow {
    func canonical(into w: inout CanonicalWriter) {
        w.beginObject()
        w.field("action", action)
        w.field("group_index", groupIndex)
        w.field("ordinal", ordinal)
        w.field("path", path)
        w.field("recipient", recipient)
        w.endObject()
    }
}

extension ReasonRow {
    func canonical(into w: inout CanonicalWriter) {
        w.beginObject()
        w.field("action", action)
        w.field("cid", cid)
        w.field("control", control)
        w.field("evidence", evidence)
        w.field("group_index", groupIndex)
        w.field("ordinal", ordinal)
        w.field("rule_id", ruleID)
        w.endObject()
    }
}

extension FindingRow {
    func canonical(into w: inout CanonicalWriter) {
        w.beginObject()
        w.field("detail", detail)
        w.field("finding_id", findingID)
        w.field("location", location)
        w.field("ordinal", ordinal)
        w.field("origin", origin)
        w.endObject()
    }
}

extension AttachmentRow {
    func canonical(into w: inout CanonicalWriter) {
        w.beginObject()
        w.field("declared_type", declaredType)
        w.field("detected_type", detectedType)
        w.field("family", family)
        w.field("filename", filename)
        w.field("location", location)
        w.field("ordinal", ordinal)
        w.field("size", size)
        w.endObject()
    }
}

extension DecisionContent {
    /// The bytes the chain hashes for this decision.
    var canonicalJSON: [UInt8] {
        var w = CanonicalWriter()
        w.beginObject()
        w.key("attachments")
        w.beginArray()
        for a in attachments {
            w.element()
            a.canonical(into: &w)
        }
        w.endArray()
        w.key("findings")
        w.beginArray()
        for f in findings {
            w.element()
            f.canonical(into: &w)
        }
        w.endArray()
        w.key("header")
        header.canonical(into: &w)
        w.key("reasons")
        w.beginArray()
        for r in reasons {
            w.element()
            r.canonical(into: &w)
        }
        w.endArray()
        w.key("verdicts")
        w.beginArray()
        for v in verdicts {
            w.element()
            v.canonical(into: &w)
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
