import MailParsing

// The record's JSON written directly (see `JSONObjectWriter`): the same members as its
// `Codable` conformance, which stays the schema; `JSONOutputTests` compares the two encodings.

extension DecisionRecord: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("source", source)
        o.set("message_id", messageID)
        o.set("subject", subject)
        o.set("structure", structure)
        o.set("parts", parts)
        o.set("defects", objects: defects.map { $0.jsonObject })
        if let error { o.set("error", object: error.jsonObject) }
        if let cls = classification {
            if let c = cls { o.set("classification", c) } else { o.setNull("classification") }
        }
        o.set("endorsements", endorsements)
        if let findings { o.set("findings", objects: findings.map { $0.jsonObject }) }
        if let readings { o.set("readings", objects: readings.map { $0.jsonObject }) }
        o.set("auto_forward", autoForward)
        if let attachments { o.set("attachments", objects: attachments.map { $0.jsonObject }) }
        if let decision { o.set("decision", object: decision.jsonObject) }
        o.set("outcome", outcome?.rawValue)
        o.set("pmark_version", pmarkVersion)
    }

    /// One JSON object on one line, keys sorted (`--format json`/`jsonl`).
    public var jsonLine: String { String(decoding: jsonObject.encoded(), as: UTF8.self) }
}

extension DecisionRecord.Defect: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("kind", kind.rawValue)
        o.set("offset", offset)
        o.set("part", part)
    }
}

extension DecisionRecord.ErrorInfo: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("kind", kind.rawValue)
        o.set("limit", limit?.rawValue)
        o.set("message", message)
    }
}

extension DecisionRecord.Finding: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("id", id.rawValue)
        o.set("location", location)
        o.set("detail", detail)
    }
}

extension DecisionRecord.Reading: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("location", location)
        o.set("text", text)
        o.set("marking", marking)
    }
}

extension DecisionRecord.Attachment: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("location", location)
        o.set("filename", filename)
        o.set("declared", declared)
        o.set("detected", detected)
        o.set("family", family.rawValue)
        o.set("size", size)
        o.set("findings", objects: findings.map { $0.jsonObject })
    }
}

extension DecisionRecord.Attachment.Finding: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        o.set("id", id.rawValue)
        o.set("location", location)
        o.set("detail", detail)
    }
}

extension DecisionRecord.Decision: JSONObjectWritable {
    public func writeJSON(into o: inout JSONObjectWriter) {
        var p = JSONObjectWriter()
        p.set("name", policy.name)
        p.set("sha256", policy.sha256)
        o.set("policy", object: p)
        o.set("direction", direction.rawValue)
        o.set("message_action", messageAction.rawValue)
        o.set(
            "groups",
            objects: groups.map { g in
                var go = JSONObjectWriter()
                go.set("path", g.path)
                go.set("recipients", g.recipients)
                go.set("action", g.action.rawValue)
                go.set(
                    "reasons",
                    objects: g.reasons.map { r in
                        var ro = JSONObjectWriter()
                        ro.set("rule", r.rule)
                        ro.set("title", r.title)
                        ro.set("controls", r.controls)
                        ro.set("action", r.action.rawValue)
                        ro.set("evidence", r.evidence)
                        return ro
                    })
                return go
            })
        o.set("notify_recipients", notifyRecipients)
        o.set("notify_sender", notifySender)
    }
}
