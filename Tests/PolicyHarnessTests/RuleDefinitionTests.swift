import Foundation
import PolicyLanguage
import Testing

@testable import DecisionEngine
@testable import PolicyHarness

/// Rules as values (issue 9): the engine, `policy explain`, the harness coverage and the README
/// rule table all come from one definition per rule.
@Suite("Rule definitions: one place")
struct RuleDefinitionTests {
    /// A rule defined only in this test: fires on any message whose subject mentions "pineapple".
    static let fake = Rule(
        id: "PM-TEST-999", title: "a fake rule defined in a test", controls: ["NZISM 99.9.99.C.99 [CID:9999]"],
        fixedAction: .quarantine, applies: { _ in true },
        evaluate: { input in (input.message.subject ?? "").contains("pineapple") ? ["subject mentions pineapple"] : [] }
    )
    static let rules = Rules.all + [fake]

    @Test(
        """
        a rule added as a value is evaluated by the engine, explained by policy explain, and counted by harness \
        coverage
        """
    )
    func fakeRuleEverywhere() throws {
        let policy = try PolicyLoader.embeddedDefault()
        // 1. the engine
        let engine = try Engine(policy: policy, rules: Self.rules)
        let v = engine.evaluate(
            bytes: Array("From: a@agency.govt.nz\nSubject: [IN-CONFIDENCE] pineapple\n\nhi\n".utf8),
            envelope: Envelope(direction: .internal, mailFrom: "a@agency.govt.nz", recipients: ["b@agency.govt.nz"]))
        #expect(v.decisions.flatMap(\.reasons).contains { $0.rule.id == "PM-TEST-999" && $0.action == .quarantine })
        #expect(v.messageAction == .quarantine)
        // 2. policy explain
        let text = PolicyExplainer.explain(policy, rules: Self.rules)
        #expect(text.contains("PM-TEST-999 a fake rule defined in a test → quarantine [NZISM 99.9.99.C.99 [CID:9999]]"))
        #expect(!PolicyExplainer.explain(policy).contains("PM-TEST-999"))
        // 3. harness coverage: uncovered until a case demonstrates it
        let path = try H.tmp(
            "fake.test.yaml",
            """
            cases:
              - name: pineapple is quarantined
                message: {subject: "[IN-CONFIDENCE] pineapple"}
                envelope: {direction: internal, mail-from: a@agency.govt.nz, rcpt: [b@agency.govt.nz]}
                expect: {decision: quarantine, rules: [PM-TEST-999]}
            """)
        let file = try PolicyTestLoader.load(path: path, rules: Self.rules)
        let report = try HarnessRunner(rules: Self.rules).run([file])
        #expect(report.failed == 0)
        let entry = try #require(report.coverage.entries.first)
        #expect(entry.rules.contains("PM-TEST-999") && !entry.uncoveredRules.contains("PM-TEST-999"))
        #expect(entry.controls.contains { $0.contains("99.9.99.C.99") })
        let plain = try HarnessRunner().run([file])
        #expect(plain.coverage.entries.first?.rules.contains("PM-TEST-999") == false)
        // 4. the rule table
        #expect(
            Rules.markdownTable(Self.rules).contains(
                "| PM-TEST-999 | a fake rule defined in a test | quarantine | NZISM 99.9.99.C.99 [CID:9999] |"))
    }

    @Test("the README's rule table is the one the definitions print (pmark policy rules)")
    func readmeTable() throws {
        let readme = try String(contentsOfFile: H.root + "/README.md", encoding: .utf8)
        #expect(readme.contains(Rules.markdownTable()), "regenerate the README table with `pmark policy rules`")
    }

    @Test("every built-in rule has a unique id, a title, NZISM controls with a CID, and decodes to its own definition")
    func definitions() throws {
        #expect(Set(Rules.all.map(\.id)).count == Rules.all.count)
        for r in Rules.all {
            #expect(
                !r.title.isEmpty && !r.controls.isEmpty
                    && r.controls.allSatisfy { $0.hasPrefix("NZISM ") && $0.contains("[CID:") }, "\(r.id)")
            let back = try JSONDecoder().decode(Rule.self, from: try JSONEncoder().encode(r))
            #expect(back == r && back.actionKey == r.actionKey && back.fixedAction == r.fixedAction)
        }
    }
}
