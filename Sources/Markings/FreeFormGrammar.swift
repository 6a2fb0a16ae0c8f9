/// The NZ written-marking grammar (spec §2, §8 "Reading rules"):
///
/// ```
/// marking     = *(pp-endorsement SP) classification *(sep endorsement)
/// sep         = "//" / "/" / ":" / " - " / SP / ","
/// endorsement = pp-endorsement / "NZEO" / "NEW ZEALAND EYES ONLY" / "ORCON" / "ACCOUNTABLE MATERIAL"
///             / ("REL TO" / "RELEASABLE TO") trigraph *("," / SP / "/") trigraph
///             / agency 1*3word "USE ONLY" / "EMBARGOED FOR RELEASE" [date] / "TO BE REVIEWED ON" date
///             / codeword / "AUSTEO" / "AGAO"
/// ```
///
/// Reading stops at the first token that is not an endorsement, except after `//` or `/`,
/// where every slot is an endorsement: an unknown word there is kept (upper case) as an
/// unknown endorsement or unlisted codeword and later raises `invalid-combination`.
struct FreeFormGrammar {
    let vocabulary: Vocabulary
    /// Classification spellings indexed by first word.
    let classificationsByFirstWord: [String: [(words: [String], classification: Classification)]]
    /// First words of every fixed endorsement phrase (P&P, NZEO, REL TO, …) and codewords.
    let endorsementFirstWords: Set<String>

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        var byFirst: [String: [(words: [String], classification: Classification)]] = [:]
        for e in vocabulary.classifications {
            for sp in e.spellings {
                byFirst[sp[0], default: []].append(
                    (sp, Classification(rank: e.classification.rank, name: e.reportedAs ?? e.classification.name)))
            }
        }
        classificationsByFirstWord = byFirst
        var first: Set<String> = [
            "NZEO", "NEW", "ORCON", "ACCOUNTABLE", "AUSTEO", "AGAO", "REL", "RELEASABLE", "EMBARGOED", "TO",
        ]
        for p in vocabulary.policyEndorsements { first.insert(p[0]) }
        first.formUnion(vocabulary.codewords)
        endorsementFirstWords = first
    }

    struct Result {
        var marking: Marking
        /// Index of the first token not consumed.
        var end: Int
        /// Token index range of the classification words (for the upper-case rule).
        var classificationTokens: Range<Int>?
        /// The first token consumed (after leading decoration).
        var start: Int
    }

    static let months: Set<String> = [
        "JAN", "JANUARY", "FEB", "FEBRUARY", "MAR", "MARCH", "APR", "APRIL", "MAY", "JUN", "JUNE",
        "JUL", "JULY", "AUG", "AUGUST", "SEP", "SEPT", "SEPTEMBER", "OCT", "OCTOBER", "NOV", "NOVEMBER",
        "DEC", "DECEMBER", "AM", "PM", "NZST", "NZDT", "UTC", "GMT", "AT", "MIDDAY", "MIDNIGHT",
    ]

    /// Words of the phrase at token `i` if it matches `phrase` (words separated by `space` tokens).
    func match(_ t: [Token], _ i: Int, _ phrase: [String]) -> Int? {
        var k = i
        for (n, w) in phrase.enumerated() {
            if n > 0 {
                guard k < t.count, t[k].kind == .space else { return nil }
                k += 1
            }
            guard k < t.count, t[k].kind == .word, t[k].text == w else { return nil }
            k += 1
        }
        return k
    }

    /// The longest classification spelling at `i`: (entry index, end token).
    func classification(_ t: [Token], _ i: Int) -> (Classification, Int)? {
        var best: (Classification, Int)? = nil
        guard i < t.count, t[i].kind == .word else { return nil }
        for (words, c) in classificationsByFirstWord[t[i].text] ?? [] {
            if let end = match(t, i, words), end > (best?.1 ?? -1) { best = (c, end) }
        }
        // AU words in free text (body lines, file names): OFFICIAL[: ]SENSITIVE, OFFICIAL, PROTECTED.
        if best == nil {
            if let e = match(t, i, ["OFFICIAL"]) {
                var k = e
                // OFFICIAL:Sensitive / OFFICIAL: Sensitive / OFFICIAL-Sensitive / OFFICIAL Sensitive
                var j = k
                if j < t.count, t[j].kind == .colon {
                    j += 1
                    if j < t.count, t[j].kind == .space { j += 1 }
                } else if j < t.count, t[j].kind == .space {
                    j += 1
                }
                if j < t.count, t[j].kind == .word, t[j].text == "SENSITIVE" {
                    k = j + 1
                    if let c = vocabulary.classification(
                        named: vocabulary.australian["OFFICIAL:SENSITIVE"] ?? "IN-CONFIDENCE")
                    {
                        return (c, k)
                    }
                }
                if let c = vocabulary.classification(named: vocabulary.australian["OFFICIAL"] ?? "UNCLASSIFIED") {
                    return (c, k)
                }
            }
            if let e = match(t, i, ["PROTECTED"]),
                let c = vocabulary.classification(named: vocabulary.australian["PROTECTED"] ?? "RESTRICTED")
            {
                return (c, e)
            }
        }
        return best
    }

    /// A policy-and-privacy endorsement (no parameter) at `i`.
    func ppEndorsement(_ t: [Token], _ i: Int) -> (Endorsement, Int)? {
        var best: (Endorsement, Int)? = nil
        for p in vocabulary.policyEndorsements {
            if let e = match(t, i, p), e > (best?.1 ?? -1) {
                best = (Endorsement(kind: .policyAndPrivacy, name: p.joined(separator: " ")), e)
            }
        }
        return best
    }

    func isDateWord(_ s: String) -> Bool { s.contains(where: \.isNumber) || Self.months.contains(s) }

    /// Consumes date/time words after EMBARGOED FOR RELEASE / TO BE REVIEWED ON, keeping
    /// `-`, `/` and `:` between digits (`2026-01-01`, `10/05/2025`, `12:30`).
    func dateTail(_ t: [Token], _ i: Int) -> (String, Int) {
        var k = i
        var text = ""
        var last = i
        var pendingJoin = ""
        while k < t.count {
            let tok = t[k]
            if tok.kind == .word, isDateWord(tok.text) {
                text += text.isEmpty ? tok.text : (pendingJoin.isEmpty ? " " : pendingJoin) + tok.text
                pendingJoin = ""
                k += 1
                last = k
                continue
            }
            let joiner = tok.text.trimmingCharacters()
            if tok.kind == .space || tok.kind == .colon || tok.kind == .slash || tok.kind == .comma {
                pendingJoin = (joiner == "-" || joiner == ":" || joiner == "/") ? joiner : ""
                k += 1
                continue
            }
            break
        }
        return (text, last)
    }

    /// Whether token `i` is the first word of a non-parameterised endorsement (a cheap,
    /// non-recursive check used to end a REL TO list: "REL TO NZL/ORCON", "… NZL, REL TO …").
    func startsEndorsementWord(_ t: [Token], _ i: Int) -> Bool {
        let w = t[i].text
        if ["NZEO", "ORCON", "AUSTEO", "AGAO", "ACCOUNTABLE"].contains(w) { return true }
        if (w == "REL" || w == "RELEASABLE"), i + 2 < t.count, t[i + 2].text == "TO" { return true }
        return vocabulary.policyEndorsements.contains { $0.first == w } || vocabulary.codewords.contains(w)
    }

    /// Any known endorsement at `i`.
    func endorsement(_ t: [Token], _ i: Int) -> (Endorsement, Int)? {
        guard i < t.count, t[i].kind == .word else { return nil }
        if !endorsementFirstWords.contains(t[i].text) {
            // Only "<AGENCY> USE ONLY" can start with any word: look for USE within 3 words.
            var k = i, words = 0
            var found = false
            while k < t.count, words < 4 {
                if t[k].kind == .word {
                    if t[k].text == "USE" {
                        found = true
                        break
                    }
                    words += 1
                }
                k += 1
            }
            if !found { return nil }
        }
        if let e = match(t, i, ["NZEO"]) ?? match(t, i, ["NEW", "ZEALAND", "EYES", "ONLY"]) { return (.nzeo, e) }
        if let e = match(t, i, ["ORCON"]) { return (.orcon, e) }
        if let e = match(t, i, ["ACCOUNTABLE", "MATERIAL"]) { return (.accountableMaterial, e) }
        if let e = match(t, i, ["AUSTEO"]) { return (.austeo, e) }
        if let e = match(t, i, ["AGAO"]) { return (.agao, e) }
        if let e = match(t, i, ["REL", "TO"]) ?? match(t, i, ["RELEASABLE", "TO"]) {
            var k = e
            var codes: [String] = []
            var lastGood = e
            while k < t.count {
                if t[k].kind == .space || t[k].kind == .comma {
                    k += 1
                    continue
                }
                if t[k].kind == .slash, !codes.isEmpty, k + 1 < t.count, t[k + 1].kind == .word,
                    t[k + 1].text.count == 3 || t[k + 1].text == "FVEY"
                {
                    // "/AUS" continues a list only when followed by a trigraph, not an endorsement
                    if startsEndorsementWord(t, k + 1) { break }
                    k += 1
                    continue
                }
                if t[k].kind == .word,
                    (t[k].text.count == 3 && t[k].text.allSatisfy { $0.isLetter && $0.isASCII }) || t[k].text == "FVEY"
                {
                    if startsEndorsementWord(t, k) && !codes.isEmpty { break }
                    codes.append(t[k].text)
                    k += 1
                    lastGood = k
                    continue
                }
                break
            }
            if codes.isEmpty { return nil }
            return (.relTo(codes), lastGood)
        }
        if let e = match(t, i, ["EMBARGOED", "FOR", "RELEASE"]) {
            var k = e
            if k < t.count, t[k].kind == .space || t[k].kind == .colon { k += 1 }
            let (date, end) = dateTail(t, k)
            return date.isEmpty
                ? (Endorsement(kind: .policyAndPrivacy, name: "EMBARGOED FOR RELEASE"), e)
                : (Endorsement(kind: .policyAndPrivacy, name: "EMBARGOED FOR RELEASE " + date), end)
        }
        if let e = match(t, i, ["TO", "BE", "REVIEWED", "ON"]) {
            var k = e
            if k < t.count, t[k].kind == .space || t[k].kind == .colon { k += 1 }
            let (date, end) = dateTail(t, k)
            if date.isEmpty { return nil }
            return (Endorsement(kind: .policyAndPrivacy, name: "TO BE REVIEWED ON " + date), end)
        }
        if let p = ppEndorsement(t, i) { return p }
        if vocabulary.codewords.contains(t[i].text) { return (Endorsement(kind: .compartment, name: t[i].text), i + 1) }
        // <AGENCY> USE ONLY: one to three words before USE ONLY.
        var k = i
        var agency: [String] = []
        while k < t.count, agency.count < 3, t[k].kind == .word, t[k].text != "USE" {
            agency.append(t[k].text)
            k += 1
            if let e = match(t, k + 1, ["USE", "ONLY"]), k < t.count, t[k].kind == .space {
                return (Endorsement(kind: .policyAndPrivacy, name: agency.joined(separator: " ") + " USE ONLY"), e)
            }
            guard k < t.count, t[k].kind == .space else { break }
            k += 1
        }
        return nil
    }

    /// Whether token `i` begins anything in the vocabulary (for "marking-like" detection).
    func startsVocabulary(_ t: [Token], _ i: Int) -> Bool {
        classification(t, i) != nil || endorsement(t, i) != nil
    }

    /// Parses a marking starting at token `i` (after skipping decoration). Returns nil when no
    /// classification or endorsement starts there.
    /// `accept` vets each token range before it is taken (the bare-subject rule accepts only
    /// upper-case words); reading stops at the first range it refuses.
    func parse(_ t: [Token], from i0: Int, accept: (Range<Int>) -> Bool = { _ in true }) -> Result? {
        var i = i0
        while i < t.count, t[i].kind == .space || t[i].kind == .punct { i += 1 }
        let start = i
        var endorsements: [Endorsement] = []
        // Leading policy-and-privacy endorsements: "MEDICAL IN-CONFIDENCE", "BUDGET SENSITIVE".
        var k = i
        var leading: [Endorsement] = []
        while let (e, end) = ppEndorsement(t, k), end < t.count, t[end].kind == .space, accept(k..<end) {
            leading.append(e)
            k = end + 1
        }
        var classification: Classification? = nil
        var clsRange: Range<Int>? = nil
        if let (c, end) = self.classification(t, k), accept(k..<end) {
            classification = c
            clsRange = k..<end
            endorsements = leading
            i = end
        } else if let (e, end) = endorsement(t, i), accept(i..<end) {
            // Endorsements without a classification ([NZEO]): read them; the caller raises
            // invalid-combination.
            endorsements = [e]
            i = end
        } else {
            return nil
        }
        // Tail: separators then endorsements.
        var lastEnd = i
        while i < t.count {
            var j = i
            var strict = false
            var sawSep = false
            while j < t.count, [.space, .colon, .comma, .slash, .doubleSlash].contains(t[j].kind) {
                if t[j].kind == .slash || t[j].kind == .doubleSlash { strict = true }
                sawSep = true
                j += 1
            }
            guard sawSep, j < t.count, t[j].kind == .word else { break }
            if let (e, end) = endorsement(t, j) {
                guard accept(j..<end) else { break }
                endorsements.append(e)
                i = end
                lastEnd = end
                continue
            }
            if strict {
                // An unknown endorsement or unlisted codeword: the words up to the next separator
                // that is not a space.
                var m = j
                var words: [String] = []
                while m < t.count,
                    t[m].kind == .word || (t[m].kind == .space && m + 1 < t.count && t[m + 1].kind == .word)
                {
                    if t[m].kind == .word { words.append(t[m].text) }
                    m += 1
                }
                guard accept(j..<m) else { break }
                endorsements.append(Endorsement(kind: .unknown, name: words.joined(separator: " ")))
                i = m
                lastEnd = m
                continue
            }
            break
        }
        return Result(
            marking: Marking(classification: classification, endorsements: endorsements), end: lastEnd,
            classificationTokens: clsRange, start: start)
    }
}
