import Foundation
import Testing

/// `pmark check/scan --audit`, `pmark audit …` and `pmark quarantine …` against a real store file.
@Suite("pmark audit and quarantine (command line)")
struct AuditCLITests {
    let cli = CLITests()

    final class Dir {
        let path: String
        init() {
            var t = Array("/tmp/pmark-audit-cli-XXXXXX".utf8CString)
            path = t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func write(_ name: String, _ text: String, mode: Int = 0o644) -> String {
            let p = path + "/" + name
            _ = FileManager.default.createFile(
                atPath: p, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
            return p
        }
    }

    static let held =
        """
        From: Aroha <aroha@agency.govt.nz>\r\nTo: a@gmail.com\r\nSubject: Lunch\r\n\
        Message-ID: <held1@agency.govt.nz>\r\n\r\nKia ora \u{e9}\r\n
        """
    static let blocked =
        """
        From: Aroha <aroha@agency.govt.nz>\r\nTo: a@gmail.com\r\nSubject: [SENSITIVE] Budget\r\n\
        Message-ID: <blocked1@agency.govt.nz>\r\n\r\nFigures.\r\n
        """

    @Test(
        """
        check --audit keeps a held message; quarantine list/show --raw/release/delete work and are recorded; verify, \
        list, report and export read the store
        """
    )
    func lifecycle() throws {
        let dir = Dir()
        let db = dir.path + "/audit.db"
        let outbox = dir.path + "/outbox"
        try FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
        let sendmail = dir.write(
            "sendmail", "#!/bin/sh\nprintf '%s\\n' \"$@\" > \(outbox)/args\ncat > \(outbox)/msg\n", mode: 0o755)
        let heldFile = dir.write("held.eml", Self.held), blockedFile = dir.write("blocked.eml", Self.blocked)

        let c1 = try cli.run([
            "check", "--audit", db, "--mail-from", "aroha@agency.govt.nz", "--rcpt", "a@gmail.com", heldFile,
        ])
        #expect(c1.code == 2)
        let c2 = try cli.run([
            "check", "--audit", db, "--mail-from", "aroha@agency.govt.nz", "--rcpt", "a@gmail.com", blockedFile,
        ])
        #expect(c2.code == 3)
        var st = stat()
        #expect(stat(db, &st) == 0 && st.st_mode & 0o777 == 0o600)

        let list = try cli.run(["quarantine", "list", "--db", db])
        #expect(list.code == 0)
        #expect(list.out.contains("#1 ") && list.out.contains(" held held outbound"))
        #expect(
            list.out.contains("#2 ") && list.out.contains(" blocked blocked outbound")
                && list.out.contains("PM-OUT-001"))
        #expect(list.out.contains("2 message(s)"))

        let raw = try cli.run(["quarantine", "show", "--db", db, "1", "--raw"])
        #expect(raw.out == Self.held)

        let noReason = try cli.run(["quarantine", "release", "--db", db, "1"])
        #expect(noReason.code == 64)
        let rel = try cli.run([
            "quarantine", "release", "--db", db, "1", "--reason", "sender confirmed", "--by", "kiri",
            "--sendmail", sendmail, "--postqueue", "/nonexistent",
        ])
        #expect(rel.code == 0, "\(rel.err)")
        #expect(rel.out.contains("released #1: re-submitted through sendmail to 1 recipient(s)"))
        #expect((try? String(contentsOfFile: outbox + "/msg", encoding: .utf8)) == Self.held)
        #expect(
            (try? String(contentsOfFile: outbox + "/args", encoding: .utf8))
                == "-G\n-i\n-f\naroha@agency.govt.nz\n--\na@gmail.com\n")
        let again = try cli.run([
            "quarantine", "release", "--db", db, "1", "--reason", "x", "--sendmail", sendmail, "--postqueue",
            "/nonexistent",
        ])
        #expect(again.code == 1 && again.err.contains("already released"))

        let del = try cli.run([
            "quarantine", "delete", "--db", db, "2", "--reason", "duplicate", "--postqueue", "/nonexistent",
        ])
        #expect(del.code == 0)
        let show = try cli.run(["audit", "show", "--db", db, "2"])
        #expect(show.out.contains("delete by root") || show.out.contains("delete by "))
        #expect(show.out.contains("duplicate"))
        let show1 = try cli.run(["audit", "show", "--db", db, "1"])
        #expect(show1.out.contains("release by kiri: sender confirmed"))
        let gone = try cli.run(["quarantine", "show", "--db", db, "2", "--raw"])
        #expect(gone.code == 66)

        let scan = try cli.run(["scan", "--audit", db, "Corpus/sample/sample.mbox"])
        #expect(scan.code == 1)  // messages blocked (the default --fail-on); every one recorded

        let verify = try cli.run(["audit", "verify", "--db", db])
        #expect(verify.code == 0)
        #expect(verify.out.contains("integrity_check: ok"))
        #expect(verify.out.contains("chain intact: 10 entries"))

        let all = try cli.run(["audit", "list", "--db", db])
        #expect(all.out.contains("8 decision(s)"))
        let rule = try cli.run(["audit", "list", "--db", db, "--rule", "PM-OUT-001", "--format", "jsonl"])
        #expect(rule.out.split(separator: "\n").count >= 2)
        #expect(!rule.out.contains("aroha@agency.govt.nz"))  // the default policy keeps addresses out
        let inbound = try cli.run([
            "audit", "list", "--db", db, "--direction", "outbound", "--since", "1h", "--action", "quarantine",
        ])
        #expect(inbound.out.contains("#1 "))
        let bad = try cli.run(["audit", "list", "--db", db, "--since", "yesterday"])
        #expect(bad.code == 64)

        let report = try cli.run(["audit", "report", "--db", db, "--since", "2020-01-01", "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(report.out.utf8)) as? [String: Any]
        #expect(json?["decisions"] as? Int == 8)
        let html = try cli.run(["audit", "report", "--db", db, "--format", "html"])
        #expect(html.out.hasPrefix("<!DOCTYPE html>") && html.out.contains("PM-OUT-001"))
        let text = try cli.run(["audit", "report", "--db", db])
        #expect(text.out.contains("by rule (messages)") && text.out.contains("by day"))

        let cef = try cli.run(["audit", "export", "--db", db, "--format", "cef"])
        #expect(cef.out.split(separator: "\n").count == 8)
        #expect(cef.out.split(separator: "\n").allSatisfy { $0.hasPrefix("CEF:0|pmark|pmark|") })
        let jsonl = try cli.run(["audit", "export", "--db", db])
        #expect(
            jsonl.out.split(separator: "\n").allSatisfy {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil
            })
    }

    @Test("bench-milter refuses a held share outside 0–100 % and no messages, naming the option, before any work")
    func benchMilterValidatesItsMix() throws {
        for (args, option) in [
            (["--held-percent", "150"], "--held-percent"), (["--held-percent", "-1"], "--held-percent"),
            (["--messages", "0"], "--messages"),
        ] {
            let r = try cli.run(["audit", "bench-milter"] + args)
            #expect(r.code == 64, "\(args): \(r.err)")
            #expect(r.err.contains(option), "\(r.err)")
        }
    }
}
