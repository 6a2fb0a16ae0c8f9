import Foundation
import Testing

@testable import ContentInspection
@testable import MailParsing
@testable import Markings
@testable import OfficeDocuments

/// The document readers one by one (spec §10.1–10.4): what each reads, that each fails closed,
/// and that each does work linear in its input.
@Suite("Document readers")
struct DocumentReaderTests {
    let reader = DocumentReader()

    func docx(_ files: [(String, String)]) -> [UInt8] {
        StoredZip.make([("[Content_Types].xml", Array("<Types/>".utf8))] + files.map { ($0.0, Array($0.1.utf8)) })
    }
    static let w = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""

    @Test(
        """
        a Word header is found by its root element whatever the part is called, with any prefix and character \
        references
        """
    )
    func wordHeaderByRoot() {
        let hdr =
            """
            <x:hdr xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><x:tbl><x:tr><x:tc><x:p><x:r>\
            <x:t>&#83;ECRET</x:t></x:r></x:p></x:tc></x:tr></x:tbl></x:hdr>
            """
        for name in ["word/header1.xml", "word/HDR1.XML", "word/Header7.xml", "custom/whatever.xml"] {
            let t = reader.read(docx([(name, hdr)]))
            #expect(t.headerFooterLines == ["SECRET"], "\(name): \(t.headerFooterLines)")
            #expect(t.notInspected == nil)
        }
    }

    @Test(
        "tab stops separate a Word header paragraph into the segments a reader sees; tab-stop definitions are not text")
    func wordTabs() {
        let hdr =
            """
            <w:hdr \(Self.w)><w:p><w:pPr><w:tabs><w:tab w:val="center" \
            w:pos="4513"/></w:tabs></w:pPr><w:r><w:t>SECRET</w:t></w:r><w:r><w:tab/><w:t>Budget</w:t><w:tab/><w:t>Page \
            1</w:t></w:r></w:p></w:hdr>
            """
        let t = reader.read(docx([("word/header1.xml", hdr)]))
        #expect(t.headerFooterLines == ["SECRET\tBudget\tPage 1", "SECRET", "Budget", "Page 1"])
    }

    @Test("an XML part with a document type declaration is refused, not expanded (entity bombs, external entities)")
    func doctypeRefused() {
        let bomb =
            """
            <?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b \
            "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><w:hdr \(Self.w)><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:hdr>
            """
        let t = reader.read(docx([("word/header1.xml", bomb)]))
        #expect(t.notInspected?.contains("document type declaration") == true)
        let xxe =
            """
            <?xml version="1.0"?><!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><w:hdr \
            \(Self.w)><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:hdr>
            """
        #expect(reader.read(docx([("word/header1.xml", xxe)])).notInspected != nil)
    }

    @Test("a damaged header part, or a part that breaks before its root element, is not inspected")
    func damagedPart() {
        #expect(
            reader.read(docx([("word/header1.xml", "<w:hdr \(Self.w)><w:p><w:r><w:t>SECRET</w:t></w:r>")])).notInspected
                != nil)
        #expect(reader.read(docx([("word/header2.xml", "\u{01}not xml")])).notInspected != nil)
    }

    @Test("a 52-byte ZIP named .docx does not trap; it is not inspected")
    func tinyZip() {
        var tiny: [UInt8] =
            Array("PK\u{03}\u{04}".utf8) + [UInt8](repeating: 0, count: 26) + Array("PK\u{05}\u{06}".utf8)
        tiny += [0, 0, 0, 0, 1, 0, 1, 0, 46, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0]
        #expect(tiny.count == 52)
        let t = reader.read(tiny)
        #expect(t.notInspected != nil)
    }

    @Test("PowerPoint: each slide's first and last lines in slide order, footer placeholders as header-footer lines")
    func slides() {
        let ns = "xmlns:p=\"p\" xmlns:a=\"a\""
        func slide(_ lines: [String], footer: String? = nil) -> String {
            let paras = lines.map { "<a:p><a:r><a:t>\($0)</a:t></a:r></a:p>" }.joined()
            let ftr =
                footer.map {
                    """
                    <p:sp><p:nvSpPr><p:nvPr><p:ph type="ftr"/></p:nvPr></p:nvSpPr><p:txBody><a:p><a:r><a:t>\($0)</a:t>\
                    </a:r></a:p></p:txBody></p:sp>
                    """
                } ?? ""
            return
                """
                <p:sld \(ns)><p:cSld><p:spTree><p:sp><p:txBody>\(paras)</p:txBody></p:sp>\(ftr)</p:spTree></p:cSld>\
                </p:sld>
                """
        }
        let t = reader.read(
            docx([
                ("ppt/slides/slide10.xml", slide(["Ten", "SECRET"])),
                ("ppt/slides/slide2.xml", slide(["Two", "middle", "end"], footer: "RESTRICTED")),
            ]))
        #expect(t.pageLines == [["Two", "RESTRICTED"], ["Ten", "SECRET"]])
        #expect(t.headerFooterLines == ["RESTRICTED"])
    }

    @Test("Excel header section codes and OpenDocument master-page headers and user-defined properties are read")
    func sheetAndODF() {
        let x = reader.read(
            docx([
                (
                    "xl/worksheets/sheet1.xml",
                    """
                    <worksheet><headerFooter><oddHeader>&amp;L&amp;"Arial,Bold"&amp;12SECRET&amp;RPage \
                    &amp;P</oddHeader></headerFooter></worksheet>
                    """
                )
            ]))
        #expect(x.headerFooterLines == ["SECRET", "Page "])
        let odf = StoredZip.make([
            ("mimetype", Array("application/vnd.oasis.opendocument.text".utf8)),
            (
                "styles.xml",
                Array(
                    """
                    <office:document-styles xmlns:office="o" xmlns:style="s" \
                    xmlns:text="t"><office:master-styles><style:master-page><style:header><text:p>SECRET<text:tab/>\
                    Draft</text:p></style:header></style:master-page></office:master-styles></office:document-styles>
                    """
                    .utf8)
            ),
            (
                "meta.xml",
                Array(
                    """
                    <office:document-meta xmlns:office="o" xmlns:meta="m"><office:meta><meta:user-defined \
                    meta:name="Classification">SECRET</meta:user-defined></office:meta></office:document-meta>
                    """
                    .utf8)
            ),
            ("content.xml", Array("<office:document-content xmlns:office=\"o\"/>".utf8)),
        ])
        let o = reader.read(odf)
        #expect(o.kind == "odf")
        #expect(o.headerFooterLines.contains("SECRET"))
        #expect(o.properties.map(\.value) == ["SECRET"])
    }

    @Test("RTF header and footer groups are read; body text and font tables are not")
    func rtf() {
        let doc =
            #"""
            {\rtf1\ansi{\fonttbl{\f0 SECRET;}}{\header\pard SEC\'52ET\tab Page\par}{\footerl \u82?ESTRICTED\par}Body \#
            SECRET\par}
            """#
        let t = reader.read(Array(doc.utf8))
        #expect(t.kind == "rtf")
        #expect(t.headerFooterLines == ["SECRET", "Page", "RESTRICTED"])
    }

    @Test("calendar: folded SUMMARY with escapes, DESCRIPTION lines, inline and URI attachments")
    func calendar() {
        let ics =
            """
            BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:[SEC\r\n RET] Briefing\\, level 2\r\n\
            DESCRIPTION:SECRET\\nAgenda\r\nATTACH;VALUE=BINARY;ENCODING=BASE64;X-FILENAME=a.txt:U0VDUkVU\r\n\
            ATTACH:https://example.org/files/[SECRET] plan.pdf\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n
            """
        let t = reader.read(Array(ics.utf8))
        #expect(t.subjects == ["[SECRET] Briefing, level 2"])
        #expect(t.bodies == ["SECRET\nAgenda"])
        #expect(t.entries.map(\.name) == ["a.txt", "[SECRET] plan.pdf"])
        #expect(t.entries.first?.bytes == Array("SECRET".utf8))
    }

    @Test("TNEF: subject, body and attachments are read; a truncated stream is not inspected")
    func tnef() {
        func attr(_ level: UInt8, _ id: UInt32, _ d: [UInt8]) -> [UInt8] {
            var o: [UInt8] = [level]
            for v in [id, UInt32(d.count)] {
                o += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
            }
            let sum = d.reduce(0) { ($0 + Int($1)) & 0xFFFF }
            return o + d + [UInt8(sum & 0xFF), UInt8(sum >> 8)]
        }
        var b: [UInt8] = [0x78, 0x9F, 0x3E, 0x22, 1, 0]
        b += attr(1, 0x0001_8004, Array("[SECRET] Plan\0".utf8))
        b += attr(2, 0x0006_9002, [UInt8](repeating: 0, count: 14))
        b += attr(2, 0x0001_8010, Array("plan.txt\0".utf8))
        b += attr(2, 0x0006_800F, Array("SECRET\n".utf8))
        let t = reader.read(b)
        #expect(t.subjects == ["[SECRET] Plan"])
        #expect(t.entries.map(\.name) == ["plan.txt"])
        #expect(t.notInspected == nil)
        #expect(reader.read(Array(b.dropLast(5))).notInspected != nil)
    }

    /// A TNEF stream whose attMAPIProps holds the given (type, id, value) properties.
    static func tnefWithProps(_ props: [(UInt16, UInt16, [UInt8])]) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] {
            [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
        }
        var mapi = le32(props.count)
        for (type, id, v) in props {
            mapi +=
                [UInt8(type & 0xFF), UInt8(type >> 8), UInt8(id & 0xFF), UInt8(id >> 8)] + le32(1) + le32(v.count) + v
            mapi += [UInt8](repeating: 0, count: (4 - v.count % 4) % 4)
        }
        let sum = mapi.reduce(0) { ($0 + Int($1)) & 0xFFFF }
        return [0x78, 0x9F, 0x3E, 0x22, 1, 0] + [1] + le32(0x0006_9003) + le32(mapi.count) + mapi + [
            UInt8(sum & 0xFF), UInt8(sum >> 8),
        ]
    }

    /// MS-OXRTFCP compression by literal runs only (control bytes of zero, then the end marker):
    /// a valid stream, and a builder for tests of any size.
    static func lzfuLiterals(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var pos = 207
        var i = 0
        while i < raw.count {
            let chunk = raw[i..<min(i + 8, raw.count)]
            out.append(0)
            out += chunk
            pos = (pos + chunk.count) & 0xFFF
            i += 8
        }
        let marker: [UInt8] = [UInt8(pos >> 4), UInt8((pos & 0xF) << 4)]
        if raw.count % 8 == 0 {
            out += [1] + marker
        } else {
            let k = raw.count % 8
            out[out.count - k - 1] = UInt8(1 << k)
            out += marker
        }
        func le32(_ v: Int) -> [UInt8] {
            [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)]
        }
        return le32(out.count + 12) + le32(raw.count) + Array("LZFu".utf8) + [0, 0, 0, 0] + out
    }

    @Test("compressed RTF (MS-OXRTFCP): the specification's example with dictionary references decodes exactly")
    func compressedRTFSpecExample() throws {
        // MS-OXRTFCP section 3.1.1 (compressing "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n")
        let example: [UInt8] = [
            0x2D, 0x00, 0x00, 0x00, 0x2B, 0x00, 0x00, 0x00, 0x4C, 0x5A, 0x46, 0x75, 0xF1, 0xC5, 0xC7, 0xA7,
            0x03, 0x00, 0x0A, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0A, 0xF3, 0x20,
            0x68, 0x65, 0x6C, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xB0, 0x6C, 0x64, 0x7D, 0x0A, 0x80, 0x0F, 0xA0,
        ]
        let out = try CompressedRTF.decompress(example)
        #expect(String(decoding: out, as: UTF8.self) == "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n")
        let raw = Array("{\\rtf1 SECRET\\par body}".utf8)
        #expect(try CompressedRTF.decompress(Self.lzfuLiterals(raw)) == raw)
        // stored ("MELA")
        #expect(
            try CompressedRTF.decompress(
                [20, 0, 0, 0, 4, 0, 0, 0] + Array("MELA".utf8) + [0, 0, 0, 0] + Array("{\\rt".utf8))
                == Array("{\\rt".utf8))
    }

    @Test(
        """
        compressed RTF that is truncated, of an unknown type, without its end marker or too large is refused, never \
        half-read
        """,
        arguments: ["truncated header", "unknown type", "no end marker", "too large", "stored overrun"])
    func compressedRTFRefused(_ kind: String) {
        let good = Self.lzfuLiterals(Array("{\\rtf1 SECRET\\par}".utf8))
        var bad: [UInt8]
        var limit = CompressedRTF.maxOutputBytes
        switch kind {
        case "truncated header": bad = Array(good.prefix(10))
        case "unknown type":
            bad = good
            bad[8] = 0x41
        case "no end marker": bad = Array(good.dropLast(2))
        case "too large":
            bad = good
            limit = 8
        default: bad = [20, 0, 0, 0, 200, 0, 0, 0] + Array("MELA".utf8) + [0, 0, 0, 0] + Array("{\\rt".utf8)
        }
        #expect(throws: CompressedRTF.Failure.self) { try CompressedRTF.decompress(bad, limit: limit) }
    }

    @Test(
        """
        TNEF: the RTF and HTML bodies Outlook shows are read like a body; an RTF body that cannot be decompressed \
        fails closed
        """
    )
    func tnefBodies() {
        let rtf = Array(
            """
            {\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}{\\header Page}\\pard SECRET\\par Operation notes\\par Nga \
            mihi\\par}
            """
            .utf8)
        let t = reader.read(Self.tnefWithProps([(0x0102, 0x1009, Self.lzfuLiterals(rtf))]))
        #expect(t.notInspected == nil)
        #expect(t.bodies.count == 1)
        #expect(MarkingReader.firstAndLastLines(t.bodies.first ?? "") == ["SECRET", "Nga mihi"])
        #expect(!(t.bodies.first ?? "").contains("Calibri"), "the font table is not text")
        let h = reader.read(Self.tnefWithProps([(0x0102, 0x1013, Array("<p>Kia ora</p><p><b>SECRET</b></p>".utf8))]))
        #expect(h.htmlBodies == ["<p>Kia ora</p><p><b>SECRET</b></p>"])
        var broken = Self.lzfuLiterals(rtf)
        broken.removeLast(3)
        #expect(
            reader.read(Self.tnefWithProps([(0x0102, 0x1009, broken)])).notInspected?.contains("compressed RTF") == true
        )
    }

    /// A PDF whose pages are given as content streams; `image` pages draw a 100×50 grey image.
    static func pdf(_ pages: [(text: String?, image: Bool)]) -> [UInt8] {
        var objects: [[UInt8]] = []
        func add(_ o: [UInt8]) -> Int {
            objects.append(o)
            return objects.count
        }
        func stream(_ dict: String, _ data: [UInt8]) -> [UInt8] {
            Array("<< \(dict) /Length \(data.count) >>\nstream\n".utf8) + data + Array("\nendstream".utf8)
        }
        let image = add(
            stream(
                "/Type /XObject /Subtype /Image /Width 100 /Height 50 /ColorSpace /DeviceGray /BitsPerComponent 8",
                [UInt8](repeating: 0x80, count: 5000)))
        let font = add(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".utf8))
        let pagesID = 2 + 2 * pages.count + 1
        var kids: [Int] = []
        for p in pages {
            var content = ""
            if let t = p.text { content += "BT /F1 24 Tf 72 720 Td (\(t)) Tj ET\n" }
            if p.image { content += "q 200 0 0 100 72 500 cm /Im1 Do Q\n" }
            let c = add(stream("", Array(content.utf8)))
            kids.append(
                add(
                    Array(
                        """
                        << /Type /Page /Parent \(pagesID) 0 R /MediaBox [0 0 612 792] /Contents \(c) 0 R /Resources << \
                        /Font << /F1 \(font) 0 R >> /XObject << /Im1 \(image) 0 R >> >> >>
                        """
                        .utf8)))
        }
        _ = add(
            Array(
                "<< /Type /Pages /Kids [\(kids.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(kids.count) >>"
                    .utf8))
        let catalog = add(Array("<< /Type /Catalog /Pages \(pagesID) 0 R >>".utf8))
        var out = Array("%PDF-1.4\n".utf8)
        var offsets: [Int] = []
        for (i, o) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(i + 1) 0 obj\n".utf8) + o + Array("\nendobj\n".utf8)
        }
        let xref = out.count
        out += Array("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for o in offsets {
            out += Array((String(repeating: "0", count: 10 - String(o).count) + "\(o) 00000 n \n").utf8)
        }
        out += Array("trailer\n<< /Size \(objects.count + 1) /Root \(catalog) 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return out
    }

    @Test(
        """
        a PDF page with images but no text (a scan) is not inspected; blank pages and pages with text and images are \
        read
        """,
        arguments: [
            ("text, image-only", [(Optional("Hello"), false), (nil, true)], false),
            ("text, blank", [(Optional("Hello"), false), (nil, false)], true),
            ("text with an image", [(Optional("SECRET"), true)], true),
        ])
    func scannedPDFPage(_ name: String, _ pages: [(String?, Bool)], _ readable: Bool) throws {
        try #require(PDFText.tool != nil, "poppler-utils is installed by scripts/setup")
        let t = reader.read(Self.pdf(pages.map { (text: $0.0, image: $0.1) }))
        #expect(t.kind == "pdf")
        #expect((t.notInspected == nil) == readable, "\(name): \(t.notInspected ?? "read")")
        if !readable { #expect(t.notInspected?.contains("page 2 shows images but no text") == true) }
    }

    @Test(
        """
        poppler runs under pmark's limits: past the deadline or the output limit a PDF is not inspected, never read as \
        empty
        """
    )
    func popplerLimits() throws {
        try #require(PDFText.tool != nil, "poppler-utils is installed by scripts/setup")
        let pdf = Self.pdf([(text: "SECRET", image: false)])
        #expect(PDFText.read(pdf, limits: .default).pageLines == [["SECRET"]])
        var late = PDFText.Limits()
        late.seconds = 0.000_1
        #expect(PDFText.read(pdf, limits: late).notInspected?.contains("exceeded") == true)
        var small = PDFText.Limits()
        small.maxOutputBytes = 3
        let t = PDFText.read(pdf, limits: small)
        #expect(t.notInspected?.contains("over 3 bytes") == true && t.pageLines.isEmpty, "\(t.notInspected ?? "read")")
    }

    @Test("pdfimages -list rows give the pages that draw images")
    func imagePageNumbers() {
        let listing =
            "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n"
            + String(repeating: "-", count: 92) + "\n"
            + "   2     0 image     100    50  gray    1   8  image  no         1  0    36    36 5000B 100%\n"
            + "  17     1 smask     100    50  gray    1   8  image  no         9  0    36    36 5000B 100%\n"
        #expect(PDFText.imagePageNumbers(Array(listing.utf8)) == [2, 17])
        #expect(PDFText.imagePageNumbers(Array("junk".utf8)).isEmpty)
    }

    @Test(
        "a legacy binary Office document (OLE2) is identified as a document and not inspected, never silently allowed")
    func legacyOfficeNotInspected() {
        let ole: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)
        #expect(ElementSniffer.kind(ole) == .document)
        let t = reader.read(ole)
        #expect(t.kind == "ole2")
        #expect(t.notInspected != nil)
    }

    @Test("a ZIP holding a stored PDF is read as the ZIP it is, not as a PDF (found by FuzzOfficeXML)")
    func zipHoldingPDF() {
        let t = reader.read(
            StoredZip.make([("a.pdf", Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 0x78, count: 100))]))
        #expect(t.kind == "archive")
        #expect(t.entries.map(\.name) == ["a.pdf"])
    }

    @Test("the PDF child process: a crash is a signal, a hang is killed at the deadline, an exit code is kept")
    func childProcess() {
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("pmark-child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: err) }
        #expect(ChildProcess.run(["/bin/sh", "-c", "kill -SEGV $$"], stderrPath: err, seconds: 5) == .signalled(11))
        #expect(ChildProcess.run(["/bin/sh", "-c", "sleep 10"], stderrPath: err, seconds: 0.2) == .timedOut)
        #expect(ChildProcess.run(["/bin/sh", "-c", "exit 3"], stderrPath: err, seconds: 5) == .exited(3))
    }

    @Test("a PDF that cannot be read is not inspected, never silently allowed")
    func brokenPDF() {
        let t = reader.read(Array("%PDF-1.7\n garbage that is not a PDF".utf8))
        #expect(t.kind == "pdf")
        #expect(t.notInspected != nil)
    }

    @Test("archive limits are applied while reading: entries, entry size, ratio")
    func archiveLimits() throws {
        var l = ArchiveLimits()
        l.maxEntries = 3
        let many = StoredZip.make((0..<10).map { ("f\($0).txt", Array("x".utf8)) })
        let listing = try #require(BoundedArchive.read(many, limits: l))
        #expect(listing.limitHit?.hasPrefix("entries") == true)
        #expect(listing.entries.count == 3)
        // a gzip bomb: 10 MB of one letter compresses to ~10 KB (ratio ~1,000)
        let bomb = try #require(gzipZeros(10 << 20))
        let b = try #require(BoundedArchive.read(bomb, limits: .default))
        #expect(b.limitHit?.contains("ratio") == true)
        #expect(reader.read(bomb).notInspected != nil)
    }

    func gzipZeros(_ n: Int) -> [UInt8]? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pmark-gz-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("z")
        FileManager.default.createFile(atPath: f.path, contents: Data(repeating: 0x41, count: n))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", f.path]
        try? p.run()
        p.waitUntilExit()
        return FileManager.default.contents(atPath: f.path + ".gz").map(Array.init)
    }

    @Test("RAR5 encryption records are found by pmark's own header walk (libarchive 3.6 returns the ciphertext)")
    func rar5() {
        #expect(RAR5Encryption.isEncrypted(Array("PK\u{03}\u{04}".utf8)) == nil)
        // signature, then a header claiming more bytes than there are: not encrypted, no trap
        #expect(RAR5Encryption.isEncrypted(RAR5Encryption.signature + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]) == false)
        // an archive encryption header (type 4): everything is encrypted
        #expect(RAR5Encryption.isEncrypted(RAR5Encryption.signature + [0, 0, 0, 0, 3, 4, 0, 0]) == true)
    }

    @Test("text as displayed: flowed with delsp, enriched, uuencode, clear-signed PGP, UTF-16 both ways")
    func textForms() {
        #expect(TextDecoding.unflow("SEC \r\nRET\r\nnext\r\n", delsp: true).hasPrefix("SECRET\n"))
        #expect(TextDecoding.unflow("Top \r\nsecret\r\n", delsp: false).hasPrefix("Top secret\n"))
        #expect(TextDecoding.enriched("<bold>SECRET</bold>\n\n\nnext<<x>") == "SECRET\n\nnext<x>")
        let uu = TextDecoding.uuencodedFiles("hi\nbegin 644 a.txt\n&4T5#4D54\n`\nend\n")
        #expect(uu.first?.name == "a.txt")
        #expect(uu.first?.bytes == Array("SECRET".utf8))
        #expect(
            TextDecoding.clearSignedText(
                """
                -----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- SECRET\nbody\n-----BEGIN PGP SIGNATURE-----\nxx\n
                """
            ) == "SECRET\nbody")
        let le = Array("SECRET".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(TextDecoding.readings(le, declaredCharset: "utf-16").contains("SECRET"))
        #expect(TextDecoding.readings([0xFF, 0xFE] + le, declaredCharset: "us-ascii") == ["SECRET"])
        #expect(TextDecoding.decode(le, declaredCharset: nil)?.text == "SECRET")
    }

    // MARK: linear time

    /// CPU time of the calling thread (other tests running in parallel do not count).
    static func threadCPU(_ body: () -> Void) -> Double {
        var a = timespec(), b = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a)
        body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b)
        return Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) / 1e9
    }

    /// Growing the input grows the work in proportion: the best of three runs at 4n stays
    /// under 8× the best of three at n, plus 5 ms for timer noise. A linear reader takes 4×, a
    /// quadratic one 16×: the margin on both sides is 2×, so a loaded machine (CPU time per
    /// thread still inflates under cache contention; a 2×-input, 3×-threshold version of this
    /// test failed twice on a machine at load 19) cannot turn a linear reader red, and a
    /// quadratic one cannot pass.
    static func expectLinear(_ name: String, _ make: (Int) -> [UInt8], n: Int, _ run: ([UInt8]) -> Void) {
        let a = make(n), b = make(4 * n)
        run(a)
        let ta = (0..<3).map { _ in threadCPU { run(a) } }.min() ?? 0
        let tb = (0..<3).map { _ in threadCPU { run(b) } }.min() ?? 0
        #expect(tb <= 8 * ta + 0.005, "\(name): \(a.count) bytes took \(ta) s, \(b.count) bytes took \(tb) s")
    }

    static let linearCases: [String] = [
        "word-tabs", "word-paragraphs", "word-header-parts", "slides", "rtf", "calendar", "tnef", "flowed", "enriched",
        "uuencode", "pdf-front-end", "archive-entries", "compressed-rtf",
    ]

    @Test("every reader does work linear in its input", arguments: linearCases)
    func linear(_ kind: String) {
        let r = DocumentReader()
        switch kind {
        case "word-tabs":  // the issue's 500,000 <w:tab/> message took 91 s
            Self.expectLinear(
                kind,
                { n in
                    docx([
                        (
                            "word/header1.xml",
                            "<w:hdr \(Self.w)><w:p><w:r>" + String(repeating: "<w:tab/>", count: n)
                                + "<w:t>SECRET</w:t></w:r></w:p></w:hdr>"
                        )
                    ])
                }, n: 50_000
            ) { _ = r.read($0) }
        case "word-paragraphs":
            Self.expectLinear(
                kind,
                { n in
                    docx([
                        (
                            "word/footer1.xml",
                            "<w:ftr \(Self.w)>" + String(repeating: "<w:p><w:r><w:t>line</w:t></w:r></w:p>", count: n)
                                + "</w:ftr>"
                        )
                    ])
                }, n: 20_000
            ) { _ = r.read($0) }
        case "word-header-parts":  // 40 header parts of 4 MB took 51 s and 212 MB
            Self.expectLinear(
                kind,
                { n in
                    docx(
                        (0..<n).map {
                            (
                                "word/header\($0).xml",
                                "<w:hdr \(Self.w)>"
                                    + String(repeating: "<w:p><w:r><w:t>x</w:t></w:r></w:p>", count: 500) + "</w:hdr>"
                            )
                        })
                }, n: 20
            ) { _ = r.read($0) }
        case "slides":
            Self.expectLinear(
                kind,
                { n in
                    docx(
                        (0..<n).map {
                            (
                                "ppt/slides/slide\($0).xml",
                                "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:r><a:t>SECRET</a:t></a:r></a:p></p:sld>"
                            )
                        })
                }, n: 200
            ) { _ = r.read($0) }
        case "rtf":
            Self.expectLinear(
                kind,
                { n in
                    Array(
                        ("{\\rtf1{\\header " + String(repeating: "SECRET\\tab x\\par ", count: n) + "}"
                            + String(repeating: "{\\b body}", count: n) + "}").utf8)
                }, n: 20_000
            ) { _ = r.read($0) }
        case "calendar":
            Self.expectLinear(
                kind,
                { n in
                    Array(
                        ("BEGIN:VCALENDAR\r\nSUMMARY:[SECRET]" + String(repeating: "\r\n x", count: n) + "\r\n"
                            + String(repeating: "DESCRIPTION:a\\nb\r\n", count: n) + "END:VCALENDAR\r\n").utf8)
                }, n: 10_000
            ) { _ = r.read($0) }
        case "tnef":
            Self.expectLinear(
                kind,
                { n in
                    var b: [UInt8] = [0x78, 0x9F, 0x3E, 0x22, 1, 0]
                    for _ in 0..<n { b += [2, 0x10, 0x80, 0x01, 0x00, 4, 0, 0, 0] + Array("a.b\0".utf8) + [0, 0] }
                    return b
                }, n: 20_000
            ) { _ = r.read($0) }
        case "compressed-rtf":
            Self.expectLinear(
                kind,
                { n in
                    Self.tnefWithProps([
                        (
                            0x0102, 0x1009,
                            Self.lzfuLiterals(
                                Array(("{\\rtf1 " + String(repeating: "SECRET line\\par ", count: n) + "}").utf8))
                        )
                    ])
                }, n: 20_000
            ) { _ = r.read($0) }
        case "flowed":
            Self.expectLinear(kind, { n in Array(String(repeating: "soft \r\n", count: n).utf8) }, n: 20_000) {
                _ = TextDecoding.unflow(String(decoding: $0, as: UTF8.self), delsp: true)
            }
        case "enriched":
            Self.expectLinear(kind, { n in Array(String(repeating: "<bold>x</bold>\n\n", count: n).utf8) }, n: 20_000) {
                _ = TextDecoding.enriched(String(decoding: $0, as: UTF8.self))
            }
        case "uuencode":
            Self.expectLinear(
                kind,
                { n in
                    Array(
                        ("begin 644 a\n" + String(repeating: "M" + String(repeating: "A", count: 60) + "\n", count: n)
                            + "end\n").utf8)
                }, n: 5_000
            ) { _ = TextDecoding.uuencodedFiles(String(decoding: $0, as: UTF8.self)) }
        // pmark's side of PDF reading: page splitting and the page-count scan (poppler runs in its own process)
        case "pdf-front-end":
            Self.expectLinear(kind, { n in Array(String(repeating: "SECRET\nline\n\u{0C}", count: n).utf8) }, n: 20_000)
            {
                _ = PDFText.split($0)
                _ = PDFText.pageCount($0)
            }
        case "archive-entries":
            Self.expectLinear(
                kind, { n in StoredZip.make((0..<n).map { ("d/f\($0).txt", Array("SECRET\n".utf8)) }) }, n: 400
            ) {
                var l = ArchiveLimits()
                l.maxEntries = 100_000
                _ = BoundedArchive.read($0, limits: l)
            }
        default: Issue.record("unknown case \(kind)")
        }
    }
}

/// The document fuzz targets' entry points over their seeds and any saved crashers
/// (`Corpus/fuzz-regressions/document-*`): what the fuzzer ran, replayed by the suite.
@Suite("Document fuzz replay")
struct DocumentFuzzReplayTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let files: [String] = {
        let fm = FileManager.default
        let seeds =
            (try? fm.contentsOfDirectory(atPath: root + "/Corpus/fuzz-seeds/documents"))?.map {
                root + "/Corpus/fuzz-seeds/documents/" + $0
            } ?? []
        let crashers =
            (try? fm.contentsOfDirectory(atPath: root + "/Corpus/fuzz-regressions"))?.filter {
                $0.hasPrefix("document-")
            }.map { root + "/Corpus/fuzz-regressions/" + $0 } ?? []
        return (seeds + crashers).sorted()
    }()

    @Test("every document fuzz entry point runs every seed and saved crasher without trapping")
    func replay() throws {
        #expect(Self.files.count >= 30)
        for f in Self.files {
            let b = Array(try Data(contentsOf: URL(fileURLWithPath: f)))
            DocumentFuzzEntryPoints.officeXML(b)
            DocumentFuzzEntryPoints.pdfFrontEnd(b)
            DocumentFuzzEntryPoints.tnef(b)
            DocumentFuzzEntryPoints.calendar(b)
            DocumentFuzzEntryPoints.rtf(b)
            DocumentFuzzEntryPoints.archive(b)
        }
    }
}
