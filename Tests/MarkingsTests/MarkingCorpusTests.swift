import Foundation
import TestSupport
import Testing

@testable import MailParsing
@testable import Markings

/// `Corpus/markings/<name>.eml` → `<name>.markings.json` beside it.
/// `RECORD_GOLDENS=1 swift test` rewrites the goldens and fails, so a recording run never passes.
@Suite("Project marking corpus goldens")
struct MarkingCorpusTests {
    static let root = Repository.root
    static let dir = root + "/Corpus/markings"
    static let inputs: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter {
        $0.hasSuffix(".eml")
    }.sorted()

    struct Golden: Codable, Equatable {
        struct Finding: Codable, Equatable {
            var id: String
            var location: String
        }
        struct Reading: Codable, Equatable {
            var location: String
            var marking: String?
        }
        var classification: String?
        var endorsements: [String]
        var findings: [Finding]
        var readings: [Reading]
        var autoForward: [String]
    }

    static func golden(_ r: MarkingResult) -> Golden {
        Golden(
            classification: r.classification?.name, endorsements: r.endorsements.map(\.name),
            findings: r.findings.map { .init(id: $0.id.rawValue, location: $0.location) },
            readings: r.readings.map { .init(location: $0.location, marking: $0.marking?.text) },
            autoForward: r.autoForwardSignals)
    }

    @Test("the corpus covers every finding kind and every location kind")
    func coverage() throws {
        var ids = Set<String>(), locations = Set<String>()
        for name in Self.inputs {
            let r = sharedReader.read(
                try Message(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: Self.dir + "/" + name)))))
            ids.formUnion(r.findings.map(\.id.rawValue))
            locations.formUnion(r.readings.map { $0.location.split(separator: ":").first.map(String.init) ?? "" })
            locations.formUnion(r.readings.map { String($0.location.split(separator: ":").dropFirst().first ?? "") })
        }
        // covered by unit tests
        let expectedIDs = Set(FindingID.allCases.map(\.rawValue)).subtracting(["element-not-inspected"])
        #expect(expectedIDs.isSubset(of: ids), "missing findings: \(expectedIDs.subtracting(ids))")
        for l in [
            "subject", "header", "body", "attachment[1]", "name", "first-line", "last-line", "property",
            "header-footer", "attachment[1]/message",
        ] {
            #expect(locations.contains(l), "missing location \(l)")
        }
    }

    @Test(arguments: inputs)
    func golden(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.dir + "/" + name)))
        let actual = Self.golden(sharedReader.read(try Message(parsing: bytes)))
        let path = Self.dir + "/" + name.dropLast(4) + ".markings.json"
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
            try (String(decoding: try enc.encode(actual), as: UTF8.self) + "\n").write(
                toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(path); review it and rerun without RECORD_GOLDENS")
            return
        }
        let expected = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(actual == expected)
    }
}
