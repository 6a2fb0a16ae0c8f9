import Testing

@testable import MailParsing

@Suite("MIME trees (RFC 2045/2046)")
struct MIMETreeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var message: String
        var structure: String
        var defects: [MailDefect.Kind] = []
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(
            name: "no Content-Type means text/plain",
            message: "Subject: x\n\nbody\n", structure: "text/plain"),
        .init(
            name: "multipart/mixed with preamble and epilogue",
            message:
                """
                Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b\nContent-Type: text/plain\n\none\n--b\n\
                Content-Type: image/png\n\nPNG\n--b--\nepilogue\n
                """,
            structure: "multipart/mixed(text/plain, image/png)"),
        .init(
            name: "nested alternative inside mixed",
            message:
                """
                Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n\
                Content-Type: multipart/alternative; boundary="inner"\n\n--inner\nContent-Type: text/plain\n\na\n\
                --inner\nContent-Type: text/html\n\n<b>a</b>\n--inner--\n--outer\nContent-Type: application/pdf\n\n\
                %PDF\n--outer--\n
                """,
            structure: "multipart/mixed(multipart/alternative(text/plain, text/html), application/pdf)"),
        .init(
            name: "every multipart subtype is a multipart",
            message: "Content-Type: multipart/x-custom; boundary=b\n\n--b\n\none\n--b--\n",
            structure: "multipart/x-custom(text/plain)"),
        .init(
            name: "signed and related multiparts",
            message:
                """
                Content-Type: multipart/signed; boundary=s; protocol="application/pkcs7-signature"\n\n--s\n\
                Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\nx\n--r\n\
                Content-Type: image/gif\n\nGIF\n--r--\n--s\nContent-Type: application/pkcs7-signature\n\nsig\n--s--\n
                """,
            structure: "multipart/signed(multipart/related(text/html, image/gif), application/pkcs7-signature)"),
        .init(
            name: "missing close delimiter ends at the end with a defect",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
            structure: "multipart/mixed(text/plain, text/plain)", defects: [.closeBoundaryNotFound]),
        .init(
            name: "wrong boundary means no parts and a defect",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--c\n\none\n--c--\n",
            structure: "multipart/mixed", defects: [.startBoundaryNotFound]),
        .init(
            name: "missing boundary parameter is a defect",
            message: "Content-Type: multipart/mixed\n\n--b\n\none\n", structure: "multipart/mixed",
            defects: [.missingBoundaryParameter]),
        .init(
            name: "a boundary that is a prefix of a longer line is not a delimiter",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bc is text\n--b--\n",
            structure: "multipart/mixed(text/plain)"),
        .init(
            name: "transport padding after a delimiter is allowed",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--b  \n\none\n--b-- \n",
            structure: "multipart/mixed(text/plain)"),
        .init(
            name: "digest parts default to message/rfc822",
            message: "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nhi\n--d--\n",
            structure: "multipart/digest(message/rfc822{text/plain})"),
        .init(
            name: "message/rfc822 is parsed recursively",
            message:
                """
                Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nSubject: in\n\
                Content-Type: multipart/alternative; boundary=z\n\n--z\n\na\n--z--\n--b--\n
                """,
            structure: "multipart/mixed(message/rfc822{multipart/alternative(text/plain)})"),
        .init(
            name: "base64-encoded message/rfc822 is decoded and parsed",
            message:
                """
                Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n\
                U3ViamVjdDogaW5uZXIKQ29udGVudC1UeXBlOiB0ZXh0L2h0bWwKCjxwPmhpPC9wPgo=\n
                """,
            structure: "message/rfc822{text/html}"),
        .init(
            name: "empty embedded message is a defect",
            message: "Content-Type: message/rfc822\n\n", structure: "message/rfc822", defects: [.emptyEmbeddedMessage]),
        .init(
            name: "base64 on a multipart is reported and ignored",
            message:
                "Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n\n--b\n\nx\n--b--\n",
            structure: "multipart/mixed(text/plain)", defects: [.encodingOnCompositeType]),
        .init(
            name: "unknown transfer encoding is reported",
            message: "Content-Transfer-Encoding: x-gzip64\n\nabc", structure: "text/plain",
            defects: [.unknownTransferEncoding]),
        .init(
            name: "an inner part without its close delimiter stops at the outer delimiter",
            message:
                """
                Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n\
                --i\n\na\n--o\nContent-Type: image/png\n\nP\n--o--\n
                """,
            structure: "multipart/mixed(multipart/alternative(text/plain), image/png)",
            defects: [.closeBoundaryNotFound]),
        .init(
            name: "empty parts between delimiters",
            message: "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",
            structure: "multipart/mixed(text/plain, text/plain)"),
        .init(
            name: "CRLF multipart",
            message:
                """
                Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n\
                --b--\r\n
                """,
            structure: "multipart/mixed(text/html)"),
    ]

    @Test(arguments: cases)
    func structure(_ c: Case) throws {
        let m = try parse(c.message)
        #expect(m.structureSummary == c.structure)
        #expect(m.allDefects.map(\.kind) == c.defects)
    }

    @Test("part bodies exclude the line break before the delimiter; preamble and epilogue are kept")
    func ranges() throws {
        let m = try parse("Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n\n--b--\nepi\n")
        let child = m.parts[m.root.children[0]]
        #expect(String(decoding: m.rawBody(of: child), as: UTF8.self) == "one\n")
        #expect(String(decoding: m.bytes[m.root.preamble!], as: UTF8.self) == "pre")
        #expect(String(decoding: m.bytes[m.root.epilogue!], as: UTF8.self) == "epi\n")
        #expect(child.path == [1])
    }

    @Test("parsing decodes nothing: bodies are decoded only when asked")
    func lazy() throws {
        let m = try parse("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nwqlob2xh\n")
        #expect(String(decoding: m.rawBody(of: m.root), as: UTF8.self) == "wqlob2xh\n")
        #expect(try m.text(of: m.root).text == "©hola")
    }

    @Test("text parts are decoded to Unicode from their charset")
    func charsetText() throws {
        let m = try parse(
            """
            Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: quoted-printable\n\n\
            =F0=D2=C9=D7=C5=D4\n
            """
        )
        #expect(try m.text(of: m.root).text == "Привет\n")
        let u = try parse("Content-Type: text/plain; charset=x-nothing\n\nabc")
        #expect(try u.text(of: u.root).defects == [.unknownCharset])
    }
}

@Suite("Transfer decoding (RFC 2045 §6)")
struct TransferDecodingTests {
    @Test("base64 ignores white space and skips junk, reporting it")
    func base64() {
        #expect(TransferDecoding.base64(Array("SGVs\nbG8=".utf8)).bytes == Array("Hello".utf8))
        let junk = TransferDecoding.base64(Array("SG*Vs bG8=".utf8))
        #expect(junk.bytes == Array("Hello".utf8))
        #expect(junk.invalid)
        #expect(TransferDecoding.base64(Array("SGVsbA".utf8)).bytes == Array("Hell".utf8))
        #expect(TransferDecoding.base64(Array("SGVsb".utf8)).truncated)
    }

    @Test("quoted-printable soft breaks, escapes in either case, and bad escapes")
    func qp() {
        #expect(TransferDecoding.quotedPrintable(Array("a=3Db=3db=\nc=  \r\nd".utf8)).bytes == Array("a=b=bcd".utf8))
        let bad = TransferDecoding.quotedPrintable(Array("50=ZZ".utf8))
        #expect(bad.bytes == Array("50=ZZ".utf8))
        #expect(bad.invalid)
    }

    @Test("uuencode between begin and end")
    func uu() throws {
        let m = try parse("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n%2&5L;&\\`\n`\nend\n")
        #expect(try m.decodedBody(of: m.root).bytes == Array("Hello".utf8))
        let truncated = try parse("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n%2&5L;&\\`\n")
        #expect(try truncated.decodedBody(of: truncated.root).defects == [.invalidUuencode])
    }
}
