import ContentInspection
import MailParsing
import Markings
import PolicyLanguage

/// The one decision function (spec §6, §9): message + envelope + policy → verdict. Pure: no
/// I/O, no clock. `pmark check`, `pmark scan`, the harness and the gateway all call it.
public struct Engine: Sendable {
    public let policy: Policy
    public let reader: MarkingReader
    /// Identifies attachments by content (NZISM 15.2.37.C.01).
    public let inspector: ContentInspector
    /// Whether the attachment rules apply (only the benchmark turns this off, to measure the
    /// policy step against markings alone); elements are identified either way, since
    /// markings are read by identified type.
    public let inspectsAttachments: Bool
    /// The rule definitions (``Rules/all`` unless a test adds one).
    public let rules: [Rule]

    /// - Parameter documents: the Office document reader for marking extraction (pass
    ///   `OOXMLReader()` from `OfficeDocuments`; without one Office documents are not inspected).
    /// - Parameter extraHeaders: site marking headers to read (e.g. `X-Classification`); the
    ///   decision and every report use this one reader, so they always see the same markings.
    public init(
        policy: Policy, documents: (any DocumentMarkingSource)? = nil, archiveLimits: ArchiveLimits = .default,
        inspectsAttachments: Bool = true, extraHeaders: [String] = [], rules: [Rule] = Rules.all
    ) throws {
        self.policy = policy
        self.rules = rules
        self.inspectsAttachments = inspectsAttachments
        inspector = ContentInspector(limits: archiveLimits)
        reader = try MarkingReader(
            options: MarkingOptions(
                vocabulary: policy.vocabulary, extraHeaders: extraHeaders,
                readMSIPLabels: !policy.vocabulary.labelMap.isEmpty, documents: documents))
    }

    /// Parses and evaluates; a limit or I/O problem yields a quarantine verdict, never an allow.
    /// The same path as ``evaluate(bytes:envelope:envelopeFromHeaders:readError:limits:)``.
    public func evaluate(bytes: [UInt8], envelope: Envelope, limits: ParserLimits = .default) -> Verdict {
        evaluate(bytes: bytes, envelope: envelope, envelopeFromHeaders: false, limits: limits).verdict
    }

    /// **The entry point** every front-end calls (`pmark check`, `pmark scan`, `pmark test`, the
    /// milter): bytes + envelope → parsed message, the envelope used, and the verdict.
    ///
    /// - Parameters:
    ///   - envelopeFromHeaders: fill what the envelope lacks from the message's own headers
    ///     (recipients from `To`/`Cc` when none are given, the sender from `From` when no
    ///     MAIL FROM is given): for archives and test cases, which have no SMTP envelope. What
    ///     the envelope does give (direction, recipients, sender) is always kept.
    ///   - readError: the reader already failed on these bytes (an archive message over a
    ///     limit): the message is not parsed and the verdict is the fail-closed quarantine.
    public func evaluate(
        bytes: [UInt8], envelope: Envelope, envelopeFromHeaders: Bool, readError: MailParseError? = nil,
        limits: ParserLimits = .default
    ) -> Evaluation {
        if let readError {
            return Evaluation(
                message: nil, error: readError, envelope: envelope,
                verdict: notInspected(envelope: envelope, detail: readError.description))
        }
        let m: Message
        do { m = try Message(parsing: bytes, limits: limits) } catch {
            let e = error as? MailParseError
            return Evaluation(
                message: nil, error: e, envelope: envelope,
                verdict: notInspected(envelope: envelope, detail: "\(error)"))
        }
        return evaluate(message: m, envelope: envelope, envelopeFromHeaders: envelopeFromHeaders)
    }

    /// The entry point for a front-end that has already parsed the message (the milter
    /// assembles it from its chunks).
    public func evaluate(message m: Message, envelope: Envelope, envelopeFromHeaders: Bool) -> Evaluation {
        let env = envelopeFromHeaders ? envelope.fillingGaps(from: m) : envelope
        return Evaluation(message: m, error: nil, envelope: env, verdict: evaluate(message: m, envelope: env))
    }

    /// The verdict for a message that could not be inspected (limit exceeded, unreadable): a
    /// quarantine for the given envelope's direction and recipients.
    public func notInspected(envelope: Envelope, detail: String) -> Verdict {
        let direction = envelope.direction ?? inferDirection(envelope: envelope, message: nil)
        let reason = reason(Rules.notInspected, detail)
        let rcpts = envelope.recipients.isEmpty ? ["(no recipients)"] : envelope.recipients
        return Verdict(
            policyName: policy.name, policyHash: policy.contentHash, direction: direction,
            decisions: [
                RecipientDecision(
                    path: direction == .outbound ? "(not resolved)" : "system", recipients: rcpts, action: .quarantine,
                    reasons: [reason])
            ],
            messageAction: .quarantine, markings: nil, content: nil, notifyRecipients: direction == .inbound,
            notifySender: envelope.authenticatedSubmission, autoForwardSignals: [])
    }

    // MARK: helpers

    static func domain(_ address: String?) -> String? {
        guard var a = address?.trimmingASCIIWhitespace() else { return nil }
        if let lt = a.lastIndex(of: "<"), let gt = a.lastIndex(of: ">"), lt < gt {
            a = String(a[a.index(after: lt)..<gt])
        }
        guard let at = a.lastIndex(of: "@") else { return nil }
        let d = a[a.index(after: at)...].lowercased()
        return d.isEmpty ? nil : d
    }

    func isInternal(_ domain: String?) -> Bool {
        guard let d = domain else { return false }
        return policy.domains.contains { Self.domain(d, isWithin: $0) }
    }

    /// `d` equals `parent` or is a subdomain of it (no allocation).
    static func domain(_ d: String, isWithin parent: String) -> Bool {
        guard d.hasSuffix(parent) else { return false }
        let du = d.utf8, pu = parent.utf8
        if du.count == pu.count { return true }
        return du[du.index(du.endIndex, offsetBy: -pu.count - 1)] == UInt8(ascii: ".")
    }

    func inferDirection(envelope: Envelope, message: Message?) -> Direction {
        let sender = Self.domain(envelope.mailFrom) ?? Self.domain(message?.header("from")?.value)
        guard isInternal(sender) else { return .inbound }
        return envelope.recipients.allSatisfy { isInternal(Self.domain($0)) } ? .internal : .outbound
    }

    /// The topmost `Authentication-Results` whose authserv-id the policy trusts (spec §9),
    /// tokenised per RFC 8601 (spec §10.10): never searched as text.
    func trustedAuthResults(_ m: Message) -> AuthenticationResults? {
        for h in m.root.headers(named: "authentication-results") {
            let r = AuthenticationResults(parsing: h.value)
            if !r.authservID.isEmpty, policy.trustedAuthservIDs.contains(where: { $0.lowercased() == r.authservID }) {
                return r
            }
        }
        return nil
    }

    /// `spf=pass` for exactly `domain` (the domain of `smtp.mailfrom`) in the trusted results.
    static func spfPass(_ results: AuthenticationResults?, domain: String?) -> Bool {
        guard let r = results, let d = domain else { return false }
        return r.spfPass(for: d)
    }

    /// `dkim=pass` with `header.d` exactly `domain` in the trusted results.
    static func dkimPass(_ results: AuthenticationResults?, domain: String?) -> Bool {
        guard let r = results, let d = domain else { return false }
        return r.dkimPass(for: d)
    }

    static let inappropriate: Set<FindingID> = [
        .unparseableMarking, .locationsDisagree, .underMarked, .invalidCombination, .multipleMarkingHeaders,
        .obfuscatedMarking, .ambiguousStructure,
    ]

    // MARK: evaluation

    public func evaluate(message m: Message, envelope: Envelope) -> Verdict {
        // Identify every element once, then read markings by identified type from the same
        // decoded bytes.
        let inspected = inspector.inspect(m)
        let mk = reader.read(m, content: inspected)
        let direction = envelope.direction ?? inferDirection(envelope: envelope, message: m)
        let highSystem = policy.accreditation.rank >= 4  // CONFIDENTIAL and above
        var common: [Reason] = []
        let markingText =
            mk.classification.map { c in
                mk.endorsements.isEmpty ? c.name : c.name + "//" + mk.endorsements.map(\.name).joined(separator: "/")
            } ?? "unmarked"

        // Attachments by content (15.2.37.C.01).
        let content = inspectsAttachments ? inspected : ContentReport(items: [])
        common += attachmentReasons(content)
        // Message-level rules.
        for f in mk.findings where f.id == .elementNotInspected {
            common.append(reason(Rules.notInspected, "\(f.location): \(f.detail)"))
        }
        if mk.has(.unmarked) {
            if highSystem {
                common.append(reason(Rules.unmarkedHighSystem, "no classification in the message's own locations"))
            } else {
                let key: ActionKey = direction == .inbound ? .unmarkedInbound : .unmarkedOutbound
                common.append(
                    Reason(
                        rule: Rules.unmarked, action: action(policy.action(key)),
                        evidence: "no classification in the message's own locations"))
            }
        }
        for f in mk.findings where Self.inappropriate.contains(f.id) {
            let rule = highSystem ? Rules.inappropriateHighSystem : Rules.inappropriate
            common.append(reason(rule, "\(f.id.rawValue) at \(f.location)"))
        }
        let foreignEyes = mk.endorsements.filter { $0 == .austeo || $0 == .agao }
        let senderDomain = Self.domain(envelope.mailFrom)
        let fromDomain = Self.domain(m.header("from")?.value)
        // Authentication-Results matter only for the spoofing rule and sender notices: read lazily.
        var trustedCache: AuthenticationResults?? = nil
        func trusted() -> AuthenticationResults? {
            if let t = trustedCache { return t }
            let t = trustedAuthResults(m)
            trustedCache = .some(t)
            return t
        }
        if direction == .inbound {
            // Spoofed organisation domain (header From or MAIL FROM), unless a trusted result passes it.
            for d in Set([senderDomain, fromDomain].compactMap { $0 }) where isInternal(d) {
                if !(Self.dkimPass(trusted(), domain: d) || Self.spfPass(trusted(), domain: d)) {
                    common.append(
                        reason(
                            Rules.spoofedDomain,
                            "external mail uses organisation domain \(d) without a trusted SPF or DKIM pass"))
                }
            }
        }
        // Rules defined as values with their own evaluation (message level).
        let input = RuleInput(
            message: m, envelope: envelope, direction: direction, policy: policy, markings: mk, content: content)
        for rule in rules where rule.evaluation != nil && rule.applies(to: policy) { common += rule.evaluate(input) }
        let external = direction == .outbound
        var signals = mk.autoForwardSignals
        if external {
            signals += envelopeForwardSignals(m, envelope: envelope, senderDomain: senderDomain, fromDomain: fromDomain)
        }
        if external, !signals.isEmpty, (mk.classification?.rank ?? 0) > 0 {
            common.append(
                reason(Rules.autoForward, "auto-forwarded (\(signals.joined(separator: ", "))) marked \(markingText)"))
        }

        // Per recipient.
        var perRecipient: [(rcpt: String, path: String, reasons: [Reason])] = []
        let rcpts = envelope.recipients
        for r in rcpts {
            var reasons = common
            let d = Self.domain(r)
            let internalRcpt = isInternal(d)
            var pathName = "system"
            if direction == .inbound, policy.internalOnlyAliases.contains(r.lowercased().trimmingASCIIWhitespace()) {
                reasons.append(reason(Rules.internalOnlyAlias, "recipient is an internal-only alias"))
            }
            if direction == .outbound && !internalRcpt {
                let path = policy.path(forDomain: d ?? "")
                pathName = path.name
                reasons += outboundReasons(mk, path: path, markingText: markingText)
            } else {
                reasons += systemReasons(mk, markingText: markingText, inbound: direction == .inbound)
            }
            perRecipient.append((r, pathName, reasons))
        }
        if rcpts.isEmpty {
            // Spec §10.12: outbound with no recipients is judged against the default path
            // (a Bcc-only message still leaves), never against the system.
            if direction == .outbound {
                let path = policy.path(forDomain: "")
                perRecipient.append(
                    ("(no recipients)", path.name, common + outboundReasons(mk, path: path, markingText: markingText)))
            } else {
                perRecipient.append(
                    (
                        "(no recipients)", "system",
                        common + systemReasons(mk, markingText: markingText, inbound: direction == .inbound)
                    ))
            }
        }

        // Group recipients that share a path and the same reasons.
        var decisions: [RecipientDecision] = []
        for (r, path, reasons) in perRecipient {
            let act = reasons.map(\.action).max() ?? .allow
            let ordered = reasons.sorted { $0.action > $1.action }
            if let i = decisions.firstIndex(where: { $0.path == path && $0.action == act && $0.reasons == ordered }) {
                decisions[i].recipients.append(r)
            } else {
                decisions.append(RecipientDecision(path: path, recipients: [r], action: act, reasons: ordered))
            }
        }
        let actions = decisions.map(\.action)
        let messageAction: Action =
            actions.contains(.quarantine)
            ? .quarantine
            : actions.allSatisfy({ $0 == .block })
                ? .block
                : actions.contains(.allowAndTag) ? .allowAndTag : .allow
        let held = actions.contains(.block) || actions.contains(.quarantine)
        let notifySender =
            held
            && (direction == .inbound
                ? Self.spfPass(trusted(), domain: senderDomain) : envelope.authenticatedSubmission)
        return Verdict(
            policyName: policy.name, policyHash: policy.contentHash, direction: direction, decisions: decisions,
            messageAction: messageAction, markings: mk, content: content,
            notifyRecipients: direction == .inbound && held,
            notifySender: notifySender, autoForwardSignals: signals)
    }

    /// Reasons from content inspection: deny-listed or unauthorised types, unidentifiable and
    /// encrypted content, archive limits, disguised content.
    func attachmentReasons(_ r: ContentReport) -> [Reason] {
        var out: [Reason] = []
        let allowList = !policy.allowFamilies.isEmpty || !policy.allowTypes.isEmpty
        for item in r.items where item.location != "message" {
            let fam = item.family.rawValue
            // The most dangerous of the content's, the extension's (policy table) and the declared type's family.
            let ext = item.filename.flatMap { f in f.lastIndex(of: ".").map { f[f.index(after: $0)...].lowercased() } }
            let declared = item.declaredType.map { TypeNormalisation.canonical($0.lowercased()) }
            let byName: [(family: String?, why: String)] = [
                (ext.flatMap { policy.extensionFamilies[$0] }, "named .\(ext ?? "")"),
                (declared.map { TypeNormalisation.family($0).rawValue }, "declared \(declared ?? "")"),
            ]
            if policy.denyFamilies.contains(fam) || policy.denyTypes.contains(item.detectedType.lowercased()) {
                out.append(
                    reason(Rules.deniedAttachment, "\(item.location) is \(item.detectedType) (\(fam)), deny-listed"))
            } else if let hit = byName.first(where: { $0.family.map(policy.denyFamilies.contains) ?? false }) {
                out.append(
                    reason(
                        Rules.deniedAttachment,
                        """
                        \(item.location) is \(hit.why) (\(hit.family ?? "")), deny-listed; content is \
                        \(item.detectedType)
                        """
                    ))
            } else if declared.map({ policy.denyTypes.contains($0) }) ?? false {
                out.append(
                    reason(Rules.deniedAttachment, "\(item.location) is declared \(declared ?? ""), deny-listed"))
            } else if allowList, item.family != .unknown,
                !(policy.allowFamilies.contains(fam) || policy.allowTypes.contains(item.detectedType.lowercased()))
            {
                out.append(
                    reason(
                        Rules.deniedAttachment,
                        "\(item.location) is \(item.detectedType) (\(fam)), not on the allow list"))
            }
        }
        for (loc, f) in r.findings {
            switch f.kind {
            case .unidentifiable:
                out.append(reason(Rules.unidentifiableAttachment, "\(loc): \(f.detail)"))
            case .encrypted:
                out.append(reason(Rules.encryptedAttachment, "\(loc): encrypted (\(f.detail))"))
            case .archiveLimit:
                out.append(reason(Rules.archiveLimit, "\(loc): \(f.detail)"))
            case .typeMismatch:
                out.append(reason(Rules.typeMismatch, "\(loc): \(f.detail)"))
            }
        }
        return out
    }

    /// Envelope auto-forward signals (spec §8), for mail leaving the organisation: an internal
    /// envelope sender with an external header From (a mailbox re-sending someone else's mail),
    /// and more than one distinct Delivered-To. A Bcc recipient is not a signal.
    func envelopeForwardSignals(_ m: Message, envelope: Envelope, senderDomain: String?, fromDomain: String?)
        -> [String]
    {
        var out: [String] = []
        if isInternal(senderDomain), let f = fromDomain, !isInternal(f) {
            out.append("envelope-sender-internal-from-external")
        }
        let delivered = Set(m.root.headers(named: "delivered-to").map { $0.value.lowercased() })
        if delivered.count > 1 { out.append("multiple-delivered-to") }
        return out
    }

    func action(_ a: PolicyAction) -> Action { Action(a) }

    /// A reason for `rule` with the action its definition asks for under this policy.
    func reason(_ rule: Rule, _ evidence: String) -> Reason {
        Reason(rule: rule, action: rule.action(under: policy), evidence: evidence)
    }

    /// Outbound: the effective marking against the recipient's path (15.2.40.C.01).
    func outboundReasons(_ mk: MarkingResult, path: CommunicationPath, markingText: String) -> [Reason] {
        var out: [Reason] = []
        let ev = { (what: String) in "marked \(markingText); path '\(path.name)' \(what)" }
        if let c = mk.classification, c > path.ceiling {
            out.append(reason(Rules.outboundClassification, ev("is accredited to \(path.ceiling.name)")))
        }
        for e in mk.endorsements {
            switch e {
            case .nzeo:
                if !path.reach.isNZOnly {
                    out.append(reason(Rules.outboundNZEO, ev("reaches countries other than NZL")))
                }
            case .austeo, .agao:
                out.append(reason(Rules.outboundForeignEyes, ev("is outside the system; \(e.name) is not for release")))
            default:
                if let countries = e.countries {
                    let covered: Bool
                    switch path.reach {
                    case .any: covered = false
                    case .countries(let pc): covered = pc.allSatisfy { countries.contains($0) }
                    }
                    if !covered { out.append(reason(Rules.outboundRelTo, ev("reaches countries outside \(e.name)"))) }
                } else if e.kind == .foreign {
                    continue  // Australian access markers (AU:…) carry no NZ path restriction
                } else if e == .accountableMaterial && mk.classification?.name == "TOP SECRET" {
                    continue  // implied by TOP SECRET, which the classification rule already judges
                } else if !path.endorsements.contains(e.name) {
                    out.append(reason(Rules.outboundEndorsement, ev("does not permit \(e.name)")))
                }
            }
        }
        return out
    }

    /// Inbound and internal: the effective marking against the system (15.2.41.C.01).
    func systemReasons(_ mk: MarkingResult, markingText: String, inbound: Bool) -> [Reason] {
        var out: [Reason] = []
        let ev = { (what: String) in "marked \(markingText); system '\(self.policy.systemName)' \(what)" }
        if let c = mk.classification, c > policy.accreditation {
            out.append(reason(Rules.inboundClassification, ev("is accredited to \(policy.accreditation.name)")))
        }
        for e in mk.endorsements {
            if e == .accountableMaterial && mk.classification?.name == "TOP SECRET" { continue }
            if e.countries != nil || e.kind == .foreign && e != .austeo && e != .agao { continue }
            if e == .austeo || e == .agao || !policy.systemEndorsements.contains(e.name) {
                out.append(reason(Rules.inboundEndorsement, ev("may not hold \(e.name)")))
            }
        }
        return out
    }
}
