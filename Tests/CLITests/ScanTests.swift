import Foundation
import Testing

/// `pmark scan` over real archive layouts, its outputs, shards, merge and exit codes; `check`
/// on several messages; never writing over input. Runs the built binary.
@Suite("pmark scan: layouts, outputs, shards")
struct ScanTests {
    let cli = CLITests()
    func run(_ args: [String], stdin: String? = nil) throws -> (out: String, err: String, code: Int32) {
        try cli.run(args, stdin: stdin)
    }

    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "pmark-scan-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func gzip(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    func msg(_ subject: String, _ body: String = "hello", marking: String = "[IN-CONFIDENCE] ") -> String {
        """
        From: a@agency.govt.nz\nTo: b@agency.govt.nz\nDate: Mon, 6 Jan 2025 09:00:00 +1300\n\
        Message-ID: <\(subject.replacingOccurrences(of: " ", with: "."))@agency.govt.nz>\n\
        Subject: \(marking)\(subject)\n\n\(body)\n
        """
    }
    func mbox(_ subjects: [String]) -> String {
        subjects.map { "From a@b Mon Jan  6 09:00:00 2025\n" + msg($0) + "\n" }.joined()
    }

    func jsonLines(_ out: String) throws -> [[String: Any]] {
        try out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// A tree with every layout: Thunderbird folders, *.mbox with junk before the first
    /// postmark, Maildir++, an .eml tree, gzip, PST, and files that are not mail.
    func layoutTree() throws -> String {
        let d = try tempDir()
        let tb = d + "/thunderbird/Local Folders"
        try write(tb + "/Inbox", mbox(["tb inbox one", "tb inbox two"]))
        try write(tb + "/Inbox.msf", "// <!-- <mdb:mork:z v=\"1.4\"/> -->\n")
        try write(tb + "/Archives.sbd/2024", mbox(["tb archive"]))
        try write(d + "/export/leading-junk.mbox", "\n\nsaved by some tool\n" + mbox(["junk one", "junk two"]))
        try write(d + "/maildir/cur/1700000000.1.host:2,S", msg("maildir cur"))
        try write(d + "/maildir/new/1700000001.2.host", msg("maildir new"))
        try write(d + "/maildir/tmp/1700000002.3.host", msg("maildir tmp"))
        try write(d + "/maildir/dovecot-uidlist", "3 V1 N4\n")
        try write(d + "/maildir/.Sent/cur/1700000003.4.host:2,S", msg("maildir sent"))
        try write(d + "/eml/a.eml", msg("eml a"))
        try write(d + "/eml/deeper/b.eml", msg("eml b"))
        try write(d + "/eml/notes.txt", "shopping list\n")
        try write(d + "/gz/old.mbox", mbox(["gz one", "gz two"]))
        try gzip(d + "/gz/old.mbox")
        try write(d + "/gz/one.eml", msg("gz eml"))
        try gzip(d + "/gz/one.eml")
        try FileManager.default.copyItem(atPath: CLITests.root + "/Corpus/scan/support.pst", toPath: d + "/outlook.pst")
        try FileManager.default.copyItem(
            atPath: CLITests.root + "/Corpus/scan/dist-list.pst", toPath: d + "/contacts.pst")
        return d
    }

    @Test(
        """
        every layout is read: Thunderbird folders, *.mbox with leading junk, Maildir++, .eml trees, gzip, PST; \
        everything else is skipped with a reason
        """
    )
    func layouts() throws {
        let d = try layoutTree()
        let r = try run(["scan", "--format", "jsonl", "--policy", "Corpus/scan/log-subjects-and-addresses.yaml", d])
        var lines = try jsonLines(r.out)
        let summary = lines.removeLast()
        let bySource = Dictionary(
            grouping: lines, by: { ($0["source_path"] as! String).replacingOccurrences(of: d + "/", with: "") }
        ).mapValues(\.count)
        #expect(bySource["thunderbird/Local Folders/Inbox"] == 2)
        #expect(bySource["thunderbird/Local Folders/Archives.sbd/2024"] == 1)
        #expect(bySource["export/leading-junk.mbox"] == 2)
        #expect(bySource["maildir/cur/1700000000.1.host:2,S"] == 1 && bySource["maildir/new/1700000001.2.host"] == 1)
        #expect(bySource["maildir/.Sent/cur/1700000003.4.host:2,S"] == 1)
        #expect(bySource["eml/a.eml"] == 1 && bySource["eml/deeper/b.eml"] == 1)
        #expect(bySource["gz/old.mbox.gz"] == 2 && bySource["gz/one.eml.gz"] == 1)
        #expect(lines.filter { ($0["source_path"] as! String).hasPrefix(d + "/outlook.pst") }.count == 17)
        let expectedCount = 30  // Thunderbird 3, junk mbox 2, Maildir 3, .eml 2, gzip 3, PST 17
        #expect(lines.count == expectedCount)
        // The PST messages were decided like any other (subjects read from the store).
        #expect(r.out.contains("Release 9.5.2"))
        // Junk before the first postmark is a defect on the first message, not a message.
        let junk = lines.first { ($0["source_path"] as! String).hasSuffix("leading-junk.mbox") }!
        #expect(
            (junk["defects"] as! [[String: Any]]).contains {
                $0["kind"] as? String == "mbox-junk-before-first-postmark"
            })
        #expect((junk["subject"] as? String)?.hasSuffix("junk one") == true)
        // Every skipped file is listed with its reason.
        let skipped = (summary["skipped"] as! [[String: String]]).map {
            ($0["path"]!.replacingOccurrences(of: d + "/", with: ""), $0["reason"]!)
        }
        let reasons = Dictionary(skipped, uniquingKeysWith: { a, _ in a })
        #expect(reasons["thunderbird/Local Folders/Inbox.msf"]?.contains(".msf") == true)
        #expect(reasons["maildir/tmp/1700000002.3.host"]?.contains("tmp/") == true)
        #expect(reasons["maildir/dovecot-uidlist"]?.contains("Maildir metadata") == true)
        #expect(reasons["eml/notes.txt"]?.contains("not mail") == true)
        #expect(skipped.filter { $0.0.hasPrefix("contacts.pst:") }.count == 4)
        #expect(reasons["contacts.pst:Top of Personal Folders/Contacts#2"] == "PST item of class IPM.Contact, not mail")
        #expect(summary["messages"] as? Int == lines.count)
        #expect((summary["errors"] as! [Any]).isEmpty)
        #expect(r.code == 0)
    }

    @Test("symbolic links are followed once: no loops, no file scanned twice")
    func symlinks() throws {
        let d = try tempDir()
        try write(d + "/a/x.eml", msg("linked"))
        try FileManager.default.createSymbolicLink(atPath: d + "/a/loop", withDestinationPath: d + "/a")
        try FileManager.default.createSymbolicLink(atPath: d + "/a/y.eml", withDestinationPath: d + "/a/x.eml")
        let r = try run(["scan", "--format", "jsonl", d, d + "/a/x.eml"])
        var lines = try jsonLines(r.out)
        let summary = lines.removeLast()
        #expect(lines.count == 1)
        #expect((summary["skipped"] as! [[String: String]]).count == 3)
        #expect(r.code == 0)
    }

    @Test(
        """
        errors do not stop a scan: unreadable paths and corrupt files are listed, the rest is read, the summary \
        prints, exit 2
        """
    )
    func errorsContinue() throws {
        let d = try tempDir()
        try write(d + "/good.eml", msg("good"))
        try FileManager.default.createSymbolicLink(atPath: d + "/dangling.eml", withDestinationPath: d + "/nowhere")
        var gz = Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03])
        gz.append(Data(repeating: 0xFF, count: 64))
        try gz.write(to: URL(fileURLWithPath: d + "/broken.mbox.gz"))
        try write(d + "/later.eml", msg("later"))
        let r = try run(["scan", d, "/nonexistent/path"])
        #expect(r.code == 2)
        #expect(r.out.contains("2 message(s)"))
        #expect(r.out.contains("could not read: \(d)/broken.mbox.gz"))
        #expect(r.out.contains("could not read: \(d)/dangling.eml"))
        #expect(r.out.contains("could not read: /nonexistent/path"))
        #expect(r.err.contains("/nonexistent/path"))
    }

    @Test("exit codes: 0 clean, 1 found at or above --fail-on, 2 some input not read")
    func exitCodes() throws {
        let d = try tempDir()
        try write(d + "/ok.eml", msg("fine"))
        try write(d + "/unmarked.eml", msg("no marking", marking: ""))
        #expect(try run(["scan", d + "/ok.eml"]).code == 0)
        #expect(try run(["scan", d]).code == 0)  // unmarked internal: quarantine < block
        #expect(try run(["scan", "--fail-on", "quarantine", d]).code == 1)
        #expect(try run(["scan", "--fail-on", "finding", d]).code == 1)
        #expect(try run(["scan", "--fail-on", "finding", d + "/ok.eml"]).code == 0)
        #expect(try run(["scan", "Corpus/sample/sample.mbox"]).code == 1)  // blocks
        #expect(try run(["scan", "Corpus/sample/sample.mbox", d + "/missing"]).code == 2)
    }

    @Test("--jobs 4 prints the same bytes as --jobs 1 (JSONL, text and CSV)")
    func jobsIdentical() throws {
        for format in ["jsonl", "text", "csv"] {
            let one = try run(["scan", "--jobs", "1", "--format", format, "Corpus"])
            let four = try run(["scan", "--jobs", "4", "--format", format, "Corpus"])
            #expect(one.out.count > 10_000)
            #expect(one.out == four.out, "\(format)")
            #expect(one.code == four.code)
        }
    }

    @Test(
        "filters: --only blocked|quarantined|findings and --min-classification print a subset; the summary counts all")
    func filters() throws {
        func count(_ args: [String]) throws -> (Int, Int) {
            var l = try jsonLines(try run(["scan", "--format", "jsonl"] + args + ["Corpus/sample/sample.mbox"]).out)
            let s = l.removeLast()
            return (l.count, s["messages"] as! Int)
        }
        // Expected counts from the unfiltered records.
        var all = try jsonLines(try run(["scan", "--format", "jsonl", "Corpus/sample/sample.mbox"]).out)
        all.removeLast()
        func n(_ f: ([String: Any]) -> Bool) -> Int { all.filter(f).count }
        let blocked = n { $0["action"] as? String == "block" },
            quarantined = n { $0["action"] as? String == "quarantine" }
        let withFindings = n { !($0["finding_ids"] as! [String]).isEmpty }
        #expect(blocked == 3 && quarantined >= 1 && withFindings >= 4 && withFindings < 6)
        #expect(try count([]) == (6, 6))
        #expect(try count(["--only", "blocked"]) == (blocked, 6))
        #expect(try count(["--only", "quarantined"]) == (quarantined, 6))
        #expect(try count(["--only", "findings"]) == (withFindings, 6))
        #expect(try count(["--min-classification", "SECRET"]) == (3, 6))
        #expect(try count(["--min-classification", "UNCLASSIFIED"]) == (5, 6))
        #expect(try run(["scan", "--min-classification", "SECRT", "Corpus/sample/sample.mbox"]).code == 64)
    }

    @Test(
        """
        JSONL records carry the identity keys and the summary record ends the output; addresses follow the policy's \
        privacy
        """
    )
    func identityAndSummary() throws {
        var l = try jsonLines(
            try run([
                "scan", "--format", "jsonl", "--policy", "Corpus/scan/log-subjects-and-addresses.yaml",
                "Corpus/sample/sample.mbox",
            ]).out)
        let s = l.removeLast()
        let first = l[0]
        #expect(first["record"] as? String == "message")
        #expect(first["source_path"] as? String == "Corpus/sample/sample.mbox")
        #expect(first["offset"] as? Int == 0 && first["index"] as? Int == 1 && first["ordinal"] as? Int == 1)
        #expect(first["message_id"] as? String == "<20250106091158.1@agency.govt.nz>")
        #expect(first["date"] as? String == "Mon, 6 Jan 2025 09:11:58 +1300")
        #expect((first["from"] as? String)?.contains("@agency.govt.nz") == true)
        #expect(first["to"] is String)
        #expect((first["sha256"] as? String)?.count == 64)
        #expect(first["size"] as? Int == 1355)
        #expect(l.map { $0["offset"] as! Int } == l.map { $0["offset"] as! Int }.sorted())
        #expect(s["record"] as? String == "summary")
        #expect(s["messages"] as? Int == 6)
        #expect((s["by_action"] as! [String: Int])["block"] == 3)
        #expect((s["by_rule"] as! [String: Int])["PM-OUT-001"] == 2)
        #expect((s["by_month"] as! [String: Int])["2025-01"] == 5)
        #expect(s["policy_sha256"] is String && s["pmark_version"] is String)
        // The default policy does not log addresses or subjects.
        let def = try jsonLines(try run(["scan", "--format", "jsonl", "Corpus/sample/sample.mbox"]).out)[0]
        #expect(def["from"] as? String == "(redacted)" && def["to"] as? String == "(redacted)")
        #expect(def["subject"] as? String == "(redacted)")
    }

    @Test("CSV: a header and one RFC 4180 row per message; the summary goes to stderr")
    func csv() throws {
        let r = try run(["scan", "--format", "csv", "Corpus/sample/sample.mbox"])
        let rows = r.out.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == 7)
        #expect(
            rows[0].hasPrefix(
                """
                ordinal,source_path,source_kind,offset,index,message_id,date,from,to,cc,size,sha256,subject,\
                classification,action
                """
            ))
        #expect(
            rows[1].hasPrefix(
                """
                1,Corpus/sample/sample.mbox,mbox,0,1,<20250106091158.1@agency.govt.nz>,"Mon, 6 Jan 2025 09:11:58 \
                +1300",(redacted)
                """
            ))
        #expect(rows.contains { $0.contains(",SECRET,block,PM-OUT-001;") })
        #expect(r.err.contains("6 message(s)"))
    }

    @Test(
        """
        the HTML report is self-contained and renders in a headless browser with its charts and the flagged-messages \
        table
        """
    )
    func htmlReport() throws {
        let d = try tempDir()
        let report = d + "/report.html"
        let r = try run(["scan", "--report", report, "Corpus/sample/sample.mbox"])
        #expect(r.code == 1)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<!-- pmark scan report -->"))
        #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("<script"))
        #expect(!html.contains("regional budget"))  // subjects follow the policy's privacy
        // A second run may replace its own report; never anything else.
        #expect(try run(["scan", "--report", report, "Corpus/sample/sample.mbox"]).code == 1)
        try write(d + "/evidence.html", "<html>someone else's</html>")
        let refused = try run(["scan", "--report", d + "/evidence.html", "Corpus/sample/sample.mbox"])
        #expect(refused.code == 73)
        #expect(try String(contentsOfFile: d + "/evidence.html", encoding: .utf8) == "<html>someone else's</html>")
        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            print("chromium not installed: skipping the rendering check (scripts/setup installs it in CI)")
            return
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + d + "/profile", "--dump-dom",
            "file://" + report,
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        // The browser parsed the page into a DOM holding the charts (SVG bars) and the table rows.
        #expect(
            dom.contains("id=\"classification-chart\"") && dom.contains("id=\"decision-chart\"")
                && dom.contains("id=\"timeline\""))
        #expect(dom.components(separatedBy: "<rect class=\"bar\"").count - 1 >= 6)
        #expect(dom.contains("<table id=\"flagged\">"))
        let flagged =
            try jsonLines(try run(["scan", "--format", "jsonl", "Corpus/sample/sample.mbox"]).out).last!["flagged"]
            as! Int
        #expect(flagged >= 5)
        #expect(dom.components(separatedBy: "<td>Corpus/sample/sample.mbox</td>").count - 1 == flagged)
        #expect(dom.contains("PM-OUT-001"))
    }

    @Test(
        "--shard K/N parts are disjoint, together equal the whole scan, and report merge prints the whole scan's bytes")
    func shardsAndMerge() throws {
        let d = try tempDir()
        let whole = try run(["scan", "--format", "jsonl", "Corpus"])
        var parts: [String] = []
        var seen: [String] = []
        for k in 1...3 {
            let r = try run(["scan", "--format", "jsonl", "--shard", "\(k)/3", "Corpus"])
            let path = d + "/part\(k).jsonl"
            try r.out.write(toFile: path, atomically: true, encoding: .utf8)
            parts.append(path)
            seen += r.out.split(separator: "\n").dropLast().map(String.init)
        }
        let wholeLines = whole.out.split(separator: "\n").dropLast().map(String.init)
        #expect(seen.count == wholeLines.count)
        #expect(Set(seen) == Set(wholeLines))
        let merged = try run(["report", "merge"] + parts.reversed())
        #expect(merged.out == whole.out)
        #expect(merged.code == whole.code)
        let text = try run(["report", "merge", "--format", "text", "--report", d + "/merged.html"] + parts)
        #expect(text.out.contains("message(s)"))
        #expect(try String(contentsOfFile: d + "/merged.html", encoding: .utf8).contains("<table id=\"flagged\">"))
        let missing = try run(["report", "merge", parts[0], parts[2]])
        #expect(missing.code == 65 && missing.err.contains("missing shard(s): 2/3"))
        #expect(try run(["scan", "--shard", "4/3", "Corpus"]).code == 64)
    }

    @Test("bench never writes over an existing file it did not generate")
    func benchNeverOverwrites() throws {
        let d = try tempDir()
        let evidence = d + "/evidence.mbox"
        try FileManager.default.copyItem(atPath: CLITests.root + "/Corpus/sample/sample.mbox", toPath: evidence)
        let before = try Data(contentsOf: URL(fileURLWithPath: evidence))
        let r = try run(["bench", "--archive", evidence, "--size-mb", "1", "--repeats", "1"])
        #expect(r.out.contains("never overwritten"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: evidence)) == before)
    }

    @Test(
        """
        check refuses an mbox holding several messages (usage error, never the first silently); empty input is an \
        error; a missing policy file is an I/O error (74)
        """
    )
    func checkSeveral() throws {
        let r = try run(["check", "Corpus/sample/sample.mbox"])
        #expect(r.code == 64 && r.err.contains("holding 6 messages") && r.out.isEmpty)
        let one = try run(
            ["check", "-"],
            stdin:
                """
                From a@b Mon Jan  6 09:00:00 2025\nSubject: [IN-CONFIDENCE] x\nFrom: a@agency.govt.nz\n\
                To: b@agency.govt.nz\n\nhello\n
                """
        )
        #expect(one.code != 64 && one.out.contains("decision:"))
        let empty = try run(["check", "-"], stdin: "")
        #expect(empty.code == 66 && empty.err.contains("no message"))
        let missing = try run(["check", "--policy", "/nonexistent/policy.yaml", "Corpus/sample/sample.mbox"])
        #expect(missing.code == 74 && missing.err.contains("/nonexistent/policy.yaml"))
    }

    @Test("--version names pmark and the linked libmagic, PCRE2, SQLite, zlib, libarchive and zstd")
    func version() throws {
        let r = try run(["--version"])
        for lib in ["pmark ", "libmagic 5.", "PCRE2 10.", "SQLite 3.", "zlib 1.", "libarchive 3.", "zstd 1."] {
            #expect(r.out.contains(lib), "\(lib)")
        }
    }

    @Test(
        "progress goes to stderr with --progress (messages, MB, rate), and not otherwise when stderr is not a terminal")
    func progress() throws {
        let on = try run(["scan", "--progress", "--format", "jsonl", "Corpus/sample/sample.mbox"])
        #expect(on.err.contains("6 messages") && on.err.contains("MB/s"))
        let off = try run(["scan", "--format", "jsonl", "Corpus/sample/sample.mbox"])
        #expect(!off.err.contains("MB/s"))
        #expect(!(try run(["scan", "--progress", "--quiet", "Corpus/sample/sample.mbox"]).err.contains("MB/s")))
    }
}
