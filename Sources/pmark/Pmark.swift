import ArchiveScan
import ArgumentParser
import ContentInspection

/// The `pmark` command line: thin commands over the library modules.
@main
struct Pmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pmark",
        abstract: "Protective-marking classification for New Zealand government email (NZISM 15.2).",
        discussion: """
            Exit codes:
              0   success (check: allow)
              1   check: a message could not be inspected (limit exceeded); it is quarantined
                  scan: found something at or above --fail-on
              2   check: quarantine; scan: some input could not be read
              3   check: block (at least one recipient)
              64  usage error (bad arguments)
              65  policy lint: a policy file is invalid
              66  check: the input holds no message
              73  an output file would overwrite a file pmark did not create
              74  input could not be read (I/O error)
            """,
        version: ToolVersions.text,
        subcommands: [
            Scan.self, Check.self, ReportCommand.self, TestCommand.self, PolicyCommand.self, AuditCommand.self,
            QuarantineCommand.self, Bench.self, MilterGroup.self,
        ]
    )

    static func main() {
        BoundedArchive.nameTimeZoneOnce()  // before any thread: see its documentation
        main(nil)
    }
}
