import ArgumentParser
import Benchmarking

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure parse throughput against a raw read + memchr line split of the same file (build with -c release).")

    @Option(help: "Archive to measure; generated deterministically when missing.")
    var archive: String = "bench-data/generated.mbox"

    @Option(help: "Size of the generated archive in MB.")
    var sizeMB: Int = 220

    @Option(help: "Repetitions per measurement (best is reported).")
    var repeats: Int = 3

    func run() throws {
        try BenchmarkRunner(archive: archive, sizeMB: sizeMB, repeats: repeats).run { print($0) }
    }
}
