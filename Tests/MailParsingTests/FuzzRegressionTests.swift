import Foundation
import Testing

@_spi(Fuzzing) @testable import MailParsing

/// Every crasher the fuzzers found, replayed through the same code the fuzz target runs.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let dir = TestPaths.root + "/Corpus/fuzz-regressions"
    static let inputs: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()

    @Test("a comment that ends in a backslash at the end of a Content-Type value")
    func commentEndsInBackslash() {
        let p = HeaderParameters.parse("text/plain (comment \\")
        #expect(p.value == "text/plain")
    }

    @Test(arguments: inputs)
    func replays(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.dir + "/" + name)))
        FuzzEntryPoints.parseMessage(bytes)
    }
}
