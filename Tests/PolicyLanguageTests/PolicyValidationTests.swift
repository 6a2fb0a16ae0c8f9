import Foundation
import TestSupport
import Testing

@testable import Markings
@testable import PolicyLanguage

@Suite("Policy validation diagnostics")
struct PolicyValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var id: String
        var yaml: String
        var expected: String
        var testDescription: String { id }
    }

    /// Each broken policy with the exact diagnostics it must produce (file:line:column: message).
    static let cases: [Case] = [
        .init(
            id: "yaml syntax error", yaml: "policy:\n  name: [unclosed\n",
            expected:
                """
                policy.yaml:3:1: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 2:9)
                """),
        .init(
            id: "top level is not a mapping", yaml: "- a\n- b\n",
            expected: "policy.yaml:1:1: the policy must be a mapping"),
        .init(
            id: "unknown top-level key",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                extras: 1\n
                """,
            expected:
                """
                policy.yaml:14:1: unknown key 'extras' in the policy (expected one of: policy, organisation, system, \
                paths, vocabulary, actions, authentication, privacy, notices, attachments)
                """
        ),
        .init(
            id: "missing required section",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected: "policy.yaml:1:1: the policy is missing required key 'system'"),
        .init(
            id: "unknown classification for the system",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: SECRT\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected:
                """
                policy.yaml:7:18: unknown classification 'SECRT' in system.accreditation (expected one of: \
                UNCLASSIFIED, IN-CONFIDENCE, SENSITIVE, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET)
                """
        ),
        .init(
            id: "unknown key in system",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accredited: yes\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected:
                """
                policy.yaml:7:3: unknown key 'accredited' in system (expected one of: name, accreditation, \
                endorsements, codewords)
                """
        ),
        .init(
            id: "missing accreditation",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected: "policy.yaml:6:3: system is missing required key 'accreditation'"),
        .init(
            id: "path above the system accreditation",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: SECRET\n    countries: any\n    default: true\n
                """,
            expected: "policy.yaml:11:14: path 'internet' ceiling SECRET is above the system accreditation RESTRICTED"),
        .init(
            id: "no default path",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n
                """,
            expected: "policy.yaml:10:3: no default path: mark exactly one path with 'default: true'"),
        .init(
            id: "two default paths",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n  - \
                name: aog\n    ceiling: RESTRICTED\n    countries: [NZL]\n    default: true\n
                """,
            expected: "policy.yaml:14:5: more than one default path ('internet' and 'aog')"),
        .init(
            id: "duplicate path name",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n  - \
                name: internet\n    ceiling: RESTRICTED\n    countries: [NZL]\n
                """,
            expected: "policy.yaml:14:5: duplicate path name 'internet' (first defined at 10:5)"),
        .init(
            id: "domain routed over two paths",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n  - \
                name: a\n    ceiling: RESTRICTED\n    countries: [NZL]\n    domains: [x.govt.nz]\n  - name: b\n    \
                ceiling: RESTRICTED\n    countries: [NZL]\n    domains: [x.govt.nz]\n
                """,
            expected: "policy.yaml:18:5: domain 'x.govt.nz' is routed over both path 'a' and path 'b'"),
        .init(
            id: "NZEO on a path that reaches any country",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    endorsements: \
                [NZEO]\n    default: true\n
                """,
            expected: "policy.yaml:13:20: path 'internet' allows NZEO but reaches countries other than NZL"),
        .init(
            id: "endorsement the system may not hold",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    endorsements: \
                [BUDGET]\n    default: true\n
                """,
            expected:
                """
                policy.yaml:13:20: path 'internet' allows 'BUDGET', which the system may not hold (add it to \
                system.endorsements)
                """
        ),
        .init(
            id: "unknown endorsement on a path",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    endorsements: \
                [BANANA]\n    default: true\n
                """,
            expected: "policy.yaml:13:20: unknown endorsement 'BANANA' in path 'internet' endorsements"),
        .init(
            id: "bad country code",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n  - \
                name: aog\n    ceiling: RESTRICTED\n    countries: [NZ]\n
                """,
            expected: "policy.yaml:16:17: 'NZ' in path 'aog' countries is not an ISO 3166-1 alpha-3 code (or FVEY)"),
        .init(
            id: "countries neither any nor a list",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: everywhere\n    default: true\n
                """,
            expected: "policy.yaml:12:16: path 'internet' countries must be 'any' or a list of ISO 3166-1 alpha-3 codes"
        ),
        .init(
            id: "unknown action",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                actions:\n  unmarked-outbound: drop\n
                """,
            expected:
                """
                policy.yaml:15:22: unknown action 'drop' for actions.unmarked-outbound (expected one of: block, \
                quarantine, allow-and-tag, allow)
                """
        ),
        .init(
            id: "unknown action key",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                actions:\n  unmarked-sideways: block\n
                """,
            expected:
                """
                policy.yaml:15:3: unknown key 'unmarked-sideways' in actions (expected one of: auto-forward-external, \
                deny-listed-attachment, encrypted-attachment, inappropriately-marked, unidentifiable-attachment, \
                unmarked-inbound, unmarked-outbound)
                """
        ),
        .init(
            id: "privacy flag not a boolean",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                privacy:\n  log-subjects: sometimes\n
                """,
            expected: "policy.yaml:15:17: privacy.log-subjects must be true or false"),
        .init(
            id: "domain that is not a domain",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected: "policy.yaml:4:13: 'agency' is not a domain name"),
        .init(
            id: "internal-only alias outside the organisation",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n  internal-only-aliases: \
                [all@elsewhere.nz]\nsystem:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, \
                MEDICAL]\npaths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: \
                true\n
                """,
            expected: "policy.yaml:5:27: internal-only alias 'all@elsewhere.nz' is not in an organisation domain"),
        .init(
            id: "label map value is not a classification",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                vocabulary:\n  label-map:\n    Agency Secret: SEKRIT\n
                """,
            expected:
                """
                policy.yaml:16:20: unknown classification 'SEKRIT' in vocabulary.label-map['Agency Secret'] (expected \
                one of: UNCLASSIFIED, IN-CONFIDENCE, SENSITIVE, RESTRICTED, CONFIDENTIAL, SECRET, TOP SECRET)
                """
        ),
        .init(
            id: "unknown Australian value",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                vocabulary:\n  australian:\n    OFFICIAL-ish: IN-CONFIDENCE\n
                """,
            expected:
                """
                policy.yaml:16:5: unknown Australian value 'OFFICIAL-ish' in vocabulary.australian (expected one of: \
                OFFICIAL, OFFICIAL:Sensitive, PROTECTED, SECRET, TOP-SECRET, UNOFFICIAL)
                """
        ),
        .init(
            id: "SMTP reply without a code",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                notices:\n  smtp-reject: go away\n
                """,
            expected: "policy.yaml:15:16: notices.smtp-reject must start with a 4xx or 5xx SMTP reply code"),
        .init(
            id: "system codeword not in the vocabulary",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n  codewords: \
                [KESTREL]\npaths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: \
                true\n
                """,
            expected: "policy.yaml:9:15: codeword 'KESTREL' is not listed in vocabulary.codewords"),
        .init(
            id: "duplicate key",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  name: other\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n
                """,
            expected: "policy.yaml:6:3: duplicate key(s) in a mapping: name"),
        .init(
            id: "extension family that does not exist",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                attachments:\n  extension-families:\n    scary: [ps1]\n
                """,
            expected:
                """
                policy.yaml:16:5: unknown key 'scary' in attachments.extension-families (expected one of: archive, \
                audio, disk-image, document, executable, image, installer, macro-office, script, text, unknown, video)
                """
        ),
        .init(
            id: "extension listed under two families",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                attachments:\n  extension-families:\n    script: [js]\n    text: [.JS]\n
                """,
            expected: "policy.yaml:17:12: extension 'js' is listed under both script and text"),
        .init(
            id: "extension that is not an extension",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\n\
                paths:\n  - name: internet\n    ceiling: IN-CONFIDENCE\n    countries: any\n    default: true\n\
                attachments:\n  extension-families:\n    script: [tar.gz]\n
                """,
            expected: "policy.yaml:16:14: 'tar.gz' is not a file-name extension"),
        .init(
            id: "paths not a list",
            yaml:
                """
                policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
                system:\n  name: sys\n  accreditation: RESTRICTED\n  endorsements: [NZEO, MEDICAL]\npaths: internet\n
                """,
            expected: "policy.yaml:9:8: paths must be a list"),
    ]

    @Test(arguments: cases)
    func brokenPolicyIsRefusedWithItsLocation(_ c: Case) {
        #expect {
            try PolicyLoader.load(yaml: c.yaml, file: "policy.yaml")
        } throws: { e in
            (e as? PolicyLoadError)?.description == c.expected
        }
    }

    @Test("the default policy gives Windows-run extensions their families (data, not code)")
    func extensionFamilies() throws {
        let p = try PolicyLoader.embeddedDefault()
        for (ext, fam) in [
            ("ps1", "script"), ("vbs", "script"), ("js", "script"), ("hta", "script"), ("exe", "executable"),
            ("lnk", "executable"), ("msi", "installer"), ("iso", "disk-image"),
        ] {
            #expect(p.extensionFamilies[ext] == fam, "\(ext)")
        }
    }

    @Test(
        """
        label-map keys that are label ids (GUIDs, braced or not, any case) take one form; label names are kept as \
        written
        """
    )
    func labelMapKeys() throws {
        let yaml =
            """
            policy:\n  name: test\norganisation:\n  domains: [agency.govt.nz]\n\
            system:\n  name: sys\n  accreditation: RESTRICTED\npaths:\n  - name: internet\n    ceiling: \
            IN-CONFIDENCE\n    countries: any\n    default: true\n\
            vocabulary:\n  label-map:\n    '{F42AA342-8706-4288-BD11-EBB85995028C}': SECRET\n    Agency Secret: \
            SECRET\n    '{not-a-guid}': RESTRICTED\n
            """
        let p = try PolicyLoader.load(yaml: yaml, file: "policy.yaml")
        #expect(p.vocabulary.labelMap["f42aa342-8706-4288-bd11-ebb85995028c"] == "SECRET")
        #expect(p.vocabulary.labelMap["Agency Secret"] == "SECRET")
        #expect(p.vocabulary.labelMap["{not-a-guid}"] == "RESTRICTED")
    }

    @Test("there are at least twenty broken policies")
    func enough() { #expect(Self.cases.count >= 20) }

    @Test("every problem is reported, not only the first")
    func allProblems() {
        let yaml = """
            policy:
              name: x
            organisation:
              domains: [nodot]
            system:
              name: s
              accreditation: SECRT
            paths:
              - name: p
                ceiling: TOPSECRET
                countries: [NZ]
            """
        #expect {
            try PolicyLoader.load(yaml: yaml, file: "p.yaml")
        } throws: { e in
            let d = (e as? PolicyLoadError)?.diagnostics.map(\.description) ?? []
            return d.count == 5 && d[0].hasPrefix("p.yaml:4:13: 'nodot' is not a domain name")
                && d[1].hasPrefix("p.yaml:7:18: unknown classification 'SECRT'")
                && d[2].hasPrefix("p.yaml:9:3: no default path")
                && d[3].hasPrefix("p.yaml:10:14: unknown classification 'TOPSECRET'")
                && d[4].hasPrefix("p.yaml:11:17: 'NZ' in path 'p' countries")
        }
    }
}

@Suite("Shipped policies")
struct ShippedPolicyTests {
    static let root = Repository.root

    @Test(
        "the default policy: RESTRICTED system, internet at IN-CONFIDENCE, all-of-government at RESTRICTED, NZEO held")
    func defaultPolicy() throws {
        let p = try PolicyLoader.load(contentsOf: Self.root + "/policies/default.yaml")
        #expect(p.accreditation.name == "RESTRICTED")
        #expect(p.systemEndorsements.contains("NZEO"))
        let internet = p.path(forDomain: "gmail.com")
        #expect(
            internet.name == "internet" && internet.ceiling.name == "IN-CONFIDENCE" && internet.reach == .any
                && internet.isDefault)
        #expect(!internet.endorsements.contains("NZEO"))
        let aog = p.path(forDomain: "dpmc.govt.nz")
        #expect(aog.name == "all-of-government" && aog.ceiling.name == "RESTRICTED" && aog.reach.isNZOnly)
        #expect(aog.endorsements.contains("NZEO"))
        #expect(p.action(.unmarkedOutbound) == .quarantine && p.action(.unmarkedInbound) == .allowAndTag)
        #expect(p.trustedAuthservIDs == ["mx.agency.govt.nz"])
        #expect(!p.logSubjects && !p.logAddresses)
    }

    @Test("path resolution: subdomains match, the most specific entry wins, case-insensitive")
    func pathResolution() throws {
        let p = try PolicyLoader.load(contentsOf: Self.root + "/policies/default.yaml")
        #expect(p.path(forDomain: "Mail.DPMC.govt.nz").name == "all-of-government")
        #expect(p.path(forDomain: "notdpmc.govt.nz").name == "internet")
    }

    @Test(
        "the example policies load", arguments: ["examples/secret-system.yaml", "examples/in-confidence-agency.yaml"])
    func examples(_ f: String) throws {
        let p = try PolicyLoader.load(contentsOf: Self.root + "/policies/" + f)
        #expect(!p.paths.isEmpty)
    }

    @Test("policy vocabulary extensions reach the marking vocabulary")
    func vocabularyExtension() throws {
        let p = try PolicyLoader.load(contentsOf: Self.root + "/policies/examples/secret-system.yaml")
        #expect(p.vocabulary.codewords.contains("KESTREL"))
        #expect(p.path(forDomain: "secure.fvey.example").reach == .countries(["AUS", "CAN", "GBR", "NZL", "USA"]))
    }
}

@Suite("Policy identity")
struct PolicyIdentityTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func vectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a loaded policy carries the SHA-256 of its file")
    func hashOfFile() throws {
        let path = ShippedPolicyTests.root + "/policies/default.yaml"
        let p = try PolicyLoader.load(contentsOf: path)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(p.contentHash == SHA256.hex(bytes))
        #expect(p.contentHash.count == 64)
    }
}

@Suite("Embedded default policy")
struct EmbeddedDefaultPolicyTests {
    @Test("the compiled-in default equals policies/default.yaml (run scripts/embed-default-policy after editing it)")
    func matchesFile() throws {
        let file = try String(contentsOfFile: ShippedPolicyTests.root + "/policies/default.yaml", encoding: .utf8)
        #expect(PolicyLoader.embeddedDefaultYAML + "\n" == file)
        let p = try PolicyLoader.embeddedDefault()
        #expect(p.name == "NZ agency default")
        #expect(p.contentHash == SHA256.hex(Array(file.utf8)))  // same identity as the file
    }
}
