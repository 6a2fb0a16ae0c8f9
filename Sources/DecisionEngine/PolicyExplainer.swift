import PolicyLanguage

/// The policy in plain English: what is blocked where, and under which control (issue 4,
/// `pmark policy explain`). Every statement names the rule id and NZISM control it rests on.
public enum PolicyExplainer {
    static func cite(_ rules: Rule...) -> String {
        let ids = rules.map(\.id).joined(separator: ", ")
        let controls = Array(NSOrderedSetLike(rules.flatMap(\.controls))).joined(separator: "; ")
        return "(\(ids); \(controls))"
    }

    static func list(_ s: some Sequence<String>) -> String {
        let a = Array(s).sorted()
        return a.isEmpty ? "none" : a.joined(separator: ", ")
    }

    /// - Parameter rules: the rule definitions (``Rules/all``); the closing list of rules that
    ///   apply, with their action under this policy, is derived from them.
    public static func explain(_ p: Policy, rules: [Rule] = Rules.all) -> String {
        var out: [String] = []
        let high = p.accreditation.rank >= 4
        out.append("Policy '\(p.name)' (sha256 \(p.contentHash)).")
        out.append("")
        out.append("Organisation: \(list(p.domains)). Mail between these domains is internal.")
        if !p.internalOnlyAliases.isEmpty {
            out.append(
                """
                Internal-only aliases: \(list(p.internalOnlyAliases)). Mail to them from outside is blocked for that \
                recipient \(cite(Rules.internalOnlyAlias)).
                """
            )
        }
        out.append(
            """
            External mail whose From or envelope sender uses an organisation domain is blocked unless a trusted \
            Authentication-Results header (authserv-id: \(list(p.trustedAuthservIDs))) shows a DKIM pass for that \
            domain or an SPF pass for it \(cite(Rules.spoofedDomain)). The MTA must strip incoming \
            Authentication-Results headers that carry these ids.
            """
        )
        out.append("")
        out.append(
            """
            Receiving system '\(p.systemName)' is accredited \(p.accreditation.name) and may hold: \
            \(list(p.systemEndorsements)).
            """
        )
        out.append(
            """
            Inbound and internal mail marked above \(p.accreditation.name) is blocked \
            \(cite(Rules.inboundClassification)); so is mail carrying an endorsement or codeword the system may not \
            hold, and always AUSTEO or AGAO \(cite(Rules.inboundEndorsement)). The intended recipients of a blocked or \
            held inbound message are told a message was held (\(Rules.recipientNoticeControl)).
            """
        )
        out.append("")
        out.append("Outbound paths (a recipient's domain picks the most specific path; others use the default):")
        for path in p.paths {
            let reach: String
            switch path.reach {
            case .any: reach = "reaches any country"
            case .countries(let c): reach = c == ["NZL"] ? "New Zealand only" : "reaches \(c.joined(separator: ", "))"
            }
            let domains = path.domains.isEmpty ? "" : "; domains \(list(path.domains))"
            out.append("  - \(path.name)\(path.isDefault ? " (default)" : "") — \(reach)\(domains):")
            out.append(
                """
                      carries up to \(path.ceiling.name); anything marked higher is blocked \
                \(cite(Rules.outboundClassification)).
                """
            )
            if path.reach.isNZOnly {
                out.append(
                    """
                          NZEO may travel here\
                    \(path.endorsements.contains("NZEO") ? "" : " only if listed (it is not)").
                    """
                )
            } else {
                out.append("      NZEO is blocked: the path reaches foreign nationals \(cite(Rules.outboundNZEO)).")
            }
            switch path.reach {
            case .any:
                out.append("      No REL TO list covers it: REL TO mail is blocked \(cite(Rules.outboundRelTo)).")
            case .countries(let c):
                out.append(
                    """
                          REL TO mail is allowed only when the list includes \(c.joined(separator: ", ")) \
                    \(cite(Rules.outboundRelTo)).
                    """
                )
            }
            out.append(
                """
                      Other endorsements allowed: \(list(path.endorsements.subtracting(["NZEO"]))); any other \
                endorsement or codeword is blocked \(cite(Rules.outboundEndorsement)).
                """
            )
        }
        out.append("  AUSTEO and AGAO never leave the system \(cite(Rules.outboundForeignEyes)).")
        out.append("")
        if high {
            out.append(
                """
                Unmarked mail is blocked in every direction: the system is accredited CONFIDENTIAL or above \
                \(cite(Rules.unmarkedHighSystem)).
                """
            )
        } else {
            out.append(
                """
                Unmarked mail: outbound and internal → \(p.action(.unmarkedOutbound).rawValue); inbound → \
                \(p.action(.unmarkedInbound).rawValue) \(cite(Rules.unmarked)).
                """
            )
        }
        out.append(
            """
            Inappropriately marked mail (unparseable, disagreeing, under-marked, invalid combination, several marking \
            headers, obfuscated) → \(p.action(.inappropriatelyMarked).rawValue) \
            \(cite(high ? Rules.inappropriateHighSystem : Rules.inappropriate)).
            """
        )
        out.append(
            """
            Auto-forwarded marked mail leaving the organisation gets every outbound check above, and then → \
            \(p.action(.autoForwardExternal).rawValue) \(cite(Rules.autoForward)).
            """
        )
        out.append(
            """
            Attachments are identified by their content (libmagic), never by name, inside ZIP, gzip and tar archives \
            too.
            """
        )
        if !p.denyFamilies.isEmpty || !p.denyTypes.isEmpty {
            out.append(
                """
                  Refused: families \(list(p.denyFamilies)); types \(list(p.denyTypes)) → \
                \(p.action(.denyListedAttachment).rawValue) \(cite(Rules.deniedAttachment)).
                """
            )
        }
        if !p.allowFamilies.isEmpty || !p.allowTypes.isEmpty {
            out.append(
                """
                  Only these are authorised: families \(list(p.allowFamilies)); types \(list(p.allowTypes)); anything \
                else → \(p.action(.denyListedAttachment).rawValue) \(cite(Rules.deniedAttachment)).
                """
            )
        }
        out.append(
            """
              Content that cannot be identified → \(p.action(.unidentifiableAttachment).rawValue) \
            \(cite(Rules.unidentifiableAttachment)); encrypted content that cannot be inspected (ZIP, 7z, RAR headers, \
            PDF, Office, S/MIME, PGP) → \(p.action(.encryptedAttachment).rawValue) \(cite(Rules.encryptedAttachment)).
            """
        )
        out.append(
            """
              An archive over a limit (depth, entries, sizes, compression ratio: a possible decompression bomb) is \
            quarantined \(cite(Rules.archiveLimit)); content disguised by its name or declared type is quarantined \
            \(cite(Rules.typeMismatch)).
            """
        )
        out.append(
            """
            A message or element that cannot be inspected is quarantined (temp-failed at a gateway), never allowed \
            \(cite(Rules.notInspected)).
            """
        )
        out.append(
            """
            Every block must be logged (\(Rules.blockLoggedControl)): with an audit store (`pmark milter --audit`, \
            `check`/`scan --audit`) every decision is recorded before it is acted on; `pmark test` checks it with \
            `logged: true`.
            """
        )
        out.append(
            """
            Notices: a sender is told of a blocked or held message only when verified — an authenticated internal \
            submitter, or an inbound sender with a trusted SPF pass (\(Rules.senderNoticeControl)). Texts are generic: \
            "\(p.notice(.senderNotice))"; SMTP reply "\(p.notice(.smtpReject))".
            """
        )
        out.append(
            """
            Privacy: subjects are \(p.privacy.logSubjects ? "" : "not ")logged; addresses are \
            \(p.privacy.logAddresses ? "" : "not ")logged; attachment names are \
            \(p.privacy.logAttachmentNames ? "" : "not ")logged. Every report (check, scan, JSON) applies this.
            """
        )
        out.append("")
        out.append("Rules that apply under this policy (id, title, action, controls):")
        for r in Rules.applicable(to: p, rules: rules) {
            let action =
                r.actionKey.map { "\(p.action($0).rawValue) (actions.\($0.rawValue))" } ?? r.fixedAction.rawValue
            out.append("  \(r.id) \(r.title) → \(action) [\(r.controls.joined(separator: "; "))]")
        }
        return out.joined(separator: "\n")
    }
}

/// Order-preserving de-duplication.
struct NSOrderedSetLike: Sequence {
    var items: [String]
    init(_ s: [String]) {
        var seen = Set<String>()
        items = s.filter { seen.insert($0).inserted }
    }
    func makeIterator() -> IndexingIterator<[String]> { items.makeIterator() }
}
