import ContentInspection
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

    public init(
        vocabulary: Vocabulary = .nz, extraHeaders: [String] = [], readMSIPLabels: Bool = false,
        documents: (any DocumentMarkingSource)? = nil
    ) {
        self.vocabulary = vocabulary
        self.extraHeaders = extraHeaders
        self.readMSIPLabels = readMSIPLabels
        self.documents = documents
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

    /// Reads `message`, identifying its elements first (content inspection); front-ends that
    /// already inspected the message pass the report to ``read(_:content:)`` instead.
    public func read(_ message: Message) -> MarkingResult {
        read(message, content: ContentInspector().inspect(message))
    }

    /// Reads `message` with its elements' identities from content inspection (each element is
    /// identified once; a document identified by content is read as one whatever its name or
    /// declared type), from the decoded bytes inspection already made.
    public func read(_ message: Message, content: ContentReport) -> MarkingResult {
        var r = readOne(message, content: content)
        // Ambiguous structure (spec §10.9): read every interpretation, the strongest wins; the
        // message is inappropriately marked unless every interpretation gives the same result.
        let unresolved = Set(message.allDefects.map(\.kind).filter(\.isUnresolvedAmbiguity))
        if !unresolved.isEmpty {
            r.findings.append(
                MarkingFinding(
                    .ambiguousStructure, "message", unresolved.map(\.rawValue).sorted().joined(separator: ", ")))
        }
        if let alt = message.alternate {
            let a = readOne(alt, content: ContentInspector().inspect(alt))
            if !Self.sameResult(r, a) {
                let kinds = Set((message.allDefects + alt.allDefects).map(\.kind).filter(\.isAmbiguity)).map(\.rawValue)
                    .sorted()
                r.classification = [r.classification, a.classification].compactMap { $0 }.max()
                r.ownClassification = [r.ownClassification, a.ownClassification].compactMap { $0 }.max()
                r.endorsements = Array(Set(r.endorsements + a.endorsements)).sorted()
                for var reading in a.readings {
                    reading.location = "alternate:" + reading.location
                    r.readings.append(reading)
                }
                for f in a.findings where !r.findings.contains(where: { $0.id == f.id && $0.location == f.location }) {
                    r.findings.append(MarkingFinding(f.id, "alternate:" + f.location, f.detail))
                }
                r.findings.append(
                    MarkingFinding(
                        .ambiguousStructure, "message",
                        "a lenient reading gives another result (\(kinds.joined(separator: ", ")))"))
            }
        }
        return r
    }

    /// Whether two interpretations give the same markings and findings.
    static func sameResult(_ a: MarkingResult, _ b: MarkingResult) -> Bool {
        a.classification == b.classification && a.endorsements == b.endorsements
            && Set(a.findings.map(\.id)) == Set(b.findings.map(\.id))
    }

    func readOne(_ message: Message, content: ContentReport) -> MarkingResult {
        var acc = Accumulator(content: content)
        let own = analyse(message, prefix: "", acc: &acc)
        var endorsements = Set(acc.readings.compactMap(\.marking).flatMap(\.endorsements))
        let classification = acc.readings.compactMap(\.marking?.classification).max()
        if classification?.name == "TOP SECRET" { endorsements.insert(.accountableMaterial) }
        return MarkingResult(
            classification: classification, endorsements: endorsements.sorted(), ownClassification: own,
            readings: acc.readings, findings: acc.findings, autoForwardSignals: AutoForward.signals(message))
    }

    struct Accumulator {
        /// The elements' identities (content inspection).
        var content: ContentReport
        var readings: [MarkingReading] = []
        var findings: [MarkingFinding] = []
        /// Elements read inside other elements so far (bounded by `maxNestedElements`).
        var nestedElements = 0
    }

    func loc(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + ":" + name }

    /// Records a reading and its per-location findings.
    func record(_ f: LocationReaders.Found, at location: String, own: Bool, into acc: inout Accumulator) {
        acc.readings.append(MarkingReading(location: location, text: f.text, marking: f.marking, own: own))
        if f.obfuscated {
            acc.findings.append(
                MarkingFinding(.obfuscatedMarking, location, "confusable or invisible characters inside the marking"))
        }
        guard let m = f.marking else {
            acc.findings.append(
                MarkingFinding(.unparseableMarking, location, f.unparseableReason ?? "marking-like text does not parse")
            )
            return
        }
        // A valid classification beside something that does not parse keeps the
        // classification and still raises unparseable-marking (spec §10.11).
        if let why = f.unparseableReason { acc.findings.append(MarkingFinding(.unparseableMarking, location, why)) }
        for problem in combinationProblems(m) {
            acc.findings.append(MarkingFinding(.invalidCombination, location, problem))
        }
        if m.endorsements.contains(.austeo) || m.endorsements.contains(.agao) {
            acc.findings.append(
                MarkingFinding(
                    .foreignEyesOnly, location,
                    m.endorsements.filter { $0 == .austeo || $0 == .agao }.map(\.name).joined(separator: ", ")))
        }
    }

    /// Invalid combinations of one marking (spec §5.4).
    func combinationProblems(_ m: Marking) -> [String] {
        var out: [String] = []
        let meaningful = m.endorsements.filter { $0.kind != .foreign || $0 == .austeo || $0 == .agao }
        if m.classification == nil, !m.endorsements.isEmpty {
            out.append("endorsement without a classification")
        } else if let c = m.classification, c.rank == 0, !meaningful.isEmpty, m.scheme != .epmsAU {
            out.append("endorsement on UNCLASSIFIED")
        } else if let c = m.classification, c.rank == 0, m.scheme == .epmsAU,
            m.endorsements.contains(where: { $0.kind != .foreign })
        {
            out.append("endorsement on UNCLASSIFIED")
        }
        for e in m.endorsements where e.kind == .unknown {
            out.append(
                options.vocabulary.codewords.isEmpty
                    ? "unknown endorsement or unlisted codeword \(e.name)"
                    : "unknown endorsement or unlisted codeword \(e.name)")
        }
        if m.endorsements.contains(.nzeo),
            m.endorsements.contains(where: { ($0.countries ?? []).contains { $0 != "NZL" } })
        {
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
            acc.findings.append(
                MarkingFinding(
                    .multipleMarkingHeaders, loc(prefix, "header:X-Protective-Marking"), "\(pm.count) headers"))
        }
        for h in pm {
            record(
                readers.readProtectiveMarkingHeader(h.value), at: loc(prefix, "header:X-Protective-Marking"), own: true,
                into: &acc)
        }
        // 2. configured headers
        for name in options.extraHeaders {
            for h in m.root.headers(named: name.lowercased()) {
                record(
                    readers.readOtherHeader(h.decodedValue), at: loc(prefix, "header:" + name), own: true, into: &acc)
            }
        }
        if options.readMSIPLabels {
            for h in m.root.headers(named: "msip_labels") {
                for f in msipLabels(h.value) { record(f, at: loc(prefix, "header:msip_labels"), own: true, into: &acc) }
            }
        }
        // 3. subject
        if let s = m.subject {
            for f in readers.readSubjectLike(s, isSubject: true) {
                record(f, at: loc(prefix, "subject"), own: true, into: &acc)
            }
        }
        // 4. body lines of the first text part (every alternative counts)
        let (bodyParts, elements) = partition(m)
        var inlineFiles: [(name: String, bytes: [UInt8])] = []
        for (n, idx) in bodyParts.enumerated() {
            let p = m.parts[idx]
            let bodyName = n == 0 ? "body" : "body(\(p.mimeType))"
            guard let texts = displayedTexts(m, p) else {
                acc.findings.append(
                    MarkingFinding(.elementNotInspected, loc(prefix, bodyName), "body could not be decoded"))
                continue
            }
            for text in texts {
                let lines =
                    p.contentType.mediaSubtype == "html"
                    ? readHTML(text, prefix: prefix, name: bodyName, own: true, acc: &acc)
                    : Self.firstAndLastLines(text)
                readFirstAndLast(lines, prefix: prefix, name: bodyName, own: true, acc: &acc)
                // Spec §10.7: the line just before a signature separator or a PGP signature.
                if p.contentType.mediaSubtype != "html", let line = Self.lineBeforeSignature(text),
                    !lines.contains(line),
                    let f = readers.readLine(line)
                {
                    record(f, at: loc(prefix, bodyName) + ":before-signature", own: true, into: &acc)
                }
                // What a client shows beside the text: the signed text of inline PGP, uuencoded files.
                if p.contentType.mediaSubtype != "html" {
                    if let signed = TextDecoding.clearSignedText(text) {
                        readFirstAndLast(
                            Self.firstAndLastLines(signed), prefix: prefix, name: bodyName + ":signed-text", own: true,
                            acc: &acc)
                    }
                    inlineFiles += TextDecoding.uuencodedFiles(text)
                }
            }
        }
        let ownReadings = acc.readings[firstOwn...].filter(\.own)
        let ownClass = ownReadings.compactMap(\.marking?.classification).max()

        // unmarked / disagree / union combination checks on own locations
        if ownClass == nil {
            acc.findings.append(
                MarkingFinding(
                    .unmarked, prefix.isEmpty ? "message" : prefix,
                    "no classification in the headers, subject or body lines"))
        }
        let ranks = Set(ownReadings.compactMap(\.marking?.classification?.rank))
        if ranks.count > 1 {
            let detail = ownReadings.compactMap { r in r.marking?.classification.map { "\(r.location)=\($0.name)" } }
                .joined(separator: ", ")
            acc.findings.append(MarkingFinding(.locationsDisagree, prefix.isEmpty ? "message" : prefix, detail))
        }
        let union = Marking(
            classification: ownClass,
            endorsements: Array(Set(ownReadings.compactMap(\.marking).flatMap(\.endorsements))).sorted())
        let alreadyInvalid = acc.findings.contains { f in
            f.id == .invalidCombination && ownReadings.contains(where: { r in r.location == f.location })
        }
        if !alreadyInvalid {
            for problem in combinationProblems(union)
            where problem.hasPrefix("NZEO") || problem.hasPrefix("endorsement on") {
                acc.findings.append(
                    MarkingFinding(
                        .invalidCombination, prefix.isEmpty ? "message" : prefix, problem + " (across locations)"))
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
                for f in readers.readSubjectLike(stem, isSubject: false) {
                    record(f, at: elPrefix + ":name", own: false, into: &acc)
                }
            }
            if let e = p.embedded {
                elementClass = analyse(e, prefix: elPrefix + "/message", acc: &acc)
                // the embedded message's effective marking (its elements included) counts
                let inner = acc.readings[before...].compactMap(\.marking?.classification).max()
                elementClass = [elementClass, inner].compactMap { $0 }.max()
            } else if p.contentType.mediaType == "text" && !Self.documentTypes.contains(p.mimeType)
                && !identifiedAsDocument(m, idx, acc)
            {
                if let texts = displayedTexts(m, p) {
                    for text in texts {
                        let lines =
                            p.contentType.mediaSubtype == "html"
                            ? readHTML(text, prefix: elPrefix, name: nil, own: false, acc: &acc)
                            : Self.firstAndLastLines(text)
                        readFirstAndLast(lines, prefix: elPrefix, name: nil, own: false, acc: &acc)
                    }
                } else {
                    acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "text could not be decoded"))
                }
            } else if !p.isMultipart {
                readElementPart(m, idx, elPrefix: elPrefix, acc: &acc)
            }
            underMarking(elPrefix, since: before, elementClass: elementClass, ownClass: ownClass, acc: &acc)
        }
        // Files uuencoded inside a text body: clients list them as attachments.
        for (k, file) in inlineFiles.enumerated() {
            let elPrefix = (prefix.isEmpty ? "" : prefix + "/") + "uuencoded[\(k + 1)]"
            let before = acc.readings.count
            readEntry(name: file.name, bytes: file.bytes, notReadable: nil, at: elPrefix, depth: 1, acc: &acc)
            underMarking(elPrefix, since: before, elementClass: nil, ownClass: ownClass, acc: &acc)
        }
        return ownClass
    }

    func underMarking(
        _ elPrefix: String, since before: Int, elementClass: Classification?, ownClass: Classification?,
        acc: inout Accumulator
    ) {
        let elReadings = acc.readings[before...]
        let ec = [elementClass, elReadings.compactMap(\.marking?.classification).max()].compactMap { $0 }.max()
        if let ec, ec.rank > (ownClass?.rank ?? 0) {
            acc.findings.append(
                MarkingFinding(
                    .underMarked, elPrefix, "element is \(ec.name), message is \(ownClass?.name ?? "unmarked")"))
        }
    }

    /// Whether content inspection identified part `idx` of `m` as a document or archive.
    func identifiedAsDocument(_ m: Message, _ idx: Int, _ acc: Accumulator) -> Bool {
        guard let i = acc.content.identities[MessageElement.Key(message: ObjectIdentifier(m), part: idx)] else {
            return false
        }
        return Self.documentFamilies.contains(acc.content.items[i].family)
    }

    /// Identified families read by the document reader.
    static let documentFamilies: Set<TypeFamily> = [.document, .macroOffice, .archive]

    /// Declared types that are documents although they are `text/*` (read by the document reader).
    static let documentTypes: Set<String> = [
        "text/calendar", "text/rtf", "application/ics", "text/x-vcalendar", "application/ms-tnef",
        "application/vnd.ms-tnef",
    ]

    /// Elements nested inside elements (archive entries, calendar and TNEF attachments, inline
    /// files) are read this deep (default 4, as ``ArchiveLimits/maxDepth``); deeper is not inspected.
    static let maxElementDepth = 4
    /// Nested elements read per message (default 1,000, as ``ArchiveLimits/maxEntries``).
    static let maxNestedElements = 1_000

    /// The text a client displays for a text part: a BOM wins over the label, UTF-16 without a
    /// BOM is read in both byte orders, `format=flowed` is unwrapped and `text/enriched` rendered.
    func displayedTexts(_ m: Message, _ p: MIMEPart) -> [String]? {
        let head = m.decodedPrefix(of: p, count: 64)
        let cs = p.charset?.lowercased()
        var texts: [String]
        let bom =
            head.starts(with: [0xEF, 0xBB, 0xBF]) || head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        if bom || (cs?.hasPrefix("utf-16") ?? false) || cs == "unicode" || (cs == nil && head.contains(0)) {
            guard let body = try? m.decodedBody(of: p) else { return nil }
            texts = TextDecoding.readings(body.bytes, declaredCharset: p.charset)
        } else {
            guard let t = try? m.text(of: p).text else { return nil }
            texts = [t]
        }
        if p.contentType.parameters["format"]?.lowercased() == "flowed" {
            let delsp = p.contentType.parameters["delsp"]?.lowercased() == "yes"
            texts = texts.map { TextDecoding.unflow($0, delsp: delsp) }
        }
        if p.contentType.mediaSubtype == "enriched" || p.contentType.mediaSubtype == "richtext" {
            texts = texts.map(TextDecoding.enriched)
        }
        return texts
    }

    /// A non-text leaf part: identified by its content (spec §10.1), then read as what it is.
    func readElementPart(_ m: Message, _ idx: Int, elPrefix: String, acc: inout Accumulator) {
        let p = m.parts[idx]
        var kind: ElementSniffer.Kind
        // Identified once by content inspection: a document or archive is read as one, whatever
        // its name or declared type; otherwise the first bytes decide what kind of text it is.
        if identifiedAsDocument(m, idx, acc) {
            kind = .document
        } else {
            kind = ElementSniffer.kind(m.decodedPrefix(of: p, count: 1024))
        }
        if Self.documentTypes.contains(p.mimeType), kind == .text { kind = .document }
        guard kind != .other else { return }
        guard let body = try? m.decodedBody(of: p) else {
            acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "attachment could not be decoded"))
            return
        }
        readBytes(body.bytes, kind: kind, charset: p.charset, at: elPrefix, depth: 0, acc: &acc)
    }

    /// An element found inside another: its name is read like a file name, its bytes by content.
    func readEntry(
        name: String, bytes: [UInt8]?, notReadable: String?, at elPrefix: String, depth: Int, acc: inout Accumulator
    ) {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        if !base.isEmpty {
            let stem =
                base.split(separator: ".").count > 1
                ? String(base[..<(base.lastIndex(of: ".") ?? base.endIndex)]) : base
            for f in readers.readSubjectLike(stem, isSubject: false) {
                record(f, at: elPrefix + ":name", own: false, into: &acc)
            }
        }
        if let why = notReadable { acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, why)) }
        guard let bytes else { return }
        acc.nestedElements += 1
        guard acc.nestedElements <= Self.maxNestedElements else {
            acc.findings.append(
                MarkingFinding(.elementNotInspected, elPrefix, "more than \(Self.maxNestedElements) nested elements"))
            return
        }
        guard depth <= Self.maxElementDepth else {
            acc.findings.append(
                MarkingFinding(.elementNotInspected, elPrefix, "nested deeper than \(Self.maxElementDepth) elements"))
            return
        }
        readBytes(
            bytes, kind: ElementSniffer.kind(Array(bytes.prefix(1024))), charset: nil, at: elPrefix, depth: depth,
            acc: &acc)
    }

    func readBytes(
        _ bytes: [UInt8], kind: ElementSniffer.Kind, charset: String?, at elPrefix: String, depth: Int,
        acc: inout Accumulator
    ) {
        switch kind {
        case .other: return
        case .text:
            for text in TextDecoding.readings(bytes, declaredCharset: charset) {
                readFirstAndLast(Self.firstAndLastLines(text), prefix: elPrefix, name: nil, own: false, acc: &acc)
            }
        case .message:
            guard let e = try? Message(parsing: bytes) else {
                acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "embedded message cannot be parsed"))
                return
            }
            analyse(e, prefix: elPrefix + "/message", acc: &acc)
        case .document:
            readDocument(bytes, elPrefix: elPrefix, depth: depth, acc: &acc)
        }
    }

    func readDocument(_ bytes: [UInt8], elPrefix: String, depth: Int, acc: inout Accumulator) {
        guard let documents = options.documents else {
            acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, "no document reader configured"))
            return
        }
        let c = documents.read(bytes)
        guard c.kind != nil else { return }
        if let why = c.notInspected { acc.findings.append(MarkingFinding(.elementNotInspected, elPrefix, why)) }
        for (name, value) in c.properties {
            let lower = name.lowercased()
            if OOXMLDetection.propertyNames.contains(lower) {
                let f =
                    readers.readLine(value)
                    ?? LocationReaders.Found(
                        text: value, marking: nil, obfuscated: false,
                        unparseableReason: "property value is not a marking")
                record(f, at: elPrefix + ":property:" + name, own: false, into: &acc)
            } else if lower.hasPrefix("msip_label_") && lower.hasSuffix("_name") {
                let mapped = options.vocabulary.labelMap[value] ?? value
                if let f = readers.readLine(mapped) {
                    record(f, at: elPrefix + ":property:" + name, own: false, into: &acc)
                }
            }
        }
        for line in c.headerFooterLines {
            if let f = readers.readLine(line) { record(f, at: elPrefix + ":header-footer", own: false, into: &acc) }
        }
        for (i, lines) in c.pageLines.enumerated() {
            readFirstAndLast(lines, prefix: elPrefix, name: "page[\(i + 1)]", own: false, acc: &acc)
        }
        for s in c.subjects {
            for f in readers.readSubjectLike(s, isSubject: true) {
                record(f, at: elPrefix + ":summary", own: false, into: &acc)
            }
        }
        for b in c.bodies {
            readFirstAndLast(Self.firstAndLastLines(b), prefix: elPrefix, name: "description", own: false, acc: &acc)
        }
        for h in c.htmlBodies {
            let lines = readHTML(h, prefix: elPrefix, name: "html-body", own: false, acc: &acc)
            readFirstAndLast(lines, prefix: elPrefix, name: "html-body", own: false, acc: &acc)
        }
        for (j, e) in c.entries.enumerated() {
            let name = e.name.isEmpty ? "entry[\(j + 1)]" : e.name
            readEntry(
                name: e.name, bytes: e.bytes, notReadable: e.notReadable, at: elPrefix + "/" + name, depth: depth + 1,
                acc: &acc)
        }
    }

    /// Splits text into lines at LF, dropping a CR before it. Works on scalars: in Swift
    /// `"\r\n"` is one Character, so splitting a String on "\n" would miss CRLF lines.
    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for u in text.unicodeScalars {
            if u == "\n" {
                if cur.last == "\r" { cur.removeLast() }
                out.append(String(cur))
                cur = String.UnicodeScalarView()
            } else {
                cur.append(u)
            }
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

    /// Longest line read as a marking, in bytes (default 4 KiB). A whole-line marking is a few
    /// words; a longer line is read by its first 4 KiB (a marking there with only decoration
    /// after it is still read, a near-marking still raises `unparseable-marking`). Without
    /// this, one 31 MB body line cost 1.5 GB of normalisation arrays (spec §10, memory bound).
    public static let maxMarkingLineBytes = 4096

    /// Whether a scalar leaves a line looking blank (spec §10.4): white space, NBSP, form
    /// feed, default-ignorable code points (ZWSP, U+2063, variation selectors), formatting
    /// characters and controls.
    @inline(__always) static func isBlankScalar(_ u: Unicode.Scalar) -> Bool {
        let p = u.properties
        if p.isWhitespace || p.isDefaultIgnorableCodePoint { return true }
        switch p.generalCategory {
        case .spaceSeparator, .format, .control, .lineSeparator, .paragraphSeparator, .nonspacingMark, .enclosingMark:
            return true
        default: return false
        }
    }

    /// Whether UTF-8 bytes hold only blank-looking characters.
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var nonASCII = false
        for c in b {
            if c >= 0x80 {
                nonASCII = true
                break
            }
            if !(c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0C || c == 0x0B) { return false }
        }
        guard nonASCII else { return true }
        return String(decoding: b, as: UTF8.self).unicodeScalars.allSatisfy(isBlankScalar)
    }

    static func isBlankLine(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isBlank($0) }
    }

    /// The last non-blank line before the first signature separator (`-- ` alone on a line,
    /// RFC 3676 §4.3) or clear-signed PGP signature block, if any.
    static func lineBeforeSignature(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { u -> String? in
            guard let base = u.baseAddress else { return nil }
            var sep: Int? = nil
            var pos = 0
            while pos < u.count {
                var e = pos
                while e < u.count, base[e] != 0x0A { e += 1 }
                var le = e
                if le > pos, base[le - 1] == 0x0D { le -= 1 }
                let line = UnsafeBufferPointer(start: base + pos, count: le - pos)
                if line.elementsEqual("-- ".utf8) || line.elementsEqual("-----BEGIN PGP SIGNATURE-----".utf8) {
                    sep = pos
                    break
                }
                pos = e + 1
            }
            guard let s = sep, s > 0 else { return nil }
            return firstAndLastLines(bytes: UnsafeBufferPointer(start: base, count: s)).last
        }
    }

    static func firstAndLastLines(bytes u: UnsafeBufferPointer<UInt8>) -> [String] {
        func blank(_ r: Range<Int>) -> Bool { isBlank(UnsafeBufferPointer(rebasing: u[r])) }
        // Lines end at LF, or at a CR not followed by LF (a bare CR breaks the line for the
        // clients that display it, spec §10.9).
        @inline(__always) func isBreak(_ k: Int) -> Bool {
            u[k] == 0x0A || (u[k] == 0x0D && (k + 1 == u.count || u[k + 1] != 0x0A))
        }
        var s = 0
        var first: Range<Int>? = nil
        while s < u.count {
            var e = s
            while e < u.count, !isBreak(e) { e += 1 }
            if !blank(s..<e) {
                first = s..<e
                break
            }
            s = e + 1
        }
        guard let f = first else { return [] }
        var e = u.count
        var last: Range<Int>? = nil
        while e > 0 {
            var b = e
            while b > 0, !isBreak(b - 1) { b -= 1 }
            if !blank(b..<e) {
                last = b..<e
                break
            }
            e = b - 1
        }
        func str(_ r: Range<Int>) -> String {
            var r = r
            if r.upperBound > r.lowerBound, u[r.upperBound - 1] == 0x0D { r = r.lowerBound..<(r.upperBound - 1) }
            if r.count > maxMarkingLineBytes {
                // Keep the first 4 KiB, cut at a scalar boundary.
                var e = r.lowerBound + maxMarkingLineBytes
                while e > r.lowerBound, u[e] & 0xC0 == 0x80 { e -= 1 }
                r = r.lowerBound..<e
            }
            return String(decoding: UnsafeBufferPointer(rebasing: u[r]), as: UTF8.self)
        }
        guard let l = last, l != f else { return [str(f)] }
        return [str(f), str(l)]
    }

    /// Renders HTML as displayed (spec §10.4): reads the text its sender hid and the text CSS
    /// generates, and returns the first and last displayed lines for the caller to read.
    func readHTML(_ html: String, prefix: String, name: String?, own: Bool, acc: inout Accumulator) -> [String] {
        let r = HTMLText.render(html)
        let base = name.map { loc(prefix, $0) } ?? prefix
        let hidden = r.hidden.withUnsafeBufferPointer { Self.firstAndLastLines(bytes: $0) }
        for (k, line) in hidden.enumerated() {
            if let f = readers.readLine(line) {
                record(f, at: base + (k == 0 ? ":hidden-first-line" : ":hidden-last-line"), own: own, into: &acc)
            }
        }
        for text in r.generated.prefix(64) {
            if let f = readers.readLine(text) { record(f, at: base + ":css-content", own: own, into: &acc) }
        }
        return r.visible.withUnsafeBufferPointer { Self.firstAndLastLines(bytes: $0) }
    }

    func readFirstAndLast(_ lines: [String], prefix: String, name: String?, own: Bool, acc: inout Accumulator) {
        let nonEmpty = lines.indices.filter { !Self.isBlankLine(lines[$0]) }
        guard let first = nonEmpty.first, let last = nonEmpty.last else { return }
        let base = name.map { loc(prefix, $0) } ?? prefix
        if let f = readers.readLine(lines[first]) { record(f, at: base + ":first-line", own: own, into: &acc) }
        if last != first, let f = readers.readLine(lines[last]) {
            record(f, at: base + ":last-line", own: own, into: &acc)
        }
    }

    /// `msip_labels: MSIP_Label_<guid>_Enabled=true; MSIP_Label_<guid>_Name=Secret; …`
    func msipLabels(_ value: String) -> [LocationReaders.Found] {
        var out: [LocationReaders.Found] = []
        for item in value.split(separator: ";") {
            let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
            guard kv.count == 2, kv[0].lowercased().hasPrefix("msip_label_"), kv[0].lowercased().hasSuffix("_name")
            else { continue }
            let mapped = options.vocabulary.labelMap[kv[1]] ?? kv[1]
            out.append(
                readers.readLine(mapped)
                    ?? LocationReaders.Found(
                        text: kv[1], marking: nil, obfuscated: false,
                        unparseableReason: "label is not mapped to a classification"))
        }
        return out
    }

    func partition(_ m: Message) -> (body: [Int], elements: [Int]) { m.bodyAndElements() }
}
