import AuditStore
import Foundation
import PolicyLanguage
import Testing

@testable import DecisionEngine
@testable import PolicyHarness

/// `logged: true`: the decision is recorded through the audit store's own recording path in a
/// temporary store and read back; on a blocked message it demonstrates 15.2.40.C.02 [CID:1761].
@Suite("Harness: the logged expectation")
struct LoggedTests {
    static let blocked = """
        message: {subject: "[SECRET] Plan", body: "SECRET\\n\\nx\\n"}
            envelope: {direction: outbound, mail-from: aroha@agency.govt.nz, rcpt: [a@gmail.com, b@dpmc.govt.nz]}
        """
    static let logging = "NZISM 15.2.40.C.02 [CID:1761]"

    @Test(
        "a blocked message with logged: true passes and demonstrates 15.2.40.C.02; without it the control is uncovered")
    func blockedIsLogged() throws {
        let r = try ClaimTests.run(
            """
            cases:\n  - name: blocked and logged\n    controls: [15.2.40.C.02]\n    \(Self.blocked)\n    expect: \
            {decision: block, logged: true}\n
            """
        )
        #expect(r.failed == 0, "\(r.results.flatMap(\.failures))")
        #expect(r.results.first?.demonstratedControls.contains("15.2.40.C.02") == true)
        #expect(r.coverage.entries.first?.uncoveredControls.contains(Self.logging) == false)
        let without = try ClaimTests.run(
            "cases:\n  - name: blocked\n    \(Self.blocked)\n    expect: {decision: block}\n")
        #expect(without.coverage.entries.first?.controls.contains(Self.logging) == true)
        #expect(without.coverage.entries.first?.uncoveredControls.contains(Self.logging) == true)
    }

    @Test(
        """
        logged: true on an allowed message is checked but does not demonstrate the block-logging control; a tag \
        claiming it fails
        """
    )
    func allowedIsLoggedButNotABlock() throws {
        let allowed =
            """
            message: {subject: "[IN-CONFIDENCE] x"}\n    envelope: {direction: outbound, mail-from: \
            aroha@agency.govt.nz, rcpt: [a@gmail.com]}
            """
        let r = try ClaimTests.run(
            "cases:\n  - name: allowed and logged\n    \(allowed)\n    expect: {decision: allow, logged: true}\n")
        #expect(r.failed == 0, "\(r.results.flatMap(\.failures))")
        #expect(r.results.first?.demonstratedControls.contains("15.2.40.C.02") == false)
        let tagged = try ClaimTests.run(
            """
            cases:\n  - name: tagged, not logged\n    controls: [15.2.40.C.02]\n    \(Self.blocked)\n    expect: \
            {decision: block}\n
            """
        )
        #expect(tagged.results.first?.failures.contains { $0.hasPrefix("controls: tagged 15.2.40.C.02") } == true)
    }

    /// A real store's record of a blocked decision, to tamper with.
    func recorded() throws -> (AuditRecord, Verdict, AuditStore, Policy) {
        let policy = try PolicyLoader.embeddedDefault()
        let engine = try Engine(policy: policy)
        let bytes = Array("From: A <aroha@agency.govt.nz>\nTo: a@gmail.com\nSubject: [SECRET] Plan\n\nSECRET\n".utf8)
        let e = engine.evaluate(
            bytes: bytes,
            envelope: Envelope(direction: .outbound, mailFrom: "aroha@agency.govt.nz", recipients: ["a@gmail.com"]),
            envelopeFromHeaders: true)
        let dir = NSTemporaryDirectory() + "pmark-logged-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try AuditStore(path: dir + "/a.sqlite", options: .init(privacy: policy.privacy))
        try store.appendSync([
            DecisionEvent(
                unixTime: 0, origin: .check(source: "t"), envelope: e.envelope, verdict: e.verdict, messageBytes: bytes)
        ])
        let r = try #require(try store.records(AuditFilter()).first)
        return (r, e.verdict, store, policy)
    }

    @Test(
        "the check compares what the store kept with the decision: every tampered field is a failure",
        arguments: [
            "action", "recipient", "reason", "control", "bytes", "subject", "chain",
        ])
    func tamperedRecordFails(_ field: String) throws {
        let (good, v, store, policy) = try recorded()
        #expect(LoggedCheck.compare(good, v, store: store, privacy: policy.privacy, chainIntact: true).isEmpty)
        var r = good
        var chain = true
        switch field {
        case "action": r.action = "allow"
        case "recipient": r.recipients = []
        case "reason": r.reasons.removeLast()
        case "control": r.reasons[0].control = "15.2.40.C.99"
        case "bytes": r.quarantine = nil
        case "subject": r.subject = "[SECRET] Plan"
        default: chain = false
        }
        let failures = LoggedCheck.compare(r, v, store: store, privacy: policy.privacy, chainIntact: chain)
        #expect(failures.count == 1, "\(failures)")
        #expect(failures.allSatisfy { $0.hasPrefix("logged: ") })
    }

    @Test("recipients are compared in the form the privacy settings store them: the keyed hash, never the address")
    func recipientsHashed() throws {
        let (r, _, store, policy) = try recorded()
        #expect(!policy.privacy.logAddresses)
        #expect(r.recipients.map(\.recipient) == [store.addressKey("a@gmail.com")])
    }
}
