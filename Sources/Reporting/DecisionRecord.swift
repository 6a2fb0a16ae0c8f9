import ContentInspection
import DecisionEngine
import Foundation
import MailParsing
import Markings
import PolicyLanguage

/// pmark's version, written into every record so a decision can be traced to the code.
public enum PmarkVersion {
    public static let current = "0.2.0"
}

/// The report of one message: identity, markings, readings, findings, attachments, the
/// decision, the policy's identity and pmark's version. Every output of a decision (`check`,
/// `scan`, JSON lines, the audit store) is made from this one type, with the policy's privacy
/// settings already applied by ``init(source:evaluation:privacy:)``. The JSON schema is in the
/// README ("JSON output").
public struct DecisionRecord: Codable, Sendable, Hashable {
    public struct Defect: Codable, Sendable, Hashable {
        public var kind: MailDefect.Kind
        public var offset: Int
        /// `mbox`, `top`, `2.1`, `2/message/1`.
        public var part: String
    }

    public struct ErrorInfo: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable, Hashable {
            case limitExceeded = "limit-exceeded", io, unsupportedInput = "unsupported-input"
        }
        public var kind: Kind
        public var limit: LimitName?
        public var message: String
    }

    public struct Finding: Codable, Sendable, Hashable {
        public var id: FindingID
        public var location: String
        public var detail: String
    }

    public struct Reading: Codable, Sendable, Hashable {
        public var location: String
        public var text: String
        public var marking: String?
    }

    public struct Attachment: Codable, Sendable, Hashable {
        public struct Finding: Codable, Sendable, Hashable {
            public var id: ContentFinding.Kind
            public var location: String
            public var detail: String
        }
        public var location: String
        public var filename: String?
        public var declared: String?
        public var detected: String
        public var family: TypeFamily
        public var size: Int
        public var findings: [Finding]
    }

    public struct Decision: Codable, Sendable, Hashable {
        public struct PolicyID: Codable, Sendable, Hashable {
            public var name: String
            public var sha256: String
        }
        public struct Group: Codable, Sendable, Hashable {
            public var path: String
            public var recipients: [String]
            public var action: Action
            public var reasons: [ReasonRecord]
        }
        public struct ReasonRecord: Codable, Sendable, Hashable {
            public var rule: String
            public var title: String
            public var controls: [String]
            public var action: Action
            public var evidence: String
        }
        public var policy: PolicyID
        public var direction: Direction
        public var messageAction: Action
        public var groups: [Group]
        public var notifyRecipients: Bool
        public var notifySender: Bool
        enum CodingKeys: String, CodingKey {
            case policy, direction, groups
            case messageAction = "message_action", notifyRecipients = "notify_recipients", notifySender =
                "notify_sender"
        }

        public init(_ v: Verdict) {
            policy = PolicyID(name: v.policyName, sha256: v.policyHash)
            direction = v.direction
            messageAction = v.messageAction
            groups = v.decisions.map { d in
                Group(
                    path: d.path, recipients: d.recipients, action: d.action,
                    reasons: d.reasons.map {
                        ReasonRecord(
                            rule: $0.rule.id, title: $0.rule.title, controls: $0.rule.controls, action: $0.action,
                            evidence: $0.evidence)
                    })
            }
            notifyRecipients = v.notifyRecipients
            notifySender = v.notifySender
        }
    }

    public var source: String
    /// The Message-ID header (identity; not personal data).
    public var messageID: String?
    /// Decoded subject; `(redacted)` unless the policy logs subjects.
    public var subject: String?
    public var structure: String?
    public var parts: Int?
    public var defects: [Defect] = []
    public var error: ErrorInfo?
    /// Effective classification (canonical), or null when unmarked; absent when not inspected.
    public var classification: String??
    public var endorsements: [String]?
    public var findings: [Finding]?
    public var readings: [Reading]?
    public var autoForward: [String]?
    public var attachments: [Attachment]?
    public var decision: Decision?
    /// How the decision reads as a process exit status (`check`).
    public var outcome: Evaluation.Outcome?
    public var pmarkVersion: String = PmarkVersion.current

    enum CodingKeys: String, CodingKey {
        case source, subject, structure, parts, defects, error, classification, endorsements, findings, readings,
            decision, attachments, outcome
        case messageID = "message_id", autoForward = "auto_forward", pmarkVersion = "pmark_version"
    }

    public init(source: String) { self.source = source }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(messageID, forKey: .messageID)
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
        try c.encodeIfPresent(outcome, forKey: .outcome)
        try c.encode(pmarkVersion, forKey: .pmarkVersion)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        messageID = try c.decodeIfPresent(String.self, forKey: .messageID)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        structure = try c.decodeIfPresent(String.self, forKey: .structure)
        parts = try c.decodeIfPresent(Int.self, forKey: .parts)
        defects = try c.decodeIfPresent([Defect].self, forKey: .defects) ?? []
        error = try c.decodeIfPresent(ErrorInfo.self, forKey: .error)
        if c.contains(.classification) {
            classification = .some(try c.decodeIfPresent(String.self, forKey: .classification))
        }
        endorsements = try c.decodeIfPresent([String].self, forKey: .endorsements)
        findings = try c.decodeIfPresent([Finding].self, forKey: .findings)
        readings = try c.decodeIfPresent([Reading].self, forKey: .readings)
        autoForward = try c.decodeIfPresent([String].self, forKey: .autoForward)
        attachments = try c.decodeIfPresent([Attachment].self, forKey: .attachments)
        decision = try c.decodeIfPresent(Decision.self, forKey: .decision)
        outcome = try c.decodeIfPresent(Evaluation.Outcome.self, forKey: .outcome)
        pmarkVersion = try c.decodeIfPresent(String.self, forKey: .pmarkVersion) ?? ""
    }

    /// The record of one evaluation, with `privacy` applied (see ``Redactor``).
    public init(source: String, readerDefects: [MailDefect] = [], evaluation e: Evaluation, privacy: Privacy) {
        self.init(source: source)
        defects = readerDefects.map { Defect(kind: $0.kind, offset: $0.byteOffset, part: "mbox") }
        if let err = e.error { error = ErrorInfo(err) }
        if let m = e.message {
            messageID = m.header("message-id")?.value
            subject = m.subject
            structure = m.structureSummary
            parts = m.totalPartCount
            defects += Self.collectDefects(m, prefix: "")
        }
        let v = e.verdict
        if let mk = v.markings {
            classification = .some(mk.classification?.name)
            endorsements = mk.endorsements.map(\.name)
            findings = mk.findings.map { Finding(id: $0.id, location: $0.location, detail: $0.detail) }
            readings = mk.readings.map { Reading(location: $0.location, text: $0.text, marking: $0.marking?.text) }
            autoForward = v.autoForwardSignals
            attachments = v.content?.items.map { i in
                Attachment(
                    location: i.location, filename: i.filename, declared: i.declaredType, detected: i.detectedType,
                    family: i.family, size: i.size,
                    findings: i.findings.map {
                        Attachment.Finding(id: $0.kind, location: i.location, detail: $0.detail)
                    })
            }
        } else if error == nil {
            // Not inspected for a reason the parser did not raise (should not happen): say so.
            error = ErrorInfo(
                kind: .limitExceeded, limit: nil,
                message: v.decisions.flatMap(\.reasons).first?.evidence ?? "not inspected")
        }
        decision = Decision(v)
        outcome = e.outcome
        self = Redactor(privacy: privacy, evaluation: e).apply(to: self)
    }

    /// Defects of a message and its embedded messages, with part paths like `2.1/message/1`.
    static func collectDefects(_ m: Message, prefix: String) -> [Defect] {
        var out = m.defects.map { d in
            Defect(
                kind: d.kind, offset: d.byteOffset,
                part: prefix
                    + (d.partPath.isEmpty
                        ? (prefix.isEmpty ? "top" : "") : d.partPath.map(String.init).joined(separator: ".")))
        }
        for p in m.parts {
            if let e = p.embedded {
                let path = p.path.isEmpty ? "" : p.path.map(String.init).joined(separator: ".") + "/"
                out += collectDefects(e, prefix: prefix + path + "message/")
            }
        }
        return out
    }
}

extension DecisionRecord.ErrorInfo {
    public init(_ e: MailParseError) {
        switch e.kind {
        case .limitExceeded(let name, _): self.init(kind: .limitExceeded, limit: name, message: e.description)
        case .io: self.init(kind: .io, limit: nil, message: e.description)
        case .unsupportedInput: self.init(kind: .unsupportedInput, limit: nil, message: e.description)
        }
    }
}
