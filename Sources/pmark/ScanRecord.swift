import Foundation
import MailParsing

/// What `pmark scan` reports for one message (the JSON schema is documented in the README).
struct ScanRecord: Encodable {
    struct Defect: Encodable { var kind: String; var offset: Int; var part: String }
    struct ErrorInfo: Encodable { var kind: String; var limit: String?; var message: String }

    var source: String
    var subject: String?
    var structure: String?
    var parts: Int?
    var defects: [Defect] = []
    var error: ErrorInfo?

    static func make(_ raw: RawMessage, redactSubject: Bool) -> ScanRecord {
        var r = ScanRecord(source: raw.source.description)
        r.defects = raw.defects.map { Defect(kind: $0.kind.rawValue, offset: $0.byteOffset, part: "mbox") }
        if let e = raw.error { r.error = .init(e); return r }
        do {
            let m = try Message(parsing: raw.bytes)
            r.subject = redactSubject ? (m.subject == nil ? nil : "(redacted)") : m.subject
            r.structure = m.structureSummary
            r.parts = m.totalPartCount
            r.defects += collectDefects(m, prefix: "")
        } catch let e as MailParseError {
            r.error = .init(e)
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
        if let e = error { s += "  NOT INSPECTED: \(e.message)\n"; return s }
        s += "  subject:   \(subject.map { $0.isEmpty ? "(empty)" : $0 } ?? "(none)")\n"
        s += "  structure: \(structure ?? "")\n"
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
