import Testing

@testable import Markings

/// One table row: a message, the expected effective marking and the expected finding ids.
/// `unmarked` is expected automatically when `classification` is nil (and only then), unless
/// `findings` says otherwise for an element-marked message.
struct MarkingCase: CustomTestStringConvertible, Sendable {
    var name: String
    var message: String
    var classification: String?
    var endorsements: [String]
    var findings: Set<String>
    var testDescription: String { name }

    init(
        _ name: String, _ message: String, _ classification: String?, _ endorsements: [String] = [],
        findings: Set<String> = []
    ) {
        self.name = name
        self.message = message
        self.classification = classification
        self.endorsements = endorsements
        self.findings = findings
    }

    /// A case whose only marking location is the subject.
    static func subject(_ name: String, _ subject: String, _ c: String?, _ e: [String] = [], findings: Set<String> = [])
        -> MarkingCase
    {
        MarkingCase(
            name, makeMessage(subject: subject), c, e, findings: c == nil ? findings.union(["unmarked"]) : findings)
    }
    /// A case whose only marking location is the body.
    static func body(
        _ name: String, _ body: String, _ c: String?, _ e: [String] = [], findings: Set<String> = [],
        contentType: String = "text/plain"
    ) -> MarkingCase {
        MarkingCase(
            name, makeMessage(subject: "hello", headers: ["Content-Type: \(contentType); charset=utf-8"], body: body),
            c, e,
            findings: c == nil ? findings.union(["unmarked"]) : findings)
    }
    /// A case whose only marking location is X-Protective-Marking.
    static func header(_ name: String, _ value: String, _ c: String?, _ e: [String] = [], findings: Set<String> = [])
        -> MarkingCase
    {
        MarkingCase(
            name, makeMessage(subject: "hello", headers: ["X-Protective-Marking: " + value]), c, e,
            findings: c == nil ? findings.union(["unmarked"]) : findings)
    }

    func check(reader: MarkingReader = sharedReader) throws {
        let r = try read(message, reader: reader)
        #expect(r.classificationName == classification, "classification")
        #expect(r.endorsementNames == endorsements.sorted(), "endorsements")
        #expect(r.findingIDs == findings, "findings: \(r.findings.map(\.description))")
    }
}
