import Testing
@testable import ArchiveScan

@Suite("Ordered pipeline")
struct PipelineTests {
    @Test("results come out in input order whatever the number of workers")
    func ordered() {
        for jobs in [1, 2, 4] {
            var got: [Int] = []
            OrderedPipeline<Int, Int>(jobs: jobs, window: 5).run(produce: { emit in
                for i in 0..<500 { if !emit(i) { return } }
            }, work: { i in
                var x = 0
                for k in 0..<((i * 7919) % 3000) { x &+= k }  // uneven work
                return i + (x == -1 ? 1 : 0)
            }, consume: { got.append($0); return true })
            #expect(got == Array(0..<500), "jobs \(jobs)")
        }
    }
}
