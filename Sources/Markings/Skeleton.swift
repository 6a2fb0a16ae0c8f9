import CICU

/// UTS #39 confusable skeletons through ICU's spoof checker (spec §10.5).
///
/// Why ICU rather than a table generated from `confusables.txt`: the system ICU (Debian
/// `libicu-dev`) already carries Unicode's confusables data and NFKC, is updated with the OS's
/// security updates, and keeps ~6,000 mappings and their licence out of the repository. ICU's
/// C symbols are versioned (`uspoof_open_72`); `Sources/CICU/pmark_icu.c` wraps them.
///
/// Only non-ASCII scalars are looked up (ASCII text never reaches ICU), one scalar at a time:
/// NFKC first (mathematical alphanumerics, fullwidth and circled forms), then the skeleton.
enum Skeleton {
    final class Handles: @unchecked Sendable {
        // uspoof_getSkeleton and unorm2_normalize take const handles: safe to share across threads.
        let checker: UnsafeMutableRawPointer?
        let nfkc: UnsafeRawPointer?
        init() {
            var st: Int32 = 0
            let sc = pmark_uspoof_open(&st)
            checker = st <= 0 ? sc : nil
            var st2: Int32 = 0
            let n = pmark_nfkc(&st2)
            nfkc = st2 <= 0 ? n : nil
        }
    }
    static let handles = Handles()

    /// Small capitals are not in confusables.txt (they are confusable only at small sizes),
    /// but read as capitals: ᴛᴏᴘ ꜱᴇᴄʀᴇᴛ.
    static let smallCapitals: [UInt32: UInt8] = [
        0x1D00: 0x41, 0x0299: 0x42, 0x1D04: 0x43, 0x1D05: 0x44, 0x1D07: 0x45, 0xA730: 0x46, 0x0262: 0x47, 0x029C: 0x48,
        0x026A: 0x49, 0x1D0A: 0x4A, 0x1D0B: 0x4B, 0x029F: 0x4C, 0x1D0D: 0x4D, 0x0274: 0x4E, 0x1D0F: 0x4F, 0x1D18: 0x50,
        0xA7AF: 0x51, 0x0280: 0x52, 0xA731: 0x53, 0x1D1B: 0x54, 0x1D1C: 0x55, 0x1D20: 0x56, 0x1D21: 0x57, 0x028F: 0x59,
        0x1D22: 0x5A,
    ]

    /// The ASCII letters or digits (1–3) a scalar is confusable with, and whether they look
    /// upper case; nil when the scalar is not confusable with ASCII alphanumerics.
    static func ascii(for u: Unicode.Scalar) -> (letters: [UInt8], upper: Bool)? {
        if let c = smallCapitals[u.value] { return ([c], true) }
        let props = u.properties
        var src: [UInt16] = Array(String(u).utf16)
        // NFKC: 𝐒 → S, Ⓢ → S, ﬁ → fi.
        if let n = handles.nfkc {
            var out = [UInt16](repeating: 0, count: 16)
            var st: Int32 = 0
            let len = pmark_normalize(n, src, Int32(src.count), &out, 16, &st)
            if st <= 0, len > 0, len <= 16 { src = Array(out[0..<Int(len)]) }
        }
        var result: [UInt16] = src
        if let sc = handles.checker {
            var out = [UInt16](repeating: 0, count: 32)
            var st: Int32 = 0
            let len = pmark_uspoof_getSkeleton(sc, src, Int32(src.count), &out, 32, &st)
            if st <= 0, len > 0, len <= 32 { result = Array(out[0..<Int(len)]) }
        }
        // Drop combining marks the skeleton decomposed (É → E + U+0301).
        var letters: [UInt8] = []
        for unit in result {
            if unit >= 0x0300 && unit <= 0x036F { continue }
            guard unit < 0x80, let sc = Unicode.Scalar(UInt32(unit)),
                sc.properties.isAlphabetic || (unit >= 0x30 && unit <= 0x39)
            else { return nil }
            letters.append(UInt8(unit))
        }
        guard !letters.isEmpty, letters.count <= 3 else { return nil }
        let upper = props.isUppercase || props.generalCategory == .titlecaseLetter || !props.isLowercase
        // In skeletons capital I and small l are one prototype ("l"): a capital-looking
        // scalar that skeletons to "l" is an I (Greek Ι, Cyrillic І, Roman numeral Ⅰ).
        if letters == [0x6C] && upper { letters = [0x49] }
        return (letters, upper)
    }
}
