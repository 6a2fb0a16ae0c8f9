import MailParsing

/// What content inspection found wrong with one item.
public struct ContentFinding: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The content is a different, riskier kind than its name or declared type says.
        case typeMismatch = "type-mismatch"
        /// Non-empty content libmagic can only call application/octet-stream.
        case unidentifiable
        /// Encrypted content that cannot be inspected (`detail` names the kind).
        case encrypted
        /// An archive limit was hit (`detail` names it): never allowed.
        case archiveLimit = "archive-limit"
    }
    public var kind: Kind
    public var detail: String
}

/// One inspected item: an attachment, an inline non-text part, or an entry inside an archive.
public struct InspectedItem: Sendable, Hashable, Codable {
    /// `attachment[2]`, `attachment[2]/inner.zip/evil.exe`, `attachment[1]/message/attachment[1]`
    /// (the rendered ``element``).
    public var location: String { element.description }
    /// The typed location.
    public var element: ElementLocation
    public var filename: String?
    public var declaredType: String?
    /// Canonical detected type (see ``TypeNormalisation``).
    public var detectedType: String
    /// What libmagic said, before normalisation.
    public var libmagicType: String
    public var family: TypeFamily
    public var size: Int
    public var findings: [ContentFinding]
}

public struct ContentReport: Sendable, Codable {
    public var items: [InspectedItem]
    /// Each element's own item (its identity), by element: what the marking reader dispatches
    /// on. Archive entries are items without an element of their own.
    public var identities: [MessageElement.Key: Int] = [:]
    /// What the message may still expand to; document readers open containers against it.
    public var budget = ArchiveBudget()
    public init(items: [InspectedItem]) { self.items = items }

    /// The identity content inspection gave an element, if it identified it.
    public func identity(of e: MessageElement) -> InspectedItem? { identities[e.key].map { items[$0] } }
    public var findings: [(location: String, finding: ContentFinding)] {
        items.flatMap { i in i.findings.map { (i.location, $0) } }
    }
    enum CodingKeys: String, CodingKey { case items }
    public init(from decoder: Decoder) throws {
        items = try decoder.container(keyedBy: CodingKeys.self).decode([InspectedItem].self, forKey: .items)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
    }
}

/// Identifies every element of a message once, by content (libmagic on a bounded prefix, after
/// cheaper signature checks), with its name and declared type; finds encrypted and
/// unidentifiable content; and looks inside ZIP, gzip, tar, 7z and RAR archives through the one
/// bounded archive reader (``BoundedArchive``). Text bodies are never given to libmagic.
public struct ContentInspector: Sendable {
    public var limits: ArchiveLimits
    public init(limits: ArchiveLimits = .default) { self.limits = limits }

    public func inspect(_ m: Message) -> ContentReport {
        var report = ContentReport(items: [])
        report.budget = ArchiveBudget()
        var items: [InspectedItem] = []
        messageLevel(m, at: .message, into: &items)
        var encrypted: [ObjectIdentifier: Set<Int>] = [:]
        for e in m.elements {
            let em = e.message
            let inside = encrypted[ObjectIdentifier(em)] ?? Self.insideEncrypted(em)
            encrypted[ObjectIdentifier(em)] = inside
            if inside.contains(e.partIndex) { continue }  // reported once, for the whole multipart/encrypted
            let p = e.part
            if let inner = p.embedded {
                messageLevel(inner, at: e.location.appending(.message), into: &items)
                continue
            }
            let before = items.count
            element(e, budget: report.budget, into: &items)
            if items.count > before { report.identities[e.key] = before }
        }
        report.items = items
        return report
    }

    /// Parts of `m` inside a multipart/encrypted.
    static func insideEncrypted(_ m: Message) -> Set<Int> {
        var out = Set<Int>()
        func mark(_ i: Int) {
            for c in m.parts[i].children {
                out.insert(c)
                mark(c)
            }
        }
        for (i, p) in m.parts.enumerated() where p.mimeType == "multipart/encrypted" { mark(i) }
        return out
    }

    /// Whole-message encryption: PGP/MIME and S/MIME wrapping, inline PGP in a text body (the
    /// body is not given to libmagic).
    func messageLevel(_ m: Message, at loc: ElementLocation, into items: inout [InspectedItem]) {
        for p in m.parts where p.mimeType == "multipart/encrypted" {
            items.append(
                InspectedItem(
                    element: loc, filename: nil, declaredType: p.mimeType, detectedType: p.mimeType,
                    libmagicType: p.mimeType, family: .unknown, size: p.bodyRange.count,
                    findings: [ContentFinding(kind: .encrypted, detail: EncryptionKind.pgp.rawValue)]))
        }
        for idx in m.bodyAndElements().body {
            if let t = try? m.text(of: m.parts[idx]).text, TextSearch.contains(t, "-----BEGIN PGP MESSAGE-----") {
                items.append(
                    InspectedItem(
                        element: loc, filename: nil, declaredType: m.parts[idx].mimeType,
                        detectedType: "text/plain", libmagicType: "text/plain", family: .text,
                        size: m.parts[idx].bodyRange.count,
                        findings: [ContentFinding(kind: .encrypted, detail: EncryptionKind.pgpInline.rawValue)]))
            }
        }
    }

    /// Signatures of content whose inspection reads more than a prefix: ZIP (OOXML, JAR),
    /// gzip, tar, PDF, CDF/OLE, 7z, RAR, and armoured PGP.
    static func needsWholeBody(_ p: [UInt8]) -> Bool {
        if p.starts(with: [0x50, 0x4B]) || p.starts(with: [0x1F, 0x8B]) || p.starts(with: Array("%PDF".utf8)) {
            return true
        }
        if p.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) || p.starts(with: [0x37, 0x7A, 0xBC, 0xAF])
            || p.starts(with: Array("Rar!".utf8))
        {
            return true
        }
        if p.count > 262, p[257..<262].elementsEqual("ustar".utf8) { return true }
        return p.starts(with: Array("-----BEGIN PGP".utf8))
    }

    /// ISO 9660 primary volume descriptor signature offset (sector 16 + 1).
    static let isoSignatureOffset = 32_769

    static let dangerous: Set<TypeFamily> = [.executable, .script, .macroOffice, .diskImage, .installer, .archive]

    /// Extensions that make Windows run, install or mount a file: one of these on content of
    /// another kind (a PDF named `report.exe`) is a disguise. (Which families the policy refuses
    /// by extension is the policy's `attachments.extension-families` table.)
    static let launchedByName: Set<String> = [
        "exe", "scr", "com", "pif", "cpl", "msi", "msp", "iso", "img", "vhd", "vhdx",
    ]

    /// One element (not an embedded message): S/MIME by its PKCS#7 content type, everything
    /// else identified from its decoded bytes (shared with every other consumer).
    func element(_ e: MessageElement, budget: ArchiveBudget, into items: inout [InspectedItem]) {
        let m = e.message, p = e.part, loc = e.location
        if p.mimeType == "application/pgp-encrypted" { return }  // the control part of PGP/MIME
        if p.mimeType == "application/pkcs7-mime" || p.mimeType == "application/x-pkcs7-mime" {
            // The PKCS#7 content type decides: enveloped-data (1.2.840.113549.1.7.3) is
            // encrypted; signed-data (…7.2) is opaque-signed content we cannot inspect
            // without a PKCS#7 parser; either way it is never allowed unseen.
            let smime = p.contentType.parameters["smime-type"]?.lowercased()
            let oid = Encryption.pkcs7ContentType(m.decodedPrefix(of: p, count: 64))
            let kind: ContentFinding
            if smime == "enveloped-data" || smime == "authenveloped-data" || oid == 3 || oid == 23 {
                kind = ContentFinding(kind: .encrypted, detail: EncryptionKind.smime.rawValue)
            } else if smime == "signed-data" || oid == 2 {
                kind = ContentFinding(kind: .unidentifiable, detail: "opaque S/MIME signed data cannot be inspected")
            } else if smime == "certs-only" {
                return
            } else {
                kind = ContentFinding(kind: .unidentifiable, detail: "S/MIME content of unknown type")
            }
            items.append(
                InspectedItem(
                    element: loc, filename: p.filename, declaredType: p.mimeType, detectedType: p.mimeType,
                    libmagicType: p.mimeType,
                    family: .unknown, size: p.bodyRange.count, findings: [kind]))
            return
        }
        if p.mimeType == "application/pkcs7-signature" || p.mimeType == "application/x-pkcs7-signature" {
            // A detached signature (multipart/signed): signature data, not content. It is
            // accepted only when its DER really is PKCS#7 signed-data; otherwise it is a
            // disguise and reported as unidentifiable.
            let isSignedData = Encryption.pkcs7ContentType(m.decodedPrefix(of: p, count: 64)) == 2
            items.append(
                InspectedItem(
                    element: loc, filename: p.filename, declaredType: p.mimeType,
                    detectedType: "application/pkcs7-signature",
                    libmagicType: "", family: .unknown, size: p.bodyRange.count,
                    findings: isSignedData
                        ? []
                        : [
                            ContentFinding(
                                kind: .unidentifiable, detail: "declared S/MIME signature is not PKCS#7 signed data")
                        ]))
            return
        }
        // Look at a decoded prefix first (long enough for the ISO 9660 signature at 32,769;
        // libmagic itself only ever sees the first `Magic.prefixBytes`). Only content that
        // needs archive recursion or an encryption check is decoded whole (once, shared with
        // the marking reader).
        let want = Self.isoSignatureOffset + 8
        let prefix = m.decodedPrefix(of: p, count: want)
        if prefix.count < want || Self.needsWholeBody(prefix) {
            guard let decoded = try? e.decoded() else {
                items.append(
                    InspectedItem(
                        element: loc, filename: p.filename, declaredType: p.mimeType,
                        detectedType: "application/octet-stream", libmagicType: "",
                        family: .unknown, size: p.bodyRange.count,
                        findings: [ContentFinding(kind: .unidentifiable, detail: "could not be decoded")]))
                return
            }
            identify(
                decoded.bytes, element: loc, filename: p.filename, declared: p.mimeType, depth: 0, budget: budget,
                into: &items)
        } else {
            identify(
                prefix, element: loc, filename: p.filename, declared: p.mimeType, depth: 0, budget: budget, into: &items
            )
            items[items.count - 1].size = m.decodedSize(of: p)
        }
    }

    /// Types a signature check settles without libmagic (its answers for these are pinned by
    /// the corpus goldens): PDF, PNG, JPEG, GIF.
    static func signatureType(_ b: [UInt8]) -> String? {
        if b.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) { return "image/gif" }
        return nil
    }

    /// Office Open XML by its parts (whatever order the ZIP lists them in, which libmagic's
    /// first-entry check depends on).
    static func ooxmlType(_ entries: [ArchiveEntryReading]) -> String? {
        guard entries.contains(where: { $0.name == "[Content_Types].xml" }) else { return nil }
        if entries.contains(where: { $0.name == "word/document.xml" }) {
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
        if entries.contains(where: { $0.name == "xl/workbook.xml" }) {
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
        if entries.contains(where: { $0.name == "ppt/presentation.xml" }) {
            return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        }
        return nil
    }

    /// Archives looked into besides ZIP, gzip and tar (spec §10.1: their entries are elements),
    /// and the reader each archive type is opened with.
    static let alsoRecursed: Set<String> = [
        "application/x-7z-compressed", "application/x-rar", "application/x-bzip2", "application/x-xz",
    ]
    static func formats(of canonical: String) -> BoundedArchive.Formats {
        switch canonical {
        case "application/zip": return .zip
        case "application/x-tar": return .tar
        case "application/gzip", "application/x-bzip2", "application/x-xz": return .compressedStream
        default: return .any
        }
    }

    /// Whether a canonical type is an Office Open XML document (macro-enabled included).
    public static func isOfficeOpenXML(_ canonicalType: String) -> Bool {
        canonicalType.hasPrefix("application/vnd.openxmlformats-officedocument.")
            || canonicalType.hasSuffix(".macroEnabled.12")
    }

    /// Identifies one item (an element's decoded bytes or an archive entry) and, for archives,
    /// its entries through the bounded reader.
    func identify(
        _ bytes: [UInt8], element: ElementLocation, filename: String?, declared: String?, depth: Int,
        budget: ArchiveBudget,
        into items: inout [InspectedItem]
    ) {
        // A ZIP is listed first (names, declared sizes, encryption; nothing is decompressed): an
        // OOXML document is known by its parts.
        var zip: ArchiveListing? = nil
        if bytes.starts(with: [0x50, 0x4B]) { zip = BoundedArchive.list(bytes, formats: .zip, limits: limits) }
        let raw: String
        if let t = Self.signatureType(bytes) ?? zip.flatMap({ Self.ooxmlType($0.entries) }) {
            raw = t
        } else {
            raw = Magic.mimeType(bytes) ?? "application/octet-stream"
        }
        var canonical = TypeNormalisation.canonical(raw)
        if canonical == "application/octet-stream", bytes.count > Self.isoSignatureOffset + 5,
            bytes[Self.isoSignatureOffset..<(Self.isoSignatureOffset + 5)].elementsEqual("CD001".utf8)
        {
            canonical = "application/x-iso9660-image"
        }
        var findings: [ContentFinding] = []
        if zip == nil, canonical == "application/zip" || canonical.hasPrefix("application/vnd.openxmlformats") {
            zip = BoundedArchive.list(bytes, formats: .zip, limits: limits)
        }
        // Macro-enabled OOXML: libmagic reports it as the plain type; the VBA project gives it away.
        if canonical.hasPrefix("application/vnd.openxmlformats"),
            zip?.entries.contains(where: { $0.name.hasSuffix("vbaProject.bin") }) == true
        {
            canonical =
                canonical.contains("spreadsheet")
                ? "application/vnd.ms-excel.sheet.macroEnabled.12"
                : canonical.contains("presentation")
                    ? "application/vnd.ms-powerpoint.presentation.macroEnabled.12"
                    : "application/vnd.ms-word.document.macroEnabled.12"
        }
        let family = TypeNormalisation.family(canonical)
        if !bytes.isEmpty && canonical == "application/octet-stream" {
            findings.append(ContentFinding(kind: .unidentifiable, detail: "content is not a recognised type"))
        }
        if let z = zip, z.anyEncrypted {
            findings.append(ContentFinding(kind: .encrypted, detail: EncryptionKind.zip.rawValue))
        } else if let e = Encryption.kind(of: bytes, canonicalType: canonical) {
            findings.append(ContentFinding(kind: .encrypted, detail: e.rawValue))
        } else if canonical == "application/pgp-encrypted" {
            findings.append(ContentFinding(kind: .encrypted, detail: EncryptionKind.pgp.rawValue))
        }
        // A document container (OOXML, ODF) is a ZIP: its listing holds its parts' declared sizes
        // and count to the archive limits too (a bomb inside a DOCX is an archive-limit finding).
        if let z = zip, canonical != "application/zip", family == .document || family == .macroOffice,
            let hit = z.limitHit
        {
            findings.append(ContentFinding(kind: .archiveLimit, detail: hit))
        }
        // A mismatch that matters: the content is a risky kind its name or declared type hides.
        let ext = filename.flatMap { f in f.lastIndex(of: ".").map { String(f[f.index(after: $0)...]) } }
        let claimed =
            ext.flatMap(TypeNormalisation.familyOfExtension)
            ?? declared.map { TypeNormalisation.family(TypeNormalisation.canonical($0)) }
        if Self.dangerous.contains(family), let c = claimed, c != family, c != .unknown,
            !(c == .document && family == .archive && canonical.hasPrefix("application/vnd"))
        {
            findings.append(
                ContentFinding(
                    kind: .typeMismatch,
                    detail:
                        """
                        named or declared as \(c.rawValue) (\(ext.map { "." + $0 } ?? declared ?? "")), content is \
                        \(canonical)
                        """
                ))
        } else if let c = claimed, let e = ext?.lowercased(), Self.launchedByName.contains(e), c != family,
            !bytes.isEmpty
        {
            // The other way round: a name that makes Windows run or mount the file (`report.exe`)
            // on content of another kind (a PDF) is a disguise too.
            findings.append(
                ContentFinding(
                    kind: .typeMismatch,
                    detail:
                        """
                        named or declared as \(c.rawValue) (\(ext.map { "." + $0 } ?? declared ?? "")), content is \
                        \(canonical)
                        """
                ))
        }
        items.append(
            InspectedItem(
                element: element, filename: filename, declaredType: declared, detectedType: canonical,
                libmagicType: raw,
                family: family, size: bytes.count, findings: findings))
        guard !findings.contains(where: { $0.kind == .encrypted }) else { return }
        // Archives: recurse into ZIP (not OOXML documents), gzip, tar, 7z and RAR, each entry
        // identified as soon as the bounded reader has read it.
        let isArchive =
            canonical == "application/zip" || canonical == "application/gzip" || canonical == "application/x-tar"
            || Self.alsoRecursed.contains(canonical)
        guard isArchive else { return }
        let me = items.count - 1
        func limitHit(_ what: String) { items[me].findings.append(ContentFinding(kind: .archiveLimit, detail: what)) }
        func unreadable(_ what: String) {
            items[me].findings.append(ContentFinding(kind: .unidentifiable, detail: what))
        }
        if depth + 1 > limits.maxDepth {
            limitHit("depth (limit \(limits.maxDepth))")
            return
        }
        let formats = Self.formats(of: canonical)
        if formats == .compressedStream {
            // One compressed stream: its content is one element, named after the file.
            var inner: [UInt8]? = nil
            let listing = BoundedArchive.visit(bytes, formats: .compressedStream, limits: limits, budget: budget) {
                inner = $0.data
            }
            if let hit = listing?.limitHit {
                limitHit(hit)
                return
            }
            guard let data = inner else {
                items[me].findings.append(
                    ContentFinding(kind: .unidentifiable, detail: "gzip stream cannot be decompressed"))
                return
            }
            let name =
                filename.map {
                    $0.hasSuffix(".gz")
                        ? String($0.dropLast(3))
                        : ($0.hasSuffix(".tgz") ? String($0.dropLast(4)) + ".tar" : $0 + ".out")
                } ?? "content"
            identify(
                data, element: element.appending(.entry(name)), filename: name, declared: nil, depth: depth + 1,
                budget: budget, into: &items)
            return
        }
        var unextractable = false
        let listing = BoundedArchive.visit(bytes, formats: formats, limits: limits, budget: budget) { entry in
            guard !entry.isDirectory else { return }
            guard let data = entry.data else {
                unextractable = true
                let why =
                    entry.encrypted
                    ? ContentFinding(kind: .encrypted, detail: EncryptionKind(archive: canonical).rawValue)
                    : ContentFinding(kind: .unidentifiable, detail: "entry cannot be extracted")
                items.append(
                    InspectedItem(
                        element: element.appending(.entry(entry.name)), filename: entry.name, declaredType: nil,
                        detectedType: "application/octet-stream",
                        libmagicType: "", family: .unknown, size: entry.declaredSize, findings: [why]))
                return
            }
            identify(
                data, element: element.appending(.entry(entry.name)), filename: entry.name, declared: nil,
                depth: depth + 1, budget: budget, into: &items)
        }
        guard let listing else {
            unreadable("archive cannot be read")
            return
        }
        if let hit = listing.limitHit { limitHit(hit) }
        if listing.headersEncrypted {
            items[me].findings.append(
                ContentFinding(kind: .encrypted, detail: EncryptionKind(archive: canonical).rawValue))
        } else if listing.damaged != nil, !unextractable {
            unreadable("archive is damaged")
        }
    }
}
