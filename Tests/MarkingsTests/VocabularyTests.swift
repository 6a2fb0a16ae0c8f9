import OfficeDocuments
import Testing

@testable import Markings

@Suite("The vocabulary is data (spec §1, §2, §4)")
struct VocabularyTests {
    @Test("classifications are totally ordered, lowest first, with SENSITIVE below RESTRICTED")
    func order() {
        let v = Vocabulary.nz
        let names = [
            "UNCLASSIFIED", "IN-CONFIDENCE", "SENSITIVE", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET",
        ]
        let ranks = names.map { v.classification(named: $0)!.rank }
        #expect(ranks == Array(0...6))
        #expect(v.classification(named: "SENSITIVE")! < v.classification(named: "RESTRICTED")!)
        #expect(v.highest.name == "TOP SECRET")
    }

    @Test("PERSONAL and UNOFFICIAL are rank 0 and reported as UNCLASSIFIED")
    func noGovernmentInformation() {
        #expect(Vocabulary.nz.classification(named: "PERSONAL") == Classification(rank: 0, name: "UNCLASSIFIED"))
        #expect(Vocabulary.nz.classification(named: "UNOFFICIAL") == Classification(rank: 0, name: "UNCLASSIFIED"))
    }

    @Test("REL TO canonical form sorts trigraphs and expands FVEY")
    func relTo() {
        #expect(Endorsement.relTo(["NZL", "GBR", "AUS"]).name == "REL TO AUS, GBR, NZL")
        #expect(Endorsement.relTo(["FVEY"]).countries == ["AUS", "CAN", "GBR", "NZL", "USA"])
    }

    @Test("a policy-style endorsement added to the vocabulary is read without code changes")
    func extendedEndorsement() throws {
        var v = Vocabulary.nz
        v.policyEndorsements.append(["TREATY", "NEGOTIATIONS"])
        let extended = try MarkingReader(options: .standard(vocabulary: v))
        let msg = makeMessage(subject: "[SENSITIVE//TREATY NEGOTIATIONS] x")
        #expect(try read(msg).findingIDs == ["invalid-combination"])  // unknown to the built-in vocabulary
        let r = try read(msg, reader: extended)
        #expect(r.endorsementNames == ["TREATY NEGOTIATIONS"])
        #expect(r.findings.isEmpty)
    }

    @Test("the Australian mapping is data: a policy can map OFFICIAL:Sensitive to SENSITIVE")
    func remapAustralian() throws {
        var v = Vocabulary.nz
        v.australian["OFFICIAL:SENSITIVE"] = "SENSITIVE"
        let reader = try MarkingReader(options: .standard(vocabulary: v))
        #expect(
            try read(makeMessage(subject: "x [SEC=OFFICIAL:Sensitive]"), reader: reader).classificationName
                == "SENSITIVE")
        #expect(try read(makeMessage(subject: "x [SEC=OFFICIAL:Sensitive]")).classificationName == "IN-CONFIDENCE")
    }

    @Test("the PCRE2 candidate pattern is built from the vocabulary, so extensions are found")
    func candidatePatternFollowsVocabulary() throws {
        var v = Vocabulary.nz
        v.codewords = ["KESTREL"]
        let pattern = LocationReaders.candidatePattern(v)
        #expect(pattern.contains("KESTREL"))
        #expect(pattern.contains("TOP[ \\t_-]*SECRET"))
    }
}
