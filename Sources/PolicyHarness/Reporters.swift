import DecisionEngine
import Foundation

/// Text, JSON and JUnit renderings of a harness run.
public enum HarnessReporters {
    /// PASS/FAIL per case with a diff and the reasons behind the actual decision, then coverage,
    /// then the closing line `N passed, N failed`.
    public static func text(_ r: HarnessReport, verbose: Bool = false) -> String {
        var out: [String] = []
        for res in r.results {
            let c = res.testCase
            if res.passed {
                out.append("PASS: \(c.name)")
                continue
            }
            out.append("FAIL: \(c.name)  (\(c.location))")
            for f in res.failures { out.append("    \(f)") }
            if let v = res.verdict {
                out.append("    actual: \(v.messageAction.rawValue) (\(v.direction.rawValue)), classification \(v.markings?.classification?.name ?? "UNMARKED")")
                for d in v.decisions {
                    out.append("      \(d.action.rawValue) via \(d.path) for \(d.recipients.joined(separator: ", "))")
                    for reason in d.reasons { out.append("        \(reason.rule.id) \(reason.rule.title): \(reason.evidence) [\(reason.rule.controls.joined(separator: "; "))]") }
                }
            }
        }
        out.append("")
        for e in r.coverage.entries {
            out.append("coverage for policy '\(e.policy)': rules \(e.rules.count - e.uncoveredRules.count)/\(e.rules.count), controls \(e.controls.count - e.uncoveredControls.count)/\(e.controls.count)")
            if !e.uncoveredRules.isEmpty { out.append("  rules no case exercised: \(e.uncoveredRules.joined(separator: ", "))") }
            if !e.uncoveredControls.isEmpty { out.append("  controls no case exercised: \(e.uncoveredControls.joined(separator: ", "))") }
        }
        out.append(String(format: "coverage: rules %.1f%%, controls %.1f%%", r.coverage.rulePercent, r.coverage.controlPercent))
        out.append("\(r.passed) passed, \(r.failed) failed")
        return out.joined(separator: "\n") + "\n"
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per case.
    public static func junit(_ r: HarnessReport) -> String {
        var byFile: [String: [CaseResult]] = [:]
        for res in r.results { byFile[res.testCase.file, default: []].append(res) }
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pmark test\" tests=\"\(r.results.count)\" failures=\"\(r.failed)\">\n"
        for (file, results) in byFile.sorted(by: { $0.key < $1.key }) {
            s += "  <testsuite name=\"\(xml(file))\" tests=\"\(results.count)\" failures=\"\(results.filter { !$0.passed }.count)\" errors=\"0\">\n"
            for res in results {
                s += "    <testcase name=\"\(xml(res.testCase.name))\" classname=\"\(xml(res.policyName))\">"
                if res.passed { s += "</testcase>\n" } else {
                    s += "\n      <failure message=\"\(xml(res.failures.first ?? "failed"))\">\(xml(res.failures.joined(separator: "\n")))</failure>\n    </testcase>\n"
                }
            }
            s += "  </testsuite>\n"
        }
        return s + "</testsuites>\n"
    }

    /// A machine report.
    public static func json(_ r: HarnessReport) -> String {
        let cases: [[String: Any]] = r.results.map { res in
            var d: [String: Any] = ["name": res.testCase.name, "file": res.testCase.file, "location": res.testCase.location.description,
                                    "passed": res.passed, "failures": res.failures, "controls": res.testCase.controls]
            if let v = res.verdict {
                d["decision"] = v.messageAction.rawValue
                d["rules"] = Array(Set(v.decisions.flatMap(\.reasons).map(\.rule.id))).sorted()
                d["classification"] = v.markings?.classification?.name ?? NSNull()
            }
            return d
        }
        let coverage: [[String: Any]] = r.coverage.entries.map {
            ["policy": $0.policy, "rules": $0.rules, "uncovered_rules": $0.uncoveredRules, "controls": $0.controls, "uncovered_controls": $0.uncoveredControls]
        }
        let obj: [String: Any] = ["passed": r.passed, "failed": r.failed, "cases": cases, "coverage": coverage,
                                  "rule_coverage_percent": r.coverage.rulePercent, "control_coverage_percent": r.coverage.controlPercent]
        let data = (try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
