import DecisionEngine
import Markings

/// What a test file may name: every expectation is checked against these sets when the file is
/// loaded, so a typo (`not-findings: [unmarkd]`) is an error at its position instead of an
/// assertion that silently checks nothing.
public enum HarnessVocabulary {
    /// Message-level and per-recipient actions.
    public static let actions: Set<String> = Set(["allow", "allow-and-tag", "quarantine", "block"])
    static let actionList = "allow, allow-and-tag, quarantine, block"
    /// Rule ids of the engine.
    public static var ruleIDs: Set<String> { Set(Rules.all.map(\.id)) }
    /// Marking finding ids.
    public static let findingIDs: Set<String> = Set(FindingID.allCases.map(\.rawValue))
    /// Canonical classification names, and `UNMARKED` for none.
    public static let classifications: Set<String> = Set(
        Vocabulary.nz.classifications.map(\.classification.name) + ["UNMARKED"])
    static var classificationList: String {
        (Vocabulary.nz.classifications.map(\.classification).sorted().map(\.name).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        } + ["UNMARKED"])
        .joined(separator: ", ")
    }

    /// The NZISM paragraph of a citation: `NZISM 15.2.40.C.01 [CID:1760]` → `15.2.40.C.01`.
    public static func paragraph(_ citation: String) -> String {
        citation.split(separator: " ").first { $0.contains(".C.") }.map(String.init) ?? citation
    }

    /// Controls a case may be tagged with: those some rule cites, the two notice controls
    /// (asserted with `notify:`) and the logging control (asserted with `logged: true` on a
    /// block). Paragraph → full citation.
    public static var citations: [String: String] {
        var out: [String: String] = [:]
        for c in Rules.all.flatMap(\.controls) + [
            Rules.recipientNoticeControl, Rules.senderNoticeControl, Rules.blockLoggedControl,
        ] { out[paragraph(c)] = c }
        return out
    }
    public static var controls: Set<String> { Set(citations.keys) }
}
