import Foundation
import Testing
import TestSupport
import MailParsing
@_spi(Fuzzing) @testable import ContentInspection

enum CI {
    static let root = Repository.root
    static let dir = root + "/Corpus/attachments"
    static func message(_ name: String) throws -> Message {
        try Message(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
    }
    static func render(_ r: ContentReport) -> String {
        r.items.map { i in
            "\(i.location) | declared \(i.declaredType ?? "-") | detected \(i.detectedType) [\(i.family.rawValue)] | \(i.size) bytes" +
                i.findings.map { " | \($0.kind.rawValue): \($0.detail)" }.joined()
        }.joined(separator: "\n") + "\n"
    }
    static func zip(_ entries: [(String, [UInt8])]) -> [UInt8] {
        // A stored (method 0) ZIP built by hand, for limit tests.
        var out: [UInt8] = [], central: [UInt8] = []
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
        for (name, data) in entries {
            let off = out.count, n = Array(name.utf8)
            out += [0x50, 0x4B, 0x03, 0x04] + le16(10) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(data.count) + le32(data.count) + le16(n.count) + le16(0) + n + data
            central += [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(10) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(data.count) + le32(data.count)
                + le16(n.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(off) + n
        }
        let cdOff = out.count
        return out + central + [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(entries.count) + le16(entries.count) + le32(central.count) + le32(cdOff) + le16(0)
    }
}

@Suite("Attachment corpus goldens (Corpus/attachments, made with real tools)")
struct AttachmentCorpusTests {
    static let inputs = ((try? FileManager.default.contentsOfDirectory(atPath: CI.dir)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()

    @Test("the corpus covers every encryption kind but RAR, each family of interest, mismatch and limits")
    func coverage() throws {
        var findings = Set<String>(), families = Set<String>()
        for f in Self.inputs {
            let r = ContentInspector().inspect(try CI.message(f))
            findings.formUnion(r.findings.map { $0.finding.kind == .encrypted ? "encrypted:" + $0.finding.detail : $0.finding.kind.rawValue })
            families.formUnion(r.items.map(\.family.rawValue))
        }
        for k in ["encrypted:zip", "encrypted:7z", "encrypted:pdf", "encrypted:office", "encrypted:smime", "encrypted:pgp", "encrypted:pgp-inline",
                  "type-mismatch", "unidentifiable", "archive-limit"] { #expect(findings.contains(k), "\(k)") }
        for f in ["executable", "script", "macro-office", "disk-image", "installer", "archive", "document", "text"] { #expect(families.contains(f), "\(f)") }
    }

    @Test(arguments: inputs)
    func golden(_ name: String) throws {
        let actual = CI.render(ContentInspector().inspect(try CI.message(name)))
        let path = CI.dir + "/" + name.dropLast(4) + ".content.txt"
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(path); review it and rerun without RECORD_GOLDENS")
            return
        }
        #expect(actual == (try String(contentsOfFile: path, encoding: .utf8)))
    }
}

@Suite("Content identification")
struct ContentIdentificationTests {
    func identify(_ bytes: [UInt8], name: String? = nil, declared: String? = nil, limits: ArchiveLimits = .default) -> [InspectedItem] {
        var items: [InspectedItem] = []
        ContentInspector(limits: limits).identify(bytes, element: ElementLocation([.attachment(1)]), filename: name, declared: declared, depth: 0,
                                                  budget: ArchiveBudget(), into: &items)
        return items
    }

    @Test("libmagic aliases are pinned (libmagic \\(Magic.version)); a magic database upgrade that renames types fails here first")
    func aliasesPinned() throws {
        // What this libmagic says for the corpus files, and what pmark normalises it to.
        #expect(Magic.version == 544, "libmagic changed: re-check TypeNormalisation.aliases against its names, then update this pin")
        let seen: [(String, String, String)] = [
            ("elf.eml", "application/x-sharedlib", "application/x-executable"),
            ("encrypted-docx.eml", "application/encrypted", "application/x-ole-storage"),
            ("pe.eml", "application/vnd.microsoft.portable-executable", "application/vnd.microsoft.portable-executable"),
        ]
        for (file, raw, canonical) in seen {
            let item = try #require(ContentInspector().inspect(try CI.message(file)).items.first)
            #expect(item.libmagicType == raw, "\(file)")
            #expect(item.detectedType == canonical, "\(file)")
        }
        #expect(TypeNormalisation.canonical("application/CDFV2") == "application/x-ole-storage")
        #expect(TypeNormalisation.canonical("application/x-ole-storage") == "application/x-ole-storage")
        #expect(TypeNormalisation.canonical("application/x-dosexec") == "application/vnd.microsoft.portable-executable")
        #expect(TypeNormalisation.canonical("application/x-gtar") == "application/x-tar")
        #expect(TypeNormalisation.canonical("data") == "application/octet-stream")
    }

    @Test("families", arguments: [
        ("application/x-executable", TypeFamily.executable), ("text/x-shellscript", .script), ("application/vnd.ms-word.document.macroEnabled.12", .macroOffice),
        ("application/x-iso9660-image", .diskImage), ("application/x-msi", .installer), ("application/zip", .archive), ("application/pdf", .document),
        ("image/png", .image), ("text/plain", .text), ("application/octet-stream", .unknown),
    ])
    func family(_ c: (String, TypeFamily)) { #expect(TypeNormalisation.family(c.0) == c.1) }

    @Test("a script named .txt is a mismatch; a script named .sh is not")
    func scriptMismatch() {
        let sh = Array("#!/bin/sh\necho hi\n".utf8)
        #expect(identify(sh, name: "notes.txt").first?.findings.map(\.kind) == [.typeMismatch])
        #expect(identify(sh, name: "install.sh").first?.findings.isEmpty == true)
    }

    @Test("an executable declared as an image is a mismatch even without a file name")
    func declaredMismatch() throws {
        let elf = Array(try Data(contentsOf: URL(fileURLWithPath: "/bin/true")).prefix(64 << 10))
        #expect(identify(elf, declared: "image/png").first?.findings.map(\.kind) == [.typeMismatch])
        #expect(identify(elf, declared: "application/octet-stream").first?.findings.isEmpty == true)
    }

    @Test("RAR5 and RAR4 archives with encrypted headers", arguments: [
        [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x0C, 0x04, 0x00, 0x00] as [UInt8],
        [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x00, 0x00, 0x00, 0x73, 0x80, 0x00, 0x0D, 0x00] as [UInt8],
    ])
    func rar(_ header: [UInt8]) {
        #expect(Encryption.kind(of: header + [UInt8](repeating: 0, count: 64), canonicalType: "application/x-rar") == .rar)
    }

    @Test("a RAR without encrypted headers is not reported")
    func rarPlain() {
        let h: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x0C, 0x01, 0x00, 0x00]
        #expect(Encryption.kind(of: h + [UInt8](repeating: 0, count: 64), canonicalType: "application/x-rar") == nil)
    }

    @Test("libmagic is never called on text bodies, only on attachments and inline non-text parts")
    func noMagicOnBodies() throws {
        let body = try Message(parsing: Array("Subject: x\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: text/html\n\n<p>hello</p>\n--b--\n".utf8))
        let before = Magic.callsOnThisThread
        #expect(ContentInspector().inspect(body).items.isEmpty)
        #expect(Magic.callsOnThisThread == before)
        _ = ContentInspector().inspect(try CI.message("elf.eml"))
        #expect(Magic.callsOnThisThread == before + 1)
    }

    @Test("content a signature check identifies (PDF, PNG, JPEG, GIF, OOXML by its parts) is not given to libmagic")
    func signaturesBeforeLibmagic() throws {
        let before = Magic.callsOnThisThread
        let r = ContentInspector().inspect(try CI.message("pdf.eml"))
        #expect(r.items.map(\.detectedType) == ["application/pdf"])
        let d = ContentInspector().inspect(try CI.message("docx.eml"))
        #expect(d.items.first?.detectedType == "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        #expect(Magic.callsOnThisThread == before)
    }

    @Test("empty content is not unidentifiable; random bytes are")
    func unidentifiable() {
        #expect(identify([]).first?.findings.isEmpty == true)
        var rng = SystemRandomNumberGenerator()
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(identify(random).first?.findings.map(\.kind) == [.unidentifiable])
    }
}

@Suite("Archive limits")
struct ArchiveLimitTests {
    func limits(_ f: (inout ArchiveLimits) -> Void) -> ArchiveLimits { var l = ArchiveLimits(); f(&l); return l }
    func inspect(_ bytes: [UInt8], _ l: ArchiveLimits) -> [ContentFinding] {
        var items: [InspectedItem] = []
        ContentInspector(limits: l).identify(bytes, element: ElementLocation([.attachment(1)]), filename: "a.zip", declared: "application/zip", depth: 0,
                                             budget: ArchiveBudget(), into: &items)
        return items.flatMap(\.findings)
    }
    static let text = Array("hello\n".utf8)

    @Test("defaults are documented values")
    func defaults() {
        let d = ArchiveLimits.default
        #expect(d.maxDepth == 4 && d.maxEntries == 1_000 && d.maxEntryBytes == 32 << 20 && d.maxTotalBytes == 128 << 20 && d.maxRatio == 100)
    }

    @Test("depth")
    func depth() {
        var z = CI.zip([("a.txt", Self.text)])
        for i in 0..<3 { z = CI.zip([("level\(i).zip", z)]) }
        #expect(inspect(z, limits { $0.maxDepth = 2 }).contains { $0.kind == .archiveLimit && $0.detail.hasPrefix("depth") })
        #expect(!inspect(z, .default).contains { $0.kind == .archiveLimit })
    }

    @Test("entry count")
    func entries() {
        let z = CI.zip((0..<20).map { ("f\($0).txt", Self.text) })
        #expect(inspect(z, limits { $0.maxEntries = 10 }).contains { $0.kind == .archiveLimit && $0.detail.hasPrefix("entries") })
    }

    @Test("entry size")
    func entrySize() {
        let z = CI.zip([("big.txt", Array(repeating: 0x41, count: 5000))])
        #expect(inspect(z, limits { $0.maxEntryBytes = 4096 }).contains { $0.kind == .archiveLimit && $0.detail.hasPrefix("entry size") })
    }

    @Test("total uncompressed bytes")
    func total() {
        let z = CI.zip((0..<5).map { ("f\($0).txt", Array(repeating: 0x41, count: 3000)) })
        #expect(inspect(z, limits { $0.maxTotalBytes = 10_000 }).contains { $0.kind == .archiveLimit && $0.detail.hasPrefix("total") })
    }

    @Test("compression ratio: the committed zip bomb is quarantined, never opened")
    func ratio() throws {
        let r = ContentInspector().inspect(try CI.message("zip-bomb.eml"))
        #expect(r.findings.map(\.finding.kind) == [.archiveLimit])
        #expect(r.items.count == 1)  // nothing inside was extracted
    }
}

@Suite("Content fuzz replays")
struct ContentFuzzReplayTests {
    static let inputs: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: CI.root + "/Corpus/fuzz-regressions")) ?? []).filter { $0.hasPrefix("content-") }.sorted()

    @Test("every attachment fixture goes through the fuzz entry point")
    func fixtures() throws {
        for f in try FileManager.default.contentsOfDirectory(atPath: CI.dir) where f.hasSuffix(".eml") {
            ContentFuzzEntryPoints.inspect(Array(try Data(contentsOf: URL(fileURLWithPath: CI.dir + "/" + f))))
        }
    }

    @Test("hostile archive headers: huge counts and offsets, truncated entries", .timeLimit(.minutes(1)))
    func hostile() {
        var eocd: [UInt8] = [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0]
        ContentFuzzEntryPoints.inspect([0x50, 0x4B, 0x03, 0x04] + eocd)
        eocd[16] = 0; eocd[17] = 0; eocd[18] = 0; eocd[19] = 0
        ContentFuzzEntryPoints.inspect(eocd)
        var tar = [UInt8](repeating: 0x41, count: 512); tar[124...135] = ArraySlice(Array("77777777777\0".utf8)); tar[257...261] = ArraySlice(Array("ustar".utf8))
        ContentFuzzEntryPoints.inspect(tar)
        ContentFuzzEntryPoints.inspect([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0xFF, count: 64))
    }

    @Test(arguments: inputs)
    func replays(_ name: String) throws {
        ContentFuzzEntryPoints.inspect(Array(try Data(contentsOf: URL(fileURLWithPath: CI.root + "/Corpus/fuzz-regressions/" + name))))
    }
}
