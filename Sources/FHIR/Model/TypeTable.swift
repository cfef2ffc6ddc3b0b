import Synchronization

/// The R4 definitions the writers need: for every type, its elements in definition order, each
/// element's type and whether it repeats. Generated from HL7's JSON schema and XSDs
/// (TypeTable.generated.swift, scripts/generate-type-table.py).
public final class TypeTable: Sendable {
    public enum PrimitiveKind: Sendable {
        case string, number, boolean, xhtml
    }

    public struct ElementInfo: Sendable {
        /// Position in the type's definition (writers order elements by it).
        public let index: Int
        public let typeName: String
        public let repeats: Bool
        /// The JSON kind when the type is a primitive (looked up once, when the type is parsed).
        public let primitiveKind: PrimitiveKind?
    }

    public final class TypeInfo: Sendable {
        public let name: String
        public let isResource: Bool
        public let elements: [String: ElementInfo]

        init(name: String, isResource: Bool, elements: [String: ElementInfo]) {
            self.name = name
            self.isResource = isResource
            self.elements = elements
        }
    }

    /// FHIR R4 4.0.1.
    public static let r4 = TypeTable(source: generatedTypeTable)

    /// Element names whose type is ResourceList: `contained`, `resource`, `outcome`.
    public static let resourceContainerNames = generatedResourceContainerNames
    /// Bit n set: a container name has n bytes.
    static let resourceContainerNameLengths: UInt64 = generatedResourceContainerNames.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }

    /// Whether an element of this name holds a resource: by length first, as the reader asks for
    /// every object it reads (issue 20).
    @inline(__always) static func isResourceContainer(_ name: String) -> Bool {
        let n = name.utf8.count
        return n < 64 && resourceContainerNameLengths & (1 << UInt64(n)) != 0 && resourceContainerNames.contains(name)
    }

    public let primitives: [String: PrimitiveKind]
    /// Each type's line of the table; parsed on first use (a run touches a few dozen of 659 types,
    /// and start-up time matters to an engine that starts the program per message).
    private let lines: [String: (isResource: Bool, line: Range<Int>)]
    private let source: String
    private let cache = Mutex<[String: TypeInfo]>([:])

    /// Scans the table's bytes once for the type names; a type's elements are parsed on first use.
    init(source: String) {
        var primitives: [String: PrimitiveKind] = [:]
        var lines: [String: (Bool, Range<Int>)] = [:]
        lines.reserveCapacity(700)
        var text = source
        text.withUTF8 { b in
            var i = 0
            while i < b.count {
                var end = i
                while end < b.count && b[end] != 0x0A { end += 1 }
                // "K name rest": kind, space, name, space.
                if end - i > 2 {
                    var nameEnd = i + 2
                    while nameEnd < end && b[nameEnd] != 0x20 { nameEnd += 1 }
                    let name = String(decoding: UnsafeBufferPointer(rebasing: b[(i + 2)..<nameEnd]), as: UTF8.self)
                    if b[i] == UInt8(ascii: "P") {
                        switch b[end - 1] {
                        case UInt8(ascii: "n"): primitives[name] = .number
                        case UInt8(ascii: "b"): primitives[name] = .boolean
                        case UInt8(ascii: "x"): primitives[name] = .xhtml
                        default: primitives[name] = .string
                        }
                    } else {
                        lines[name] = (b[i] == UInt8(ascii: "R"), min(nameEnd + 1, end)..<end)
                    }
                }
                i = end + 1
            }
        }
        self.primitives = primitives
        self.lines = lines
        self.source = text
    }

    func parse(_ name: String, isResource: Bool, _ range: Range<Int>) -> TypeInfo {
        var text = source
        let line = text.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
        var elements: [String: ElementInfo] = [:]
        for (i, field) in line.utf8.split(separator: 0x20).enumerated() {
            guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { continue }
            var typeBytes = field[field.index(after: colon)...]
            let repeats = typeBytes.last == UInt8(ascii: "*")
            if repeats { typeBytes = typeBytes.dropLast() }
            elements[String(Substring(field[..<colon]))] = ElementInfo(
                index: i, typeName: String(Substring(typeBytes)), repeats: repeats, primitiveKind: primitives[String(Substring(typeBytes))])
        }
        return TypeInfo(name: name, isResource: isResource, elements: elements)
    }

    public func type(_ name: String) -> TypeInfo? {
        if let known = cache.withLock({ $0[name] }) { return known }
        guard let entry = lines[name] else { return nil }
        let info = parse(name, isResource: entry.isResource, entry.line)
        cache.withLock { $0[name] = info }
        return info
    }

    public func primitiveKind(_ typeName: String) -> PrimitiveKind? { primitives[typeName] }

    public func isResourceType(_ name: String) -> Bool { lines[name]?.isResource ?? false }
}
