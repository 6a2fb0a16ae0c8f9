import Foundation
import Testing

@testable import MailParsing

@Suite("Archive readers")
struct ArchiveTests {
    func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "pmark-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func read(_ path: String, limits: ParserLimits = .default) throws -> [RawMessage] {
        var out: [RawMessage] = []
        try ArchiveReader(limits: limits).forEach(paths: [path]) {
            out.append($0)
            return true
        }
        return out
    }

    func text(_ m: RawMessage) -> String { String(decoding: m.bytes, as: UTF8.self) }

    @Test("mbox: messages split at From lines, with offsets, and >From unescaped (mboxrd)")
    func mbox() throws {
        let d = try tempDir()
        let mbox =
            """
            From a@b Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From the start\nline\n>>From quoted\n\n\
            From c@d Tue Jan 2 00:00:00 2024\nSubject: two\n\nbody\n
            """
        try mbox.write(toFile: d + "/x.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/x.mbox")
        #expect(msgs.count == 2)
        #expect(text(msgs[0]) == "Subject: one\n\nFrom the start\nline\n>From quoted\n")
        #expect(text(msgs[1]) == "Subject: two\n\nbody\n")
        #expect(msgs.map { $0.source.offset } == [0, 83])
        #expect(msgs[1].source.description.hasSuffix("x.mbox@83 (#2)"))
    }

    @Test("mbox: a Content-Length that fits keeps an unescaped From line inside the body")
    func contentLength() throws {
        let d = try tempDir()
        let body = "line\nFrom inside\n"
        let mbox =
            """
            From a@b Mon\nSubject: one\nContent-Length: \(body.utf8.count)\n\n\(body)\nFrom c@d Tue\nSubject: two\n\n\
            x\n
            """
        try mbox.write(toFile: d + "/cl.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/cl.mbox")
        #expect(msgs.count == 2)
        #expect(text(msgs[0]).hasSuffix("From inside\n"))
        #expect(msgs[0].defects.isEmpty)
    }

    @Test("mbox: a Content-Length that does not fit is ignored and reported")
    func badContentLength() throws {
        let d = try tempDir()
        let mbox = "From a@b Mon\nSubject: one\nContent-Length: 3\n\nabcdef\n\nFrom c@d Tue\nSubject: two\n\nx\n"
        try mbox.write(toFile: d + "/bad.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/bad.mbox")
        #expect(msgs.count == 2)
        #expect(msgs[0].defects.map(\.kind) == [.contentLengthMismatch])
        #expect(text(msgs[0]).hasSuffix("abcdef\n"))
    }

    @Test("mbox: CRLF line ends and a UTF-8 byte-order mark")
    func crlfAndBOM() throws {
        let d = try tempDir()
        let mbox = "\u{FEFF}From a@b Mon\r\nSubject: one\r\n\r\nx\r\n\r\nFrom c@d\r\nSubject: two\r\n\r\ny\r\n"
        try mbox.write(toFile: d + "/crlf.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/crlf.mbox")
        #expect(msgs.map(text) == ["Subject: one\r\n\r\nx\r\n", "Subject: two\r\n\r\ny\r\n"])
    }

    @Test("mbox: messages larger than one read chunk are reassembled")
    func largeMessages() throws {
        let d = try tempDir()
        // 2.6 MB
        let big = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", count: 40_000)
        var mbox = ""
        for i in 0..<3 { mbox += "From x Mon\nSubject: \(i)\n\n\(big)\n" }
        try mbox.write(toFile: d + "/big.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/big.mbox")
        #expect(msgs.count == 3)
        #expect(msgs.allSatisfy { $0.bytes.count == "Subject: 0\n\n".utf8.count + big.utf8.count })
    }

    @Test("mbox: a message over the size limit is reported and the next one is still read")
    func oversize() throws {
        let d = try tempDir()
        let big = String(repeating: "x", count: 3 << 20)
        let mbox = "From a Mon\nSubject: big\n\n\(big)\n\nFrom b Tue\nSubject: small\n\nok\n"
        try mbox.write(toFile: d + "/o.mbox", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/o.mbox", limits: ParserLimits(maxMessageBytes: 1 << 20))
        #expect(msgs.count == 2)
        #expect(msgs[0].error?.exceededLimit == .messageBytes)
        #expect(text(msgs[1]) == "Subject: small\n\nok\n")
    }

    @Test("Maildir: new/ and cur/ are read, file names are the source")
    func maildir() throws {
        let d = try tempDir()
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: d + "/" + sub, withIntermediateDirectories: true)
        }
        try "Subject: a\n\nx".write(toFile: d + "/cur/1.host:2,S", atomically: true, encoding: .utf8)
        try "Subject: b\n\ny".write(toFile: d + "/new/2.host", atomically: true, encoding: .utf8)
        try "Subject: ignored\n\n".write(toFile: d + "/tmp/3.host", atomically: true, encoding: .utf8)
        let msgs = try read(d)
        #expect(msgs.count == 2)
        #expect(msgs.allSatisfy { $0.source.kind == .maildir })
        #expect(Set(msgs.map { $0.source.path.split(separator: "/").last! }) == ["1.host:2,S", "2.host"])
    }

    @Test("a directory tree of .eml files is walked in order")
    func emlTree() throws {
        let d = try tempDir()
        try FileManager.default.createDirectory(atPath: d + "/sub", withIntermediateDirectories: true)
        try "Subject: a\n\n".write(toFile: d + "/a.eml", atomically: true, encoding: .utf8)
        try "Subject: b\n\n".write(toFile: d + "/sub/b.EML", atomically: true, encoding: .utf8)
        try "not mail".write(toFile: d + "/notes.txt", atomically: true, encoding: .utf8)
        let msgs = try read(d)
        #expect(msgs.map { $0.source.path.replacingOccurrences(of: d, with: "") } == ["/a.eml", "/sub/b.EML"])
    }

    @Test(
        "symbolic links in a tree are followed once: a link back up the tree does not loop, a linked file is read once",
        .timeLimit(.minutes(1)))
    func symlinkLoops() throws {
        let d = try tempDir()
        try FileManager.default.createDirectory(atPath: d + "/a/b", withIntermediateDirectories: true)
        try "Subject: one\n\nbody\n".write(toFile: d + "/a/b/one.eml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: d + "/a/b/up", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: d + "/a/b/self", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: d + "/a/again.eml", withDestinationPath: "b/one.eml")
        try FileManager.default.createSymbolicLink(atPath: d + "/elsewhere", withDestinationPath: d + "/a")
        #expect(try read(d).map(\.source.path) == [d + "/a/again.eml"])
    }

    @Test("a single file that is not an mbox is one message")
    func singleFile() throws {
        let d = try tempDir()
        try "Subject: From here\n\nFrom me\n".write(toFile: d + "/one.eml", atomically: true, encoding: .utf8)
        let msgs = try read(d + "/one.eml")
        #expect(msgs.count == 1)
        #expect(msgs[0].source.kind == .file)
    }

    @Test("a missing path is an I/O error naming the path")
    func missing() {
        #expect { try read("/nonexistent/pmark") } throws: { e in
            (e as? MailParseError)?.description.contains("/nonexistent/pmark") == true
        }
    }
}
