/// Stable ids of marking findings (spec §5). Raw values never change: reports, the audit
/// log and policy files refer to them.
public enum FindingID: String, Sendable, Hashable, Codable, CaseIterable {
    /// No valid classification in the message's own locations (header, subject, body lines).
    case unmarked
    /// A marking location holds something marking-like that does not parse (§5.1).
    case unparseableMarking = "unparseable-marking"
    /// Own locations disagree on the classification (§5.2).
    case locationsDisagree = "locations-disagree"
    /// The email is marked lower than an attachment or embedded message (§5.3, NZISM 15.1.11.C.02).
    case underMarked = "under-marked"
    /// An endorsement without a classification or on UNCLASSIFIED, an unknown endorsement or
    /// codeword, or NZEO with a REL TO list naming another country (§5.4).
    case invalidCombination = "invalid-combination"
    /// More than one `X-Protective-Marking` header (§5.5).
    case multipleMarkingHeaders = "multiple-marking-headers"
    /// Confusable, zero-width, soft-hyphen or bidi characters inside a marking (§5.6).
    case obfuscatedMarking = "obfuscated-marking"
    /// AUSTEO or AGAO: Australian eyes only, not for NZ systems (§4).
    case foreignEyesOnly = "foreign-eyes-only"
    /// An element could not be inspected for markings (decoding or a size limit); fail closed.
    case elementNotInspected = "element-not-inspected"
    /// A client could see a different message than pmark parsed (two Subjects or boundaries,
    /// a delimiter followed by text, bare CR line ends, …) and the interpretations give
    /// different results, or one cannot be built (spec §10.9). Inappropriately marked.
    case ambiguousStructure = "ambiguous-structure"
}

/// One finding with where it was found. `detail` names fields and locations, never message text.
public struct MarkingFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public var id: FindingID
    public var location: String
    public var detail: String

    public init(_ id: FindingID, _ location: String, _ detail: String = "") {
        self.id = id
        self.location = location
        self.detail = detail
    }
    public var description: String { "\(id.rawValue) at \(location)" + (detail.isEmpty ? "" : ": \(detail)") }
}

/// A marking read from one location.
public struct MarkingReading: Sendable, Hashable, Codable {
    /// `subject`, `header:X-Protective-Marking`, `body:first-line`, `attachment[2]:name`,
    /// `attachment[1]/message:subject`, …
    public var location: String
    /// The marking as written (the bracket content, the header value, the line).
    public var text: String
    /// The parsed marking; nil when the location was marking-like but did not parse.
    public var marking: Marking?
    /// Whether this location belongs to the message itself (not an attachment or embedded message).
    public var own: Bool
}

/// Everything the markings layer found in a message.
public struct MarkingResult: Sendable, Codable {
    /// The effective classification: the highest of every location, elements included.
    public var classification: Classification?
    /// The effective endorsements: the union of every location (ACCOUNTABLE MATERIAL is
    /// implied by TOP SECRET).
    public var endorsements: [Endorsement]
    /// The highest classification of the message's own locations.
    public var ownClassification: Classification?
    public var readings: [MarkingReading]
    public var findings: [MarkingFinding]
    /// Auto-forwarding signals found in the headers (spec §7/§8), by name.
    public var autoForwardSignals: [String]

    public func has(_ id: FindingID) -> Bool { findings.contains { $0.id == id } }
}
