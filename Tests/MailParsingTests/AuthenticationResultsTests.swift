import Testing

@testable import MailParsing

/// RFC 8601 tokenising of `Authentication-Results` (spec §10.10): a pass counts only for the
/// exact domain it names. Each hostile row let a spoofed internal From through PM-SPOOF-001
/// when the value was searched as text (wave1-landed).
@Suite("Authentication-Results (RFC 8601)")
struct AuthenticationResultsTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var value: String
        var dkim: Bool
        var spf: Bool
        var testDescription: String { name }
    }

    static let domain = "agency.govt.nz"

    static let rows: [Row] = [
        // Genuine passes.
        Row(
            name: "dkim pass with header.d equal to the domain",
            value: "mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz header.s=sel", dkim: true, spf: false),
        Row(
            name: "header.d compared case-insensitively", value: "mx.agency.govt.nz; dkim=pass header.d=Agency.GOVT.nz",
            dkim: true, spf: false),
        Row(
            name: "spf pass for smtp.mailfrom at the domain",
            value: "mx.agency.govt.nz; spf=pass smtp.mailfrom=bounce@agency.govt.nz", dkim: false, spf: true),
        Row(
            name: "spf pass with a bare domain in smtp.mailfrom",
            value: "mx.agency.govt.nz; spf=pass smtp.mailfrom=agency.govt.nz", dkim: false, spf: true),
        Row(
            name: "comments and folding white space between tokens",
            value: "mx.agency.govt.nz (our MX) 1; dkim (sig 1) = pass (good) header . d = agency.govt.nz", dkim: true,
            spf: false),
        Row(
            name: "method version and a reason",
            value: "mx.agency.govt.nz; dkim/1=pass reason=\"valid; signature\" header.d=agency.govt.nz", dkim: true,
            spf: false),
        Row(
            name: "second of two methods passes",
            value: "mx.agency.govt.nz; dkim=fail header.d=agency.govt.nz; dkim=pass header.d=agency.govt.nz",
            dkim: true, spf: false),
        // Hostile values.
        Row(
            name: "dkim fail for the domain beside spf pass for another domain",
            value: "mx.agency.govt.nz; dkim=fail header.d=agency.govt.nz; spf=pass smtp.mailfrom=bounce@evil.example",
            dkim: false, spf: false),
        Row(
            name: "header.d with the domain as a prefix of an attacker's domain",
            value: "mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz.evil.example", dkim: false, spf: false),
        Row(
            name: "header.d of a domain ending in the organisation's name",
            value: "mx.agency.govt.nz; dkim=pass header.d=evilagency.govt.nz", dkim: false, spf: false),
        Row(
            name: "header.d of a subdomain is not the domain",
            value: "mx.agency.govt.nz; dkim=pass header.d=mail.agency.govt.nz", dkim: false, spf: false),
        Row(
            name: "the domain only inside a comment",
            value: "mx.agency.govt.nz; dkim=pass (header.d=agency.govt.nz) header.d=evil.example", dkim: false,
            spf: false),
        Row(
            name: "the domain only inside a quoted reason",
            value: "mx.agency.govt.nz; dkim=pass reason=\"header.d=agency.govt.nz\" header.d=evil.example", dkim: false,
            spf: false),
        Row(
            name: "pass only as a word inside a reason",
            value: "mx.agency.govt.nz; dkim=fail reason=\"dkim=pass\" header.d=agency.govt.nz", dkim: false,
            spf: false),
        Row(
            name: "spf=pass for a mailfrom whose local part names the domain",
            value: "mx.agency.govt.nz; spf=pass smtp.mailfrom=agency.govt.nz@evil.example", dkim: false, spf: false),
        Row(
            name: "spf=pass for a mailfrom at an attacker's superdomain",
            value: "mx.agency.govt.nz; spf=pass smtp.mailfrom=x@agency.govt.nz.evil.example", dkim: false, spf: false),
        Row(
            name: "spf softfail is not a pass", value: "mx.agency.govt.nz; spf=softfail smtp.mailfrom=x@agency.govt.nz",
            dkim: false, spf: false),
        Row(
            name: "a result word glued to another (dkim=passed)",
            value: "mx.agency.govt.nz; dkim=passed header.d=agency.govt.nz", dkim: false, spf: false),
        Row(
            name: "a pass for another method (dmarc) is not dkim",
            value: "mx.agency.govt.nz; dmarc=pass header.from=agency.govt.nz", dkim: false, spf: false),
        Row(
            name: "an x- method that ends in dkim", value: "mx.agency.govt.nz; x-dkim=pass header.d=agency.govt.nz",
            dkim: false, spf: false),
        Row(
            name: "resinfo without a semicolon is malformed and proves nothing",
            value: "mx.agency.govt.nz; spf=fail smtp.mailfrom=evil.example dkim=pass header.d=agency.govt.nz",
            dkim: false, spf: false),
        Row(name: "none", value: "mx.agency.govt.nz; none", dkim: false, spf: false),
        Row(
            name: "an unterminated comment swallows the rest",
            value: "mx.agency.govt.nz; dkim=fail (x header.d=agency.govt.nz; dkim=pass header.d=agency.govt.nz",
            dkim: false, spf: false),
    ]

    @Test("a pass counts only for the exact domain it names", arguments: rows)
    func row(_ r: Row) {
        let a = AuthenticationResults(parsing: r.value)
        #expect(a.authservID == "mx.agency.govt.nz")
        #expect(a.dkimPass(for: Self.domain) == r.dkim, "dkim: \(a.results)")
        #expect(a.spfPass(for: Self.domain) == r.spf, "spf: \(a.results)")
    }

    @Test("methods, results and properties are tokenised, comments dropped")
    func tokens() {
        let a = AuthenticationResults(
            parsing:
                """
                example.com 1; dkim=pass (good sig) header.d=example.com header.b="abc="; spf=none smtp.mailfrom="a \
                b"@example.com
                """
        )
        #expect(a.authservID == "example.com")
        #expect(a.results.map(\.method) == ["dkim", "spf"])
        #expect(a.results.map(\.result) == ["pass", "none"])
        #expect(a.results[0].property("header.d") == "example.com")
        #expect(a.results[0].property("header.b") == "abc=")
        #expect(a.results[1].property("smtp.mailfrom") == "a b@example.com")
        #expect(!a.malformed)
    }

    @Test("a quoted authserv-id is unquoted; an empty field has no id")
    func ids() {
        #expect(AuthenticationResults(parsing: "\"mx.example\"; none").authservID == "mx.example")
        #expect(AuthenticationResults(parsing: "").authservID == "")
        #expect(AuthenticationResults(parsing: "; dkim=pass header.d=x").authservID == "")
    }

    @Test("a value over the tokeniser's limit proves nothing")
    func limit() {
        let v =
            "mx.agency.govt.nz; dkim=pass header.d=agency.govt.nz"
            + String(repeating: " ", count: AuthenticationResults.maxValueBytes)
        let a = AuthenticationResults(parsing: v)
        #expect(a.malformed && a.results.isEmpty && !a.dkimPass(for: Self.domain))
    }
}
