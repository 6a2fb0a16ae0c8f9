import ArchiveScan
import ArgumentParser
import DecisionEngine
import Foundation
import MailParsing
import OfficeDocuments
import PolicyLanguage
import Reporting

extension Direction: ExpressibleByArgument {}

/// Loads `--policy` or the embedded default; a broken policy is a data error (exit 65), a
/// policy file that cannot be read (missing, unreadable) an I/O error (exit 74).
func loadPolicy(_ path: String?) throws -> Policy {
    if let path, access(path, R_OK) != 0 {
        FileHandle.standardError.write(
            Data("pmark: \(path): cannot read the policy file: \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode(74)
    }
    do {
        return try path.map { try PolicyLoader.load(contentsOf: $0) } ?? PolicyLoader.embeddedDefault()
    } catch let e as PolicyLoadError {
        FileHandle.standardError.write(Data((e.description + "\n").utf8))
        throw ExitCode(65)
    }
}

/// The policy's privacy settings, narrowed further by `--redact-subjects`.
func privacy(_ policy: Policy, redactSubjects: Bool) -> Privacy {
    var p = policy.privacy
    if redactSubjects { p.logSubjects = false }
    return p
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            """
            Decide one message: markings found where, and allow / quarantine / block per recipient path, with the \
            NZISM control behind each reason.
            """,
        discussion: """
            Without --rcpt the recipients are read from To and Cc; without --mail-from the sender from
            From; without --direction it is inferred from the sender and recipient domains and the
            policy's organisation domains. Without --policy the embedded default policy is used.
            Subjects, addresses and attachment names are printed only when the policy's privacy
            settings allow.

            Exit codes:
              0   allow (or allow-and-tag) for every recipient
              1   the message could not be inspected (it is quarantined)
              2   quarantine: the whole message is held
              3   block: at least one recipient is refused
              64  usage error (also: the input is an mbox holding several messages; use pmark scan)
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

    @Flag(help: "Do not print the subject (even when the policy allows it).")
    var redactSubjects = false

    @Option(name: .customLong("header"), help: "Also read this marking header (repeatable), e.g. X-Classification.")
    var extraHeaders: [String] = []

    @Option(
        help: "Record the decision in this audit store (held and blocked messages are kept for `pmark quarantine`).")
    var audit: String?

    func run() throws {
        let policy = try loadPolicy(self.policy)
        let engine = try Engine(policy: policy, documents: OOXMLReader(), extraHeaders: extraHeaders)
        let envelope = Envelope(
            direction: direction, mailFrom: mailFrom, recipients: recipients, authenticatedSubmission: authenticated)
        let record: DecisionRecord
        do {
            // One file is one message, never split at `From ` lines (spec §10.9).
            let raw = try ArchiveReader().readOne(path: file)
            if raw.error == nil && raw.bytes.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x09 }) {
                FileHandle.standardError.write(Data("pmark: no message in \(file) (empty input)\n".utf8))
                throw ExitCode(66)
            }
            // Never silently the first of several: an mbox holding more than one message is refused.
            // (readOne drops a leading postmark and records it as a defect at the start; put one
            // back for counting, so "From …\n<msg>\nFrom …\n<msg>" counts two.)
            let strippedPostmark = raw.defects.contains { $0.kind == .malformedHeaderLine && $0.byteOffset <= 3 }
            let n = MboxCount.messages(
                in: strippedPostmark ? Array("From - Mon Jan  1 00:00:00 2000\n".utf8) + raw.bytes : raw.bytes)
            if n > 1 {
                throw ValidationError(
                    "\(file) is an mbox holding \(n) messages; check decides one message (use 'pmark scan \(file)')")
            }
            let evaluation = engine.evaluate(
                bytes: raw.bytes, envelope: envelope, envelopeFromHeaders: true, readError: raw.error)
            record = DecisionRecord(
                source: raw.source.description, readerDefects: raw.defects, evaluation: evaluation,
                privacy: privacy(policy, redactSubjects: redactSubjects))
            if let audit {
                try recordCheck(
                    audit, policy: policy, source: raw.source.description, evaluation: evaluation, bytes: raw.bytes)
            }
        } catch let e as MailParseError {
            FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
            throw ExitCode(74)
        }
        let r = record
        switch format {
        case .text: print(r.text, terminator: "")
        case .json, .jsonl: print(r.jsonLine)
        }
        if let outcome = r.outcome, outcome != .delivered { throw ExitCode(Int32(outcome.rawValue)) }
    }
}
