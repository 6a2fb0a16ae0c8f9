import CPff
import Foundation
import MailParsing

/// Reads the mail items of an Outlook PST/OST file through libpff and presents each as an
/// RFC 5322 message, so that the same evaluation reads it as any other message.
///
/// Each mail item becomes: its transport headers when the store kept them (the headers the
/// message arrived with), otherwise headers made from the item's properties (From, To, Cc,
/// Subject, Message-ID); then a `multipart/mixed` body holding the plain-text body, the HTML
/// body and every attachment (base64, with its long filename), and embedded message items as
/// `message/rfc822` (nested up to `maxEmbeddingDepth`). Items that are not mail (contacts,
/// calendar entries, tasks, notes, distribution lists) are counted as skipped with their class.
/// libpff reads one file at a time on the reader thread; it is not shared between threads.
public struct PSTReader {
    public let path: String
    /// Embedded message items deeper than this are attached as opaque data (`application/
    /// vnd.ms-outlook`), which content inspection then reports; bounds recursion on hostile files.
    public static let maxEmbeddingDepth = 8
    public var limits: ParserLimits

    public init(path: String, limits: ParserLimits = .default) {
        self.path = path
        self.limits = limits
    }

    public struct Item {
        public var raw: RawMessage?
        public var skipped: SkippedFile?
        public var error: InputError?
    }

    static func errorText(_ e: UnsafeMutablePointer<libpff_error_t>?) -> String {
        guard let e else { return "libpff error" }
        var buf = [CChar](repeating: 0, count: 512)
        libpff_error_sprint(e, &buf, buf.count)
        var err: UnsafeMutablePointer<libpff_error_t>? = e
        libpff_error_free(&err)
        return String(cString: buf).replacingOccurrences(of: "\n", with: " ").trimmingTrailingSpace
    }

    /// Calls `body` for every item in folder order (depth first), stopping when it returns false.
    public func forEach(_ body: (Item) throws -> Bool) throws {
        var file: UnsafeMutablePointer<libpff_file_t>? = nil
        var error: UnsafeMutablePointer<libpff_error_t>? = nil
        guard libpff_file_initialize(&file, &error) == 1 else {
            throw InputReadError(path: path, message: Self.errorText(error))
        }
        defer {
            var e: UnsafeMutablePointer<libpff_error_t>? = nil
            libpff_file_free(&file, &e)
            if e != nil { libpff_error_free(&e) }
        }
        guard libpff_file_open(file, path, Int32(LIBPFF_ACCESS_FLAG_READ.rawValue), &error) == 1 else {
            throw InputReadError(path: path, message: "cannot open as PST/OST: " + Self.errorText(error))
        }
        defer {
            var e: UnsafeMutablePointer<libpff_error_t>? = nil
            libpff_file_close(file, &e)
            if e != nil { libpff_error_free(&e) }
        }
        var root: UnsafeMutablePointer<libpff_item_t>? = nil
        let rc = libpff_file_get_root_folder(file, &root, &error)
        guard rc == 1, root != nil else {
            throw InputReadError(path: path, message: rc == 0 ? "no root folder" : Self.errorText(error))
        }
        defer {
            var e: UnsafeMutablePointer<libpff_error_t>? = nil
            libpff_item_free(&root, &e)
        }
        var index = 0
        _ = try walk(root!, folderPath: "", index: &index, depth: 0, body)
    }

    func folderName(_ f: UnsafeMutablePointer<libpff_item_t>) -> String {
        var size = 0
        var e: UnsafeMutablePointer<libpff_error_t>? = nil
        guard libpff_folder_get_utf8_name_size(f, &size, &e) == 1, size > 0 else {
            if e != nil { libpff_error_free(&e) }
            return ""
        }
        var buf = [UInt8](repeating: 0, count: size)
        guard libpff_folder_get_utf8_name(f, &buf, size, &e) == 1 else {
            if e != nil { libpff_error_free(&e) }
            return ""
        }
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    func walk(
        _ folder: UnsafeMutablePointer<libpff_item_t>, folderPath: String, index: inout Int, depth: Int,
        _ body: (Item) throws -> Bool
    ) throws -> Bool {
        var error: UnsafeMutablePointer<libpff_error_t>? = nil
        var messages: Int32 = 0
        if libpff_folder_get_number_of_sub_messages(folder, &messages, &error) != 1 {
            if try !body(
                Item(
                    error: InputError(
                        path: path + ":" + folderPath, message: "cannot list messages: " + Self.errorText(error))))
            {
                return false
            }
            error = nil
            messages = 0
        }
        for i in 0..<messages {
            var item: UnsafeMutablePointer<libpff_item_t>? = nil
            guard libpff_folder_get_sub_message(folder, i, &item, &error) == 1, let item else {
                if try !body(
                    Item(
                        error: InputError(
                            path: "\(path):\(folderPath)#\(i + 1)",
                            message: "cannot read item: " + Self.errorText(error))))
                {
                    return false
                }
                error = nil
                continue
            }
            defer {
                var it: UnsafeMutablePointer<libpff_item_t>? = item
                var e: UnsafeMutablePointer<libpff_error_t>? = nil
                libpff_item_free(&it, &e)
            }
            var id: UInt32 = 0
            _ = libpff_item_get_identifier(item, &id, nil)
            let cls = string(item, LIBPFF_ENTRY_TYPE_MESSAGE_CLASS.rawValue) ?? ""
            let lower = cls.lowercased()
            let isMail =
                lower.hasPrefix("ipm.note") || lower.hasPrefix("report.ipm.note")
                || lower.hasPrefix("ipm.schedule.meeting") || lower == "ipm"
                || lower.hasPrefix("ipm.post") && !lower.hasPrefix("ipm.post.rss")
            if !isMail {
                let where_ = "\(path):\(folderPath)#\(i + 1)"
                if try !body(
                    Item(
                        skipped: SkippedFile(
                            path: where_, reason: "PST item of class \(cls.isEmpty ? "(none)" : cls), not mail")))
                {
                    return false
                }
                continue
            }
            index += 1
            let bytes = message(item, depth: 0)
            var raw = RawMessage(
                source: MessageSource(
                    kind: .pst, path: path + (folderPath.isEmpty ? "" : ":" + folderPath), offset: Int(id), index: index
                ), bytes: bytes, defects: [])
            if bytes.count > limits.maxMessageBytes {
                raw.bytes = []
                raw.error = MailParseError(
                    .limitExceeded(.messageBytes, limit: limits.maxMessageBytes), byteOffset: limits.maxMessageBytes)
            }
            if try !body(Item(raw: raw)) { return false }
        }
        var folders: Int32 = 0
        if libpff_folder_get_number_of_sub_folders(folder, &folders, &error) != 1 {
            if try !body(
                Item(
                    error: InputError(
                        path: path + ":" + folderPath, message: "cannot list folders: " + Self.errorText(error))))
            {
                return false
            }
            return true
        }
        for i in 0..<folders {
            var sub: UnsafeMutablePointer<libpff_item_t>? = nil
            guard libpff_folder_get_sub_folder(folder, i, &sub, &error) == 1, let sub else {
                if try !body(
                    Item(
                        error: InputError(
                            path: path + ":" + folderPath, message: "cannot read folder: " + Self.errorText(error))))
                {
                    return false
                }
                error = nil
                continue
            }
            defer {
                var it: UnsafeMutablePointer<libpff_item_t>? = sub
                var e: UnsafeMutablePointer<libpff_error_t>? = nil
                libpff_item_free(&it, &e)
            }
            let name = folderName(sub)
            if depth > 64 { continue }
            if try !walk(
                sub, folderPath: folderPath.isEmpty ? name : folderPath + "/" + name, index: &index, depth: depth + 1,
                body)
            {
                return false
            }
        }
        return true
    }

    func string(_ item: UnsafeMutablePointer<libpff_item_t>, _ entry: UInt32) -> String? {
        var size = 0
        var e: UnsafeMutablePointer<libpff_error_t>? = nil
        guard libpff_message_get_entry_value_utf8_string_size(item, entry, &size, &e) == 1, size > 0 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        var buf = [UInt8](repeating: 0, count: size)
        guard libpff_message_get_entry_value_utf8_string(item, entry, &buf, size, &e) == 1 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    func itemString(_ item: UnsafeMutablePointer<libpff_item_t>, set: Int32, _ entry: UInt32) -> String? {
        var size = 0
        var e: UnsafeMutablePointer<libpff_error_t>? = nil
        guard libpff_item_get_entry_value_utf8_string_size(item, set, entry, &size, 0, &e) == 1, size > 0 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        var buf = [UInt8](repeating: 0, count: size)
        guard libpff_item_get_entry_value_utf8_string(item, set, entry, &buf, size, 0, &e) == 1 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    func body(_ item: UnsafeMutablePointer<libpff_item_t>, html: Bool) -> [UInt8]? {
        var size = 0
        var e: UnsafeMutablePointer<libpff_error_t>? = nil
        let ok =
            html
            ? libpff_message_get_html_body_size(item, &size, &e)
            : libpff_message_get_plain_text_body_size(item, &size, &e)
        guard ok == 1, size > 0 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        var buf = [UInt8](repeating: 0, count: size)
        let ok2 =
            html
            ? libpff_message_get_html_body(item, &buf, size, &e)
            : libpff_message_get_plain_text_body(item, &buf, size, &e)
        guard ok2 == 1 else {
            if e != nil { libpff_error_free(&e) }
            return nil
        }
        while buf.last == 0 { buf.removeLast() }
        return buf
    }

    /// Header names dropped from transport headers because the body is rebuilt.
    static let rebuiltHeaders: Set<String> = [
        "content-type", "content-transfer-encoding", "mime-version", "content-length",
    ]

    func message(_ item: UnsafeMutablePointer<libpff_item_t>, depth: Int) -> [UInt8] {
        var out: [UInt8] = []
        func line(_ s: String) {
            out.append(contentsOf: s.utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        if let th = string(item, LIBPFF_ENTRY_TYPE_MESSAGE_TRANSPORT_HEADERS.rawValue), !th.isEmpty {
            var skipping = false
            for l in th.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                let s = l.hasSuffix("\r") ? String(l.dropLast()) : String(l)
                if s.isEmpty { continue }
                if s.first == " " || s.first == "\t" {
                    if !skipping { line(s) }
                    continue
                }
                let name = s.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
                skipping = Self.rebuiltHeaders.contains(name)
                if !skipping { line(s) }
            }
        } else {
            let senderName = string(item, LIBPFF_ENTRY_TYPE_MESSAGE_SENDER_NAME.rawValue)
            let sender = string(item, LIBPFF_ENTRY_TYPE_MESSAGE_SENDER_EMAIL_ADDRESS.rawValue)
            if let sender {
                line(
                    "From: " + (senderName.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\" " } ?? "")
                        + "<\(sender)>")
            }
            var to: [String] = [], cc: [String] = []
            var recipients: UnsafeMutablePointer<libpff_item_t>? = nil
            var e: UnsafeMutablePointer<libpff_error_t>? = nil
            if libpff_message_get_recipients(item, &recipients, &e) == 1, let r = recipients {
                var n: Int32 = 0
                if libpff_item_get_number_of_record_sets(r, &n, &e) == 1 {
                    for k in 0..<n {
                        var type: UInt32 = 1
                        _ = libpff_item_get_entry_value_32bit(
                            r, k, LIBPFF_ENTRY_TYPE_RECIPIENT_TYPE.rawValue, &type, 0, nil)
                        guard let addr = itemString(r, set: k, LIBPFF_ENTRY_TYPE_EMAIL_ADDRESS.rawValue) else {
                            continue
                        }
                        if type == 2 { cc.append(addr) } else if type == 1 { to.append(addr) }
                    }
                }
                libpff_item_free(&recipients, nil)
            }
            if e != nil { libpff_error_free(&e) }
            if !to.isEmpty { line("To: " + to.joined(separator: ", ")) }
            if !cc.isEmpty { line("Cc: " + cc.joined(separator: ", ")) }
            if let subject = string(item, LIBPFF_ENTRY_TYPE_MESSAGE_SUBJECT.rawValue) {
                // MAPI subjects may start with a 2-character prefix marker (0x01 + length).
                let s = subject.first == "\u{01}" ? String(subject.dropFirst(2)) : subject
                line("Subject: " + Self.encodedWord(s))
            }
            if let mid = string(item, 0x1035) { line("Message-ID: " + mid) }
        }
        let boundary = "=_pmark_pst_\(depth)_boundary"
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
        line("")
        func part(_ headers: [String], _ data: [UInt8], base64: Bool) {
            line("--" + boundary)
            for h in headers { line(h) }
            if base64 { line("Content-Transfer-Encoding: base64") }
            line("")
            if base64 {
                out.append(contentsOf: Self.base64Lines(data))
            } else {
                out.append(contentsOf: data)
                line("")
            }
        }
        if let text = body(item, html: false) { part(["Content-Type: text/plain; charset=utf-8"], text, base64: true) }
        if let html = body(item, html: true) { part(["Content-Type: text/html; charset=utf-8"], html, base64: true) }
        var count: Int32 = 0
        var e: UnsafeMutablePointer<libpff_error_t>? = nil
        if libpff_message_get_number_of_attachments(item, &count, &e) == 1 {
            for k in 0..<count {
                var att: UnsafeMutablePointer<libpff_item_t>? = nil
                guard libpff_message_get_attachment(item, k, &att, &e) == 1, let a = att else { continue }
                defer { libpff_item_free(&att, nil) }
                var type: Int32 = 0
                _ = libpff_attachment_get_type(a, &type, nil)
                let name =
                    itemString(a, set: 0, LIBPFF_ENTRY_TYPE_ATTACHMENT_FILENAME_LONG.rawValue)
                    ?? itemString(a, set: 0, LIBPFF_ENTRY_TYPE_ATTACHMENT_FILENAME_SHORT.rawValue)
                let disposition =
                    "Content-Disposition: attachment"
                    + (name.map { "; filename=\"\(Self.encodedWord($0).replacingOccurrences(of: "\"", with: ""))\"" }
                        ?? "")
                if type == Int32(LIBPFF_ATTACHMENT_TYPE_ITEM.rawValue) && depth < Self.maxEmbeddingDepth {
                    var sub: UnsafeMutablePointer<libpff_item_t>? = nil
                    if libpff_attachment_get_item(a, &sub, nil) == 1, let s = sub {
                        let inner = message(s, depth: depth + 1)
                        libpff_item_free(&sub, nil)
                        part(["Content-Type: message/rfc822", disposition], inner, base64: false)
                        continue
                    }
                }
                var size: UInt64 = 0
                guard libpff_attachment_get_data_size(a, &size, nil) == 1 else {
                    part(["Content-Type: application/octet-stream", disposition], [], base64: true)
                    continue
                }
                let n = Int(min(size, UInt64(limits.maxMessageBytes) + 1))
                var data = [UInt8](repeating: 0, count: n)
                let got = n == 0 ? 0 : libpff_attachment_data_read_buffer(a, &data, n, nil)
                data = got > 0 ? Array(data[0..<got]) : []
                part(["Content-Type: application/octet-stream", disposition], data, base64: true)
            }
        }
        if e != nil { libpff_error_free(&e) }
        line("--" + boundary + "--")
        return out
    }

    /// RFC 2047 B-encoding when the text is not ASCII.
    static func encodedWord(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        return "=?utf-8?B?" + String(decoding: base64(Array(s.utf8)), as: UTF8.self) + "?="
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ d: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((d.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= d.count {
            let v = UInt32(d[i]) << 16 | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2])
            out += [
                alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)],
                alphabet[Int(v & 63)],
            ]
            i += 3
        }
        let rest = d.count - i
        if rest == 1 {
            let v = UInt32(d[i]) << 16
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], 0x3D, 0x3D]
        } else if rest == 2 {
            let v = UInt32(d[i]) << 16 | UInt32(d[i + 1]) << 8
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], 0x3D]
        }
        return out
    }

    static func base64Lines(_ d: [UInt8]) -> [UInt8] {
        let b = base64(d)
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 76 * 2 + 2)
        var i = 0
        while i < b.count {
            let j = min(i + 76, b.count)
            out.append(contentsOf: b[i..<j])
            out.append(contentsOf: [0x0D, 0x0A])
            i = j
        }
        return out
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var s = self
        while let l = s.last, l == " " || l == "\n" { s.removeLast() }
        return s
    }
}
