import FHIR

/// The JSON the service writes that is not FHIR (CDS Hooks responses, logs): a small value tree,
/// written compactly with keys in the order given, FHIR resources embedded as the FHIR writer
/// writes them.
indirect enum JSONOut: Sendable {
    case string(String)
    case bool(Bool)
    case number(Int)
    case null
    case array([JSONOut])
    case object([(String, JSONOut)])
    /// A FHIR resource, written by `JSONWriter`.
    case resource(Element)

    func bytes() throws(FHIRFormatError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        try write(into: &out)
        return out
    }

    func write(into out: inout [UInt8]) throws(FHIRFormatError) {
        switch self {
        case .string(let s): Self.quote(s, into: &out)
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .number(let n): out.append(contentsOf: Array(String(n).utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .resource(let r):
            out.append(contentsOf: try JSONWriter().write(r))
        }
    }

    /// A JSON string: runs that need no escape copied whole (a card's detail is mostly such runs).
    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                let b = bytes[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                out.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex = (UInt8(ascii: "0"), UInt8(ascii: "a"))
                    func digit(_ n: UInt8) -> UInt8 { n < 10 ? hex.0 + n : hex.1 + n - 10 }
                    out.append(UInt8(ascii: "u")); out.append(hex.0); out.append(hex.0)
                    out.append(digit(b >> 4)); out.append(digit(b & 0xF))
                }
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
