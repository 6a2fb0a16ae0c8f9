/// What the normaliser and HTML fuzz targets run (in the library, so crasher replays in unit
/// tests go through the same code). Invariants: never trap, never hang, output bounded by a
/// small multiple of the input.
public enum TextFuzzEntryPoints {
    /// The marking-text normaliser (spec §10.5) on arbitrary UTF-8: both display orders, the
    /// tokenizer, the blank-line test and the signature search.
    public static func normalise(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for order in [false, true] {
            let n = NormalizedText(text, displayOrder: order)
            precondition(
                n.chars.count == n.plain.count && n.plain.count == n.wasUpper.count
                    && n.wasUpper.count == n.obfuscated.count)
            precondition(n.chars.count <= 3 * text.unicodeScalars.count)
            _ = Tokenizer.tokens(n)
        }
        _ = MarkingReader.isBlankLine(text)
        _ = MarkingReader.lineBeforeSignature(text)
        _ = MarkingReader.firstAndLastLines(text)
    }

    /// The HTML tokenizer (spec §10.4) on arbitrary bytes.
    public static func html(_ bytes: [UInt8]) {
        let r = bytes.withUnsafeBufferPointer { HTMLText.render(bytes: $0) }
        // Every output byte comes from an input byte, a reference (≤ 4 bytes of UTF-8 per input
        // byte) or an inserted newline / bidi control.
        precondition(r.visible.count + r.hidden.count <= 8 * bytes.count + 16)
        _ = HTMLText.cssContent(HTMLText.normaliseCSS(String(decoding: bytes.prefix(4096), as: UTF8.self)))
    }
}
