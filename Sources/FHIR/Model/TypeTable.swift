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

    public let primitives: [String: PrimitiveKind]
    public let types: [String: TypeInfo]

    init(source: String) {
        var primitives: [String: PrimitiveKind] = [:]
        var types: [String: TypeInfo] = [:]
        for line in source.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else { continue }
            let name = String(fields[1])
            switch fields[0] {
            case "P":
                switch fields[2] {
                case "n": primitives[name] = .number
                case "b": primitives[name] = .boolean
                case "x": primitives[name] = .xhtml
                default: primitives[name] = .string
                }
            default:
                var elements: [String: ElementInfo] = [:]
                for (i, field) in fields.dropFirst(2).enumerated() {
                    let parts = field.split(separator: ":")
                    let repeats = parts[1].hasSuffix("*")
                    let typeName = repeats ? String(parts[1].dropLast()) : String(parts[1])
                    elements[String(parts[0])] = ElementInfo(index: i, typeName: typeName, repeats: repeats)
                }
                types[name] = TypeInfo(name: name, isResource: fields[0] == "R", elements: elements)
            }
        }
        self.primitives = primitives
        self.types = types
    }

    public func type(_ name: String) -> TypeInfo? { types[name] }

    public func primitiveKind(_ typeName: String) -> PrimitiveKind? { primitives[typeName] }

    public func isResourceType(_ name: String) -> Bool { types[name]?.isResource ?? false }
}
