import Testing

@testable import MailParsing

/// Every limit has a default, a reason (see `ParserLimits`), and a test that it stops a parse.
@Suite("Parser limits")
struct LimitTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: LimitName
        var limits: ParserLimits
        var message: String
        var testDescription: String { name.rawValue }
    }

    static let cases: [Case] = [
        .init(
            name: .messageBytes, limits: ParserLimits(maxMessageBytes: 10),
            message: "Subject: more than ten bytes\n\n"),
        .init(
            name: .headerBytes, limits: ParserLimits(maxHeaderBytes: 64),
            message: String(repeating: "X-A: aaaaaaaa\n", count: 10) + "\n"),
        .init(name: .headerCount, limits: ParserLimits(maxHeaderCount: 3), message: "A: 1\nB: 2\nC: 3\nD: 4\n\n"),
        .init(
            name: .lineLength, limits: ParserLimits(maxLineLength: 20),
            message: "Subject: " + String(repeating: "x", count: 30) + "\n\n"),
        .init(
            name: .depth, limits: ParserLimits(maxDepth: 2),
            message:
                """
                Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
                Content-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n--c--\n--b--\n--a--\n
                """
        ),
        .init(
            name: .parts, limits: ParserLimits(maxParts: 3),
            message: "Content-Type: multipart/mixed; boundary=a\n\n--a\n\n1\n--a\n\n2\n--a\n\n3\n--a--\n"),
        .init(
            name: .decodedBytes, limits: ParserLimits(maxDecodedBytes: 4),
            message: "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogaW5uZXIKCmJvZHkK\n"
        ),
    ]

    @Test(arguments: cases)
    func limitStopsTheParse(_ c: Case) {
        #expect {
            try parse(c.message, limits: c.limits)
        } throws: { e in
            (e as? MailParseError)?.exceededLimit == c.name
        }
    }

    @Test("defaults are documented values")
    func defaults() {
        let d = ParserLimits.default
        #expect(d.maxMessageBytes == 64 << 20 && d.maxHeaderBytes == 1 << 20 && d.maxHeaderCount == 5_000)
        #expect(
            d.maxLineLength == 256 << 10 && d.maxDepth == 32 && d.maxParts == 2_000 && d.maxDecodedBytes == 128 << 20)
    }

    @Test("the decoded-size limit also applies to lazily decoded bodies")
    func lazyDecodedLimit() throws {
        let m = try parse(
            "Content-Transfer-Encoding: base64\n\nSGVsbG8gd29ybGQ=\n", limits: ParserLimits(maxDecodedBytes: 4))
        #expect(throws: MailParseError.self) { try m.decodedBody(of: m.root) }
    }

    @Test("nested embedded messages count toward depth")
    func embeddedDepth() {
        var msg = "Subject: bottom\n\nx\n"
        for _ in 0..<5 { msg = "Content-Type: message/rfc822\n\n" + msg }
        #expect(throws: MailParseError.self) { try parse(msg, limits: ParserLimits(maxDepth: 3)) }
        #expect(throws: Never.self) { try parse(msg, limits: ParserLimits(maxDepth: 6)) }
    }

    @Test("a limit error names the limit and the place, never message content")
    func description() {
        let e = MailParseError(.limitExceeded(.parts, limit: 3), byteOffset: 42, partPath: [1, 2])
        #expect(e.description == "limit exceeded: parts (limit 3) at byte 42 in part 1.2")
    }
}
