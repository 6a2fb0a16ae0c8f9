import DecisionEngine
import Foundation
import GRDB
import PolicyLanguage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Recipient and sender notices (NZISM 15.2.41.C.02 [CID:1765], 15.2.42.C.01 [CID:1768]): the
/// policy's generic texts — never the marking, the rule or the subject — as a plain-text MIME
/// message submitted through the MTA's `sendmail` from the null sender (so a notice never
/// bounces back into a loop), rate-limited per addressee, and every one recorded as an event.
public struct NoticeSettings: Sendable, Hashable {
    public var mta: MTA
    /// The notices' From address (e.g. `postmaster@agency.govt.nz`).
    public var from: String
    public var recipientText: String
    public var senderText: String
    /// At most this many notices to one address per `window` seconds; more are recorded as
    /// `notice-suppressed` (a flood of held mail must not become a flood of notices).
    public var maxPerAddress: Int
    public var window: Double

    public init(policy: Policy, mta: MTA, from: String? = nil, maxPerAddress: Int = 5, window: Double = 3600) {
        self.mta = mta
        self.from = from ?? "postmaster@\(policy.domains.first ?? "localhost")"
        recipientText = policy.notice(.recipientNotice)
        senderText = policy.notice(.senderNotice)
        self.maxPerAddress = maxPerAddress
        self.window = window
    }
}

public enum NoticeKind: String, Sendable {
    case recipient, sender
    var subject: String {
        self == .recipient ? "A message addressed to you was held" : "Your message was not delivered"
    }
}

/// Builds the notice message (RFC 5322 + MIME, CRLF line ends, quoted-printable UTF-8 body).
public enum NoticeMessage {
    public static func build(
        kind: NoticeKind, to: String, from: String, text: String, decisionID: Int64, decidedAt: Int64, now: Int64
    ) -> [UInt8] {
        let host = from.split(separator: "@").last.map(String.init) ?? "localhost"
        var body = text + "\n\n"
        body +=
            kind == .recipient
            ? "The message was received at \(isoTime(decidedAt)).\n"
            : "Your message was received at \(isoTime(decidedAt)).\n"
        body += "Reference: \(decisionID) (quote it to your email administrator).\n"
        var h = ""
        h += "From: Email gateway <\(from)>\r\n"
        h += "To: <\(to)>\r\n"
        h += "Subject: \(kind.subject)\r\n"
        h += "Date: \(rfc5322Date(now))\r\n"
        h +=
            "Message-ID: <pmark-notice.\(decisionID).\(kind.rawValue).\(UInt32.random(in: 0...UInt32.max))@\(host)>\r\n"
        h += "Auto-Submitted: auto-generated\r\n"
        h += "MIME-Version: 1.0\r\n"
        h += "Content-Type: text/plain; charset=utf-8\r\n"
        h += "Content-Transfer-Encoding: quoted-printable\r\n"
        return Array((h + "\r\n").utf8) + quotedPrintable(body)
    }

    static func quotedPrintable(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) {
            var col = 0
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let plain = (b >= 33 && b <= 126 && b != 61) || ((b == 32 || b == 9) && !last)
                let piece: [UInt8] = plain ? [b] : [61, hex[Int(b >> 4)], hex[Int(b & 15)]]
                if col + piece.count > 75 {
                    out += [61, 13, 10]
                    col = 0
                }
                out += piece
                col += piece.count
            }
            out += [13, 10]
        }
        return out
    }

    static func rfc5322Date(_ us: Int64) -> String {
        var t = time_t(us / 1_000_000)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
            months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func p(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            """
            \(days[Int(tmv.tm_wday) % 7]), \(tmv.tm_mday) \(months[Int(tmv.tm_mon) % 12]) \(tmv.tm_year + 1900) \
            \(p(tmv.tm_hour)):\(p(tmv.tm_min)):\(p(tmv.tm_sec)) +0000
            """
    }
}

extension AuditStore {
    /// The notices a decision asks for: a recipient notice to each held or blocked recipient
    /// when the verdict says so (inbound), a sender notice when the verdict says the sender is
    /// verified — never to the null sender and never about an auto-submitted message (RFC 3834).
    public static func noticeTargets(for event: DecisionEvent) -> [(NoticeKind, String)] {
        let v = event.verdict
        var out: [(NoticeKind, String)] = []
        if v.notifyRecipients {
            let held = v.messageAction == .quarantine
            var seen = Set<String>()
            for d in v.decisions where held || d.action == .block || d.action == .quarantine {
                for r in d.recipients where r != "(no recipients)" && seen.insert(r.lowercased()).inserted {
                    out.append((.recipient, r))
                }
            }
        }
        let sender = event.envelope.mailFrom?.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) ?? ""
        let auto = HeaderPeek(event.messageBytes).autoSubmitted
        if v.notifySender, !sender.isEmpty, auto == nil || auto == "no" { out.append((.sender, sender)) }
        return out
    }

    func scheduleNotices(for event: DecisionEvent, decisionID: Int64) {
        guard let settings = options.notices else { return }
        let targets = Self.noticeTargets(for: event)
        guard !targets.isEmpty else { return }
        let decidedAt = Int64((event.unixTime * 1_000_000).rounded())
        noticeQueue.async {
            for (kind, address) in targets {
                _ = try? self.sendNotice(
                    kind: kind, to: address, decisionID: decisionID, decidedAt: decidedAt, settings: settings)
            }
        }
    }

    /// Waits until every notice scheduled so far has been sent (or suppressed) and recorded.
    public func waitForNotices() { noticeQueue.sync {} }

    /// Outcome of one notice.
    public enum NoticeOutcome: String, Sendable { case sent, suppressed, failed }

    /// Sends one notice unless the address has had `maxPerAddress` within the window; records
    /// `notice`, `notice-suppressed` or `notice-failed`.
    @discardableResult
    public func sendNotice(
        kind: NoticeKind, to address: String, decisionID: Int64, decidedAt: Int64, settings: NoticeSettings
    ) throws -> NoticeOutcome {
        let key = addressKey(address)
        let now = nowMicroseconds()
        let since = now - Int64(settings.window * 1_000_000)
        let base = EventContent(
            timeUS: now, kind: "notice", decisionID: decisionID, actor: "pmark", reason: "\(kind.rawValue) notice",
            detail: kind == .recipient ? Rules.recipientNoticeControl : Rules.senderNoticeControl,
            address: stored(address: address), addressKey: key)
        let allowed: Bool = try pool.write { db in
            let n =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM events WHERE kind = 'notice' AND address_key = ? AND time_us >= ?",
                    arguments: [key, since]) ?? 0
            var e = base
            if n >= settings.maxPerAddress {
                e.kind = "notice-suppressed"
                e.detail = "rate limit: \(n) notices to this address in \(Int(settings.window)) s"
            }
            guard MTA.isSafeAddress(address) else {
                e.kind = "notice-failed"
                e.detail = "address unsuitable for submission"
                try appendEvent(db, e)
                return false
            }
            try appendEvent(db, e)
            return e.kind == "notice"
        }
        guard allowed else { return MTA.isSafeAddress(address) ? .suppressed : .failed }
        let msg = NoticeMessage.build(
            kind: kind, to: address, from: settings.from,
            text: kind == .recipient ? settings.recipientText : settings.senderText,
            decisionID: decisionID, decidedAt: decidedAt, now: now)
        do {
            try settings.mta.submit(msg, sender: "", recipients: [address])
            return .sent
        } catch {
            try pool.write { db in
                var e = base
                e.timeUS = nowMicroseconds()
                e.kind = "notice-failed"
                e.detail = "\(error)"
                try appendEvent(db, e)
            }
            return .failed
        }
    }
}
