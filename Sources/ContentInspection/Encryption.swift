/// Encrypted content that cannot be inspected, by kind (NZISM 15.2.37.C.01 [CID:1745]).
public enum EncryptionKind: String, Sendable, Hashable, CaseIterable {
    case zip, sevenZip = "7z", rar, pdf, office, smime, pgp
    case pgpInline = "pgp-inline"
}

enum Encryption {
    /// The last arc of the PKCS#7 ContentInfo contentType OID (1.2.840.113549.1.7.x): 2 signed-data,
    /// 3 enveloped-data, 23 authEnveloped-data (1.2.840.113549.1.9.16.1.23); nil when not found.
    static func pkcs7ContentType(_ der: [UInt8]) -> Int? {
        let pkcs7: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07]
        let authEnv: [UInt8] = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17]
        guard der.count > 12 else { return nil }
        for i in 0..<(der.count - authEnv.count) where der[i] == 0x06 {
            if der[i..<(i + authEnv.count)].elementsEqual(authEnv) { return 23 }
            if i + pkcs7.count < der.count, der[i..<(i + pkcs7.count)].elementsEqual(pkcs7) {
                return Int(der[i + pkcs7.count])
            }
        }
        return nil
    }

    static func contains(_ b: [UInt8], _ needle: [UInt8], in range: Range<Int>) -> Bool {
        let r = max(0, range.lowerBound)..<min(b.count, range.upperBound)
        guard needle.count <= r.count else { return false }
        var i = r.lowerBound
        while i + needle.count <= r.upperBound {
            if b[i] == needle[0], b[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Encryption visible in the bytes of one file (ZIP flags are checked by the ZIP reader).
    static func kind(of b: [UInt8], canonicalType: String) -> EncryptionKind? {
        // PDF: an /Encrypt entry in a trailer (search the head and the tail, bounded).
        if b.starts(with: Array("%PDF".utf8)) {
            let n = Array("/Encrypt".utf8)
            if contains(b, n, in: 0..<(256 << 10)) || contains(b, n, in: (b.count - (256 << 10))..<b.count) {
                return .pdf
            }
        }
        // Encrypted Office documents: a CDF (OLE) container holding an "EncryptedPackage" stream
        // (the stream name is UTF-16LE in the directory).
        if canonicalType == "application/x-ole-storage" {
            let name = Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            if contains(b, name, in: 0..<min(b.count, 4 << 20)) { return .office }
        }
        // 7z: the AES-256 coder id (06 F1 07 01) in the (end) header means encrypted headers or data.
        if b.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
            if contains(b, [0x06, 0xF1, 0x07, 0x01], in: 0..<b.count) { return .sevenZip }
        }
        // RAR5: an archive encryption header (type 4) follows the signature; RAR4: main header
        // flag 0x0080 (encrypted headers). Per-entry encryption inside RAR is not detected.
        if b.starts(with: [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00]), b.count > 14 {
            var p = 12  // after the signature (8) and the header CRC (4): header size vint, then type vint
            while p < b.count, b[p] & 0x80 != 0 { p += 1 }
            p += 1
            if p < b.count, b[p] == 0x04 { return .rar }
        }
        if b.starts(with: [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x00]), b.count > 12 {
            let flags = Int(b[10]) | Int(b[11]) << 8
            if b[9] == 0x73, flags & 0x0080 != 0 { return .rar }
        }
        // Per-entry encryption, through libarchive's headers (nothing is decompressed): a 7z whose
        // header is LZMA-compressed hides the AES coder id from the byte search above, and RAR
        // entry encryption is a per-file flag.
        if RAR5Encryption.isEncrypted(b) == true { return .rar }
        let sevenZ = b.starts(with: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]),
            rar = b.starts(with: Array("Rar!\u{1A}\u{07}".utf8))
        if sevenZ || rar, let listing = BoundedArchive.read(b, limits: .default, wantData: { _ in false }),
            listing.anyEncrypted
        {
            return sevenZ ? .sevenZip : .rar
        }
        return nil
    }
}

extension EncryptionKind {
    /// The kind reported for an encrypted entry of an archive of this canonical type.
    init(archive canonicalType: String) {
        switch canonicalType {
        case "application/x-7z-compressed": self = .sevenZip
        case "application/x-rar": self = .rar
        default: self = .zip
        }
    }
}
