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
    /// `attachment[2]`, `attachment[2]/inner.zip/evil.exe`, `attachment[1]/message/attachment[1]`.
    public var location: String
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
    public init(items: [InspectedItem]) { self.items = items }
    public var findings: [(location: String, finding: ContentFinding)] { items.flatMap { i in i.findings.map { (i.location, $0) } } }
    enum CodingKeys: String, CodingKey { case items }
}

/// Identifies attachments by content (libmagic on a bounded prefix), finds encrypted and
/// unidentifiable content, and looks inside ZIP, gzip and tar archives within limits.
/// Text bodies are never given to libmagic.
public struct ContentInspector: Sendable {
    public var limits: ArchiveLimits
    public init(limits: ArchiveLimits = .default) { self.limits = limits }

    final class Budget { var entries = 0; var bytes = 0 }

    public func inspect(_ m: Message) -> ContentReport {
        var items: [InspectedItem] = []
        inspect(m, prefix: "", budget: Budget(), into: &items)
        return ContentReport(items: items)
    }

    /// Signatures of content whose inspection reads more than a prefix: ZIP (OOXML, JAR),
    /// gzip, tar, PDF, CDF/OLE, 7z, RAR, and armoured PGP.
    static func needsWholeBody(_ p: [UInt8]) -> Bool {
        if p.starts(with: [0x50, 0x4B]) || p.starts(with: [0x1F, 0x8B]) || p.starts(with: Array("%PDF".utf8)) { return true }
        if p.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) || p.starts(with: [0x37, 0x7A, 0xBC, 0xAF]) || p.starts(with: Array("Rar!".utf8)) { return true }
        if p.count > 262, p[257..<262].elementsEqual("ustar".utf8) { return true }
        return p.starts(with: Array("-----BEGIN PGP".utf8))
    }

    /// ISO 9660 primary volume descriptor signature offset (sector 16 + 1).
    static let isoSignatureOffset = 32_769

    static let dangerous: Set<TypeFamily> = [.executable, .script, .macroOffice, .diskImage, .installer, .archive]

    func inspect(_ m: Message, prefix: String, budget: Budget, into items: inout [InspectedItem]) {
        let (body, elements) = m.bodyAndElements()
        // PGP/MIME and S/MIME encryption can wrap the whole message.
        for (i, p) in m.parts.enumerated() where p.mimeType == "multipart/encrypted" {
            items.append(InspectedItem(location: prefix.isEmpty ? "message" : prefix, filename: nil, declaredType: p.mimeType, detectedType: p.mimeType,
                                       libmagicType: p.mimeType, family: .unknown, size: p.bodyRange.count,
                                       findings: [ContentFinding(kind: .encrypted, detail: EncryptionKind.pgp.rawValue)]))
            _ = i
        }
        for idx in body {  // inline PGP in a text body (the body is not given to libmagic)
            if let t = try? m.text(of: m.parts[idx]).text, t.contains("-----BEGIN PGP MESSAGE-----") {
                items.append(InspectedItem(location: prefix.isEmpty ? "message" : prefix, filename: nil, declaredType: m.parts[idx].mimeType,
                                           detectedType: "text/plain", libmagicType: "text/plain", family: .text, size: m.parts[idx].bodyRange.count,
                                           findings: [ContentFinding(kind: .encrypted, detail: EncryptionKind.pgpInline.rawValue)]))
            }
        }
        var parent = [Int](repeating: -1, count: m.parts.count)
        for (i, p) in m.parts.enumerated() { for c in p.children { parent[c] = i } }
        func insideEncrypted(_ i: Int) -> Bool {
            var j = parent[i]
            while j >= 0 { if m.parts[j].mimeType == "multipart/encrypted" { return true }; j = parent[j] }
            return false
        }
        for (k, idx) in elements.enumerated() {
            let p = m.parts[idx]
            if insideEncrypted(idx) { continue }  // reported once, for the whole multipart/encrypted
            let loc = (prefix.isEmpty ? "" : prefix + "/") + "attachment[\(k + 1)]"
            if let e = p.embedded { inspect(e, prefix: loc + "/message", budget: budget, into: &items); continue }
            if p.mimeType == "application/pgp-encrypted" { continue }  // the control part of PGP/MIME
            if p.mimeType == "application/pkcs7-mime" || p.mimeType == "application/x-pkcs7-mime" {
                // The PKCS#7 content type decides: enveloped-data (1.2.840.113549.1.7.3) is
                // encrypted; signed-data (…7.2) is opaque-signed content we cannot inspect
                // without a PKCS#7 parser; either way it is never allowed unseen.
                let smime = p.contentType.parameters["smime-type"]?.lowercased()
                let der = m.decodedPrefix(of: p, count: 64)
                let oid = Encryption.pkcs7ContentType(der)
                let kind: ContentFinding
                if smime == "enveloped-data" || smime == "authenveloped-data" || oid == 3 || oid == 23 {
                    kind = ContentFinding(kind: .encrypted, detail: EncryptionKind.smime.rawValue)
                } else if smime == "signed-data" || oid == 2 {
                    kind = ContentFinding(kind: .unidentifiable, detail: "opaque S/MIME signed data cannot be inspected")
                } else if smime == "certs-only" {
                    continue
                } else {
                    kind = ContentFinding(kind: .unidentifiable, detail: "S/MIME content of unknown type")
                }
                items.append(InspectedItem(location: loc, filename: p.filename, declaredType: p.mimeType, detectedType: p.mimeType, libmagicType: p.mimeType,
                                           family: .unknown, size: p.bodyRange.count, findings: [kind]))
                continue
            }
            if p.mimeType == "application/pkcs7-signature" || p.mimeType == "application/x-pkcs7-signature" {
                // A detached signature (multipart/signed): signature data, not content. It is
                // accepted only when its DER really is PKCS#7 signed-data; otherwise it is a
                // disguise and reported as unidentifiable.
                let isSignedData = Encryption.pkcs7ContentType(m.decodedPrefix(of: p, count: 64)) == 2
                items.append(InspectedItem(location: loc, filename: p.filename, declaredType: p.mimeType, detectedType: "application/pkcs7-signature",
                                           libmagicType: "", family: .unknown, size: p.bodyRange.count,
                                           findings: isSignedData ? [] : [ContentFinding(kind: .unidentifiable, detail: "declared S/MIME signature is not PKCS#7 signed data")]))
                continue
            }
            // Look at a decoded prefix first (long enough for the ISO 9660 signature at 32,769;
            // libmagic itself only ever sees the first `Magic.prefixBytes`). Only content that
            // needs archive recursion or an encryption check is decoded whole.
            let want = Self.isoSignatureOffset + 8
            let prefix = m.decodedPrefix(of: p, count: want)
            if prefix.count < want || Self.needsWholeBody(prefix) {
                guard let decoded = try? m.decodedBody(of: p) else {
                    items.append(InspectedItem(location: loc, filename: p.filename, declaredType: p.mimeType, detectedType: "application/octet-stream", libmagicType: "",
                                               family: .unknown, size: p.bodyRange.count, findings: [ContentFinding(kind: .unidentifiable, detail: "could not be decoded")]))
                    continue
                }
                identify(decoded.bytes, location: loc, filename: p.filename, declared: p.mimeType, depth: 0, budget: budget, into: &items)
            } else {
                identify(prefix, location: loc, filename: p.filename, declared: p.mimeType, depth: 0, budget: budget, into: &items)
                items[items.count - 1].size = m.decodedSize(of: p)
            }
        }
    }

    func identify(_ bytes: [UInt8], location: String, filename: String?, declared: String?, depth: Int, budget: Budget, into items: inout [InspectedItem]) {
        let raw = Magic.mimeType(bytes) ?? "application/octet-stream"
        var canonical = TypeNormalisation.canonical(raw)
        if canonical == "application/octet-stream", bytes.count > Self.isoSignatureOffset + 5,
           bytes[Self.isoSignatureOffset..<(Self.isoSignatureOffset + 5)].elementsEqual("CD001".utf8) {
            canonical = "application/x-iso9660-image"
        }
        var findings: [ContentFinding] = []
        var zipEntries: [ZipEntry]? = nil
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || canonical == "application/zip" || canonical.hasPrefix("application/vnd.openxmlformats") {
            zipEntries = ZipReader.entries(bytes)
            // Macro-enabled OOXML: libmagic reports it as the plain type; the VBA project gives it away.
            if canonical.hasPrefix("application/vnd.openxmlformats"), zipEntries?.contains(where: { $0.name.hasSuffix("vbaProject.bin") }) == true {
                canonical = canonical.contains("spreadsheet") ? "application/vnd.ms-excel.sheet.macroEnabled.12"
                    : canonical.contains("presentation") ? "application/vnd.ms-powerpoint.presentation.macroEnabled.12" : "application/vnd.ms-word.document.macroEnabled.12"
            }
        }
        let family = TypeNormalisation.family(canonical)
        if !bytes.isEmpty && canonical == "application/octet-stream" {
            findings.append(ContentFinding(kind: .unidentifiable, detail: "content is not a recognised type"))
        }
        if let z = zipEntries, z.contains(where: \.encrypted) {
            findings.append(ContentFinding(kind: .encrypted, detail: EncryptionKind.zip.rawValue))
        } else if let e = Encryption.kind(of: bytes, canonicalType: canonical) {
            findings.append(ContentFinding(kind: .encrypted, detail: e.rawValue))
        } else if canonical == "application/pgp-encrypted" {
            findings.append(ContentFinding(kind: .encrypted, detail: EncryptionKind.pgp.rawValue))
        }
        // A mismatch that matters: the content is a risky kind its name or declared type hides.
        let ext = filename.flatMap { f in f.lastIndex(of: ".").map { String(f[f.index(after: $0)...]) } }
        let claimed = ext.flatMap(TypeNormalisation.familyOfExtension) ?? declared.map { TypeNormalisation.family(TypeNormalisation.canonical($0)) }
        if Self.dangerous.contains(family), let c = claimed, c != family, c != .unknown, !(c == .document && family == .archive && canonical.hasPrefix("application/vnd")) {
            findings.append(ContentFinding(kind: .typeMismatch, detail: "named or declared as \(c.rawValue) (\(ext.map { "." + $0 } ?? declared ?? "")), content is \(canonical)"))
        }
        items.append(InspectedItem(location: location, filename: filename, declaredType: declared, detectedType: canonical, libmagicType: raw,
                                   family: family, size: bytes.count, findings: findings))
        guard !findings.contains(where: { $0.kind == .encrypted }) else { return }
        // Archives: recurse into ZIP (not OOXML documents), gzip and tar.
        let isArchive = canonical == "application/zip" || canonical == "application/gzip" || canonical == "application/x-tar"
        guard isArchive else { return }
        func limitHit(_ what: String) { items[items.count - 1].findings.append(ContentFinding(kind: .archiveLimit, detail: what)) }
        if depth + 1 > limits.maxDepth { limitHit("depth (limit \(limits.maxDepth))"); return }
        if canonical == "application/zip", let entries = zipEntries {
            for e in entries where !e.name.hasSuffix("/") {
                budget.entries += 1
                if budget.entries > limits.maxEntries { limitHit("entries (limit \(limits.maxEntries))"); return }
                if e.uncompressedSize > limits.maxEntryBytes { limitHit("entry size of \(e.name) (limit \(limits.maxEntryBytes))"); return }
                if e.compressedSize > 0, e.uncompressedSize / max(e.compressedSize, 1) > limits.maxRatio { limitHit("compression ratio of \(e.name) (limit \(limits.maxRatio))"); return }
                guard let data = ZipReader.data(bytes, e, limit: limits.maxEntryBytes) else {
                    items.append(InspectedItem(location: location + "/" + e.name, filename: e.name, declaredType: nil, detectedType: "application/octet-stream",
                                               libmagicType: "", family: .unknown, size: e.uncompressedSize, findings: [ContentFinding(kind: .unidentifiable, detail: "entry cannot be extracted")]))
                    continue
                }
                if data.count > limits.maxEntryBytes || data.count > max(e.compressedSize, 1) * limits.maxRatio { limitHit("expanded size of \(e.name) exceeds its header"); return }
                budget.bytes += data.count
                if budget.bytes > limits.maxTotalBytes { limitHit("total uncompressed bytes (limit \(limits.maxTotalBytes))"); return }
                identify(data, location: location + "/" + e.name, filename: e.name, declared: nil, depth: depth + 1, budget: budget, into: &items)
            }
        } else if canonical == "application/gzip" {
            let cap = min(limits.maxEntryBytes, bytes.count * limits.maxRatio)
            guard let data = Inflate.inflate(bytes, windowBits: 47, limit: cap) else {
                items[items.count - 1].findings.append(ContentFinding(kind: .unidentifiable, detail: "gzip stream cannot be decompressed")); return
            }
            if data.count > cap { limitHit(cap == limits.maxEntryBytes ? "entry size (limit \(limits.maxEntryBytes))" : "compression ratio (limit \(limits.maxRatio))"); return }
            budget.entries += 1
            budget.bytes += data.count
            if budget.bytes > limits.maxTotalBytes { limitHit("total uncompressed bytes (limit \(limits.maxTotalBytes))"); return }
            let inner = filename.map { $0.hasSuffix(".gz") ? String($0.dropLast(3)) : ($0.hasSuffix(".tgz") ? String($0.dropLast(4)) + ".tar" : $0 + ".out") } ?? "content"
            identify(data, location: location + "/" + inner, filename: inner, declared: nil, depth: depth + 1, budget: budget, into: &items)
        } else if canonical == "application/x-tar", let entries = TarReader.entries(bytes) {
            for (name, r) in entries {
                budget.entries += 1
                if budget.entries > limits.maxEntries { limitHit("entries (limit \(limits.maxEntries))"); return }
                identify(Array(bytes[r]), location: location + "/" + name, filename: name, declared: nil, depth: depth + 1, budget: budget, into: &items)
            }
        }
    }
}
