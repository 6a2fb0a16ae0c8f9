import DecisionEngine
import Foundation
import MailParsing
import MilterCodec
import NIOConcurrencyHelpers
import NIOCore

/// A milter load generator on loopback: `connections` clients play Postfix against a milter, each
/// running whole transactions (negotiate once, then MAIL … end of message per message) from a
/// shared list, and time every end of message (EOB sent → final reply).
public enum MilterLoadGenerator {
    public struct Result: Sendable {
        public var connections: Int
        public var messages: Int
        public var seconds: Double
        public var latencies: [Double]  // seconds, sorted
        public var actions: [String: Int]
        public var messagesPerSecond: Double { Double(messages) / seconds }
        public func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int(Double(latencies.count - 1) * p + 0.5))]
        }
    }

    /// `count` messages in which `heldShare` (0…1) are ones whose bytes the audit store keeps
    /// (`isHeld`), spread evenly through the list, each pool cycled: the store benchmark's mix of
    /// held and passed mail, set instead of taken from the archive (the generated archive holds
    /// 71 %; a gateway's real share is far lower). Queue ids are renumbered. Empty when a pool the
    /// share needs is empty.
    public static func mixed(
        _ messages: [ClientMessage], count: Int, heldShare: Double, isHeld: (ClientMessage) -> Bool
    ) -> [ClientMessage] {
        let held = messages.filter(isHeld), passed = messages.filter { !isHeld($0) }
        let share = min(1, max(0, heldShare))
        let heldCount = Int((Double(count) * share).rounded())
        if heldCount > 0 && held.isEmpty || heldCount < count && passed.isEmpty { return [] }
        var out: [ClientMessage] = []
        out.reserveCapacity(count)
        var h = 0, p = 0
        for i in 0..<count {
            // Held where ⌊(i+1)·H/N⌋ steps up: H of N, evenly spread.
            var m: ClientMessage
            if (i + 1) * heldCount / count > i * heldCount / count {
                m = held[h % held.count]
                h += 1
            } else {
                m = passed[p % passed.count]
                p += 1
            }
            m.queueID = String(i, radix: 16, uppercase: true)
            out.append(m)
        }
        return out
    }

    /// The first `count` messages of an archive with envelopes from their headers (From; To and
    /// Cc), as a client sends them.
    public static func messages(archive: String, count: Int) throws -> [ClientMessage] {
        var out: [ClientMessage] = []
        try ArchiveReader().forEach(paths: [archive]) { raw in
            guard let m = try? Message(parsing: raw.bytes) else { return true }
            let env = Envelope.inferred(from: m)
            let rcpts = env.recipients.filter { $0.contains("@") }
            guard let from = env.mailFrom, !rcpts.isEmpty else { return true }
            var cm = ClientMessage(mailFrom: from, recipients: rcpts, bytes: raw.bytes)
            cm.queueID = String(out.count, radix: 16, uppercase: true)
            out.append(cm)
            return out.count < count
        }
        return out
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Sends every message once over `connections` connections.
    public static func run(_ address: ListenAddress, messages: [ClientMessage], connections: Int, group: EventLoopGroup)
        async throws -> Result
    {
        let next = NIOLockedValueBox(0)
        let start = now()
        let perClient = try await withThrowingTaskGroup(of: ([Double], [String: Int]).self) { g in
            for _ in 0..<connections {
                g.addTask {
                    let c = try await MilterClient.connect(address, group: group)
                    let o = try await c.negotiate()
                    var lat: [Double] = [], actions: [String: Int] = [:]
                    var first = true
                    while true {
                        let i = next.withLockedValue { n -> Int in
                            defer { n += 1 }
                            return n
                        }
                        guard i < messages.count else { break }
                        let (rs, eom) = try await c.timedTransaction(messages[i], negotiated: o, connect: first)
                        first = false
                        lat.append(eom)
                        actions[Self.summary(rs), default: 0] += 1
                    }
                    try? await c.send([.quit])
                    await c.close()
                    return (lat, actions)
                }
            }
            var all: [([Double], [String: Int])] = []
            for try await r in g { all.append(r) }
            return all
        }
        let secs = now() - start
        var actions: [String: Int] = [:]
        for (_, a) in perClient { for (k, v) in a { actions[k, default: 0] += v } }
        return Result(
            connections: connections, messages: messages.count, seconds: secs,
            latencies: perClient.flatMap(\.0).sorted(), actions: actions)
    }

    /// `accept`, `delrcpt+accept`, `quarantine`, `tag`, `reject`, `tempfail`.
    static func summary(_ rs: [MilterResponse]) -> String {
        if rs.contains(where: {
            if case .quarantine = $0 { return true }
            return false
        }) {
            return "quarantine"
        }
        if rs.contains(where: {
            if case .addHeader = $0 { return true }
            return false
        }) {
            return "tag"
        }
        switch rs.last {
        case .replyCode(let t)? where t.hasPrefix("5"): return "reject"
        case .replyCode?, .tempfail?: return "tempfail"
        default:
            return rs.contains(where: {
                if case .deleteRecipient = $0 { return true }
                return false
            }) ? "delrcpt+accept" : "accept"
        }
    }
}

extension MilterClient {
    /// `transaction`, also returning the end-of-message latency in seconds.
    func timedTransaction(_ m: ClientMessage, negotiated: OptionNegotiation, connect: Bool) async throws -> (
        [MilterResponse], Double
    ) {
        let t = TimingBox()
        let rs = try await transaction(
            m, negotiated: negotiated, connect: connect, beforeEndOfBody: { t.start = MilterLoadGenerator.now() })
        return (rs, MilterLoadGenerator.now() - t.start)
    }
}

final class TimingBox: @unchecked Sendable { var start = 0.0 }
