import CPCRE2
/// Reads markings from one piece of text according to the rules of its location.
struct LocationReaders {
    let vocabulary: Vocabulary
    let grammar: FreeFormGrammar
    let epms: EPMSGrammar
    let candidates: PCRE2Pattern
    /// The same pattern, caseless, for raw ASCII text (where the skeleton is just upper case).
    let rawCandidates: PCRE2Pattern
    /// Anchored variant for whole lines: a marking line starts (after decoration or a
    /// `Classification:` label) with a candidate word, so prose lines are rejected here.
    let lineCandidates: PCRE2Pattern

    /// One reading before a location name is attached.
    struct Found {
        var text: String
        var marking: Marking?
        var obfuscated: Bool
        var unparseableReason: String?
    }

    init(vocabulary: Vocabulary) throws {
        self.vocabulary = vocabulary
        grammar = FreeFormGrammar(vocabulary: vocabulary)
        epms = EPMSGrammar(vocabulary: vocabulary)
        candidates = try PCRE2Pattern(Self.candidatePattern(vocabulary))
        rawCandidates = try PCRE2Pattern(Self.candidatePattern(vocabulary), options: PCRE2_CASELESS)
        lineCandidates = try PCRE2Pattern(
            "^[\\s*_#=~|<>\\[\\]()\"-]*(?:(?:SECURITY[ \\t]+)?CLASSIFICATION|PROTECTIVE[ \\t]+MARKING|MARKING)?[ \\t]*:?[\\s*_\\[]*"
                + Self.candidatePattern(vocabulary), options: PCRE2_CASELESS)
    }

    /// A PCRE2 pattern, built from the vocabulary, matching any word that can start or make
    /// a marking in the normalised (upper-case) skeleton. Text without a match cannot hold a
    /// marking and skips the tokenizer.
    static func candidatePattern(_ v: Vocabulary) -> String {
        var words: Set<String> = ["SEC=", "DLM=", "NZEO", "ORCON", "AUSTEO", "AGAO", "OFFICIAL", "PROTECTED", "REL", "RELEASABLE",
                                  "ACCOUNTABLE", "NEW[ _-]*ZEALAND", "EMBARGOED", "USE[ _-]+ONLY", "REVIEWED"]
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s { if "\\^$.|?*+()[]{}".contains(ch) { o.append("\\") }; o.append(ch) }
            return o
        }
        for e in v.classifications { for sp in e.spellings { words.insert(sp.map(esc).joined(separator: "[ \\t_-]*")) } }
        for p in v.policyEndorsements { words.insert(p.map(esc).joined(separator: "[ \\t_-]*")) }
        for c in v.codewords { words.insert(esc(c)) }
        let alts = words.sorted { $0.count > $1.count }.joined(separator: "|")
        return "(?<![A-Z0-9])(?:" + alts + ")"
    }

    /// A cheap first look at raw text: pure-ASCII text with no candidate word (caseless) cannot
    /// hold a marking. Non-ASCII text always goes on to normalisation (confusables).
    func rawMayContainMarking(_ text: String) -> Bool {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return true }
        do { return try rawCandidates.firstMatch(in: text) != nil } catch { return true }
    }

    /// Whether the normalised text may contain a marking (fails closed: a PCRE2 limit error
    /// counts as "maybe", so the full grammar runs).
    func mayContainMarking(_ n: NormalizedText) -> Bool {
        do { return try candidates.firstMatch(in: n.upperText) != nil } catch { return true }
    }

    static func isTrailingNoise(_ t: [Token], from: Int) -> Bool {
        (from..<t.count).allSatisfy { t[$0].kind == .space || t[$0].kind == .punct }
    }

    // MARK: subject and file names

    static let replyPrefixes: [[Unicode.Scalar]] = ["RE", "FW", "FWD", "AW", "WG", "SV", "VS", "TR", "AUTOMATIC REPLY", "UNDELIVERABLE"].map { Array($0.unicodeScalars) }

    /// Index after any reply/forward prefixes and `[EXT]`-style tags at the start (spec §8).
    func skipReplyPrefixes(_ n: NormalizedText) -> Int {
        var i = 0
        let c = n.chars
        func skipSpace() { while i < c.count, c[i] == " " { i += 1 } }
        var progress = true
        while progress {
            progress = false
            skipSpace()
            for p in Self.replyPrefixes where i + p.count <= c.count && c[i..<(i + p.count)].elementsEqual(p) {
                var j = i + p.count
                // "RE[2]:" counters
                if j < c.count, c[j] == "[" { var k = j + 1; while k < c.count, c[k].value >= 0x30 && c[k].value <= 0x39 { k += 1 }; if k < c.count, c[k] == "]" { j = k + 1 } }
                while j < c.count, c[j] == " " { j += 1 }
                if j < c.count, c[j] == ":" { i = j + 1; progress = true; break }
            }
            if progress { continue }
            // a bracket tag at the start that is not a marking: [EXT], [External], [SPAM]
            if i < c.count, c[i] == "[", let close = c[i...].firstIndex(of: "]") {
                let inner = NormalizedText(n.plainString((i + 1)..<close))
                if !mayContainMarking(inner) { i = close + 1; progress = true }
            }
        }
        return i
    }

    /// The inside of a bracket: a marking, unparseable, or not a marking at all (nil).
    func readBracket(_ n: NormalizedText, _ r: Range<Int>, tokens all: [Token]) -> Found? {
        let upper = n.upperString(r).trimmingCharacters()
        let plain = n.plainString(r).trimmingCharacters()
        let obf = n.obfuscated(in: r)
        if upper.hasPrefix("SEC=") || upper.hasPrefix("DLM=") {
            switch epms.parseSubjectMedium(plain) {
            case .marking(let m): return Found(text: plain, marking: m, obfuscated: obf)
            case .partial(let m, let why): return Found(text: plain, marking: m, obfuscated: obf, unparseableReason: why)
            case .unparseable(let why): return Found(text: plain, marking: nil, obfuscated: obf, unparseableReason: why)
            }
        }
        if upper == "SEEMAIL" || upper == "TRUSTED" { return nil }  // SEEMail routing hints, not classifications
        // The bracket's tokens are a slice of the whole text's tokens (no second normalisation).
        // Tokens are sorted by position: binary-search the first one in the bracket (linear
        // overall even for a subject made of thousands of brackets).
        var lo = 0, hi = all.count
        while lo < hi { let mid = (lo + hi) / 2; if all[mid].start < r.lowerBound { lo = mid + 1 } else { hi = mid } }
        var e = lo
        while e < all.count, all[e].end <= r.upperBound { e += 1 }
        let t = Array(all[lo..<e])
        guard let first = t.firstIndex(where: { $0.kind == .word }) else { return nil }
        if let res = grammar.parse(t, from: 0), Self.isTrailingNoise(t, from: res.end) {
            return Found(text: plain, marking: res.marking, obfuscated: obf)
        }
        if grammar.startsVocabulary(t, first) {
            return Found(text: plain, marking: nil, obfuscated: obf, unparseableReason: "bracketed text starts like a marking but does not parse")
        }
        return nil
    }

    /// Subject (spec §3.3): bracketed markings anywhere, a bare upper-case marking at the very
    /// start (after reply prefixes) or the very end. Also used for file names (`subject: false`
    /// skips reply prefixes).
    func readSubjectLike(_ text: String, isSubject: Bool) -> [Found] {
        guard rawMayContainMarking(text) else { return [] }
        let n = NormalizedText(text)
        // ASCII text already passed the caseless candidate check on the raw text.
        if !text.utf8.allSatisfy({ $0 < 0x80 }) { guard mayContainMarking(n) else { return [] } }
        var out: [Found] = []
        var covered: [Range<Int>] = []
        let t = Tokenizer.tokens(n)
        // 1. brackets
        var i = 0
        while i < n.chars.count {
            if n.chars[i] == "[", let close = n.chars[(i + 1)...].firstIndex(where: { $0 == "]" || $0 == "[" }), n.chars[close] == "]" {
                if let f = readBracket(n, (i + 1)..<close, tokens: t) { out.append(f); covered.append(i..<(close + 1)) }
                i = close + 1
                continue
            }
            i += 1
        }
        // 2. bare start
        let startChar = isSubject ? skipReplyPrefixes(n) : 0
        var firstTok = t.firstIndex { $0.start >= startChar && $0.kind != .space } ?? t.count
        var startEnd = -1
        if firstTok < t.count, t[firstTok].kind == .word, !covered.contains(where: { $0.contains(t[firstTok].start) }) {
            if let res = grammar.parse(t, from: firstTok, accept: { upperTokens(n, t, $0) }), let cr = res.classificationTokens {
                let r = t[res.start].start..<t[res.end - 1].end
                out.append(Found(text: n.plainString(r), marking: res.marking, obfuscated: n.obfuscated(in: r)))
                startEnd = res.end
                _ = cr
            }
        } else { firstTok = t.count }
        // 3. bare end: a marking that runs to the end of the text. Only a bounded number of
        //    start positions are tried (classification words from the right, and up to three
        //    words before each for leading endorsements), so this stays linear in the length.
        if startEnd < t.count {
            var endLimit = t.count
            while endLimit > 0, t[endLimit - 1].kind == .space || (t[endLimit - 1].kind == .punct && !(t[endLimit - 1].text == "]")) { endLimit -= 1 }
            var starts: [Int] = []
            var k = endLimit - 1
            var classWords = 0
            while k >= max(startEnd, 0), classWords < 4 {
                if t[k].kind == .word, grammar.classification(t, k) != nil {
                    classWords += 1
                    var b = k, words = 0
                    while b >= max(startEnd, 0), words <= 3 {
                        if t[b].kind == .word { starts.append(b); words += 1 }
                        b -= 1
                    }
                }
                k -= 1
            }
            for k in Set(starts).sorted() where k == 0 || t[k - 1].kind != .word {
                guard !covered.contains(where: { $0.contains(t[k].start) }) else { continue }
                if let res = grammar.parse(t, from: k, accept: { upperTokens(n, t, $0) }), res.end >= endLimit, res.classificationTokens != nil {
                    let r = t[res.start].start..<t[res.end - 1].end
                    out.append(Found(text: n.plainString(r), marking: res.marking, obfuscated: n.obfuscated(in: r)))
                    break
                }
            }
        }
        return out
    }

    func upperTokens(_ n: NormalizedText, _ t: [Token], _ r: Range<Int>) -> Bool {
        r.allSatisfy { t[$0].kind != .word || n.allUpper(in: t[$0].start..<t[$0].end) }
    }

    // MARK: whole lines (body, text attachments, document headers and footers)

    static let linePrefixes = ["SECURITY CLASSIFICATION", "PROTECTIVE MARKING", "CLASSIFICATION", "MARKING"]

    /// A line that is, as a whole, a marking (spec §3.4): decoration (`**`, `==`, brackets) and
    /// a `Classification:` label are allowed around it. Case-insensitive.
    func readLine(_ line: String) -> Found? {
        if line.utf8.allSatisfy({ $0 < 0x80 }) {
            do { if try lineCandidates.firstMatch(in: line) == nil { return nil } } catch {}  // a PCRE2 limit reads on (fail closed)
        }
        let ascii = line.utf8.allSatisfy { $0 < 0x80 }
        let n = NormalizedText(line)
        if !ascii { guard mayContainMarking(n) else { return nil } }
        var s = 0, e = n.chars.count
        let deco: Set<Unicode.Scalar> = ["*", "_", "#", "=", "~", "|", "<", ">", " ", "[", "]", "(", ")", "-", "\""]
        while s < e, deco.contains(n.chars[s]) { s += 1 }
        while e > s, deco.contains(n.chars[e - 1]) || n.chars[e - 1] == "." { e -= 1 }
        guard s < e else { return nil }
        var body = n.upperString(s..<e)
        for p in Self.linePrefixes where body.hasPrefix(p) {
            let rest = body.dropFirst(p.count).drop { $0 == " " }
            if rest.first == ":" { s += body.count - rest.count + 1; while s < e, n.chars[s] == " " { s += 1 }; body = n.upperString(s..<e) }
            break
        }
        let r = s..<e
        if body.hasPrefix("SEC=") || body.hasPrefix("DLM=") {
            switch epms.parseSubjectMedium(n.plainString(r)) {
            case .marking(let m): return Found(text: n.plainString(r), marking: m, obfuscated: n.obfuscated(in: r))
            case .partial(let m, let why): return Found(text: n.plainString(r), marking: m, obfuscated: n.obfuscated(in: r), unparseableReason: why)
            case .unparseable(let why): return Found(text: n.plainString(r), marking: nil, obfuscated: n.obfuscated(in: r), unparseableReason: why)
            }
        }
        let inner = NormalizedText(n.plainString(r))
        let t = Tokenizer.tokens(inner)
        guard let res = grammar.parse(t, from: 0), res.start == 0 || t[0..<res.start].allSatisfy({ $0.kind != .word }),
              Self.isTrailingNoise(t, from: res.end) else { return nil }
        return Found(text: n.plainString(r), marking: res.marking, obfuscated: n.obfuscated(in: r))
    }

    // MARK: X-Protective-Marking and other headers

    func readProtectiveMarkingHeader(_ value: String) -> Found {
        // Only non-ASCII values can hold confusables or invisible characters.
        var plain = value, obf = false
        if !value.utf8.allSatisfy({ $0 < 0x80 }) {
            let n = NormalizedText(value)
            plain = n.plainText; obf = n.anyObfuscated
        }
        switch epms.parseHeader(plain) {
        case .marking(let m): return Found(text: value, marking: m, obfuscated: obf)
        case .partial(let m, let why): return Found(text: value, marking: m, obfuscated: obf, unparseableReason: why)
        case .unparseable(let why): return Found(text: value, marking: nil, obfuscated: obf, unparseableReason: why)
        }
    }

    /// A configured marking header (`X-Classification: SECRET`): the whole value is a marking.
    func readOtherHeader(_ value: String) -> Found {
        if let f = readLine(value) { return f }
        return Found(text: value, marking: nil, obfuscated: false, unparseableReason: "header value is not a marking")
    }
}
