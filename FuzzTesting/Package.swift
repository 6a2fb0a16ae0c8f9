// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets, kept out of the main package so `swift test` never builds them.
// Build and run: see README "Fuzzing" (needs --sanitize=fuzzer --disable-dead-strip).
let package = Package(
    name: "FuzzTesting",
    dependencies: [.package(name: "pmark", path: "..")],
    targets: [
        .executableTarget(name: "FuzzMessage", dependencies: [.product(name: "MailParsing", package: "pmark")]),
        .executableTarget(name: "FuzzMbox", dependencies: [.product(name: "MailParsing", package: "pmark")]),
        .executableTarget(name: "FuzzMarking", dependencies: [.product(name: "Markings", package: "pmark")]),
        .executableTarget(name: "FuzzContent", dependencies: [.product(name: "ContentInspection", package: "pmark")]),
        .executableTarget(name: "FuzzNormalizer", dependencies: [.product(name: "Markings", package: "pmark")]),
        .executableTarget(name: "FuzzHTML", dependencies: [.product(name: "Markings", package: "pmark")]),
        .executableTarget(name: "FuzzMilter", dependencies: [.product(name: "MilterCodec", package: "pmark")]),
        .executableTarget(name: "FuzzOfficeXML", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
        .executableTarget(name: "FuzzPDF", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
        .executableTarget(name: "FuzzTNEF", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
        .executableTarget(name: "FuzzCalendar", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
        .executableTarget(name: "FuzzRTF", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
        .executableTarget(name: "FuzzArchive", dependencies: [.product(name: "OfficeDocuments", package: "pmark")]),
    ]
)
