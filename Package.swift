// swift-tools-version: 6.1
import PackageDescription

// pmark: protective-marking classification engine for New Zealand government email.
// Module boundaries (see README "Architecture"): MailParsing knows nothing of markings;
// Markings knows nothing of policy, servers or SQLite; the `pmark` executable holds no
// business logic.
let package = Package(
    name: "pmark",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pmark", targets: ["pmark"]),
        .library(name: "MailParsing", targets: ["MailParsing"]),
        .library(name: "Markings", targets: ["Markings"]),
        .library(name: "ContentInspection", targets: ["ContentInspection"]),
        .library(name: "OfficeDocuments", targets: ["OfficeDocuments"]),
        .library(name: "PolicyLanguage", targets: ["PolicyLanguage"]),
        .library(name: "DecisionEngine", targets: ["DecisionEngine"]),
        .library(name: "PolicyHarness", targets: ["PolicyHarness"]),
        .library(name: "AuditStore", targets: ["AuditStore"]),
        .library(name: "ArchiveScan", targets: ["ArchiveScan"]),
        .library(name: "MilterCodec", targets: ["MilterCodec"]),
        .library(name: "Milter", targets: ["Milter"]),
        .library(name: "PostfixTestBed", targets: ["PostfixTestBed"]),
        .library(name: "Reporting", targets: ["Reporting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"]), .brew(["pcre2"])]),
        .systemLibrary(
            name: "CMagic", path: "Sources/CMagic", pkgConfig: "libmagic",
            providers: [.apt(["libmagic-dev"]), .brew(["libmagic"])]),
        .systemLibrary(
            name: "PmarkZlib", path: "Sources/PmarkZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // zstd: the bytes of held (quarantined) messages the audit store keeps (~5× less CPU than
        // zlib on the gateway's decision path, for a smaller result).
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(
            name: "CPff", path: "Sources/CPff", pkgConfig: "libpff",
            providers: [.apt(["libpff-dev"]), .brew(["libpff"])]),
        // OpenSSL's libcrypto for SHA-256 of every scanned message (hardware SHA extensions;
        // the identity hash must not cost the scan its speed).
        .systemLibrary(
            name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        // libarchive: the one bounded archive backend (zip, 7z, rar, cab, iso, tar, gzip) with
        // per-entry encryption reporting; libxml2: the namespace-aware streaming XML reader
        // (xmlTextReader) behind OOXML and OpenDocument reading.
        .systemLibrary(
            name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
        .systemLibrary(
            name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
        // ICU (UTS #39 confusable skeletons, NFKC) for marking-text normalisation, spec §10.5.
        // A C target, not a system-library module: only plain C types cross its header, so
        // ICU's enums never meet Foundation's bundled ICU in one Swift module (pmark_icu.h).
        .target(
            name: "CICU", path: "Sources/CICU",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc")]),
        .target(name: "MailParsing"),
        .target(name: "ContentInspection", dependencies: ["MailParsing", "CMagic", "PmarkZlib", "CArchive"]),
        .target(
            name: "Markings",
            dependencies: ["MailParsing", "ContentInspection", "CPCRE2", "CICU"]),
        // Document readers (OOXML, OpenDocument, PDF, RTF, calendar, TNEF, archive entries) are
        // kept out of Markings so the marking core stays Foundation-free, like MailParsing; they
        // are injected through MarkingOptions.documents (MarkingOptions.standard() wires them in).
        .target(
            name: "OfficeDocuments",
            dependencies: ["Markings", "ContentInspection", "CLibXML2"]),
        .target(name: "PolicyLanguage", dependencies: ["Markings", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "DecisionEngine", dependencies: ["MailParsing", "Markings", "ContentInspection", "PolicyLanguage"]),
        .target(
            name: "PolicyHarness",
            dependencies: [
                "DecisionEngine", "AuditStore", "PolicyLanguage", "Markings", "MailParsing", "OfficeDocuments",
                .product(name: "Yams", package: "Yams"),
            ]),
        // The audit log, quarantine and notices (GRDB over the system SQLite, WAL).
        .target(
            name: "AuditStore",
            dependencies: [
                "DecisionEngine", "Reporting", "PolicyLanguage", "Markings", "ContentInspection", "MailParsing",
                "PmarkZlib", "CZstd", "CCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The milter protocol: a pure codec (bytes <-> typed commands and responses, NIOCore's
        // ByteBuffer only, no I/O) and the gateway server around it (SwiftNIO, swift-log).
        .target(name: "MilterCodec", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "Milter",
            dependencies: [
                "MilterCodec", "DecisionEngine", "PolicyLanguage", "MailParsing",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The report of one decision (DecisionRecord), its text and JSON formatters, and the
        // policy's privacy settings applied to every output.
        .target(
            name: "Reporting",
            dependencies: ["DecisionEngine", "PolicyLanguage", "Markings", "ContentInspection", "MailParsing"]),
        // Archive scanning: input discovery (mbox folders, Maildir, .eml trees, gzip, PST via
        // libpff), one reader -> N workers -> output in input order, progress, shards, and the
        // JSONL/CSV/HTML outputs and summaries; generic over the per-message evaluation.
        .target(
            name: "ArchiveScan",
            dependencies: [
                "MailParsing", "Markings", "DecisionEngine", "PolicyLanguage", "ContentInspection", "Reporting", "CPff",
                "CCrypto", "PmarkZlib", "CMagic", "CPCRE2", "CArchive", "CZstd",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // A private Postfix on loopback (own config, queue, Maildirs, smtp-sink) for the gateway's
        // integration tests and `pmark milter bench`; Foundation only.
        .target(name: "PostfixTestBed"),
        .target(
            name: "Benchmarking",
            dependencies: [
                "ArchiveScan", "MailParsing", "Markings", "OfficeDocuments", "PolicyLanguage", "DecisionEngine",
            ]),
        .executableTarget(
            name: "pmark",
            dependencies: [
                "MailParsing", "Markings", "ContentInspection", "OfficeDocuments", "PolicyLanguage", "DecisionEngine",
                "PolicyHarness", "Benchmarking", "Reporting", "ArchiveScan", "AuditStore",
                "Milter", "MilterCodec", "PostfixTestBed", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Shared by the test targets: the repository root, and a ZIP writer (stored or deflated
        // entries) for documents and archive limits.
        .target(name: "TestSupport", dependencies: ["PmarkZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "MailParsingTests", dependencies: ["MailParsing", "TestSupport"]),
        // Proves the system libraries install, link and work; the marking grammar (PCRE2) and
        // attachment identification (libmagic) build on them (SQLite: AuditStoreTests, via GRDB).
        .testTarget(name: "SystemLibraryTests", dependencies: ["CPCRE2", "CMagic"]),
        .testTarget(
            name: "AuditStoreTests",
            dependencies: [
                "AuditStore", "DecisionEngine", "PolicyLanguage", "OfficeDocuments", "MailParsing",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "MarkingsTests",
            dependencies: ["Markings", "MailParsing", "OfficeDocuments", "ContentInspection", "TestSupport"]),
        .testTarget(name: "PolicyLanguageTests", dependencies: ["PolicyLanguage", "Markings", "TestSupport"]),
        .testTarget(
            name: "DecisionEngineTests",
            dependencies: [
                "DecisionEngine", "PolicyLanguage", "Markings", "OfficeDocuments", "MailParsing", "ContentInspection",
                "TestSupport",
            ]),
        .testTarget(
            name: "PolicyHarnessTests",
            dependencies: ["PolicyHarness", "DecisionEngine", "PolicyLanguage", "AuditStore", "TestSupport"]),
        .testTarget(name: "ContentInspectionTests", dependencies: ["ContentInspection", "MailParsing", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["MailParsing", "TestSupport"]),
        .testTarget(name: "ArchiveScanTests", dependencies: ["ArchiveScan", "MailParsing", "PmarkZlib"]),
        .testTarget(
            name: "MilterCodecTests", dependencies: ["MilterCodec", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "MilterTests",
            dependencies: [
                "Milter", "MilterCodec", "DecisionEngine", "PolicyLanguage", "OfficeDocuments", "PostfixTestBed",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        // The milter with the audit store: SIGKILL crash test, release/notices through a real Postfix.
        .testTarget(
            name: "GatewayAuditTests",
            dependencies: [
                "AuditStore", "Milter", "MilterCodec", "PostfixTestBed",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "ReportingTests",
            dependencies: ["Reporting", "DecisionEngine", "PolicyLanguage", "MailParsing", "OfficeDocuments"]),
    ]
)
