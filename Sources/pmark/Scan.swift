import ArchiveScan
import ArgumentParser
import DecisionEngine
import Foundation
import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage
import Reporting

/// Output format shared by commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl, json
}

extension ScanFormat: ExpressibleByArgument {}
extension FailOn: ExpressibleByArgument {}
extension OnlyFilter: ExpressibleByArgument {}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            """
            Scan mbox files and folders of them, Maildirs, .eml trees, gzip-compressed mail, Outlook PST/OST files or \
            '-', on every core, and decide each message.
            """,
        discussion: """
            Each message is reported with its identity (source, offset, index, Message-ID, Date,
            From/To/Cc as the policy's privacy settings allow, size, SHA-256), markings, findings and
            the decision per recipient path. Output is in input order whatever --jobs is. The summary
            (counts, rules fired, skipped files with the reason, inputs that could not be read)
            always ends the output (on stderr with --format csv).

            Exit codes (like clamscan's):
              0   clean: every input read, nothing at or above --fail-on
              1   found: at least one message at or above --fail-on (default: block)
              2   some input could not be read (a path, a file, or a message not inspected);
                  wins over 1 — the summary still counts what was found
              64  usage error
              65  the policy file is invalid
              73  --report would overwrite a file pmark did not create
              74  the policy file could not be read
            """)

    @Argument(help: "Files, directories or '-' for standard input.")
    var paths: [String]

    @Option(help: "Output format: text (default), jsonl (one object per message, then a summary record) or csv.")
    var format: ScanFormat = .text

    @Flag(help: "Do not print subjects, whatever the policy allows.")
    var redactSubjects = false

    @Option(help: "Policy file (default: the embedded default policy).")
    var policy: String?

    @Option(help: "Direction for every message (default: inferred from From, To and Cc).")
    var direction: Direction?

    @Option(help: "Worker threads (default: the number of cores).")
    var jobs: Int?

    @Option(help: "Exit 1 when a message reaches this: finding, quarantine or block.")
    var failOn: FailOn = .block

    @Option(help: "Print only these messages: blocked, quarantined or findings (the summary counts all).")
    var only: OnlyFilter?

    @Option(help: "Print only messages classified at or above this (e.g. RESTRICTED).")
    var minClassification: String?

    @Option(help: "Also write a self-contained HTML report to this file (never over a file pmark did not create).")
    var report: String?

    @Option(
        help:
            """
            Scan part K of N (e.g. 2/8): messages whose ordinal is K modulo N. Merge the parts with 'pmark report \
            merge'.
            """
    )
    var shard: String?

    @Flag(help: "Show progress on stderr even when it is not a terminal.")
    var progress = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: "Record every decision in this audit store (SQLite; created 0600), as the gateway does.")
    var audit: String?

    func run() throws {
        let policy = try loadPolicy(self.policy)
        let engine = try Engine(policy: policy, documents: OOXMLReader())
        var options = ScanOptions(paths: paths, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let shard {
            guard let s = Shard(shard) else { throw ValidationError("--shard takes K/N with 1 <= K <= N, e.g. 2/8") }
            options.shard = s
        }
        if let name = minClassification {
            guard let c = policy.vocabulary.classification(named: name) else {
                throw ValidationError(
                    """
                    unknown classification '\(name)' for --min-classification (expected one of: \
                    \(policy.vocabulary.classifications.map(\.classification.name).joined(separator: ", ")))
                    """
                )
            }
            options.minClassificationRank = c.rank
        }
        options.format = format
        options.failOn = failOn
        options.only = only
        options.reportPath = report
        options.progress = !quiet && (progress || isatty(2) == 1)
        let privacy = privacy(policy, redactSubjects: redactSubjects)
        options.logAddresses = privacy.logAddresses
        let showSubjects = privacy.logSubjects
        let envelope = Envelope(direction: direction, recipients: [])
        let vocabulary = policy.vocabulary
        let recorder = try audit.map { try ScanAuditRecorder(path: $0, policy: policy) }
        let scanner = ArchiveScanner<DecisionRecord>(
            options: options,
            summary: ScanSummary(
                pmarkVersion: PmarkVersion.current, policyName: policy.name, policySHA256: policy.contentHash,
                shard: nil),
            evaluate: { raw in
                let evaluation = engine.evaluate(
                    bytes: raw.bytes, envelope: envelope, envelopeFromHeaders: true, readError: raw.error)
                recorder?.add(source: raw.source.description, evaluation: evaluation, bytes: raw.bytes)
                let r = DecisionRecord(
                    source: raw.source.description, readerDefects: raw.defects, evaluation: evaluation, privacy: privacy
                )
                return (r, r.facts(vocabulary: vocabulary, showSubject: showSubjects))
            },
            text: { $0.text })
        let out = OutputBuffer(fd: 1)
        let err = OutputBuffer(fd: 2, unbuffered: true)
        let summary: ScanSummary
        do {
            summary = try scanner.run(out: { out.write($0) }, err: { err.write($0) })
        } catch let e as SafeOutput.Refused {
            out.flush()
            err.write("pmark: \(e)\n")
            throw ExitCode(73)
        }
        out.flush()
        if let recorder, let e = recorder.finish() {
            err.write("pmark: \(audit ?? ""): decisions could not be recorded: \(e)\n")
            throw ExitCode(74)
        }
        for e in summary.errors { err.write("pmark: could not read \(e.path): \(e.message)\n") }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}

/// Buffered output to a file descriptor (one write per 64 KiB).
final class OutputBuffer: @unchecked Sendable {
    let handle: FileHandle
    let unbuffered: Bool
    var buffer: [UInt8] = []
    init(fd: Int32, unbuffered: Bool = false) {
        handle = FileHandle(fileDescriptor: fd)
        self.unbuffered = unbuffered
    }
    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if unbuffered || buffer.count > 1 << 16 { flush() }
    }
    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

extension DecisionRecord {
    /// The facts the summary, filters and reports use (the record is the only source).
    func facts(vocabulary: Vocabulary, showSubject: Bool) -> MessageFacts {
        let action: ScanAction? = decision.map { d in
            d.groups.contains { $0.action == .block }
                ? .block : (ScanAction(rawValue: d.messageAction.rawValue) ?? .quarantine)
        }
        var findingIDs = (findings ?? []).map(\.id.rawValue)
        for a in attachments ?? [] { findingIDs += a.findings.map(\.id.rawValue) }
        var seen = Set<String>()
        findingIDs = findingIDs.filter { seen.insert($0).inserted }
        var rules: [String] = []
        var seenRules = Set<String>()
        for g in decision?.groups ?? [] {
            for r in g.reasons where seenRules.insert(r.rule).inserted { rules.append(r.rule) }
        }
        let cls = classification.flatMap { $0 }
        return MessageFacts(
            inspected: error == nil, classification: cls,
            classificationRank: cls.flatMap { vocabulary.classification(named: $0)?.rank },
            action: action, rules: rules, findings: findingIDs, defects: defects.count,
            subject: showSubject ? subject : nil)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
