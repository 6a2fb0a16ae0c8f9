import Foundation
import MailParsing
import Markings
import DecisionEngine

/// What `pmark scan` reports for one message (the JSON schema is documented in the README).
struct ScanRecord: Encodable {
    struct Defect: Encodable { var kind: String; var offset: Int; var part: String }
    struct ErrorInfo: Encodable { var kind: String; var limit: String?; var message: String }
    struct Finding: Encodable { var id: String; var location: String; var detail: String }
    struct Reading: Encodable { var location: String; var text: String; var marking: String? }
    struct Attachment: Encodable {
        var location: String; var filename: String?; var declared: String?; var detected: String; var family: String; var size: Int
        var findings: [Finding]
    }
    struct DecisionRecord: Encodable {
        struct PolicyID: Encodable { var name: String; var sha256: String }
        struct Group: Encodable { var path: String; var recipients: [String]; var action: String; var reasons: [ReasonRecord] }
        struct ReasonRecord: Encodable { var rule: String; var title: String; var controls: [String]; var action: String; var evidence: String }
        var policy: PolicyID
        var direction: String
        var messageAction: String
        var groups: [Group]
        var notifyRecipients: Bool
        var notifySender: Bool
        enum CodingKeys: String, CodingKey {
            case policy, direction, groups
            case messageAction = "message_action", notifyRecipients = "notify_recipients", notifySender = "notify_sender"
        }
        init(_ v: Verdict) {
            policy = PolicyID(name: v.policyName, sha256: v.policyHash)
            direction = v.direction.rawValue
            messageAction = v.messageAction.rawValue
            groups = v.decisions.map { d in
                Group(path: d.path, recipients: d.recipients, action: d.action.rawValue,
                      reasons: d.reasons.map { ReasonRecord(rule: $0.rule.id, title: $0.rule.title, controls: $0.rule.controls, action: $0.action.rawValue, evidence: $0.evidence) })
            }
            notifyRecipients = v.notifyRecipients
            notifySender = v.notifySender
        }
    }

    var source: String
    var subject: String?
    var structure: String?
    var parts: Int?
    var defects: [Defect] = []
    var error: ErrorInfo?
    /// Effective classification (canonical), or null when unmarked; absent when not inspected.
    var classification: String??
    var endorsements: [String]?
    var findings: [Finding]?
    var readings: [Reading]?
    var autoForward: [String]?
    var decision: DecisionRecord?
    var attachments: [Attachment]?

    enum CodingKeys: String, CodingKey {
        case source, subject, structure, parts, defects, error, classification, endorsements, findings, readings, decision, attachments
        case autoForward = "auto_forward"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(subject, forKey: .subject)
        try c.encodeIfPresent(structure, forKey: .structure)
        try c.encodeIfPresent(parts, forKey: .parts)
        try c.encode(defects, forKey: .defects)
        try c.encodeIfPresent(error, forKey: .error)
        if let cls = classification { try c.encode(cls, forKey: .classification) }  // null when unmarked
        try c.encodeIfPresent(endorsements, forKey: .endorsements)
        try c.encodeIfPresent(findings, forKey: .findings)
        try c.encodeIfPresent(readings, forKey: .readings)
        try c.encodeIfPresent(autoForward, forKey: .autoForward)
        try c.encodeIfPresent(attachments, forKey: .attachments)
        try c.encodeIfPresent(decision, forKey: .decision)
    }

    /// - Parameters:
    ///   - engine: when given, the message is also decided (envelope from `envelope`, or inferred
    ///     from the headers), through the same engine entry point as every other caller.
    static func make(_ raw: RawMessage, reader: MarkingReader, engine: Engine? = nil, envelope: ((Message) -> Envelope)? = nil,
                     redactSubject: Bool, redactAddresses: Bool = false) -> ScanRecord {
        var r = ScanRecord(source: raw.source.description)
        r.defects = raw.defects.map { Defect(kind: $0.kind.rawValue, offset: $0.byteOffset, part: "mbox") }
        if let e = raw.error {
            r.error = .init(e)
            if let engine {
                // Not inspected: the engine's fail-closed verdict (quarantine), never an allow.
                r.decision = DecisionRecord(engine.notInspected(envelope: Envelope(recipients: []), detail: e.description))
            }
            return r
        }
        do {
            let m = try Message(parsing: raw.bytes)
            r.subject = redactSubject ? (m.subject == nil ? nil : "(redacted)") : m.subject
            r.structure = m.structureSummary
            r.parts = m.totalPartCount
            r.defects += collectDefects(m, prefix: "")
            // With an engine, the report shows the markings the decision used (one read, one
            // reader); without one (no policy), the marking reader alone.
            var verdict: Verdict? = nil
            if let engine {
                let env = envelope?(m) ?? Envelope.inferred(from: m)
                verdict = engine.evaluate(message: m, envelope: env)
            }
            let mk = verdict?.markings ?? reader.read(m)
            r.classification = .some(mk.classification?.name)
            r.endorsements = mk.endorsements.map(\.name)
            r.findings = mk.findings.map { Finding(id: $0.id.rawValue, location: $0.location, detail: $0.detail) }
            r.readings = mk.readings.map { Reading(location: $0.location, text: $0.text, marking: $0.marking?.text) }
            r.autoForward = verdict?.autoForwardSignals ?? mk.autoForwardSignals
            if let verdict {
                r.attachments = verdict.content?.items.map { i in
                    Attachment(location: i.location, filename: i.filename, declared: i.declaredType, detected: i.detectedType, family: i.family.rawValue, size: i.size,
                               findings: i.findings.map { Finding(id: $0.kind.rawValue, location: i.location, detail: $0.detail) })
                }
                var d = DecisionRecord(verdict)
                if redactAddresses { for i in d.groups.indices { d.groups[i].recipients = d.groups[i].recipients.map { _ in "(redacted)" } } }
                r.decision = d
            }
        } catch let e as MailParseError {
            r.error = .init(e)
            if let engine { r.decision = DecisionRecord(engine.notInspected(envelope: Envelope(recipients: []), detail: e.description)) }
        } catch {
            r.error = ErrorInfo(kind: "internal", limit: nil, message: "\(error)")
        }
        return r
    }

    /// Defects of a message and its embedded messages, with part paths like `2.1/message/1`.
    static func collectDefects(_ m: Message, prefix: String) -> [Defect] {
        var out = m.defects.map { d in
            Defect(kind: d.kind.rawValue, offset: d.byteOffset,
                   part: prefix + (d.partPath.isEmpty ? (prefix.isEmpty ? "top" : "") : d.partPath.map(String.init).joined(separator: ".")))
        }
        for p in m.parts { if let e = p.embedded {
            let path = p.path.isEmpty ? "" : p.path.map(String.init).joined(separator: ".") + "/"
            out += collectDefects(e, prefix: prefix + path + "message/")
        } }
        return out
    }

    var text: String {
        var s = "\(source)\n"
        if let e = error { s += "  NOT INSPECTED: \(e.message)\n" } else {
        s += "  subject:   \(subject.map { $0.isEmpty ? "(empty)" : $0 } ?? "(none)")\n"
        s += "  structure: \(structure ?? "")\n"
        if let cls = classification {
            let e = (endorsements ?? []).isEmpty ? "" : " // " + (endorsements ?? []).joined(separator: ", ")
            s += "  marking:   \(cls ?? "UNMARKED")\(e)\n"
            for r in readings ?? [] { s += "    read \(r.marking ?? "(does not parse)") at \(r.location)\n" }
            for f in findings ?? [] { s += "  finding:   \(f.id) at \(f.location)" + (f.detail.isEmpty ? "" : " (\(f.detail))") + "\n" }
            if let af = autoForward, !af.isEmpty { s += "  auto-forwarded: \(af.joined(separator: ", "))\n" }
            for a in attachments ?? [] {
                s += "  content:   \(a.location) \(a.detected) [\(a.family)] \(a.size) bytes" + a.findings.map { "; \($0.id): \($0.detail)" }.joined() + "\n"
            }
        }
        }
        if let d = decision {
            s += "  decision:  \(d.messageAction.uppercased()) (\(d.direction), policy '\(d.policy.name)' \(d.policy.sha256.prefix(12)))\n"
            for g in d.groups {
                s += "    \(g.action.uppercased()) via \(g.path) for \(g.recipients.joined(separator: ", "))\n"
                for r in g.reasons { s += "      \(r.rule) \(r.title): \(r.evidence) [\(r.controls.joined(separator: "; "))] -> \(r.action)\n" }
            }
            if d.notifyRecipients { s += "    the intended recipients are to be notified (NZISM 15.2.41.C.02 [CID:1765])\n" }
            if d.notifySender { s += "    the sender may be notified (verified sender, NZISM 15.2.42.C.01 [CID:1768])\n" }
        }
        if !defects.isEmpty {
            s += "  defects:   " + defects.map { "\($0.kind)@\($0.offset)[\($0.part)]" }.joined(separator: ", ") + "\n"
        }
        return s
    }

    var jsonLine: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

extension ScanRecord.ErrorInfo {
    init(_ e: MailParseError) {
        switch e.kind {
        case .limitExceeded(let name, _): self.init(kind: "limit-exceeded", limit: name.rawValue, message: e.description)
        case .io: self.init(kind: "io", limit: nil, message: e.description)
        case .unsupportedInput: self.init(kind: "unsupported-input", limit: nil, message: e.description)
        }
    }
}
