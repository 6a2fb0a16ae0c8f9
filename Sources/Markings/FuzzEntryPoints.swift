import MailParsing

/// What the marking-grammar fuzz target runs, in the library so crasher replays in unit
/// tests go through exactly the same code.
@_spi(Fuzzing) public enum MarkingFuzzEntryPoints {
    nonisolated(unsafe) static var cached: MarkingReader? = nil

    /// Runs the input through every marking grammar: the `X-Protective-Marking` long form,
    /// the subject (brackets, bare start and end, EPMS medium form), a whole body line and a
    /// file name; then as a whole message. Must never crash or hang.
    public static func readMarkingText(_ bytes: [UInt8]) {
        if cached == nil { cached = try? MarkingReader() }
        guard let reader = cached else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        _ = reader.readers.readProtectiveMarkingHeader(text)
        _ = reader.readers.readSubjectLike(text, isSubject: true)
        _ = reader.readers.readSubjectLike(text, isSubject: false)
        _ = reader.readers.readLine(text)
        _ = reader.readers.readOtherHeader(text)
        if let m = try? Message(parsing: Array("X-Protective-Marking: \(text)\nSubject: \(text)\n\n\(text)\n".utf8)) {
            _ = reader.read(m)
        }
    }
}
