import Foundation
import Testing

@testable import MailParsing

/// Real mail written by other projects (`../shared/corpora`); skipped when absent.
@Suite("Third-party corpora", .enabled(if: TestPaths.corpora != nil))
struct ThirdPartyCorpusTests {
    @Test("every corpus file is read and parsed without a crash, and defects are counted")
    func everyFileParses() throws {
        let files = allFiles(under: TestPaths.corpora!)
        var messages = 0, defects = 0, limitHits = 0
        for f in files {
            try ArchiveReader().forEach(paths: [f]) { raw in
                messages += 1
                do {
                    let m = try Message(parsing: raw.bytes)
                    defects += m.allDefects.count
                    // Touch every decoder on every part: lazy decoding must not crash either.
                    m.walk { owner, p in
                        _ = try? owner.decodedBody(of: p)
                        if p.contentType.mediaType == "text" { _ = try? owner.text(of: p) }
                        _ = p.filename
                    }
                    _ = m.subject
                } catch let e as MailParseError {
                    limitHits += 1
                    // test.tokens is not mail: 125 KB of "name: value" token lines, which the
                    // parser reads as >5,000 header fields. Hitting the header-count limit there
                    // is the limit working. Any other limit hit is a regression.
                    if !(f.hasSuffix("mimekit/html/test.tokens") && e.exceededLimit == .headerCount) {
                        Issue.record("limit on a corpus file \(f): \(e)")
                    }
                }
                return true
            }
        }
        print(
            """
            third-party corpora: \(files.count) files, \(messages) messages, \(defects) defects, \(limitHits) limit \
            hits
            """
        )
        #expect(messages >= files.count)
    }

    /// Expected content types in pre-order from a mime4j `.xml` tree.
    static func expectedTypes(xml: String) -> [String] {
        var out: [String] = []
        // Stack of container kinds: for each open <multipart>, whether its owner is a digest.
        var digestStack: [Bool] = []
        var lastType = ""
        var containers: [String] = []  // "message" or "body-part"
        var scanner = xml[...]
        while let lt = scanner.firstIndex(of: "<") {
            scanner = scanner[lt...]
            guard let gt = scanner.firstIndex(of: ">") else { break }
            let tag = String(scanner[scanner.index(after: lt)..<gt])
            scanner = scanner[scanner.index(after: gt)...]
            switch tag {
            case "header":
                guard let end = scanner.range(of: "</header>") else { break }
                let section = scanner[..<end.lowerBound]
                // RFC 2046 §5.1.5: a body part of a digest defaults to message/rfc822; the
                // header of a message (even one inside a digest) defaults to text/plain.
                var type = containers.last == "body-part" && digestStack.last == true ? "message/rfc822" : "text/plain"
                var rest = section
                while let f = rest.range(of: "<field>") {
                    guard let fe = rest.range(of: "</field>", range: f.upperBound..<rest.endIndex) else { break }
                    let field = rest[f.upperBound..<fe.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
                    rest = rest[fe.upperBound...]
                    guard let colon = field.firstIndex(of: ":") else { continue }
                    if field[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-type" {
                        let v =
                            field[field.index(after: colon)...].split(separator: ";", maxSplits: 1).first.map(
                                String.init) ?? ""
                        let t = v.replacingOccurrences(of: "&lt;", with: "<").filter { !$0.isWhitespace }.lowercased()
                        let pieces = t.split(separator: "/")
                        if pieces.count == 2 { type = t } else { type = "text/plain" }
                        break
                    }
                }
                out.append(type)
                lastType = type
                scanner = scanner[end.upperBound...]
            case "message", "body-part": containers.append(tag)
            case "/message", "/body-part": _ = containers.popLast()
            case "multipart": digestStack.append(lastType == "multipart/digest")
            case "/multipart": _ = digestStack.popLast()
            default: break
            }
        }
        return out
    }

    @Test("mime4j part trees agree with the expected .xml for at least 95% of messages")
    func mime4jTrees() throws {
        let base = TestPaths.corpora! + "/mime4j/core/src/test/resources"
        let files = allFiles(under: base).filter { $0.hasSuffix(".msg") }
        var agree = 0
        var disagreements: [String] = []
        for f in files {
            let xmlPath = String(f.dropLast(4)) + ".xml"
            guard let xml = try? String(contentsOfFile: xmlPath, encoding: .isoLatin1) else { continue }
            let expected = Self.expectedTypes(xml: xml)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: f)))
            let m = try Message(parsing: bytes)
            let actual = m.contentTypesInOrder
            if actual == expected {
                agree += 1
            } else {
                disagreements.append(
                    "\(f.split(separator: "/").suffix(2).joined(separator: "/")): expected \(expected) got \(actual)")
            }
        }
        let total = agree + disagreements.count
        print("mime4j: \(agree)/\(total) trees agree")
        for d in disagreements { print("  DISAGREE \(d)") }
        #expect(total >= 75)  // the corpus has 80 .msg files with an expected tree
        #expect(Double(agree) >= 0.95 * Double(total), "\(disagreements.count) disagreements")
    }

    @Test("MimeKit mbox message boundaries equal the offsets in its JSON", arguments: ["content-length", "issue1189"])
    func mimekitMboxOffsets(name: String) throws {
        let dir = TestPaths.corpora! + "/mimekit/mbox"
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).unix-offsets.json"))) as! [[String: Any]]
        let expected = json.map { $0["mboxMarkerOffset"] as! Int }
        var actual: [Int] = []
        try ArchiveReader().forEach(paths: ["\(dir)/\(name).mbox.txt"]) { raw in
            actual.append(raw.source.offset ?? -1)
            return true
        }
        #expect(actual == expected)
    }
}
