import Foundation
import PolicyLanguage
import Testing

@testable import PolicyHarness

/// `pmark policy diff`: each pair of policies differs in one setting; the diff must name that
/// setting and exactly the cases whose verdict it changes, with both verdicts.
@Suite("Policy diff")
struct PolicyDiffTests {
    struct Edit: CustomTestStringConvertible, Sendable {
        var id: String
        var from: String
        var to: String
        var setting: String
        /// A case whose verdict must change, with its old and new message actions.
        var changedCase: String?
        var oldAction: String = ""
        var newAction: String = ""
        var testDescription: String { id }
    }
    static let edits: [Edit] = [
        .init(
            id: "raise the internet ceiling", from: "  - name: internet\n    ceiling: IN-CONFIDENCE",
            to: "  - name: internet\n    ceiling: RESTRICTED",
            setting: "paths.internet.ceiling: IN-CONFIDENCE → RESTRICTED",
            changedCase: "RESTRICTED exceeds the internet path but may go to all-of-government [someone@gmail.com]",
            oldAction: "block", newAction: "allow"),
        .init(
            id: "allow unmarked outbound mail", from: "unmarked-outbound: quarantine", to: "unmarked-outbound: allow",
            setting: "actions.unmarked-outbound: quarantine → allow",
            changedCase: "unmarked mail is quarantined outbound and internally [outbound a@gmail.com]",
            oldAction: "quarantine", newAction: "allow"),
        .init(
            id: "stop trusting the gateway's authserv-id", from: "trusted-authserv-ids: [mx.agency.govt.nz]",
            to: "trusted-authserv-ids: []",
            setting: "authentication.trusted-authserv-ids: [mx.agency.govt.nz] → []",
            changedCase: "a trusted DKIM pass for the agency domain clears the spoofing rule", oldAction: "allow",
            newAction: "block"),
        .init(
            id: "raise the accreditation", from: "  accreditation: RESTRICTED", to: "  accreditation: SECRET",
            setting: "system.accreditation: RESTRICTED → SECRET",
            changedCase: "internal SECRET mail exceeds the system", oldAction: "block", newAction: "allow"),
        .init(
            id: "log subjects (no verdict changes)", from: "log-subjects: false", to: "log-subjects: true",
            setting: "privacy.log-subjects: false → true", changedCase: nil),
    ]

    static func policies(_ e: Edit) throws -> (Policy, Policy) {
        let text = try String(contentsOfFile: H.root + "/policies/default.yaml", encoding: .utf8)
        #expect(text.contains(e.from), "edit does not apply: \(e.id)")
        return (
            try PolicyLoader.load(yaml: text, file: "old.yaml"),
            try PolicyLoader.load(yaml: text.replacingOccurrences(of: e.from, with: e.to), file: "new.yaml")
        )
    }

    @Test(
        "a one-setting change lists that setting and the cases whose verdict it changes, with both verdicts",
        arguments: edits)
    func oneSetting(_ e: Edit) throws {
        let (a, b) = try Self.policies(e)
        let d = try PolicyDiff.compare(old: a, new: b, suite: [try PolicyTestLoader.load(path: H.defaultSuite)])
        #expect(d.settings.map(\.description) == [e.setting])
        #expect(d.casesCompared > 100)
        if let name = e.changedCase {
            let c = try #require(d.cases.first { $0.name == name }, "\(d.cases.map(\.name))")
            #expect(c.old.hasPrefix(e.oldAction + " ["), "\(c.old)")
            #expect(c.new.hasPrefix(e.newAction + " ["), "\(c.new)")
            #expect(c.location.hasPrefix(H.defaultSuite + ":"))
            let text = d.text(old: "old.yaml", new: "new.yaml")
            #expect(text.contains("  \(name)  (\(c.location))\n    old: \(c.old)\n    new: \(c.new)\n"))
        } else {
            #expect(d.cases.isEmpty)
        }
    }

    @Test("identical policies have no differences")
    func identical() throws {
        let p = try PolicyLoader.load(contentsOf: H.root + "/policies/default.yaml")
        let d = try PolicyDiff.compare(old: p, new: p, suite: [try PolicyTestLoader.load(path: H.defaultSuite)])
        #expect(d.isEmpty)
        #expect(d.text(old: "a", new: "b").contains("settings: no change"))
    }

    @Test(
        """
        corpus messages are evaluated under both policies with the envelope from their headers; unreadable files are \
        listed
        """
    )
    func corpus() throws {
        let (a, b) = try Self.policies(Self.edits[0])
        let dir = NSTemporaryDirectory() + "pmark-diff-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "From: a@agency.govt.nz\nTo: b@gmail.com\nSubject: [RESTRICTED] x\n\nhi\n".write(
            toFile: dir + "/restricted.eml", atomically: true, encoding: .utf8)
        try "From: a@agency.govt.nz\nTo: b@gmail.com\nSubject: [SECRET] x\n\nhi\n".write(
            toFile: dir + "/secret.eml", atomically: true, encoding: .utf8)
        let d = try PolicyDiff.compare(old: a, new: b, corpus: [dir, dir + "/missing.eml"])
        #expect(d.messagesCompared == 2)
        #expect(d.messages.map(\.name) == [dir + "/restricted.eml"])
        #expect(d.messages.first?.old.hasPrefix("block [internet block (PM-OUT-001)]") == true)
        #expect(d.messages.first?.new.hasPrefix("allow [internet allow]") == true)
        #expect(d.unreadable == [dir + "/missing.eml"])
    }

    @Test("a path added or removed is one setting")
    func pathAdded() throws {
        let text = try String(contentsOfFile: H.root + "/policies/default.yaml", encoding: .utf8)
        let a = try PolicyLoader.load(yaml: text, file: "a")
        var b = a
        b.paths.removeAll { $0.name == "all-of-government" }
        let s = PolicyDiff.settings(a, b)
        #expect(s.count == 1 && s.first?.setting == "paths.all-of-government" && s.first?.new == "(absent)")
    }
}
