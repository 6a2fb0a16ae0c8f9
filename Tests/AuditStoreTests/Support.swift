import DecisionEngine
import Foundation
import GRDB
import MailParsing
import OfficeDocuments
import PolicyLanguage
import Testing

@testable import AuditStore

#if canImport(Glibc)
import Glibc
#endif

enum Fixture {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The default policy with its privacy settings replaced.
    static func policy(logSubjects: Bool = false, logAddresses: Bool = false, logAttachmentNames: Bool = false)
        -> Policy
    {
        var p = try! PolicyLoader.load(contentsOf: root + "/policies/default.yaml")
        p.privacy = Privacy(
            logSubjects: logSubjects, logAddresses: logAddresses, logAttachmentNames: logAttachmentNames)
        return p
    }

    static let engine = try! Engine(policy: policy(), documents: OOXMLReader())

    static func message(
        subject: String, from: String = "Aroha <aroha@agency.govt.nz>", to: String = "someone@example.com",
        headers: [String] = [], body: String = "Kia ora.\r\n"
    ) -> [UInt8] {
        Array(
            ([
                "From: \(from)", "To: \(to)", "Subject: \(subject)",
                "Message-ID: <m\(UInt32.random(in: 0...UInt32.max))@agency.govt.nz>",
                "Date: Mon, 30 Nov 2026 10:00:00 +1300",
            ] + headers)
            .joined(separator: "\r\n").utf8) + Array("\r\n\r\n\(body)".utf8)
    }

    /// A decision event as the gateway would hand it over.
    static func event(
        subject: String = "[IN-CONFIDENCE] quarterly figures", from: String = "Aroha <aroha@agency.govt.nz>",
        mailFrom: String? = "aroha@agency.govt.nz", rcpts: [String] = ["hemi@example.com"], headers: [String] = [],
        body: String = "Kia ora.\r\n", direction: Direction? = nil, queueID: String? = nil, time: Double? = nil,
        engine: Engine = engine, bytes: [UInt8]? = nil
    ) -> DecisionEvent {
        let b =
            bytes
            ?? message(subject: subject, from: from, to: rcpts.first ?? "x@example.com", headers: headers, body: body)
        let env = Envelope(direction: direction, mailFrom: mailFrom, recipients: rcpts)
        return DecisionEvent(
            unixTime: time ?? Date().timeIntervalSince1970, origin: .gateway(queueID: queueID, daemonName: "smtpd"),
            envelope: env, verdict: engine.evaluate(bytes: b, envelope: env), messageBytes: b)
    }
}

/// A temporary directory removed at the end of the test.
final class TempDir {
    let path: String
    init() {
        var t = Array("/tmp/pmark-audit-test-XXXXXX".utf8CString)
        path = t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }

    /// A fake `sendmail` that stores each submission as N.args (one argument per line) and
    /// N.eml (standard input), and exits with `status`.
    func fakeSendmail(status: Int = 0) -> (script: String, outbox: String) {
        let outbox = file("outbox")
        try! FileManager.default.createDirectory(atPath: outbox, withIntermediateDirectories: true)
        let script = file("sendmail")
        let text = """
            #!/bin/sh
            n=$(date +%s%N)-$$
            printf '%s\\n' "$@" > \(outbox)/$n.args
            cat > \(outbox)/$n.eml
            exit \(status)

            """
        _ = FileManager.default.createFile(
            atPath: script, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        return (script, outbox)
    }

    /// Submissions the fake sendmail received, oldest first: (arguments, message bytes).
    func submissions() -> [(args: [String], bytes: [UInt8])] {
        let outbox = file("outbox")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter {
            $0.hasSuffix(".args")
        }.sorted()
        return names.map { n in
            let base = outbox + "/" + n.dropLast(5)
            let args = (try? String(contentsOfFile: base + ".args", encoding: .utf8)) ?? ""
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: base + ".eml"))).map(Array.init) ?? []
            return (args.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init), bytes)
        }
    }
}

extension AuditStore {
    static func open(_ path: String, policy: Policy = Fixture.policy(), notices: NoticeSettings? = nil) throws
        -> AuditStore
    {
        try AuditStore(path: path, options: .init(privacy: policy.privacy, pmarkVersion: "test", notices: notices))
    }
}

/// Raw access to a store file, for tampering.
func raw(_ path: String) throws -> DatabaseQueue { try DatabaseQueue(path: path) }
