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
        .library(name: "Reporting", targets: ["Reporting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
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
        .target(name: "MailParsing"),
        .target(name: "ContentInspection", dependencies: ["MailParsing", "CMagic", "PmarkZlib"]),
        .target(
            name: "Markings",
            dependencies: ["MailParsing", "CPCRE2"]),
        // Office Open XML reading (ZIPFoundation, Foundation) is kept out of Markings so the
        // marking core stays Foundation-free, like MailParsing; it is injected through
        // MarkingOptions.documents (MarkingOptions.standard() wires it in).
        .target(
            name: "OfficeDocuments",
            dependencies: ["Markings", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "PolicyLanguage", dependencies: ["Markings", .product(name: "Yams", package: "Yams")]),
        .target(name: "DecisionEngine", dependencies: ["MailParsing", "Markings", "ContentInspection", "PolicyLanguage"]),
        .target(
            name: "PolicyHarness",
            dependencies: ["DecisionEngine", "PolicyLanguage", "Markings", "MailParsing", "OfficeDocuments", .product(name: "Yams", package: "Yams")]),
        // The audit log, quarantine and notices (GRDB over the system SQLite, WAL).
        .target(
            name: "AuditStore",
            dependencies: ["DecisionEngine", "Reporting", "PolicyLanguage", "Markings", "ContentInspection", "MailParsing", "PmarkZlib",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        // The report of one decision (DecisionRecord), its text and JSON formatters, and the
        // policy's privacy settings applied to every output.
        .target(name: "Reporting", dependencies: ["DecisionEngine", "PolicyLanguage", "Markings", "ContentInspection", "MailParsing"]),
        .target(name: "Benchmarking", dependencies: ["MailParsing", "Markings", "OfficeDocuments", "PolicyLanguage", "DecisionEngine"]),
        .executableTarget(
            name: "pmark",
            dependencies: [
                "MailParsing", "Markings", "OfficeDocuments", "PolicyLanguage", "DecisionEngine", "PolicyHarness", "Benchmarking", "Reporting", "AuditStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "MailParsingTests", dependencies: ["MailParsing"]),
        // Proves the system libraries install, link and work; the marking grammar (PCRE2) and
        // attachment identification (libmagic) build on them (SQLite: AuditStoreTests, via GRDB).
        .testTarget(name: "SystemLibraryTests", dependencies: ["CPCRE2", "CMagic"]),
        .testTarget(
            name: "AuditStoreTests",
            dependencies: ["AuditStore", "DecisionEngine", "PolicyLanguage", "OfficeDocuments", "MailParsing",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "MarkingsTests",
            dependencies: ["Markings", "MailParsing", "OfficeDocuments", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .testTarget(name: "PolicyLanguageTests", dependencies: ["PolicyLanguage", "Markings"]),
        .testTarget(name: "DecisionEngineTests", dependencies: ["DecisionEngine", "PolicyLanguage", "Markings", "OfficeDocuments", "MailParsing"]),
        .testTarget(name: "PolicyHarnessTests", dependencies: ["PolicyHarness", "DecisionEngine", "PolicyLanguage"]),
        .testTarget(name: "ContentInspectionTests", dependencies: ["ContentInspection", "MailParsing"]),
        .testTarget(name: "CLITests", dependencies: ["MailParsing"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "DecisionEngine", "PolicyLanguage", "MailParsing", "OfficeDocuments"]),
    ]
)
