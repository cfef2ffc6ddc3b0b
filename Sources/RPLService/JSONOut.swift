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

    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
