import Foundation
import Testing

/// `pmark check` rows of issue 11 (spec §10.9): each let a SECRET message out on wave1-landed.
@Suite("pmark check on adversarial input")
struct AdversarialCLITests {
    let cli = CLITests()

    func temp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pmark-adv-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test("a .eml that starts with a From postmark is one message: a body line starting From does not hide the rest")
    func postmark() throws {
        let msg = """
        From aroha@agency.govt.nz Mon Nov 30 10:00:00 2026
        From: aroha@agency.govt.nz
        To: x@gmail.com
        Subject: [IN-CONFIDENCE] notes
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="B"

        --B
        Content-Type: text/plain

        see attached

        From the minister's office, as promised.
        --B
        Content-Type: text/plain; name="brief.txt"
        Content-Disposition: attachment; filename="brief.txt"

        SECRET
        the brief
        --B--

        """
        let path = try temp("postmark.eml", Array(msg.utf8))
        let r = try cli.run(["check", "--rcpt", "x@gmail.com", path])
        #expect(r.out.contains("SECRET"), "\(r.out)")
        #expect(r.code != 0, "\(r.out)")  // wave1-landed: ALLOW (the attachment was cut off)
    }

    @Test("check --direction outbound without recipients judges the default path (spec §10.12)")
    func noRecipients() throws {
        let r = try cli.run(["check", "--direction", "outbound", "-"],
                            stdin: "From: a@agency.govt.nz\nBcc: x@gmail.com\nSubject: [RESTRICTED] plan\n\nhello\n")
        #expect(r.code == 3, "\(r.out)")
        #expect(r.out.contains("PM-OUT-001"))
    }
}
