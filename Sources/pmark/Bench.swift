import ArchiveScan
import ArgumentParser
import Benchmarking
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Measure parse throughput against a raw read + memchr line split of the same file (build with -c release).")

    @Option(
        help:
            """
            Archive to measure; generated deterministically when missing (an existing file pmark did not generate is \
            measured as it is, never written).
            """
    )
    var archive: String = "bench-data/generated.mbox"

    @Option(help: "Size of the generated archive in MB.")
    var sizeMB: Int = 220

    @Option(help: "Repetitions per measurement (best is reported).")
    var repeats: Int = 3

    @Flag(help: "Only generate the archive (when missing), then stop.")
    var generateOnly = false

    func run() throws {
        do {
            if generateOnly {
                try BenchmarkRunner(archive: archive, sizeMB: sizeMB, repeats: repeats).ensureArchive { print($0) }
                return
            }
            try BenchmarkRunner(archive: archive, sizeMB: sizeMB, repeats: repeats).run { print($0) }
        } catch let e as SafeOutput.Refused {
            FileHandle.standardError.write(Data("pmark: \(e)\n".utf8))
            throw ExitCode(73)
        }
    }
}
