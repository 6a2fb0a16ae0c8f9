/// CSV output (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma,
/// quote, CR or LF, quotes doubled). One row per message; the summary goes to stderr.
/// Lists (rules, findings) are joined with `;`.
public enum CSV {
    public static let columns = [
        "ordinal", "source_path", "source_kind", "offset", "index", "message_id", "date", "from", "to", "cc",
        "size", "sha256", "subject", "classification", "action", "rules_fired", "finding_ids", "defect_count",
        "inspected",
    ]
    public static var header: String { columns.joined(separator: ",") + "\r\n" }

    public static func field(_ s: String?) -> String {
        guard let s else { return "" }
        // A leading =, +, - or @ would be a formula in a spreadsheet: prefix a quote (OWASP).
        var v = s
        if let f = v.first, "=+-@".contains(f) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) {
            return "\"" + v.replacingAll("\"", with: "\"\"") + "\""
        }
        return v
    }

    public static func row(_ i: MessageIdentity, _ f: MessageFacts) -> String {
        let fields: [String?] = [
            String(i.ordinal), i.sourcePath, i.sourceKind, i.offset.map(String.init), i.index.map(String.init),
            i.messageID, i.date, i.from, i.to, i.cc,
            String(i.size), i.sha256, f.subject, f.inspected ? (f.classification ?? "UNMARKED") : nil,
            f.action?.rawValue,
            f.rules.joined(separator: ";"), f.findings.joined(separator: ";"), String(f.defects),
            f.inspected ? "true" : "false",
        ]
        return fields.map(field).joined(separator: ",") + "\r\n"
    }
}

extension String {
    func replacingAll(_ a: String, with b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
