import DecisionEngine
import Foundation
import MailParsing
import PolicyLanguage

/// Applies a policy's `privacy:` settings to a record: subjects, addresses and attachment
/// names the policy does not allow are replaced by `(redacted)` wherever they occur (the
/// subject field, recipients, evidence, locations, details, error messages). Built from the
/// evaluation, so it knows every address (envelope and address headers, embedded messages
/// included) and every file name (MIME parts and archive entries) that could leak.
public struct Redactor: Sendable {
    public static let mark = "(redacted)"
    public var privacy: Privacy
    /// Values to replace inside free text, longest first (so a name containing another is
    /// replaced whole).
    var secrets: [String]

    public init(privacy: Privacy, evaluation e: Evaluation) {
        self.privacy = privacy
        var s = Set<String>()
        if !privacy.logAddresses {
            if let f = e.envelope.mailFrom { s.insert(f) }
            s.formUnion(e.envelope.recipients)
            if let m = e.message { Self.addresses(in: m, into: &s) }
        }
        if !privacy.logAttachmentNames {
            if let m = e.message {
                m.walk { _, p in if let f = p.filename { s.insert(f) } }
            }
            for item in e.verdict.content?.items ?? [] {
                if let f = item.filename {
                    s.insert(f)
                    for component in f.split(separator: "/") { s.insert(String(component)) }
                }
            }
        }
        // Very short values would match inside ordinary words; placeholders never leak.
        secrets = s.filter { $0.count >= 3 && $0 != "(no recipients)" }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0 < $1
        }
    }

    static func addresses(in m: Message, into s: inout Set<String>) {
        for name in [
            "from", "to", "cc", "bcc", "reply-to", "sender", "return-path", "delivered-to", "resent-from", "resent-to",
        ] {
            for h in m.root.headers(named: name) { s.formUnion(Envelope.addresses(h.value)) }
        }
        for p in m.parts { if let e = p.embedded { addresses(in: e, into: &s) } }
    }

    /// `text` with every secret replaced (ASCII case-insensitive).
    public func scrub(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var out = text
        // ASCII text and an ASCII secret: Foundation's case-insensitive search is ASCII case
        // folding, so the byte scan finds and replaces exactly what it would; non-ASCII text or
        // secrets go through Foundation.
        for secret in secrets {
            switch TextSearch.asciiCaseInsensitiveContains(out, secret) {
            case .some(false): continue
            case .some(true): out = TextSearch.asciiCaseInsensitiveReplacing(out, secret, with: Self.mark) ?? out
            case .none:
                if out.range(of: secret, options: .caseInsensitive) != nil {
                    out = out.replacingOccurrences(of: secret, with: Self.mark, options: .caseInsensitive)
                }
            }
        }
        return out
    }

    public func apply(to record: DecisionRecord) -> DecisionRecord {
        var r = record
        if !privacy.logSubjects, r.subject != nil { r.subject = Self.mark }
        r.error = r.error.map {
            var e = $0
            e.message = scrub(e.message)
            return e
        }
        r.findings = r.findings?.map { .init(id: $0.id, location: scrub($0.location), detail: scrub($0.detail)) }
        r.readings = r.readings?.map { .init(location: scrub($0.location), text: scrub($0.text), marking: $0.marking) }
        r.attachments = r.attachments?.map { a in
            var a = a
            a.location = scrub(a.location)
            if !privacy.logAttachmentNames, a.filename != nil { a.filename = Self.mark }
            a.findings = a.findings.map { .init(id: $0.id, location: scrub($0.location), detail: scrub($0.detail)) }
            return a
        }
        if var d = r.decision {
            for i in d.groups.indices {
                if !privacy.logAddresses {
                    d.groups[i].recipients = d.groups[i].recipients.map { $0 == "(no recipients)" ? $0 : Self.mark }
                }
                d.groups[i].reasons = d.groups[i].reasons.map {
                    var x = $0
                    x.evidence = scrub(x.evidence)
                    return x
                }
            }
            r.decision = d
        }
        return r
    }
}
