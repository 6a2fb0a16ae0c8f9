import MailParsing

/// What to read besides the built-in locations.
public struct MarkingOptions: Sendable {
    public var vocabulary: Vocabulary
    /// Other marking headers to read (spec §3.2), off unless configured: e.g. `X-Classification`.
    public var extraHeaders: [String]
    /// Read Microsoft `msip_labels` headers, mapping label names through `vocabulary.labelMap`.
    public var readMSIPLabels: Bool
    /// Reads properties and header/footer text of Office documents; nil means Office
    /// documents are reported as `element-not-inspected`. `OfficeDocuments` provides one
    /// (`MarkingOptions.standard()`).
    public var documents: (any DocumentMarkingSource)?

    public init(vocabulary: Vocabulary = .nz, extraHeaders: [String] = [], readMSIPLabels: Bool = false, documents: (any DocumentMarkingSource)? = nil) {
        self.vocabulary = vocabulary; self.extraHeaders = extraHeaders; self.readMSIPLabels = readMSIPLabels; self.documents = documents
    }
}

/// Finds every protective marking in a parsed message (spec §3), the effective marking and
/// every named finding (spec §5), and the auto-forwarding signals in its headers (spec §7).
///
/// ```swift
/// let reader = try MarkingReader()
/// let result = reader.read(try Message(parsing: bytes))
/// result.classification   // SECRET
/// result.findings         // [under-marked at attachment[1]:name, …]
/// ```
public struct MarkingReader: Sendable {
    public let options: MarkingOptions
    let readers: LocationReaders

    public init(options: MarkingOptions = MarkingOptions()) throws {
        self.options = options
        readers = try LocationReaders(vocabulary: options.vocabulary)
    }

    public func read(_ message: Message) -> MarkingResult {
        var acc = Accumulator()
        let own = analyse(message, prefix: "", acc: &acc)
        var endorsements = Set(acc.readings.compactMap(\.marking).flatMap(\.endorsements))
        let classification = acc.readings.compactMap(\.marking?.classification).max()
        if classification?.name == "TOP SECRET" { endorsements.insert(.accountableMaterial) }
        return MarkingResult(
            classification: classification, endorsements: endorsements.sorted(), ownClassification: own,
            readings: acc.readings, findings: acc.findings, autoForwardSignals: AutoForward.signals(message))
    }

    struct Accumulator {
        var readings: [MarkingReading] = []
        var findings: [MarkingFinding] = []
    }

    func loc(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + ":" + name }

    /// Records a reading and its per-location findings.
    func record(_ f: LocationReaders.Found, at location: String, own: Bool, into acc: inout Accumulator) {
        acc.readings.append(MarkingReading(location: location, text: f.text, marking: f.marking, own: own))
        if f.obfuscated { acc.findings.append(MarkingFinding(.obfuscatedMarking, location, "confusable or invisible characters inside the marking")) }
        guard let m = f.marking else {
            acc.findings.append(MarkingFinding(.unparseableMarking, location, f.unparseableReason ?? "marking-like text does not parse"))
            return
        }
        // A valid classification beside something that does not parse keeps the
        // classification and still raises unparseable-marking (spec §10.11).
        if let why = f.unparseableReason { acc.findings.append(MarkingFinding(.unparseableMarking, location, why)) }
        for problem in combinationProblems(m) { acc.findings.append(MarkingFinding(.invalidCombination, location, problem)) }
        if m.endorsements.contains(.austeo) || m.endorsements.contains(.agao) {
            acc.findings.append(MarkingFinding(.foreignEyesOnly, location, m.endorsements.filter { $0 == .austeo || $0 == .agao }.map(\.name).joined(separator: ", ")))
        }
    }

    /// Invalid combinations of one marking (spec §5.4).
    func combinationProblems(_ m: Marking) -> [String] {
        var out: [String] = []
        let meaningful = m.endorsements.filter { $0.kind != .foreign || $0 == .austeo || $0 == .agao }
        if m.classification == nil, !m.endorsements.isEmpty { out.append("endorsement without a classification") }
        else if let c = m.classification, c.rank == 0, !meaningful.isEmpty, m.scheme != .epmsAU { out.append("endorsement on UNCLASSIFIED") }
        else if let c = m.classification, c.rank == 0, m.scheme == .epmsAU, m.endorsements.contains(where: { $0.kind != .foreign }) { out.append("endorsement on UNCLASSIFIED") }
        for e in m.endorsements where e.kind == .unknown {
            out.append(options.vocabulary.codewords.isEmpty ? "unknown endorsement or unlisted codeword \(e.name)" : "unknown endorsement or unlisted codeword \(e.name)")
        }
        if m.endorsements.contains(.nzeo), m.endorsements.contains(where: { ($0.countries ?? []).contains { $0 != "NZL" } }) {
            out.append("NZEO with a REL TO list naming another country")
        }
        return out
    }

    /// Reads one message (top-level or embedded); returns its own classification.
    @discardableResult
    func analyse(_ m: Message, prefix: String, acc: inout Accumulator) -> Classification? {
        let firstOwn = acc.readings.count
        // 1. X-Protective-Marking
        let pm = m.root.headers(named: "x-protective-marking")
        if pm.count > 1 {
            acc.findings.append(MarkingFinding(.multipleMarkingHeaders, loc(prefix, "header:X-Protective-Marking"), "\(pm.count) headers"))
        }
        for h in pm { record(readers.readProtectiveMarkingHeader(h.value), at: loc(prefix, "header:X-Protective-Marking"), own: true, into: &acc) }
        // 2. configured headers
        for name in options.extraHeaders {
            for h in m.root.headers(named: name.lowercased()) {
                record(readers.readOtherHeader(h.decodedValue), at: loc(prefix, "header:" + name), own: true, into: &acc)
            }
        }
        if options.readMSIPLabels {
            for h in m.root.headers(named: "msip_labels") {
                for f in msipLabels(h.value) { record(f, at: loc(prefix, "header:msip_labels"), own: true, into: &acc) }
            }
        }
        // 3. subject
        if let s = m.subject {
            for f in readers.readSubjectLike(s, isSubject: true) { record(f, at: loc(prefix, "subject"), own: true, into: &acc) }
        }
        // 4. body lines of the first text part (every alternative counts)
        let (bodyParts, elements) = partition(m)
        for (n, idx) in bodyParts.enumerated() {
            let p = m.parts[idx]
            let bodyName = n == 0 ? "body" : "body(\(p.mimeType))"
            guard let text = try? m.text(of: p).text else {
                acc.findings.append(MarkingFinding(.elementNotInspected, loc(prefix, bodyName), "body could not be decoded"))
                continue
            }
            let lines = p.contentType.mediaSubtype == "html" ? HTMLText.firstAndLastLines(text) : Self.firstAndLastLines(text)
            readFirstAndLast(lines, prefix: prefix, name: bodyName, own: true, acc: &acc)
        }
        let ownReadings = acc.readings[firstOwn...].filter(\.own)
        let ownClass = ownReadings.compactMap(\.marking?.classification).max()

        // unmarked / disagree / union combination checks on own locations
        if ownClass == nil { acc.findings.append(MarkingFinding(.unmarked, prefix.isEmpty ? "message" : prefix, "no classification in the headers, subject or body lines")) }
        let ranks = Set(ownReadings.compactMap(\.marking?.classification?.rank))
        if ranks.count > 1 {
            let detail = ownReadings.compactMap { r in r.marking?.classification.map { "\(r.location)=\($0.name)" } }.joined(separator: ", ")
            acc.findings.append(MarkingFinding(.locationsDisagree, prefix.isEmpty ? "message" : prefix, detail))
        }
        let union = Marking(classification: ownClass, endorsements: Array(Set(ownReadings.compactMap(\.marking).flatMap(\.endorsements))).sorted())
        let alreadyInvalid = acc.findings.contains { f in f.id == .invalidCombination && ownReadings.contains(where: { r in r.location == f.location }) }
        if !alreadyInvalid {
            for problem in combinationProblems(union) where problem.hasPrefix("NZEO") || problem.hasPrefix("endorsement on") {
                acc.findings.append(MarkingFinding(.invalidCombination, prefix.isEmpty ? "message" : prefix, problem + " (across locations)"))
            }
        }

        // 5. elements: attachments, inline non-body parts, embedded messages
        for (k, idx) in elements.enumerated() {
            let p = m.parts[idx]
            let elPrefix = (prefix.isEmpty ? "" : prefix + "/") + "attachment[\(k + 1)]"
            let before = acc.readings.count
            var elementClass: Classification? = nil
            if let name = p.filename {
                let stem = name.split(separator: ".").count > 1 ? String(name[..<name.lastIndex(of: ".")!]) : name
                for f in readers.readSubjectLike(stem, isSubject: false) { record(f, at: elPrefix + ":name", own: false, into: &acc) }
            }
            if let e = p.embedded {
                elementClass = analyse(e, prefix: elPrefix + "/message", acc: &acc)
                // the embedded message's effective marking (its elements included) counts
                let inner = acc.readings[before...].compactMap(\.marking?.classification).max()
                elementClass = [elementClass, inner].compactMap { $0 }.max()
            } else if p.contentType.mediaType == "text" {
                if let text = try? m.text(of: p).text {
                    let lines = p.contentType.mediaSubtype == "html" ? HTMLText.firstAndLastLines(text) : Self.firstAndLastLines(text)
                    readFirstAndLast(lines, prefix: elPrefix, name: nil, own: false, acc: &acc)
                } else {
                    acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "text could not be decoded"))
                }
            } else if !p.isMultipart {
                if OOXMLDetection.mayBeOffice(filename: p.filename, mimeType: p.mimeType) {
                    readOfficeDocument(m, p, elPrefix: elPrefix, acc: &acc)
                }
            }
            let elReadings = acc.readings[before...]
            elementClass = [elementClass, elReadings.compactMap(\.marking?.classification).max()].compactMap { $0 }.max()
            if let ec = elementClass, ec.rank > (ownClass?.rank ?? 0) {
                acc.findings.append(MarkingFinding(.underMarked, elPrefix, "element is \(ec.name), message is \(ownClass?.name ?? "unmarked")"))
            }
        }
        return ownClass
    }

    /// Splits text into lines at LF, dropping a CR before it. Works on scalars: in Swift
    /// `"\r\n"` is one Character, so splitting a String on "\n" would miss CRLF lines.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for u in text.unicodeScalars {
            if u == "\n" {
                if cur.last == "\r" { cur.removeLast() }
                out.append(String(cur)); cur = String.UnicodeScalarView()
            } else { cur.append(u) }
        }
        if cur.last == "\r" { cur.removeLast() }
        out.append(String(cur))
        return out
    }

    /// Only the first and last non-empty lines (as a one- or two-element list), found by
    /// scanning UTF-8 from both ends instead of splitting the whole text.
    static func firstAndLastLines(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { firstAndLastLines(bytes: $0) }
    }

    static func firstAndLastLines(bytes u: UnsafeBufferPointer<UInt8>) -> [String] {
        func blank(_ r: Range<Int>) -> Bool { r.allSatisfy { u[$0] == 0x20 || u[$0] == 0x09 || u[$0] == 0x0D } }
        var s = 0
        var first: Range<Int>? = nil
        while s < u.count {
            var e = s
            while e < u.count, u[e] != 0x0A { e += 1 }
            if !blank(s..<e) { first = s..<e; break }
            s = e + 1
        }
        guard let f = first else { return [] }
        var e = u.count
        var last: Range<Int>? = nil
        while e > 0 {
            var b = e
            while b > 0, u[b - 1] != 0x0A { b -= 1 }
            if !blank(b..<e) { last = b..<e; break }
            e = b - 1
        }
        func str(_ r: Range<Int>) -> String {
            var r = r
            if r.upperBound > r.lowerBound, u[r.upperBound - 1] == 0x0D { r = r.lowerBound..<(r.upperBound - 1) }
            return String(decoding: UnsafeBufferPointer(rebasing: u[r]), as: UTF8.self)
        }
        guard let l = last, l != f else { return [str(f)] }
        return [str(f), str(l)]
    }

    func readFirstAndLast(_ lines: [String], prefix: String, name: String?, own: Bool, acc: inout Accumulator) {
        let nonEmpty = lines.indices.filter { !lines[$0].trimmingCharacters().isEmpty }
        guard let first = nonEmpty.first, let last = nonEmpty.last else { return }
        let base = name.map { loc(prefix, $0) } ?? prefix
        if let f = readers.readLine(lines[first]) { record(f, at: base + ":first-line", own: own, into: &acc) }
        if last != first, let f = readers.readLine(lines[last]) { record(f, at: base + ":last-line", own: own, into: &acc) }
    }

    func readOfficeDocument(_ m: Message, _ p: MIMEPart, elPrefix: String, acc: inout Accumulator) {
        // Sniff the ZIP signature before decoding the whole attachment.
        guard OOXMLDetection.looksLikeOOXML(m.decodedPrefix(of: p, count: 8), filename: p.filename, mimeType: p.mimeType) else { return }
        guard let documents = options.documents else {
            acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "no document reader configured for an Office document"))
            return
        }
        guard let body = try? m.decodedBody(of: p) else {
            acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "attachment could not be decoded"))
            return
        }
        let c = documents.read(body.bytes)
        if let why = c.notInspected { acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, why)) }
        for (name, value) in c.properties {
            let lower = name.lowercased()
            if OOXMLDetection.propertyNames.contains(lower) {
                let f = readers.readLine(value) ?? LocationReaders.Found(text: value, marking: nil, obfuscated: false, unparseableReason: "property value is not a marking")
                record(f, at: elPrefix + ":property:" + name, own: false, into: &acc)
            } else if lower.hasPrefix("msip_label_") && lower.hasSuffix("_name") {
                let mapped = options.vocabulary.labelMap[value] ?? value
                if let f = readers.readLine(mapped) { record(f, at: elPrefix + ":property:" + name, own: false, into: &acc) }
            }
        }
        for line in c.headerFooterLines {
            if let f = readers.readLine(line) { record(f, at: elPrefix + ":header-footer", own: false, into: &acc) }
        }
    }

    /// `msip_labels: MSIP_Label_<guid>_Enabled=true; MSIP_Label_<guid>_Name=Secret; …`
    func msipLabels(_ value: String) -> [LocationReaders.Found] {
        var out: [LocationReaders.Found] = []
        for item in value.split(separator: ";") {
            let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
            guard kv.count == 2, kv[0].lowercased().hasPrefix("msip_label_"), kv[0].lowercased().hasSuffix("_name") else { continue }
            let mapped = options.vocabulary.labelMap[kv[1]] ?? kv[1]
            out.append(readers.readLine(mapped) ?? LocationReaders.Found(text: kv[1], marking: nil, obfuscated: false, unparseableReason: "label is not mapped to a classification"))
        }
        return out
    }

    func partition(_ m: Message) -> (body: [Int], elements: [Int]) { m.bodyAndElements() }
}
