import Foundation
import MilterCodec
import NIOCore
import Testing

/// Bytes from a readable spec: strings as their UTF-8 bytes, integers as single bytes, `z` a NUL.
private func b(_ parts: Any...) -> [UInt8] {
    var out: [UInt8] = []
    for p in parts {
        switch p {
        case let s as String: out += Array(s.utf8)
        case let i as Int: out.append(UInt8(i))
        case let a as [UInt8]: out += a
        default: fatalError("test helper: unsupported part \(p)")
        }
    }
    return out
}
private let z = 0

struct CommandCase: CustomTestStringConvertible, Sendable {
    var name: String
    var command: MilterCommand
    var bytes: [UInt8]
    var testDescription: String { name }
}

struct ResponseCase: CustomTestStringConvertible, Sendable {
    var name: String
    var response: MilterResponse
    var bytes: [UInt8]
    var testDescription: String { name }
}

/// Every command, as Postfix's milter8.c and Sendmail's milter.c put it on the wire (length
/// written out by hand: 4 bytes big-endian, counting the command letter).
let commandCases: [CommandCase] = [
    CommandCase(
        name: "SMFIC_OPTNEG (Postfix 3.7 offer)",
        command: .optionNegotiation(
            OptionNegotiation(
                version: 6, actions: ActionFlags(rawValue: 0x1FF), protocolFlags: ProtocolFlags(rawValue: 0x1FFFFF))),
        bytes: b(0, 0, 0, 13, "O", 0, 0, 0, 6, 0, 0, 0x01, 0xFF, 0, 0x1F, 0xFF, 0xFF)),
    CommandCase(
        name: "SMFIC_MACRO for connect",
        command: .macro(stage: UInt8(ascii: "C"), macros: [Macro("j", "mx.test"), Macro("{daemon_name}", "smtpd")]),
        bytes: b(0, 0, 0, 32, "D", "C", "j", z, "mx.test", z, "{daemon_name}", z, "smtpd", z)),
    CommandCase(
        name: "SMFIC_CONNECT IPv4",
        command: .connect(hostname: "client.test", address: .inet(address: "192.0.2.1", port: 2525)),
        bytes: b(0, 0, 0, 26, "C", "client.test", z, "4", 0x09, 0xDD, "192.0.2.1", z)),
    CommandCase(
        name: "SMFIC_CONNECT IPv6", command: .connect(hostname: "h", address: .inet6(address: "::1", port: 25)),
        bytes: b(0, 0, 0, 10, "C", "h", z, "6", 0, 25, "::1", z)),
    CommandCase(
        name: "SMFIC_CONNECT unix", command: .connect(hostname: "localhost", address: .unix(path: "/s")),
        bytes: b(0, 0, 0, 17, "C", "localhost", z, "L", 0, 0, "/s", z)),
    CommandCase(
        name: "SMFIC_CONNECT unknown family", command: .connect(hostname: "unknown", address: .unknown),
        bytes: b(0, 0, 0, 10, "C", "unknown", z, "U")),
    CommandCase(name: "SMFIC_HELO", command: .helo("client.test"), bytes: b(0, 0, 0, 13, "H", "client.test", z)),
    CommandCase(
        name: "SMFIC_MAIL with ESMTP argument", command: .mail(arguments: ["<a@x.nz>", "SIZE=10"]),
        bytes: b(0, 0, 0, 18, "M", "<a@x.nz>", z, "SIZE=10", z)),
    CommandCase(name: "SMFIC_MAIL null sender", command: .mail(arguments: ["<>"]), bytes: b(0, 0, 0, 4, "M", "<>", z)),
    CommandCase(
        name: "SMFIC_RCPT", command: .recipient(arguments: ["<b@y.nz>"]), bytes: b(0, 0, 0, 10, "R", "<b@y.nz>", z)),
    CommandCase(name: "SMFIC_DATA", command: .data, bytes: b(0, 0, 0, 1, "T")),
    CommandCase(
        name: "SMFIC_HEADER (leading space kept)",
        command: .header(name: Array("Subject".utf8), value: Array(" Hi".utf8)),
        bytes: b(0, 0, 0, 13, "L", "Subject", z, " Hi", z)),
    CommandCase(
        name: "SMFIC_HEADER with 8-bit value", command: .header(name: Array("X".utf8), value: [0xE9]),
        bytes: b(0, 0, 0, 5, "L", "X", z, 0xE9, z)),
    CommandCase(name: "SMFIC_EOH", command: .endOfHeaders, bytes: b(0, 0, 0, 1, "N")),
    CommandCase(
        name: "SMFIC_BODY chunk", command: .body(Array("Kia ora\r\n".utf8)), bytes: b(0, 0, 0, 10, "B", "Kia ora\r\n")),
    CommandCase(name: "SMFIC_BODYEOB", command: .endOfBody([]), bytes: b(0, 0, 0, 1, "E")),
    CommandCase(
        name: "SMFIC_BODYEOB with a last chunk (Sendmail)", command: .endOfBody(Array("x".utf8)),
        bytes: b(0, 0, 0, 2, "E", "x")),
    CommandCase(name: "SMFIC_ABORT", command: .abort, bytes: b(0, 0, 0, 1, "A")),
    CommandCase(name: "SMFIC_QUIT", command: .quit, bytes: b(0, 0, 0, 1, "Q")),
    CommandCase(name: "SMFIC_QUIT_NC", command: .quitNewConnection, bytes: b(0, 0, 0, 1, "K")),
    CommandCase(
        name: "SMFIC_UNKNOWN", command: .unknown(Array("XFOO bar".utf8)), bytes: b(0, 0, 0, 10, "U", "XFOO bar", z)),
]

let responseCases: [ResponseCase] = [
    ResponseCase(
        name: "SMFIR_OPTNEG (pmark's answer)",
        response: .optionNegotiation(
            OptionNegotiation(
                version: 6, actions: [.addHeaders, .deleteRecipients, .quarantine],
                protocolFlags: [.noHelo, .headerLeadingSpace])),
        bytes: b(0, 0, 0, 13, "O", 0, 0, 0, 6, 0, 0, 0, 0x29, 0, 0x10, 0, 0x02)),
    ResponseCase(name: "SMFIR_ACCEPT", response: .accept, bytes: b(0, 0, 0, 1, "a")),
    ResponseCase(name: "SMFIR_CONTINUE", response: .continue, bytes: b(0, 0, 0, 1, "c")),
    ResponseCase(name: "SMFIR_REJECT", response: .reject, bytes: b(0, 0, 0, 1, "r")),
    ResponseCase(name: "SMFIR_TEMPFAIL", response: .tempfail, bytes: b(0, 0, 0, 1, "t")),
    ResponseCase(name: "SMFIR_DISCARD", response: .discard, bytes: b(0, 0, 0, 1, "d")),
    ResponseCase(name: "SMFIR_CONN_FAIL", response: .connectionFailure, bytes: b(0, 0, 0, 1, "f")),
    ResponseCase(name: "SMFIR_SHUTDOWN", response: .shutdown, bytes: b(0, 0, 0, 1, "4")),
    ResponseCase(name: "SMFIR_SKIP", response: .skip, bytes: b(0, 0, 0, 1, "s")),
    ResponseCase(name: "SMFIR_PROGRESS", response: .progress, bytes: b(0, 0, 0, 1, "p")),
    ResponseCase(
        name: "SMFIR_REPLYCODE", response: .replyCode("550 5.7.1 No"), bytes: b(0, 0, 0, 14, "y", "550 5.7.1 No", z)),
    ResponseCase(
        name: "SMFIR_ADDHEADER", response: .addHeader(name: "X-Pmark-Tag", value: "review"),
        bytes: b(0, 0, 0, 20, "h", "X-Pmark-Tag", z, "review", z)),
    ResponseCase(
        name: "SMFIR_INSHEADER", response: .insertHeader(index: 1, name: "X", value: "y"),
        bytes: b(0, 0, 0, 9, "i", 0, 0, 0, 1, "X", z, "y", z)),
    ResponseCase(
        name: "SMFIR_CHGHEADER", response: .changeHeader(index: 2, name: "X", value: ""),
        bytes: b(0, 0, 0, 8, "m", 0, 0, 0, 2, "X", z, z)),
    ResponseCase(name: "SMFIR_ADDRCPT", response: .addRecipient("<c@z.nz>"), bytes: b(0, 0, 0, 10, "+", "<c@z.nz>", z)),
    ResponseCase(
        name: "SMFIR_ADDRCPT_PAR", response: .addRecipientWithArgs("<c@z.nz>", arguments: "NOTIFY=NEVER"),
        bytes: b(0, 0, 0, 23, "2", "<c@z.nz>", z, "NOTIFY=NEVER", z)),
    ResponseCase(
        name: "SMFIR_DELRCPT", response: .deleteRecipient(Array("<b@y.nz>".utf8)),
        bytes: b(0, 0, 0, 10, "-", "<b@y.nz>", z)),
    ResponseCase(
        name: "SMFIR_CHGFROM", response: .changeFrom("<a@x.nz>", arguments: nil),
        bytes: b(0, 0, 0, 10, "e", "<a@x.nz>", z)),
    ResponseCase(
        name: "SMFIR_REPLBODY", response: .replaceBody(Array("new\r\n".utf8)), bytes: b(0, 0, 0, 6, "b", "new\r\n")),
    ResponseCase(name: "SMFIR_QUARANTINE", response: .quarantine(reason: "held"), bytes: b(0, 0, 0, 6, "q", "held", z)),
    ResponseCase(
        name: "SMFIR_SETSYMLIST", response: .setSymbolList(stage: 1, macros: "{i}"),
        bytes: b(0, 0, 0, 9, "l", 0, 0, 0, 1, "{i}", z)),
]

@Suite("Milter codec: byte-exact frames")
struct CodecFrameTests {
    @Test("every command encodes to the exact frame an MTA sends", arguments: commandCases)
    func commandEncodes(_ c: CommandCase) throws {
        var buf = ByteBuffer()
        try c.command.encode(into: &buf)
        #expect(Array(buf.readableBytesView) == c.bytes)
    }

    @Test("every command's frame decodes to the typed command", arguments: commandCases)
    func commandDecodes(_ c: CommandCase) {
        let (cmds, err) = decodeCommands(c.bytes)
        #expect(err == nil)
        #expect(cmds == [c.command])
    }

    @Test("every response encodes to the exact frame libmilter sends", arguments: responseCases)
    func responseEncodes(_ c: ResponseCase) throws {
        var buf = ByteBuffer()
        try c.response.encode(into: &buf)
        #expect(Array(buf.readableBytesView) == c.bytes)
    }

    @Test("every response's frame decodes back", arguments: responseCases)
    func responseDecodes(_ c: ResponseCase) throws {
        var buf = ByteBuffer(bytes: c.bytes)
        let (code, data) = try #require(try MilterFrameReader().nextFrame(&buf))
        #expect(try MilterResponse.decode(code: code, data: data) == c.response)
        #expect(buf.readableBytes == 0)
    }

    @Test("a stream of frames split at every byte decodes the same commands")
    func splitStream() throws {
        let all = commandCases.flatMap(\.bytes)
        let reader = MilterFrameReader()
        for cut in stride(from: 0, to: all.count, by: 7) {
            var buf = ByteBuffer(bytes: all[..<cut])
            var got: [MilterCommand] = []
            while let (c, d) = try reader.nextFrame(&buf) { got.append(try MilterCommand.decode(code: c, data: d)) }
            buf.writeBytes(all[cut...])
            while let (c, d) = try reader.nextFrame(&buf) { got.append(try MilterCommand.decode(code: c, data: d)) }
            #expect(got == commandCases.map(\.command))
        }
    }
}

struct MalformedCase: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var error: MilterCodecError
    var testDescription: String { name }
}

let malformedCases: [MalformedCase] = [
    MalformedCase(name: "length 0 (no command byte)", bytes: b(0, 0, 0, 0), error: .emptyFrame),
    MalformedCase(
        name: "length above the limit, refused before buffering", bytes: b(0x7F, 0xFF, 0xFF, 0xFF, "B"),
        error: .frameTooLong(length: 0x7FFF_FFFF, limit: MilterLimits.default.maxFrameLength)),
    MalformedCase(
        name: "length 4 GiB - 1", bytes: b(0xFF, 0xFF, 0xFF, 0xFF),
        error: .frameTooLong(length: 0xFFFF_FFFF, limit: MilterLimits.default.maxFrameLength)),
    MalformedCase(name: "unknown command letter", bytes: b(0, 0, 0, 1, "Z"), error: .unknownCode(UInt8(ascii: "Z"))),
    MalformedCase(
        name: "a response letter sent as a command", bytes: b(0, 0, 0, 1, "a"), error: .unknownCode(UInt8(ascii: "a"))),
    MalformedCase(
        name: "option negotiation cut short", bytes: b(0, 0, 0, 5, "O", 0, 0, 0, 6),
        error: .truncated(code: UInt8(ascii: "O"), field: "actions")),
    MalformedCase(
        name: "option negotiation with trailing bytes",
        bytes: b(0, 0, 0, 14, "O", 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 9),
        error: .trailingBytes(code: UInt8(ascii: "O"), count: 1)),
    MalformedCase(
        name: "header without its NUL terminators", bytes: b(0, 0, 0, 4, "L", "Sub"),
        error: .truncated(code: UInt8(ascii: "L"), field: "header name")),
    MalformedCase(
        name: "header value without NUL", bytes: b(0, 0, 0, 4, "L", "S", z, "v"),
        error: .truncated(code: UInt8(ascii: "L"), field: "header value")),
    MalformedCase(
        name: "MAIL with no address", bytes: b(0, 0, 0, 1, "M"),
        error: .truncated(code: UInt8(ascii: "M"), field: "sender address")),
    MalformedCase(
        name: "RCPT not UTF-8", bytes: b(0, 0, 0, 4, "R", 0xFF, 0xFE, z),
        error: .invalidUTF8(code: UInt8(ascii: "R"), field: "RCPT argument")),
    MalformedCase(
        name: "connect with an unknown family", bytes: b(0, 0, 0, 4, "C", "h", z, "X"),
        error: .invalidField(code: UInt8(ascii: "C"), field: "address family 0x58")),
    MalformedCase(
        name: "connect without port", bytes: b(0, 0, 0, 5, "C", "h", z, "4", 0),
        error: .truncated(code: UInt8(ascii: "C"), field: "port")),
    MalformedCase(
        name: "data after QUIT's letter", bytes: b(0, 0, 0, 2, "Q", "x"),
        error: .trailingBytes(code: UInt8(ascii: "Q"), count: 1)),
    MalformedCase(
        name: "frame truncated by end of stream", bytes: b(0, 0, 0, 10, "B", "abc"), error: .truncatedAtEOF(buffered: 8)
    ),
    MalformedCase(name: "length field itself truncated", bytes: b(0, 0), error: .truncatedAtEOF(buffered: 2)),
]

@Suite("Milter codec: malformed frames are errors, never crashes")
struct CodecMalformedTests {
    @Test("a malformed frame is a typed error", arguments: malformedCases)
    func malformed(_ c: MalformedCase) {
        let (cmds, err) = decodeCommands(c.bytes)
        #expect(cmds.isEmpty)
        #expect(err == c.error)
    }

    @Test("the frame limit is configurable and checked on the length field alone")
    func frameLimit() {
        let limits = MilterLimits(maxFrameLength: 16, maxStrings: 4)
        #expect(decodeCommands(b(0, 0, 0, 17), limits: limits).error == .frameTooLong(length: 17, limit: 16))
        #expect(
            decodeCommands(b(0, 0, 0, 16, "B", Array(repeating: UInt8(ascii: "x"), count: 15)), limits: limits).error
                == nil)
    }

    @Test("more strings than the limit in one frame is an error")
    func stringLimit() {
        let limits = MilterLimits(maxFrameLength: 1000, maxStrings: 4)
        let frame = b(0, 0, 0, 11, "M", "<a>", z, z, z, z, z, z, z)
        #expect(
            decodeCommands(frame, limits: limits).error
                == .invalidField(code: UInt8(ascii: "M"), field: "MAIL argument (more than 4 strings)"))
    }

    @Test("a NUL inside a string to encode is refused, not truncated on the wire")
    func embeddedNUL() {
        var buf = ByteBuffer()
        #expect(throws: MilterCodecError.self) { try MilterResponse.replyCode("550\u{0}x").encode(into: &buf) }
    }

    @Test("every prefix of every valid frame decodes or waits, never traps")
    func prefixes() {
        for c in commandCases {
            for n in 0..<c.bytes.count {
                let (cmds, err) = decodeCommands(Array(c.bytes[..<n]))
                #expect(cmds.isEmpty)
                #expect(err == nil || err == .truncatedAtEOF(buffered: n))
            }
        }
    }
}

@Suite("Milter codec: fuzz seeds and regressions replay")
struct CodecFuzzReplayTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    @Test("every seed and saved crasher keeps the round-trip invariant (the fuzzed code itself)")
    func replay() throws {
        var files: [String] = []
        for d in ["Corpus/fuzz-seeds/milter", "Corpus/fuzz-regressions"] {
            let dir = Self.root + "/" + d
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            files += names.filter { d.hasSuffix("milter") || $0.hasPrefix("milter-") }.map { dir + "/" + $0 }
        }
        #expect(files.count >= 3)
        for f in files {
            let bytes = try #require(FileManager.default.contents(atPath: f))
            #expect(MilterFuzzEntryPoints.roundTrip(Array(bytes)) == nil, "\(f)")
        }
        // The transaction seed really is a whole transaction, so the fuzzer starts from depth.
        let tx = try #require(
            FileManager.default.contents(atPath: Self.root + "/Corpus/fuzz-seeds/milter/postfix-transaction.bin"))
        let (cmds, err) = decodeCommands(Array(tx))
        #expect(err == nil && cmds.count == 16)
    }
}
