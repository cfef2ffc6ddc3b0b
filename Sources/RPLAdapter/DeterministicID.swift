import Digests

/// Name-based UUIDs (RFC 4122 version 5, SHA-1): the same clinical situation always gives the
/// same id, so a replay gives the same bytes and a re-sent Bundle creates nothing twice.
public enum DeterministicID {
    /// The namespace of this program's ids (interface.md v2): the v5 UUID of `rpl-adapter` in the
    /// DNS namespace, 39ec7d54-3765-5fa6-82b4-847402c6958c.
    static let namespace: [UInt8] = uuidBytes(namespace: dnsNamespace, name: "rpl-adapter")

    static let dnsNamespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]

    public static func uuid(_ name: String) -> String { format(uuidBytes(namespace: namespace, name: name)) }

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
