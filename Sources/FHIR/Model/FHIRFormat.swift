#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The two FHIR formats, with sniffing, reading and writing in one place.
public enum FHIRFormat: String, Sendable, CaseIterable {
    case json, xml

    /// From the first non-blank byte (after a UTF-8 byte order mark): `{` JSON, `<` XML.
    public static func sniff(_ bytes: [UInt8]) -> FHIRFormat? {
        bytes.withUnsafeBufferPointer { sniff($0) }
    }

    public static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> FHIRFormat? {
        let i = firstSignificantByte(bytes)
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "{"): return .json
        case UInt8(ascii: "<"): return .xml
        default: return nil
        }
    }

    /// The length of a UTF-8 byte order mark at the start (3), else 0: every reader here ignores
    /// one, as RFC 8259 and XML allow.
    public static func byteOrderMarkLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// Where the content starts: after a UTF-8 byte order mark and white space (`count` if none).
    public static func firstSignificantByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var i = byteOrderMarkLength(bytes)
        while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        return i
    }

    /// The format of an input, or an error that says what is wrong with it: empty, or neither.
    public static func detect(_ bytes: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> FHIRFormat {
        if let format = sniff(bytes) { return format }
        let i = firstSignificantByte(bytes)
        if i == bytes.count {
            throw FHIRFormatError(.structure, bytes.isEmpty ? "empty input: expected a FHIR resource in JSON or XML" : "input holds only white space: expected a FHIR resource in JSON or XML", line: 1, column: 1)
        }
        let b = bytes[i]
        let found = b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16, uppercase: true)
        if (b == 0xFE || b == 0xFF || b == 0x00) && i == 0 {
            throw FHIRFormatError(.structure, "input is not UTF-8 (it starts like UTF-16 or UTF-32); FHIR requires UTF-8", line: 1, column: 1)
        }
        throw FHIRFormatError(.structure, "input is neither JSON nor XML (expected '{' or '<' first, found \(found))", line: 1, column: 1)
    }

    /// Whether JSON bytes look like ndjson (a complete object on the first line, another object
    /// starting on a later line): a hint for an input that failed to read as one resource.
    public static func looksLikeNDJSON(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var lines = 0
        var start = 0
        while start < bytes.count && lines < 2 {
            // The line's end by memchr: the first line of a large Bundle is often all of it.
            var end = bytes.count
            if let base = bytes.baseAddress, let nl = memchr(base + start, 0x0A, bytes.count - start) {
                end = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nl))
            }
            var a = start, z = end
            while a < z, [0x20, 0x09, 0x0D].contains(bytes[a]) { a += 1 }
            while z > a, [0x20, 0x09, 0x0D].contains(bytes[z - 1]) { z -= 1 }
            if a < z {
                guard bytes[a] == UInt8(ascii: "{"), bytes[z - 1] == UInt8(ascii: "}") else { return false }
                lines += 1
            }
            start = end + 1
        }
        return lines >= 2
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
    /// `screen`: JSON builds the resources it names whole only if their bytes may matter
    /// (`ResourceScreen`); XML builds them all.
    public func read(_ bytes: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool, screen: ResourceScreen? = nil) throws(FHIRFormatError) -> Element {
        switch self {
        case .json: return try JSONReader.read(bytes, materialise: materialise, screen: screen)
        case .xml: return try XMLReader.read(bytes, materialise: materialise)
        }
    }

    /// As `read(_:materialise:)` for bytes the caller gives up: JSON gives back the pages of the
    /// entries read as it goes (`JSONReader.read(discarding:…)`); XML reads as before.
    public func read(discarding bytes: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool) throws(FHIRFormatError) -> Element {
        switch self {
        case .json: return try JSONReader.read(discarding: bytes, materialise: materialise)
        case .xml: return try XMLReader.read(bytes, materialise: materialise)
        }
    }

    /// The largest document read or written: what is written must read back, so the writers
    /// refuse what the readers would.
    public static let maxDocumentBytes = 256 << 20

    public func write(_ resource: Element, pretty: Bool = false) throws(FHIRFormatError) -> [UInt8] {
        let bytes: [UInt8]
        switch self {
        case .json: bytes = try JSONWriter(pretty: pretty).write(resource)
        case .xml: bytes = try XMLWriter(pretty: pretty).write(resource)
        }
        if bytes.count > Self.maxDocumentBytes {
            throw FHIRFormatError(.tooLong, "the \(rawValue.uppercased()) output would be \(bytes.count) bytes, over the \(Self.maxDocumentBytes)-byte bound that readers accept")
        }
        return bytes
    }
}
