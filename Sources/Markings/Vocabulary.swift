/// A classification in the total order used for every comparison (spec §1).
public struct Classification: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Position in the order; higher is more restrictive.
    public var rank: Int
    /// Canonical NZ name (`IN-CONFIDENCE`, `TOP SECRET`).
    public var name: String

    public init(rank: Int, name: String) {
        self.rank = rank
        self.name = name
    }
    public static func < (a: Classification, b: Classification) -> Bool { a.rank < b.rank }
    public var description: String { name }
}

/// The category of a classification (PSR).
public enum ClassificationCategory: String, Sendable, Hashable, Codable {
    case none, policyAndPrivacy = "policy-and-privacy", nationalSecurity = "national-security"
}

/// The kinds of endorsement (spec §2).
public enum EndorsementKind: String, Sendable, Hashable, Codable {
    case policyAndPrivacy = "policy-and-privacy"
    case releasability
    case handling
    case compartment
    /// Foreign markings kept as written (`AU:PERSONAL-PRIVACY`, `AUSTEO`).
    case foreign
    /// Not in the vocabulary: kept as written, raises an invalid-combination finding.
    case unknown
}

/// The marking vocabulary: data, not code. A policy can extend it (codewords, agency
/// endorsements) and remap the Australian scheme without code changes.
public struct Vocabulary: Sendable {
    public struct ClassificationEntry: Sendable {
        public var classification: Classification
        public var category: ClassificationCategory
        /// Accepted spellings as word sequences (upper case; hyphens/underscores/spaces between
        /// words are all separators, so `IN-CONFIDENCE` is `["IN", "CONFIDENCE"]`).
        public var spellings: [[String]]
        /// Reported as this canonical name instead (PERSONAL, UNOFFICIAL → UNCLASSIFIED).
        public var reportedAs: String?
    }

    public var classifications: [ClassificationEntry]
    /// Policy-and-privacy endorsements without a parameter (canonical, upper case, by words).
    public var policyEndorsements: [[String]]
    /// Codewords (compartments) the organisation lists; any other codeword is a defect.
    public var codewords: Set<String>
    /// Australian EPMS `SEC=` values mapped onto NZ ranks (spec §4).
    public var australian: [String: String]
    /// Australian 2012 legacy values and DLMs.
    public var australianLegacy: [String: String]
    /// Microsoft sensitivity-label names → classification spelling (policy's label map).
    public var labelMap: [String: String]

    /// The built-in NZ vocabulary with the default Australian mapping.
    public static let nz = Vocabulary(
        classifications: [
            .init(
                classification: .init(rank: 0, name: "UNCLASSIFIED"), category: .none,
                spellings: [["UNCLASSIFIED"], ["UNCLASS"]]),
            .init(
                classification: .init(rank: 0, name: "UNCLASSIFIED"), category: .none, spellings: [["PERSONAL"]],
                reportedAs: "UNCLASSIFIED"),
            .init(
                classification: .init(rank: 0, name: "UNCLASSIFIED"), category: .none, spellings: [["UNOFFICIAL"]],
                reportedAs: "UNCLASSIFIED"),
            .init(
                classification: .init(rank: 1, name: "IN-CONFIDENCE"), category: .policyAndPrivacy,
                spellings: [["IN", "CONFIDENCE"]]),
            .init(
                classification: .init(rank: 2, name: "SENSITIVE"), category: .policyAndPrivacy,
                spellings: [["SENSITIVE"]]),
            .init(
                classification: .init(rank: 3, name: "RESTRICTED"), category: .nationalSecurity,
                spellings: [["RESTRICTED"]]),
            .init(
                classification: .init(rank: 4, name: "CONFIDENTIAL"), category: .nationalSecurity,
                spellings: [["CONFIDENTIAL"]]),
            .init(classification: .init(rank: 5, name: "SECRET"), category: .nationalSecurity, spellings: [["SECRET"]]),
            .init(
                classification: .init(rank: 6, name: "TOP SECRET"), category: .nationalSecurity,
                spellings: [["TOP", "SECRET"]]),
        ],
        policyEndorsements: [
            ["APPOINTMENTS"], ["BUDGET"], ["CABINET"], ["COMMERCIAL"], ["EVALUATIVE"], ["HONOURS"],
            ["LEGAL", "PRIVILEGE"], ["MEDICAL"], ["STAFF"], ["POLICY"], ["SPECIAL", "HANDLING", "REQUIRED"],
        ],
        codewords: [],
        australian: [
            "UNOFFICIAL": "UNCLASSIFIED", "OFFICIAL": "UNCLASSIFIED", "OFFICIAL:SENSITIVE": "IN-CONFIDENCE",
            "PROTECTED": "RESTRICTED", "SECRET": "SECRET", "TOP-SECRET": "TOP SECRET",
        ],
        australianLegacy: [
            "UNCLASSIFIED": "UNCLASSIFIED", "X-IN-CONFIDENCE": "IN-CONFIDENCE", "PROTECTED": "RESTRICTED",
            "CONFIDENTIAL": "CONFIDENTIAL", "HIGHLY PROTECTED": "SECRET", "HIGHLY-PROTECTED": "SECRET",
        ],
        labelMap: [:]
    )

    /// The classification named by a canonical NZ name.
    public func classification(named name: String) -> Classification? {
        let words = Self.words(name)
        return classifications.first { $0.spellings.contains(words) }.map {
            Classification(rank: $0.classification.rank, name: $0.reportedAs ?? $0.classification.name)
        }
    }

    /// The highest classification (TOP SECRET by default).
    public var highest: Classification { classifications.map(\.classification).max()! }

    /// Splits a name into upper-case words at spaces, hyphens and underscores.
    public static func words(_ s: String) -> [String] {
        s.uppercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" || $0 == "\t" }).map(String.init)
    }
}

/// A canonical endorsement (spec §2).
public struct Endorsement: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var kind: EndorsementKind
    /// Canonical text: `MEDICAL`, `NZEO`, `REL TO AUS, NZL`, `ACCOUNTABLE MATERIAL`, `DIA USE ONLY`, a codeword.
    public var name: String
    /// For REL TO: the sorted trigraphs.
    public var countries: [String]?

    public init(kind: EndorsementKind, name: String, countries: [String]? = nil) {
        self.kind = kind
        self.name = name
        self.countries = countries
    }
    public static func < (a: Endorsement, b: Endorsement) -> Bool { a.name < b.name }
    public var description: String { name }

    public static let nzeo = Endorsement(kind: .releasability, name: "NZEO")
    public static let orcon = Endorsement(kind: .handling, name: "ORCON")
    public static let accountableMaterial = Endorsement(kind: .handling, name: "ACCOUNTABLE MATERIAL")
    public static let austeo = Endorsement(kind: .foreign, name: "AUSTEO")
    public static let agao = Endorsement(kind: .foreign, name: "AGAO")

    /// `REL TO` with canonical country list: sorted trigraphs, FVEY expanded.
    public static func relTo(_ codes: [String]) -> Endorsement {
        var set = Set<String>()
        for c in codes { if c == "FVEY" { set.formUnion(["AUS", "CAN", "GBR", "NZL", "USA"]) } else { set.insert(c) } }
        let sorted = set.sorted()
        return Endorsement(kind: .releasability, name: "REL TO " + sorted.joined(separator: ", "), countries: sorted)
    }
}

/// A parsed marking from one location.
public struct Marking: Sendable, Hashable, Codable {
    /// nil when the location holds endorsements only.
    public var classification: Classification?
    public var endorsements: [Endorsement]
    /// The scheme the marking was written in.
    public var scheme: Scheme
    /// EPMS EXPIRES/DOWNTO, recorded and never applied (pmark does not downgrade on a date).
    public var expires: String?
    public var downTo: String?

    public enum Scheme: String, Sendable, Hashable, Codable {
        case nz, epmsNZ = "epms-govt.nz", epmsAU = "epms-gov.au", auLegacy = "au-legacy"
    }

    public init(
        classification: Classification?, endorsements: [Endorsement] = [], scheme: Scheme = .nz, expires: String? = nil,
        downTo: String? = nil
    ) {
        self.classification = classification
        self.endorsements = endorsements
        self.scheme = scheme
        self.expires = expires
        self.downTo = downTo
    }

    /// `SECRET//NZEO/REL TO …` style rendering for reports.
    public var text: String {
        let c = classification?.name ?? "(no classification)"
        return endorsements.isEmpty ? c : c + "//" + endorsements.map(\.name).joined(separator: "/")
    }
}
