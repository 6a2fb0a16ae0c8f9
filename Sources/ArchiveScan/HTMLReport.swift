import DecisionEngine

/// A self-contained HTML report of a scan (inline CSS and SVG; no scripts, fonts, images or
/// links to fetch): totals, a classification chart, a decision chart, a timeline by month,
/// the rules fired, and the flagged messages with their source and offset. Subjects and
/// addresses appear only as the policy's privacy settings allow (they come in already
/// redacted).
public struct HTMLReportBuilder {
    /// Marks a file as a pmark report (the only kind of existing file `--report` replaces).
    public static let signature = "<!DOCTYPE html>\n<!-- pmark scan report -->\n"
    /// Rows in the flagged-messages table; the rest are counted, and listed in the JSONL output.
    public static let maxFlaggedRows = 5000

    public struct Row: Sendable, Hashable {
        public var ordinal: Int
        public var source: String
        public var offset: Int?
        public var index: Int?
        public var date: String?
        public var classification: String
        public var action: String
        public var rules: [String]
        public var findings: [String]
        public var subject: String?
    }

    let logAddresses: Bool
    var rows: [Row] = []
    var moreRows = 0

    public init(logAddresses: Bool) { self.logAddresses = logAddresses }

    public mutating func add(_ id: MessageIdentity, _ f: MessageFacts) {
        guard f.flagged else { return }
        guard rows.count < Self.maxFlaggedRows else {
            moreRows += 1
            return
        }
        rows.append(
            Row(
                ordinal: id.ordinal, source: id.sourcePath, offset: id.offset, index: id.index, date: id.date,
                classification: f.inspected ? (f.classification ?? "UNMARKED") : "NOT INSPECTED",
                action: f.action?.rawValue ?? "", rules: f.rules, findings: f.findings, subject: f.subject))
    }

    public mutating func add(row: Row) {
        guard rows.count < Self.maxFlaggedRows else {
            moreRows += 1
            return
        }
        rows.append(row)
    }

    static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }

    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]
    static let actionColours = [
        "allow": "#2ca02c", "allow-and-tag": "#98df8a", "quarantine": "#ff7f0e", "block": "#d62728",
    ]

    /// A horizontal bar chart as inline SVG.
    static func barChart(id: String, title: String, _ items: [(String, Int)], colour: (String, Int) -> String) -> String
    {
        let maxV = max(1, items.map(\.1).max() ?? 1)
        let rowH = 24, labelW = 170, barW = 360
        let h = max(1, items.count) * rowH + 10
        var s = "<figure class=\"chart\" id=\"\(id)\"><figcaption>\(esc(title))</figcaption>"
        s +=
            """
            <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\(esc(title))" \
            width="\(labelW + barW + 80)" height="\(h)" viewBox="0 0 \(labelW + barW + 80) \(h)">
            """
        for (i, (label, v)) in items.enumerated() {
            let y = i * rowH + 5
            let w = max(v > 0 ? 2 : 0, v * barW / maxV)
            s += "<text x=\"\(labelW - 6)\" y=\"\(y + 16)\" text-anchor=\"end\">\(esc(label))</text>"
            s +=
                """
                <rect class="bar" x="\(labelW)" y="\(y + 3)" width="\(w)" height="\(rowH - 8)" \
                fill="\(colour(label, i))"><title>\(esc(label)): \(v)</title></rect>
                """
            s += "<text x=\"\(labelW + w + 6)\" y=\"\(y + 16)\">\(v)</text>"
        }
        if items.isEmpty { s += "<text x=\"10\" y=\"20\">(none)</text>" }
        return s + "</svg></figure>\n"
    }

    /// Messages per month (and flagged ones) as inline SVG columns.
    static func timeline(_ byMonth: Counts, _ flagged: Counts) -> String {
        let months = byMonth.keys.sorted()
        let maxV = max(1, byMonth.values.max() ?? 1)
        let colW = 28, h = 200, left = 40
        let w = left + max(1, months.count) * colW + 20
        var s =
            """
            <figure class="chart" id="timeline"><figcaption>Messages by month (Date header; flagged in \
            red)</figcaption>
            """
        s +=
            """
            <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Messages by month" width="\(w)" \
            height="\(h + 70)" viewBox="0 0 \(w) \(h + 70)">
            """
        s += "<line x1=\"\(left)\" y1=\"\(h)\" x2=\"\(w - 10)\" y2=\"\(h)\" stroke=\"#333\"/>"
        s += "<text x=\"\(left - 4)\" y=\"12\" text-anchor=\"end\">\(maxV)</text>"
        for (i, m) in months.enumerated() {
            let v = byMonth[m] ?? 0, f = flagged[m] ?? 0
            let x = left + i * colW + 4
            let bh = v * (h - 10) / maxV, fh = f * (h - 10) / maxV
            s +=
                """
                <rect class="bar" x="\(x)" y="\(h - bh)" width="\(colW - 8)" height="\(bh)" \
                fill="#1f77b4"><title>\(esc(m)): \(v) messages, \(f) flagged</title></rect>
                """
            s +=
                """
                <rect class="bar flagged" x="\(x)" y="\(h - fh)" width="\(colW - 8)" height="\(fh)" \
                fill="#d62728"><title>\(esc(m)): \(f) flagged</title></rect>
                """
            s +=
                """
                <text x="\(x + 6)" y="\(h + 8)" transform="rotate(60 \(x + 6) \(h + 8))" \
                font-size="10">\(esc(m))</text>
                """
        }
        return s + "</svg></figure>\n"
    }

    public func html(_ sum: ScanSummary) -> String {
        var s = Self.signature
        s += "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pmark scan report</title>\n"
        s +=
            """
            <style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;\
            margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\
            th{background:#eee}.chart{display:inline-block;margin:0 2em 1em \
            0;vertical-align:top}figcaption{font-weight:bold;margin-bottom:4px}svg \
            text{font-size:12px}.num{text-align:right}.block{color:#b00}.quarantine{color:#c60}</style>\n
            """
        s += "</head><body>\n<h1>pmark scan report</h1>\n"
        s +=
            """
            <p>Policy <b>\(Self.esc(sum.policyName))</b> (sha256 <code>\(Self.esc(String(sum.policySHA256.prefix(12))))\
            </code>), pmark \(Self.esc(sum.pmarkVersion))\(sum.shard.map { ", shard \(Self.esc($0))" } ?? "").</p>\n
            """
        s +=
            """
            <table id="totals"><tr><th>messages</th><th>bytes</th><th>flagged</th><th>not \
            inspected</th><th>defects</th><th>files read</th><th>files skipped</th><th>could not read</th></tr>
            """
        s +=
            "<tr>"
            + [
                sum.messages, sum.messageBytes, sum.flagged, sum.notInspected, sum.defects, sum.filesRead,
                sum.skipped.count, sum.errors.count,
            ].map { "<td class=\"num\">\($0)</td>" }.joined() + "</tr></table>\n"
        let classes = sum.byClassification.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        s += Self.barChart(id: "classification-chart", title: "Messages by classification", classes) { _, i in
            Self.palette[i % Self.palette.count]
        }
        let actions = ScanAction.allCases.map { ($0.rawValue, sum.byAction[$0.rawValue] ?? 0) }
        s += Self.barChart(id: "decision-chart", title: "Decisions", actions) { l, _ in Self.actionColours[l] ?? "#777"
        }
        s += Self.timeline(sum.byMonth, sum.flaggedByMonth)
        let titles = Dictionary(
            uniqueKeysWithValues: Rules.all.map { ($0.id, ($0.title, $0.controls.joined(separator: "; "))) })
        s +=
            """
            <h2>Rules fired</h2>\n<table id="rules"><tr><th>rule</th><th>messages</th><th>what</th><th>control</th>\
            </tr>
            """
        for (r, n) in sum.byRule.sorted(by: { $0.key < $1.key }) {
            s +=
                """
                <tr><td>\(Self.esc(r))</td><td class="num">\(n)</td><td>\(Self.esc(titles[r]?.0 ?? ""))</td><td>\
                \(Self.esc(titles[r]?.1 ?? ""))</td></tr>
                """
        }
        s += "</table>\n"
        if !sum.byFinding.isEmpty {
            s += "<h2>Findings</h2>\n<table id=\"findings\"><tr><th>finding</th><th>messages</th></tr>"
            for (f, n) in sum.byFinding.sorted(by: { $0.key < $1.key }) {
                s += "<tr><td>\(Self.esc(f))</td><td class=\"num\">\(n)</td></tr>"
            }
            s += "</table>\n"
        }
        let showSubject = rows.contains { $0.subject != nil }
        s += "<h2>Flagged messages</h2>\n<p>Blocked, quarantined, not inspected or with a finding, in scan order.</p>\n"
        s +=
            """
            <table id="flagged"><tr><th>#</th><th>source</th><th>offset</th><th>index</th><th>date</th><th>\
            classification</th><th>action</th><th>rules</th><th>findings</th>\(showSubject ? "<th>subject</th>" : "")\
            </tr>\n
            """
        for r in rows {
            s +=
                """
                <tr><td class="num">\(r.ordinal)</td><td>\(Self.esc(r.source))</td><td \
                class="num">\(r.offset.map(String.init) ?? "")</td><td \
                class="num">\(r.index.map(String.init) ?? "")</td>
                """
            s +=
                """
                <td>\(Self.esc(r.date ?? ""))</td><td>\(Self.esc(r.classification))</td><td \
                class="\(Self.esc(r.action))">\(Self.esc(r.action))</td>
                """
            s +=
                """
                <td>\(Self.esc(r.rules.joined(separator: ", ")))</td><td>\
                \(Self.esc(r.findings.joined(separator: ", ")))</td>
                """
            if showSubject { s += "<td>\(Self.esc(r.subject ?? ""))</td>" }
            s += "</tr>\n"
        }
        s += "</table>\n"
        if moreRows > 0 {
            s +=
                """
                <p>\(moreRows) more flagged message(s) are not listed here (limit \(Self.maxFlaggedRows)); the JSONL \
                output lists every message.</p>\n
                """
        }
        if !sum.skipped.isEmpty {
            s += "<h2>Skipped files</h2>\n<table id=\"skipped\"><tr><th>path</th><th>reason</th></tr>"
            for k in sum.skipped { s += "<tr><td>\(Self.esc(k.path))</td><td>\(Self.esc(k.reason))</td></tr>" }
            s += "</table>\n"
        }
        if !sum.errors.isEmpty {
            s += "<h2>Could not read</h2>\n<table id=\"errors\"><tr><th>path</th><th>error</th></tr>"
            for e in sum.errors { s += "<tr><td>\(Self.esc(e.path))</td><td>\(Self.esc(e.message))</td></tr>" }
            s += "</table>\n"
        }
        return s + "</body></html>\n"
    }
}
