import Foundation
import Testing

/// `pmark test` options and `pmark policy diff`, through the built binary.
@Suite("pmark test and policy diff on the command line")
struct HarnessCLITests {
    let cli = CLITests()

    @Test(
        """
        --run selects cases by regular expression; -q prints only failures and the closing lines; an unmatched --run \
        fails
        """
    )
    func runAndQuiet() throws {
        let r = try cli.run([
            "test", "policies/tests/default.test.yaml", "--run", "^inbound (CONFIDENTIAL|TOP SECRET) is blocked$",
        ])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("PASS: inbound CONFIDENTIAL is blocked\nPASS: inbound TOP SECRET is blocked\n"))
        #expect(r.out.hasSuffix("2 passed, 0 failed\n"))
        let q = try cli.run(["test", "policies/", "-q"])
        #expect(q.code == 0 && !q.out.contains("PASS:") && q.out.hasSuffix(" passed, 0 failed\n"))
        let none = try cli.run(["test", "policies/", "--run", "no such case"])
        #expect(none.code == 1 && none.err.contains("no case matches --run"))
        let bad = try cli.run(["test", "policies/", "--run", "("])
        #expect(bad.code == 64)
    }

    @Test("a YAML syntax error in a test file is reported at its line and column with exit code 65")
    func syntaxError() throws {
        let dir = NSTemporaryDirectory() + "pmark-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "cases:\n  - name: x\n    message: {subject: \"a}\n".write(
            toFile: dir + "/bad.test.yaml", atomically: true, encoding: .utf8)
        let r = try cli.run(["test", dir + "/bad.test.yaml"])
        #expect(r.code == 65)
        #expect(r.err.hasPrefix(dir + "/bad.test.yaml:4:1: YAML syntax: "), "\(r.err)")
    }

    @Test(
        """
        policy diff prints the changed setting and the changed cases with both verdicts; exit 1 on change, 0 when \
        identical
        """
    )
    func diff() throws {
        let dir = NSTemporaryDirectory() + "pmark-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: CLITests.root + "/policies/default.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "unmarked-outbound: quarantine", with: "unmarked-outbound: allow").write(
            toFile: dir + "/new.yaml", atomically: true, encoding: .utf8)
        let r = try cli.run([
            "policy", "diff", "policies/default.yaml", dir + "/new.yaml", "--suite", "policies/tests/default.test.yaml",
            "--corpus", "policies/tests/fixtures/markings",
        ])
        #expect(r.code == 1, "\(r.err)")
        #expect(r.out.contains("settings changed (1):\n  actions.unmarked-outbound: quarantine → allow\n"))
        #expect(
            r.out.contains(
                """
                  unmarked mail is quarantined outbound and internally [outbound a@gmail.com]  \
                (policies/tests/default.test.yaml:
                """
            ))
        #expect(r.out.contains("    old: quarantine [internet quarantine (PM-UNM-002)]"))
        #expect(r.out.contains("corpus messages whose verdict changes: "))
        let same = try cli.run([
            "policy", "diff", "policies/default.yaml", "policies/default.yaml", "--suite", "policies/",
        ])
        #expect(
            same.code == 0 && same.out.contains("settings: no change")
                && same.out.contains("test cases whose verdict changes: 0 of "))
    }
}
