import ArgumentParser
import Foundation
import MailParsing
import Markings
import OfficeDocuments

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read one message and report its protective markings: every location read, the effective marking and every finding.",
        discussion: "Policy decisions (allow / block / quarantine) are not implemented yet; this reports markings only.")

    @Argument(help: "A message file, or '-' for standard input.")
    var file: String

    @Option(help: "Output format: text (default) or json.")
    var format: OutputFormat = .text

    @Flag(help: "Do not print the subject.")
    var redactSubjects = false

    @Option(name: .customLong("header"), help: "Also read this marking header (repeatable), e.g. X-Classification.")
    var extraHeaders: [String] = []

    func run() throws {
        let markings = try MarkingReader(options: .standard(extraHeaders: extraHeaders))
        var records: [ScanRecord] = []
        do {
            try ArchiveReader().forEach(paths: [file]) { raw in
                records.append(ScanRecord.make(raw, reader: markings, redactSubject: redactSubjects))
                return records.count < 1  // check reads one message
            }
        } catch let e as MailParseError {
            FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
            throw ExitCode(74)
        }
        guard let r = records.first else { throw ValidationError("no message in \(file)") }
        switch format {
        case .text: print(r.text, terminator: "")
        case .json, .jsonl: print(r.jsonLine)
        }
        if r.error != nil { throw ExitCode(1) }
    }
}
