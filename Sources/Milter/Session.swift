import MilterCodec

/// What the session needs from the server after a command.
public enum SessionStep: Sendable, Equatable {
    /// Send these responses (possibly none: macros, abort, steps negotiated as no-reply).
    case reply([MilterResponse])
    /// End of message: decide on `EndOfMessage`, then reply.
    case endOfMessage
    /// Close the connection (quit).
    case close
}

/// A protocol violation the session refuses (the server closes the connection).
public struct SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}

/// One recipient as the MTA gave it: the raw RCPT argument (for an exact SMFIR_DELRCPT) and the
/// bare address the engine sees.
public struct EnvelopeRecipient: Sendable, Hashable {
    public var raw: [UInt8]
    public var address: String
}

/// The protocol state of one milter connection, with no I/O: commands in, steps out. The
/// message bytes go to a `MessageSpool` the caller owns.
public struct MilterSession: Sendable {
    /// What pmark asks of the MTA: add the tag header, remove blocked recipients, hold messages.
    public static let wantedActions: ActionFlags = [.addHeaders, .deleteRecipients, .quarantine]
    /// Steps pmark does not need (HELO, DATA, unknown commands) and replies it can skip, when the
    /// MTA offers to leave them out; header values with their leading space kept as sent, so the
    /// message is rebuilt byte for byte. pmark decides at end of message only, so it answers no
    /// step before it (SMFIP_NR_CONN/HELO/MAIL/RCPT/DATA/HDR/EOH/BODY/UNKN): each reply it skips is
    /// a round trip the MTA's smtpd does not wait for (three per message for connect, MAIL and
    /// RCPT). End of message has no no-reply flag, so reject, tempfail, quarantine and recipient
    /// removal are unaffected. Only flags the MTA offers are taken (Sendmail 8.13 offers none).
    public static let wantedProtocol: ProtocolFlags = [
        .noHelo, .noUnknown, .noData, .noReplyConnect, .noReplyMail, .noReplyRecipient,
        .noReplyHeader, .noReplyEndOfHeaders, .noReplyBody, .noReplyData, .noReplyUnknown,
        .noReplyHelo, .headerLeadingSpace,
    ]

    public private(set) var negotiated: OptionNegotiation?
    /// Macros by name without braces (`i`, `auth_authen`, `daemon_name`); the latest value wins.
    public private(set) var macros: [String: String] = [:]
    public private(set) var clientAddress: String?
    public private(set) var clientHostname: String?
    public private(set) var mailFrom: String?
    public private(set) var recipients: [EnvelopeRecipient] = []
    /// Whether a MAIL command started a message not yet ended or aborted.
    public private(set) var inMessage = false
    /// Headers seen (for the spool's header block); true after end of headers.
    public private(set) var headersEnded = false

    public init() {}

    var protocolFlags: ProtocolFlags { negotiated?.protocolFlags ?? [] }
    var actions: ActionFlags { negotiated?.actions ?? [] }
    public var canDeleteRecipients: Bool { actions.contains(.deleteRecipients) }
    public var canQuarantine: Bool { actions.contains(.quarantine) }
    public var canAddHeaders: Bool { actions.contains(.addHeaders) }
    /// Header values travel with their leading space, in both directions.
    public var headerLeadingSpace: Bool { protocolFlags.contains(.headerLeadingSpace) }

    func reply(unless noReply: ProtocolFlags) -> SessionStep {
        protocolFlags.contains(noReply) ? .reply([]) : .reply([.continue])
    }

    /// Strips the angle brackets of an SMTP path (`<a@b>` → `a@b`).
    static func bareAddress(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f == " " { t = t.dropFirst() }
        if t.hasPrefix("<"), t.hasSuffix(">"), t.count >= 2 { t = t.dropFirst().dropLast() }
        return String(t)
    }

    /// Forgets the message. Its macros go too, unless `keepingMacros` (MAIL: the MTA sends the
    /// MAIL-stage macros, `{auth_authen}` and `i` among them, just before the command).
    mutating func resetMessage(keepingMacros: Bool = false) {
        mailFrom = nil
        recipients = []
        inMessage = false
        headersEnded = false
        if !keepingMacros { for k in Self.messageMacros { macros[k] = nil } }
    }
    static let messageMacros = [
        "i", "auth_authen", "auth_type", "auth_author", "auth_ssf", "mail_addr", "mail_host", "mail_mailer",
        "rcpt_addr", "rcpt_host", "rcpt_mailer", "msg_id",
    ]

    /// Applies one command. `spool` receives the header and body bytes.
    public mutating func handle(_ command: MilterCommand, spool: MessageSpool) throws -> SessionStep {
        if negotiated == nil, command.code != .optionNegotiation, command.code != .quit {
            throw SessionError(description: "milter command '\(command.code)' before option negotiation")
        }
        switch command {
        case .optionNegotiation(let offer):
            guard offer.version >= 2 else {
                throw SessionError(
                    description: "MTA speaks milter protocol version \(offer.version); pmark needs 2 or later")
            }
            let agreed = OptionNegotiation(
                version: min(offer.version, Milter.protocolVersion),
                actions: ActionFlags(rawValue: offer.actions.rawValue & Self.wantedActions.rawValue),
                protocolFlags: ProtocolFlags(rawValue: offer.protocolFlags.rawValue & Self.wantedProtocol.rawValue))
            negotiated = agreed
            return .reply([.optionNegotiation(agreed)])
        case .macro(_, let ms):
            for m in ms {
                var n = Substring(m.name)
                if n.hasPrefix("{"), n.hasSuffix("}"), n.count >= 2 { n = n.dropFirst().dropLast() }
                macros[String(n)] = m.value
            }
            return .reply([])
        case .connect(let host, let address):
            clientHostname = host
            switch address {
            case .inet(let a, _), .inet6(let a, _): clientAddress = a
            case .unix, .unknown: clientAddress = nil
            }
            return reply(unless: .noReplyConnect)
        case .helo: return reply(unless: .noReplyHelo)
        case .mail(let args):
            resetMessage(keepingMacros: true)
            spool.reset()
            inMessage = true
            mailFrom = Self.bareAddress(args[0])
            return reply(unless: .noReplyMail)
        case .recipient(let args):
            guard inMessage else { throw SessionError(description: "RCPT outside a transaction") }
            recipients.append(EnvelopeRecipient(raw: Array(args[0].utf8), address: Self.bareAddress(args[0])))
            return reply(unless: .noReplyRecipient)
        case .data: return reply(unless: .noReplyData)
        case .header(let name, let value):
            guard inMessage else { throw SessionError(description: "header outside a transaction") }
            try spool.appendHeader(
                name: name, value: value, leadingSpaceKept: protocolFlags.contains(.headerLeadingSpace))
            return reply(unless: .noReplyHeader)
        case .endOfHeaders:
            guard inMessage else { throw SessionError(description: "end of headers outside a transaction") }
            headersEnded = true
            try spool.append([13, 10])
            return reply(unless: .noReplyEndOfHeaders)
        case .body(let chunk):
            guard inMessage else { throw SessionError(description: "body outside a transaction") }
            if !headersEnded {
                headersEnded = true
                try spool.append([13, 10])
            }
            try spool.append(chunk)
            return reply(unless: .noReplyBody)
        case .endOfBody(let chunk):
            guard inMessage else { throw SessionError(description: "end of message outside a transaction") }
            if !headersEnded {
                headersEnded = true
                try spool.append([13, 10])
            }
            if !chunk.isEmpty { try spool.append(chunk) }
            return .endOfMessage
        case .abort:
            resetMessage()
            spool.reset()
            return .reply([])
        case .unknown: return reply(unless: .noReplyUnknown)
        case .quit: return .close
        case .quitNewConnection:
            // A new SMTP connection follows on this milter connection: forget the client.
            resetMessage()
            spool.reset()
            macros = [:]
            clientAddress = nil
            clientHostname = nil
            return .reply([])
        }
    }

    /// Called after the end-of-message reply: the next message may follow on this connection.
    public mutating func messageDone(spool: MessageSpool) {
        resetMessage()
        spool.reset()
    }
}
