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
    /// Classification spellings without separators, for spaced-out letters.
    let joinedSpellings: [String: String]

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
        joinedSpellings = Self.joinedSpellings(vocabulary)
        epms = EPMSGrammar(vocabulary: vocabulary)
        candidates = try PCRE2Pattern(Self.candidatePattern(vocabulary))
        rawCandidates = try PCRE2Pattern(Self.candidatePattern(vocabulary), options: PCRE2_CASELESS)
        lineCandidates = try PCRE2Pattern(
            """
            ^[\\s*_#=~|<>\\[\\](){}/"-]*(?:(?:SECURITY[ \\t]+)?CLASSIFICATION|PROTECTIVE[ \
            \\t]+MARKING|MARKING|SENSITIVITY)?[ \\t]*[:-]?[\\s*_\\[{(/=-]*
            """
                + Self.candidatePattern(vocabulary), options: PCRE2_CASELESS)
    }

    /// A PCRE2 pattern, built from the vocabulary, matching any word that can start or make
    /// a marking in the normalised (upper-case) skeleton. Text without a match cannot hold a
    /// marking and skips the tokenizer.
    static func candidatePattern(_ v: Vocabulary) -> String {
        var words: Set<String> = [
            "SEC=", "DLM=", "NZEO", "ORCON", "AUSTEO", "AGAO", "OFFICIAL", "PROTECTED", "REL", "RELEASABLE",
            "ACCOUNTABLE", "NEW[ _-]*ZEALAND", "EMBARGOED", "USE[ _-]+ONLY", "REVIEWED",
        ]
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s {
                if "\\^$.|?*+()[]{}".contains(ch) { o.append("\\") }
                o.append(ch)
            }
            return o
        }
        for e in v.classifications {
            for sp in e.spellings { words.insert(sp.map(esc).joined(separator: "[ \\t_-]*")) }
        }
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

    /// Reply and forward prefixes in the languages mail clients write them (spec §10.6), in
    /// normalised (upper-case skeleton) form. Any other word of one to four letters followed
    /// by a colon at the start is skipped as well (`R:`, `Odp:`, `ΑΠ:`).
    static let replyPrefixes: [[Unicode.Scalar]] = [
        "RE", "FW", "FWD", "AW", "WG", "SV", "VS", "TR", "RV", "ANTW", "ANTWORT", "DOORST", "RIF", "ENC", "RES", "YNT",
        "ILT",
        "WTR", "VB", "VL", "PD", "ODP", "AUTOMATIC REPLY", "AUTO REPLY", "UNDELIVERABLE", "OUT OF OFFICE",
        "回复", "回覆", "答复", "答覆", "转发", "轉寄", "转寄", "轉發", "返信", "転送", "회신", "답장", "전달",
    ].map { NormalizedText($0).chars }

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
                if j < c.count, c[j] == "[" {
                    var k = j + 1
                    while k < c.count, c[k].value >= 0x30 && c[k].value <= 0x39 { k += 1 }
                    if k < c.count, c[k] == "]" { j = k + 1 }
                }
                while j < c.count, c[j] == " " { j += 1 }
                if j < c.count, c[j] == ":" {
                    i = j + 1
                    progress = true
                    break
                }
            }
            if progress { continue }
            // any short word and a colon: "R:", "Odp:", "ΑΠ:"
            var j = i
            while j < c.count, j - i <= 4, Tokenizer.isWordChar(c[j]), c[j] != "." { j += 1 }
            if j > i, j - i <= 4 {
                var k = j
                if k < c.count, c[k] == "[" {
                    var q = k + 1
                    while q < c.count, c[q].value >= 0x30 && c[q].value <= 0x39 { q += 1 }
                    if q < c.count, c[q] == "]" { k = q + 1 }
                }
                while k < c.count, c[k] == " " { k += 1 }
                if k < c.count, c[k] == ":" {
                    i = k + 1
                    progress = true
                    continue
                }
            }
            // a bracket tag at the start that is not a marking: [EXT], [External], [SPAM]
            if i < c.count, c[i] == "[", let close = c[i...].firstIndex(of: "]") {
                let inner = NormalizedText(n.plainString((i + 1)..<close))
                if !mayContainMarking(inner) {
                    i = close + 1
                    progress = true
                }
            }
        }
        return i
    }

    static let bracketPairs: [Unicode.Scalar: Unicode.Scalar] = ["[": "]", "(": ")", "{": "}", "<": ">", "*": "*"]

    /// The inside of a bracket: a marking, unparseable, or not a marking at all (nil). Inside
    /// `[ ]` anything that starts like a marking and does not parse is unparseable; inside the
    /// other delimiters, where prose is common ("lunch (secret location)"), only an upper-case
    /// classification word is (spec §10.8).
    func readBracket(_ n: NormalizedText, _ r: Range<Int>, tokens all: [Token], square: Bool = true) -> Found? {
        let upper = n.upperString(r).trimmingCharacters()
        let plain = n.plainString(r).trimmingCharacters()
        let obf = n.obfuscated(in: r)
        if upper.hasPrefix("SEC=") || upper.hasPrefix("DLM=") {
            switch epms.parseSubjectMedium(plain) {
            case .marking(let m): return Found(text: plain, marking: m, obfuscated: obf)
            case .partial(let m, let why):
                return Found(text: plain, marking: m, obfuscated: obf, unparseableReason: why)
            case .unparseable(let why): return Found(text: plain, marking: nil, obfuscated: obf, unparseableReason: why)
            }
        }
        if upper == "SEEMAIL" || upper == "TRUSTED" { return nil }  // SEEMail routing hints, not classifications
        // The bracket's tokens are a slice of the whole text's tokens (no second normalisation).
        // Tokens are sorted by position: binary-search the first one in the bracket (linear
        // overall even for a subject made of thousands of brackets).
        var lo = 0, hi = all.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if all[mid].start < r.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        var e = lo
        while e < all.count, all[e].end <= r.upperBound { e += 1 }
        let t = Array(all[lo..<e])
        guard let first = t.firstIndex(where: { $0.kind == .word }) else { return nil }
        if let res = grammar.parse(t, from: 0), Self.isTrailingNoise(t, from: res.end) {
            return Found(text: plain, marking: res.marking, obfuscated: obf)
        }
        if square
            ? grammar.startsVocabulary(t, first)
            : (grammar.classification(t, first).map { n.allUpper(in: t[first].start..<t[$0.1 - 1].end) } ?? false)
        {
            return Found(
                text: plain, marking: nil, obfuscated: obf,
                unparseableReason: "bracketed text starts like a marking but does not parse")
        }
        return nil
    }

    /// Subject (spec §3.3): bracketed markings anywhere, a bare upper-case marking at the very
    /// start (after reply prefixes) or the very end. Also used for file names (`subject: false`
    /// skips reply prefixes).
    func readSubjectLike(_ text: String, isSubject: Bool) -> [Found] {
        guard rawMayContainMarking(text) else { return [] }
        // A right-to-left override: read the logical and the displayed order (spec §10.5).
        if NormalizedText.hasOverride(text) {
            return readSubjectLike(NormalizedText(text), text, isSubject: isSubject)
                + readSubjectLike(NormalizedText(text, displayOrder: true), text, isSubject: isSubject)
        }
        return readSubjectLike(NormalizedText(text), text, isSubject: isSubject)
    }

    func readSubjectLike(_ n: NormalizedText, _ text: String, isSubject: Bool) -> [Found] {
        // ASCII text already passed the caseless candidate check on the raw text.
        if !text.utf8.allSatisfy({ $0 < 0x80 }) { guard mayContainMarking(n) else { return [] } }
        var out: [Found] = []
        var covered: [Range<Int>] = []
        let t = Tokenizer.tokens(n)
        // 1. brackets: [ ], and (spec §10.6) ( ), { }, < >, * *; fullwidth ［ ］ and CJK 【 】
        //    are [ ] after normalisation.
        var i = 0
        while i < n.chars.count {
            if let closer = Self.bracketPairs[n.chars[i]],
                let close = n.chars[(i + 1)...].firstIndex(where: { $0 == closer || ($0 == n.chars[i] && closer != $0) }
                ), n.chars[close] == closer
            {
                if let f = readBracket(n, (i + 1)..<close, tokens: t, square: n.chars[i] == "[") {
                    out.append(f)
                    covered.append(i..<(close + 1))
                }
                i = n.chars[i] == "[" ? close + 1 : i + 1
                continue
            }
            i += 1
        }
        // 2. bare start
        let startChar = isSubject ? skipReplyPrefixes(n) : 0
        var firstTok = t.firstIndex { $0.start >= startChar && $0.kind != .space } ?? t.count
        var startEnd = -1
        if firstTok < t.count, t[firstTok].kind == .word, !covered.contains(where: { $0.contains(t[firstTok].start) }) {
            if let res = grammar.parse(t, from: firstTok, accept: { upperTokens(n, t, $0) }),
                let cr = res.classificationTokens
            {
                let r = t[res.start].start..<t[res.end - 1].end
                out.append(Found(text: n.plainString(r), marking: res.marking, obfuscated: n.obfuscated(in: r)))
                startEnd = res.end
                _ = cr
            }
        } else {
            firstTok = t.count
        }
        // 3. bare end: a marking that runs to the end of the text. Only a bounded number of
        //    start positions are tried (classification words from the right, and up to three
        //    words before each for leading endorsements), so this stays linear in the length.
        if startEnd < t.count {
            var endLimit = t.count
            while endLimit > 0,
                t[endLimit - 1].kind == .space || (t[endLimit - 1].kind == .punct && !(t[endLimit - 1].text == "]"))
            { endLimit -= 1 }
            var starts: [Int] = []
            var k = endLimit - 1
            var classWords = 0
            while k >= max(startEnd, 0), classWords < 4 {
                if t[k].kind == .word, grammar.classification(t, k) != nil {
                    classWords += 1
                    var b = k, words = 0
                    while b >= max(startEnd, 0), words <= 3 {
                        if t[b].kind == .word {
                            starts.append(b)
                            words += 1
                        }
                        b -= 1
                    }
                }
                k -= 1
            }
            for k in Set(starts).sorted() where k == 0 || t[k - 1].kind != .word {
                guard !covered.contains(where: { $0.contains(t[k].start) }) else { continue }
                if let res = grammar.parse(t, from: k, accept: { upperTokens(n, t, $0) }), res.end >= endLimit,
                    res.classificationTokens != nil
                {
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

    static let linePrefixes = [
        "SECURITY CLASSIFICATION", "PROTECTIVE MARKING", "CLASSIFICATION", "SENSITIVITY", "MARKING",
    ]

    /// A line that is, as a whole, a marking (spec §3.4): decoration (`**`, `==`, brackets) and
    /// a `Classification:` label are allowed around it. Case-insensitive.
    func readLine(_ line: String) -> Found? {
        if line.utf8.allSatisfy({ $0 < 0x80 }) {
            // a PCRE2 limit reads on (fail closed)
            do { if try lineCandidates.firstMatch(in: line) == nil, !Self.looksSpaced(line) { return nil } } catch {}
        }
        let ascii = line.utf8.allSatisfy { $0 < 0x80 }
        if NormalizedText.hasOverride(line) {
            // Both orders; the displayed one wins when both read something (spec §10.5).
            let logical = readLine(NormalizedText(line), ascii: ascii)
            let displayed = readLine(NormalizedText(line, displayOrder: true), ascii: ascii)
            guard let d = displayed else { return logical }
            guard let l = logical else { return d }
            return (l.marking?.classification ?? .init(rank: -1, name: ""))
                > (d.marking?.classification ?? .init(rank: -1, name: "")) ? l : d
        }
        return readLine(NormalizedText(line), ascii: ascii)
    }

    func readLine(_ n: NormalizedText, ascii: Bool) -> Found? {
        if !ascii { guard mayContainMarking(n) else { return nil } }
        var s = 0, e = n.chars.count
        let deco: Set<Unicode.Scalar> = [
            "*", "_", "#", "=", "~", "|", "<", ">", " ", "[", "]", "(", ")", "{", "}", "/", "-", "\"",
        ]
        while s < e, deco.contains(n.chars[s]) { s += 1 }
        while e > s, deco.contains(n.chars[e - 1]) || n.chars[e - 1] == "." { e -= 1 }
        guard s < e else { return nil }
        var body = n.upperString(s..<e)
        for p in Self.linePrefixes where body.hasPrefix(p) {
            let rest = body.dropFirst(p.count).drop { $0 == " " }
            if rest.first == ":" || rest.first == "-" {
                s += body.count - rest.count + 1
                while s < e, n.chars[s] == " " { s += 1 }
                body = n.upperString(s..<e)
            }
            break
        }
        let r = s..<e
        if body.hasPrefix("SEC=") || body.hasPrefix("DLM=") {
            switch epms.parseSubjectMedium(n.plainString(r)) {
            case .marking(let m): return Found(text: n.plainString(r), marking: m, obfuscated: n.obfuscated(in: r))
            case .partial(let m, let why):
                return Found(
                    text: n.plainString(r), marking: m, obfuscated: n.obfuscated(in: r), unparseableReason: why)
            case .unparseable(let why):
                return Found(
                    text: n.plainString(r), marking: nil, obfuscated: n.obfuscated(in: r), unparseableReason: why)
            }
        }
        let inner = NormalizedText(n.plainString(r))
        let t = Tokenizer.tokens(inner)
        if let spaced = spacedClassification(t) {
            return Found(
                text: n.plainString(r), marking: nil, obfuscated: false,
                unparseableReason: "letters of \(spaced) spaced or split")
        }
        guard let res = grammar.parse(t, from: 0), res.start == 0 || t[0..<res.start].allSatisfy({ $0.kind != .word })
        else { return nil }
        if Self.isTrailingNoise(t, from: res.end) {
            return Found(text: n.plainString(r), marking: res.marking, obfuscated: n.obfuscated(in: r))
        }
        // Spec §10.8: an upper-case classification word followed by a handling phrase is a
        // near-marking (fails closed); followed by an ordinary sentence it is prose.
        if let cr = res.classificationTokens, inner.allUpper(in: t[cr.lowerBound].start..<t[cr.upperBound - 1].end),
            Self.isNearMarkingTail(t, from: res.end, inner)
        {
            return Found(
                text: n.plainString(r), marking: nil, obfuscated: n.obfuscated(in: r),
                unparseableReason: "a classification word followed by text that is not a marking")
        }
        return nil
    }

    /// After a classification word: only punctuation and all-upper-case tokens, or a separator
    /// (`-`, `–`, `:`, `/`, `|`) then at most six words.
    static func isNearMarkingTail(_ t: [Token], from: Int, _ n: NormalizedText) -> Bool {
        let rest = t[from...]
        if rest.allSatisfy({ $0.kind != .word || n.allUpper(in: $0.start..<$0.end) }) { return true }
        guard let sep = rest.first(where: { !($0.kind == .space && !$0.text.contains("-")) }) else { return true }
        let isSeparator =
            sep.kind == .colon || sep.kind == .slash || sep.kind == .doubleSlash
            || (sep.kind == .punct && sep.text == "|")
            || (sep.kind == .space && sep.text.contains("-"))
        guard isSeparator else { return false }
        return rest.filter { $0.kind == .word }.count <= 6
    }

    /// Classification spellings with their separators removed (`TOPSECRET`, `INCONFIDENCE`).
    static func joinedSpellings(_ vocabulary: Vocabulary) -> [String: String] {
        var out: [String: String] = [:]
        for e in vocabulary.classifications where e.classification.rank > 0 {
            for sp in e.spellings { out[sp.joined()] = e.classification.name }
        }
        return out
    }

    /// Cheap test: at least four letters, none next to another (`S E C R E T`).
    static func looksSpaced(_ line: String) -> Bool {
        var letters = 0
        var prevLetter = false
        for b in line.utf8 {
            let isLetter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            if isLetter {
                if prevLetter { return false }
                letters += 1
            }
            prevLetter = isLetter
        }
        return letters >= 4
    }

    /// A line of single letters that spell a classification (`S E C R E T`, `S-E-C-R-E-T`).
    func spacedClassification(_ t: [Token]) -> String? {
        // "S.E.C.R.E.T" is one word token (dots are word characters): split it too.
        let letters = t.filter { $0.kind == .word }.flatMap { $0.text.split(separator: ".").map(String.init) }
        guard letters.count >= 4, letters.allSatisfy({ $0.count == 1 }),
            t.allSatisfy({ $0.kind == .word || $0.kind == .space || $0.kind == .punct })
        else { return nil }
        return joinedSpellings[letters.joined()]
    }

    // MARK: X-Protective-Marking and other headers

    func readProtectiveMarkingHeader(_ value: String) -> Found {
        // Only non-ASCII values can hold confusables or invisible characters.
        var plain = value, obf = false
        if !value.utf8.allSatisfy({ $0 < 0x80 }) {
            let n = NormalizedText(value)
            plain = n.plainText
            obf = n.anyObfuscated
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
