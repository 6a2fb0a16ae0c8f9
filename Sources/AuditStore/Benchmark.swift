import DecisionEngine
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decisions recorded per second with the store's durability (WAL, synchronous=FULL, every
/// caller awaiting its own commit), at several numbers of decisions in flight. Run by `pmark
/// audit bench`; the events are made once by the engine and replayed, so only the store is
/// measured.
public enum AuditBenchmark {
    public struct Result: Sendable {
        public var inFlight: Int
        public var decisions: Int
        public var seconds: Double
        public var p50: Double
        public var p99: Double
        public var transactions: Int
        /// The store's own CPU (its threads' clocks), per decision: prepare on the callers,
        /// write (inserts, chain, commit) on the writer.
        public var cpu: AuditStore.CPUSpent
        public var perSecond: Double { Double(decisions) / seconds }
        public var line: String {
            String(
                format:
                    """
                    audit store, %3d in flight: %8.0f decisions/s  (%d decisions in %.2f s, %d transactions; latency \
                    p50 %.2f ms, p99 %.2f ms; CPU %.3f + %.3f ms/decision, prepare + write)
                    """,
                inFlight, perSecond, decisions, seconds, transactions, p50 * 1000, p99 * 1000,
                cpu.prepareSeconds / Double(max(1, cpu.decisions)) * 1000,
                cpu.writeSeconds / Double(max(1, cpu.decisions)) * 1000)
        }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// - Parameters:
    ///   - samples: decision events to replay (cycled).
    ///   - directory: where each run's store file is created (fresh per run).
    public static func run(
        samples: [DecisionEvent], decisions: Int, inFlight: [Int], directory: String,
        options: AuditStore.Options
    ) async throws -> [Result] {
        var results: [Result] = []
        for c in inFlight {
            let path = "\(directory)/bench-\(c)-\(getpid()).db"
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
            let store = try AuditStore(path: path, options: options)
            let events = (0..<decisions).map { i -> DecisionEvent in
                var e = samples[i % samples.count]
                e.unixTime += Double(i) / 1000
                return e
            }
            let start = now()
            let latencies = try await withThrowingTaskGroup(of: Double.self) { g in
                var out: [Double] = []
                out.reserveCapacity(decisions)
                var next = 0
                func add() {
                    let e = events[next]
                    next += 1
                    g.addTask {
                        let t = now()
                        try await store.record(e)
                        return now() - t
                    }
                }
                while next < min(c, events.count) { add() }
                while let l = try await g.next() {
                    out.append(l)
                    if next < events.count { add() }
                }
                return out
            }
            let seconds = now() - start
            let sorted = latencies.sorted()
            results.append(
                Result(
                    inFlight: c, decisions: decisions, seconds: seconds,
                    p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
                    transactions: store.transactionCount, cpu: store.cpuSpent))
            guard try store.verify().isIntact else { throw AuditError.corrupt("benchmark store failed verification") }
        }
        return results
    }
}
