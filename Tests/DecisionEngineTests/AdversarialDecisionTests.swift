import MailParsing
import Markings
import Testing

@testable import DecisionEngine

/// Trust and decision rows of issue 11 (spec §10.10–10.12). Each row let a SECRET, RESTRICTED or
/// spoofed message through on wave1-landed.
@Suite("Adversarial decisions (spec §10.10–10.12)")
struct AdversarialDecisionTests {
    struct SpoofRow: CustomTestStringConvertible, Sendable {
        var name: String
        var results: String
        var spoofRule: Bool
        var testDescription: String { name }
    }

    static let spoofRows: [SpoofRow] = [
        SpoofRow(
            name: "dkim fail for the domain with spf pass for the attacker",
            results: "mx.agency.govt.nz; dkim=fail header.d=agency.govt.nz; spf=pass smtp.mailfrom=bounce@evil.example",
            spoofRule: true),
        SpoofRow(
            name: "dkim pass for agency.govt.nz.evil.example",
            results: "mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz.evil.example", spoofRule: true),
        SpoofRow(
            name: "spf pass for a mailfrom whose local part is the domain",
            results: "mx.agency.govt.nz; spf=pass smtp.mailfrom=agency.govt.nz@evil.example", spoofRule: true),
        SpoofRow(
            name: "the domain only in a comment",
            results: "mx.agency.govt.nz; dkim=pass (header.d=agency.govt.nz) header.d=evil.example", spoofRule: true),
        SpoofRow(
            name: "a genuine dkim pass for the domain", results: "mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz",
            spoofRule: false),
        SpoofRow(
            name: "a genuine pass from an authserv-id written in upper case",
            results: "MX.Agency.govt.nz; dkim=pass header.d=agency.govt.nz", spoofRule: false),
    ]

    @Test("PM-SPOOF-001 accepts a pass only for the exact domain (spec §10.10)", arguments: spoofRows)
    func spoof(_ r: SpoofRow) {
        let v = Fixture.verdict(
            subject: "[UNCLASSIFIED] x", from: "CEO <ceo@agency.govt.nz>",
            headers: ["Authentication-Results: " + r.results],
            direction: .inbound, mailFrom: "ceo@agency.govt.nz", rcpts: ["me@agency.govt.nz"])
        #expect(v.ruleIDs.contains("PM-SPOOF-001") == r.spoofRule, "\(v.ruleIDs)")
    }

    @Test("outbound with no recipients is judged against the default path (spec §10.12)")
    func noRecipients() throws {
        let v = Fixture.verdict(subject: "[RESTRICTED] budget", direction: .outbound, rcpts: [])
        #expect(v.messageAction == .block)
        let d = try #require(v.decisions.first)
        #expect(d.path == "internet")
        #expect(d.reasons.contains { $0.rule.id == "PM-OUT-001" })
    }

    struct UnknownRow: CustomTestStringConvertible, Sendable {
        var name: String
        var subject: String
        var headers: [String]
        var testDescription: String { name }
    }

    static let unknownRows: [UnknownRow] = [
        UnknownRow(
            name: "an unknown caveat beside SEC=SECRET in the header", subject: "budget",
            headers: [
                "X-Protective-Marking: VER=2024.1, NS=gov.au, SEC=SECRET, CAVEAT=SH:WHATEVER, ORIGIN=a@b.gov.au"
            ]),
        UnknownRow(
            name: "an unknown NZ caveat beside SEC=SECRET in the header", subject: "budget",
            headers: [
                "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=SECRET, CAVEAT=SH:WHATEVER, ORIGIN=a@b.govt.nz"
            ]),
        UnknownRow(
            name: "an unknown field beside SEC=SECRET in the subject", subject: "[SEC=SECRET, FOO=BAR] budget",
            headers: []),
        UnknownRow(
            name: "a bare word beside SEC=SECRET in the header", subject: "budget",
            headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=SECRET, WHATEVER"]),
    ]

    @Test(
        "an unknown endorsement or field never erases SECRET: outbound to the internet is blocked (spec §10.11)",
        arguments: unknownRows)
    func unknownEndorsement(_ r: UnknownRow) throws {
        let v = Fixture.verdict(subject: r.subject, headers: r.headers, rcpts: ["a@gmail.com"])
        #expect(v.markings?.classification?.name == "SECRET")
        #expect(!(v.markings?.has(.unmarked) ?? true))
        #expect(v.messageAction != .allow)
        #expect(v.decision(for: "a@gmail.com")?.action == .block)
        #expect(v.ruleIDs.contains("PM-OUT-001"))
    }
}
