import ArchiveScan
import ContentInspection
import DecisionEngine
import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the throughput benchmarks and prints each as a ratio to the raw read + memchr line
/// split of the same file, measured in the same run (warm page cache, one core).
public struct BenchmarkRunner {
    public var archive: String
    public var sizeMB: Int
    public var repeats: Int

    public init(archive: String, sizeMB: Int, repeats: Int) {
        self.archive = archive
        self.sizeMB = sizeMB
        self.repeats = repeats
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func peakRSSMiB() -> Double {
        var ru = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ru)
        return Double(ru.ru_maxrss) / 1024
    }

    public struct Measurement {
        public var name: String
        public var seconds: Double
        public var bytes: Int
        public var messages: Int
        public var mbPerSecond: Double { Double(bytes) / 1e6 / seconds }
        public var messagesPerSecond: Double { Double(messages) / seconds }
    }

    /// Raw baseline: read(2) in 1 MiB chunks, split lines with memchr, count `From ` lines.
    public static func rawScan(_ path: String) throws -> (bytes: Int, lines: Int, fromLines: Int) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchError("cannot open \(path)") }
        defer { close(fd) }
        let cap = 1 << 20
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: cap + 1)
        defer { buf.deallocate() }
        var total = 0, lines = 0, froms = 0
        var atLineStart = true
        while true {
            let n = read(fd, buf, cap)
            if n <= 0 { break }
            total += n
            var p = 0
            while p < n {
                if atLineStart, n - p >= 5, buf[p] == 0x46, buf[p + 1] == 0x72, buf[p + 2] == 0x6F, buf[p + 3] == 0x6D,
                    buf[p + 4] == 0x20
                {
                    froms += 1
                }
                guard let hit = memchr(buf + p, 0x0A, n - p) else {
                    atLineStart = false
                    break
                }
                let off = buf.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                lines += 1
                p = off + 1
                atLineStart = true
            }
        }
        return (total, lines, froms)
    }

    /// Parse: split the archive and build every message's header index and MIME tree.
    public static func parseAll(_ path: String) throws -> (bytes: Int, messages: Int, parts: Int, notInspected: Int) {
        var bytes = 0, messages = 0, parts = 0, failed = 0
        let parser = MIMEParser()
        try ArchiveReader().forEach(paths: [path]) { raw in
            bytes += raw.bytes.count
            messages += 1
            if raw.error == nil, let m = try? parser.parse(raw.bytes) { parts += m.totalPartCount } else { failed += 1 }
            return true
        }
        return (bytes, messages, parts, failed)
    }

    /// Markings: parse as above, then read every marking location and derive findings.
    public static func markingsAll(_ path: String, reader: MarkingReader) throws -> (messages: Int, marked: Int) {
        var messages = 0, marked = 0
        let parser = MIMEParser()
        try ArchiveReader().forEach(paths: [path]) { raw in
            messages += 1
            if raw.error == nil, let m = try? parser.parse(raw.bytes), reader.read(m).classification != nil {
                marked += 1
            }
            return true
        }
        return (messages, marked)
    }

    /// Decisions: parse, markings, and the full decision with the embedded default policy and
    /// an envelope inferred from the headers (the same engine entry point as `pmark check`).
    public static func decideAll(_ path: String, engine: Engine) throws -> (messages: Int, blocked: Int) {
        var messages = 0, blocked = 0
        let parser = MIMEParser()
        try ArchiveReader().forEach(paths: [path]) { raw in
            messages += 1
            guard raw.error == nil, let m = try? parser.parse(raw.bytes) else { return true }
            if engine.evaluate(message: m, envelope: Envelope.inferred(from: m)).messageAction == .block {
                blocked += 1
            }
            return true
        }
        return (messages, blocked)
    }

    /// Content: parse, then identify every attachment by content (libmagic on a prefix, archive
    /// recursion, encryption checks).
    public static func inspectAll(_ path: String) throws -> (messages: Int, attachments: Int, attachmentBytes: Int) {
        var messages = 0, attachments = 0, bytes = 0
        let parser = MIMEParser()
        let inspector = ContentInspector()
        try ArchiveReader().forEach(paths: [path]) { raw in
            messages += 1
            guard raw.error == nil, let m = try? parser.parse(raw.bytes) else { return true }
            for i in inspector.inspect(m).items {
                attachments += 1
                bytes += i.size
            }
            return true
        }
        return (messages, attachments, bytes)
    }

    /// Evidence: everything the decision consumes — parse, markings and content inspection —
    /// so that decisions ÷ evidence measures the policy step alone.
    public static func evidenceAll(_ path: String, reader: MarkingReader) throws -> Int {
        var messages = 0
        let parser = MIMEParser()
        let inspector = ContentInspector()
        try ArchiveReader().forEach(paths: [path]) { raw in
            messages += 1
            guard raw.error == nil, let m = try? parser.parse(raw.bytes) else { return true }
            _ = reader.read(m)
            _ = inspector.inspect(m)
            return true
        }
        return messages
    }

    func best(_ name: String, _ body: () throws -> (Int, Int)) rethrows -> Measurement {
        var bestT = Double.infinity
        var r = (0, 0)
        for _ in 0..<max(1, repeats) {
            let t0 = Self.now()
            r = try body()
            bestT = min(bestT, Self.now() - t0)
        }
        return Measurement(name: name, seconds: bestT, bytes: r.0, messages: r.1)
    }

    static func fixed(_ v: Double, _ d: Int) -> String {
        var p = 1.0
        for _ in 0..<d { p *= 10 }
        let r = (v * p).rounded() / p
        var s = "\(r)"
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < d { s += String(repeating: "0", count: d - decimals) }
        }
        return s
    }

    static func line(_ m: Measurement, _ base: Measurement, baseName: String = "raw") -> String {
        let name = m.name.padding(32)
        return
            """
            \(name) \(fixed(m.mbPerSecond, 1).leftPad(9)) MB/s \(fixed(m.messagesPerSecond, 0).leftPad(10)) msg/s  \
            ratio to \(baseName) \(fixed(m.mbPerSecond / base.mbPerSecond, 3))
            """
    }

    /// Generates the archive when missing (or when it is a generated one that is too small);
    /// returns its size. Never writes over a file it did not generate.
    @discardableResult
    public func ensureArchive(_ log: (String) -> Void) throws -> Int {
        var st = stat()
        let want = sizeMB * 1_000_000
        // Generate only a missing archive, or a too-small one this benchmark made itself; an
        // existing file it did not make (an archive, evidence) is measured as it is, never written.
        let exists = stat(archive, &st) == 0
        if exists && !SafeOutput.mayWrite(archive, signature: ArchiveGenerator.signature) {
            log("measuring the existing file \(archive) as it is (not made by pmark bench; never overwritten)")
        } else if !exists || Int(st.st_size) < want {
            if let slash = archive.lastIndex(of: "/") { mkdir(String(archive[..<slash]), 0o755) }
            log("generating \(sizeMB) MB archive at \(archive) ...")
            try ArchiveGenerator(targetBytes: want).write(to: archive)
            stat(archive, &st)
        }
        return Int(st.st_size)
    }

    public func run(_ log: (String) -> Void) throws {
        let size = try ensureArchive(log)
        log("archive: \(archive), \(size) bytes")
        _ = try Self.rawScan(archive)  // warm the page cache
        let raw = try best("raw read+memchr") {
            let r = try Self.rawScan(archive)
            return (r.bytes, r.fromLines)
        }
        var summary = (messages: 0, parts: 0, notInspected: 0)
        let parse = try best("parse (headers + MIME tree)") {
            let r = try Self.parseAll(archive)
            summary = (r.messages, r.parts, r.notInspected)
            return (size, r.messages)
        }
        log("messages: \(summary.messages), MIME entities: \(summary.parts), not inspected: \(summary.notInspected)")
        let reader = try MarkingReader(options: .standard())
        var markedCount = 0
        let markings = try best("markings (parse + all locations)") {
            let r = try Self.markingsAll(archive, reader: reader)
            markedCount = r.marked
            return (size, r.messages)
        }
        log("marked messages: \(markedCount)")
        let engine = try Engine(policy: try PolicyLoader.embeddedDefault(), documents: OOXMLReader())
        var blockedCount = 0
        let decisions = try best("decisions (markings + policy)") {
            let r = try Self.decideAll(archive, engine: engine)
            blockedCount = r.blocked
            return (size, r.messages)
        }
        log("blocked messages: \(blockedCount)")
        var att = (attachments: 0, bytes: 0)
        let content = try best("content (parse + attachments)") {
            let r = try Self.inspectAll(archive)
            att = (r.attachments, r.attachmentBytes)
            return (size, r.messages)
        }
        let extra = content.seconds - parse.seconds
        log(
            """
            attachments: \(att.attachments), \(Self.fixed(Double(att.bytes) / 1e6, 1)) MB decoded; inspection cost \
            \(Self.fixed(extra / Double(max(att.attachments, 1)) * 1e6, 1)) µs per attachment, \
            \(Self.fixed(extra / max(Double(att.bytes) / 1e6, 1e-9) * 1e3, 2)) ms per MB
            """
        )
        let evidence = try best("evidence (markings + content)") {
            (size, try Self.evidenceAll(archive, reader: reader))
        }
        for m in [raw, parse, markings, content, evidence, decisions] { log(Self.line(m, raw)) }
        log(Self.line(content, parse, baseName: "parse"))
        log(Self.line(decisions, evidence, baseName: "evidence"))
        // The policy step alone against markings alone (attachment inspection switched off).
        let policyOnly = try Engine(
            policy: try PolicyLoader.embeddedDefault(), documents: OOXMLReader(), inspectsAttachments: false)
        let decisionsNoContent = try best("decisions without attachments") {
            let r = try Self.decideAll(archive, engine: policyOnly)
            return (size, r.messages)
        }
        log(Self.line(decisionsNoContent, markings, baseName: "markings"))
        log(Self.line(markings, parse, baseName: "parse"))
        log("peak RSS \(Self.fixed(Self.peakRSSMiB(), 1)) MiB")
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
