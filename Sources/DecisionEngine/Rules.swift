import PolicyLanguage

/// A rule: a stable id (never reused), a one-line title and the NZISM controls it implements.
public struct Rule: Sendable, Hashable, Codable {
    public let id: String
    public let title: String
    /// `NZISM 15.2.40.C.01 [CID:1760]` style citations.
    public let controls: [String]
}

/// Every rule of the engine (spec §6). Ids are referenced by reports, the audit log and
/// policy tests, so they never change meaning.
public enum Rules {
    public static let outboundClassification = Rule(id: "PM-OUT-001", title: "classification exceeds the communication path", controls: ["NZISM 15.2.40.C.01 [CID:1760]"])
    public static let outboundNZEO = Rule(id: "PM-OUT-002", title: "NZEO over a path that reaches foreign nationals", controls: ["NZISM 15.2.40.C.01 [CID:1760]"])
    public static let outboundRelTo = Rule(id: "PM-OUT-003", title: "REL TO list does not cover the path's countries", controls: ["NZISM 15.2.40.C.01 [CID:1760]"])
    public static let outboundEndorsement = Rule(id: "PM-OUT-004", title: "endorsement or codeword not permitted on the path", controls: ["NZISM 15.2.40.C.01 [CID:1760]"])
    public static let outboundForeignEyes = Rule(id: "PM-OUT-005", title: "foreign-eyes-only material (AUSTEO/AGAO) leaving the system", controls: ["NZISM 15.2.40.C.01 [CID:1760]"])
    public static let inboundClassification = Rule(id: "PM-IN-001", title: "classification exceeds the system's accreditation", controls: ["NZISM 15.2.41.C.01 [CID:1764]"])
    public static let inboundEndorsement = Rule(id: "PM-IN-002", title: "endorsement or codeword the system may not hold", controls: ["NZISM 15.2.41.C.01 [CID:1764]"])
    public static let unmarkedHighSystem = Rule(id: "PM-UNM-001", title: "unmarked mail on a system accredited CONFIDENTIAL or above", controls: ["NZISM 15.2.39.C.01 [CID:1754]"])
    public static let unmarked = Rule(id: "PM-UNM-002", title: "unmarked mail", controls: ["NZISM 15.2.39.C.03 [CID:1756]"])
    public static let inappropriateHighSystem = Rule(id: "PM-INAPP-001", title: "inappropriately marked mail on a system accredited CONFIDENTIAL or above", controls: ["NZISM 15.2.39.C.01 [CID:1754]"])
    public static let inappropriate = Rule(id: "PM-INAPP-002", title: "inappropriately marked mail", controls: ["NZISM 15.2.39.C.03 [CID:1756]"])
    public static let autoForward = Rule(id: "PM-FWD-001", title: "auto-forwarded mail leaving the organisation", controls: ["NZISM 15.2.43.C.01 [CID:1771]"])
    public static let internalOnlyAlias = Rule(id: "PM-ALIAS-001", title: "mail from outside to an internal-only alias", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let spoofedDomain = Rule(id: "PM-SPOOF-001", title: "external mail claiming an organisation sender domain", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let deniedAttachment = Rule(id: "PM-ATT-001", title: "deny-listed or unauthorised attachment type (by content)", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let unidentifiableAttachment = Rule(id: "PM-ATT-002", title: "attachment content that cannot be identified", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let encryptedAttachment = Rule(id: "PM-ATT-003", title: "encrypted content that cannot be inspected", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let archiveLimit = Rule(id: "PM-ATT-004", title: "archive limit exceeded (possible decompression bomb)", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let typeMismatch = Rule(id: "PM-ATT-005", title: "attachment content disguised by its name or declared type", controls: ["NZISM 15.2.37.C.01 [CID:1745]"])
    public static let notInspected = Rule(id: "PM-ERR-001", title: "message or element could not be inspected", controls: ["NZISM 15.2.39.C.03 [CID:1756]"])

    public static let all: [Rule] = [outboundClassification, outboundNZEO, outboundRelTo, outboundEndorsement, outboundForeignEyes,
                                     inboundClassification, inboundEndorsement, unmarkedHighSystem, unmarked, inappropriateHighSystem,
                                     inappropriate, autoForward, internalOnlyAlias, spoofedDomain, deniedAttachment, unidentifiableAttachment,
                                     encryptedAttachment, archiveLimit, typeMismatch, notInspected]

    /// The rules that can fire under `policy`: the unmarked and inappropriately-marked rules
    /// depend on the system tier, and the alias rule needs internal-only aliases.
    public static func applicable(to policy: Policy) -> [Rule] {
        let high = policy.accreditation.rank >= 4
        return all.filter { r in
            switch r.id {
            case unmarkedHighSystem.id, inappropriateHighSystem.id: return high
            case unmarked.id, inappropriate.id: return !high
            case internalOnlyAlias.id: return !policy.internalOnlyAliases.isEmpty
            case deniedAttachment.id: return !policy.denyFamilies.isEmpty || !policy.denyTypes.isEmpty || !policy.allowFamilies.isEmpty || !policy.allowTypes.isEmpty
            default: return true
            }
        }
    }

    /// Notices cite these (spec §9).
    public static let recipientNoticeControl = "NZISM 15.2.41.C.02 [CID:1765]"
    public static let senderNoticeControl = "NZISM 15.2.42.C.01 [CID:1768]"
    public static let blockLoggedControl = "NZISM 15.2.40.C.02 [CID:1761]"
}
