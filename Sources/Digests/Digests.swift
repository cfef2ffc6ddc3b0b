/// Digests for names, ids and outbox keys (never for security). A target of its own, with no
/// dependencies, so that delivery need not import the adapter for them (issue 17).

/// SHA-1 (FIPS 180-4), only for names (not for security). Whole 64-byte blocks are read in place
/// (an input without an id is named by the hash of its bytes: megabytes).
public enum SHA1 {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
        var w = [UInt32](repeating: 0, count: 80)
        let whole = message.count / 64
        w.withUnsafeMutableBufferPointer { w in
            message.withUnsafeBufferPointer { m in
                for block in 0..<whole { compress(m.baseAddress! + block * 64, &h, w) }
            }
            // The tail, the 0x80 marker and the length in bits, in one or two blocks.
            var tail = Array(message[(whole * 64)...])
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            let bits = UInt64(message.count) &* 8
            for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
            tail.withUnsafeBufferPointer { t in
                for block in 0..<(t.count / 64) { compress(t.baseAddress! + block * 64, &h, w) }
            }
        }
        var digest: [UInt8] = []
        for v: UInt32 in [h.0, h.1, h.2, h.3, h.4] {
            for shift: UInt32 in [24, 16, 8, 0] { digest.append(UInt8(truncatingIfNeeded: v >> shift)) }
        }
        return digest
    }

    @inline(__always)
    static func compress(_ p: UnsafePointer<UInt8>, _ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ w: UnsafeMutableBufferPointer<UInt32>) {
        for i in 0..<16 {
            let b0 = UInt32(p[4 * i]) << 24, b1 = UInt32(p[4 * i + 1]) << 16
            let b2 = UInt32(p[4 * i + 2]) << 8, b3 = UInt32(p[4 * i + 3])
            w[i] = b0 | b1 | b2 | b3
        }
        for i in 16..<80 {
            let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = x << 1 | x >> 31
        }
        var (a, b, c, d, e) = h
        var i = 0
        while i < 20 {
            let t = (a << 5 | a >> 27) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A827999 &+ w[i]
            e = d; d = c; c = b << 30 | b >> 2; b = a; a = t; i += 1
        }
        while i < 40 {
            let t = (a << 5 | a >> 27) &+ (b ^ c ^ d) &+ e &+ 0x6ED9EBA1 &+ w[i]
            e = d; d = c; c = b << 30 | b >> 2; b = a; a = t; i += 1
        }
        while i < 60 {
            let t = (a << 5 | a >> 27) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1BBCDC &+ w[i]
            e = d; d = c; c = b << 30 | b >> 2; b = a; a = t; i += 1
        }
        while i < 80 {
            let t = (a << 5 | a >> 27) &+ (b ^ c ^ d) &+ e &+ 0xCA62C1D6 &+ w[i]
            e = d; d = c; c = b << 30 | b >> 2; b = a; a = t; i += 1
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }
}

/// Digests for names (not for security).
public enum Digest {
    /// SHA-1 in hex: `deliver` keys its outbox with it.
    public static func sha1Hex(_ bytes: [UInt8]) -> String { SHA1.hex(bytes) }

    /// A 128-bit digest in hex, eight bytes at a time (about a byte per instruction: an input that
    /// names itself nowhere is named by the digest of its bytes, which may be megabytes; SHA-1
    /// cost a third of `apply` on a 2.6 MB Bundle). Two multiply-rotate lanes, murmur3's finaliser;
    /// little-endian loads, so the same bytes give the same name on every platform we build for.
    public static func fast128(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var h1: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var h2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        let words = bytes.count / 8
        if let base = bytes.baseAddress, words > 0 {
            var word = UnsafeRawPointer(base)
            @inline(__always) func mix(_ k: UInt64) {
                h1 = ((h1 ^ k) &* 0x8765_4321_0FED_CBA9).rotateLeft(31)
                h2 = ((h2 &+ k) &* 0x9E37_79B9_7F4A_7C15).rotateLeft(27) ^ h1
            }
            // Four words a turn (issue 20: the same digest with a quarter of the loop's overhead;
            // an unnamed 2.6 MB Bundle is hashed whole).
            let end = word + words * 8, end4 = word + (words & ~3) * 8
            while word < end4 {
                mix(UInt64(littleEndian: word.loadUnaligned(as: UInt64.self)))
                mix(UInt64(littleEndian: word.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                mix(UInt64(littleEndian: word.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                mix(UInt64(littleEndian: word.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
                word += 32
            }
            while word < end {
                mix(UInt64(littleEndian: word.loadUnaligned(as: UInt64.self)))
                word += 8
            }
        }
        var tail: UInt64 = 0
        for i in (words * 8)..<bytes.count { tail |= UInt64(bytes[i]) << (UInt64(i - words * 8) * 8) }
        h1 ^= tail &* 0xFF51_AFD7_ED55_8CCD
        h2 ^= h1
        func fmix(_ k: UInt64) -> UInt64 {
            var k = k
            k ^= k >> 33; k = k &* 0xFF51_AFD7_ED55_8CCD
            k ^= k >> 33; k = k &* 0xC4CE_B9FE_1A85_EC53
            k ^= k >> 33
            return k
        }
        let a = fmix(h1 &+ h2), b = fmix(h2 &+ a)
        let hexA = String(a, radix: 16), hexB = String(b, radix: 16)
        return String(repeating: "0", count: 16 - hexA.count) + hexA + String(repeating: "0", count: 16 - hexB.count) + hexB
    }
}

extension UInt64 {
    @inline(__always) func rotateLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}

extension SHA1 {
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        for b in hash(bytes) {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }
}
