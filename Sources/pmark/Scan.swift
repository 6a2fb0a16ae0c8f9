import ArgumentParser
import Foundation
import MailParsing
import Markings
import DecisionEngine
import PolicyLanguage
import OfficeDocuments

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

    @Flag(help: "Do not print subjects (for reports that leave the accredited system).")
    var redactSubjects = false

    @Option(help: "Policy file (default: the embedded default policy).")
    var policy: String?

    @Option(help: "Direction for every message (default: inferred from From, To and Cc).")
    var direction: Direction?

    func run() throws {
        let reader = ArchiveReader()
        let policy = try loadPolicy(self.policy)
        let engine = try Engine(policy: policy, documents: OOXMLReader())
        let markings = engine.reader
        var byAction: [String: Int] = [:]
        var byRule: [String: Int] = [:]
        var byClass: [String: Int] = [:]
        var byFinding: [String: Int] = [:]
        var out = StandardOutput()
        var total = 0, failed = 0, defects = 0
        do {
            try reader.forEach(paths: paths) { raw in
                total += 1
                let record = ScanRecord.make(raw, reader: markings, engine: engine, envelope: { Envelope.inferred(from: $0, direction: direction) },
                                             redactSubject: redactSubjects, redactAddresses: !policy.logAddresses && redactSubjects)
                if record.error != nil { failed += 1 }
                defects += record.defects.count
                if let c = record.classification { byClass[c ?? "UNMARKED", default: 0] += 1 }
                for f in Set((record.findings ?? []).map(\.id)) { byFinding[f, default: 0] += 1 }
                if let d = record.decision {
                    byAction[d.messageAction, default: 0] += 1
                    for rule in Set(d.groups.flatMap(\.reasons).map(\.rule)) { byRule[rule, default: 0] += 1 }
                }
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
        if format == .text {
            out.write("\n\(total) message(s), \(failed) not inspected, \(defects) defect(s)\n")
            if !byClass.isEmpty { out.write("by classification: " + byClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n") }
            out.write("decisions (policy '\(policy.name)' \(policy.contentHash.prefix(12))): " + ["allow", "allow-and-tag", "quarantine", "block"].map { "\($0) \(byAction[$0] ?? 0)" }.joined(separator: ", ") + "\n")
            if !byRule.isEmpty {
                let titles = Dictionary(uniqueKeysWithValues: Rules.all.map { ($0.id, $0.title) })
                out.write("rules fired (messages):\n")
                for (rule, n) in byRule.sorted(by: { $0.key < $1.key }) { out.write("  " + rule.padding(toLength: 13, withPad: " ", startingAt: 0) + String(n).leftPadded(5) + "  \(titles[rule] ?? "")\n") }
            }
            if !byFinding.isEmpty { out.write("messages with findings: " + byFinding.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n") }
        }
        out.flush()
        if failed > 0 { throw ExitCode(1) }
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

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
