import Testing

@testable import MailParsing
@testable import Markings

/// The HTML rows of issue 11 (spec §10.4): what the WHATWG parsing rules make a client
/// display. Expected values were checked against html5lib (Python), the WHATWG reference
/// parser, where a row concerns tokenizing. wave1-landed read every row as UNMARKED.
@Suite("HTML as displayed (spec §10.4)")
struct HTMLTokenizerTests {
    static func html(_ name: String, _ body: String, _ c: String?, _ e: [String] = [], findings: Set<String> = [])
        -> MarkingCase
    {
        .body(name, body, c, e, findings: findings, contentType: "text/html")
    }

    static let rows: [MarkingCase] = [
        html(
            "<head> without </head>: the body is displayed",
            "<html><head><meta charset=utf-8><body><p>SECRET</p><p>The plan.</p>", "SECRET"),
        html(
            "text in head is displayed (WHATWG moves it to the body)",
            "<head>SECRET</head><body><p>The plan.</p></body>", "SECRET"),
        html("<!--> is an empty comment", "<!-->SECRET<p>The plan.</p>", "SECRET"),
        html("<!---> is an empty comment", "<!--->SECRET<p>The plan.</p>", "SECRET"),
        html("--!> ends a comment", "<!-- x --!>SECRET<p>The plan.</p>", "SECRET"),
        html("a custom element <head-line> is not head", "<head-line>SECRET</head-line><p>The plan.</p>", "SECRET"),
        html("a custom element <title-bar> is not title", "<title-bar>SECRET</title-bar><p>The plan.</p>", "SECRET"),
        html(
            "> inside a quoted attribute does not end the tag", "<p title=\"a>b\">SECRET</p><p>The plan.</p>",
            "SECRET"),
        html("&#83ECRET: a numeric reference without ;", "<p>&#83ECRET</p><p>The plan.</p>", "SECRET"),
        html(
            "&nbsp without ; is a space", "<p>TOP&nbspSECRET</p><p>The plan.</p>", "TOP SECRET",
            ["ACCOUNTABLE MATERIAL"]),
        html("a reference zero-padded past 11 characters", "<p>&#0000000000083;ECRET</p><p>The plan.</p>", "SECRET"),
        html("hex digits run on without ; (&#x53EC is U+53EC)", "<p>&#x53ECRET</p><p>The plan.</p>", nil),
        html("&lrm; inside the word", "<p>SEC&lrm;RET</p><p>The plan.</p>", "SECRET", findings: ["obfuscated-marking"]),
        html(
            "&zwnj; inside the word", "<p>SEC&zwnj;RET</p><p>The plan.</p>", "SECRET",
            findings: ["obfuscated-marking"]),
        html("&emsp; between words", "<p>TOP&emsp;SECRET</p><p>The plan.</p>", "TOP SECRET", ["ACCOUNTABLE MATERIAL"]),
        html(
            "a named reference from the full table: &Sfr; is a fraktur S", "<p>&Sfr;ECRET</p><p>The plan.</p>",
            "SECRET", findings: ["obfuscated-marking"]),
        html(
            "a hidden preheader is not the first line",
            "<div style=\"display:none;max-height:0\">Quarterly newsletter</div><p>SECRET</p><p>The plan.</p>", "SECRET"
        ),
        html(
            "a hidden preheader holding a marking is still read",
            "<span style='font-size:0px'>SECRET</span><p>Kia ora</p><p>The plan.</p>", "SECRET"),
        html(
            "visibility:hidden text is still read",
            "<p>Kia ora</p><p>The plan.</p><div style=\"visibility: hidden\">RESTRICTED</div>", "RESTRICTED"),
        html(
            "CSS ::before content is read",
            "<style>p.m::before { content: \"SECRET\" }</style><p class=m></p><p>The plan.</p>", "SECRET"),
        html(
            "<bdo dir=rtl> displays TERCES as SECRET", "<p><bdo dir=rtl>TERCES</bdo></p><p>The plan.</p>", "SECRET",
            findings: ["obfuscated-marking"]),
        html(
            "bidi-override with direction rtl",
            "<p style=\"unicode-bidi:bidi-override; direction: rtl\">TERCES</p><p>The plan.</p>", "SECRET",
            findings: ["obfuscated-marking"]),
        html(
            "script and style are not displayed",
            "<script>document.write('SECRET')</script><style>p{}</style><p>The plan.</p>", nil),
        html("title is not displayed", "<title>SECRET</title><p>The plan.</p>", nil),
        html("an unterminated comment hides the rest", "<p>Kia ora</p><!-- SECRET", nil),
        html("a <p> closed by the next <p>", "<p style=\"display:none\">preheader<p>SECRET<p>The plan.", "SECRET"),
    ]

    @Test("HTML bodies are read as a client displays them", arguments: rows)
    func row(_ c: MarkingCase) throws { try c.check() }

    @Test("hostile nesting and references: the element stack is bounded, nothing traps")
    func hostile() {
        let r = HTMLText.render(
            String(repeating: "<p><div style=display:none>", count: 5_000) + "x" + String(repeating: "<", count: 10_000)
        )
        #expect(r.hidden.contains(0x78))  // "x" is inside hidden divs
        #expect(r.hidden.count >= 10_000)  // still inside the unclosed hidden divs
        let e = HTMLText.render(
            String(repeating: "&", count: 10_000) + String(repeating: "&#", count: 5_000) + "&#99999999999999999999;"
                + String(repeating: "&amp", count: 1_000))
        #expect(e.visible.count >= 10_000)
    }
}
