import DecisionEngine
import Foundation

/// Text, JSON and JUnit renderings of a harness run.
public enum HarnessReporters {
    /// How much the text report shows.
    public enum Detail: Sendable { case quiet, normal, verbose }

    /// PASS/FAIL per case with a diff and the reasons behind the actual decision, then coverage,
    /// then the closing line `N passed, N failed`. Quiet shows only failures and the closing
    /// lines; verbose also shows each passing case's position and actual verdict.
    public static func text(_ r: HarnessReport, detail: Detail = .normal) -> String {
        var out: [String] = []
        for res in r.results {
            let c = res.testCase
            if res.passed {
                switch detail {
                case .quiet: break
                case .normal: out.append("PASS: \(c.name)")
                case .verbose:
                    out.append("PASS: \(c.name)  (\(c.location))")
                    if let v = res.verdict { out.append("    actual: \(HarnessRunner.summary(v))") }
                    if !res.demonstratedControls.isEmpty {
                        out.append("    demonstrates: \(res.demonstratedControls.sorted().joined(separator: ", "))")
                    }
                }
                continue
            }
            out.append("FAIL: \(c.name)  (\(c.location))")
            for f in res.failures { out.append("    \(f)") }
            if let v = res.verdict {
                out.append(
                    """
                        actual: \(v.messageAction.rawValue) (\(v.direction.rawValue)), classification \
                    \(v.markings?.classification?.name ?? "UNMARKED")
                    """
                        + ", notify recipients \(v.notifyRecipients), sender \(v.notifySender)")
                for d in v.decisions {
                    out.append("      \(d.action.rawValue) via \(d.path) for \(d.recipients.joined(separator: ", "))")
                    for reason in d.reasons {
                        out.append(
                            """
                                    \(reason.rule.id) \(reason.rule.title): \(reason.evidence) \
                            [\(reason.rule.controls.joined(separator: "; "))]
                            """
                        )
                    }
                }
            }
        }
        if detail != .quiet || r.failed > 0 { out.append("") }
        for e in r.coverage.entries {
            out.append(
                """
                coverage for policy '\(e.policy)': rules \(e.rules.count - e.uncoveredRules.count)/\(e.rules.count), \
                controls \(e.controls.count - e.uncoveredControls.count)/\(e.controls.count)
                """
            )
            if !e.uncoveredRules.isEmpty {
                out.append("  rules no passing case demonstrates: \(e.uncoveredRules.joined(separator: ", "))")
            }
            if !e.uncoveredControls.isEmpty {
                out.append("  controls no passing case demonstrates: \(e.uncoveredControls.joined(separator: ", "))")
            }
        }
        out.append(
            String(format: "coverage: rules %.1f%%, controls %.1f%%", r.coverage.rulePercent, r.coverage.controlPercent)
        )
        out.append("\(r.passed) passed, \(r.failed) failed")
        return out.joined(separator: "\n") + "\n"
    }

    /// Text made safe for XML 1.0 character data and attribute values: markup characters are
    /// escaped, and characters XML 1.0 cannot carry at all (C0 controls other than tab, newline
    /// and carriage return; U+FFFE, U+FFFF) become a visible `\u{XX}`, so any case name, path or
    /// evidence yields a well-formed file.
    static func xml(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                if u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF || (0x7F...0x9F).contains(u.value) {
                    out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case with its time,
    /// file and line; a failure's text lists every difference and the actual verdict.
    public static func junit(_ r: HarnessReport) -> String {
        var byFile: [String: [CaseResult]] = [:]
        for res in r.results { byFile[res.testCase.file, default: []].append(res) }
        let total = r.results.reduce(0) { $0 + $1.seconds }
        var s =
            """
            <?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="pmark test" tests="\(r.results.count)" \
            failures="\(r.failed)" time="\(seconds(total))">\n
            """
        for (file, results) in byFile.sorted(by: { $0.key < $1.key }) {
            let time = results.reduce(0) { $0 + $1.seconds }
            s +=
                """
                  <testsuite name="\(xml(file))" tests="\(results.count)" \
                failures="\(results.filter { !$0.passed }.count)" errors="0" time="\(seconds(time))" \
                file="\(xml(file))">\n
                """
            for res in results {
                let c = res.testCase
                s +=
                    """
                        <testcase name="\(xml(c.name))" classname="\(xml(res.policyName))" \
                    time="\(seconds(res.seconds))" file="\(xml(c.file))" line="\(c.location.line)">
                    """
                if res.passed {
                    s += "</testcase>\n"
                    continue
                }
                var text = res.failures
                if let v = res.verdict { text.append("actual: \(HarnessRunner.summary(v))") }
                text.append("at \(c.location)")
                s +=
                    """
                    \n      <failure message="\(xml(res.failures.first ?? "failed"))" \
                    type="assertion">\(xml(text.joined(separator: "\n")))</failure>\n    </testcase>\n
                    """
            }
            s += "  </testsuite>\n"
        }
        return s + "</testsuites>\n"
    }

    static func seconds(_ t: Double) -> String { String(format: "%.6f", t) }

    /// A machine report.
    public static func json(_ r: HarnessReport) -> String {
        let cases: [[String: Any]] = r.results.map { res in
            var d: [String: Any] = [
                "name": res.testCase.name, "file": res.testCase.file, "location": res.testCase.location.description,
                "passed": res.passed, "failures": res.failures, "controls": res.testCase.controls,
                "line": res.testCase.location.line, "seconds": res.seconds,
                "demonstrated_rules": res.demonstratedRules.sorted(),
                "demonstrated_controls": res.demonstratedControls.sorted(),
            ]
            if let v = res.verdict {
                d["decision"] = v.messageAction.rawValue
                d["rules"] = Array(Set(v.decisions.flatMap(\.reasons).map(\.rule.id))).sorted()
                d["classification"] = v.markings?.classification?.name ?? NSNull()
                d["notify_recipients"] = v.notifyRecipients
                d["notify_sender"] = v.notifySender
            }
            return d
        }
        let coverage: [[String: Any]] = r.coverage.entries.map {
            [
                "policy": $0.policy, "rules": $0.rules, "uncovered_rules": $0.uncoveredRules, "controls": $0.controls,
                "uncovered_controls": $0.uncoveredControls,
            ]
        }
        let obj: [String: Any] = [
            "passed": r.passed, "failed": r.failed, "cases": cases, "coverage": coverage,
            "rule_coverage_percent": r.coverage.rulePercent, "control_coverage_percent": r.coverage.controlPercent,
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
