import ArgumentParser
import DecisionEngine
import Foundation
import PolicyHarness
import PolicyLanguage

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with policy files.",
        subcommands: [Lint.self, Explain.self, Diff.self, RuleTable.self])

    struct RuleTable: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules",
            abstract:
                """
                Print every rule (id, title, action, NZISM controls) as the README's Markdown table, from the rule \
                definitions.
                """
        )

        func run() throws { print(Rules.markdownTable(), terminator: "") }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a policy in plain English: what is blocked where, and under which NZISM control.",
            discussion: "Without a file, explains the embedded default policy. Exit codes: 0, 65 invalid policy.")

        @Argument(help: "Policy file (default: the embedded default policy).")
        var file: String?

        func run() throws { print(PolicyExplainer.explain(try loadPolicy(file))) }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                What changes between two policy versions: settings, and every test case or corpus message whose \
                verdict changes, with both verdicts.
                """,
            discussion: """
                --suite runs the test files under DIR against both policies (the policy each test file names is \
                ignored);
                --corpus evaluates every message file under PATH (envelope from the headers).
                Exit codes: 0 nothing changes, 1 something changes, 65 an invalid policy or test file, 74 an \
                unreadable corpus file.
                """)

        @Argument(help: "The current policy file.")
        var old: String
        @Argument(help: "The proposed policy file.")
        var new: String
        @Option(help: "Test files or a folder of them to evaluate under both policies.")
        var suite: [String] = []
        @Option(help: "A message file or a folder of them to evaluate under both policies.")
        var corpus: [String] = []

        func run() throws {
            let diff: PolicyDiff
            do {
                let a = try PolicyLoader.load(contentsOf: old), b = try PolicyLoader.load(contentsOf: new)
                let files = try PolicyTestLoader.discover(suite).map { try PolicyTestLoader.load(path: $0) }
                if !suite.isEmpty && files.isEmpty {
                    throw ValidationError("no test files under \(suite.joined(separator: ", "))")
                }
                diff = try PolicyDiff.compare(old: a, new: b, suite: files, corpus: corpus)
            } catch let e as PolicyLoadError {
                FileHandle.standardError.write(Data((e.description + "\n").utf8))
                throw ExitCode(65)
            }
            print(diff.text(old: old, new: new), terminator: "")
            if !diff.unreadable.isEmpty { throw ExitCode(74) }
            if !diff.isEmpty { throw ExitCode(1) }
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate policy files; print every problem as file:line:column: message.",
            discussion: "Exit codes: 0 valid, 65 invalid (EX_DATAERR).")

        @Argument(help: "Policy files.")
        var files: [String]

        func run() throws {
            var bad = false
            for f in files {
                do {
                    let p = try PolicyLoader.load(contentsOf: f)
                    print("\(f): ok: '\(p.name)', system \(p.accreditation.name), \(p.paths.count) path(s)")
                } catch let e as PolicyLoadError {
                    bad = true
                    FileHandle.standardError.write(Data((e.description + "\n").utf8))
                }
            }
            if bad { throw ExitCode(65) }
        }
    }
}
