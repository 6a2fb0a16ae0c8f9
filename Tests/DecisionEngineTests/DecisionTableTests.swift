import Foundation
import MailParsing
import Markings
import OfficeDocuments
import PolicyLanguage
import TestSupport
import Testing

@testable import DecisionEngine

enum Fixture {
    static let root = Repository.root
    static let defaultEngine = try! Engine(
        policy: try! PolicyLoader.load(contentsOf: root + "/policies/default.yaml"), documents: OOXMLReader())
    static let secretEngine = try! Engine(
        policy: try! PolicyLoader.load(contentsOf: root + "/policies/examples/secret-system.yaml"),
        documents: OOXMLReader())

    static func message(
        subject: String, from: String = "Aroha <aroha@agency.govt.nz>", headers: [String] = [],
        body: String = "Kia ora.\n"
    ) -> [UInt8] {
        Array((["From: \(from)", "Subject: \(subject)"] + headers).joined(separator: "\n").utf8)
            + Array("\n\n\(body)".utf8)
    }

    static func verdict(
        _ engine: Engine = defaultEngine, subject: String, from: String = "Aroha <aroha@agency.govt.nz>",
        headers: [String] = [], body: String = "Kia ora.\n",
        direction: Direction? = nil, mailFrom: String? = nil, rcpts: [String]
    ) -> Verdict {
        engine.evaluate(
            bytes: message(subject: subject, from: from, headers: headers, body: body),
            envelope: Envelope(
                direction: direction, mailFrom: mailFrom ?? Engine.domain(from).map { "aroha@\($0)" }, recipients: rcpts
            ))
    }
}

extension Verdict {
    var ruleIDs: Set<String> { Set(decisions.flatMap(\.reasons).map(\.rule.id)) }
    func decision(for rcpt: String) -> RecipientDecision? { decisions.first { $0.recipients.contains(rcpt) } }
}

@Suite("Decision table (spec §6): outbound")
struct OutboundDecisionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var subject: String
        var rcpt: String
        var action: Action
        var rule: String?
        var control: String?
        var testDescription: String { name }
    }
    static let cases: [Case] = [
        .init(
            name: "IN-CONFIDENCE to the internet is allowed", subject: "[IN-CONFIDENCE] x", rcpt: "a@gmail.com",
            action: .allow, rule: nil, control: nil),
        .init(
            name: "SENSITIVE to the internet exceeds the path", subject: "[SENSITIVE] x", rcpt: "a@gmail.com",
            action: .block, rule: "PM-OUT-001", control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "RESTRICTED to all-of-government is allowed", subject: "[RESTRICTED] x", rcpt: "a@dpmc.govt.nz",
            action: .allow, rule: nil, control: nil),
        .init(
            name: "SECRET to all-of-government exceeds the path", subject: "[SECRET] x", rcpt: "a@dpmc.govt.nz",
            action: .block, rule: "PM-OUT-001", control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "NZEO to the internet is blocked even when the classification fits",
            subject: "[IN-CONFIDENCE//NZEO] x", rcpt: "a@gmail.com", action: .block, rule: "PM-OUT-002",
            control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "NZEO to the NZ-only all-of-government path is allowed", subject: "[RESTRICTED//NZEO] x",
            rcpt: "a@treasury.govt.nz", action: .allow, rule: nil, control: nil),
        .init(
            name: "REL TO AUS, NZL does not cover the internet", subject: "[IN-CONFIDENCE//REL TO NZL, AUS] x",
            rcpt: "a@gmail.com", action: .block, rule: "PM-OUT-003", control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "REL TO NZL covers the NZ-only path", subject: "[RESTRICTED//REL TO NZL] x", rcpt: "a@mfat.govt.nz",
            action: .allow, rule: nil, control: nil),
        .init(
            name: "an endorsement the path does not permit", subject: "[IN-CONFIDENCE//ORCON] x", rcpt: "a@gmail.com",
            action: .block, rule: "PM-OUT-004", control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "a P&P endorsement the path permits", subject: "[IN-CONFIDENCE//MEDICAL] x", rcpt: "a@gmail.com",
            action: .allow, rule: nil, control: nil),
        .init(
            name: "AUSTEO never leaves", subject: "[RESTRICTED//AUSTEO] x", rcpt: "a@dpmc.govt.nz", action: .block,
            rule: "PM-OUT-005", control: "NZISM 15.2.40.C.01 [CID:1760]"),
        .init(
            name: "unmarked outbound is quarantined by default", subject: "hello", rcpt: "a@gmail.com",
            action: .quarantine, rule: "PM-UNM-002", control: "NZISM 15.2.39.C.03 [CID:1756]"),
        .init(
            name: "inappropriately marked outbound is quarantined", subject: "[SEC=SECRT] x", rcpt: "a@gmail.com",
            action: .quarantine, rule: "PM-INAPP-002", control: "NZISM 15.2.39.C.03 [CID:1756]"),
    ]

    @Test(arguments: cases)
    func row(_ c: Case) throws {
        let v = Fixture.verdict(subject: c.subject, rcpts: [c.rcpt])
        #expect(v.direction == .outbound)
        let d = try #require(v.decision(for: c.rcpt))
        #expect(d.action == c.action)
        if let rule = c.rule {
            let r = try #require(d.reasons.first { $0.rule.id == rule })
            #expect(r.rule.controls.contains(c.control!))
            #expect(r.action == c.action)
        } else {
            #expect(d.reasons.isEmpty)
        }
    }

    @Test("a message to recipients on two paths gets two decisions")
    func twoPaths() {
        let v = Fixture.verdict(
            subject: "[RESTRICTED] plan", rcpts: ["a@dpmc.govt.nz", "b@gmail.com", "c@treasury.govt.nz"])
        #expect(v.decisions.count == 2)
        #expect(v.decision(for: "a@dpmc.govt.nz")?.path == "all-of-government")
        #expect(v.decision(for: "a@dpmc.govt.nz")?.recipients == ["a@dpmc.govt.nz", "c@treasury.govt.nz"])
        #expect(v.decision(for: "a@dpmc.govt.nz")?.action == .allow)
        #expect(v.decision(for: "b@gmail.com")?.path == "internet")
        #expect(v.decision(for: "b@gmail.com")?.action == .block)
        #expect(v.messageAction == .allow)  // blocked recipients removed, the rest delivered
    }

    @Test("a quarantine for any recipient holds the whole message")
    func quarantineHoldsAll() {
        let v = Fixture.verdict(subject: "[SEC=SECRT] x", rcpts: ["a@dpmc.govt.nz", "b@gmail.com"])
        #expect(v.messageAction == .quarantine)
    }

    @Test("the verdict names the policy and its content hash")
    func identity() {
        let v = Fixture.verdict(subject: "[IN-CONFIDENCE] x", rcpts: ["a@gmail.com"])
        #expect(v.policyName == "NZ agency default")
        #expect(v.policyHash == Fixture.defaultEngine.policy.contentHash && v.policyHash.count == 64)
    }
}

@Suite("Decision table (spec §6): inbound and internal")
struct InboundDecisionTests {
    static let ext = "Partner <p@partner.example>"

    @Test("inbound within the accreditation is allowed")
    func allowed() {
        let v = Fixture.verdict(subject: "[RESTRICTED] x", from: Self.ext, rcpts: ["me@agency.govt.nz"])
        #expect(v.direction == .inbound && v.messageAction == .allow)
    }

    @Test("inbound above the accreditation is blocked under 15.2.41.C.01 and the recipient is to be told")
    func aboveAccreditation() throws {
        let v = Fixture.verdict(subject: "[SECRET] x", from: Self.ext, rcpts: ["me@agency.govt.nz"])
        let r = try #require(v.decisions.first?.reasons.first)
        #expect(r.rule.id == "PM-IN-001" && r.rule.controls == ["NZISM 15.2.41.C.01 [CID:1764]"] && r.action == .block)
        #expect(v.notifyRecipients)
    }

    @Test(
        "inbound AUSTEO, an unlisted codeword and a non-held endorsement exceed the system",
        arguments: ["[RESTRICTED//AUSTEO] x", "[RESTRICTED//KESTREL] x", "[RESTRICTED//ORCON] x"])
    func endorsements(_ subject: String) {
        let v = Fixture.verdict(subject: subject, from: Self.ext, rcpts: ["me@agency.govt.nz"])
        #expect(v.ruleIDs.contains("PM-IN-002"))
        #expect(v.messageAction == .block)
    }

    @Test("unmarked inbound below CONFIDENTIAL is allowed and tagged by default")
    func unmarkedLow() {
        let v = Fixture.verdict(subject: "hello", from: Self.ext, rcpts: ["me@agency.govt.nz"])
        #expect(v.messageAction == .allowAndTag && v.ruleIDs == ["PM-UNM-002"])
    }

    @Test(
        "unmarked mail on a system accredited CONFIDENTIAL or above is blocked (15.2.39.C.01)",
        arguments: [Direction.inbound, .outbound, .internal])
    func unmarkedHigh(_ d: Direction) throws {
        let v = Fixture.verdict(
            Fixture.secretEngine, subject: "hello", from: "A <a@secure.agency.govt.nz>", direction: d,
            rcpts: [d == .outbound ? "x@secure.partner.govt.nz" : "b@secure.agency.govt.nz"])
        let r = try #require(v.decisions.first?.reasons.first { $0.rule.id == "PM-UNM-001" })
        #expect(r.action == .block && r.rule.controls == ["NZISM 15.2.39.C.01 [CID:1754]"])
    }

    @Test("inappropriately marked inbound is quarantined (15.2.39.C.03 below CONFIDENTIAL)")
    func inappropriateInbound() throws {
        let v = Fixture.verdict(
            subject: "[RESTRICTED] x", from: Self.ext,
            headers: ["X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=UNCLASSIFIED"], rcpts: ["me@agency.govt.nz"])
        let r = try #require(v.decisions.first?.reasons.first { $0.rule.id == "PM-INAPP-002" })
        #expect(
            r.action == .quarantine && r.evidence == "locations-disagree at message"
                && r.rule.controls == ["NZISM 15.2.39.C.03 [CID:1756]"])
        #expect(v.messageAction == .quarantine && v.notifyRecipients)
    }

    @Test("inappropriately marked on a high system cites 15.2.39.C.01")
    func inappropriateHigh() {
        let v = Fixture.verdict(
            Fixture.secretEngine, subject: "[SEC=SECRT] x", from: "A <a@secure.agency.govt.nz>",
            rcpts: ["b@secure.agency.govt.nz"])
        #expect(v.ruleIDs.contains("PM-INAPP-001"))
    }

    @Test("internal mail is judged against the system with the outbound unmarked rule")
    func internalMail() {
        let v = Fixture.verdict(subject: "hello", rcpts: ["b@agency.govt.nz"])
        #expect(v.direction == .internal && v.messageAction == .quarantine && v.ruleIDs == ["PM-UNM-002"])
        let secret = Fixture.verdict(subject: "[SECRET] x", rcpts: ["b@agency.govt.nz"])
        #expect(secret.ruleIDs == ["PM-IN-001"])
    }

    @Test("mail from outside to an internal-only alias is blocked for that recipient only")
    func alias() {
        let v = Fixture.verdict(
            subject: "[UNCLASSIFIED] x", from: Self.ext, rcpts: ["all-staff@agency.govt.nz", "me@agency.govt.nz"])
        #expect(v.decision(for: "all-staff@agency.govt.nz")?.action == .block)
        #expect(
            v.decision(for: "all-staff@agency.govt.nz")?.reasons.first?.rule.controls == [
                "NZISM 15.2.37.C.01 [CID:1745]"
            ])
        #expect(v.decision(for: "me@agency.govt.nz")?.action == .allow)
    }

    @Test("external mail claiming an organisation domain is blocked unless a trusted result passes it")
    func spoof() {
        let spoofed = Fixture.verdict(
            subject: "[UNCLASSIFIED] x", from: "CEO <ceo@agency.govt.nz>", direction: .inbound,
            mailFrom: "x@evil.example", rcpts: ["me@agency.govt.nz"])
        #expect(spoofed.ruleIDs == ["PM-SPOOF-001"] && spoofed.messageAction == .block)
        let passed = Fixture.verdict(
            subject: "[UNCLASSIFIED] x", from: "CEO <ceo@agency.govt.nz>",
            headers: ["Authentication-Results: mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz"],
            direction: .inbound, mailFrom: "x@evil.example", rcpts: ["me@agency.govt.nz"])
        #expect(!passed.ruleIDs.contains("PM-SPOOF-001"))
        let untrusted = Fixture.verdict(
            subject: "[UNCLASSIFIED] x", from: "CEO <ceo@agency.govt.nz>",
            headers: ["Authentication-Results: evil.example; dkim=pass header.d=agency.govt.nz"],
            direction: .inbound, mailFrom: "x@evil.example", rcpts: ["me@agency.govt.nz"])
        #expect(untrusted.ruleIDs.contains("PM-SPOOF-001"))
    }

    @Test("a notice goes to an inbound sender only with a trusted SPF pass (15.2.42.C.01)")
    func senderNotice() {
        let noSPF = Fixture.verdict(
            subject: "[SECRET] x", from: Self.ext, direction: .inbound, mailFrom: "p@partner.example",
            rcpts: ["me@agency.govt.nz"])
        #expect(!noSPF.notifySender)
        let spf = Fixture.verdict(
            subject: "[SECRET] x", from: Self.ext,
            headers: ["Authentication-Results: mx.agency.govt.nz; spf=pass smtp.mailfrom=partner.example"],
            direction: .inbound, mailFrom: "p@partner.example", rcpts: ["me@agency.govt.nz"])
        #expect(spf.notifySender)
        let untrusted = Fixture.verdict(
            subject: "[SECRET] x", from: Self.ext,
            headers: ["Authentication-Results: other.example; spf=pass smtp.mailfrom=partner.example"],
            direction: .inbound, mailFrom: "p@partner.example", rcpts: ["me@agency.govt.nz"])
        #expect(!untrusted.notifySender)
    }

    @Test("a message that cannot be inspected is quarantined, never allowed")
    func failClosed() {
        let many = (0..<6000).map { "X-H\($0): v" }.joined(separator: "\n") + "\n\nbody\n"
        let v = Fixture.defaultEngine.evaluate(
            bytes: Array(many.utf8), envelope: Envelope(direction: .inbound, recipients: ["me@agency.govt.nz"]))
        #expect(v.messageAction == .quarantine && v.ruleIDs == ["PM-ERR-001"])
    }
}

@Suite("Auto-forwarded mail gets at least the outbound checks (15.2.43.C.01)")
struct AutoForwardDecisionTests {
    static let variants: [(String, [String])] = [
        ("Exchange inbox rule", ["X-MS-Exchange-Inbox-Rules-Loop: aroha@agency.govt.nz"]),
        ("Gmail forwarding", ["X-Forwarded-To: me@gmail.com", "X-Forwarded-For: aroha@agency.govt.nz me@gmail.com"]),
        ("Resent block", ["Resent-From: aroha@agency.govt.nz", "Resent-To: me@gmail.com"]),
        ("Exchange AutoForwarded", ["X-MS-Exchange-Organization-AutoForwarded: true"]),
        ("several Delivered-To", ["Delivered-To: aroha@agency.govt.nz", "Delivered-To: aroha.private@agency.govt.nz"]),
    ]
    static let subjects = [
        "[SENSITIVE] x", "[IN-CONFIDENCE//NZEO] x", "[IN-CONFIDENCE//REL TO NZL, AUS] x", "hello", "[SEC=SECRT] x",
        "[IN-CONFIDENCE] x",
    ]

    @Test("each outbound case is never more lenient when auto-forwarded", arguments: subjects)
    func neverMoreLenient(_ subject: String) {
        let plain = Fixture.verdict(subject: subject, rcpts: ["me@gmail.com"])
        for (_, headers) in Self.variants {
            let fwd = Fixture.verdict(subject: subject, headers: headers, rcpts: ["me@gmail.com"])
            #expect(fwd.messageAction >= plain.messageAction)
            #expect(plain.ruleIDs.subtracting(["PM-FWD-001"]).isSubset(of: fwd.ruleIDs))
        }
        // Envelope/header mismatch: an internal mailbox re-sends mail whose From is external.
        let mismatch = Fixture.verdict(
            subject: subject, from: "Partner <p@partner.example>", direction: .outbound,
            mailFrom: "aroha@agency.govt.nz", rcpts: ["me@gmail.com"])
        #expect(mismatch.messageAction >= plain.messageAction)
        #expect(plain.ruleIDs.subtracting(["PM-FWD-001"]).isSubset(of: mismatch.ruleIDs))
    }

    @Test("envelope signals: internal envelope sender with external From, several Delivered-To; Bcc is not a signal")
    func envelopeSignals() {
        let mismatch = Fixture.verdict(
            subject: "[IN-CONFIDENCE] x", from: "Partner <p@partner.example>", direction: .outbound,
            mailFrom: "aroha@agency.govt.nz", rcpts: ["me@gmail.com"])
        #expect(mismatch.autoForwardSignals == ["envelope-sender-internal-from-external"])
        #expect(mismatch.ruleIDs.contains("PM-FWD-001"))
        let delivered = Fixture.verdict(
            subject: "[IN-CONFIDENCE] x",
            headers: ["Delivered-To: a@agency.govt.nz", "Delivered-To: b@agency.govt.nz"], rcpts: ["me@gmail.com"])
        #expect(delivered.autoForwardSignals == ["multiple-delivered-to"])
        let bcc = Fixture.verdict(
            subject: "[IN-CONFIDENCE] x", headers: ["To: someone@gmail.com"], rcpts: ["hidden@gmail.com"])
        #expect(bcc.autoForwardSignals.isEmpty)
    }

    @Test("marked auto-forwarded mail records PM-FWD-001 with the signals; a policy can block it all")
    func recorded() throws {
        let v = Fixture.verdict(
            subject: "[IN-CONFIDENCE] x", headers: ["X-MS-Exchange-Inbox-Rules-Loop: a@agency.govt.nz"],
            rcpts: ["me@gmail.com"])
        let r = try #require(v.decisions.first?.reasons.first { $0.rule.id == "PM-FWD-001" })
        #expect(
            r.evidence.contains("x-ms-exchange-inbox-rules-loop")
                && r.rule.controls == ["NZISM 15.2.43.C.01 [CID:1771]"])
        #expect(v.messageAction == .allow)
        var strict = Fixture.defaultEngine.policy
        strict.actions[.autoForwardExternal] = .block
        let blocked = Fixture.verdict(
            try Engine(policy: strict), subject: "[IN-CONFIDENCE] x", headers: ["X-Forwarded-To: me@gmail.com"],
            rcpts: ["me@gmail.com"])
        #expect(blocked.messageAction == .block)
    }
}

@Suite("Rule catalogue")
struct RuleCatalogueTests {
    @Test("rule ids are unique and every rule cites an NZISM paragraph and CID")
    func ids() {
        #expect(Set(Rules.all.map(\.id)).count == Rules.all.count)
        for r in Rules.all {
            #expect(r.controls.allSatisfy { $0.hasPrefix("NZISM 15.2.") && $0.contains("[CID:") }, "\(r.id)")
        }
    }
}

@Suite("Envelope inferred from headers")
struct EnvelopeInferenceTests {
    @Test("addresses are read from angle brackets and bare tokens, skipping display names and comments")
    func addresses() {
        #expect(
            Envelope.addresses("\"Ngata, Aroha\" <aroha@agency.govt.nz>, bob@x.govt.nz (Bob), <c@d.nz>") == [
                "aroha@agency.govt.nz", "bob@x.govt.nz", "c@d.nz",
            ])
        #expect(Envelope.addresses("undisclosed-recipients:;") == [])
        #expect(Envelope.addresses("\"a@b.c\" <real@x.nz>") == ["real@x.nz"])
    }

    @Test("sender from From, recipients from To and Cc without duplicates")
    func inferred() throws {
        let m = try Message(
            parsing: Array(
                "From: A <a@agency.govt.nz>\nTo: b@gmail.com, B2 <b@gmail.com>\nCc: c@dpmc.govt.nz\nSubject: x\n\nhi\n"
                    .utf8))
        let e = Envelope.inferred(from: m)
        #expect(e.mailFrom == "a@agency.govt.nz")
        #expect(e.recipients == ["b@gmail.com", "c@dpmc.govt.nz"])
    }
}

@Suite("Policy explain")
struct PolicyExplainTests {
    @Test("the default policy is explained with every rule and control that applies")
    func defaultPolicy() {
        let text = PolicyExplainer.explain(Fixture.defaultEngine.policy)
        #expect(text.contains("Receiving system 'Agency email' is accredited RESTRICTED"))
        #expect(text.contains("  - internet (default) — reaches any country:"))
        #expect(
            text.contains(
                """
                carries up to IN-CONFIDENCE; anything marked higher is blocked (PM-OUT-001; NZISM 15.2.40.C.01 \
                [CID:1760])
                """
            ))
        #expect(text.contains("NZEO is blocked: the path reaches foreign nationals (PM-OUT-002"))
        #expect(
            text.contains(
                "  - all-of-government — New Zealand only; domains dpmc.govt.nz, mfat.govt.nz, treasury.govt.nz:"))
        #expect(
            text.contains(
                """
                Unmarked mail: outbound and internal → quarantine; inbound → allow-and-tag (PM-UNM-002; NZISM \
                15.2.39.C.03 [CID:1756])
                """
            ))
        for r in Rules.all where r.id != "PM-UNM-001" && r.id != "PM-INAPP-001" {
            #expect(text.contains(r.id), "\(r.id)")
        }
    }

    @Test("a SECRET system says unmarked mail is blocked everywhere (15.2.39.C.01)")
    func secretSystem() {
        let text = PolicyExplainer.explain(Fixture.secretEngine.policy)
        #expect(
            text.contains(
                """
                Unmarked mail is blocked in every direction: the system is accredited CONFIDENTIAL or above \
                (PM-UNM-001; NZISM 15.2.39.C.01 [CID:1754])
                """
            ))
        #expect(text.contains("REL TO mail is allowed only when the list includes AUS, CAN, GBR, NZL, USA"))
    }
}
