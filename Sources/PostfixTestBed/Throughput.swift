import Foundation

/// Postfix's own `smtp-source` → a private Postfix → `smtp-sink`, with or without pmark as
/// `smtpd_milters`: the time until every message reached the sink, and an account of every
/// message sent (delivered, held, rejected).
public enum PostfixThroughput {
    /// What Postfix has as `smtpd_milters` in a round.
    public enum Mode: Sendable, Hashable {
        /// No milter.
        case without
        /// The benchmark's null milter (pmark's protocol, accept without inspecting).
        case control
        /// pmark, started by the bed.
        case pmark
        /// pmark with its audit store (`--audit`): every decision committed before the reply.
        case pmarkAudited
    }

    /// The milter a round runs with: none, pmark (the bed starts it), or a control already
    /// listening on `socket` in the caller's process, whose CPU `cpuSeconds` reads.
    public enum Milter {
        case none
        case pmark
        /// pmark recording every decision in the audit store at `store` (a fresh file).
        case pmarkAudited(store: String)
        case control(socket: String, cpuSeconds: () -> Double)

        public var mode: Mode {
            switch self {
            case .none: .without
            case .pmark: .pmark
            case .pmarkAudited: .pmarkAudited
            case .control: .control
            }
        }
    }

    public struct Result: Sendable, CustomStringConvertible {
        public var mode: Mode
        /// IN-CONFIDENCE messages to the internet sink (allowed with or without pmark).
        public var timedMessages: Int
        /// Seconds from the first connection to the last of them arriving at the sink.
        public var seconds: Double
        public var sent: Int
        public var delivered: Int
        public var held: Int
        public var rejected: Int
        /// CPU seconds pmark (or the control) used for the timed messages (nil without a milter).
        public var pmarkCPU: Double?
        /// The whole machine's busy and idle CPU seconds (all cores, `/proc/stat`) over the timed
        /// window: whether a mode was bound by CPU (idle near 0) or by latency (idle left over).
        public var machineBusy: Double = 0
        /// CPU seconds Postfix and `smtp-sink` used over the timed window (what a milter costs
        /// Postfix itself shows here: the milter client's packets, the extra processes' work).
        public var postfixCPU: Double = 0
        public var machineIdle: Double = 0
        public var messagesPerSecond: Double { Double(timedMessages) / seconds }
        public var accounted: Bool { sent == delivered + held + rejected }
        static let label: [Mode: String] = [
            .without: "without pmark: ", .control: "null milter:   ", .pmark: "with pmark:    ",
            .pmarkAudited: "pmark + store: ",
        ]
        public var description: String {
            Self.label[mode]!
                + String(
                    format: "%d messages in %.2f s = %.1f msg/s; sent %d = delivered %d + held %d + rejected %d",
                    timedMessages, seconds, messagesPerSecond, sent, delivered, held, rejected)
                + (pmarkCPU.map {
                    String(
                        format: "; %@ CPU %.2f ms/msg", mode == .control ? "milter" : "pmark",
                        $0 / Double(timedMessages) * 1000)
                } ?? "")
                + String(format: "; postfix CPU %.2f ms/msg", postfixCPU / Double(timedMessages) * 1000)
                + String(
                    format: "; machine CPU %.2f ms/msg, idle %.0f%%", machineBusy / Double(timedMessages) * 1000,
                    100 * machineIdle / max(machineBusy + machineIdle, 1e-9))
                + (accounted ? "" : "  (NOT ACCOUNTED)")
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Busy and idle CPU seconds of the whole machine since boot (the `cpu` line of `/proc/stat`,
    /// in clock ticks: user nice system idle iowait irq softirq steal; iowait counts as idle).
    static func machineCPU() -> (busy: Double, idle: Double) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return (0, 0) }
        let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard f.count >= 8 else { return (0, 0) }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / hz, (f[3] + f[4]) / hz)
    }

    static let smtpSource = "/usr/sbin/smtp-source"

    /// Runs one mode: `messages` timed IN-CONFIDENCE messages over `sessions` SMTP sessions, then
    /// `unmarked` unmarked outbound (held with pmark) and `secret` SECRET inbound (rejected with
    /// pmark) messages for the account.
    public static func run(
        pmarkBinary: String, policy: String, milter: Milter, messages: Int, sessions: Int, unmarked: Int,
        secret: Int, log: (String) -> Void
    ) throws -> Result {
        var controlSocket: String? = nil, controlCPU: (() -> Double)? = nil
        if case .control(let socket, let cpuSeconds) = milter { (controlSocket, controlCPU) = (socket, cpuSeconds) }
        let bed = try PostfixBed(
            pmarkBinary: pmarkBinary, policy: policy, withMilter: milter.mode != .without, milterSocket: controlSocket)
        bed.pmarkArguments = ["--log-level", "error"]
        if case .pmarkAudited(let store) = milter { bed.pmarkArguments += ["--audit", store] }
        defer { bed.stop() }
        try bed.start()
        let start = now()
        let cpu0 = machineCPU()
        let control0 = controlCPU?()
        let postfix0 = bed.postfixCPUSeconds()
        let src = try PostfixBed.run(
            smtpSource,
            [
                "-s", "\(sessions)", "-m", "\(messages)", "-l", "2048", "-f", "aroha@agency.govt.nz",
                "-t", "someone@example.com", "-S", "[IN-CONFIDENCE] bench", "127.0.0.1:\(bed.submissionPort)",
            ])
        if src.status != 0 { log("smtp-source: \(src.output)") }
        guard bed.eventually(600, { bed.sunkCount() >= messages }) else {
            throw BedError("only \(bed.sunkCount()) of \(messages) messages reached the sink; see \(bed.dir)/maillog")
        }
        let seconds = now() - start
        // pmark's process started with this round; the control runs in the caller's process.
        let cpu = controlCPU.map { $0() - (control0 ?? 0) } ?? bed.pmarkCPUSeconds()
        let cpu1 = machineCPU()
        let postfix1 = bed.postfixCPUSeconds()
        if unmarked > 0 {
            _ = try PostfixBed.run(
                smtpSource,
                [
                    "-A", "-s", "2", "-m", "\(unmarked)", "-l", "512", "-f", "aroha@agency.govt.nz",
                    "-t", "someone@example.com", "-S", "bench unmarked", "127.0.0.1:\(bed.submissionPort)",
                ])
        }
        if secret > 0 {
            _ = try PostfixBed.run(
                smtpSource,
                [
                    "-A", "-s", "2", "-m", "\(secret)", "-l", "512", "-f", "spy@example.com",
                    "-t", "bob@agency.govt.nz", "-S", "[SECRET] bench", "127.0.0.1:\(bed.mxPort)",
                ])
        }
        let sent = messages + unmarked + secret
        var r = Result(
            mode: milter.mode, timedMessages: messages, seconds: seconds, sent: sent, delivered: 0, held: 0,
            rejected: 0, pmarkCPU: cpu)
        r.machineBusy = cpu1.busy - cpu0.busy
        r.postfixCPU = postfix1 - postfix0
        r.machineIdle = cpu1.idle - cpu0.idle
        func count() {
            r.delivered = bed.sunkCount() + bed.maildirCount("bob")
            r.held = ((try? bed.queue()) ?? []).filter { ($0["queue_name"] as? String) == "hold" }.count
            r.rejected = bed.logCount("milter-reject: END-OF-MESSAGE")
        }
        _ = bed.eventually(120) {
            count()
            return r.accounted
        }
        count()
        return r
    }
}

/// Where part 2's difference goes, over every round of each mode: the throughput of the totals
/// (a steadier figure than one pair on a machine whose speed drifts) and the CPU per message of
/// pmark, of Postfix with and without a milter (what Postfix's own milter client costs shows as
/// the difference) and of the whole machine; the same for the control when it ran, and pmark
/// with its audit store against pmark without it (issue 13's on/off, through a real Postfix).
public struct PostfixAttribution: Sendable {
    public var results: [PostfixThroughput.Result]

    public init(_ results: [PostfixThroughput.Result]) { self.results = results }

    func rounds(_ mode: PostfixThroughput.Mode) -> [PostfixThroughput.Result] { results.filter { $0.mode == mode } }

    static func perMessage(_ rs: [PostfixThroughput.Result], _ seconds: (PostfixThroughput.Result) -> Double)
        -> Double
    {
        rs.map(seconds).reduce(0, +) / Double(max(1, rs.map(\.timedMessages).reduce(0, +))) * 1000
    }

    /// Messages and seconds over a mode's rounds.
    static func totals(_ rs: [PostfixThroughput.Result]) -> (messages: Int, seconds: Double) {
        (rs.map(\.timedMessages).reduce(0, +), rs.map(\.seconds).reduce(0, +))
    }

    /// Nothing until both without and with pmark have rounds.
    public var lines: [String] {
        let without = rounds(.without), with = rounds(.pmark), control = rounds(.control)
        guard !without.isEmpty, !with.isEmpty else { return [] }
        let (nWithout, tWithout) = Self.totals(without), (nWith, tWith) = Self.totals(with)
        let rateWithout = Double(nWithout) / tWithout
        let pmark = Self.perMessage(with) { $0.pmarkCPU ?? 0 }
        let postfixWith = Self.perMessage(with, \.postfixCPU), postfixWithout = Self.perMessage(without, \.postfixCPU)
        let machineWith = Self.perMessage(with, \.machineBusy)
        let machineWithout = Self.perMessage(without, \.machineBusy)
        var out = [
            String(
                format: "all rounds: %d messages in %.1f s without, %d in %.1f s with: throughput of the totals %.2f",
                nWithout, tWithout, nWith, tWith, Double(nWith) / tWith / rateWithout),
            String(
                format:
                    """
                    CPU per message over all rounds: pmark %.2f ms; Postfix %.2f ms with vs %.2f without \
                    (%+.2f: its milter client and what else changed); machine %.2f vs %.2f (pmark's own share of \
                    the machine with it: %.0f%%)
                    """,
                pmark, postfixWith, postfixWithout, postfixWith - postfixWithout, machineWith, machineWithout,
                100 * pmark / max(machineWith, 1e-9)),
        ]
        if !control.isEmpty {
            let (nNull, tNull) = Self.totals(control)
            let postfixNull = Self.perMessage(control, \.postfixCPU)
            out.append(
                String(
                    format:
                        """
                        null milter: %d messages in %.1f s: throughput of the totals %.2f of without; its own CPU \
                        %.2f ms/msg; Postfix %.2f ms/msg (%+.2f over without), machine %.2f
                        """,
                    nNull, tNull, Double(nNull) / tNull / rateWithout, Self.perMessage(control) { $0.pmarkCPU ?? 0 },
                    postfixNull, postfixNull - postfixWithout, Self.perMessage(control, \.machineBusy)))
        }
        let audited = rounds(.pmarkAudited)
        if !audited.isEmpty {
            let (nStore, tStore) = Self.totals(audited)
            let rateStore = Double(nStore) / tStore
            out.append(
                String(
                    format:
                        """
                        pmark + audit store: %d messages in %.1f s: throughput of the totals %.2f of pmark without \
                        the store (target ≥ 0.80), %.2f of without pmark; pmark's CPU %.2f ms/msg vs %.2f without \
                        the store; machine %.2f
                        """,
                    nStore, tStore, rateStore / (Double(nWith) / tWith), rateStore / rateWithout,
                    Self.perMessage(audited) { $0.pmarkCPU ?? 0 }, pmark, Self.perMessage(audited, \.machineBusy)))
        }
        return out
    }
}
