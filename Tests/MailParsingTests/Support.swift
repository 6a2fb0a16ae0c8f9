import Foundation
import TestSupport

@testable import MailParsing

/// Paths used by tests.
enum TestPaths {
    /// The project root (three levels above this file).
    static let root = Repository.root
    /// `../shared/corpora` beside the project, when present (CI has it; a fresh clone may not).
    static let corpora: String? = {
        let p = URL(fileURLWithPath: root).deletingLastPathComponent().appendingPathComponent("shared/corpora").path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }()
}

/// Parses an inline message written with `\n` line ends.
func parse(_ s: String, limits: ParserLimits = .default) throws -> Message {
    try Message(parsing: Array(s.utf8), limits: limits)
}

/// All regular files under `dir`, sorted.
func allFiles(under dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let f = e.nextObject() as? String {
        var isDir: ObjCBool = false
        let full = dir + "/" + f
        if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue { out.append(full) }
    }
    return out.sorted()
}
