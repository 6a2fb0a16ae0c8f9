import Testing

@testable import PostfixTestBed

/// `pmark milter bench` part 2's summary over every round: the figures an operator compares
/// with the target come from the rounds' totals, not from one lucky pair.
@Suite("Gateway benchmark: part 2's summary over every round")
struct PostfixAttributionTests {
    static func result(
        _ mode: PostfixThroughput.Mode, seconds: Double, pmark: Double?, postfix: Double, machine: Double
    ) -> PostfixThroughput.Result {
        var r = PostfixThroughput.Result(
            mode: mode, timedMessages: 1000, seconds: seconds, sent: 1200, delivered: 1200, held: 0,
            rejected: 0, pmarkCPU: pmark)
        r.postfixCPU = postfix
        r.machineBusy = machine
        return r
    }

    @Test("the summary divides the rounds' totals and splits the CPU per message by process")
    func totalsAndCPU() {
        let without = [
            Self.result(.without, seconds: 2, pmark: nil, postfix: 2, machine: 2.5),
            Self.result(.without, seconds: 3, pmark: nil, postfix: 2, machine: 2.5),
        ]
        let with = [
            Self.result(.pmark, seconds: 2.5, pmark: 0.4, postfix: 2.3, machine: 3.1),
            Self.result(.pmark, seconds: 3.75, pmark: 0.6, postfix: 2.5, machine: 3.3),
        ]
        // The rounds in the order the benchmark runs them (alternating), one list.
        let lines = PostfixAttribution([without[0], with[0], with[1], without[1]]).lines
        #expect(
            lines == [
                "all rounds: 2000 messages in 5.0 s without, 2000 in 6.2 s with: throughput of the totals 0.80",
                """
                CPU per message over all rounds: pmark 0.50 ms; Postfix 2.40 ms with vs 2.00 without (+0.40: its \
                milter client and what else changed); machine 3.20 vs 2.50 (pmark's own share of the machine with \
                it: 16%)
                """,
            ])
    }

    @Test("the null milter's line compares the control with the same Postfix without a milter")
    func nullMilterLine() {
        let without = [Self.result(.without, seconds: 2, pmark: nil, postfix: 2, machine: 2.5)]
        let with = [Self.result(.pmark, seconds: 2.5, pmark: 0.5, postfix: 2.4, machine: 3.2)]
        let null = Self.result(.control, seconds: 2.2, pmark: 0.3, postfix: 2.2, machine: 2.9)
        let lines = PostfixAttribution(without + [null] + with).lines
        #expect(lines.count == 3)
        #expect(
            lines.last
                == """
                null milter: 1000 messages in 2.2 s: throughput of the totals 0.91 of without; its own CPU 0.30 \
                ms/msg; Postfix 2.20 ms/msg (+0.20 over without), machine 2.90
                """)
        #expect(null.description.hasPrefix("null milter:   1000 messages in 2.20 s"))
        #expect(null.description.contains("; milter CPU 0.30 ms/msg"))
        #expect(with[0].description.hasPrefix("with pmark:    1000 messages"))
        #expect(without[0].description.hasPrefix("without pmark: 1000 messages"))
    }

    @Test("the audit store's line compares pmark with its store against pmark without it, over the totals")
    func auditStoreLine() {
        let without = [Self.result(.without, seconds: 2, pmark: nil, postfix: 2, machine: 2.5)]
        let with = [Self.result(.pmark, seconds: 2.5, pmark: 0.5, postfix: 2.4, machine: 3.2)]
        let stored = [
            Self.result(.pmarkAudited, seconds: 2.5, pmark: 0.6, postfix: 2.4, machine: 3.3),
            Self.result(.pmarkAudited, seconds: 3.75, pmark: 0.8, postfix: 2.4, machine: 3.5),
        ]
        let lines = PostfixAttribution(stored + with + without).lines
        #expect(lines.count == 3)
        #expect(
            lines.last
                == """
                pmark + audit store: 2000 messages in 6.2 s: throughput of the totals 0.80 of pmark without the \
                store (target ≥ 0.80), 0.64 of without pmark; pmark's CPU 0.70 ms/msg vs 0.50 without the store; \
                machine 3.40
                """)
        #expect(stored[0].description.hasPrefix("pmark + store: 1000 messages in 2.50 s"))
        #expect(stored[0].description.contains("; pmark CPU 0.60 ms/msg"))
    }

    @Test("without rounds of both without and with pmark there is no summary (never a division by nothing)")
    func noSummaryWithoutBothModes() {
        let with = [Self.result(.pmark, seconds: 2.5, pmark: 0.5, postfix: 2.4, machine: 3.2)]
        let null = Self.result(.control, seconds: 2.2, pmark: 0.3, postfix: 2.2, machine: 2.9)
        #expect(PostfixAttribution(with + [null]).lines.isEmpty)
        #expect(PostfixAttribution([]).lines.isEmpty)
    }
}
