import CMagic
import CPCRE2
import Testing

@Suite("System libraries")
struct SystemLibraryTests {
    @Test("PCRE2 compiles with JIT and honours a match limit")
    func pcre2() throws {
        var jit: UInt32 = 0
        pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &jit)
        #expect(jit == 1)
        let pattern = "^(a+)+$"
        var err: Int32 = 0
        var off = 0
        let code = try #require(pcre2_compile_8(pattern, pattern.utf8.count, 0, &err, &off, nil))
        defer { pcre2_code_free_8(code) }
        #expect(pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) == 0)
        let md = pcre2_match_data_create_from_pattern_8(code, nil)
        defer { pcre2_match_data_free_8(md) }
        let mctx = pcre2_match_context_create_8(nil)
        defer { pcre2_match_context_free_8(mctx) }
        pcre2_set_match_limit_8(mctx, 10_000)
        let subject = String(repeating: "a", count: 28) + "!"
        let rc = pcre2_match_8(code, subject, subject.utf8.count, 0, 0, md, mctx)
        #expect(rc == PCRE2_ERROR_MATCHLIMIT)
    }

    @Test("libmagic loads its database and identifies a PDF prefix")
    func magic() throws {
        let cookie = try #require(magic_open(MAGIC_MIME_TYPE))
        defer { magic_close(cookie) }
        #expect(magic_load(cookie, nil) == 0)
        let pdf = Array("%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n<<>>\nendobj\n".utf8)
        let type = pdf.withUnsafeBytes { String(cString: magic_buffer(cookie, $0.baseAddress, $0.count)) }
        #expect(type == "application/pdf")
    }
}
