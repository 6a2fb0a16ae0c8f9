import Testing

@testable import MailParsing

@Suite("RFC 2047 encoded words and charsets")
struct EncodedWordTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "plain text is unchanged", input: "Hello world", expected: "Hello world"),
        .init(name: "B encoding, UTF-8", input: "=?UTF-8?B?SGVsbG8gV29ybGQ=?=", expected: "Hello World"),
        .init(name: "Q encoding with underscores", input: "=?iso-8859-1?Q?caf=E9_au_lait?=", expected: "café au lait"),
        .init(name: "lower-case encoding letter", input: "=?utf-8?q?a=20b?=", expected: "a b"),
        .init(
            name: "white space between adjacent words is dropped", input: "=?utf-8?Q?SEC?= =?utf-8?Q?RET?=",
            expected: "SECRET"),
        .init(
            name: "folded white space between adjacent words is dropped",
            input: "=?utf-8?Q?[SEC?=\r\n =?utf-8?Q?RET]?=", expected: "[SECRET]"),
        .init(name: "text between words is kept", input: "=?utf-8?Q?a?= and =?utf-8?Q?b?=", expected: "a and b"),
        .init(
            name: "multi-byte character split across two words", input: "=?utf-8?B?4oI=?= =?utf-8?B?rA==?=",
            expected: "€"),
        .init(name: "words in different charsets", input: "=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?=", expected: "éé"),
        .init(name: "RFC 2231 language suffix", input: "=?utf-8*en?Q?hi?=", expected: "hi"),
        .init(
            name: "invalid encoding letter is left as text", input: "=?utf-8?X?abc?= ok", expected: "=?utf-8?X?abc?= ok"
        ),
        .init(name: "unterminated word is left as text", input: "=?utf-8?Q?abc", expected: "=?utf-8?Q?abc"),
        .init(name: "unknown charset falls back to UTF-8", input: "=?x-unknown?Q?abc?=", expected: "abc"),
        .init(name: "KOI8-R", input: "=?koi8-r?B?8NLJ18XU?=", expected: "Привет"),
        .init(name: "Windows-1251", input: "=?windows-1251?B?z/Do4uXy?=", expected: "Привет"),
        .init(name: "Windows-1252 quotes", input: "=?windows-1252?Q?=93hi=94?=", expected: "\u{201C}hi\u{201D}"),
        .init(name: "ISO-8859-2", input: "=?iso-8859-2?Q?=B3=F3d=BC?=", expected: "łódź"),
        .init(name: "ISO-8859-15 euro", input: "=?iso-8859-15?Q?=A4?=", expected: "€"),
        .init(name: "ISO-2022-JP", input: "=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", expected: "日本語"),
        .init(name: "Shift_JIS", input: "=?shift_jis?B?k/qWe4zq?=", expected: "日本語"),
        .init(name: "GB2312 via GBK", input: "=?gb2312?B?1tDOxA==?=", expected: "中文"),
        .init(name: "Big5", input: "=?big5?B?pKSk5Q==?=", expected: "中文"),
        .init(name: "EUC-KR", input: "=?euc-kr?B?x9GxuQ==?=", expected: "한국"),
        .init(name: "ks_c_5601-1987 alias", input: "=?ks_c_5601-1987?B?x9GxuQ==?=", expected: "한국"),
        .init(name: "US-ASCII", input: "=?us-ascii?Q?plain?=", expected: "plain"),
    ]

    @Test(arguments: cases)
    func decodes(_ c: Case) {
        #expect(EncodedWords.decode(c.input).text == c.expected)
    }

    @Test("invalid and unknown-charset words are counted")
    func counts() {
        let r = EncodedWords.decode("=?utf-8?X?a?= =?nope?Q?b?= =?utf-8?Q?c?=")
        #expect(r.invalidWords == 1)
        #expect(r.unknownCharsets == 1)
        #expect(r.encodedWordCount == 3)
    }

    @Test(
        "every Windows-125x and ISO-8859-x charset is known",
        arguments: Array(1250...1258).map { "windows-\($0)" } + (1...15).filter { $0 != 12 }.map { "iso-8859-\($0)" })
    func charsetKnown(_ name: String) {
        let d = Charset.decode([0x41, 0x42], charset: name)
        #expect(!d.unknownCharset)
        #expect(d.text == "AB")
    }
}
