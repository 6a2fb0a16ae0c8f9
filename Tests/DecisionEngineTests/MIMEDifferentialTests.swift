import Foundation
import MailParsing
import Markings
import Testing

@testable import DecisionEngine

/// MIME differentials of issue 11 (spec §10.9). Every row is marked IN-CONFIDENCE where
/// wave1-landed looked, and hides a SECRET marking where RFC 2046/5322 or a common client
/// (Python's `email` package is the reference: `email.message_from_bytes(..., policy=default)`)
/// sees one. wave1-landed allowed each of them to the internet.
@Suite("MIME differentials (spec §10.9)")
struct MIMEDifferentialTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var message: String
        /// Whether the strict reading (RFC 2046 / Python) already sees SECRET; otherwise only the
        /// lenient interpretation does and the message must be `ambiguous-structure`.
        var ambiguous: Bool = true
        var testDescription: String { name }
    }

    static let top = "From: aroha@agency.govt.nz\nTo: x@gmail.com\nMIME-Version: 1.0\n"
    static let b64Secret = Data("SECRET\nthe plan\n".utf8).base64EncodedString()

    static let rows: [Row] = [
        Row(
            name: "--B--x is not the close delimiter: the SECRET attachment after it is read",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: multipart/mixed; boundary="B"

                --B
                Content-Type: text/plain

                see attached
                --B--x
                --B
                Content-Type: text/plain; name="brief.txt"
                Content-Disposition: attachment; filename="brief.txt"

                SECRET
                brief
                --B--

                """),
        Row(
            name: "--B junk is not a delimiter: the body's last line is SECRET",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: multipart/mixed; boundary="B"

                --B
                Content-Type: text/plain

                Kia ora
                --B junk
                X-Note: y

                SECRET
                --B--

                """),
        Row(
            name: "bare CR line ends make delimiters for a lenient reader",
            message: top
                + "Subject: [IN-CONFIDENCE] notes\nContent-Type: multipart/mixed; boundary=\"B\"\n\n"
                    + """
                    --B\rContent-Type: text/plain\r\rKia ora\r--B\rContent-Type: text/plain; \
                    name="a.txt"\rContent-Disposition: attachment; filename="a.txt"\r\rSECRET\rplan\r--B--\r
                    """
        ),
        Row(
            name: "a multipart without a boundary parameter is read with the boundary of its first -- line",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: multipart/mixed

                --XYZ
                Content-Type: text/plain

                Kia ora
                --XYZ
                Content-Type: text/plain; name="a.txt"
                Content-Disposition: attachment; filename="a.txt"

                SECRET
                plan
                --XYZ--

                """),
        Row(
            name: "two boundary parameters: the second one's parts are read",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: multipart/mixed; boundary="A"; boundary="B"

                --B
                Content-Type: text/plain

                Kia ora
                --B
                Content-Type: text/plain; name="a.txt"
                Content-Disposition: attachment; filename="a.txt"

                SECRET
                plan
                --B--

                """),
        Row(
            name: "delimiters in another letter case",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: multipart/mixed; boundary="abc"

                --ABC
                Content-Type: text/plain

                Kia ora
                --ABC
                Content-Type: text/plain; name="a.txt"
                Content-Disposition: attachment; filename="a.txt"

                SECRET
                plan
                --ABC--

                """),
        Row(
            name: "a second Subject carries the marking",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Subject: [SECRET] notes
                Content-Type: text/plain

                Kia ora

                """),
        Row(
            name: "a second Content-Type makes the body a multipart",
            message: top + """
                Subject: [IN-CONFIDENCE] notes
                Content-Type: text/plain
                Content-Type: multipart/mixed; boundary="B"

                --B
                Content-Type: text/plain

                Kia ora
                --B
                Content-Type: text/plain; name="a.txt"
                Content-Disposition: attachment; filename="a.txt"

                SECRET
                plan
                --B--

                """),
        Row(
            name: "a header line without a colon before the Subject",
            message: """
                From: aroha@agency.govt.nz
                To: x@gmail.com
                Broken header line
                Subject: [SECRET] notes

                IN-CONFIDENCE

                """),
        Row(
            name: "a header line with an 8-bit name before the Subject",
            message:
                """
                From: aroha@agency.govt.nz\nTo: x@gmail.com\nX-\u{00DC}ber: 1\nSubject: [SECRET] notes\n\n\
                IN-CONFIDENCE\n
                """
        ),
        Row(
            name: "a header line with a NUL in its name before the Subject",
            message:
                "From: aroha@agency.govt.nz\nTo: x@gmail.com\nX-\u{0000}: 1\nSubject: [SECRET] notes\n\nIN-CONFIDENCE\n"
        ),
        Row(
            name: "Content-Transfer-Encoding: base64; is decoded",
            message: top
                + """
                Subject: [IN-CONFIDENCE] notes\nContent-Type: text/plain\nContent-Transfer-Encoding: base64;\n\n\
                \(b64Secret)\n
                """
        ),
        Row(
            name: "Content-Transfer-Encoding: base64 (comment) is decoded",
            message: top
                + """
                Subject: [IN-CONFIDENCE] notes\nContent-Type: text/plain\n\
                Content-Transfer-Encoding: base64 (sent by x)\n\n\(b64Secret)\n
                """
        ),
    ]

    @Test("the marking a client could see is read, and the ambiguity quarantines", arguments: rows)
    func row(_ r: Row) throws {
        let v = Fixture.defaultEngine.evaluate(
            bytes: Array(r.message.utf8),
            envelope: Envelope(direction: .outbound, mailFrom: "aroha@agency.govt.nz", recipients: ["x@gmail.com"]))
        let mk = try #require(v.markings)
        #expect(
            mk.classification?.name == "SECRET",
            "\(mk.readings.map { "\($0.location)=\($0.marking?.classification?.name ?? "-")" })")
        #expect(v.messageAction != .allow)
        #expect(v.decision(for: "x@gmail.com")?.action != .allow)
        if r.ambiguous { #expect(mk.has(.ambiguousStructure), "\(mk.findings)") }
    }

    @Test("an unambiguous message raises no ambiguous-structure and has no alternate")
    func clean() throws {
        let m = try Message(
            parsing: Array(
                (Self.top
                    + """
                    Subject: [IN-CONFIDENCE] x\nContent-Type: multipart/mixed; boundary="B"\n\n--B\n\
                    Content-Type: text/plain\n\nhi\n--B--\n
                    """)
                    .utf8))
        #expect(m.alternate == nil)
        let v = Fixture.defaultEngine.evaluate(
            message: m,
            envelope: Envelope(direction: .outbound, mailFrom: "aroha@agency.govt.nz", recipients: ["x@gmail.com"]))
        #expect(v.messageAction == .allow)
    }

    @Test("an ambiguity whose interpretations agree raises nothing")
    func agreeing() throws {
        // Two Subjects that read the same; a --B junk line in a part that holds no marking.
        let msg =
            Self.top
                + """
                Subject: [IN-CONFIDENCE] x\nSubject: [IN-CONFIDENCE]  x\nContent-Type: multipart/mixed; boundary="B"\n\
                \n--B\nContent-Type: text/plain\n\nIN-CONFIDENCE\nhi\n--B junk\nmore\n--B--\n
                """
        let m = try Message(parsing: Array(msg.utf8))
        #expect(m.alternate != nil)
        #expect(m.defects.map(\.kind).contains(.delimiterWithTrailingText))
        let mk = Fixture.defaultEngine.reader.read(m)
        #expect(!mk.has(.ambiguousStructure), "\(mk.findings)")
    }

    @Test("a transfer-encoded multipart and two different From fields are always ambiguous")
    func unresolved() {
        for msg in [
            Self.top
                + """
                Subject: [IN-CONFIDENCE] x\nContent-Type: multipart/mixed; boundary="B"\n\
                Content-Transfer-Encoding: base64\n\n--B\n\nhi\n--B--\n
                """,
            "From: a@agency.govt.nz\nFrom: b@evil.example\nSubject: [IN-CONFIDENCE] x\n\nhi\n",
        ] {
            let mk = Fixture.defaultEngine.reader.read(try! Message(parsing: Array(msg.utf8)))
            #expect(mk.has(.ambiguousStructure), "\(mk.findings)")
        }
    }
}
