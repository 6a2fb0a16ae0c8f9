import Testing

@testable import MailParsing

@Suite("RFC 5322 header sections")
struct HeaderTests {
    @Test("folded fields are unfolded and raw bytes are kept")
    func unfolding() throws {
        let m = try parse("Subject: one\n two\n\tthree\nX-A: b\n\nbody")
        #expect(m.subject == "one two\tthree")
        #expect(String(decoding: m.header("subject")!.rawValue, as: UTF8.self) == " one\n two\n\tthree")
        #expect(m.headers.map(\.name) == ["Subject", "X-A"])
    }

    @Test("header order and duplicates are kept")
    func order() throws {
        let m = try parse("Received: a\nReceived: b\nFrom: x\nReceived: c\n\n")
        #expect(m.root.headers(named: "received").map(\.value) == ["a", "b", "c"])
    }

    @Test("CRLF line ends are handled like LF")
    func crlf() throws {
        let m = try parse("Subject: hi\r\n there\r\nContent-Type: text/plain\r\n\r\nbody\r\n")
        #expect(m.subject == "hi there")
        #expect(String(decoding: m.rawBody(of: m.root), as: UTF8.self) == "body\r\n")
    }

    @Test("obsolete white space before the colon is accepted and reported")
    func obsoleteColon() throws {
        let m = try parse("Subject : old style\n\nbody")
        #expect(m.subject == "old style")
        #expect(m.defects.map(\.kind) == [.obsoleteHeaderSyntax])
    }

    @Test("8-bit and NUL bytes in headers survive and are reported")
    func eightBitAndNul() throws {
        var bytes = Array("Subject: caf".utf8) + [0xE9] + Array("\nX-N: a".utf8) + [0] + Array("b\n\nbody".utf8)
        let m = try Message(parsing: bytes)
        #expect(m.subject == "café")  // not UTF-8: read as Latin-1
        #expect(m.header("x-n")!.rawValue.contains(0))
        #expect(Set(m.defects.map(\.kind)) == [.eightBitHeader, .nulByte])
        bytes = Array("Subject: caf\u{e9} ok\n\n".utf8)
        #expect(try Message(parsing: bytes).subject == "café ok")
    }

    @Test("a line that is not a header ends the header section with a defect")
    func missingSeparator() throws {
        let m = try parse("Subject: s\nthis is body text\nmore\n")
        #expect(m.subject == "s")
        #expect(m.defects.map(\.kind) == [.missingHeaderBodySeparator])
        #expect(String(decoding: m.rawBody(of: m.root), as: UTF8.self) == "this is body text\nmore\n")
    }

    @Test("a message with no header section at all is a defect, not an error")
    func noHeaders() throws {
        let m = try parse("just text\n")
        #expect(m.headers.isEmpty)
        #expect(m.defects.map(\.kind) == [.noHeaders])
    }

    @Test("an mbox postmark left on the first line is skipped with a defect")
    func postmarkLine() throws {
        let m = try parse("From someone Mon Jan 1\nSubject: s\n\nb")
        #expect(m.subject == "s")
        #expect(m.defects.map(\.kind) == [.malformedHeaderLine])
    }

    @Test("a leading continuation line is reported")
    func leadingContinuation() throws {
        let m = try parse(" stray\nSubject: s\n\nb")
        #expect(m.subject == "s")
        #expect(m.defects.map(\.kind) == [.continuationWithoutHeader])
    }

    @Test("a second Content-Type is reported and the first one wins")
    func duplicateContentType() throws {
        let m = try parse("Content-Type: text/html\nContent-Type: text/plain\n\nx")
        #expect(m.root.mimeType == "text/html")
        #expect(m.defects.map(\.kind) == [.duplicateContentHeader])
    }

    @Test("headers only, without a blank line or body")
    func headersOnly() throws {
        let m = try parse("Subject: only")
        #expect(m.subject == "only")
        #expect(m.root.bodyRange.isEmpty)
    }
}
