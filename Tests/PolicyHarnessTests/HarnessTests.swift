import Foundation
import PolicyLanguage
import TestSupport
import Testing

@testable import DecisionEngine
@testable import PolicyHarness

#if canImport(FoundationXML)
import FoundationXML
#endif

enum H {
    static let root = Repository.root
    static func tmp(_ name: String, _ text: String) throws -> String {
        let dir = NSTemporaryDirectory() + "pmark-harness-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = dir + "/" + name
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
    static let defaultSuite = root + "/policies/tests/default.test.yaml"
}

@Suite("Harness: discovery, parameterisation, diffs, invalid files")
struct HarnessTests {
    @Test("discovery finds test files (top-level cases:) under a folder, not policies")
    func discovery() {
        let files = PolicyTestLoader.discover([H.root + "/policies"])
        #expect(
            files.map { ($0 as NSString).lastPathComponent } == [
                "default.test.yaml", "in-confidence-agency.test.yaml", "secret-system.test.yaml",
            ])
    }

    @Test("each: expands one message over several envelopes with their own expectations")
    func parameterisation() throws {
        let path = try H.tmp(
            "p.test.yaml",
            """
            cases:
              - name: one message, two paths
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz}
                each:
                  - {rcpt: [a@dpmc.govt.nz], decision: allow}
                  - {rcpt: [a@gmail.com], decision: block, rules: [PM-OUT-001]}
            """)
        let f = try PolicyTestLoader.load(path: path)
        #expect(
            f.cases.map(\.name) == ["one message, two paths [a@dpmc.govt.nz]", "one message, two paths [a@gmail.com]"])
        #expect(f.cases.map(\.expect.decision) == ["allow", "block"])
        let report = try HarnessRunner().run([f])
        #expect(report.passed == 2 && report.failed == 0)
    }

    @Test("a failing case shows expected versus actual and the reasons behind the actual decision")
    func diffOutput() throws {
        let path = try H.tmp(
            "f.test.yaml",
            """
            cases:
              - name: wrongly expects allow
                message: {subject: "[SECRET] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow, rules: [PM-OUT-002], classification: RESTRICTED, findings: [unmarked]}
            """)
        let report = try HarnessRunner().run([try PolicyTestLoader.load(path: path)])
        let text = HarnessReporters.text(report)
        #expect(text.contains("FAIL: wrongly expects allow  (\(path):2:5)"))
        #expect(text.contains("    decision: expected allow, got block"))
        #expect(text.contains("    rule PM-OUT-002: expected to fire, did not (fired: PM-OUT-001)"))
        #expect(text.contains("    classification: expected RESTRICTED, got SECRET"))
        #expect(text.contains("    finding unmarked: expected, not raised (raised: none)"))
        #expect(
            text.contains(
                """
                        PM-OUT-001 classification exceeds the communication path: marked SECRET; path 'internet' is \
                accredited to IN-CONFIDENCE [NZISM 15.2.40.C.01 [CID:1760]]
                """
            ))
        #expect(text.hasSuffix("0 passed, 1 failed\n"))
    }

    @Test("generated attachments are built into the message and per-path expectations are compared")
    func attachmentsAndPaths() throws {
        let path = try H.tmp(
            "a.test.yaml",
            """
            cases:
              - name: wrong path expectation
                message:
                  subject: "[IN-CONFIDENCE] Pack"
                  attachments: [{name: "plan [RESTRICTED].pdf", type: application/pdf, content: "%PDF"}]
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [x@dpmc.govt.nz, y@gmail.com]}
                expect: {paths: {internet: allow, all-of-government: quarantine}, classification: RESTRICTED, \
            findings: [under-marked]}
            """)
        let report = try HarnessRunner().run([try PolicyTestLoader.load(path: path)])
        #expect(report.results.first?.failures == ["path internet: expected allow, got block"])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        var id: String
        var yaml: String
        var expected: String
        var testDescription: String { id }
    }
    static let invalid: [Invalid] = [
        .init(
            id: "unknown key in a case",
            yaml: "cases:\n  - name: x\n    mesage: {subject: a}\n    expect: {decision: allow}\n",
            expected: ":3:5: unknown key 'mesage' in a case"),
        .init(
            id: "unknown action",
            yaml: "cases:\n  - name: x\n    message: {subject: a}\n    expect: {decision: drop}\n",
            expected: ":4:24: expect.decision must be one of: allow, allow-and-tag, quarantine, block"),
        .init(
            id: "unknown rule id",
            yaml: "cases:\n  - name: x\n    message: {subject: a}\n    expect: {rules: [PM-NOPE-9]}\n",
            expected: ":4:22: unknown rule id 'PM-NOPE-9' in rules"),
        .init(
            id: "bad direction",
            yaml:
                """
                cases:\n  - name: x\n    message: {subject: a}\n    envelope: {direction: sideways}\n    expect: \
                {decision: allow}\n
                """,
            expected: ":4:27: direction must be one of: inbound, outbound, internal"),
        .init(
            id: "missing name", yaml: "cases:\n  - message: {subject: a}\n    expect: {decision: allow}\n",
            expected: ":2:5: a case is missing required key 'name'"),
        .init(
            id: "duplicate case names",
            yaml:
                """
                cases:\n  - name: x\n    message: {subject: a}\n    expect: {decision: allow}\n  - name: x\n    \
                message: {subject: a}\n    expect: {decision: allow}\n
                """,
            expected: ":5:5: duplicate case name 'x'"),
        .init(id: "cases not a list", yaml: "cases: 3\n", expected: ":1:8: cases must be a list"),
    ]

    @Test(arguments: invalid)
    func invalidTestFileIsReportedWithItsLocation(_ c: Invalid) throws {
        let path = try H.tmp("bad.test.yaml", c.yaml)
        #expect { try PolicyTestLoader.load(path: path) } throws: { e in
            let d = (e as? PolicyLoadError)?.description ?? ""
            return d.split(separator: "\n").contains { $0.hasPrefix(path + c.expected) }
        }
    }

    @Test("JUnit output is well-formed XML with a testcase per case")
    func junit() throws {
        let report = try HarnessRunner().run([try PolicyTestLoader.load(path: H.defaultSuite)])
        let xml = HarnessReporters.junit(report)
        let doc = try XMLDocument(xmlString: xml)
        let cases = try doc.nodes(forXPath: "//testcase")
        #expect(cases.count == report.results.count)
        #expect(
            try doc.nodes(forXPath: "/testsuites").first.map {
                ($0 as? XMLElement)?.attribute(forName: "tests")?.stringValue
            } == "\(report.results.count)")
        #expect(try doc.nodes(forXPath: "//failure").isEmpty)
    }

    @Test(
        """
        the default policy suite has at least 80 cases, all passing, with full rule and control coverage (notices \
        included)
        """
    )
    func defaultSuite() throws {
        let report = try HarnessRunner().run([try PolicyTestLoader.load(path: H.defaultSuite)])
        #expect(report.results.count >= 80)
        #expect(report.failed == 0, "\(report.results.filter { !$0.passed }.map(\.testCase.name))")
        #expect(report.coverage.rulePercent == 100 && report.coverage.controlPercent == 100)
        #expect(report.coverage.entries.first?.controls.contains("NZISM 15.2.41.C.02 [CID:1765]") == true)
        #expect(report.coverage.entries.first?.controls.contains("NZISM 15.2.42.C.01 [CID:1768]") == true)
    }
}

/// A harness that cannot notice a weakened policy is not done: each edit below weakens (or
/// changes) the default policy, and at least one case of its suite must fail.
@Suite("Harness mutation check")
struct MutationTests {
    struct Mutation: CustomTestStringConvertible, Sendable {
        var id: String
        var from: String
        var to: String
        var testDescription: String { id }
    }
    static let mutations: [Mutation] = [
        .init(
            id: "raise the internet ceiling to RESTRICTED", from: "  - name: internet\n    ceiling: IN-CONFIDENCE",
            to: "  - name: internet\n    ceiling: RESTRICTED"),
        .init(
            id: "lower the internet ceiling to UNCLASSIFIED", from: "  - name: internet\n    ceiling: IN-CONFIDENCE",
            to: "  - name: internet\n    ceiling: UNCLASSIFIED"),
        .init(
            id: "lower the all-of-government ceiling", from: "  - name: all-of-government\n    ceiling: RESTRICTED",
            to: "  - name: all-of-government\n    ceiling: SENSITIVE"),
        .init(
            id: "drop NZEO from the system and the all-of-government path", from: "  endorsements: [NZEO, APPOINTMENTS",
            to: "  endorsements: [APPOINTMENTS"),
        .init(
            id: "route all of govt.nz over the all-of-government path",
            from: "domains: [dpmc.govt.nz, treasury.govt.nz, mfat.govt.nz]", to: "domains: [govt.nz]"),
        .init(
            id: "turn the unmarked-outbound quarantine into allow", from: "unmarked-outbound: quarantine",
            to: "unmarked-outbound: allow"),
        .init(
            id: "turn the inappropriately-marked quarantine into allow", from: "inappropriately-marked: quarantine",
            to: "inappropriately-marked: allow"),
        .init(
            id: "remove the internal-only alias", from: "  internal-only-aliases: [all-staff@agency.govt.nz]\n",
            to: ""),
        .init(
            id: "stop trusting the gateway's Authentication-Results", from: "trusted-authserv-ids: [mx.agency.govt.nz]",
            to: "trusted-authserv-ids: []"),
        .init(
            id: "move dpmc.govt.nz off the all-of-government path",
            from: "domains: [dpmc.govt.nz, treasury.govt.nz, mfat.govt.nz]",
            to: "domains: [treasury.govt.nz, mfat.govt.nz]"),
        .init(
            id: "remove executables from the deny list", from: "deny-families: [executable, script,",
            to: "deny-families: [script,"),
        .init(
            id: "turn the encrypted-attachment quarantine into allow", from: "encrypted-attachment: quarantine",
            to: "encrypted-attachment: allow"),
        .init(
            id: "raise the system accreditation to SECRET", from: "  accreditation: RESTRICTED",
            to: "  accreditation: SECRET"),
        .init(
            id: "stop permitting MEDICAL on the internet",
            from:
                """
                    endorsements: [APPOINTMENTS, BUDGET, CABINET, COMMERCIAL, EVALUATIVE, HONOURS, LEGAL \
                PRIVILEGE,\n                   MEDICAL, STAFF, POLICY]
                """,
            to:
                """
                    endorsements: [APPOINTMENTS, BUDGET, CABINET, COMMERCIAL, EVALUATIVE, HONOURS, LEGAL \
                PRIVILEGE,\n                   STAFF, POLICY]
                """
        ),
    ]

    @Test("there are at least ten mutations") func enough() { #expect(Self.mutations.count >= 10) }

    @Test(arguments: mutations)
    func mutationIsNoticed(_ m: Mutation) throws {
        let original = try String(contentsOfFile: H.root + "/policies/default.yaml", encoding: .utf8)
        #expect(original.contains(m.from), "mutation does not apply: \(m.id)")
        let mutated = original.replacingOccurrences(of: m.from, with: m.to)
        let policy = try PolicyLoader.load(yaml: mutated, file: "mutated.yaml")  // still a valid policy
        let report = try HarnessRunner(policyOverride: policy).run([try PolicyTestLoader.load(path: H.defaultSuite)])
        #expect(report.failed > 0, "the suite did not notice: \(m.id)")
    }
}
