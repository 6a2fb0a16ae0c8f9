import ArgumentParser
import Foundation
import PolicyLanguage
import DecisionEngine

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with policy files.", subcommands: [Lint.self, Explain.self])

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a policy in plain English: what is blocked where, and under which NZISM control.",
            discussion: "Without a file, explains the embedded default policy. Exit codes: 0, 65 invalid policy.")

        @Argument(help: "Policy file (default: the embedded default policy).")
        var file: String?

        func run() throws { print(PolicyExplainer.explain(try loadPolicy(file))) }
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
