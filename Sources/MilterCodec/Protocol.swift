/// Milter protocol version 6 as Sendmail's libmilter (`mfdef.h`, `mfapi.h`) and Postfix
/// (`MILTER_README`, `milter8.c`) speak it.
///
/// A frame is a 4-byte big-endian length (counting the command byte and the data), one command
/// or response byte, then the data. Strings are NUL-terminated; integers are 32-bit big-endian.
public enum Milter {
    /// The protocol version pmark speaks (SMFI_PROT_VERSION).
    public static let protocolVersion: UInt32 = 6
    /// Size of a body chunk the MTA sends (MILTER_CHUNK_SIZE).
    public static let chunkSize = 65535
}

/// Command letters the MTA sends (SMFIC_*).
public enum CommandCode: UInt8, Sendable, CaseIterable {
    case abort = 0x41  // 'A' SMFIC_ABORT
    case body = 0x42  // 'B' SMFIC_BODY
    case connect = 0x43  // 'C' SMFIC_CONNECT
    case macro = 0x44  // 'D' SMFIC_MACRO
    case endOfBody = 0x45  // 'E' SMFIC_BODYEOB
    case helo = 0x48  // 'H' SMFIC_HELO
    case quitNewConnection = 0x4B  // 'K' SMFIC_QUIT_NC
    case header = 0x4C  // 'L' SMFIC_HEADER
    case mail = 0x4D  // 'M' SMFIC_MAIL
    case endOfHeaders = 0x4E  // 'N' SMFIC_EOH
    case optionNegotiation = 0x4F  // 'O' SMFIC_OPTNEG
    case quit = 0x51  // 'Q' SMFIC_QUIT
    case recipient = 0x52  // 'R' SMFIC_RCPT
    case data = 0x54  // 'T' SMFIC_DATA
    case unknown = 0x55  // 'U' SMFIC_UNKNOWN
}

/// Response letters the filter sends (SMFIR_*).
public enum ResponseCode: UInt8, Sendable, CaseIterable {
    case addRecipient = 0x2B  // '+' SMFIR_ADDRCPT
    case deleteRecipient = 0x2D  // '-' SMFIR_DELRCPT
    case addRecipientWithArgs = 0x32  // '2' SMFIR_ADDRCPT_PAR
    case shutdown = 0x34  // '4' SMFIR_SHUTDOWN
    case accept = 0x61  // 'a' SMFIR_ACCEPT
    case replaceBody = 0x62  // 'b' SMFIR_REPLBODY
    case `continue` = 0x63  // 'c' SMFIR_CONTINUE
    case discard = 0x64  // 'd' SMFIR_DISCARD
    case changeFrom = 0x65  // 'e' SMFIR_CHGFROM
    case connectionFailure = 0x66  // 'f' SMFIR_CONN_FAIL
    case addHeader = 0x68  // 'h' SMFIR_ADDHEADER
    case insertHeader = 0x69  // 'i' SMFIR_INSHEADER
    case setSymbolList = 0x6C  // 'l' SMFIR_SETSYMLIST
    case changeHeader = 0x6D  // 'm' SMFIR_CHGHEADER
    case progress = 0x70  // 'p' SMFIR_PROGRESS
    case quarantine = 0x71  // 'q' SMFIR_QUARANTINE
    case reject = 0x72  // 'r' SMFIR_REJECT
    case skip = 0x73  // 's' SMFIR_SKIP
    case tempfail = 0x74  // 't' SMFIR_TEMPFAIL
    case replyCode = 0x79  // 'y' SMFIR_REPLYCODE
    /// SMFIR_OPTNEG shares the command's letter 'O'.
    case optionNegotiation = 0x4F
}

/// What the filter may do at end of message (SMFIF_*).
public struct ActionFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let addHeaders = ActionFlags(rawValue: 0x01)
    public static let changeBody = ActionFlags(rawValue: 0x02)
    public static let addRecipients = ActionFlags(rawValue: 0x04)
    public static let deleteRecipients = ActionFlags(rawValue: 0x08)
    public static let changeHeaders = ActionFlags(rawValue: 0x10)
    public static let quarantine = ActionFlags(rawValue: 0x20)
    public static let changeFrom = ActionFlags(rawValue: 0x40)
    public static let addRecipientsWithArgs = ActionFlags(rawValue: 0x80)
    public static let setSymbolList = ActionFlags(rawValue: 0x100)
}

/// Which protocol steps the MTA sends and which need no reply (SMFIP_*).
public struct ProtocolFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let noConnect = ProtocolFlags(rawValue: 0x1)
    public static let noHelo = ProtocolFlags(rawValue: 0x2)
    public static let noMail = ProtocolFlags(rawValue: 0x4)
    public static let noRecipient = ProtocolFlags(rawValue: 0x8)
    public static let noBody = ProtocolFlags(rawValue: 0x10)
    public static let noHeaders = ProtocolFlags(rawValue: 0x20)
    public static let noEndOfHeaders = ProtocolFlags(rawValue: 0x40)
    public static let noReplyHeader = ProtocolFlags(rawValue: 0x80)
    public static let noUnknown = ProtocolFlags(rawValue: 0x100)
    public static let noData = ProtocolFlags(rawValue: 0x200)
    public static let skip = ProtocolFlags(rawValue: 0x400)
    public static let rejectedRecipients = ProtocolFlags(rawValue: 0x800)
    public static let noReplyConnect = ProtocolFlags(rawValue: 0x1000)
    public static let noReplyHelo = ProtocolFlags(rawValue: 0x2000)
    public static let noReplyMail = ProtocolFlags(rawValue: 0x4000)
    public static let noReplyRecipient = ProtocolFlags(rawValue: 0x8000)
    public static let noReplyData = ProtocolFlags(rawValue: 0x10000)
    public static let noReplyUnknown = ProtocolFlags(rawValue: 0x20000)
    public static let noReplyEndOfHeaders = ProtocolFlags(rawValue: 0x40000)
    public static let noReplyBody = ProtocolFlags(rawValue: 0x80000)
    /// Header values keep their leading space (the byte after the colon is sent as is).
    public static let headerLeadingSpace = ProtocolFlags(rawValue: 0x100000)
    public static let maxDataSize256K = ProtocolFlags(rawValue: 0x10000000)
    public static let maxDataSize1M = ProtocolFlags(rawValue: 0x20000000)
}

/// SMFIC_OPTNEG in both directions: version, actions, protocol steps.
public struct OptionNegotiation: Sendable, Hashable {
    public var version: UInt32
    public var actions: ActionFlags
    public var protocolFlags: ProtocolFlags
    public init(version: UInt32, actions: ActionFlags, protocolFlags: ProtocolFlags) {
        self.version = version
        self.actions = actions
        self.protocolFlags = protocolFlags
    }
}

/// The client socket of SMFIC_CONNECT (SMFIA_*).
public enum ConnectAddress: Sendable, Hashable {
    case unknown  // 'U': no address follows
    case unix(path: String)  // 'L'
    case inet(address: String, port: UInt16)  // '4'
    case inet6(address: String, port: UInt16)  // '6'
}

/// One macro definition (`{name}` or a single letter) and its value.
public struct Macro: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A command from the MTA, typed.
public enum MilterCommand: Sendable, Hashable {
    case optionNegotiation(OptionNegotiation)
    /// Macros for the command letter `stage` that follows (e.g. 'C', 'M', 'R', 'E').
    case macro(stage: UInt8, macros: [Macro])
    case connect(hostname: String, address: ConnectAddress)
    case helo(String)
    /// The address (`<a@b>`) then ESMTP arguments.
    case mail(arguments: [String])
    case recipient(arguments: [String])
    case data
    /// Raw bytes: header fields may carry 8-bit data, kept exactly.
    case header(name: [UInt8], value: [UInt8])
    case endOfHeaders
    case body([UInt8])
    /// End of message; Sendmail may carry a last body chunk here.
    case endOfBody([UInt8])
    case abort
    case quit
    case quitNewConnection
    /// An SMTP command the MTA did not recognise (the whole line).
    case unknown([UInt8])

    public var code: CommandCode {
        switch self {
        case .optionNegotiation: .optionNegotiation
        case .macro: .macro
        case .connect: .connect
        case .helo: .helo
        case .mail: .mail
        case .recipient: .recipient
        case .data: .data
        case .header: .header
        case .endOfHeaders: .endOfHeaders
        case .body: .body
        case .endOfBody: .endOfBody
        case .abort: .abort
        case .quit: .quit
        case .quitNewConnection: .quitNewConnection
        case .unknown: .unknown
        }
    }
}

/// A response from the filter, typed.
public enum MilterResponse: Sendable, Hashable {
    case optionNegotiation(OptionNegotiation)
    case accept
    case `continue`
    case reject
    case tempfail
    case discard
    case connectionFailure
    case shutdown
    case skip
    case progress
    /// A full SMTP reply: `550 5.7.1 text`.
    case replyCode(String)
    case addHeader(name: String, value: String)
    case insertHeader(index: UInt32, name: String, value: String)
    case changeHeader(index: UInt32, name: String, value: String)
    case addRecipient(String)
    case addRecipientWithArgs(String, arguments: String)
    /// The recipient exactly as the MTA gave it in RCPT (raw bytes, so it always matches).
    case deleteRecipient([UInt8])
    case changeFrom(String, arguments: String?)
    case replaceBody([UInt8])
    case quarantine(reason: String)
    case setSymbolList(stage: UInt32, macros: String)

    public var code: ResponseCode {
        switch self {
        case .optionNegotiation: .optionNegotiation
        case .accept: .accept
        case .continue: .continue
        case .reject: .reject
        case .tempfail: .tempfail
        case .discard: .discard
        case .connectionFailure: .connectionFailure
        case .shutdown: .shutdown
        case .skip: .skip
        case .progress: .progress
        case .replyCode: .replyCode
        case .addHeader: .addHeader
        case .insertHeader: .insertHeader
        case .changeHeader: .changeHeader
        case .addRecipient: .addRecipient
        case .addRecipientWithArgs: .addRecipientWithArgs
        case .deleteRecipient: .deleteRecipient
        case .changeFrom: .changeFrom
        case .replaceBody: .replaceBody
        case .quarantine: .quarantine
        case .setSymbolList: .setSymbolList
        }
    }

    /// Whether this response ends the MTA's wait for the current command (the modification
    /// actions at end of message do not).
    public var isFinal: Bool {
        switch self {
        case .addHeader, .insertHeader, .changeHeader, .addRecipient, .addRecipientWithArgs, .deleteRecipient,
            .changeFrom, .replaceBody, .quarantine, .progress, .setSymbolList:
            false
        default: true
        }
    }
}
