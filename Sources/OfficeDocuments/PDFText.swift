import Foundation
import Markings

/// PDF text per page through poppler (spec §10.2: the first and last non-blank line of each page).
///
/// Choice: poppler, the PDF library Debian and most Linux desktops render with (Evince, Okular),
/// maintained and fuzzed by OSS-Fuzz; MuPDF was the alternative (faster, but AGPL and less
/// widely packaged for servers). Poppler is C++ and has had crashes on hostile PDFs, so pmark
/// never loads it into its own process: it runs poppler's `pdftotext` (Debian `poppler-utils`)
/// as a bounded child process — a temporary file in, a temporary file out, no shell
/// interpolation of data, under an address-space limit, a CPU-time limit, an output-size limit
/// and a wall-clock deadline (after which it is killed). A crash, a timeout, a limit or a PDF
/// poppler cannot read (damaged, encrypted) is `element-not-inspected`: it fails closed.
public enum PDFText {
    public struct Limits: Sendable, Hashable {
        /// Pages read (default 500): a longer PDF is not inspected rather than half-read.
        public var maxPages = 500
        /// Wall-clock time for one PDF (default 10 s) before the child is killed.
        public var seconds: Double = 10
        /// Address space of the child (default 1 GiB): poppler on a hostile PDF cannot take the host's memory.
        public var maxMemoryBytes = 1 << 30
        /// Text output (default 16 MiB).
        public var maxOutputBytes = 16 << 20
        /// PDF input size (default 64 MiB).
        public var maxInputBytes = 64 << 20
        public init() {}
        public static let `default` = Limits()
    }

    /// `%PDF-` within the first KiB (readers accept leading junk).
    public static func isPDF(_ b: [UInt8]) -> Bool {
        let sig = Array("%PDF-".utf8)
        let p = b.prefix(1024)
        var i = p.startIndex
        while i + sig.count <= p.endIndex {
            if p[i] == 0x25, p[i..<(i + sig.count)].elementsEqual(sig) { return true }
            i += 1
        }
        return false
    }

    /// Where poppler's `pdftotext` is (nil: not installed, so PDFs are not inspected).
    public static let tool: String? = locate("pdftotext", environment: "PMARK_PDFTOTEXT")

    /// Where poppler's `pdfimages` is (it lists each page's images).
    static let imagesTool: String? = locate("pdfimages", environment: "PMARK_PDFIMAGES")

    /// A poppler tool: the path in the environment variable, else the usual install places.
    static func locate(_ name: String, environment: String) -> String? {
        let env = ProcessInfo.processInfo.environment[environment]
        for p in [env, "/usr/bin/" + name, "/usr/local/bin/" + name, "/opt/homebrew/bin/" + name].compactMap({ $0 })
        where FileManager.default.isExecutableFile(atPath: p) { return p }
        return nil
    }

    /// Runs a poppler tool as a bounded child: `ulimit` on address space, CPU time and output
    /// size, and a wall-clock deadline after which it is killed. Data never reaches the shell:
    /// the tool, its arguments and every path are positional parameters. Standard output goes to
    /// `stdoutPath` when given (else /dev/null). posix_spawn, not Foundation's Process: on Linux
    /// every Process object leaks (~1.6 KB, found by FuzzOfficeXML under LeakSanitizer), which a
    /// gateway reading PDFs for months cannot afford. A timeout or a signal is a `Failure` naming
    /// `what`; an exit code is returned for the caller to judge.
    static func runBounded(
        _ tool: String, _ arguments: [String], stdoutPath: String?, stderrPath: String, limits: Limits,
        what: String
    ) -> Result<Int32, Failure> {
        let kib = max(limits.maxMemoryBytes / 1024, 65_536), cpu = max(Int(limits.seconds.rounded(.up)), 1)
        let outBlocks = max(limits.maxOutputBytes / 512, 1)
        let script =
            "ulimit -v \"$1\" && ulimit -t \"$2\" && ulimit -f \"$3\" && out=\"$4\" && shift 4 && "
            + "if [ -n \"$out\" ]; then exec \"$@\" > \"$out\"; else exec \"$@\"; fi"
        let argv =
            [
                "/bin/sh", "-c", script, "pmark-poppler", String(kib), String(cpu), String(outBlocks), stdoutPath ?? "",
                tool,
            ] + arguments
        guard let outcome = ChildProcess.run(argv, stderrPath: stderrPath, seconds: limits.seconds) else {
            return .failure(Failure(reason: "cannot start \(what)"))
        }
        switch outcome {
        case .timedOut: return .failure(Failure(reason: "PDF \(what) exceeded \(limits.seconds) s"))
        case .signalled(let sig): return .failure(Failure(reason: "PDF \(what) crashed or hit a limit (signal \(sig))"))
        case .exited(let code): return .success(code)
        }
    }

    static func read(_ bytes: [UInt8], limits: Limits) -> DocumentText {
        var out = DocumentText(kind: "pdf")
        switch pages(bytes, limits: limits) {
        case .success(let pages): out.pageLines = pages.map(DocumentReader.firstAndLast)
        case .failure(let e): out.fail(e.reason)
        }
        return out
    }

    public struct Failure: Error { public var reason: String }

    /// The text of each page, or why it could not be read.
    public static func pages(_ bytes: [UInt8], limits: Limits) -> Result<[[String]], Failure> {
        guard let tool else {
            return .failure(
                Failure(reason: "PDF text extraction is not available (poppler-utils pdftotext not installed)"))
        }
        guard bytes.count <= limits.maxInputBytes else {
            return .failure(Failure(reason: "PDF larger than \(limits.maxInputBytes) bytes"))
        }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("pmark-pdf-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(Failure(reason: "cannot create a working directory for PDF text"))
        }
        defer { try? fm.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.pdf"), output = dir.appendingPathComponent("out.txt")
        guard fm.createFile(atPath: input.path, contents: Data(bytes)) else {
            return .failure(Failure(reason: "cannot write the PDF for text extraction"))
        }
        let errors = dir.appendingPathComponent("err.txt")
        let code: Int32
        switch runBounded(
            tool, ["-enc", "UTF-8", "-eol", "unix", "-l", String(limits.maxPages), input.path, output.path],
            stdoutPath: nil,
            stderrPath: errors.path, limits: limits, what: "text extraction")
        {
        case .failure(let f): return .failure(f)
        case .success(let c): code = c
        }
        switch code {
        case 99:
            // A PDF with no pages (`qpdf --empty`) shows nothing: poppler refuses the page range.
            if let err = fm.contents(atPath: errors.path), err.count < 4096,
                String(decoding: err, as: UTF8.self).contains("Invalid page count 0")
            {
                return .success([])
            }
            return .failure(Failure(reason: "PDF cannot be read (damaged or encrypted)"))
        case 0: break
        default: return .failure(Failure(reason: "PDF cannot be read (damaged or encrypted)"))
        }
        guard let attrs = try? fm.attributesOfItem(atPath: output.path),
            let size = (attrs[.size] as? NSNumber)?.intValue, size <= limits.maxOutputBytes,
            let data = fm.contents(atPath: output.path)
        else {
            return .failure(Failure(reason: "PDF text output missing or over \(limits.maxOutputBytes) bytes"))
        }
        let pages = split(Array(data))
        if pages.count >= limits.maxPages, pageCount(bytes) ?? Int.max > limits.maxPages {
            return .failure(Failure(reason: "PDF has more than \(limits.maxPages) pages"))
        }
        // A page with no text may still show something: a scanned page is an image, and a SECRET
        // stamp on it is seen by every reader but not by pdftotext. Such a page is not inspected.
        let textless = pages.indices.filter {
            pages[$0].allSatisfy { $0.unicodeScalars.allSatisfy { $0.properties.isWhitespace } }
        }.map { $0 + 1 }
        if !textless.isEmpty {
            switch imagePages(input: input.path, dir: dir, limits: limits) {
            case .success(let withImages):
                if let page = textless.first(where: withImages.contains) {
                    return .failure(
                        Failure(
                            reason:
                                """
                                PDF page \(page) shows images but no text (a scanned page?): what it shows cannot be \
                                read
                                """
                        ))
                }
            case .failure(let e): return .failure(e)
            }
        }
        return .success(pages)
    }

    /// The pages (1-based) that draw at least one image, from `pdfimages -list`, run like
    /// pdftotext: a bounded child process with the same limits.
    static func imagePages(input: String, dir: URL, limits: Limits) -> Result<Set<Int>, Failure> {
        guard let tool = imagesTool else {
            return .failure(
                Failure(
                    reason:
                        """
                        PDF has pages without text and pdfimages (poppler-utils) is not installed to tell blank from \
                        scanned
                        """
                ))
        }
        let listing = dir.appendingPathComponent("images.txt"), errors = dir.appendingPathComponent("images-err.txt")
        switch runBounded(
            tool, ["-list", "-l", String(limits.maxPages), input], stdoutPath: listing.path, stderrPath: errors.path,
            limits: limits,
            what: "image listing")
        {
        case .failure(let f): return .failure(f)
        case .success(0): break
        case .success: return .failure(Failure(reason: "PDF images cannot be listed (damaged or encrypted)"))
        }
        guard let data = FileManager.default.contents(atPath: listing.path), data.count <= limits.maxOutputBytes else {
            return .failure(Failure(reason: "PDF image listing missing or too large"))
        }
        return .success(imagePageNumbers(Array(data)))
    }

    /// Page numbers from `pdfimages -list` output: two header lines, then one row per image
    /// whose first column is its page.
    static func imagePageNumbers(_ listing: [UInt8]) -> Set<Int> {
        var pages = Set<Int>()
        for line in listing.split(separator: 0x0A).dropFirst(2) {
            let digits = line.drop { $0 == 0x20 }.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !digits.isEmpty, digits.count <= 9 else { continue }
            pages.insert(digits.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        return pages
    }

    /// pdftotext ends every page with a form feed.
    static func split(_ text: [UInt8]) -> [[String]] {
        var pages: [[String]] = []
        var start = 0
        for (i, b) in text.enumerated() where b == 0x0C {
            pages.append(MarkingReaderLines.lines(String(decoding: text[start..<i], as: UTF8.self)))
            start = i + 1
        }
        if start < text.count, text[start...].contains(where: { $0 > 0x20 }) {
            pages.append(MarkingReaderLines.lines(String(decoding: text[start...], as: UTF8.self)))
        }
        return pages
    }

    /// A rough page count (`/Type /Page` objects), only to tell "exactly maxPages" from "more".
    static func pageCount(_ b: [UInt8]) -> Int? {
        let needle = Array("/Type/Page".utf8), spaced = Array("/Type /Page".utf8)
        var n = 0, i = 0
        while i < b.count {
            if b[i] == 0x2F {
                for nd in [needle, spaced]
                where i + nd.count < b.count && b[i..<(i + nd.count)].elementsEqual(nd) && b[i + nd.count] != 0x73 {
                    n += 1
                }
            }
            i += 1
        }
        return n
    }
}

/// Line splitting at LF with a CR before it dropped. Works on Unicode scalars: in Swift `"\r\n"`
/// is one Character, so splitting a String on "\n" would miss CRLF lines.
enum MarkingReaderLines {
    static func lines(_ s: String) -> [String] {
        var out: [String] = []
        var cur = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if u == "\n" {
                if cur.last == "\r" { cur.removeLast() }
                out.append(String(cur))
                cur = String.UnicodeScalarView()
            } else {
                cur.append(u)
            }
        }
        if cur.last == "\r" { cur.removeLast() }
        out.append(String(cur))
        return out
    }
}

/// A child process with a wall-clock deadline, through posix_spawn (stdin and stdout from
/// /dev/null, stderr to a file); killed with SIGKILL at the deadline and always reaped.
enum ChildProcess {
    enum Outcome: Equatable { case exited(Int32), signalled(Int32), timedOut }

    static func run(_ argv: [String], stderrPath: String, seconds: Double) -> Outcome? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { return nil }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(seconds, 0) * 1e9)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { return .signalled(0) }
            if DispatchTime.now().uptimeNanoseconds >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            usleep(2_000)
        }
        let termSig = status & 0x7F
        return termSig == 0 ? .exited((status >> 8) & 0xFF) : .signalled(termSig)
    }
}
