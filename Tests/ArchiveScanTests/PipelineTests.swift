import Testing

@testable import ArchiveScan

@Suite("Ordered pipeline")
struct PipelineTests {
    @Test("results come out in input order whatever the number of workers")
    func ordered() {
        for jobs in [1, 2, 4] {
            var got: [Int] = []
            OrderedPipeline<Int, Int>(jobs: jobs, window: 5).run(
                produce: { emit in
                    for i in 0..<500 { if !emit(i) { return } }
                },
                work: { i in
                    var x = 0
                    for k in 0..<((i * 7919) % 3000) { x &+= k }  // uneven work
                    return i + (x == -1 ? 1 : 0)
                },
                consume: {
                    got.append($0)
                    return true
                })
            #expect(got == Array(0..<500), "jobs \(jobs)")
        }
    }

    @Test("a writer that stops early stops the reader and every worker, and the run returns")
    func stopsEarly() {
        for jobs in [2, 4] {
            var got: [Int] = []
            OrderedPipeline<Int, Int>(jobs: jobs, window: 3).run(
                produce: { emit in
                    for i in 0..<100_000 { if !emit(i) { return } }
                }, work: { $0 },
                consume: {
                    got.append($0)
                    return got.count < 10
                })
            #expect(got == Array(0..<10), "jobs \(jobs)")
        }
    }

    @Test("an empty input and an input of one item end the run, in order", arguments: [0, 1, 2, 7])
    func smallInputs(_ n: Int) {
        for jobs in [2, 3] {
            var got: [Int] = []
            OrderedPipeline<Int, Int>(jobs: jobs, window: 2).run(
                produce: { emit in
                    for i in 0..<n { if !emit(i) { return } }
                }, work: { $0 * 2 },
                consume: {
                    got.append($0)
                    return true
                })
            #expect(got == (0..<n).map { $0 * 2 }, "jobs \(jobs)")
        }
    }
}
