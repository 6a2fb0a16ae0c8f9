import CPCRE2

#if canImport(Glibc)
import Glibc
#endif

/// A PCRE2 pattern compiled once with JIT and shared between threads (compiled code is
/// read-only). Match data, the match context (with its match limit) and the JIT stack are
/// per thread, as pcre2jit(3) requires.
final class PCRE2Pattern: @unchecked Sendable {
    let code: OpaquePointer

    /// The match limit for untrusted input. JIT ignores the depth limit, so this is the bound
    /// on backtracking: 100,000 steps is ~0.2 ms of JIT time; no marking pattern needs more.
    static let matchLimit: UInt32 = 100_000

    struct CompileError: Error, CustomStringConvertible { var description: String }
    struct MatchLimitExceeded: Error {}

    init(_ pattern: String, options: UInt32 = 0) throws {
        var err: Int32 = 0
        var off = 0
        guard let c = pcre2_compile_8(pattern, pattern.utf8.count, options, &err, &off, nil) else {
            var buf = [UInt8](repeating: 0, count: 256)
            pcre2_get_error_message_8(err, &buf, buf.count)
            throw CompileError(
                description: "pattern error at \(off): " + String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self))
        }
        code = c
        _ = pcre2_jit_compile_8(c, UInt32(PCRE2_JIT_COMPLETE))  // falls back to the interpreter if JIT is unavailable
    }
    deinit { pcre2_code_free_8(code) }

    /// Per-thread scratch: match data (16 pairs), match context with the limit, JIT stack.
    final class Scratch {
        let matchData: OpaquePointer
        let context: OpaquePointer
        let stack: OpaquePointer
        init() {
            matchData = pcre2_match_data_create_8(16, nil)
            context = pcre2_match_context_create_8(nil)
            stack = pcre2_jit_stack_create_8(32 << 10, 1 << 20, nil)
            pcre2_set_match_limit_8(context, PCRE2Pattern.matchLimit)
            pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(stack))
        }
        deinit {
            pcre2_match_data_free_8(matchData)
            pcre2_match_context_free_8(context)
            pcre2_jit_stack_free_8(stack)
        }
    }

    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { p in if let p { Unmanaged<Scratch>.fromOpaque(p).release() } }
        return k
    }()

    static var scratch: Scratch {
        if let p = pthread_getspecific(key) { return Unmanaged<Scratch>.fromOpaque(p).takeUnretainedValue() }
        let s = Scratch()
        pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
        return s
    }

    /// The first match at or after `from` in `text` (UTF-8 offsets), or nil.
    /// Throws ``MatchLimitExceeded`` when the match limit is hit (callers fail closed).
    func firstMatch(in text: String, from: Int = 0) throws -> Range<Int>? {
        var text = text
        return try text.withUTF8 { u -> Range<Int>? in
            let s = Self.scratch
            let rc = pcre2_match_8(code, u.baseAddress, u.count, from, 0, s.matchData, s.context)
            if rc == PCRE2_ERROR_NOMATCH { return nil }
            if rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT { throw MatchLimitExceeded() }
            if rc < 0 { throw MatchLimitExceeded() }
            let ov = pcre2_get_ovector_pointer_8(s.matchData)!
            return ov[0]..<ov[1]
        }
    }
}
