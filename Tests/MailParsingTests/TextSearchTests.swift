import Foundation
import TestSupport
import Testing

@testable import MailParsing

@Suite("Text search prefilters")
struct TextSearchTests {

    static let needles = [
        "begin ", "-----BEGIN PGP MESSAGE-----", "-----BEGIN PGP SIGNED MESSAGE-----", "Kelvin", "a;b", "`x", "é", "x",
    ]

    /// What the call sites asked before (`String.contains` in modules without Foundation: the
    /// standard library's Character search). This file imports Foundation, whose `contains`
    /// overload answers differently (it finds "\n" inside "\r\n"), so the reference is spelt out.
    static func reference(_ text: String, _ needle: String) -> Bool { text.firstRange(of: needle) != nil }

    @Test(
        """
        TextSearch.contains answers exactly as String.contains, including combining marks, canonical equivalents and \
        CRLF
        """,
        arguments: [
            ("begin 644 f", "begin "), ("begin\u{301} 644", "begin "), ("begin \u{301}644", "begin "),
            ("xx-----BEGIN PGP MESSAGE-----\r\n", "-----BEGIN PGP MESSAGE-----"),
            ("-----BEGIN PGP MESSAGE-----\u{301}", "-----BEGIN PGP MESSAGE-----"), ("\u{212A}elvin", "Kelvin"),
            ("a\u{37E}b", "a;b"),
            ("\u{1FEF}x", "`x"), ("e\u{301}", "é"), ("\r\n", "\n"), ("", "begin "), ("beg", "begin "),
            ("BEGIN ", "begin "),
        ])
    func exactCases(_ text: String, _ needle: String) {
        #expect(TextSearch.contains(text, needle) == Self.reference(text, needle))
    }

    @Test("the search is over Characters: no match inside CRLF or before a combining mark or joiner")
    func graphemes() {
        #expect(!TextSearch.contains("\r\n", "\n"))
        #expect(!TextSearch.contains("-----BEGIN PGP MESSAGE-----\u{301}", "-----BEGIN PGP MESSAGE-----"))
        #expect(!TextSearch.contains("begin\u{200D} 644", "begin "))
        #expect(TextSearch.contains("x\u{212A}elvin", "Kelvin"))
        #expect(TextSearch.contains("a begin 644 f", "begin "))
    }

    @Test(
        "TextSearch.contains equals String.contains on 5,000 random texts mixing ASCII, combining marks and look-alikes"
    )
    func differential() {
        var rng = XorShift(s: 0xC0FFEE)
        let pieces = [
            "begin ", "begin", " ", "-----BEGIN PGP ", "MESSAGE-----", "SIGNED ", "\u{301}", "\u{212A}", "K", "\u{37E}",
            ";", "\r\n", "\n",
            "é", "e", "\u{1FEF}", "`", "x", "a", "b", "ß", "日本", "-", "\u{200D}",
        ]
        for round in 0..<5000 {
            var t = ""
            for _ in 0..<Int(rng.next() % 12) { t += pieces[Int(rng.next() % UInt64(pieces.count))] }
            for n in Self.needles {
                #expect(
                    TextSearch.contains(t, n) == Self.reference(t, n), "round \(round): \(t.debugDescription) / \(n)")
            }
        }
    }

    @Test(
        """
        the ASCII case-insensitive search and replacement answer as Foundation's case-insensitive ones on ASCII; never \
        says no where Foundation's case-insensitive search says yes, and is nil for non-ASCII
        """
    )
    func caseInsensitive() {
        var rng = XorShift(s: 0xBEEF)
        let pieces = [
            "alice@example.org", "ALICE@Example.ORG", "report.pdf", "Report.PDF", " ", "x", "@", ".", "ali", "ce",
            "(redacted)",
        ]
        let secrets = ["alice@example.org", "report.pdf", "ce@ex", "zzz"]
        for round in 0..<3000 {
            var t = ""
            for _ in 0..<Int(rng.next() % 8) { t += pieces[Int(rng.next() % UInt64(pieces.count))] }
            for s in secrets {
                let fast = TextSearch.asciiCaseInsensitiveContains(t, s)
                #expect(fast == (t.range(of: s, options: .caseInsensitive) != nil), "round \(round): \(t) / \(s)")
                #expect(
                    TextSearch.asciiCaseInsensitiveReplacing(t, s, with: "(redacted)")
                        == t.replacingOccurrences(of: s, with: "(redacted)", options: .caseInsensitive),
                    "round \(round): \(t) / \(s)")
            }
        }
        #expect(TextSearch.asciiCaseInsensitiveContains("\u{212A}elvin", "kelvin") == nil)
        #expect(TextSearch.asciiCaseInsensitiveContains("kelvin", "\u{212A}") == nil)
        #expect(TextSearch.asciiCaseInsensitiveContains("abc", "") == true)
        #expect(TextSearch.asciiCaseInsensitiveReplacing("\u{212A}elvin", "kelvin", with: "x") == nil)
        #expect(TextSearch.asciiCaseInsensitiveReplacing("aaaa", "AA", with: "b") == "bb")
    }
}
