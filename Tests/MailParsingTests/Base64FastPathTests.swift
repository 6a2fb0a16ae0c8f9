import TestSupport
import Testing

@testable import MailParsing

@Suite("Base64 fast path")
struct Base64FastPathTests {

    @Test("the contiguous fast path decodes exactly as the byte-by-byte decoder: bytes, invalid, truncated, limit")
    func differential() {
        var rng = XorShift(s: 0x5EED)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let extras: [UInt8] = [0x0A, 0x0D, 0x20, 0x09, 0x3D, 0x2D, 0x5F, 0x21, 0x00, 0xFF, 0x2E]
        for round in 0..<2000 {
            let len = Int(rng.next() % 300)
            let junkRate = [0, 0, 50, 5][round % 4]
            var input: [UInt8] = []
            for k in 0..<len {
                if junkRate > 0 && Int(rng.next() % 100) < junkRate {
                    input.append(extras[Int(rng.next() % UInt64(extras.count))])
                } else if k % 77 == 76 {
                    input.append(0x0A)
                } else {
                    input.append(alphabet[Int(rng.next() % 64)])
                }
            }
            if round % 3 == 0 { input += Array("==\n".utf8) }
            let limit = round % 5 == 0 ? Int(rng.next() % 100) : .max
            let fast = TransferDecoding.base64(input[...], limit: limit)
            // no contiguous storage: the byte-by-byte path
            let slow = TransferDecoding.base64(input.lazy.map { $0 }, limit: limit)
            #expect(fast == slow, "round \(round)")
        }
    }

    @Test("the decoded size is counted without decoding and equals the decoded length for clean input")
    func size() {
        for text in ["", "QQ==", "QUI=", "QUJD", "QUJDRA==\r\n", "SGVsbG8sIFdvcmxkIQ==\n"] {
            let b = Array(text.utf8)
            #expect(
                b.withUnsafeBufferPointer { TransferDecoding.base64DecodedSize($0) }
                    == TransferDecoding.base64(b).bytes.count, "\(text)")
        }
    }

    @Test(
        """
        the branch-free size count equals the per-character count on random bodies with junk, padding and base64url \
        characters
        """
    )
    func sizeCountDifferential() {
        func reference(_ p: [UInt8]) -> Int {
            let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
            var n = 0, pad = 0
            for c in p { if c == 0x3D { pad += 1 } else if alphabet.contains(c) { n += 1 } }
            return n * 3 / 4 - (n % 4 == 0 ? min(pad, 2) : 0)
        }
        var rng = XorShift(s: 0xB64)
        for round in 0..<2000 {
            let input =
                (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                + (round % 2 == 0 ? Array("==".utf8) : [])
            #expect(
                input.withUnsafeBufferPointer { TransferDecoding.base64DecodedSize($0) } == reference(input),
                "round \(round)")
        }
    }
}
