import ArgumentParser
import Foundation
import PolicyHarness
import PolicyLanguage

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract:
            """
            Run policy test files: PASS/FAIL per case with a diff, rule and control coverage, and a closing 'N passed, \
            N failed' line.
            """,
        discussion: """
            Test files are YAML files with a top-level 'cases:' list (see README, "For auditors").
            Each names its policy ('policy: ../default.yaml'); --policy overrides it.

            Exit codes:
              0   every case passed (and coverage is at least --min-coverage)
              1   a case failed, or coverage is below --min-coverage
              65  a test file or policy file is invalid (file:line:column diagnostics on stderr)
            """)

    @Argument(help: "Test files or directories (default: policies/).")
    var paths: [String] = ["policies"]

    @Option(help: "Policy file to test instead of the one each test file names.")
    var policy: String?

    @Option(help: "Output format: text (default) or json.")
    var format: OutputFormat = .text

    @Option(help: "Also write JUnit XML to this file.")
    var junit: String?

    @Option(help: "Fail when rule or control coverage (percent) is below this.")
    var minCoverage: Double?

    @Flag(name: .shortAndLong, help: "Show only failures, coverage and the closing line.")
    var quiet = false

    @Flag(
        name: .shortAndLong,
        help: "Also show each passing case's position, actual verdict and the controls it demonstrates.")
    var verbose = false

    @Option(name: .customLong("run"), help: "Run only the cases whose name matches this regular expression.")
    var runPattern: String?

    func validate() throws {
        if quiet && verbose { throw ValidationError("-q and -v cannot be combined") }
        if let runPattern, (try? NSRegularExpression(pattern: runPattern)) == nil {
            throw ValidationError("--run: '\(runPattern)' is not a valid regular expression")
        }
    }

    func run() throws {
        let files = PolicyTestLoader.discover(paths)
        guard !files.isEmpty else { throw ValidationError("no test files under \(paths.joined(separator: ", "))") }
        var loaded: [PolicyTestFile] = []
        var diagnostics: [String] = []
        for f in files {
            do { loaded.append(try PolicyTestLoader.load(path: f)) } catch let e as PolicyLoadError {
                diagnostics.append(e.description)
            }
        }
        if !diagnostics.isEmpty {
            FileHandle.standardError.write(Data((diagnostics.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(65)
        }
        let report: HarnessReport
        do {
            report = try HarnessRunner(
                policyOverride: try policy.map { try PolicyLoader.load(contentsOf: $0) },
                only: try runPattern.map { try NSRegularExpression(pattern: $0) }
            ).run(loaded)
        } catch let e as PolicyLoadError {
            FileHandle.standardError.write(Data((e.description + "\n").utf8))
            throw ExitCode(65)
        }
        if let junit { try HarnessReporters.junit(report).write(toFile: junit, atomically: true, encoding: .utf8) }
        switch format {
        case .text:
            print(HarnessReporters.text(report, detail: quiet ? .quiet : verbose ? .verbose : .normal), terminator: "")
        case .json, .jsonl: print(HarnessReporters.json(report), terminator: "")
        }
        if runPattern != nil && report.results.isEmpty {
            FileHandle.standardError.write(Data("no case matches --run '\(runPattern ?? "")'\n".utf8))
            throw ExitCode(1)
        }
        if report.failed > 0 { throw ExitCode(1) }
        if let threshold = minCoverage,
            Swift.min(report.coverage.rulePercent, report.coverage.controlPercent) < threshold
        {
            FileHandle.standardError.write(Data("coverage below \(threshold)%\n".utf8))
            throw ExitCode(1)
        }
    }
}
