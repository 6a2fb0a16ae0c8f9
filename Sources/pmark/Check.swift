import ArgumentParser
import DecisionEngine
import Foundation
import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage

extension Direction: ExpressibleByArgument {}

/// Loads `--policy` or the embedded default; a broken policy is a usage-level error (exit 65).
func loadPolicy(_ path: String?) throws -> Policy {
    do {
        return try path.map { try PolicyLoader.load(contentsOf: $0) } ?? PolicyLoader.embeddedDefault()
    } catch let e as PolicyLoadError {
        FileHandle.standardError.write(Data((e.description + "\n").utf8))
        throw ExitCode(65)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide one message: markings found where, and allow / quarantine / block per recipient path, with the NZISM control behind each reason.",
        discussion: """
        Without --rcpt the recipients are read from To and Cc; without --mail-from the sender from
        From; without --direction it is inferred from the sender and recipient domains and the
        policy's organisation domains. Without --policy the embedded default policy is used.

        Exit codes:
          0   allow (or allow-and-tag) for every recipient
          1   the message could not be inspected (it is quarantined)
          2   quarantine: the whole message is held
          3   block: at least one recipient is refused
          64  usage error
          65  the policy file is invalid
          74  the input could not be read
        """)

    @Argument(help: "A message file, or '-' for standard input.")
    var file: String

    @Option(help: "Policy file (default: the embedded default policy).")
    var policy: String?

    @Option(help: "inbound, outbound or internal (default: inferred).")
    var direction: Direction?

    @Option(help: "Envelope sender (MAIL FROM).")
    var mailFrom: String?

    @Option(name: .customLong("rcpt"), help: "Envelope recipient (repeatable).")
    var recipients: [String] = []

    @Flag(help: "The sender authenticated to the organisation's submission service.")
    var authenticated = false

    @Option(help: "Output format: text (default) or json.")
    var format: OutputFormat = .text

    @Flag(help: "Do not print the subject.")
    var redactSubjects = false

    @Option(name: .customLong("header"), help: "Also read this marking header (repeatable), e.g. X-Classification.")
    var extraHeaders: [String] = []

    func run() throws {
        let policy = try loadPolicy(self.policy)
        let engine = try Engine(policy: policy, documents: OOXMLReader(), extraHeaders: extraHeaders)
        let markings = engine.reader
        var records: [ScanRecord] = []
        do {
            // One file is one message: never split at `From ` lines (spec §10.9).
            let raw = try ArchiveReader().readOne(path: file)
            records.append(ScanRecord.make(raw, reader: markings, engine: engine, envelope: { m in
                var env = Envelope.inferred(from: m, direction: direction)
                if let mailFrom { env.mailFrom = mailFrom }
                if !recipients.isEmpty { env.recipients = recipients }
                env.authenticatedSubmission = authenticated
                return env
            }, redactSubject: redactSubjects))
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
        guard let d = r.decision else { return }
        if d.messageAction == "quarantine" { throw ExitCode(2) }
        if d.groups.contains(where: { $0.action == "block" }) { throw ExitCode(3) }
    }
}
