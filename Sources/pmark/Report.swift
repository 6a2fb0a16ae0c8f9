import ArchiveScan
import ArgumentParser
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Work with scan outputs.", subcommands: [Merge.self])

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                Combine the JSONL outputs of 'pmark scan --shard K/N' (or of separate scans) into one output and \
                summary.
                """,
            discussion: """
                Prints the message records (shards: in scan order) and one merged summary record, the same
                bytes as one unsharded scan. Exit codes as 'pmark scan' (0 clean, 1 found at or above the
                scans' --fail-on, 2 some input could not be read); 65 when the inputs do not fit together
                (a shard missing or doubled, different policies); 73 --report would overwrite a file pmark
                did not create; 74 an input file cannot be read.
                """)

        @Argument(help: "JSONL files written by 'pmark scan --format jsonl'.")
        var files: [String]

        @Option(help: "Output: jsonl (default: messages then the summary record) or text (the summary only).")
        var format: ScanFormat = .jsonl

        @Option(help: "Also write the HTML report of the merged scan to this file.")
        var report: String?

        func run() throws {
            if format == .csv { throw ValidationError("merge prints jsonl or text") }
            if let report {
                do { try SafeOutput.checkCreatable(report, signature: HTMLReportBuilder.signature) } catch let e
                    as SafeOutput.Refused
                {
                    FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
                    throw ExitCode(73)
                }
            }
            for f in files where access(f, R_OK) != 0 {
                FileHandle.standardError.write(
                    Data("pmark: \(f): cannot read: \(String(cString: strerror(errno)))\n".utf8))
                throw ExitCode(74)
            }
            let out = OutputBuffer(fd: 1)
            var builder: HTMLReportBuilder? = report == nil ? nil : HTMLReportBuilder(logAddresses: false)
            let summary: ScanSummary
            do {
                summary = try ReportMerger(paths: files).run(
                    out: { if format == .jsonl { out.write($0) } }, report: &builder)
            } catch let e as ReportMerger.MergeError {
                out.flush()
                FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
                throw ExitCode(65)
            }
            out.write(format == .jsonl ? summary.jsonLine + "\n" : summary.text)
            out.flush()
            if let report, let b = builder {
                try SafeOutput.write(b.html(summary), to: report, signature: HTMLReportBuilder.signature)
            }
            if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
        }
    }
}
