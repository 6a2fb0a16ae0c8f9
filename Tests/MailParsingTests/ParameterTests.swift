import Testing

@testable import MailParsing

@Suite("Content-Type parameters (RFC 2045, RFC 2231)")
struct ParameterTests {
    @Test("type, subtype and quoted parameters")
    func basic() {
        let p = HeaderParameters.parse(#"Text/Plain; charset="UTF-8"; format=flowed"#)
        #expect(p.value == "text/plain")
        #expect(p.parameters == ["charset": "UTF-8", "format": "flowed"])
    }

    @Test("comments, stray semicolons and escapes are tolerated")
    func tolerant() {
        let p = HeaderParameters.parse(#"multipart/mixed;; (comment) boundary="a\"b" ;"#)
        #expect(p.value == "multipart/mixed")
        #expect(p.parameters["boundary"] == #"a"b"#)
    }

    @Test("an unterminated quoted string is read to the end and reported")
    func unterminated() {
        let p = HeaderParameters.parse(#"attachment; filename="report.pdf"#)
        #expect(p.parameters["filename"] == "report.pdf")
        #expect(p.defects == [.unterminatedQuotedString])
    }

    @Test("RFC 2231 continuations are joined in order")
    func continuations() {
        let p = HeaderParameters.parse(#"attachment; filename*1="part-two.pdf"; filename*0="long-name-"#)
        #expect(p.parameters["filename"] == "long-name-part-two.pdf")
    }

    @Test("RFC 2231 charset and percent encoding")
    func extended() {
        let p = HeaderParameters.parse("attachment; filename*=iso-8859-1'en'caf%E9.txt")
        #expect(p.parameters["filename"] == "café.txt")
        let q = HeaderParameters.parse("attachment; filename*0*=utf-8''%E2%82%AC; filename*1=.pdf")
        #expect(q.parameters["filename"] == "€.pdf")
    }

    @Test("file names from Content-Disposition win over Content-Type name, and encoded words are decoded")
    func filename() throws {
        let m = try parse(
            """
            Content-Type: application/pdf; name="a.pdf"\nContent-Disposition: attachment; \
            filename="=?utf-8?Q?r=C3=A9sum=C3=A9.pdf?="\n\nx
            """
        )
        #expect(m.root.filename == "résumé.pdf")
        #expect(m.root.isAttachment)
    }

    @Test("a Content-Type without a subtype means text/plain, with a defect")
    func noSubtype() throws {
        let m = try parse("Content-Type: text\n\nx")
        #expect(m.root.mimeType == "text/plain")
        #expect(m.defects.map(\.kind) == [.malformedContentType])
    }
}
