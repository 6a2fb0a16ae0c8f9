import ArgumentParser
import AuditStore
import DecisionEngine
import Foundation
import PolicyLanguage

/// Where the audit store is (`--db`, else $PMARK_AUDIT_DB, else /var/lib/pmark/audit.db).
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The audit store (default: $PMARK_AUDIT_DB or /var/lib/pmark/audit.db).")
    var db: String?

    var path: String { db ?? ProcessInfo.processInfo.environment["PMARK_AUDIT_DB"] ?? "/var/lib/pmark/audit.db" }

    func open(policy: Policy? = nil) throws -> AuditStore {
        do {
            return try AuditStore(path: path, options: .init(privacy: policy?.privacy ?? .closed))
        } catch {
            fail("\(path): \(error)", code: 74)
        }
    }
}

/// How release, deletion and notices reach the MTA.
struct MTAOptions: ParsableArguments {
    @Option(help: "sendmail for re-submission (default /usr/sbin/sendmail).")
    var sendmail: String = "/usr/sbin/sendmail"
    @Option(help: "postsuper (default /usr/sbin/postsuper).")
    var postsuper: String = "/usr/sbin/postsuper"
    @Option(help: "postqueue (default /usr/sbin/postqueue).")
    var postqueue: String = "/usr/sbin/postqueue"
    @Option(help: "A Postfix configuration directory (postsuper/postqueue -c, sendmail -C).")
    var postfixConfig: String?

    var mta: MTA { MTA(sendmail: sendmail, postsuper: postsuper, postqueue: postqueue, configDirectory: postfixConfig) }
}

struct FilterOptions: ParsableArguments {
    @Option(help: "From this time: 2026-11-01, 2026-11-01T09:00:00Z, or back from now: 24h, 7d.")
    var since: String?
    @Option(help: "Before this time (same forms).")
    var until: String?
    @Option(help: "Message or recipient action: allow, allow-and-tag, quarantine, block.")
    var action: Action?
    @Option(help: "A rule id (PM-OUT-001).")
    var rule: String?
    @Option(help: "An NZISM control (15.2.40.C.01) or CID (1760).")
    var control: String?
    @Option(help: "inbound, outbound or internal.")
    var direction: Direction?
    @Option(help: "An envelope address (matched as stored: the address or its keyed hash).")
    var address: String?

    func filter(limit: Int? = nil) throws -> AuditFilter {
        func time(_ s: String?, _ name: String) throws -> Int64? {
            guard let s else { return nil }
            guard let t = AuditTime.parse(s) else {
                throw ValidationError("--\(name) '\(s)': use 2026-11-01, 2026-11-01T09:00:00Z, 24h or 7d")
            }
            return t
        }
        return AuditFilter(
            since: try time(since, "since"), until: try time(until, "until"), action: action?.rawValue, rule: rule,
            control: control,
            direction: direction?.rawValue, address: address, limit: limit)
    }
}

extension Action: ExpressibleByArgument {}

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("pmark: \(message)\n".utf8))
    Foundation.exit(code)
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The audit store: list, verify, report and export recorded decisions.",
        subcommands: [
            List.self, Show.self, Verify.self, Report.self, Export.self, BenchAudit.self, AuditMilterBench.self,
        ])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List recorded decisions (oldest first; the last --limit).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        @Option(help: "At most this many (the most recent).") var limit: Int = 100
        @Option(help: "text or jsonl.") var format: OutputFormat = .text
        func run() throws {
            let s = try store.open()
            let records = try s.records(try filter.filter(limit: limit))
            for r in records {
                print(
                    format == .text ? AuditFormat.text(r) : AuditFormat.jsonLine(r),
                    terminator: format == .text ? "" : "\n")
            }
            if format == .text { print("\(records.count) decision(s)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One decision with its reasons, findings, attachments and events.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The decision id.") var id: Int64
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            let s = try store.open()
            do {
                let r = try s.record(id: id)
                let events = try s.events(decisionID: id)
                if format != .text {
                    print(AuditFormat.json(r))
                    return
                }
                print(AuditFormat.text(r), terminator: "")
                for f in r.findings {
                    print("  finding \(f.origin) \(f.id) at \(f.location)" + (f.detail.isEmpty ? "" : ": \(f.detail)"))
                }
                for a in r.attachments {
                    print(
                        "  attachment \(a.location) \(a.detectedType) [\(a.family)] \(a.size) bytes"
                            + (a.filename.map { " '\($0)'" } ?? ""))
                }
                for e in events { print("  event \(e.time) \(e.kind) by \(e.actor): \(e.reason) (\(e.detail))") }
                print("  chain seq \(r.seq) hash \(r.hash)")
            } catch let e as AuditError { fail("\(e)", code: 66) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain (and SQLite's integrity); exit 1 at the first broken link.",
            discussion:
                """
                Record the printed head hash outside the system: a later verify whose chain still contains that hash \
                at that sequence number shows the log before it was not rewritten.
                """
        )
        @OptionGroup var store: StoreOptions
        func run() throws {
            let s = try store.open()
            let integrity = try s.integrityCheck()
            let r = try s.verify()
            print("integrity_check: \(integrity.joined(separator: "; "))")
            if let b = r.firstBreak {
                print("chain BROKEN at \(b)")
                print("\(r.entries) entries verified before the break")
                throw ExitCode(1)
            }
            print("chain intact: \(r.entries) entries, head seq \(r.headSeq) hash \(r.headHash)")
            if integrity != ["ok"] { throw ExitCode(1) }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts per action, direction, rule, control, path and day (the security officer's return).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        enum Format: String, ExpressibleByArgument { case text, json, html }
        @Option(help: "text, json or html.") var format: Format = .text
        func run() throws {
            let s = try store.open().summary(try filter.filter())
            switch format {
            case .text: print(AuditFormat.reportText(s), terminator: "")
            case .json: print(AuditFormat.json(s))
            case .html: print(AuditFormat.reportHTML(s), terminator: "")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every matching decision for a SIEM: JSON lines or ArcSight CEF.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        enum Format: String, ExpressibleByArgument { case jsonl, cef }
        @Option(help: "jsonl or cef.") var format: Format = .jsonl
        func run() throws {
            let out = OutputBuffer(fd: 1)
            try store.open().forEachRecord(try filter.filter()) { r in
                out.write((format == .jsonl ? AuditFormat.jsonLine(r) : AuditFormat.cef(r)) + "\n")
            }
            out.flush()
        }
    }
}

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract:
            "Held and blocked messages: list, show, release, delete, purge (every release and deletion is recorded).",
        subcommands: [List.self, Show.self, Release.self, Delete.self, Purge.self])

    struct Who: ParsableArguments {
        @Option(help: "Who is acting (default: the OS user).") var by: String?
        @Option(help: "Why (required; recorded).") var reason: String
        var actor: String { by ?? currentActor() }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Messages awaiting review (--all: released and deleted too).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Include released and deleted messages.") var all = false
        @Option(help: "text or jsonl.") var format: OutputFormat = .text
        func run() throws {
            let items = try store.open().quarantineItems(pendingOnly: !all)
            for i in items {
                if format == .text {
                    print(
                        "#\(i.id) \(i.created) \(i.kind) \(i.status) \(i.direction) \(i.size) bytes"
                            + (i.queueID.map { " queue \($0)" } ?? "") + " rules \(i.rules.joined(separator: ","))")
                } else {
                    print(AuditFormat.jsonLine(i))
                }
            }
            if format == .text { print("\(items.count) message(s)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A quarantined message: its envelope, decision and events; --raw writes the exact bytes.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The decision id.") var id: Int64
        @Flag(help: "Write the message exactly as received to standard output.") var raw = false
        func run() throws {
            let s = try store.open()
            do {
                if raw {
                    FileHandle.standardOutput.write(Data(try s.quarantinedBytes(id)))
                    return
                }
                let i = try s.quarantineItem(id)
                print("#\(i.id) \(i.kind), \(i.status); created \(i.created), updated \(i.updated)")
                print(
                    """
                      envelope from <\(i.envelopeFrom)> to \
                    \(i.releaseRecipients.map { "<\($0)>" }.joined(separator: " "))
                    """
                )
                print(
                    "  \(i.size) bytes, sha256 \(i.sha256)" + (i.queueID.map { ", Postfix queue id \($0)" } ?? "")
                        + (i.hasBytes ? "" : " (bytes deleted)"))
                print(AuditFormat.text(try s.record(id: id)), terminator: "")
                for e in try s.events(decisionID: id) {
                    print("  event \(e.time) \(e.kind) by \(e.actor): \(e.reason) (\(e.detail))")
                }
            } catch let e as AuditError { fail("\(e)", code: 66) }
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                """
                Hand a held or blocked message back to the MTA (Postfix hold queue via postsuper -H, else \
                re-submission through sendmail).
                """
        )
        @OptionGroup var store: StoreOptions
        @OptionGroup var mta: MTAOptions
        @OptionGroup var who: Who
        @Argument(help: "The decision id.") var id: Int64
        func run() throws {
            do {
                let m = try store.open().release(id, actor: who.actor, reason: who.reason, mta: mta.mta)
                print("released #\(id): \(m)")
            } catch let e as AuditError { fail("\(e)") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a quarantined message's bytes (and its Postfix hold-queue entry); the decision stays.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var mta: MTAOptions
        @OptionGroup var who: Who
        @Argument(help: "The decision id.") var id: Int64
        func run() throws {
            do {
                try store.open().delete(id, actor: who.actor, reason: who.reason, mta: mta.mta)
                print("deleted #\(id)")
            } catch let e as AuditError { fail("\(e)") }
        }
    }

    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the bytes of every quarantined message older than a span (one recorded event each).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var mta: MTAOptions
        @Option(help: "A span: 30d, 12w, 48h.") var olderThan: String
        @Option(help: "Who is acting (default: the OS user).") var by: String?
        @Option(help: "Why (default: 'retention: older than SPAN').") var reason: String?
        func run() throws {
            guard let cutoff = AuditTime.parse(olderThan), olderThan.last.map({ "smhdw".contains($0) }) == true else {
                throw ValidationError("--older-than '\(olderThan)': use a span such as 30d or 48h")
            }
            let seconds = Double(nowMicroseconds() - cutoff) / 1e6
            do {
                let n = try store.open().purge(
                    olderThan: seconds, actor: by ?? currentActor(),
                    reason: reason ?? "retention: older than \(olderThan)", mta: mta.mta)
                print("purged \(n) message(s)")
            } catch let e as AuditError { fail("\(e)") }
        }
    }
}

struct BenchAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            """
            Decisions recorded per second with the store's durability, at several numbers in flight (build with -c \
            release).
            """
    )
    @Option(help: "Decisions per run.") var decisions: Int = 5000
    @Option(help: "Decisions in flight, comma-separated (1 = each waits for its own commit alone).") var inFlight:
        String = "1,8,64"
    @Option(help: "Directory for the store files (default: a temporary directory).") var directory: String?
    func run() throws {
        let policy = try PolicyLoader.embeddedDefault()
        let engine = try Engine(policy: policy)
        let samples = AuditBenchSamples.make(engine: engine)
        let counts = inFlight.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !counts.isEmpty, decisions > 0 else {
            throw ValidationError("--in-flight takes positive numbers, --decisions a positive count")
        }
        let dir = directory ?? FileManager.default.temporaryDirectory.path
        let box = ResultBox()
        let sem = DispatchSemaphore(value: 0)
        Task {
            do {
                box.results = try await AuditBenchmark.run(
                    samples: samples, decisions: decisions, inFlight: counts, directory: dir,
                    options: .init(privacy: policy.privacy))
            } catch { box.error = error }
            sem.signal()
        }
        sem.wait()
        if let e = box.error { fail("\(e)") }
        print(
            """
            samples: \(samples.count) messages (\
            \(samples.map { $0.verdict.messageAction.rawValue }.joined(separator: ", "))), privacy closed (keyed \
            addresses, redaction)
            """
        )
        for r in box.results { print(r.line) }
    }
    final class ResultBox: @unchecked Sendable {
        var results: [AuditBenchmark.Result] = []
        var error: Error?
    }
}

/// Typical messages for the store benchmark: allowed, held, blocked, with an attachment.
enum AuditBenchSamples {
    static func make(engine: Engine) -> [DecisionEvent] {
        let body = String(repeating: "Kia ora koutou, the quarterly figures are attached for review.\r\n", count: 150)
        let shapes: [(String, [String], String)] = [
            ("[IN-CONFIDENCE] Quarterly figures", ["hemi@example.com"], body),
            ("Lunch on Friday", ["a@gmail.com"], body),
            ("[SENSITIVE] Budget", ["a@gmail.com", "b@dpmc.govt.nz"], body),
            ("[UNCLASSIFIED] Notes", ["c@agency.govt.nz", "d@agency.govt.nz"], body),
        ]
        return shapes.enumerated().map { i, s in
            let bytes = Array(
                """
                From: Aroha <aroha@agency.govt.nz>\r\nTo: \(s.1.joined(separator: ", "))\r\nSubject: \(s.0)\r\n\
                Message-ID: <bench\(i)@agency.govt.nz>\r\nDate: Mon, 30 Nov 2026 10:00:00 +1300\r\n\r\n\(s.2)
                """
                .utf8)
            let env = Envelope(mailFrom: "aroha@agency.govt.nz", recipients: s.1)
            return DecisionEvent(
                unixTime: Date().timeIntervalSince1970, origin: .gateway(queueID: "BENCH\(i)", daemonName: "smtpd"),
                envelope: env, verdict: engine.evaluate(bytes: bytes, envelope: env), messageBytes: bytes)
        }
    }
}

/// `pmark scan --audit FILE`: each decision recorded with origin `scan`, from every worker,
/// in batches of 256 per transaction; bytes are not kept (a scanned archive's messages cannot
/// be released). The first failure stops recording and makes the scan exit 74.
final class ScanAuditRecorder: @unchecked Sendable {
    let store: AuditStore
    private let lock = NSLock()
    private var batch: [DecisionEvent] = []
    private var failure: Error?

    init(path: String, policy: Policy) throws {
        do {
            store = try AuditStore(path: path, options: .init(privacy: policy.privacy, keepMessageBytes: false))
        } catch { fail("\(path): \(error)", code: 74) }
    }

    func add(source: String, evaluation: Evaluation, bytes: [UInt8]) {
        let e = DecisionEvent(
            unixTime: Date().timeIntervalSince1970, origin: .scan(source: source), envelope: evaluation.envelope,
            verdict: evaluation.verdict, messageBytes: bytes)
        lock.withLock {
            guard failure == nil else { return }
            batch.append(e)
            if batch.count >= 256 { flushLocked() }
        }
    }

    private func flushLocked() {
        guard !batch.isEmpty, failure == nil else { return }
        do { try store.appendSync(batch) } catch { failure = error }
        batch.removeAll(keepingCapacity: true)
    }

    /// Records what remains; the first error, if any.
    func finish() -> Error? {
        lock.withLock {
            flushLocked()
            return failure
        }
    }
}

/// `pmark check --audit FILE`: the decision recorded (origin `check`) before the exit status
/// reports it, bytes kept when held or blocked.
func recordCheck(_ path: String, policy: Policy, source: String, evaluation: Evaluation, bytes: [UInt8]) throws {
    let store: AuditStore
    do { store = try AuditStore(path: path, options: .init(privacy: policy.privacy)) } catch {
        fail("\(path): \(error)", code: 74)
    }
    do {
        try store.appendSync([
            DecisionEvent(
                unixTime: Date().timeIntervalSince1970, origin: .check(source: source), envelope: evaluation.envelope,
                verdict: evaluation.verdict, messageBytes: bytes, message: evaluation.message)
        ])
    } catch { fail("\(path): the decision could not be recorded: \(error)", code: 74) }
}
