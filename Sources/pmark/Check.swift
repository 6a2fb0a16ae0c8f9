import ArchiveScan
import ArgumentParser
import DecisionEngine
import Foundation
import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage

extension Direction: ExpressibleByArgument {}

/// Loads `--policy` or the embedded default; a broken policy is a data error (exit 65), a
/// policy file that cannot be read (missing, unreadable) an I/O error (exit 74).
func loadPolicy(_ path: String?) throws -> Policy {
    if let path, access(path, R_OK) != 0 {
        FileHandle.standardError.write(Data("pmark: \(path): cannot read the policy file: \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode(74)
    }
    do {
        return try path.map { try PolicyLoader.load(contentsOf: $0) } ?? PolicyLoader.embeddedDefault()
    } catch let e as PolicyLoadError {
        FileHandle.standardError.write(Data((e.description + "\n").utf8))
        throw ExitCode(65)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide a message (or each message of an mbox): markings found where, and allow / quarantine / block per recipient path, with the NZISM control behind each reason.",
        discussion: """
        Without --rcpt the recipients are read from To and Cc; without --mail-from the sender from
        From; without --direction it is inferred from the sender and recipient domains and the
        policy's organisation domains. Without --policy the embedded default policy is used.

        A file or stream holding several messages (an mbox) is decided message by message; the
        exit code is then the strongest over all of them.

        Exit codes:
          0   allow (or allow-and-tag) for every recipient
          1   the message could not be inspected (it is quarantined)
          2   quarantine: the whole message is held
          3   block: at least one recipient is refused
          64  usage error
          65  the policy file is invalid
          66  the input holds no message (empty)
          74  the input or the policy file could not be read
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
        let plan = InputPlanner.plan([file])
        if let e = plan.errors.first {
            FileHandle.standardError.write(Data("pmark: \(e.path): \(e.message)\n".utf8))
            throw ExitCode(74)
        }
        guard let input = plan.inputs.first else {
            let why = plan.skipped.first.map { "\($0.path): \($0.reason)" } ?? file
            FileHandle.standardError.write(Data("pmark: no message in \(why)\n".utf8))
            throw ExitCode(66)
        }
        guard plan.inputs.count == 1 else { throw ValidationError("check decides one file or stream; use 'pmark scan' for directories") }
        var code: Int32 = 0
        var count = 0
        var readError: InputError? = nil
        InputReading.forEach(input, reader: ArchiveReader(), limits: .default, message: { raw in
            count += 1
            let r = ScanRecord.make(raw, reader: markings, engine: engine, envelope: { m in
                var env = Envelope.inferred(from: m, direction: direction)
                if let mailFrom { env.mailFrom = mailFrom }
                if !recipients.isEmpty { env.recipients = recipients }
                env.authenticatedSubmission = authenticated
                return env
            }, redactSubject: redactSubjects)
            switch format {
            case .text: print(r.text, terminator: "")
            case .json, .jsonl: print(r.jsonLine)
            }
            code = max(code, Self.exitCode(r))
            return true
        }, skipped: { _ in }, error: { readError = $0 })
        if let e = readError {
            FileHandle.standardError.write(Data("pmark: \(e.path): \(e.message)\n".utf8))
            throw ExitCode(74)
        }
        if count == 0 {
            FileHandle.standardError.write(Data("pmark: no message in \(file)\n".utf8))
            throw ExitCode(66)
        }
        if code != 0 { throw ExitCode(code) }
    }

    static func exitCode(_ r: ScanRecord) -> Int32 {
        guard let d = r.decision else { return r.error != nil ? 1 : 0 }
        if d.groups.contains(where: { $0.action == "block" }) { return 3 }
        if r.error != nil { return 1 }
        if d.messageAction == "quarantine" { return 2 }
        return 0
    }
}
