import BinaryCoding
import Testing

@Suite("Binary coding")
struct BinaryCodingTests {
    @Test func roundTripsEveryKind() throws {
        var w = ByteWriter()
        let ints: [UInt64] = [0, 1, 127, 128, 300, 1 << 35, UInt64.max]
        for v in ints { w.write(varint: v) }
        for v: Int64 in [0, -1, 1, Int64.min, Int64.max] { w.write(signed: v) }
        w.write(fixed: 0xdead_beef_cafe_f00d)
        w.write(bytes: [1, 2, 3])
        w.write("héllo · ✕")
        w.write(optional: nil)
        w.write(optional: "x")
        w.write(true)
        var r = ByteReader(w.bytes)
        for v in ints { #expect(try r.readVarint() == v) }
        for v: Int64 in [0, -1, 1, Int64.min, Int64.max] { #expect(try r.readSigned() == v) }
        #expect(try r.readFixed64() == 0xdead_beef_cafe_f00d)
        #expect(try r.readBytes() == [1, 2, 3])
        #expect(try r.readString() == "héllo · ✕")
        #expect(try r.readOptionalString() == nil)
        #expect(try r.readOptionalString() == "x")
        #expect(try r.readBool() == true)
        try r.expectEnd()
    }

    @Test func malformedInputThrowsWithOffsets() {
        var r = ByteReader([0x80, 0x80])
        #expect(throws: DecodingError.truncated(offset: 2, needed: 1)) { try r.readVarint() }
        var overlong = ByteReader([UInt8](repeating: 0xff, count: 11))
        #expect(throws: DecodingError.malformedVarint(offset: 0)) { try overlong.readVarint() }
        var big = ByteReader([0x05, 1, 2], maxLength: 4)
        #expect(throws: DecodingError.tooLarge(offset: 0, length: 5, limit: 4)) { try big.readBytes() }
        var short = ByteReader([0x03, 1])
        #expect(throws: DecodingError.truncated(offset: 1, needed: 2)) { try short.readBytes() }
        var utf = ByteReader([0x02, 0xc3, 0x28])
        #expect(throws: DecodingError.invalidUTF8(offset: 0)) { try utf.readString() }
        var bool = ByteReader([7])
        #expect(throws: DecodingError.unknownTag(offset: 0, tag: 7, type: "bool")) { try bool.readBool() }
        let trailing = ByteReader([1])
        #expect(throws: DecodingError.trailingBytes(offset: 0, count: 1)) { try trailing.expectEnd() }
    }

    /// `readString` takes a shortcut for ASCII; it must accept and reject exactly what the
    /// standard library's UTF-8 validation does, wherever the odd byte sits.
    @Test func stringsDecodeExactlyWhenValidUTF8() throws {
        var rng = SplitMix64(seed: 8)
        let alphabet: [[UInt8]] = [[0x61], [0x7f], [0x00], [0xc3, 0xa9], [0xe2, 0x9c, 0x95], [0xf0, 0x9f, 0x9a, 0xa2],
                                   [0x80], [0xc3], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]
        var valid = 0, invalid = 0
        for _ in 0..<5_000 {
            let raw = (0..<rng.below(12)).flatMap { _ in alphabet[rng.below(rng.chance(0.8) ? 6 : alphabet.count)] }
            var w = ByteWriter()
            w.write(bytes: raw)
            var r = ByteReader(w.bytes)
            if let expected = String(validating: raw, as: UTF8.self) {
                #expect(try r.readString() == expected)
                try r.expectEnd()
                valid += 1
            } else {
                #expect(throws: DecodingError.invalidUTF8(offset: 0)) { try r.readString() }
                invalid += 1
            }
        }
        #expect(valid > 1000 && invalid > 1000)
    }

    /// Random bytes never trap the reader, whatever they claim to be.
    @Test func randomInputNeverTraps() {
        var rng = SplitMix64(seed: 99)
        var decoded = 0
        for _ in 0..<20_000 {
            let bytes = (0..<rng.below(24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var r = ByteReader(bytes, maxLength: 1 << 16)
            while !r.isAtEnd {
                let ok: Bool
                switch rng.below(5) {
                case 0: ok = (try? r.readVarint()) != nil
                case 1: ok = (try? r.readString()) != nil
                case 2: ok = (try? r.readBytes()) != nil
                case 3: ok = (try? r.readFixed64()) != nil
                default: ok = (try? r.readBool()) != nil
                }
                if !ok { break }
                decoded += 1
            }
        }
        #expect(decoded > 1000)
    }

    @Test func splitMixIsSeededAndUniformEnough() {
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5), c = SplitMix64(seed: 6)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<10_000 { counts[a.below(10)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
    }

    /// The published FNV-1a 64-bit vectors, through contiguous and non-contiguous collections alike.
    @Test func fnvMatchesTheReferenceVectors() {
        for (text, expected) in [("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)] as [(String, UInt64)] {
            var contiguous = FNV1a(), lazy = FNV1a(), bytewise = FNV1a()
            contiguous.combine(bytes: Array(text.utf8))
            lazy.combine(bytes: text.utf8.lazy.map { $0 })
            for b in text.utf8 { bytewise.combine(b) }
            #expect(contiguous.value == expected, "\(text)")
            #expect(lazy.value == expected, "\(text)")
            #expect(bytewise.value == expected, "\(text)")
        }
    }

    @Test func fnvDistinguishesOrderAndContent() {
        var h1 = FNV1a(), h2 = FNV1a(), h3 = FNV1a()
        h1.combine(bytes: [1, 2])
        h2.combine(bytes: [2, 1])
        h3.combine(bytes: [1, 2])
        #expect(h1.value == h3.value)
        #expect(h1.value != h2.value)
        var s1 = FNV1a(), s2 = FNV1a()
        s1.combine("ab"); s1.combine("c")
        s2.combine("a"); s2.combine("bc")
        #expect(s1.value != s2.value)
    }
}
