import ArchiveScan

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a deterministic mbox shaped like real agency mail: long Received and DKIM chains,
/// multipart/alternative bodies, base64 attachments whose sizes follow a long-tailed
/// (Pareto) distribution, forwarded messages, and protective markings in the usual places.
public struct ArchiveGenerator {
    public var targetBytes: Int
    public var seed: UInt64 = 0x5EED_2026

    public init(targetBytes: Int) { self.targetBytes = targetBytes }

    struct RNG {
        var s: UInt64
        mutating func next() -> UInt64 {
            s ^= s << 13
            s ^= s >> 7
            s ^= s << 17
            return s
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    static let words =
        """
        the of and to in is that for on with as was by at from this be are an or have which not policy budget meeting \
        minister report draft review agency advice cabinet paper briefing update project schedule attached please find \
        comments regarding following week tomorrow secretary santa list
        """
        .split(separator: " ").map(String.init)
    static let subjectMarkings = [
        "[IN-CONFIDENCE]", "[SENSITIVE]", "[RESTRICTED]", "[UNCLASSIFIED]", "[SEC=OFFICIAL]",
        "[SEC=OFFICIAL:Sensitive]", "IN-CONFIDENCE:", "", "", "",
    ]
    static let bodyMarkings = ["IN-CONFIDENCE", "UNCLASSIFIED", "SENSITIVE", "RESTRICTED", "", "", ""]

    /// The first line of every generated archive: how `bench` recognises a file it made (the
    /// only kind of existing file it will replace). It is an ordinary mbox postmark.
    public static let signature = "From pmark-bench-generator@invalid Mon Jan  6 09:00:00 2025\n"

    /// Generates the archive at `path`: only when `path` does not exist or is an archive this
    /// generator made (`signature`); anything else is refused, never overwritten. Written to a
    /// temporary file renamed into place. Memory use is one message at a time.
    public func write(to path: String) throws {
        guard SafeOutput.mayWrite(path, signature: Self.signature) else { throw SafeOutput.Refused(path: path) }
        let tmp = path + ".pmark-tmp-\(getpid())"
        guard let f = fopen(tmp, "wx") else { throw BenchError("cannot create \(tmp)") }
        var closed = false
        defer {
            if !closed {
                fclose(f)
                unlink(tmp)
            }
        }
        var rng = RNG(s: seed)
        var written = 0
        var n = 0
        while written < targetBytes {
            n += 1
            let msg = message(&rng, n)
            let postmark =
                n == 1 ? Self.signature : "From sender\(n % 97)@agency.govt.nz Mon Jan  6 09:\(10 + n % 50):00 2025\n"
            var bytes = Array(postmark.utf8) + msg
            if bytes.last != 0x0A { bytes.append(0x0A) }
            bytes.append(0x0A)
            _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            written += bytes.count
        }
        closed = true
        guard fclose(f) == 0 else {
            unlink(tmp)
            throw BenchError("cannot write \(tmp)")
        }
        guard SafeOutput.mayWrite(path, signature: Self.signature), rename(tmp, path) == 0 else {
            unlink(tmp)
            throw SafeOutput.Refused(path: path)
        }
    }

    func sentence(_ rng: inout RNG, _ words: Int) -> String {
        var s: [String] = []
        for _ in 0..<words { s.append(Self.words[rng.int(Self.words.count)]) }
        return s.joined(separator: " ")
    }

    func paragraph(_ rng: inout RNG, lines: Int) -> String {
        var out = ""
        for _ in 0..<lines { out += sentence(&rng, 8 + rng.int(6)) + "\n" }
        return out
    }

    func headers(_ rng: inout RNG, _ n: Int, subject: String, marking: String) -> String {
        var h = ""
        for i in 0..<(4 + rng.int(14)) {
            h +=
                """
                Received: from mx\(i).relay\(rng.int(90)).govt.nz (mx\(i).relay.govt.nz \
                [10.\(rng.int(255)).\(rng.int(255)).\(rng.int(255))])\n
                """
            h += "\tby gateway\(i).agency.govt.nz (Postfix) with ESMTPS id 4X\(rng.next() % 1_000_000_000)\n"
            h += "\tfor <user\(rng.int(500))@agency.govt.nz>; Mon, 6 Jan 2025 09:\(10 + i):\(10 + rng.int(49)) +1300\n"
        }
        h += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=agency.govt.nz; s=sel1;\n"
        h += "\th=from:to:subject:date:message-id:mime-version:content-type;\n"
        h +=
            """
            \tbh=\(base64Line(&rng, 32)); b=\(base64Line(&rng, 60))\n\t\(base64Line(&rng, 60))\n\
            \t\(base64Line(&rng, 60))\n
            """
        h +=
            """
            Authentication-Results: mx.agency.govt.nz; spf=pass smtp.mailfrom=other.govt.nz; dkim=pass \
            header.d=other.govt.nz\n
            """
        h += "From: Person \(n % 97) <person\(n % 97)@other.govt.nz>\n"
        h += "To: user\(rng.int(500))@agency.govt.nz\n"
        h += "Subject: \(subject)\n"
        h += "Date: Mon, 6 Jan 2025 09:00:00 +1300\n"
        h += "Message-ID: <\(rng.next())@other.govt.nz>\n"
        if !marking.isEmpty {
            h += "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=\(marking), ORIGIN=person\(n % 97)@other.govt.nz\n"
        }
        h += "MIME-Version: 1.0\n"
        return h
    }

    func base64Line(_ rng: inout RNG, _ n: Int) -> String {
        let a = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var s = [UInt8]()
        s.reserveCapacity(n)
        for _ in 0..<n { s.append(a[rng.int(64)]) }
        return String(decoding: s, as: UTF8.self)
    }

    /// Attachment size: Pareto with a 6 KiB minimum and a long tail, capped at 6 MiB.
    func attachmentSize(_ rng: inout RNG) -> Int {
        let u = max(rng.unit(), 1e-9)
        return min(Int(6_000 * pow(u, -1.0 / 1.1)), 6 << 20)
    }

    func base64Body(_ rng: inout RNG, bytes: Int) -> [UInt8] {
        let a = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let chars = (bytes + 2) / 3 * 4
        var out = [UInt8]()
        out.reserveCapacity(chars + chars / 76 + 2)
        var col = 0
        var r = rng.next()
        for i in 0..<chars {
            if i % 10 == 0 { r = rng.next() }
            out.append(a[Int(r & 63)])
            r >>= 6
            col += 1
            if col == 76 {
                out.append(0x0A)
                col = 0
            }
        }
        if col != 0 { out.append(0x0A) }
        return out
    }

    func alternative(_ rng: inout RNG, boundary: String, bodyMarking: String) -> String {
        let text =
            (bodyMarking.isEmpty ? "" : bodyMarking + "\n\n") + paragraph(&rng, lines: 5 + rng.int(30))
            + (bodyMarking.isEmpty ? "" : "\n" + bodyMarking + "\n")
        let html =
            "<html><head><style>p{margin:0}</style></head><body>" + (bodyMarking.isEmpty ? "" : "<p>\(bodyMarking)</p>")
            + text.split(separator: "\n").map { "<p>\($0)</p>" }.joined(separator: "\n") + "</body></html>\n"
        return
            """
            Content-Type: multipart/alternative; boundary="\(boundary)"\n\n--\(boundary)\n\
            Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n\(text)\n--\(boundary)\n\
            Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\(html)\n\
            --\(boundary)--\n
            """
    }

    func message(_ rng: inout RNG, _ n: Int) -> [UInt8] {
        let sm = Self.subjectMarkings[rng.int(Self.subjectMarkings.count)]
        let bm = Self.bodyMarkings[rng.int(Self.bodyMarkings.count)]
        let hm = ["IN-CONFIDENCE", "UNCLASSIFIED", "", "", "SENSITIVE"][rng.int(5)]
        let subject = sm.hasSuffix(":") ? "\(sm) \(sentence(&rng, 5))" : "\(sentence(&rng, 5)) \(sm)"
        let kind = rng.int(10)
        var h = headers(&rng, n, subject: subject, marking: hm)
        switch kind {
        case 0, 1:  // plain text
            h += "Content-Type: text/plain; charset=utf-8\n\n"
            h +=
                (bm.isEmpty ? "" : bm + "\n\n") + paragraph(&rng, lines: 5 + rng.int(40))
                + (bm.isEmpty ? "" : "\n" + bm + "\n")
            return Array(h.utf8)
        case 2, 3, 4:  // alternative only
            return Array((h + alternative(&rng, boundary: "alt-\(n)", bodyMarking: bm)).utf8)
        case 5:  // forwarded message
            let inner =
                headers(&rng, n + 1, subject: "fwd " + sentence(&rng, 3), marking: "")
                + alternative(&rng, boundary: "inner-\(n)", bodyMarking: bm)
            h +=
                """
                Content-Type: multipart/mixed; boundary="mix-\(n)"\n\n--mix-\(n)\nContent-Type: text/plain\n\n\
                See below.\n\n--mix-\(n)\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n\(inner)\n\
                --mix-\(n)--\n
                """
            return Array(h.utf8)
        default:  // mixed with attachments
            var out = Array(
                (h
                    + """
                    Content-Type: multipart/mixed; boundary="mix-\(n)"\n\n\
                    This is a multi-part message in MIME format.\n\n--mix-\(n)\n
                    """
                    + alternative(&rng, boundary: "alt-\(n)", bodyMarking: bm)).utf8)
            let types = [
                ("application/pdf", "report.pdf"),
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "draft.docx"),
                ("image/png", "chart.png"), ("application/zip", "data.zip"),
            ]
            for a in 0..<(1 + rng.int(3)) {
                let t = types[rng.int(types.count)]
                out += Array(
                    """
                    \n--mix-\(n)\nContent-Type: \(t.0); name="\(a)-\(t.1)"\n\
                    Content-Disposition: attachment; filename="\(a)-\(t.1)"\nContent-Transfer-Encoding: base64\n\n
                    """
                    .utf8)
                out += base64Body(&rng, bytes: attachmentSize(&rng))
            }
            out += Array("--mix-\(n)--\n".utf8)
            return out
        }
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
