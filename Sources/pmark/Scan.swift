import ArgumentParser
import Foundation
import MailParsing
import DecisionEngine
import PolicyLanguage
import OfficeDocuments
import Reporting

/// Output format shared by commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl, json
}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read mbox files, Maildirs, .eml trees, single files or '-' and report each message.",
        discussion: "Each message is reported with its source, decoded subject, MIME structure defects, protective markings (every location read) and marking findings.")

    @Argument(help: "Files, directories or '-' for standard input.")
    var paths: [String]

    @Option(help: "Output format: text (default) or jsonl (one JSON object per message).")
    var format: OutputFormat = .text

    @Flag(help: "Do not print subjects, even when the policy's privacy settings allow them.")
    var redactSubjects = false

    @Option(help: "Policy file (default: the embedded default policy).")
    var policy: String?

    @Option(help: "Direction for every message (default: inferred from From, To and Cc).")
    var direction: Direction?

    @Option(help: "Record every decision in this audit store (SQLite; created 0600), as the gateway does.")
    var audit: String?

    func run() throws {
        let reader = ArchiveReader()
        let policy = try loadPolicy(self.policy)
        let engine = try Engine(policy: policy, documents: OOXMLReader())
        let privacy = privacy(policy, redactSubjects: redactSubjects)
        let envelope = Envelope(direction: direction, recipients: [])
        var summary = ScanSummary(policy: policy)
        var out = StandardOutput()
        var recorder = try audit.map { try ScanAuditRecorder(path: $0, policy: policy) }
        do {
            try reader.forEach(paths: paths) { raw in
                let evaluation = engine.evaluate(bytes: raw.bytes, envelope: envelope, envelopeFromHeaders: true, readError: raw.error)
                try recorder?.add(source: raw.source.description, evaluation: evaluation, bytes: raw.bytes)
                let record = DecisionRecord(source: raw.source.description, readerDefects: raw.defects, evaluation: evaluation, privacy: privacy)
                summary.add(record)
                switch format {
                case .text: out.write(record.text)
                case .jsonl, .json: out.write(record.jsonLine + "\n")
                }
                return true
            }
        } catch let e as MailParseError {
            out.flush()
            FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
            throw ExitCode(74)
        }
        try recorder?.flush()
        if format == .text { out.write(summary.text) }
        out.flush()
        if summary.notInspected > 0 { throw ExitCode(1) }
    }
}

/// Buffered standard output (one write per 64 KiB).
struct StandardOutput {
    var buffer: [UInt8] = []
    mutating func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count > 1 << 16 { flush() }
    }
    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

