/// Name-based UUIDs (RFC 4122 version 5, SHA-1): the same clinical situation always gives the
/// same id, so a replay gives the same bytes and a re-sent Bundle creates nothing twice.
enum DeterministicID {
    /// The namespace of this program's ids (interface.md v2): the v5 UUID of `rpl-adapter` in the
    /// DNS namespace, 39ec7d54-3765-5fa6-82b4-847402c6958c.
    static let namespace: [UInt8] = uuidBytes(namespace: dnsNamespace, name: "rpl-adapter")

    static let dnsNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    static func uuid(_ name: String) -> String { format(uuidBytes(namespace: namespace, name: name)) }

    static func uuidBytes(namespace: [UInt8], name: String) -> [UInt8] {
        var bytes = Array(SHA1.hash(namespace + Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return bytes
    }

    static func format(_ b: [UInt8]) -> String {
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { s.append("-") }
            s.append(hex[Int(byte >> 4)])
            s.append(hex[Int(byte & 0xF)])
        }
        return s
    }
}

/// SHA-1 (FIPS 180-4), only for names (not for security). Whole 64-byte blocks are read in place
/// (an input without an id is named by the hash of its bytes: megabytes).
enum SHA1 {
    static func hash(_ message: [UInt8]) -> [UInt8] {
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
