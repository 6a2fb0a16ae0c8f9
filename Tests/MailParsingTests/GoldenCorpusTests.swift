import Foundation
import Testing

@testable import MailParsing

/// `Corpus/mime/<name>.eml` → `<name>.tree.txt` (structure and defects).
/// `RECORD_GOLDENS=1 swift test` rewrites the goldens and fails, so a recording run never passes.
@Suite("Project MIME corpus goldens")
struct GoldenCorpusTests {
    static let dir = TestPaths.root + "/Corpus/mime"
    static let inputs: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        .filter { $0.hasSuffix(".eml") }.sorted()

    static func render(_ m: Message) -> String {
        var s = "structure: \(m.structureSummary)\n"
        s += "subject: \(m.subject ?? "(none)")\n"
        for d in m.allDefects { s += "defect: \(d)\n" }
        return s
    }

    @Test("the corpus is not empty")
    func notEmpty() { #expect(Self.inputs.count >= 2) }

    @Test(arguments: inputs)
    func golden(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.dir + "/" + name)))
        let actual = Self.render(try Message(parsing: bytes))
        let goldenPath = Self.dir + "/" + name.dropLast(4) + ".tree.txt"
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
            try actual.write(toFile: goldenPath, atomically: true, encoding: .utf8)
            Issue.record("recorded \(goldenPath); rerun without RECORD_GOLDENS")
            return
        }
        let expected = try String(contentsOfFile: goldenPath, encoding: .utf8)
        #expect(actual == expected)
    }
}
