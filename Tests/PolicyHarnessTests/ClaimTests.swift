import Foundation
import PolicyLanguage
import Testing

@testable import DecisionEngine
@testable import PolicyHarness

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Every claim a test file makes is checkable: each expectation is validated against the
/// vocabulary at its position, `rules: []` and `notify:` assert something, controls count only
/// when asserted, fixtures resolve beside the test file, and the reports survive any input.
@Suite("Harness: every claim checkable")
struct ClaimTests {
    struct Invalid: CustomTestStringConvertible, Sendable {
        var id: String
        var expect: String
        var expected: String
        var testDescription: String { id }
    }
    /// `expect:` on line 4, starting at column 13: each error names the offending item's column.
    static let invalidExpectations: [Invalid] = [
        .init(
            id: "a misspelt finding id in not-findings", expect: "{not-findings: [unmarkd]}",
            expected: ":4:29: unknown finding id 'unmarkd' in not-findings"),
        .init(
            id: "a misspelt finding id in findings (second item)", expect: "{findings: [unmarked, under-markd]}",
            expected: ":4:35: unknown finding id 'under-markd' in findings"),
        .init(
            id: "an unknown classification", expect: "{classification: SECERT}",
            expected:
                """
                :4:30: unknown classification 'SECERT' (expected one of: UNCLASSIFIED, IN-CONFIDENCE, SENSITIVE, \
                RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET, UNMARKED)
                """
        ),
        .init(
            id: "a classification not in canonical spelling", expect: "{classification: top secret}",
            expected: ":4:30: unknown classification 'top secret'"),
        .init(
            id: "an unknown rule id in not-rules", expect: "{not-rules: [PM-OUT-009]}",
            expected: ":4:26: unknown rule id 'PM-OUT-009' in not-rules"),
        .init(
            id: "an unknown action", expect: "{decision: reject}",
            expected: ":4:24: expect.decision must be one of: allow, allow-and-tag, quarantine, block"),
        .init(
            id: "an unknown action for a recipient", expect: "{recipients: {a@b.nz: drop}}",
            expected: ":4:35: expect.recipients['a@b.nz'] must be one of"),
        .init(
            id: "a rule list written as a scalar", expect: "{rules: PM-OUT-001}",
            expected: ":4:21: rules must be a list (write [PM-OUT-001])"),
        .init(
            id: "notify with a non-boolean", expect: "{notify: {recipients: yes please}}",
            expected: ":4:35: notify.recipients must be true or false"),
        .init(
            id: "notify with an unknown key", expect: "{notify: {recipient: true}}",
            expected: ":4:23: unknown key 'recipient' in expect.notify"),
        .init(
            id: "an empty notify", expect: "{notify: {}}",
            expected: ":4:22: expect.notify must state recipients: true|false and/or sender: true|false"),
        .init(
            id: "logged: false (every decision is logged: it would assert nothing)", expect: "{logged: false}",
            expected: ":4:22: expect.logged must be true (every decision is recorded"),
        .init(
            id: "logged with a non-boolean", expect: "{logged: always}",
            expected: ":4:22: expect.logged must be true or false"),
    ]

    @Test(
        "every expectation is validated against the vocabulary, reported at the item's file:line:column",
        arguments: invalidExpectations)
    func invalidExpectation(_ c: Invalid) throws {
        let path = try H.tmp("v.test.yaml", "cases:\n  - name: x\n    message: {subject: a}\n    expect: \(c.expect)\n")
        #expect { try PolicyTestLoader.load(path: path) } throws: { e in
            let d = (e as? PolicyLoadError)?.description ?? ""
            return d.split(separator: "\n").contains { $0.hasPrefix(path + c.expected) }
        }
    }

    @Test("a made-up control tag is an error at its position; controls some rule or notice implements are accepted")
    func controlTags() throws {
        let bad = try H.tmp(
            "c.test.yaml",
            """
            cases:\n  - name: x\n    controls: [15.2.40.C.01, 15.2.40.C.99]\n    message: {subject: a}\n    expect: \
            {decision: allow}\n
            """
        )
        #expect { try PolicyTestLoader.load(path: bad) } throws: { e in
            (e as? PolicyLoadError)?.description.hasPrefix(
                bad + ":3:30: unknown control '15.2.40.C.99': no rule or notice implements it") == true
        }
        #expect(
            HarnessVocabulary.controls.isSuperset(of: ["15.2.40.C.01", "15.2.41.C.02", "15.2.42.C.01", "15.2.37.C.01"]))
        #expect(!HarnessVocabulary.controls.contains("15.2.40.C.99"))
    }

    static func run(_ yaml: String) throws -> HarnessReport {
        try HarnessRunner().run([try PolicyTestLoader.load(path: try H.tmp("r.test.yaml", yaml))])
    }

    @Test("rules: [] asserts that no rule fired: it passes when none fired and fails naming the rules that did")
    func emptyRules() throws {
        let r = try Self.run(
            """
            cases:
              - name: nothing fires for IN-CONFIDENCE to the internet
                message: {subject: "[IN-CONFIDENCE] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {rules: []}
              - name: something fires for RESTRICTED to the internet
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {rules: []}
              - name: without rules nothing about rules is asserted
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: block}
            """)
        #expect(r.results.map(\.passed) == [true, false, true])
        #expect(r.results[1].failures == ["rules: expected no rule to fire, fired: PM-OUT-001"])
    }

    @Test("not-rules naming a rule that cannot fire under the policy fails the case instead of passing vacuously")
    func vacuousNotRules() throws {
        let r = try Self.run(
            """
            cases:
              - name: PM-UNM-001 applies only to systems accredited CONFIDENTIAL or above
                message: {subject: "Hello"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {not-rules: [PM-UNM-001, PM-OUT-001]}
            """)
        #expect(
            r.results.first?.failures == [
                """
                not-rules: PM-UNM-001 cannot fire under policy 'NZ agency default', so asserting that it does not fire \
                checks nothing
                """
            ])
    }

    @Test("notify expectations are checked against the verdict's notifyRecipients and notifySender")
    func notify() throws {
        let r = try Self.run(
            """
            cases:
              - name: recipients told, sender not verified
                message: {subject: "[SECRET] x", from: "P <p@partner.example>"}
                envelope: {direction: inbound, mail-from: p@partner.example, rcpt: [me@agency.govt.nz]}
                expect: {notify: {recipients: true, sender: false}}
              - name: wrongly expects the sender to be told
                message: {subject: "[SECRET] x", from: "P <p@partner.example>"}
                envelope: {direction: inbound, mail-from: p@partner.example, rcpt: [me@agency.govt.nz]}
                expect: {notify: {sender: true}}
              - name: wrongly expects recipients told for allowed mail
                message: {subject: "[IN-CONFIDENCE] x", from: "P <p@partner.example>"}
                envelope: {direction: inbound, mail-from: p@partner.example, rcpt: [me@agency.govt.nz]}
                expect: {notify: {recipients: true}}
            """)
        #expect(r.results.map(\.passed) == [true, false, false])
        #expect(r.results[1].failures == ["notify.sender: expected true, got false"])
        #expect(r.results[2].failures == ["notify.recipients: expected true, got false"])
    }

    @Test("a control counts only when a passing case asserts the behaviour that implements it")
    func coverageByAssertion() throws {
        // PM-OUT-001 fires in both cases, but only the second asserts it (by its decision).
        let onlyFindings = try Self.run(
            """
            cases:
              - name: asserts only the classification
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {classification: RESTRICTED}
            """)
        let e = try #require(onlyFindings.coverage.entries.first)
        #expect(e.uncoveredRules.contains("PM-OUT-001"))
        #expect(e.uncoveredControls.contains("NZISM 15.2.40.C.01 [CID:1760]"))
        let byDecision = try Self.run(
            """
            cases:
              - name: asserts the decision PM-OUT-001 produced
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: block}
            """)
        #expect(byDecision.results.first?.demonstratedRules == ["PM-OUT-001"])
        #expect(
            !(byDecision.coverage.entries.first?.uncoveredControls.contains("NZISM 15.2.40.C.01 [CID:1760]") ?? true))
        // 15.2.41.C.02 only by notify.recipients: true; a blocked inbound case alone does not count.
        let inbound =
            """
            message: {subject: "[SECRET] x", from: "P <p@partner.example>"}\n    envelope: {direction: inbound, \
            mail-from: p@partner.example, rcpt: [me@agency.govt.nz]}
            """
        let noNotice = try Self.run(
            "cases:\n  - name: blocked\n    \(inbound)\n    expect: {decision: block, rules: [PM-IN-001]}\n")
        #expect(noNotice.coverage.entries.first?.uncoveredControls.contains("NZISM 15.2.41.C.02 [CID:1765]") == true)
        let notice = try Self.run(
            "cases:\n  - name: blocked and told\n    \(inbound)\n    expect: {notify: {recipients: true}}\n")
        #expect(notice.coverage.entries.first?.uncoveredControls.contains("NZISM 15.2.41.C.02 [CID:1765]") == false)
        // A failing case demonstrates nothing.
        let failing = try Self.run(
            """
            cases:\n  - name: wrong\n    \(inbound)\n    expect: {decision: allow, rules: [PM-IN-001], notify: \
            {recipients: true}}\n
            """
        )
        #expect(failing.coverage.entries.first?.uncoveredControls.contains("NZISM 15.2.41.C.02 [CID:1765]") == true)
        #expect(failing.coverage.entries.first?.uncoveredRules.contains("PM-IN-001") == true)
    }

    @Test("a tagged control the case does not assert fails the case; over each: items the parent case is judged")
    func tagsAreClaims() throws {
        let r = try Self.run(
            """
            cases:
              - name: claims the recipient notice without asserting it
                controls: [15.2.41.C.02]
                message: {subject: "[SECRET] x", from: "P <p@partner.example>"}
                envelope: {direction: inbound, mail-from: p@partner.example, rcpt: [me@agency.govt.nz]}
                expect: {decision: block}
              - name: one item of several demonstrates the path control
                controls: [15.2.40.C.01]
                message: {subject: "[RESTRICTED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz}
                each:
                  - {rcpt: [a@dpmc.govt.nz], decision: allow}
                  - {rcpt: [a@gmail.com], decision: block}
            """)
        #expect(r.results.map(\.passed) == [false, true, true])
        #expect(
            r.results[0].failures.first?.hasPrefix(
                "controls: tagged 15.2.41.C.02, but nothing this case asserts implements it") == true)
    }

    @Test("message files resolve against the test file's folder, whatever the working directory")
    func relativeFixtures() throws {
        let dir = NSTemporaryDirectory() + "pmark-rel-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/suite/fixtures", withIntermediateDirectories: true)
        try "From: a@agency.govt.nz\nTo: b@gmail.com\nSubject: [SECRET] x\n\nhi\n".write(
            toFile: dir + "/suite/fixtures/m.eml", atomically: true, encoding: .utf8)
        try """
        cases:\n  - name: fixture beside the test file\n    message: {file: fixtures/m.eml}\n    envelope: \
        {direction: outbound}\n    expect: {decision: block, classification: SECRET}\n
        """
        .write(toFile: dir + "/suite/s.test.yaml", atomically: true, encoding: .utf8)
        let f = try PolicyTestLoader.load(path: dir + "/suite/s.test.yaml")
        #expect(f.cases.first?.message.file == dir + "/suite/fixtures/m.eml")
        let r = try HarnessRunner().run([f])
        #expect(r.failed == 0, "\(r.results.flatMap(\.failures))")
    }

    @Test("a missing fixture fails that case at the position of its file: key, and the other cases still run")
    func missingFixture() throws {
        let path = try H.tmp(
            "m.test.yaml",
            """
            cases:
              - name: fixture is missing
                message: {file: fixtures/nowhere.eml}
                expect: {decision: allow}
              - name: still runs
                message: {subject: "[UNCLASSIFIED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow}
            """)
        let r = try HarnessRunner().run([try PolicyTestLoader.load(path: path)])
        #expect(r.results.map(\.passed) == [false, true])
        #expect(r.results[0].failures.first?.hasPrefix("\(path):3:21: message file '") == true)
        #expect(r.results[0].failures.first?.contains("fixtures/nowhere.eml") == true)
    }

    @Test("the shipped suites pass when policies/ is copied elsewhere (fixtures travel with them)")
    func portableSuites() throws {
        let dir = NSTemporaryDirectory() + "pmark-copy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: H.root + "/policies", toPath: dir + "/policies")
        let files = PolicyTestLoader.discover([dir + "/policies"])
        #expect(files.count == 3)
        let r = try HarnessRunner().run(try files.map { try PolicyTestLoader.load(path: $0) })
        #expect(r.results.count > 150)
        let firstFailures = r.results.filter { !$0.passed }.prefix(3).map {
            $0.testCase.name + ": " + $0.failures.joined(separator: "; ")
        }
        #expect(r.failed == 0, "\(firstFailures)")
        #expect(r.coverage.rulePercent == 100 && r.coverage.controlPercent == 100)
    }

    @Test("every suite fixture is a byte-identical copy of its Corpus original, so the two cannot drift")
    func fixturesMatchCorpus() throws {
        let fixtures = H.root + "/policies/tests/fixtures"
        // markings/ and attachments/ mirror Corpus/; other folders (limits/, disguised/) are the suites' own.
        let files = (FileManager.default.enumerator(atPath: fixtures)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".eml") && ($0.hasPrefix("markings/") || $0.hasPrefix("attachments/")) }
        #expect(files.count >= 20)
        for f in files {
            let copy = FileManager.default.contents(atPath: fixtures + "/" + f)
            let original = FileManager.default.contents(atPath: H.root + "/Corpus/" + f)
            #expect(
                copy != nil && copy == original,
                """
                \(f) differs from Corpus/\(f): copy it again (cp Corpus/\(f) policies/tests/fixtures/\(f)) and rerun \
                the suites
                """
            )
        }
    }

    struct SyntaxCase: CustomTestStringConvertible, Sendable {
        var id: String
        var yaml: String
        var position: String
        var testDescription: String { id }
    }
    static let syntaxErrors: [SyntaxCase] = [
        .init(
            id: "an unclosed flow mapping",
            yaml: "policy:\n  name: x\ncases:\n  - {name: a, expect: {decision: allow}\n", position: ":5:1:"),
        .init(id: "a tab used for indentation", yaml: "policy:\n  name: x\n\tbad: 1\n", position: ":3:1:"),
        .init(id: "an unterminated quoted string", yaml: "policy:\n  name: \"x\ncases: []\n", position: ":4:1:"),
        .init(id: "a bad indentation after a mapping", yaml: "policy:\n  name: x\n   extra: y\n", position: ":3:9:"),
    ]

    @Test(
        "YAML syntax errors are reported at their real line and column, the same for policies and test files",
        arguments: syntaxErrors)
    func yamlPositions(_ c: SyntaxCase) throws {
        var testDiag = "", policyDiag = ""
        do { _ = try PolicyTestLoader.load(yaml: c.yaml, path: "t.yaml") } catch let e as PolicyLoadError {
            testDiag = e.description
        }
        do { _ = try PolicyLoader.load(yaml: c.yaml, file: "t.yaml") } catch let e as PolicyLoadError {
            policyDiag = e.description
        }
        #expect(testDiag.hasPrefix("t.yaml" + c.position + " YAML syntax: "), "\(testDiag)")
        #expect(testDiag == policyDiag)
    }

    @Test("--run runs only the cases whose name matches, and coverage is computed over them")
    func runFilter() throws {
        let f = try PolicyTestLoader.load(path: H.defaultSuite)
        let only = try NSRegularExpression(pattern: "^inbound (CONFIDENTIAL|TOP SECRET) is blocked$")
        let r = try HarnessRunner(only: only).run([f])
        #expect(r.results.map(\.testCase.name) == ["inbound CONFIDENTIAL is blocked", "inbound TOP SECRET is blocked"])
        #expect(r.coverage.rulePercent < 100)
    }

    @Test("JUnit is valid XML with time, file and line per case and the actual verdict in the failure, for any input")
    func junitParsed() throws {
        let path = try H.tmp(
            "j.test.yaml",
            """
            cases:
              - name: "control \\x01 character, <markup> & \\"quotes\\" \\x1B[31m"
                message: {subject: "[SECRET] \\x02 x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow}
              - name: passes
                message: {subject: "[UNCLASSIFIED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow}
            """)
        let report = try HarnessRunner().run([try PolicyTestLoader.load(path: path)])
        #expect(report.results.first?.testCase.name.unicodeScalars.contains("\u{01}") == true)
        let xml = HarnessReporters.junit(report)
        let doc = try XMLDocument(xmlString: xml)
        let cases = try doc.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        #expect(cases.count == 2)
        for c in cases {
            #expect(Double(c.attribute(forName: "time")?.stringValue ?? "") != nil)
            #expect(c.attribute(forName: "file")?.stringValue == path)
        }
        #expect(cases.map { $0.attribute(forName: "line")?.stringValue } == ["2", "6"])
        #expect(
            cases[0].attribute(forName: "name")?.stringValue
                == "control \\u{1} character, <markup> & \"quotes\" \\u{1B}[31m")
        let failure = try #require(try doc.nodes(forXPath: "//testcase[1]/failure").first as? XMLElement)
        #expect(failure.attribute(forName: "message")?.stringValue == "decision: expected allow, got block")
        let text = failure.stringValue ?? ""
        #expect(text.contains("actual: block [internet block (PM-OUT-001)], classification SECRET"))
        #expect(text.contains("at \(path):2:5"))
        #expect(try doc.nodes(forXPath: "//testcase[2]/failure").isEmpty)
        // python3's parser agrees, when present.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") {
            let file = try H.tmp("j.xml", xml)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            p.arguments = [
                "-c",
                """
                import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert \
                len(r.findall('.//testcase')) == 2
                """,
                file,
            ]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
    }

    @Test(
        """
        the text report is quiet (failures and the closing lines) or verbose (each case's position and verdict) on \
        request
        """
    )
    func detail() throws {
        let r = try Self.run(
            """
            cases:
              - name: passes
                message: {subject: "[UNCLASSIFIED] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow}
              - name: fails
                message: {subject: "[SECRET] x"}
                envelope: {direction: outbound, mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}
                expect: {decision: allow}
            """)
        let quiet = HarnessReporters.text(r, detail: .quiet)
        #expect(
            !quiet.contains("PASS: passes") && quiet.contains("FAIL: fails") && quiet.hasSuffix("1 passed, 1 failed\n"))
        let verbose = HarnessReporters.text(r, detail: .verbose)
        #expect(
            verbose.contains("PASS: passes  (")
                && verbose.contains("    actual: allow [internet allow], classification UNCLASSIFIED"))
        #expect(HarnessReporters.text(r).contains("PASS: passes\n"))
    }
}
