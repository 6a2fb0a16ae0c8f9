import Testing

@testable import Milter

/// `pmark audit bench-milter --held-percent`: the store benchmark's mix of held and passed mail.
@Suite("Milter load generator: a set share of held messages")
struct LoadMixTests {
    static let pool: [ClientMessage] = (0..<10).map {
        ClientMessage(mailFrom: $0 < 4 ? "held\($0)@x" : "passed\($0)@x", recipients: ["r@y"], bytes: [])
    }
    static func isHeld(_ m: ClientMessage) -> Bool { m.mailFrom.hasPrefix("held") }

    @Test("the share is exact, evenly spread, each pool cycled, and queue ids renumbered")
    func shareSpreadAndCycled() {
        let m = MilterLoadGenerator.mixed(Self.pool, count: 20, heldShare: 0.25, isHeld: Self.isHeld)
        #expect(m.count == 20)
        let held = m.indices.filter { Self.isHeld(m[$0]) }
        #expect(held == [3, 7, 11, 15, 19])
        #expect(held.map { m[$0].mailFrom } == ["held0@x", "held1@x", "held2@x", "held3@x", "held0@x"])
        #expect(m.filter { !Self.isHeld($0) }.prefix(7).map(\.mailFrom).last == "passed4@x")
        #expect(m.map(\.queueID) == (0..<20).map { String($0, radix: 16, uppercase: true) })
    }

    @Test("shares of none and all, a share rounded to whole messages, and an impossible mix")
    func edges() {
        #expect(
            MilterLoadGenerator.mixed(Self.pool, count: 8, heldShare: 0, isHeld: Self.isHeld).allSatisfy {
                !Self.isHeld($0)
            })
        #expect(
            MilterLoadGenerator.mixed(Self.pool, count: 8, heldShare: 1, isHeld: Self.isHeld).allSatisfy(Self.isHeld))
        #expect(
            MilterLoadGenerator.mixed(Self.pool, count: 1000, heldShare: 0.0714, isHeld: Self.isHeld).filter(
                Self.isHeld
            ).count == 71)
        let noneHeld = Self.pool.filter { !Self.isHeld($0) }
        #expect(MilterLoadGenerator.mixed(noneHeld, count: 10, heldShare: 0.05, isHeld: Self.isHeld).isEmpty)
        #expect(MilterLoadGenerator.mixed(noneHeld, count: 10, heldShare: 0, isHeld: Self.isHeld).count == 10)
    }
}
