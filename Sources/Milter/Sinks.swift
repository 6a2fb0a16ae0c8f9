import DecisionEngine
import Foundation
import MailParsing
import NIOConcurrencyHelpers

/// A `DecisionSink` that appends one JSON object per decision to a file (created 0600), one
/// `write(2)` per line so concurrent connections never interleave. `record` returns only after
/// the line is written (and, with `sync`, on disk); a failed write throws, and the milter then
/// answers tempfail.
///
/// Addresses appear only when the policy's `privacy.log-addresses` allows; otherwise each
/// recipient group carries a count. Subjects and bodies never appear.
public final class JSONLinesSink: SynchronousDecisionSink, @unchecked Sendable {
    private let fd: Int32
    private let lock = NIOLock()
    public let path: String
    public let sync: Bool
    private let logAddresses: @Sendable () -> Bool

    /// - Parameter logAddresses: read per record, so a policy reload that changes the privacy
    ///   setting applies to the next decision.
    public init(path: String, sync: Bool = false, logAddresses: @escaping @Sendable () -> Bool) throws {
        let f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard f >= 0 else {
            throw SpoolError(description: "cannot open decision log \(path): \(String(cString: strerror(errno)))")
        }
        fd = f
        self.path = path
        self.sync = sync
        self.logAddresses = logAddresses
    }
    deinit { close(fd) }

    public func recordNow(_ event: DecisionEvent) throws {
        var line = Array(Self.json(event, addresses: logAddresses()).utf8)
        line.append(10)
        try lock.withLock {
            var off = 0
            while off < line.count {
                let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError(description: "decision log write failed: \(String(cString: strerror(errno)))")
                }
                off += n
            }
            if sync, fsync(fd) != 0 {
                throw SpoolError(description: "decision log fsync failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// A JSON string, through pmark's one string escaper (``JSONObjectWriter/appendString(_:to:)``).
    static func esc(_ s: String) -> String { String(decoding: JSONObjectWriter.string(s), as: UTF8.self) }

    /// The record for one decision (stable keys; what an operator greps and a store imports).
    public static func json(_ e: DecisionEvent, addresses: Bool) -> String {
        var f: [String] = []
        f.append("\"time\":\(e.unixTime)")
        switch e.origin {
        case .gateway(let q, let d):
            f.append("\"origin\":\"gateway\"")
            f.append("\"queue_id\":" + (q.map(esc) ?? "null"))
            f.append("\"daemon\":" + (d.map(esc) ?? "null"))
        case .scan(let s): f.append("\"origin\":\"scan\",\"source\":\(esc(s))")
        case .check(let s): f.append("\"origin\":\"check\",\"source\":\(esc(s))")
        }
        let v = e.verdict
        f.append("\"policy\":\(esc(v.policyName)),\"policy_hash\":\(esc(v.policyHash))")
        f.append("\"direction\":\(esc(v.direction.rawValue)),\"action\":\(esc(v.messageAction.rawValue))")
        f.append("\"authenticated\":\(e.envelope.authenticatedSubmission)")
        f.append("\"size\":\(e.messageBytes.count)")
        if addresses {
            f.append("\"mail_from\":" + (e.envelope.mailFrom.map(esc) ?? "null"))
            f.append("\"client\":" + (e.envelope.clientAddress.map(esc) ?? "null"))
        }
        let groups = v.decisions.map { d -> String in
            var g = "{\"path\":\(esc(d.path)),\"action\":\(esc(d.action.rawValue))"
            g += ",\"rules\":[" + d.reasons.map { esc($0.rule.id) }.joined(separator: ",") + "]"
            if addresses {
                g += ",\"recipients\":[" + d.recipients.map(esc).joined(separator: ",") + "]"
            } else {
                g += ",\"recipient_count\":\(d.recipients.count)"
            }
            return g + "}"
        }
        f.append("\"decisions\":[" + groups.joined(separator: ",") + "]")
        return "{" + f.joined(separator: ",") + "}"
    }
}

/// A sink that keeps nothing (benchmarks, and `--no-decision-log` where the MTA's own logs suffice).
public struct DiscardingSink: SynchronousDecisionSink {
    public init() {}
    public func recordNow(_ event: DecisionEvent) throws {}
}

/// Hands each decision to every sink in turn (e.g. the JSON-lines file and the audit store); the
/// first failure fails the decision.
public struct FanOutSink: DecisionSink {
    public let sinks: [any DecisionSink]
    public init(_ sinks: [any DecisionSink]) { self.sinks = sinks }
    public func record(_ event: DecisionEvent) async throws {
        for s in sinks { try await s.record(event) }
    }

    /// The same sinks as one synchronous sink, when every one of them is synchronous.
    public var synchronous: (any SynchronousDecisionSink)? {
        let all = sinks.compactMap { $0 as? any SynchronousDecisionSink }
        return all.count == sinks.count ? SynchronousFanOut(sinks: all) : nil
    }

    struct SynchronousFanOut: SynchronousDecisionSink {
        let sinks: [any SynchronousDecisionSink]
        func recordNow(_ event: DecisionEvent) throws {
            for s in sinks { try s.recordNow(event) }
        }
    }

    /// The same sinks as one completion sink, when the first reports through a completion (the
    /// audit store) and the rest are synchronous (the decision log): those run, in order, in the
    /// first one's completion after its success.
    public var completion: (any CompletionDecisionSink)? {
        guard let first = sinks.first as? any CompletionDecisionSink else { return nil }
        let rest = sinks.dropFirst().compactMap { $0 as? any SynchronousDecisionSink }
        return rest.count == sinks.count - 1 ? CompletionFanOut(first: first, rest: rest) : nil
    }

    struct CompletionFanOut: CompletionDecisionSink {
        let first: any CompletionDecisionSink
        let rest: [any SynchronousDecisionSink]
        func record(_ event: DecisionEvent) async throws {
            try await first.record(event)
            for s in rest { try s.recordNow(event) }
        }
        func record(_ event: DecisionEvent, completion: @escaping @Sendable (Result<Void, Error>) -> Void) {
            first.record(event) { result in
                completion(result.flatMap { Result { for s in rest { try s.recordNow(event) } } })
            }
        }
    }
}
