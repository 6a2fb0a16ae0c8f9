import MailParsing

// Written directly (see `JSONObjectWriter`), exactly as their `Codable` conformances encode.

extension MessageIdentity: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("ordinal", ordinal)
        o.set("source_path", sourcePath)
        o.set("source_kind", sourceKind)
        o.set("offset", offset)
        o.set("index", index)
        o.set("message_id", messageID)
        o.set("date", date)
        o.set("month", month)
        o.set("from", from)
        o.set("to", to)
        o.set("cc", cc)
        o.set("size", size)
        o.set("sha256", sha256)
    }
}

extension MessageFacts: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("inspected", inspected)
        o.set("classification_name", classification)
        o.set("classification_rank", classificationRank)
        o.set("action", action?.rawValue)
        o.set("rules_fired", rules)
        o.set("finding_ids", findings)
        o.set("defect_count", defects)
        o.set("subject", subject)
    }
}

extension MessageLine {
    /// The line through the direct writer when the record writes itself; nil otherwise.
    var directJSON: [UInt8]? {
        guard let r = record as? JSONObjectWritable else { return nil }
        var o = JSONObjectWriter()
        r.writeJSON(into: &o)
        identity.writeJSON(into: &o)
        facts.writeJSON(into: &o)
        o.set("record", "message")
        return o.encoded()
    }
}
