import Foundation
import MailParsing
import Testing

@testable import ArchiveScan

@Suite("ArchiveScan units")
struct ArchiveScanUnitTests {
    static let classifyCases: [(name: String, head: [UInt8], explicit: Bool, expected: InputPlanner.Decision)] = [
        ("inbox", Array("From a@b Mon Jan  6 09:00:00 2025\nSubject: x\n".utf8), false, .read(.stream)),
        ("inbox", Array("\n\nFrom a@b Mon Jan  6 09:00:00 2025\n".utf8), false, .read(.stream)),
        ("x.mbox", Array("junk\n".utf8), false, .read(.stream)),
        ("x.eml", Array("anything".utf8), false, .read(.stream)),
        ("1700000000.1.host", Array("Received: from x\nFrom: a@b\n\nbody\n".utf8), false, .read(.stream)),
        ("inbox.msf", Array("// <!-- <mdb:mork".utf8), false, .skip("Thunderbird summary file (.msf), not mail")),
        ("notes.txt", Array("shopping list\n".utf8), false, .skip("not mail (no postmark, no message header fields)")),
        (
            "readme", Array("Title: not mail\nAuthor: x\n\ntext\n".utf8), false,
            .skip("not mail (no postmark, no message header fields)")
        ),
        ("x.gz", [0x1F, 0x8B, 0x08], false, .read(.gzip)),
        ("x.gz", Array("plain".utf8), false, .skip("named .gz but is not gzip data")),
        ("x.gz", Array("plain".utf8), true, .unreadable("not gzip data (no gzip signature)")),
        ("x.pst", Array("!BDN....".utf8), false, .read(.pst)),
        ("x.pst", Array("nope".utf8), true, .unreadable("not a PST/OST file (no !BDN signature)")),
        ("whatever", Array("shopping list\n".utf8), true, .read(.stream)),
    ]

    @Test("files are classified by their first bytes and name", arguments: classifyCases.indices)
    func classify(_ i: Int) {
        let c = Self.classifyCases[i]
        #expect(InputPlanner.classify(name: c.name, head: c.head, explicit: c.explicit) == c.expected, "\(c.name)")
    }

    @Test(
        "the month comes from the Date header as written",
        arguments: [
            ("Mon, 6 Jan 2025 09:00:00 +1300", "2025-01"), ("6 Dec 2019 23:59 -0000", "2019-12"),
            ("Tue, 02 Feb 99 10:00 GMT", "1999-02"),
            ("yesterday", nil), ("Mon, 6 Foo 2025", nil),
        ] as [(String, String?)])
    func month(_ d: String, _ m: String?) { #expect(MessageIdentity.month(ofDate: d) == m) }

    @Test("identity: header fields unfolded and decoded, first Date/Message-ID, To and Cc joined; SHA-256 of the bytes")
    func identity() {
        let m =
            """
            Message-ID: <1@x>\r\nDate: Mon, 6 Jan 2025\r\n 09:00:00 +1300\r\nFrom: =?utf-8?q?Ren=C3=A9?= <r@x.nz>\r\n\
            To: a@x.nz\r\nTo: b@x.nz\r\nCc: c@x.nz\r\n\r\nFrom: not@header\r\n
            """
        let raw = RawMessage(
            source: MessageSource(kind: .mbox, path: "p", offset: 10, index: 2), bytes: Array(m.utf8), defects: [])
        let id = MessageIdentity(ordinal: 7, raw: raw)
        #expect(id.messageID == "<1@x>" && id.date == "Mon, 6 Jan 2025 09:00:00 +1300" && id.month == "2025-01")
        #expect(id.from == "René <r@x.nz>" && id.to == "a@x.nz, b@x.nz" && id.cc == "c@x.nz")
        #expect(id.offset == 10 && id.index == 2 && id.ordinal == 7 && id.size == m.utf8.count)
        #expect(
            SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let red = id.redacted(addresses: true)
        #expect(red.from == "(redacted)" && red.to == "(redacted)" && red.messageID == "<1@x>")
    }

    @Test("CSV fields are quoted per RFC 4180 and spreadsheet formulas are neutralised")
    func csvFields() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("=cmd()") == "'=cmd()")
        #expect(CSV.field("line\nbreak") == "\"line\nbreak\"")
        #expect(CSV.field(nil) == "")
    }

    @Test("shards partition ordinals and paths: every one owned by exactly one shard")
    func shards() {
        let n = 5
        let shards = (1...n).map { Shard("\($0)/\(n)")! }
        for o in 1...200 { #expect(shards.filter { $0.owns(ordinal: o) }.count == 1) }
        for p in ["a", "b/c.mbox", "/x/y/z.pst", "é"] { #expect(shards.filter { $0.owns(path: p) }.count == 1) }
        #expect(Shard("0/3") == nil && Shard("4/3") == nil && Shard("1/0") == nil && Shard("x") == nil)
    }

    @Test("gzip: concatenated members are read in turn; corrupt data is an error naming the file")
    func gzipStream() throws {
        let d = NSTemporaryDirectory() + "pmark-gz-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        for (name, text) in [
            ("a", "From a@b Mon Jan  6 09:00:00 2025\nSubject: one\n\nx\n\n"),
            ("b", "From a@b Mon Jan  6 09:00:00 2025\nSubject: two\n\ny\n"),
        ] {
            try text.write(toFile: d + "/" + name, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = ["-n", d + "/" + name]
            try p.run()
            p.waitUntilExit()
        }
        var both = try Data(contentsOf: URL(fileURLWithPath: d + "/a.gz"))
        both.append(try Data(contentsOf: URL(fileURLWithPath: d + "/b.gz")))
        try both.write(to: URL(fileURLWithPath: d + "/both.mbox.gz"))
        var subjects: [String] = []
        var errors: [InputError] = []
        InputReading.forEach(
            ScanInput(path: d + "/both.mbox.gz", container: .gzip, size: both.count), reader: ArchiveReader(),
            limits: .default,
            message: {
                subjects.append(String(decoding: $0.bytes, as: UTF8.self))
                return true
            }, skipped: { _ in }, error: { errors.append($0) })
        #expect(subjects.count == 2 && subjects[1].contains("Subject: two") && errors.isEmpty)
        var broken = try Data(contentsOf: URL(fileURLWithPath: d + "/a.gz"))
        broken.removeLast(12)
        try broken.write(to: URL(fileURLWithPath: d + "/cut.gz"))
        errors = []
        InputReading.forEach(
            ScanInput(path: d + "/cut.gz", container: .gzip, size: broken.count), reader: ArchiveReader(),
            limits: .default,
            message: { _ in true }, skipped: { _ in }, error: { errors.append($0) })
        #expect(errors.count == 1 && errors[0].path.hasSuffix("cut.gz") && errors[0].message.contains("truncated"))
    }

    @Test(
        """
        an output file is written only when absent or made by pmark (its signature); anything else is refused untouched
        """
    )
    func safeOutput() throws {
        let d = NSTemporaryDirectory() + "pmark-out-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let sig = "<!-- made by pmark -->\n"
        try SafeOutput.write(sig + "one", to: d + "/r.html", signature: sig)
        try SafeOutput.write(sig + "two", to: d + "/r.html", signature: sig)
        #expect(try String(contentsOfFile: d + "/r.html", encoding: .utf8) == sig + "two")
        try "evidence".write(toFile: d + "/e.html", atomically: true, encoding: .utf8)
        #expect(throws: SafeOutput.Refused.self) { try SafeOutput.write(sig + "x", to: d + "/e.html", signature: sig) }
        #expect(try String(contentsOfFile: d + "/e.html", encoding: .utf8) == "evidence")
        try FileManager.default.createDirectory(atPath: d + "/dir", withIntermediateDirectories: true)
        #expect(!SafeOutput.mayWrite(d + "/dir", signature: sig))
    }

    @Test("a body line starting 'From ' is not a postmark; real postmarks are counted")
    func mboxCount() {
        #expect(
            MboxCount.messages(in: Array("Subject: x\n\nFrom the minister's office, as promised.\n--B\n".utf8)) == 0)
        #expect(
            MboxCount.messages(
                in: Array(
                    """
                    From a@b Mon Jan  6 09:00:00 2025\nSubject: x\n\nhi\n\nFrom c@d Tue Jan  7 10:00:00 2025\n\
                    Subject: y\n\nho\n
                    """
                    .utf8)) == 2)
    }

    @Test("the summary merges shard totals and exits like clamscan: 0 clean, 1 found, 2 unreadable input wins")
    func summaryMerge() {
        var a = ScanSummary(pmarkVersion: "v", policyName: "p", policySHA256: "h", shard: "1/2")
        var b = a
        b.shard = "2/2"
        let id = MessageIdentity(
            ordinal: 1,
            raw: RawMessage(
                source: MessageSource(kind: .file, path: "x"), bytes: Array("Date: 1 Jan 2025\n\nx".utf8), defects: []))
        a.add(
            id,
            MessageFacts(
                inspected: true, classification: "SECRET", classificationRank: 4, action: .block, rules: ["PM-IN-001"],
                findings: [], defects: 0, subject: nil), failOn: .block)
        b.add(
            id,
            MessageFacts(
                inspected: true, classification: nil, classificationRank: nil, action: .allowAndTag,
                rules: ["PM-UNM-002"], findings: ["unmarked"], defects: 1, subject: nil), failOn: .block)
        #expect(a.exitStatus == 1 && b.exitStatus == 0)
        var m = a
        m.merge(b)
        #expect(
            m.messages == 2 && m.byRule == ["PM-IN-001": 1, "PM-UNM-002": 1]
                && m.byClassification == ["SECRET": 1, "UNMARKED": 1] && m.byMonth == ["2025-01": 2] && m.defects == 1)
        #expect(m.exitStatus == 1)
        m.errors.append(InputError(path: "x", message: "cannot read"))
        #expect(m.exitStatus == 2)
        #expect(
            FailOn.finding.matches(
                MessageFacts(
                    inspected: true, classification: nil, classificationRank: nil, action: .allowAndTag, rules: [],
                    findings: ["unmarked"], defects: 0, subject: nil)))
    }
}
