import Foundation
import MailParsing
import Testing

@_spi(Fuzzing) @testable import Markings

/// Replays the marking-grammar fuzz seeds and any crashers (`Corpus/fuzz-regressions/marking-*`)
/// through the fuzz target's own entry point.
@Suite("Marking fuzz replays")
struct MarkingFuzzReplayTests {
    static let root = MarkingCorpusTests.root
    static let inputs: [String] = {
        var out: [String] = []
        for d in ["Corpus/fuzz-seeds/marking", "Corpus/fuzz-regressions"] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + d)) ?? []
            where d.hasSuffix("marking") || f.hasPrefix("marking-") {
                out.append(d + "/" + f)
            }
        }
        return out.sorted()
    }()

    @Test("there are seeds to replay") func notEmpty() { #expect(Self.inputs.count >= 3) }

    @Test(arguments: inputs)
    func replays(_ path: String) throws {
        MarkingFuzzEntryPoints.readMarkingText(
            Array(try Data(contentsOf: URL(fileURLWithPath: Self.root + "/" + path))))
    }

    @Test("pathological inputs stay linear: long runs of separators, brackets and slashes", .timeLimit(.minutes(1)))
    func pathological() {
        for s in [
            String(repeating: "[", count: 5000), String(repeating: "SECRET//", count: 2000),
            String(repeating: "REL TO NZL, ", count: 2000),
            String(repeating: "=?utf-8?Q?a?= ", count: 2000),
            "[" + String(repeating: "SEC=SECRET, ", count: 2000) + "]",
            String(repeating: "=?utf-8?q?", count: 20000) + "?=", String(repeating: "SECRET ", count: 3000) + "SECRET",
            String(repeating: "[a] ", count: 20000), String(repeating: "[SECRET] ", count: 5000),
        ] {
            MarkingFuzzEntryPoints.readMarkingText(Array(s.utf8))
        }
        // An HTML body of '<' with no '>' (tag scanning must not restart at every '<').
        let html = "Content-Type: text/html\n\n" + String(repeating: "<a", count: 200_000)
        _ = sharedReader.read(try! MailParsing.Message(parsing: Array(html.utf8)))
    }
}
