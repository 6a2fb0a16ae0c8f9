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
        let r = try cli.run(
            ["check", "--direction", "outbound", "-"],
            stdin: "From: a@agency.govt.nz\nBcc: x@gmail.com\nSubject: [RESTRICTED] plan\n\nhello\n")
        #expect(r.code == 3, "\(r.out)")
        #expect(r.out.contains("PM-OUT-001"))
    }

    /// Peak resident memory of `pmark check` on a file, in bytes (`/usr/bin/time -v`).
    func peakRSS(_ path: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        p.arguments = ["-v", CLITests.binary, "check", path]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let line = try #require(e.split(separator: "\n").first { $0.contains("Maximum resident set size") })
        return (Int(line.split(separator: " ").last ?? "") ?? 0) * 1024
    }

    static let hasTime = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")

    /// Spec §10 memory bound: the memory one message adds to the process (peak RSS less that
    /// of a one-line message) is at most 4× its size, whatever its line lengths.
    /// wave1-landed: one 31 MB body line cost 1.5 GB (≈47×).
    @Test("peak memory for one message stays within 4x its size, whatever its line lengths", .enabled(if: hasTime))
    func memoryBound() throws {
        let mb = 8 << 20
        let line = "SECRET " + String(repeating: "a", count: mb)
        let head = "From: a@agency.govt.nz\nTo: x@gmail.com\nSubject: hello\n"
        let b64 = Data(line.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
        let shapes: [(String, String)] = [
            ("plain", head + "\n" + line + "\n"),
            ("html", head + "Content-Type: text/html\n\n<p>" + line + "</p>\n"),
            (
                "base64 attachment",
                head + "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n--B\n"
                    + """
                    Content-Type: text/plain; name=a.txt\nContent-Disposition: attachment; filename=a.txt\n\
                    Content-Transfer-Encoding: base64\n\n
                    """
                    + b64 + "\n--B--\n"
            ),
            (
                "bare CRs in the body",
                head + "\n" + line.replacingOccurrences(of: "aaaaaaaaaa", with: "aaaaaaaaa\r", options: [], range: nil)
                    + "\n"
            ),
        ]
        let base = try peakRSS(try temp("small.eml", Array((head + "\nhi\n").utf8)))
        for (name, msg) in shapes {
            let path = try temp("big-\(name.replacingOccurrences(of: " ", with: "-")).eml", Array(msg.utf8))
            let size = msg.utf8.count
            let peak = try peakRSS(path)
            let ratio = Double(peak - base) / Double(size)
            print(
                """
                memory: \(name): \(size) bytes, peak \(peak) (\(String(format: "%.2f", ratio))x over a one-line \
                message)
                """
            )
            #expect(peak - base <= 4 * size, "\(name): \(ratio)x")
        }
    }
}
