import Foundation

/// `pmark report merge`: combines the JSONL outputs of several scans — the N shards of one
/// scan (`--shard K/N`), or scans of different archives — into one: the message records (in
/// scan order for shards: by ordinal), then one summary with every total added up. Shards are
/// checked: the same N, each K once, the same policy and pmark version. Merged shards print the
/// same bytes as the unsharded scan.
public struct ReportMerger {
    public struct MergeError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    struct Probe: Decodable {
        var record: String?
        var ordinal: Int?
        var source_path: String?
        var offset: Int?
        var index: Int?
        var date: String?
        var classification_name: String?
        var action: String?
        var rules_fired: [String]?
        var finding_ids: [String]?
        var inspected: Bool?
        var subject: String?
    }

    /// One input file read line by line.
    final class LineReader {
        let file: UnsafeMutablePointer<FILE>
        let path: String
        var lineNumber = 0
        init(_ path: String) throws {
            guard let f = fopen(path, "r") else {
                throw MergeError(description: "\(path): cannot read: \(String(cString: strerror(errno)))")
            }
            file = f
            self.path = path
        }
        deinit { fclose(file) }
        func next() -> String? {
            var line: UnsafeMutablePointer<CChar>? = nil
            var cap = 0
            defer { free(line) }
            let n = getline(&line, &cap, file)
            guard n >= 0, let line else { return nil }
            lineNumber += 1
            var s = String(cString: line)
            if s.hasSuffix("\n") { s.removeLast() }
            return s
        }
    }

    public let paths: [String]
    public init(paths: [String]) { self.paths = paths }

    /// Streams the merged message lines to `out`, feeds `report`, and returns the merged summary.
    public func run(out: (String) -> Void, report: inout HTMLReportBuilder?) throws -> ScanSummary {
        let decoder = JSONDecoder()
        // Pass 1: the summaries (the last line of each file) — validate before printing anything.
        var summaries: [ScanSummary] = []
        for p in paths {
            let r = try LineReader(p)
            var last: String? = nil
            while let l = r.next() { if !l.isEmpty { last = l } }
            guard let l = last, let s = try? decoder.decode(ScanSummary.self, from: Data(l.utf8)), s.record == "summary"
            else {
                throw MergeError(
                    description:
                        """
                        \(p): no summary record at the end (is it the complete JSONL output of pmark scan --format \
                        jsonl?)
                        """
                )
            }
            summaries.append(s)
        }
        let shards = summaries.map(\.shard)
        let sharded = shards.contains { $0 != nil }
        if sharded {
            guard !shards.contains(where: { $0 == nil }) else {
                throw MergeError(description: "cannot merge shard outputs with unsharded ones")
            }
            let parsed = shards.compactMap { $0.flatMap(Shard.init) }
            guard parsed.count == shards.count, let n = parsed.first?.n, parsed.allSatisfy({ $0.n == n }) else {
                throw MergeError(
                    description:
                        "the shards do not have the same N: \(shards.compactMap { $0 }.joined(separator: ", "))")
            }
            let ks = parsed.map(\.k)
            let dup = Dictionary(grouping: ks, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            guard dup.isEmpty else {
                throw MergeError(
                    description: "shard(s) given more than once: \(dup.map { "\($0)/\(n)" }.joined(separator: ", "))")
            }
            let missing = (1...n).filter { !ks.contains($0) }
            guard missing.isEmpty else {
                throw MergeError(
                    description: "missing shard(s): \(missing.map { "\($0)/\(n)" }.joined(separator: ", "))")
            }
            guard Set(summaries.map(\.policySHA256)).count == 1 else {
                throw MergeError(description: "the shards were scanned with different policies")
            }
            guard Set(summaries.map(\.pmarkVersion)).count == 1 else {
                throw MergeError(description: "the shards were scanned by different pmark versions")
            }
        }
        var merged = summaries[0]
        merged.shard = nil
        for s in summaries.dropFirst() { merged.merge(s) }
        if !sharded && summaries.count > 1 {
            // Different archives: files read and bytes add up (shards all read the same inputs).
            merged.filesRead = summaries.reduce(0) { $0 + $1.filesRead }
            merged.inputBytes = summaries.reduce(0) { $0 + $1.inputBytes }
        }
        merged.normalise()
        // Pass 2: message lines, by ordinal across shards (a k-way merge), else file by file.
        let readers = try paths.map { try LineReader($0) }
        var heads: [(ordinal: Int, line: String)?] = []
        func advance(_ i: Int) throws -> (Int, String)? {
            while let l = readers[i].next() {
                if l.isEmpty { continue }
                guard let probe = try? decoder.decode(Probe.self, from: Data(l.utf8)) else {
                    throw MergeError(description: "\(readers[i].path):\(readers[i].lineNumber): not a JSON record")
                }
                if probe.record == "summary" { return nil }
                guard probe.record == "message", let o = probe.ordinal else {
                    throw MergeError(
                        description: "\(readers[i].path):\(readers[i].lineNumber): not a pmark scan message record")
                }
                if report != nil,
                    probe.inspected == false || ["block", "quarantine"].contains(probe.action ?? "")
                        || !(probe.finding_ids ?? []).isEmpty
                {
                    report?.add(
                        row: HTMLReportBuilder.Row(
                            ordinal: o, source: probe.source_path ?? "", offset: probe.offset, index: probe.index,
                            date: probe.date,
                            classification: probe.inspected == false
                                ? "NOT INSPECTED" : (probe.classification_name ?? "UNMARKED"),
                            action: probe.action ?? "", rules: probe.rules_fired ?? [],
                            findings: probe.finding_ids ?? [],
                            subject: probe.subject == "(redacted)" ? nil : probe.subject))
                }
                return (o, l)
            }
            return nil
        }
        if sharded {
            for i in readers.indices { heads.append(try advance(i)) }
            while true {
                var best: Int? = nil
                for (i, h) in heads.enumerated() {
                    if let h, best == nil || h.ordinal < heads[best!]!.ordinal { best = i }
                }
                guard let b = best, let h = heads[b] else { break }
                out(h.line + "\n")
                heads[b] = try advance(b)
            }
        } else {
            for i in readers.indices { while let (_, l) = try advance(i) { out(l + "\n") } }
        }
        return merged
    }
}
