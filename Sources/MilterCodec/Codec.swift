import NIOCore

/// A frame that cannot be a milter frame. Every one closes the connection (the MTA then applies
/// its `milter_default_action`, tempfail in pmark's documented setup): a peer that sends one is
/// not speaking the protocol, and nothing after it can be trusted to be framed right.
public enum MilterCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The length field is 0: there is no command byte.
    case emptyFrame
    /// The length field exceeds the limit (`length`, `limit`), checked before any data is read.
    case frameTooLong(length: UInt32, limit: Int)
    /// A command or response letter this protocol version does not define.
    case unknownCode(UInt8)
    /// The data of a frame ends before a field is complete (command letter, field name).
    case truncated(code: UInt8, field: String)
    /// Bytes left after the last field of a fixed-layout frame.
    case trailingBytes(code: UInt8, count: Int)
    /// A field that must be UTF-8 is not.
    case invalidUTF8(code: UInt8, field: String)
    /// A connection closed in the middle of a frame (`buffered` bytes of it had arrived).
    case truncatedAtEOF(buffered: Int)
    /// A field that cannot hold what it holds (e.g. a NUL inside a string to encode).
    case invalidField(code: UInt8, field: String)

    public var description: String {
        switch self {
        case .emptyFrame: "milter frame of length 0 (no command byte)"
        case .frameTooLong(let l, let lim): "milter frame of \(l) bytes exceeds the limit of \(lim)"
        case .unknownCode(let c): "unknown milter code 0x\(String(c, radix: 16))"
        case .truncated(let c, let f): "milter frame '\(Self.letter(c))' ends inside \(f)"
        case .trailingBytes(let c, let n): "milter frame '\(Self.letter(c))' has \(n) unexpected trailing bytes"
        case .invalidUTF8(let c, let f): "milter frame '\(Self.letter(c))': \(f) is not UTF-8"
        case .truncatedAtEOF(let n): "connection closed inside a milter frame (\(n) bytes buffered)"
        case .invalidField(let c, let f): "milter frame '\(Self.letter(c))': invalid \(f)"
        }
    }

    static func letter(_ c: UInt8) -> String {
        (0x20...0x7E).contains(c) ? String(UnicodeScalar(c)) : "0x" + String(c, radix: 16)
    }
}

/// Limits of the codec. Each has a reason.
public struct MilterLimits: Sendable, Hashable {
    /// Largest frame accepted (length field value). Postfix sends body chunks of at most 65,535
    /// bytes, but a header field may be as long as its `header_size_limit` (102,400 by default),
    /// and libmilter's largest negotiable size is 1 MiB (SMFIP_MDS_1M); a frame above 1 MiB + 1
    /// is no MTA's and is refused before any of it is buffered.
    public var maxFrameLength: Int
    /// Most strings in one MAIL/RCPT/MACRO frame (ESMTP parameters, macro pairs): a real MTA
    /// sends a handful; the bound keeps a hostile frame of empty strings from costing an
    /// allocation each.
    public var maxStrings: Int

    public init(maxFrameLength: Int = 1024 * 1024 + 1, maxStrings: Int = 1024) {
        self.maxFrameLength = maxFrameLength
        self.maxStrings = maxStrings
    }
    public static let `default` = MilterLimits()
}

/// Splits a byte stream into frames: `(code, data)` once a whole frame has arrived.
public struct MilterFrameReader: Sendable {
    public var limits: MilterLimits
    public init(limits: MilterLimits = .default) { self.limits = limits }

    /// The next whole frame, or nil when more bytes are needed. Throws on a length that cannot
    /// be right; the buffer is then left as it was.
    public func nextFrame(_ buffer: inout ByteBuffer) throws -> (code: UInt8, data: ByteBuffer)? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        if length == 0 { throw MilterCodecError.emptyFrame }
        if UInt64(length) > UInt64(limits.maxFrameLength) {
            throw MilterCodecError.frameTooLong(length: length, limit: limits.maxFrameLength)
        }
        let total = 4 + Int(length)
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let code = buffer.readInteger(as: UInt8.self), let data = buffer.readSlice(length: Int(length) - 1) else {
            return nil
        }
        return (code, data)
    }
}

/// Field readers over one frame's data. Every read is bounded by the frame.
struct FieldReader {
    var data: ByteBuffer
    let code: UInt8
    let limits: MilterLimits

    mutating func uint32(_ field: String) throws -> UInt32 {
        guard let v = data.readInteger(endianness: .big, as: UInt32.self) else {
            throw MilterCodecError.truncated(code: code, field: field)
        }
        return v
    }
    mutating func uint16(_ field: String) throws -> UInt16 {
        guard let v = data.readInteger(endianness: .big, as: UInt16.self) else {
            throw MilterCodecError.truncated(code: code, field: field)
        }
        return v
    }
    mutating func byte(_ field: String) throws -> UInt8 {
        guard let v = data.readInteger(as: UInt8.self) else {
            throw MilterCodecError.truncated(code: code, field: field)
        }
        return v
    }
    /// Bytes up to (not including) the next NUL, which is consumed.
    mutating func cBytes(_ field: String) throws -> [UInt8] {
        let view = data.readableBytesView
        guard let nul = view.firstIndex(of: 0) else { throw MilterCodecError.truncated(code: code, field: field) }
        let n = nul - view.startIndex
        guard let bytes = data.readBytes(length: n) else { throw MilterCodecError.truncated(code: code, field: field) }
        data.moveReaderIndex(forwardBy: 1)
        return bytes
    }
    mutating func cString(_ field: String) throws -> String {
        try utf8(try cBytes(field), field)
    }
    /// A string that need not be UTF-8 (macro values, host names): invalid bytes are replaced.
    mutating func lenientCString(_ field: String) throws -> String {
        String(decoding: try cBytes(field), as: UTF8.self)
    }
    func utf8(_ bytes: [UInt8], _ field: String) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw MilterCodecError.invalidUTF8(code: code, field: field)
        }
        return s
    }
    /// NUL-terminated strings until the data ends.
    mutating func cStrings(_ field: String, lenient: Bool = false) throws -> [String] {
        var out: [String] = []
        while data.readableBytes > 0 {
            if out.count >= limits.maxStrings {
                throw MilterCodecError.invalidField(
                    code: code, field: "\(field) (more than \(limits.maxStrings) strings)")
            }
            out.append(lenient ? try lenientCString(field) : try cString(field))
        }
        return out
    }
    mutating func rest() -> [UInt8] { data.readBytes(length: data.readableBytes) ?? [] }
    func end() throws {
        if data.readableBytes > 0 { throw MilterCodecError.trailingBytes(code: code, count: data.readableBytes) }
    }
}

extension MilterCommand {
    /// Parses one command frame (`code`, `data` from `MilterFrameReader`).
    public static func decode(code: UInt8, data: ByteBuffer, limits: MilterLimits = .default) throws -> MilterCommand {
        guard let c = CommandCode(rawValue: code) else { throw MilterCodecError.unknownCode(code) }
        var r = FieldReader(data: data, code: code, limits: limits)
        let cmd: MilterCommand
        switch c {
        case .optionNegotiation:
            let v = try r.uint32("version"), a = try r.uint32("actions"), p = try r.uint32("protocol")
            cmd = .optionNegotiation(
                OptionNegotiation(
                    version: v, actions: ActionFlags(rawValue: a), protocolFlags: ProtocolFlags(rawValue: p)))
        case .macro:
            let stage = try r.byte("macro stage")
            let strings = try r.cStrings("macro", lenient: true)
            // Pairs of name and value; libmilter ignores an odd trailing name, and so do we.
            var macros: [Macro] = []
            var i = 0
            while i + 1 < strings.count {
                macros.append(Macro(strings[i], strings[i + 1]))
                i += 2
            }
            cmd = .macro(stage: stage, macros: macros)
        case .connect:
            let host = try r.lenientCString("hostname")
            let family = try r.byte("address family")
            switch family {
            case UInt8(ascii: "U"): cmd = .connect(hostname: host, address: .unknown)
            case UInt8(ascii: "L"):
                _ = try r.uint16("port")
                cmd = .connect(hostname: host, address: .unix(path: try r.lenientCString("address")))
            case UInt8(ascii: "4"):
                let port = try r.uint16("port")
                cmd = .connect(hostname: host, address: .inet(address: try r.cString("address"), port: port))
            case UInt8(ascii: "6"):
                let port = try r.uint16("port")
                cmd = .connect(hostname: host, address: .inet6(address: try r.cString("address"), port: port))
            default:
                throw MilterCodecError.invalidField(code: code, field: "address family 0x\(String(family, radix: 16))")
            }
        case .helo: cmd = .helo(try r.lenientCString("helo name"))
        case .mail:
            let args = try r.cStrings("MAIL argument")
            if args.isEmpty { throw MilterCodecError.truncated(code: code, field: "sender address") }
            cmd = .mail(arguments: args)
        case .recipient:
            let args = try r.cStrings("RCPT argument")
            if args.isEmpty { throw MilterCodecError.truncated(code: code, field: "recipient address") }
            cmd = .recipient(arguments: args)
        case .data: cmd = .data
        case .header:
            let name = try r.cBytes("header name"), value = try r.cBytes("header value")
            cmd = .header(name: name, value: value)
        case .endOfHeaders: cmd = .endOfHeaders
        case .body: return .body(r.rest())
        case .endOfBody: return .endOfBody(r.rest())
        case .abort: cmd = .abort
        case .quit: cmd = .quit
        case .quitNewConnection: cmd = .quitNewConnection
        case .unknown: cmd = .unknown(try r.cBytes("command line"))
        }
        try r.end()
        return cmd
    }

    /// The whole frame (length, letter, data).
    public func encode(into buffer: inout ByteBuffer) throws {
        try Frame.write(code.rawValue, into: &buffer) { d in
            switch self {
            case .optionNegotiation(let o):
                d.writeInteger(o.version, endianness: .big)
                d.writeInteger(o.actions.rawValue, endianness: .big)
                d.writeInteger(o.protocolFlags.rawValue, endianness: .big)
            case .macro(let stage, let macros):
                d.writeInteger(stage)
                for m in macros {
                    try Frame.cString(m.name, &d, code.rawValue)
                    try Frame.cString(m.value, &d, code.rawValue)
                }
            case .connect(let host, let address):
                try Frame.cString(host, &d, code.rawValue)
                switch address {
                case .unknown: d.writeInteger(UInt8(ascii: "U"))
                case .unix(let path):
                    d.writeInteger(UInt8(ascii: "L"))
                    d.writeInteger(UInt16(0), endianness: .big)
                    try Frame.cString(path, &d, code.rawValue)
                case .inet(let a, let p):
                    d.writeInteger(UInt8(ascii: "4"))
                    d.writeInteger(p, endianness: .big)
                    try Frame.cString(a, &d, code.rawValue)
                case .inet6(let a, let p):
                    d.writeInteger(UInt8(ascii: "6"))
                    d.writeInteger(p, endianness: .big)
                    try Frame.cString(a, &d, code.rawValue)
                }
            case .helo(let s): try Frame.cString(s, &d, code.rawValue)
            case .mail(let args), .recipient(let args): for a in args { try Frame.cString(a, &d, code.rawValue) }
            case .header(let n, let v):
                try Frame.cBytes(n, &d, code.rawValue)
                try Frame.cBytes(v, &d, code.rawValue)
            case .body(let b), .endOfBody(let b): d.writeBytes(b)
            case .unknown(let line): try Frame.cBytes(line, &d, code.rawValue)
            case .data, .endOfHeaders, .abort, .quit, .quitNewConnection: break
            }
        }
    }
}

extension MilterResponse {
    /// Parses one response frame (a client's view: tests, the health check, the load generator).
    public static func decode(code: UInt8, data: ByteBuffer, limits: MilterLimits = .default) throws -> MilterResponse {
        guard let c = ResponseCode(rawValue: code) else { throw MilterCodecError.unknownCode(code) }
        var r = FieldReader(data: data, code: code, limits: limits)
        let resp: MilterResponse
        switch c {
        case .optionNegotiation:
            let v = try r.uint32("version"), a = try r.uint32("actions"), p = try r.uint32("protocol")
            resp = .optionNegotiation(
                OptionNegotiation(
                    version: v, actions: ActionFlags(rawValue: a), protocolFlags: ProtocolFlags(rawValue: p)))
        case .accept: resp = .accept
        case .continue: resp = .continue
        case .reject: resp = .reject
        case .tempfail: resp = .tempfail
        case .discard: resp = .discard
        case .connectionFailure: resp = .connectionFailure
        case .shutdown: resp = .shutdown
        case .skip: resp = .skip
        case .progress: resp = .progress
        case .replyCode: resp = .replyCode(try r.cString("reply"))
        case .addHeader: resp = .addHeader(name: try r.cString("header name"), value: try r.cString("header value"))
        case .insertHeader:
            let i = try r.uint32("index")
            resp = .insertHeader(index: i, name: try r.cString("header name"), value: try r.cString("header value"))
        case .changeHeader:
            let i = try r.uint32("index")
            resp = .changeHeader(index: i, name: try r.cString("header name"), value: try r.cString("header value"))
        case .addRecipient: resp = .addRecipient(try r.cString("recipient"))
        case .addRecipientWithArgs:
            let rc = try r.cString("recipient")
            resp = .addRecipientWithArgs(rc, arguments: r.data.readableBytes > 0 ? try r.cString("arguments") : "")
        case .deleteRecipient: resp = .deleteRecipient(try r.cBytes("recipient"))
        case .changeFrom:
            let f = try r.cString("sender")
            resp = .changeFrom(f, arguments: r.data.readableBytes > 0 ? try r.cString("arguments") : nil)
        case .replaceBody: return .replaceBody(r.rest())
        case .quarantine: resp = .quarantine(reason: try r.cString("reason"))
        case .setSymbolList:
            let stage = try r.uint32("stage")
            resp = .setSymbolList(stage: stage, macros: try r.cString("macros"))
        }
        try r.end()
        return resp
    }

    /// The whole frame (length, letter, data).
    public func encode(into buffer: inout ByteBuffer) throws {
        let c = code.rawValue
        try Frame.write(c, into: &buffer) { d in
            switch self {
            case .optionNegotiation(let o):
                d.writeInteger(o.version, endianness: .big)
                d.writeInteger(o.actions.rawValue, endianness: .big)
                d.writeInteger(o.protocolFlags.rawValue, endianness: .big)
            case .accept, .continue, .reject, .tempfail, .discard, .connectionFailure, .shutdown, .skip, .progress:
                break
            case .replyCode(let s): try Frame.cString(s, &d, c)
            case .addHeader(let n, let v):
                try Frame.cString(n, &d, c)
                try Frame.cString(v, &d, c)
            case .insertHeader(let i, let n, let v), .changeHeader(let i, let n, let v):
                d.writeInteger(i, endianness: .big)
                try Frame.cString(n, &d, c)
                try Frame.cString(v, &d, c)
            case .addRecipient(let r): try Frame.cString(r, &d, c)
            case .addRecipientWithArgs(let r, let a):
                try Frame.cString(r, &d, c)
                try Frame.cString(a, &d, c)
            case .deleteRecipient(let r): try Frame.cBytes(r, &d, c)
            case .changeFrom(let f, let a):
                try Frame.cString(f, &d, c)
                if let a { try Frame.cString(a, &d, c) }
            case .replaceBody(let b): d.writeBytes(b)
            case .quarantine(let r): try Frame.cString(r, &d, c)
            case .setSymbolList(let s, let m):
                d.writeInteger(s, endianness: .big)
                try Frame.cString(m, &d, c)
            }
        }
    }
}

enum Frame {
    /// Writes length + code + data; the data is built in place and the length patched after.
    static func write(_ code: UInt8, into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws -> Void) throws {
        let lengthAt = buffer.writerIndex
        buffer.writeInteger(UInt32(0), endianness: .big)
        buffer.writeInteger(code)
        try body(&buffer)
        let length = buffer.writerIndex - lengthAt - 4
        guard length <= Int(UInt32.max) else { throw MilterCodecError.invalidField(code: code, field: "length") }
        buffer.setInteger(UInt32(length), at: lengthAt, endianness: .big)
    }
    static func cString(_ s: String, _ d: inout ByteBuffer, _ code: UInt8) throws {
        try cBytes(Array(s.utf8), &d, code)
    }
    static func cBytes(_ b: [UInt8], _ d: inout ByteBuffer, _ code: UInt8) throws {
        if b.contains(0) { throw MilterCodecError.invalidField(code: code, field: "string with an embedded NUL") }
        d.writeBytes(b)
        d.writeInteger(UInt8(0))
    }
}

/// NIO adapter for the MTA side of a connection: bytes in, `MilterCommand`s out. Pure (no I/O):
/// a malformed frame throws, and the server closes the connection.
public struct MilterCommandDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MilterCommand
    let reader: MilterFrameReader
    public init(limits: MilterLimits = .default) { reader = MilterFrameReader(limits: limits) }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let (code, data) = try reader.nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(
            Self.wrapInboundOut(try MilterCommand.decode(code: code, data: data, limits: reader.limits)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 { throw MilterCodecError.truncatedAtEOF(buffered: buffer.readableBytes) }
        return .needMoreData
    }
}

/// NIO adapter: `MilterResponse` out as bytes.
public struct MilterResponseEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MilterResponse
    public init() {}
    public func encode(data: MilterResponse, out: inout ByteBuffer) throws { try data.encode(into: &out) }
}

/// Parses a whole byte string as a sequence of commands (the fuzz target's and tests' entry
/// point): the commands decoded before the first error, and that error.
public func decodeCommands(_ bytes: [UInt8], limits: MilterLimits = .default) -> (
    commands: [MilterCommand], error: MilterCodecError?
) {
    var buffer = ByteBuffer(bytes: bytes)
    let reader = MilterFrameReader(limits: limits)
    var out: [MilterCommand] = []
    do {
        while let (code, data) = try reader.nextFrame(&buffer) {
            out.append(try MilterCommand.decode(code: code, data: data, limits: limits))
        }
        if buffer.readableBytes > 0 { return (out, .truncatedAtEOF(buffered: buffer.readableBytes)) }
        return (out, nil)
    } catch let e as MilterCodecError {
        return (out, e)
    } catch {
        return (out, .invalidField(code: 0, field: "\(error)"))
    }
}

/// NIO adapter for the client side (health check, load generator, tests): bytes in,
/// `MilterResponse`s out.
public struct MilterResponseDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MilterResponse
    let reader: MilterFrameReader
    public init(limits: MilterLimits = .default) { reader = MilterFrameReader(limits: limits) }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let (code, data) = try reader.nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(
            Self.wrapInboundOut(try MilterResponse.decode(code: code, data: data, limits: reader.limits)))
        return .continue
    }
}

/// NIO adapter: `MilterCommand` out as bytes (client side).
public struct MilterCommandEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MilterCommand
    public init() {}
    public func encode(data: MilterCommand, out: inout ByteBuffer) throws { try data.encode(into: &out) }
}
