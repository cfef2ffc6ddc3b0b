/// The two FHIR formats, with sniffing, reading and writing in one place.
public enum FHIRFormat: String, Sendable, CaseIterable {
    case json, xml

    /// From the first non-blank byte (after a UTF-8 byte order mark): `{` JSON, `<` XML.
    public static func sniff(_ bytes: [UInt8]) -> FHIRFormat? {
        bytes.withUnsafeBufferPointer { sniff($0) }
    }

    public static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> FHIRFormat? {
        var i = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            case UInt8(ascii: "{"): return .json
            case UInt8(ascii: "<"): return .xml
            default: return nil
            }
        }
        return nil
    }

    public func read(_ bytes: [UInt8]) throws(FHIRFormatError) -> Element {
        switch self {
        case .json: return try JSONReader.read(bytes)
        case .xml: return try XMLReader.read(bytes)
        }
    }

    public func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> Element {
        switch self {
        case .json: return try JSONReader.read(bytes)
        case .xml: return try XMLReader.read(bytes)
        }
    }

    /// Building only the nested resources whose type `materialise` accepts (see `JSONReader`).
    public func read(_ bytes: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool) throws(FHIRFormatError) -> Element {
        switch self {
        case .json: return try JSONReader.read(bytes, materialise: materialise)
        case .xml: return try XMLReader.read(bytes, materialise: materialise)
        }
    }

    public func write(_ resource: Element, pretty: Bool = false) throws(FHIRFormatError) -> [UInt8] {
        switch self {
        case .json: return try JSONWriter(pretty: pretty).write(resource)
        case .xml: return try XMLWriter(pretty: pretty).write(resource)
        }
    }
}
