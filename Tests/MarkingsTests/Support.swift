import Foundation
import OfficeDocuments

@testable import MailParsing
@testable import Markings

let sharedReader = try! MarkingReader(options: .standard())

/// Builds a message: extra header lines, an optional subject, a plain-text body.
func makeMessage(subject: String? = nil, headers: [String] = [], body: String = "Hello.\n") -> String {
    var s = headers.map { $0 + "\n" }.joined()
    if let subject { s += "Subject: \(subject)\n" }
    return s + "\n" + body
}

func read(_ text: String, reader: MarkingReader = sharedReader) throws -> MarkingResult {
    reader.read(try Message(parsing: Array(text.utf8)))
}

extension MarkingResult {
    var classificationName: String? { classification?.name }
    var endorsementNames: [String] { endorsements.map(\.name) }
    var findingIDs: Set<String> { Set(findings.map(\.id.rawValue)) }
}
