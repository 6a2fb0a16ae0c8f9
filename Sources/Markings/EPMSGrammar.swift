/// The Australian Email Protective Marking Standard grammar (VER=2024.1, any `VER=YYYY.N`),
/// for the `X-Protective-Marking` long form in both namespaces (`NS=gov.au`, and pmark's
/// `NS=govt.nz`, spec §3.1) and the subject `[SEC=…]` medium form.
///
/// Field names are case-sensitive as in the EPMS. `NS=govt.nz` values are case-insensitive;
/// `NS=gov.au` values are case-sensitive except the deviations seen in the wild that spec §8
/// says to read without complaint (`OFFICIAL-Sensitive`, `OFFICIAL: Sensitive`, a missing
/// `ORIGIN`, `ACCESS` after `EXPIRES`).
struct EPMSGrammar {
    let vocabulary: Vocabulary

    enum Outcome {
        case marking(Marking)
        /// A valid classification beside something that does not parse (an unknown field or
        /// caveat type): the classification is kept (spec §10.11) and the reason raises
        /// `unparseable-marking`.
        case partial(Marking, String)
        /// Marking-like but does not parse; the reason names the field, never message text.
        case unparseable(String)
    }

    /// Splits on commas that are not escaped (`\,`), unescaping `\,` and `\\`.
    static func fields(_ s: String) -> [String] {
        var out: [String] = []
        var cur: [UInt8] = []
        var esc = false
        func flush() {
            var a = 0, b = cur.count
            while a < b, cur[a] == 0x20 || cur[a] == 0x09 { a += 1 }
            while b > a, cur[b - 1] == 0x20 || cur[b - 1] == 0x09 { b -= 1 }
            if a < b { out.append(String(decoding: cur[a..<b], as: UTF8.self)) }
            cur.removeAll(keepingCapacity: true)
        }
        for c in s.utf8 {
            if esc {
                cur.append(c)
                esc = false
                continue
            }
            if c == 0x5C {
                esc = true
                continue
            }  // backslash escapes "," and "\\"
            if c == 0x2C {
                flush()
                continue
            }  // ","
            cur.append(c)
        }
        flush()
        return out
    }

    /// Rejoins `OFFICIAL:` + ` Sensitive` that a naive comma split would not break, but a space
    /// variant (`OFFICIAL: Sensitive`) leaves as one field: normalise the SEC value.
    func auSEC(_ raw: String) -> String? {
        let v = String(raw.filter { $0 != " " })
        switch v {
        case "UNOFFICIAL", "OFFICIAL", "PROTECTED", "SECRET", "TOP-SECRET": return vocabulary.australian[v]
        case "OFFICIAL:Sensitive", "OFFICIAL-Sensitive": return vocabulary.australian["OFFICIAL:SENSITIVE"]
        default:
            // Legacy 2012 values.
            if let l = vocabulary.australianLegacy[v] { return l }
            return nil
        }
    }

    func nzSEC(_ raw: String) -> String? {
        let w = Vocabulary.words(raw)
        for e in vocabulary.classifications where e.reportedAs == nil && e.spellings.contains(w) {
            return e.classification.name
        }
        return nil
    }

    /// AU legacy DLMs (spec §8): each raises a classification, some add an endorsement.
    func dlm(_ v: String) -> (String, Endorsement?)? {
        switch v {
        case "For-Official-Use-Only": return ("IN-CONFIDENCE", nil)
        case "Sensitive", "Sensitive:Personal": return ("SENSITIVE", nil)
        case "Sensitive:Legal": return ("SENSITIVE", Endorsement(kind: .policyAndPrivacy, name: "LEGAL PRIVILEGE"))
        case "Sensitive:Cabinet": return ("SENSITIVE", Endorsement(kind: .policyAndPrivacy, name: "CABINET"))
        default: return nil
        }
    }

    func caveat(_ v: String, nz: Bool) -> Endorsement? {
        guard let colon = v.firstIndex(of: ":") else { return nil }
        let type = String(v[..<colon])
        let value = String(v[v.index(after: colon)...])
        let upper = value.uppercased()
        switch nz ? type.uppercased() : type {
        case "C":
            return value.isEmpty
                ? nil : Endorsement(kind: vocabulary.codewords.contains(upper) ? .compartment : .unknown, name: upper)
        case "FG": return value.isEmpty ? nil : Endorsement(kind: .foreign, name: "AU:FG:" + upper)
        case "RI":
            if upper == "NZEO" && nz { return .nzeo }
            if upper == "AUSTEO" { return .austeo }
            if upper == "AGAO" { return .agao }
            if upper.hasPrefix("REL/") || upper.hasPrefix("REL ") {
                let codes = upper.dropFirst(4).split(whereSeparator: { $0 == "/" || $0 == " " }).map(String.init)
                guard !codes.isEmpty, codes.allSatisfy({ ($0.count == 3 && $0.allSatisfy(\.isLetter)) || $0 == "FVEY" })
                else { return nil }
                return .relTo(codes)
            }
            return nil
        case "SH":
            switch upper {
            case "ORCON": return .orcon
            case "ACCOUNTABLE-MATERIAL": return .accountableMaterial
            case "CABINET", "NATIONAL-CABINET": return Endorsement(kind: .policyAndPrivacy, name: "CABINET")
            default:
                if nz {
                    let words = Vocabulary.words(upper)
                    if vocabulary.policyEndorsements.contains(words) {
                        return Endorsement(kind: .policyAndPrivacy, name: words.joined(separator: " "))
                    }
                    if words.count >= 3, words.suffix(2) == ["USE", "ONLY"] {
                        return Endorsement(kind: .policyAndPrivacy, name: words.joined(separator: " "))
                    }
                    return Endorsement(kind: .unknown, name: words.joined(separator: " "))
                }
                if upper == "DELICATE-SOURCE" || upper.hasPrefix("EXCLUSIVE-FOR") {
                    return Endorsement(kind: .foreign, name: "AU:" + upper)
                }
                return nil
            }
        default: return nil
        }
    }

    func access(_ v: String) -> Endorsement? {
        switch v {
        case "Legal-Privilege": return Endorsement(kind: .policyAndPrivacy, name: "LEGAL PRIVILEGE")
        case "Personal-Privacy": return Endorsement(kind: .foreign, name: "AU:PERSONAL-PRIVACY")
        case "Legislative-Secrecy": return Endorsement(kind: .foreign, name: "AU:LEGISLATIVE-SECRECY")
        default: return nil
        }
    }

    /// Parses the long form of an `X-Protective-Marking` value (already unfolded).
    func parseHeader(_ value: String) -> Outcome {
        let fs = Self.fields(value)
        var kv: [(String, String)] = []
        for f in fs {
            guard let eq = f.firstIndex(of: "=") else {
                // A bare word is broken grammar; it never erases a valid SEC (spec §10.11).
                kv.append(("", f))
                continue
            }
            kv.append((String(f[..<eq]).trimmingCharacters(), String(f[f.index(after: eq)...]).trimmingCharacters()))
        }
        guard let ver = kv.first(where: { $0.0 == "VER" })?.1 else { return .unparseable("missing VER") }
        guard Self.isVersion(ver) else { return .unparseable("VER is not YYYY.N") }
        guard let ns = kv.first(where: { $0.0 == "NS" })?.1 else { return .unparseable("missing NS") }
        let nsLower = ns.lowercased()
        guard nsLower == "gov.au" || nsLower == "govt.nz" else { return .unparseable("unknown NS") }
        let rest = kv.filter { $0.0 != "VER" && $0.0 != "NS" }
        return parseMedium(
            rest, namespace: nsLower == "govt.nz" ? .nz : .au, legacy: ver.hasPrefix("2012") || ver.hasPrefix("2005"))
    }

    enum Namespace { case nz, au, union }

    /// Parses the fields after VER/NS (header) or inside `[SEC=…]` (subject).
    func parseMedium(_ kv: [(String, String)], namespace: Namespace, legacy: Bool) -> Outcome {
        var classification: String? = nil
        var scheme: Marking.Scheme = namespace == .nz ? .epmsNZ : .epmsAU
        var endorsements: [Endorsement] = []
        var expires: String? = nil, downTo: String? = nil
        var problems: [String] = []
        for (k, v) in kv {
            switch k {
            case "SEC":
                if classification != nil { return .unparseable("SEC given twice") }
                switch namespace {
                case .nz: classification = nzSEC(v)
                case .au:
                    classification = auSEC(v)
                    if legacy, vocabulary.australianLegacy[v] != nil { scheme = .auLegacy }
                case .union:
                    if let a = auSEC(v) {
                        classification = a
                        scheme = .epmsAU
                    } else if let n = nzSEC(v) {
                        classification = n
                        scheme = .epmsNZ
                    }
                }
                if classification == nil { return .unparseable("SEC has an unknown value") }
            case "DLM":
                guard let (c, e) = dlm(v) else { return .unparseable("DLM has an unknown value") }
                if let cur = classification, let a = vocabulary.classification(named: cur),
                    let b = vocabulary.classification(named: c), a.rank >= b.rank
                {
                } else {
                    classification = c
                }
                if let e { endorsements.append(e) }
                scheme = .auLegacy
            case "CAVEAT":
                let isNZ = namespace == .nz || (namespace == .union && scheme == .epmsNZ)
                if let e = caveat(v, nz: isNZ) ?? (namespace == .union ? caveat(v, nz: true) : nil) {
                    endorsements.append(e)
                } else if let colon = v.firstIndex(of: ":"),
                    ["SH", "RI", "C", "FG"].contains(v[..<colon].uppercased()), v.index(after: colon) < v.endIndex
                {
                    // A known caveat type with an unknown value: kept as an unknown endorsement
                    // (invalid-combination), never dropped with the classification (spec §10.11).
                    endorsements.append(Endorsement(kind: .unknown, name: "AU:" + v.uppercased()))
                } else {
                    problems.append("CAVEAT has an unknown value")
                }
            case "ACCESS":
                if let e = access(v) ?? (namespace == .nz ? access(v.capitalizedHyphenated()) : nil) {
                    endorsements.append(e)
                } else if !v.isEmpty {
                    endorsements.append(Endorsement(kind: .unknown, name: "ACCESS:" + v.uppercased()))
                } else {
                    problems.append("ACCESS has an empty value")
                }
            case "EXPIRES": expires = v
            case "DOWNTO": downTo = v
            case "NOTE", "ORIGIN": break
            case "": problems.append("field without '='")
            default: problems.append("unknown field")
            }
        }
        guard let c = classification, let cls = vocabulary.classification(named: c) else {
            if let p = problems.first { return .unparseable(p) }
            if classification == nil && !endorsements.isEmpty {
                return .marking(Marking(classification: nil, endorsements: endorsements, scheme: scheme))
            }
            return .unparseable("missing SEC")
        }
        let m = Marking(
            classification: cls, endorsements: endorsements, scheme: scheme, expires: expires, downTo: downTo)
        return problems.isEmpty ? .marking(m) : .partial(m, problems.joined(separator: "; "))
    }

    /// Parses the inside of a subject `[SEC=…]` / `[DLM=…]` bracket.
    func parseSubjectMedium(_ inner: String) -> Outcome {
        var kv: [(String, String)] = []
        for f in Self.fields(inner) {
            guard let eq = f.firstIndex(of: "=") else {
                kv.append(("", f))
                continue
            }
            kv.append(
                (
                    String(f[..<eq]).trimmingCharacters().uppercased(),
                    String(f[f.index(after: eq)...]).trimmingCharacters()
                ))
        }
        return parseMedium(kv, namespace: .union, legacy: false)
    }

    static func isVersion(_ v: String) -> Bool {
        let p = v.split(separator: ".", omittingEmptySubsequences: false)
        return p.count == 2 && p[0].count == 4 && p[0].allSatisfy(\.isNumber) && !p[1].isEmpty
            && p[1].allSatisfy(\.isNumber)
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
    /// `legal-privilege` → `Legal-Privilege`.
    func capitalizedHyphenated() -> String {
        split(separator: "-", omittingEmptySubsequences: false).map {
            $0.prefix(1).uppercased() + $0.dropFirst().lowercased()
        }.joined(separator: "-")
    }
}
