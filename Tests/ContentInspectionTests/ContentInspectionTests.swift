import Foundation
import MailParsing
import TestSupport
import Testing

@_spi(Fuzzing) @testable import ContentInspection

enum CI {
    static let root = Repository.root
    static let dir = root + "/Corpus/attachments"
    static func message(_ name: String) throws -> Message {
        try Message(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
    }
    static func render(_ r: ContentReport) -> String {
        r.items.map { i in
            """
            \(i.location) | declared \(i.declaredType ?? "-") | detected \(i.detectedType) [\(i.family.rawValue)] | \
            \(i.size) bytes
            """
                + i.findings.map { " | \($0.kind.rawValue): \($0.detail)" }.joined()
        }.joined(separator: "\n") + "\n"
    }
    /// A stored (method 0) ZIP, for limit tests (valid CRCs: the reader checks them).
    static func zip(_ entries: [(String, [UInt8])]) -> [UInt8] { ZipWriter.zip(entries, method: .stored) }
}

@Suite("Attachment corpus goldens (Corpus/attachments, made with real tools)")
struct AttachmentCorpusTests {
    static let inputs = ((try? FileManager.default.contentsOfDirectory(atPath: CI.dir)) ?? []).filter {
        $0.hasSuffix(".eml")
    }.sorted()

    @Test("the corpus covers every encryption kind but RAR, each family of interest, mismatch and limits")
    func coverage() throws {
        var findings = Set<String>(), families = Set<String>()
        for f in Self.inputs {
            let r = ContentInspector().inspect(try CI.message(f))
            findings.formUnion(
                r.findings.map {
                    $0.finding.kind == .encrypted ? "encrypted:" + $0.finding.detail : $0.finding.kind.rawValue
                })
            families.formUnion(r.items.map(\.family.rawValue))
        }
        for k in [
            "encrypted:zip", "encrypted:7z", "encrypted:pdf", "encrypted:office", "encrypted:smime", "encrypted:pgp",
            "encrypted:pgp-inline",
            "type-mismatch", "unidentifiable", "archive-limit",
        ] { #expect(findings.contains(k), "\(k)") }
        for f in ["executable", "script", "macro-office", "disk-image", "installer", "archive", "document", "text"] {
            #expect(families.contains(f), "\(f)")
        }
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
    func identify(_ bytes: [UInt8], name: String? = nil, declared: String? = nil, limits: ArchiveLimits = .default)
        -> [InspectedItem]
    {
        var items: [InspectedItem] = []
        ContentInspector(limits: limits).identify(
            bytes, element: ElementLocation([.attachment(1)]), filename: name, declared: declared, depth: 0,
            budget: ArchiveBudget(), into: &items)
        return items
    }

    @Test(
        """
        libmagic aliases are pinned (libmagic \\(Magic.version)); a magic database upgrade that renames types fails \
        here first
        """
    )
    func aliasesPinned() throws {
        // What this libmagic says for the corpus files, and what pmark normalises it to.
        #expect(
            Magic.version == 544,
            "libmagic changed: re-check TypeNormalisation.aliases against its names, then update this pin")
        let seen: [(String, String, String)] = [
            ("elf.eml", "application/x-sharedlib", "application/x-executable"),
            ("encrypted-docx.eml", "application/encrypted", "application/x-ole-storage"),
            (
                "pe.eml", "application/vnd.microsoft.portable-executable",
                "application/vnd.microsoft.portable-executable"
            ),
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

    @Test(
        "families",
        arguments: [
            ("application/x-executable", TypeFamily.executable), ("text/x-shellscript", .script),
            ("application/vnd.ms-word.document.macroEnabled.12", .macroOffice),
            ("application/x-iso9660-image", .diskImage), ("application/x-msi", .installer),
            ("application/zip", .archive), ("application/pdf", .document),
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

    @Test(
        "RAR5 and RAR4 archives with encrypted headers",
        arguments: [
            [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x0C, 0x04, 0x00, 0x00] as [UInt8],
            [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x00, 0x00, 0x00, 0x73, 0x80, 0x00, 0x0D, 0x00] as [UInt8],
        ])
    func rar(_ header: [UInt8]) {
        #expect(
            Encryption.kind(of: header + [UInt8](repeating: 0, count: 64), canonicalType: "application/x-rar") == .rar)
    }

    @Test("a RAR without encrypted headers is not reported")
    func rarPlain() {
        let h: [UInt8] = [
            0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x0C, 0x01, 0x00, 0x00,
        ]
        #expect(Encryption.kind(of: h + [UInt8](repeating: 0, count: 64), canonicalType: "application/x-rar") == nil)
    }

    @Test("libmagic is never called on text bodies, only on attachments and inline non-text parts")
    func noMagicOnBodies() throws {
        let body = try Message(
            parsing: Array(
                """
                Subject: x\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n\
                --b\nContent-Type: text/html\n\n<p>hello</p>\n--b--\n
                """
                .utf8))
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
        #expect(
            d.items.first?.detectedType == "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        #expect(Magic.callsOnThisThread == before)
    }

    @Test("empty content is not unidentifiable; random bytes are")
    func unidentifiable() {
        #expect(identify([]).first?.findings.isEmpty == true)
        // Random-looking but the same bytes on every run (a fresh draw could, rarely, start
        // with some format's magic and make the test flaky).
        var rng = SplitMix64(seed: 0x706D_6172_6B)
        let random = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(identify(random).first?.findings.map(\.kind) == [.unidentifiable])
    }
}

@Suite("Archive limits")
struct ArchiveLimitTests {
    func limits(_ f: (inout ArchiveLimits) -> Void) -> ArchiveLimits {
        var l = ArchiveLimits()
        f(&l)
        return l
    }
    func inspect(_ bytes: [UInt8], _ l: ArchiveLimits) -> [ContentFinding] {
        var items: [InspectedItem] = []
        ContentInspector(limits: l).identify(
            bytes, element: ElementLocation([.attachment(1)]), filename: "a.zip", declared: "application/zip", depth: 0,
            budget: ArchiveBudget(), into: &items)
        return items.flatMap(\.findings)
    }
    static let text = Array("hello\n".utf8)

    @Test("defaults are documented values")
    func defaults() {
        let d = ArchiveLimits.default
        #expect(
            d.maxDepth == 4 && d.maxEntries == 1_000 && d.maxEntryBytes == 32 << 20 && d.maxTotalBytes == 128 << 20
                && d.maxRatio == 100)
    }

    @Test("depth")
    func depth() {
        var z = CI.zip([("a.txt", Self.text)])
        for i in 0..<3 { z = CI.zip([("level\(i).zip", z)]) }
        #expect(
            inspect(z, limits { $0.maxDepth = 2 }).contains { $0.kind == .archiveLimit && $0.detail.hasPrefix("depth") }
        )
        #expect(!inspect(z, .default).contains { $0.kind == .archiveLimit })
    }

    @Test("entry count")
    func entries() {
        let z = CI.zip((0..<20).map { ("f\($0).txt", Self.text) })
        #expect(
            inspect(z, limits { $0.maxEntries = 10 }).contains {
                $0.kind == .archiveLimit && $0.detail.hasPrefix("entries")
            })
    }

    @Test("entry size")
    func entrySize() {
        let z = CI.zip([("big.txt", Array(repeating: 0x41, count: 5000))])
        #expect(
            inspect(z, limits { $0.maxEntryBytes = 4096 }).contains {
                $0.kind == .archiveLimit && $0.detail.hasPrefix("entry size")
            })
    }

    @Test("total uncompressed bytes")
    func total() {
        let z = CI.zip((0..<5).map { ("f\($0).txt", Array(repeating: 0x41, count: 3000)) })
        #expect(
            inspect(z, limits { $0.maxTotalBytes = 10_000 }).contains {
                $0.kind == .archiveLimit && $0.detail.hasPrefix("total")
            })
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
    static let inputs: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: CI.root + "/Corpus/fuzz-regressions")) ?? []).filter {
            $0.hasPrefix("content-")
        }.sorted()

    @Test("every attachment fixture goes through the fuzz entry point")
    func fixtures() throws {
        for f in try FileManager.default.contentsOfDirectory(atPath: CI.dir) where f.hasSuffix(".eml") {
            ContentFuzzEntryPoints.inspect(Array(try Data(contentsOf: URL(fileURLWithPath: CI.dir + "/" + f))))
        }
    }

    @Test("hostile archive headers: huge counts and offsets, truncated entries", .timeLimit(.minutes(1)))
    func hostile() {
        var eocd: [UInt8] = [
            0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F,
            0, 0,
        ]
        ContentFuzzEntryPoints.inspect([0x50, 0x4B, 0x03, 0x04] + eocd)
        eocd[16] = 0
        eocd[17] = 0
        eocd[18] = 0
        eocd[19] = 0
        ContentFuzzEntryPoints.inspect(eocd)
        var tar = [UInt8](repeating: 0x41, count: 512)
        tar[124...135] = ArraySlice(Array("77777777777\0".utf8))
        tar[257...261] = ArraySlice(Array("ustar".utf8))
        ContentFuzzEntryPoints.inspect(tar)
        ContentFuzzEntryPoints.inspect([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0xFF, count: 64))
    }

    @Test(arguments: inputs)
    func replays(_ name: String) throws {
        ContentFuzzEntryPoints.inspect(
            Array(try Data(contentsOf: URL(fileURLWithPath: CI.root + "/Corpus/fuzz-regressions/" + name))))
    }
}

@Suite("One bounded archive reader")
struct OneArchiveReaderTests {
    func identify(_ bytes: [UInt8], name: String, limits: ArchiveLimits = .default) -> [InspectedItem] {
        var items: [InspectedItem] = []
        ContentInspector(limits: limits).identify(
            bytes, element: ElementLocation([.attachment(1)]), filename: name, declared: nil, depth: 0,
            budget: ArchiveBudget(), into: &items)
        return items
    }

    /// `7z a` of `notes.txt` (a shell script) and `readme.txt` (text), made with 7-Zip 26.02.
    static let sevenZip = Array(
        Data(
            base64Encoded:
                """
                N3q8ryccAARtcaL5ggAAAAAAAAAgAAAAAAAAAGME2DgBABcjIS9iaW4vc2gKZWNobyBoaQpoZWxsbwoAAACBMweuD8/Hr2gP6+qcvzY\
                9/nXb5jZNUxgs8QLS/+MkChQGZ0F7YID3NS1bwH5b2JpXQyT2y9IGzhNiF2oxcqQUeMjbHQYyj9I2jEz0m4HxVZWerN2kp6/I1bEDzc\
                FLTRAAAAAAFwYcAQlmAAcLAQABIwMBAQVdABAAAAx+CgHvp9KMAAA=
                """
        )!)

    @Test("a 7z archive's entries are identified like a ZIP's: a script named .txt inside is a mismatch")
    func sevenZipEntries() {
        let items = identify(Self.sevenZip, name: "bundle.7z")
        #expect(items.map(\.location) == ["attachment[1]", "attachment[1]/notes.txt", "attachment[1]/readme.txt"])
        #expect(items.first?.detectedType == "application/x-7z-compressed")
        #expect(items[1].findings.map(\.kind) == [.typeMismatch])
        #expect(items[2].findings.isEmpty)
    }

    @Test("a ZIP entry whose bytes do not match its CRC is not extracted and is a finding, never skipped")
    func badCRC() {
        var z = ZipWriter.zip([("a.txt", Array("hello world\n".utf8))], method: .stored)
        let at = z.firstRange(of: Array("hello".utf8))!.lowerBound
        z[at] = UInt8(ascii: "j")
        let items = identify(z, name: "a.zip")
        #expect(items.map(\.location) == ["attachment[1]", "attachment[1]/a.txt"])
        #expect(items[1].findings.map(\.detail) == ["entry cannot be extracted"])
    }

    @Test("a ZIP cut short inside an entry, or that cannot be opened at all, is a finding, never a clean archive")
    func unreadableArchive() {
        var rng = SplitMix64(seed: 3)
        let z = ZipWriter.zip(
            [("a.bin", (0..<4000).map { _ in UInt8.random(in: 0...255, using: &rng) })], method: .stored)
        let cut = identify(Array(z.prefix(z.count / 2)), name: "a.zip")
        #expect(cut.first?.detectedType == "application/zip")
        #expect(cut.flatMap(\.findings).map(\.kind) == [.unidentifiable])
        // Local header signature, then nothing a ZIP reader can use.
        let junk = identify([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0xEE, count: 200), name: "a.zip")
        #expect(junk.flatMap(\.findings).contains { $0.kind == .unidentifiable })
    }

    @Test("a ZIP entry's ratio is measured on the bytes it really consumed, whatever its header declares")
    func ratioOfConsumedBytes() {
        // The archive as a whole stays under the ratio (200 KiB of stored noise), so only the
        // entry's own ratio (1 MiB of zeros deflated to about 1 KiB) can catch it.
        var rng = SplitMix64(seed: 7)
        let noise = (0..<(200 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let z = ZipWriter.zip(mixed: [
            ("noise.bin", noise, .stored), ("zeros.bin", [UInt8](repeating: 0, count: 1 << 20), .deflated),
        ])
        let listing = BoundedArchive.read(z, formats: .zip)
        #expect(listing?.limitHit == "compression ratio of zeros.bin (limit 100)")
        #expect(
            identify(z, name: "a.zip").first?.findings.map(\.detail) == ["compression ratio of zeros.bin (limit 100)"])
    }

    @Test("declared sizes are held to the limits before anything is decompressed: a listing of a bomb is a limit hit")
    func declaredSizesInListing() {
        let z = ZipWriter.zip([("zeros.bin", [UInt8](repeating: 0, count: 4 << 20))])
        #expect(BoundedArchive.list(z, formats: .zip)?.limitHit == "compression ratio of zeros.bin (limit 100)")
        var l = ArchiveLimits()
        l.maxEntryBytes = 1 << 20
        l.maxRatio = 100_000
        #expect(BoundedArchive.list(z, formats: .zip, limits: l)?.limitHit == "entry size of zeros.bin (limit 1048576)")
    }

    @Test("a gzip stream is one entry named after the file; a .tgz is read as its .tar")
    func gzipStream() throws {
        let r = ContentInspector().inspect(try CI.message("tar-gz-with-script.eml"))
        #expect(
            r.items.map(\.location) == [
                "attachment[1]", "attachment[1]/bundle.tar", "attachment[1]/bundle.tar/notes.txt",
                "attachment[1]/bundle.tar/install.sh",
            ])
    }

    @Test(
        """
        a gzip stream is checked against its trailer (libarchive does not): a CRC that does not match is a finding; \
        concatenated members are read
        """
    )
    func gzipTrailer() {
        let text = Array("hello world, a log line\n".utf8)
        let good = ZipWriter.gzip(text)
        #expect(identify(good, name: "a.log.gz").flatMap(\.findings).isEmpty)
        var bad = good
        bad[bad.count - 6] ^= 0x01  // one bit of the CRC
        #expect(identify(bad, name: "a.log.gz").first?.findings.map(\.detail) == ["gzip stream cannot be decompressed"])
        let two = identify(ZipWriter.gzip(text) + ZipWriter.gzip(text), name: "a.log.gz")
        #expect(two.map(\.location) == ["attachment[1]", "attachment[1]/a.log"])
        #expect(two.last?.size == 2 * text.count && two.flatMap(\.findings).isEmpty)
    }

    @Test(
        """
        a ZIP without its central directory is not read (libarchive would decompress an entry to skip it, unbounded): \
        a finding
        """
    )
    func noCentralDirectory() {
        let z = ZipWriter.zip([("zeros.bin", [UInt8](repeating: 0, count: 64 << 10))])
        let cut = Array(z[..<z.firstRange(of: [0x50, 0x4B, 0x01, 0x02])!.lowerBound])
        #expect(BoundedArchive.list(cut, formats: .zip) == nil)
        #expect(BoundedArchive.read(cut, formats: .any) == nil)
        #expect(BoundedArchive.read(z, formats: .any)?.entries.map(\.name) == ["zeros.bin"])
        #expect(identify(cut, name: "a.zip").first?.findings.map(\.detail) == ["archive cannot be read"])
    }

    @Test("an entry not wanted is still held to the limits where skipping it means decompressing it (7z)")
    func skippedEntriesCount() throws {
        var l = ArchiveLimits()
        l.maxTotalBytes = 10
        let listing = try #require(BoundedArchive.list(Self.sevenZip, formats: .any, limits: l))
        #expect(listing.limitHit == "total uncompressed bytes (limit 10)")
        #expect(BoundedArchive.list(Self.sevenZip, formats: .any)?.entries.map(\.name) == ["notes.txt", "readme.txt"])
    }

    @Test(
        "there is one archive reader: libarchive is opened and ZIP structures are parsed only in BoundedArchive.swift")
    func oneReader() throws {
        let sources = CI.root + "/Sources"
        let files = (FileManager.default.enumerator(atPath: sources)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".swift")
        }
        #expect(files.count > 50)
        var offenders: [String] = []
        for f in files where f != "ContentInspection/BoundedArchive.swift" {
            let s = try String(contentsOfFile: sources + "/" + f, encoding: .utf8)
            // libarchive's reader, a ZIP central-directory or end-of-central-directory signature,
            // or raw deflate (the ZIP entry codec) anywhere else is a second ZIP reader.
            for needle in [
                "archive_read_new", "0x50, 0x4B, 0x01, 0x02", "0x50, 0x4B, 0x05, 0x06", "windowBits: -15", "-MAX_WBITS",
                "inflateInit2_(&z, -", "import ZIPFoundation",
            ]
            where s.contains(needle) { offenders.append("\(f): \(needle)") }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}

/// A seeded generator (SplitMix64): random-looking bytes that are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
