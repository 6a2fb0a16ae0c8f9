import Foundation
import TestSupport
import Testing

/// Runs the built `pmark` binary and checks its output and exit code.
@Suite("pmark command line")
struct CLITests {
    static let root = Repository.root

    /// The default policy with subjects, addresses and attachment names allowed in reports.
    static let fullReports = "Corpus/policies/full-reports.yaml"

    static var binary: String {
        // swift test builds every product; the binary sits beside the test bundle.
        let candidates = [".build/debug/pmark", ".build/release/pmark"].map { root + "/" + $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    func run(_ args: [String], stdin: String? = nil) throws -> (out: String, err: String, code: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let s = stdin { input.fileHandleForWriting.write(Data(s.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), p.terminationStatus)
    }

    @Test("scan of the sample archive reports every message with source, subject, structure and defects")
    func scanSample() throws {
        let r = try run(["scan", "--policy", Self.fullReports, "Corpus/sample/sample.mbox"])
        #expect(r.code == 1)  // found: messages blocked (the default --fail-on)
        #expect(r.out.contains("Corpus/sample/sample.mbox@0 (#1)"))
        #expect(r.out.contains("subject:   [IN-CONFIDENCE] Draft briefing on the regional budget"))
        #expect(r.out.contains("subject:   Question about the café licence"))
        #expect(r.out.contains("structure: multipart/mixed(text/plain, message/rfc822{text/plain})"))
        #expect(r.out.contains("defects:   close-boundary-not-found"))
        #expect(r.out.contains("6 message(s), 0 not inspected"))
        #expect(r.out.contains("marking:   SECRET // NZEO"))
        #expect(r.out.contains("read SECRET//NZEO at attachment[1]/message:subject"))
        #expect(r.out.contains("finding:   unmarked at message"))
        #expect(r.out.contains("by classification: IN-CONFIDENCE 1, SECRET 3, UNCLASSIFIED 1, UNMARKED 1"))
        #expect(r.out.contains("decisions (policy 'NZ agency default, full reports' "))
        #expect(r.out.contains("PM-OUT-001       2  classification exceeds the communication path"))
        #expect(r.out.contains("finding:   under-marked at attachment[1]"))
        #expect(r.out.contains("finding:   foreign-eyes-only at header:X-Protective-Marking"))
    }

    @Test("scan --format jsonl prints one JSON object per message")
    func scanJSONL() throws {
        let r = try run(["scan", "--format", "jsonl", "Corpus/sample/sample.mbox"])
        #expect(r.code == 1)
        var lines = r.out.split(separator: "\n")
        #expect(lines.count == 7)  // six messages, then the summary record
        let summary = try JSONSerialization.jsonObject(with: Data(lines.removeLast().utf8)) as! [String: Any]
        #expect(summary["record"] as? String == "summary" && summary["messages"] as? Int == 6)
        for l in lines {
            let obj = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            #expect(obj["source"] is String)
            #expect(obj["structure"] is String)
            #expect(obj["defects"] is [Any])
            #expect(obj.keys.contains("classification"))
            #expect(obj["endorsements"] is [String])
            for f in obj["findings"] as! [[String: Any]] { #expect(f["id"] is String && f["location"] is String) }
        }
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(second["classification"] is NSNull)  // unmarked is null, not absent
    }

    @Test("scan reads standard input")
    func scanStdin() throws {
        let r = try run(["scan", "--policy", Self.fullReports, "-"], stdin: "Subject: from stdin\n\nhello\n")
        #expect(r.code == 0)
        #expect(r.out.contains("subject:   from stdin"))
    }

    @Test("subjects stay out of the report unless the policy logs them; --redact-subjects overrides the policy")
    func redact() throws {
        for args in [
            ["scan", "Corpus/sample/sample.mbox"],
            ["scan", "--redact-subjects", "--policy", Self.fullReports, "Corpus/sample/sample.mbox"],
        ] {
            let r = try run(args)
            #expect(!r.out.contains("regional budget"))
            #expect(r.out.contains("(redacted)"))
        }
    }

    @Test("a message over a limit is reported as not inspected and the exit code is 2 (input not read)")
    func notInspected() throws {
        let many = (0..<6000).map { "X-H\($0): v\n" }.joined() + "\nbody\n"
        let r = try run(["scan", "-"], stdin: many)
        #expect(r.code == 2)
        #expect(r.out.contains("NOT INSPECTED: limit exceeded: header-count"))
    }

    @Test("a missing file is reported, the summary still prints, and the exit code is 2")
    func missing() throws {
        let r = try run(["scan", "/nonexistent/archive.mbox"])
        #expect(r.code == 2)
        #expect(r.err.contains("/nonexistent/archive.mbox"))
        #expect(r.out.contains("0 message(s)"))
        #expect(r.out.contains("could not read: /nonexistent/archive.mbox"))
    }

    @Test("a bad option is a usage error with exit code 64")
    func usage() throws {
        let r = try run(["scan", "--format", "xml", "x"])
        #expect(r.code == 64)
    }

    @Test("bench generates a deterministic archive and reports ratios to the raw baseline (no timing asserted)")
    func bench() throws {
        let path = NSTemporaryDirectory() + "pmark-bench-\(UUID().uuidString).mbox"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try run(["bench", "--archive", path, "--size-mb", "2", "--repeats", "1"])
        #expect(r.code == 0)
        #expect(r.out.contains("parse (headers + MIME tree)"))
        #expect(r.out.contains("ratio to raw"))
        #expect(r.out.contains("not inspected: 0"))
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: path)
        _ = try run(["bench", "--archive", path, "--size-mb", "2", "--repeats", "1"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == first)
    }

    @Test("check reports the markings of one message, in text and JSON")
    func check() throws {
        let t = try run(["check", "Corpus/markings/attachment-name-under-marked.eml"])
        #expect(t.code == 3)  // block: SECRET exceeds the RESTRICTED system
        #expect(t.out.contains("marking:   SECRET"))
        #expect(t.out.contains("finding:   under-marked at attachment[1]"))
        let j = try run(["check", "--format", "json", "Corpus/markings/header-gov-au-austeo.eml"])
        let obj = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as! [String: Any]
        #expect(obj["classification"] as? String == "SECRET")
        #expect(obj["endorsements"] as? [String] == ["AUSTEO"])
        #expect((obj["findings"] as! [[String: Any]]).map { $0["id"] as! String } == ["foreign-eyes-only"])
    }

    @Test("check reads extra marking headers when asked")
    func checkExtraHeader() throws {
        let msg = "X-Classification: RESTRICTED\nSubject: x\n\nhello\n"
        #expect(try run(["check", "-"], stdin: msg).out.contains("marking:   UNMARKED"))
        #expect(
            try run(["check", "--header", "X-Classification", "-"], stdin: msg).out.contains("marking:   RESTRICTED"))
    }

    @Test("check prints a result for every file in Corpus/")
    func checkWholeCorpus() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root + "/Corpus").filter {
            $0.hasSuffix(".eml") || $0.hasSuffix(".mbox")
        }
        #expect(files.count >= 30)
        for f in files {
            let r = try run(["check", "Corpus/" + f])
            if f == "sample/sample.mbox" {  // six messages: refused (use scan), never decided by its first
                #expect(r.code == 64)
                continue
            }
            #expect([0, 2, 3].contains(r.code), "\(f)")
            #expect(r.out.contains("marking:"), "\(f)")
            #expect(r.out.contains("decision:  "), "\(f)")
        }
    }

    @Test("policy lint accepts the shipped policies and refuses a broken one with file:line:column (exit 65)")
    func policyLint() throws {
        let ok = try run([
            "policy", "lint", "policies/default.yaml", "policies/examples/secret-system.yaml",
            "policies/examples/in-confidence-agency.yaml",
        ])
        #expect(ok.code == 0)
        #expect(ok.out.contains("policies/default.yaml: ok: 'NZ agency default', system RESTRICTED, 2 path(s)"))
        let path = NSTemporaryDirectory() + "broken-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        policy:\n  name: x\norganisation:\n  domains: [a.govt.nz]\nsystem:\n  name: s\n  accreditation: SECRT\n\
        paths:\n  - name: p\n    ceiling: UNCLASSIFIED\n    countries: any\n    default: true\n
        """
        .write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try run(["policy", "lint", path])
        #expect(bad.code == 65)
        #expect(bad.err.contains("\(path):7:18: unknown classification 'SECRT' in system.accreditation"))
    }

    @Test("check decides with envelope options and distinguishes allow, quarantine and block by exit code")
    func checkDecisions() throws {
        let msg = "From: a@agency.govt.nz\nTo: x@gmail.com\nSubject: [IN-CONFIDENCE] plan\n\nhello\n"
        let allow = try run(["check", "-"], stdin: msg)
        #expect(allow.code == 0 && allow.out.contains("decision:  ALLOW (outbound"))
        let block = try run(
            ["check", "--rcpt", "x@gmail.com", "-"],
            stdin: msg.replacingOccurrences(of: "[IN-CONFIDENCE]", with: "[RESTRICTED]"))
        #expect(
            block.code == 3 && block.out.contains("PM-OUT-001") && block.out.contains("NZISM 15.2.40.C.01 [CID:1760]"))
        let aog = try run(
            ["check", "--policy", Self.fullReports, "--rcpt", "y@dpmc.govt.nz", "-"],
            stdin: msg.replacingOccurrences(of: "[IN-CONFIDENCE]", with: "[RESTRICTED]"))
        #expect(aog.code == 0 && aog.out.contains("ALLOW via all-of-government for y@dpmc.govt.nz"))
        let quarantine = try run(["check", "-"], stdin: msg.replacingOccurrences(of: "[IN-CONFIDENCE] ", with: ""))
        #expect(quarantine.code == 2 && quarantine.out.contains("PM-UNM-002"))
        let inbound = try run(
            [
                "check", "--direction", "inbound", "--mail-from", "p@partner.example", "--rcpt", "me@agency.govt.nz",
                "-",
            ],
            stdin: "From: p@partner.example\nSubject: [SECRET] x\n\nhi\n")
        #expect(
            inbound.code == 3 && inbound.out.contains("PM-IN-001")
                && inbound.out.contains("recipients are to be notified"))
        let json = try run(["check", "--format", "json", "-"], stdin: msg)
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        let d = obj["decision"] as! [String: Any]
        #expect(d["message_action"] as? String == "allow")
        #expect((d["policy"] as! [String: Any])["name"] as? String == "NZ agency default")
        #expect((d["groups"] as! [[String: Any]]).first?["path"] as? String == "internet")
    }

    @Test("check with a broken policy file exits 65 with the diagnostic")
    func checkBrokenPolicy() throws {
        let path = NSTemporaryDirectory() + "bad-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "policy: [\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try run(["check", "--policy", path, "Corpus/markings/unmarked-plain.eml"])
        #expect(r.code == 65 && r.err.contains(path + ":"))
    }

    @Test("policy explain prints the embedded default policy in plain English")
    func policyExplain() throws {
        let r = try run(["policy", "explain"])
        #expect(r.code == 0)
        #expect(r.out.contains("Policy 'NZ agency default' (sha256 "))
        #expect(r.out.contains("PM-OUT-001; NZISM 15.2.40.C.01 [CID:1760]"))
        let f = try run(["policy", "explain", "policies/examples/in-confidence-agency.yaml"])
        #expect(f.out.contains("accredited IN-CONFIDENCE"))
    }

    @Test("pmark test runs the policy suites, ends with 'N passed, N failed', and exits by outcome")
    func policyTests() throws {
        let ok = try run(["test", "policies/", "--min-coverage", "100"])
        #expect(ok.code == 0)
        #expect(ok.out.hasSuffix(" passed, 0 failed\n"))
        #expect(ok.out.contains("coverage: rules 100.0%, controls 100.0%"))
        let dir = NSTemporaryDirectory() + "pmark-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        cases:\n  - name: wrong\n    message: {subject: "[SECRET] x"}\n    envelope: {direction: outbound, \
        mail-from: a@agency.govt.nz, rcpt: [a@gmail.com]}\n    expect: {decision: allow}\n
        """
        .write(toFile: dir + "/f.test.yaml", atomically: true, encoding: .utf8)
        let fail = try run(["test", dir, "--junit", dir + "/j.xml", "--format", "json"])
        #expect(fail.code == 1)
        let obj = try JSONSerialization.jsonObject(with: Data(fail.out.utf8)) as! [String: Any]
        #expect(obj["failed"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/j.xml"))
        try "cases:\n  - name: x\n    mesage: {}\n".write(
            toFile: dir + "/f.test.yaml", atomically: true, encoding: .utf8)
        let invalid = try run(["test", dir])
        #expect(invalid.code == 65 && invalid.err.contains("f.test.yaml:3:5: unknown key 'mesage'"))
        let weaker = try run([
            "test", "policies/tests/default.test.yaml", "--policy", "policies/examples/in-confidence-agency.yaml",
        ])
        #expect(weaker.code == 1)  // the default suite notices a different policy
    }

    @Test("a configured marking header reaches the decision, not only the report")
    func extraHeaderDecides() throws {
        let msg =
            "From: a@agency.govt.nz\nTo: x@gmail.com\nX-Classification: SECRET\nSubject: [IN-CONFIDENCE] plan\n\nhi\n"
        let r = try run(["check", "--header", "X-Classification", "-"], stdin: msg)
        #expect(r.out.contains("marking:   SECRET"))
        #expect(r.code == 3 && r.out.contains("PM-OUT-001"))
    }

    // MARK: privacy and the envelope (issue 9)

    static let privateMessage = """
        From: Alice Sender <alice.sender@agency.govt.nz>
        To: bob.recipient@gmail.com, carol@dpmc.govt.nz
        Subject: [IN-CONFIDENCE] Quarterly rendezvous plans
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b"

        --b
        Content-Type: text/plain

        hello
        --b
        Content-Type: application/octet-stream; name="secret-rendezvous.exe"
        Content-Disposition: attachment; filename="secret-rendezvous.exe"
        Content-Transfer-Encoding: base64

        TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==
        --b--

        """

    @Test(
        """
        scan and check under log-subjects: false and log-addresses: false print no subject, address or attachment \
        name, in every format
        """,
        arguments: [
            ["check"], ["check", "--format", "json"], ["scan"], ["scan", "--format", "jsonl"],
            [
                "check", "--rcpt", "bob.recipient@gmail.com", "--mail-from", "alice.sender@agency.govt.nz", "--format",
                "json",
            ],
        ])
    func privacyClosed(_ command: [String]) throws {
        let r = try run(command + ["-"], stdin: Self.privateMessage)
        #expect(!r.out.isEmpty)
        for secret in ["rendezvous", "alice.sender", "bob.recipient", "carol@", "Quarterly"] {
            #expect(!r.out.localizedCaseInsensitiveContains(secret), "\(command): \(secret) leaked")
            #expect(!r.err.localizedCaseInsensitiveContains(secret), "\(command): \(secret) leaked on stderr")
        }
        #expect(r.out.contains("(redacted)"))
        #expect(r.out.contains("PM-ATT-002"))  // the decision itself is unchanged
    }

    @Test(
        "the same message under a policy that allows them shows subject, addresses and attachment name",
        arguments: [["check"], ["check", "--format", "json"], ["scan"], ["scan", "--format", "jsonl"]])
    func privacyOpen(_ command: [String]) throws {
        let r = try run(command + ["--policy", Self.fullReports, "-"], stdin: Self.privateMessage)
        for shown in ["rendezvous", "bob.recipient@gmail.com", "Quarterly"] {
            #expect(r.out.contains(shown), "\(command): \(shown)")
        }
    }

    @Test("check with an explicit envelope on an over-limit message keeps its direction and recipients")
    func overLimitKeepsEnvelope() throws {
        let many = "From: a@agency.govt.nz\n" + (0..<6000).map { "X-H\($0): v\n" }.joined() + "\nbody\n"
        let r = try run(
            ["check", "--policy", Self.fullReports, "--direction", "outbound", "--rcpt", "x@gmail.com", "-"],
            stdin: many)
        #expect(r.code == 1)
        #expect(r.out.contains("NOT INSPECTED"))
        #expect(r.out.contains("decision:  QUARANTINE (outbound"))
        #expect(r.out.contains("QUARANTINE via (not resolved) for x@gmail.com"))
        #expect(r.out.contains("PM-ERR-001"))
        let j = try run(
            ["check", "--format", "json", "--direction", "inbound", "--rcpt", "me@agency.govt.nz", "-"], stdin: many)
        let obj = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as! [String: Any]
        let d = obj["decision"] as! [String: Any]
        #expect(d["direction"] as? String == "inbound")
        #expect((d["groups"] as! [[String: Any]]).count == 1)
        #expect(obj["outcome"] as? Int == 1 && obj["pmark_version"] is String)
    }
}
