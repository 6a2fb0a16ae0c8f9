import ArgumentParser
import Foundation
import PolicyLanguage

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with policy files.", subcommands: [Lint.self])

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
