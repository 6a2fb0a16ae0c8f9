import Markings

/// TNEF (`winmail.dat`, `application/ms-tnef`), the container Outlook sends instead of MIME
/// (MS-OXTNEF). A bounded reader of pmark's own — every length is checked against the bytes
/// left, no recursion — reading what Outlook shows: the subject (`attSubject`, `PR_SUBJECT`),
/// the plain body (`attBody`, `PR_BODY`), and each attachment's file name (`attAttachTitle`,
/// `PR_ATTACH_LONG_FILENAME`) and bytes (`attAttachData`), which are elements.
/// The bodies Outlook may show instead of `PR_BODY` are read too: the RTF body
/// (`PR_RTF_COMPRESSED`, decompressed by ``CompressedRTF``) and the HTML body (`PR_HTML`).
enum TNEF {
    static let signature: UInt32 = 0x223E_9F78
    static let attSubject: UInt32 = 0x0001_8004, attBody: UInt32 = 0x0002_800C, attAttachTitle: UInt32 = 0x0001_8010
    static let attAttachData: UInt32 = 0x0006_800F, attAttachRendData: UInt32 = 0x0006_9002
    static let attMAPIProps: UInt32 = 0x0006_9003, attAttachment: UInt32 = 0x0006_9005
    /// Most attributes read (default 10,000): each has a 15-byte overhead, so this only bounds absurd files.
    static let maxAttributes = 10_000
    /// Most RTF bodies decompressed (default 16): a message has one; each may expand up to
    /// ``CompressedRTF/maxOutputBytes``, so this bounds memory for a stream of many.
    static let maxBodies = 16

    @inline(__always) static func u16(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 }
    @inline(__always) static func u32(_ b: [UInt8], _ o: Int) -> UInt32 { u16(b, o) | u16(b, o + 2) << 16 }

    static func read(_ b: [UInt8]) -> DocumentText {
        var out = DocumentText(kind: "tnef")
        guard b.count >= 6, u32(b, 0) == signature else {
            out.fail("not a TNEF stream")
            return out
        }
        var p = 6
        var attachments: [(name: String, data: [UInt8]?)] = []
        var count = 0
        while p < b.count {
            count += 1
            guard count <= maxAttributes else {
                out.fail("TNEF has more than \(maxAttributes) attributes")
                break
            }
            guard p + 9 <= b.count else {
                out.fail("TNEF attribute header truncated at \(p)")
                break
            }
            let level = b[p], id = u32(b, p + 1), len = Int(u32(b, p + 5))
            let start = p + 9
            guard len >= 0, start <= b.count, len <= b.count - start, b.count - start - len >= 2 else {
                out.fail("TNEF attribute at \(p) overruns the stream")
                break
            }
            let data = Array(b[start..<(start + len)])
            p = start + len + 2  // checksum
            if level == 1 {
                switch id {
                case attSubject: out.subjects.append(cString(data))
                case attBody: out.bodies.append(cString(data))
                case attMAPIProps:
                    var ignored: String? = nil
                    readMAPI(data, into: &out, attachmentName: &ignored)
                default: break
                }
            } else if level == 2 {
                switch id {
                case attAttachRendData: attachments.append(("", nil))
                case attAttachTitle:
                    if attachments.isEmpty { attachments.append(("", nil)) }
                    attachments[attachments.count - 1].name = cString(data)
                case attAttachData:
                    if attachments.isEmpty { attachments.append(("", nil)) }
                    attachments[attachments.count - 1].data = data
                case attAttachment:
                    var name: String? = nil
                    var tmp = DocumentText()
                    readMAPI(data, into: &tmp, attachmentName: &name)
                    if let n = name, !attachments.isEmpty { attachments[attachments.count - 1].name = n }
                default: break
                }
            }
        }
        for a in attachments {
            out.entries.append(
                DocumentEntry(
                    name: a.name, bytes: a.data, notReadable: a.data == nil ? "TNEF attachment without data" : nil))
        }
        return out
    }

    static func cString(_ d: [UInt8]) -> String {
        let bytes = d.prefix { $0 != 0 }
        return String(validating: bytes, as: UTF8.self)
            ?? String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// MAPI property list: count, then (type u16, id u16, [named-property GUID + kind], value).
    /// Kept: PR_SUBJECT 0x0037, PR_BODY 0x1000, PR_RTF_COMPRESSED 0x1009, PR_HTML 0x1013,
    /// PR_ATTACH_LONG_FILENAME 0x3707, PR_ATTACH_FILENAME 0x3704.
    static func readMAPI(_ d: [UInt8], into out: inout DocumentText, attachmentName: inout String?) {
        guard d.count >= 4 else { return }
        let count = Int(u32(d, 0))
        var p = 4
        func pad(_ n: Int) -> Int { (n + 3) & ~3 }
        for _ in 0..<min(count, maxAttributes) {
            guard p + 4 <= d.count else { return }
            let type = u16(d, p), id = u16(d, p + 2)
            p += 4
            if id >= 0x8000 {  // named property: GUID, kind, id or name
                guard p + 20 <= d.count else { return }
                let kind = u32(d, p + 16)
                p += 20
                if kind == 0 {
                    p += 4
                } else {
                    guard p + 4 <= d.count else { return }
                    let l = Int(u32(d, p))
                    p += 4
                    guard l <= d.count - p else { return }
                    p += pad(l)
                }
            }
            let multi = type & 0x1000 != 0
            let base = type & 0x0FFF
            var values = 1
            if multi {
                guard p + 4 <= d.count else { return }
                values = Int(u32(d, p))
                p += 4
            }
            for _ in 0..<min(values, maxAttributes) {
                switch base {
                case 0x0002, 0x000B: p += 4  // short, boolean (padded)
                case 0x0003, 0x0004, 0x000A: p += 4
                case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040: p += 8
                case 0x0048: p += 16
                case 0x001E, 0x001F, 0x0102, 0x000D:
                    if !multi || true {
                        guard p + 4 <= d.count else { return }
                        // strings and binaries: a count of values (1) then length-prefixed data
                        if !multi {
                            let n = Int(u32(d, p))
                            p += 4
                            if n != 1 { return }
                        }
                        guard p + 4 <= d.count else { return }
                        let l = Int(u32(d, p))
                        p += 4
                        guard l >= 0, l <= d.count - p else { return }
                        let v = Array(d[p..<(p + l)])
                        p += pad(l)
                        let s: String? = base == 0x001F ? utf16le(v) : base == 0x001E ? cString(v) : nil
                        if let s {
                            switch id {
                            case 0x0037: out.subjects.append(s)
                            case 0x1000: out.bodies.append(s)
                            case 0x1013: out.htmlBodies.append(s)
                            case 0x3707, 0x3704: attachmentName = s
                            default: break
                            }
                        } else if base == 0x0102 {
                            switch id {
                            case 0x1009: rtfBody(v, into: &out)
                            case 0x1013: out.htmlBodies.append(String(decoding: v.prefix { $0 != 0 }, as: UTF8.self))
                            default: break
                            }
                        }
                    }
                default: return  // unknown type: stop rather than misread
                }
                guard p <= d.count else { return }
            }
        }
    }

    /// `PR_RTF_COMPRESSED`: the body Outlook shows (often the only body of a rich-text
    /// message). Decompressed and read like a body; one that cannot be decompressed fails closed.
    static func rtfBody(_ v: [UInt8], into out: inout DocumentText) {
        guard out.bodies.count < maxBodies else {
            out.fail("TNEF has more than \(maxBodies) bodies")
            return
        }
        do throws(CompressedRTF.Failure) {
            let rtf = try CompressedRTF.decompress(v)
            let text = RTF.read(rtf, body: true)
            out.bodies += text.bodies
            out.headerFooterLines += text.headerFooterLines
            if let why = text.notInspected { out.fail("RTF body: " + why) }
        } catch {
            out.fail(error.description)
        }
    }

    static func utf16le(_ v: [UInt8]) -> String {
        var units: [UInt16] = []
        var i = 0
        while i + 1 < v.count {
            let u = UInt16(v[i]) | UInt16(v[i + 1]) << 8
            if u == 0 { break }
            units.append(u)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }
}
