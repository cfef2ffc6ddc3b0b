import Digests

/// Name-based UUIDs (RFC 4122 version 5, SHA-1): the same clinical situation always gives the
/// same id, so a replay gives the same bytes and a re-sent Bundle creates nothing twice.
public enum DeterministicID {
    /// The namespace of this program's ids (interface.md v2): the v5 UUID of `rpl-adapter` in the
    /// DNS namespace, 39ec7d54-3765-5fa6-82b4-847402c6958c.
    static let namespace: [UInt8] = uuidBytes(namespace: dnsNamespace, name: "rpl-adapter")

    static let dnsNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    public static func uuid(_ name: String) -> String { format(uuidBytes(namespace: namespace, name: name)) }

    /// The UUID of the name `k1=v1|k2=v2|…`, its bytes written once (issue 20: a plan names a
    /// dozen resources so, and the joined Strings cost more than the hash).
    public static func uuid(_ parts: [(String, String)]) -> String {
        var message = namespace
        message.reserveCapacity(namespace.count + parts.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 2 })
        for (n, (key, value)) in parts.enumerated() {
            if n > 0 { message.append(UInt8(ascii: "|")) }
            message.append(contentsOf: key.utf8)
            message.append(UInt8(ascii: "="))
            message.append(contentsOf: value.utf8)
        }
        return format(uuidBytes(hashing: message))
    }

    static func uuidBytes(namespace: [UInt8], name: String) -> [UInt8] {
        uuidBytes(hashing: namespace + Array(name.utf8))
    }

    /// The version 5 UUID's bytes from the namespace's bytes followed by the name's.
    static func uuidBytes(hashing message: [UInt8]) -> [UInt8] {
        var bytes = Array(SHA1.hash(message).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return bytes
    }

    /// The 8-4-4-4-12 lower-case hex form, written as bytes (a Character at a time cost more
    /// than the hash: issue 20).
    static func format(_ b: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (i, byte) in b.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
