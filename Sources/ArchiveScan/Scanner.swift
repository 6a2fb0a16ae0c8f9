import Foundation
import MailParsing

/// Output formats of `pmark scan`.
public enum ScanFormat: String, Sendable, CaseIterable {
    case text, jsonl, csv
}

/// `--shard K/N`: this run evaluates the messages whose scan ordinal is K modulo N (1-based),
/// and reports the skipped and unreadable files whose path hashes to K. Every shard reads the
/// same inputs in the same order, so the N parts are disjoint and together are the whole scan.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    public var k: Int
    public var n: Int
    public init?(_ s: String) {
        let p = s.split(separator: "/")
        guard p.count == 2, let k = Int(p[0]), let n = Int(p[1]), n >= 1, k >= 1, k <= n else { return nil }
        self.k = k
        self.n = n
    }
    public var description: String { "\(k)/\(n)" }
    public func owns(ordinal: Int) -> Bool { (ordinal - 1) % n == k - 1 }
    /// FNV-1a of the path: a stable owner for file-level events.
    public func owns(path: String) -> Bool {
        var h: UInt64 = 0xcbf29ce484222325
        for b in path.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return Int(h % UInt64(n)) == k - 1
    }
}

public struct ScanOptions: Sendable {
    public var paths: [String]
    public var jobs: Int
    public var shard: Shard?
    public var failOn: FailOn = .block
    public var only: OnlyFilter?
    /// Print only messages at or above this classification rank.
    public var minClassificationRank: Int?
    public var format: ScanFormat = .text
    /// Write the HTML report here (refuses to overwrite a file pmark did not create).
    public var reportPath: String?
    /// Print progress on stderr.
    public var progress: Bool = false
    /// Show From/To/Cc (the policy's `privacy.log-addresses`).
    public var logAddresses: Bool = false
    public var limits: ParserLimits = .default

    public init(paths: [String], jobs: Int) {
        self.paths = paths
        self.jobs = jobs
    }
}

/// One evaluated message on its way to the outputs.
public struct ScannedMessage<Record: Encodable & Sendable>: Sendable {
    public var identity: MessageIdentity
    public var facts: MessageFacts
    public var record: Record
    /// The message's output in the scan's format, made by the worker (formatting is a large
    /// share of the work, and the in-order writer is one thread); nil when a filter drops it.
    public var line: String?
}

/// A message's JSONL line: the record's own keys, the identity keys and the facts, one object.
struct MessageLine<Record: Encodable>: Encodable {
    let identity: MessageIdentity
    let facts: MessageFacts
    let record: Record
    enum K: String, CodingKey { case record }
    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        try identity.encode(to: encoder)
        try facts.encode(to: encoder)
        var c = encoder.container(keyedBy: K.self)
        try c.encode("message", forKey: .record)
    }
}

/// Runs a scan: plans the inputs, reads them on one thread, evaluates on `jobs` workers, and
/// writes the outputs in input order; returns the summary (also written).
public struct ArchiveScanner<Record: Encodable & Sendable>: Sendable {
    public var options: ScanOptions
    public var summaryTemplate: ScanSummary
    public let evaluate: @Sendable (RawMessage) -> (Record, MessageFacts)
    public let text: @Sendable (Record) -> String

    public init(
        options: ScanOptions, summary: ScanSummary,
        evaluate: @escaping @Sendable (RawMessage) -> (Record, MessageFacts),
        text: @escaping @Sendable (Record) -> String
    ) {
        self.options = options
        self.summaryTemplate = summary
        self.evaluate = evaluate
        self.text = text
    }

    final class ReaderState: @unchecked Sendable {
        let lock = NSLock()
        var errors: [InputError] = []
        var skipped: [SkippedFile] = []
        var bytesDone = 0
        var filesRead = 0
        var currentOffset = 0
        func withLock<T>(_ f: () -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return f()
        }
    }

    struct Item: Sendable {
        var ordinal: Int
        var raw: RawMessage
    }

    /// - Parameters:
    ///   - out: standard output (buffered by the caller).
    ///   - err: standard error (the CSV summary, progress).
    public func run(out: @escaping (String) -> Void, err: @escaping (String) -> Void) throws -> ScanSummary {
        let plan = InputPlanner.plan(options.paths)
        var summary = summaryTemplate
        summary.shard = options.shard?.description
        let opts = options
        let state = ReaderState()
        let shard = options.shard
        for s in plan.skipped where shard?.owns(path: s.path) ?? true { state.skipped.append(s) }
        for e in plan.errors where shard?.owns(path: e.path) ?? true { state.errors.append(e) }
        let inputs = plan.inputs
        let totalBytes = plan.totalBytes
        var report: HTMLReportBuilder? = nil
        if let path = options.reportPath {
            try SafeOutput.checkCreatable(path, signature: HTMLReportBuilder.signature)
            report = HTMLReportBuilder(logAddresses: options.logAddresses)
        }
        let evaluate = self.evaluate
        let produce: @Sendable (@escaping (Item) -> Bool) -> Void = { emit in
            var ordinal = 0
            let reader = ArchiveReader(limits: opts.limits)
            inputLoop: for input in inputs {
                var stop = false
                let owner = shard?.owns(path: input.path) ?? true
                InputReading.forEach(
                    input, reader: reader, limits: opts.limits,
                    message: { raw in
                        ordinal += 1
                        if let o = raw.source.offset, raw.source.kind == .mbox {
                            state.withLock { state.currentOffset = min(o, input.size) }
                        }
                        if let shard, !shard.owns(ordinal: ordinal) { return true }
                        if !emit(Item(ordinal: ordinal, raw: raw)) {
                            stop = true
                            return false
                        }
                        return true
                    }, skipped: { s in if owner { state.withLock { state.skipped.append(s) } } },
                    error: { e in if owner { state.withLock { state.errors.append(e) } } })
                state.withLock {
                    state.bytesDone += input.size
                    state.currentOffset = 0
                    state.filesRead += 1
                }
                if stop { break inputLoop }
            }
        }
        let text = self.text
        let work: @Sendable (Item) -> ScannedMessage<Record> = { item in
            let identity = MessageIdentity(ordinal: item.ordinal, raw: item.raw).redacted(addresses: !opts.logAddresses)
            let (record, facts) = evaluate(item.raw)
            var line: String? = nil
            if Self.passes(facts, opts) {
                switch opts.format {
                case .text: line = text(record)
                case .jsonl:
                    let message = MessageLine(identity: identity, facts: facts, record: record)
                    if let direct = message.directJSON {
                        line = String(decoding: direct, as: UTF8.self) + "\n"
                    } else {
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        let json = (try? encoder.encode(message)) ?? Data("{}".utf8)
                        line = String(decoding: json, as: UTF8.self) + "\n"
                    }
                case .csv: line = CSV.row(identity, facts)
                }
            }
            return ScannedMessage(identity: identity, facts: facts, record: record, line: line)
        }
        if options.format == .csv { out(CSV.header) }
        let progress = options.progress ? ProgressMeter(totalBytes: totalBytes, write: err) : nil
        var failOnSummary = summary
        OrderedPipeline<Item, ScannedMessage<Record>>(jobs: options.jobs).run(produce: produce, work: work) { m in
            failOnSummary.add(m.identity, m.facts, failOn: opts.failOn)
            report?.add(m.identity, m.facts)
            if let p = progress {
                let b = state.withLock { state.bytesDone + state.currentOffset }
                p.update(messages: failOnSummary.messages, bytes: b)
            }
            if let line = m.line { out(line) }
            return true
        }
        progress?.finish(messages: failOnSummary.messages, bytes: totalBytes)
        summary = failOnSummary
        state.withLock {
            summary.skipped = state.skipped
            summary.errors = state.errors
            summary.filesRead = state.filesRead
        }
        summary.inputBytes = totalBytes
        summary.normalise()
        switch options.format {
        case .text: out(summary.text)
        case .jsonl: out(summary.jsonLine + "\n")
        case .csv: err(summary.text)
        }
        if let path = options.reportPath, let r = report {
            try SafeOutput.write(r.html(summary), to: path, signature: HTMLReportBuilder.signature)
        }
        return summary
    }

    static func passes(_ f: MessageFacts, _ o: ScanOptions) -> Bool {
        if let only = o.only, !only.matches(f) { return false }
        if let min = o.minClassificationRank, (f.classificationRank ?? Int.min) < min { return false }
        return true
    }
}

/// Reads the messages of one planned input (mbox or message, Maildir message, gzip, PST,
/// standard input). Errors are reported through `error` and end this input only: the scan
/// goes on with the next one.
public enum InputReading {
    public static func forEach(
        _ input: ScanInput, reader: ArchiveReader, limits: ParserLimits,
        message: (RawMessage) throws -> Bool, skipped: (SkippedFile) -> Void, error: (InputError) -> Void
    ) {
        do {
            switch input.container {
            case .stdin:
                _ = try reader.forEachMessage(
                    in: FileDescriptorStream(fd: 0, path: "-"), path: "-", kind: .stdin, message)
            case .stream, .maildirMessage, .gzip:
                let fd = open(input.path, O_RDONLY)
                guard fd >= 0 else {
                    throw InputReadError(path: input.path, message: "cannot open: \(String(cString: strerror(errno)))")
                }
                defer { close(fd) }
                var stream: ByteStream = FileDescriptorStream(fd: fd, path: input.path)
                if input.container == .gzip { stream = try GzipStream(source: stream, path: input.path) }
                _ = try reader.forEachMessage(
                    in: stream, path: input.path, kind: input.container == .maildirMessage ? .maildir : .file, message)
            case .pst:
                try PSTReader(path: input.path, limits: limits).forEach { item in
                    if let s = item.skipped {
                        skipped(s)
                        return true
                    }
                    if let e = item.error {
                        error(e)
                        return true
                    }
                    guard let raw = item.raw else { return true }
                    return try message(raw)
                }
            }
        } catch let e as MailParseError {
            error(InputError(path: input.path, message: e.description))
        } catch let e as InputReadError {
            error(InputError(path: input.path, message: e.message))
        } catch let e {
            error(InputError(path: input.path, message: "\(e)"))
        }
    }
}

/// Counts the messages in `bytes` when it is an mbox: 1 plus the number of postmark lines — a
/// line after an empty line (or at the start) of the form `From <sender> <date ending in a
/// year>`, followed by a header field line. A body line that merely starts with `From ` ("From
/// the minister's office") is not a postmark.
public enum MboxCount {
    public static func messages(in b: [UInt8]) -> Int {
        var count = 0
        var i = 0
        var previousEmpty = true
        let n = b.count
        while i < n {
            var e = i
            while e < n, b[e] != 0x0A { e += 1 }
            var le = e
            if le > i, b[le - 1] == 0x0D { le -= 1 }
            if previousEmpty, isPostmark(b[i..<le]), e + 1 < n, startsWithHeaderField(b, e + 1) { count += 1 }
            previousEmpty = le == i
            i = e + 1
        }
        return count
    }

    static func isPostmark(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.starts(with: "From ".utf8) else { return false }
        let words = line.split(separator: 0x20)
        guard words.count >= 3, let last = words.last, last.count == 4, last.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else {
            // asctime dates end in the year; some writers append a zone: "... 2025 +1300"
            guard words.count >= 4, words[words.count - 2].count == 4,
                words[words.count - 2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { return false }
            return true
        }
        return true
    }

    static func startsWithHeaderField(_ b: [UInt8], _ at: Int) -> Bool {
        var k = at
        while k < b.count, k - at < 998 {
            let c = b[k]
            if c == 0x3A { return k > at }
            if c <= 0x20 || c >= 0x7F { return false }
            k += 1
        }
        return false
    }
}
