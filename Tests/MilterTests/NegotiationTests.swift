import Foundation
import MilterCodec
import NIOCore
import Testing

@testable import Milter

/// One MTA offer and what pmark must answer: the exact SMFIR_OPTNEG frame, and which of the
/// steps before end of message get a reply (libmilter's mfdef.h: a step negotiated as
/// SMFIP_NR_* MUST NOT be answered; Postfix then does not wait for it).
struct NegotiationCase: CustomTestStringConvertible, Sendable {
    var name: String
    var offer: OptionNegotiation
    /// pmark's SMFIR_OPTNEG frame, written out by hand (length, 'O', version, actions, protocol).
    var answer: [UInt8]
    /// Whether connect, MAIL and RCPT are answered with SMFIR_CONTINUE.
    var envelopeReplies: Bool
    var testDescription: String { name }
}

let negotiationCases: [NegotiationCase] = [
    // Postfix 2.6+ (milter_protocol = 6) offers every step and every no-reply flag. pmark keeps
    // connect, MAIL, RCPT, headers, end of headers and body (it needs them all for the envelope
    // and the message) but answers none of them: 0x1FF382 = NOHELO 0x2 | NR_HDR 0x80 |
    // NOUNKNOWN 0x100 | NODATA 0x200 | NR_CONN 0x1000 | NR_HELO 0x2000 | NR_MAIL 0x4000 |
    // NR_RCPT 0x8000 | NR_DATA 0x10000 | NR_UNKN 0x20000 | NR_EOH 0x40000 | NR_BODY 0x80000 |
    // HDR_LEADSPC 0x100000. Actions 0x29 = ADDHDRS | DELRCPT | QUARANTINE.
    NegotiationCase(
        name: "Postfix (protocol 6, every step offered): no replies before end of message",
        offer: MilterClient.postfixOffer,
        answer: [0, 0, 0, 13, 0x4F, 0, 0, 0, 6, 0, 0, 0, 0x29, 0x00, 0x1F, 0xF3, 0x82], envelopeReplies: false),
    // Sendmail 8.13 (protocol 2, SMFI_V2_PROT 0x7F): no no-reply flags exist; only HELO is skipped.
    NegotiationCase(
        name: "Sendmail 8.13 (protocol 2, no no-reply flags): every step is answered",
        offer: OptionNegotiation(
            version: 2, actions: ActionFlags(rawValue: 0x3F), protocolFlags: ProtocolFlags(rawValue: 0x7F)),
        answer: [0, 0, 0, 13, 0x4F, 0, 0, 0, 2, 0, 0, 0, 0x29, 0, 0, 0, 0x02], envelopeReplies: true),
    // An MTA that offers only some no-reply flags gets exactly those it offered, never more.
    NegotiationCase(
        name: "an MTA offering NR_MAIL only: connect and RCPT are still answered",
        offer: OptionNegotiation(version: 6, actions: ActionFlags(rawValue: 0x1FF), protocolFlags: [.noReplyMail]),
        answer: [0, 0, 0, 13, 0x4F, 0, 0, 0, 6, 0, 0, 0, 0x29, 0, 0, 0x40, 0], envelopeReplies: true),
]

@Suite("Milter session: negotiated protocol flags")
struct NegotiationTests {
    @Test("pmark answers each MTA's offer with the exact SMFIR_OPTNEG frame", arguments: negotiationCases)
    func answerFrame(_ c: NegotiationCase) throws {
        var s = MilterSession()
        let spool = MessageSpool()
        let step = try s.handle(.optionNegotiation(c.offer), spool: spool)
        guard case .reply(let rs) = step, rs.count == 1 else {
            Issue.record("no single negotiation reply: \(step)")
            return
        }
        var buf = ByteBuffer()
        try rs[0].encode(into: &buf)
        #expect(Array(buf.readableBytesView) == c.answer)
        // Never more than offered, and never a step skipped that the envelope needs.
        let agreed = try #require(s.negotiated)
        #expect(c.offer.protocolFlags.isSuperset(of: agreed.protocolFlags))
        #expect(
            agreed.protocolFlags.isDisjoint(with: [
                .noConnect, .noMail, .noRecipient, .noHeaders, .noEndOfHeaders, .noBody,
            ]))
    }

    @Test(
        "steps negotiated as no-reply get no reply, the others SMFIR_CONTINUE; end of message is always decided",
        arguments: negotiationCases)
    func stepsAnswered(_ c: NegotiationCase) throws {
        var s = MilterSession()
        let spool = MessageSpool()
        _ = try s.handle(.optionNegotiation(c.offer), spool: spool)
        let agreed = try #require(s.negotiated).protocolFlags
        let expected: SessionStep = c.envelopeReplies ? .reply([.continue]) : .reply([])
        let connect = try s.handle(
            .connect(hostname: "mail.example.com", address: .inet(address: "192.0.2.1", port: 25)), spool: spool)
        let mail = try s.handle(.mail(arguments: ["<spy@example.com>"]), spool: spool)
        let rcpt = try s.handle(.recipient(arguments: ["<bob@agency.govt.nz>"]), spool: spool)
        if c.name.contains("NR_MAIL only") {
            #expect(connect == .reply([.continue]) && mail == .reply([]) && rcpt == .reply([.continue]))
        } else {
            #expect(connect == expected && mail == expected && rcpt == expected)
        }
        let header = try s.handle(.header(name: Array("Subject".utf8), value: Array(" [SECRET] x".utf8)), spool: spool)
        #expect(header == (agreed.contains(.noReplyHeader) ? .reply([]) : .reply([.continue])))
        // End of message has no no-reply flag: pmark always decides there, so it can still
        // reject, tempfail, quarantine or remove recipients.
        #expect(try s.handle(.endOfBody([]), spool: spool) == .endOfMessage)
        #expect(s.mailFrom == "spy@example.com" && s.recipients.map(\.address) == ["bob@agency.govt.nz"])
    }
}
