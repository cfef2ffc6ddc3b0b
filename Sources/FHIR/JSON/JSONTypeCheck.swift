/// FHIR JSON fixes the JSON type of every element (R4 "JSON Representation"): a boolean is
/// `true`/`false`, a decimal or integer a JSON number, every other primitive a string; a repeating
/// element is an array and a single one is not; a complex element is an object. This pass checks
/// a tree the scanner built against the R4 type table, so `"active":"true"`, `"value":"5"`,
/// `"family":["x"]` or an object where an array belongs are refused with their FHIRPath instead of
/// being coerced. Elements the table does not know are left as they are (kept, as before).
/// Resources a caller chose not to build (`materialise`) have no children and are not checked.
enum JSONTypeCheck {
    static func check(_ root: Element, table: TypeTable = .r4) throws(FHIRFormatError) {
        var checker = Checker(table: table)
        try checker.resource(root, path: root.name)
    }

    struct Checker {
        let table: TypeTable
        /// Type lookups of this pass (the table's own cache takes a lock per lookup).
        var types: [String: TypeTable.TypeInfo] = [:]

        mutating func type(_ name: String) -> TypeTable.TypeInfo? {
            if let known = types[name] { return known }
            let found = table.type(name)
            if let found { types[name] = found }
            return found
        }

        mutating func resource(_ r: Element, path: String) throws(FHIRFormatError) {
            guard let info = type(r.name) else { return }
            try members(r.children, of: info, path: path)
        }

        mutating func members(_ children: [Element], of type: TypeTable.TypeInfo, path: String) throws(FHIRFormatError) {
            for (i, child) in children.enumerated() {
                guard let info = type.elements[child.name] else { continue }
                try element(child, info: info, at: i, in: children, path: path)
            }
        }

        /// `Bundle.entry[2].resource` for the error, computed only when there is one.
        func location(_ children: [Element], _ i: Int, _ path: String, repeats: Bool) -> String {
            let name = children[i].name
            guard repeats else { return path + "." + name }
            var index = 0
            for sibling in children[..<i] where sibling.name == name { index += 1 }
            return path + "." + name + "[\(index)]"
        }

        mutating func element(_ child: Element, info: TypeTable.ElementInfo, at i: Int, in siblings: [Element], path: String) throws(FHIRFormatError) {
            let name = child.name
            func fail(_ message: String) -> FHIRFormatError {
                FHIRFormatError(.invalid, message, location: location(siblings, i, path, repeats: child.wasArray))
            }
            if info.repeats != child.wasArray {
                throw fail(info.repeats
                    ? "\"\(name)\" must be an array: the element repeats (FHIR JSON gives repeating elements as arrays, also with one item)"
                    : "\"\(name)\" must not be an array: the element does not repeat")
            }
            if let kind = table.primitiveKind(info.typeName) {
                if child.value == nil && child.valueKind == .object {
                    throw fail("\"\(name)\" (\(info.typeName)): expected a JSON \(Self.describe(kind)), found an object (a primitive's id and extensions go in \"_\(name)\")")
                }
                if let value = child.value {
                    let found = child.valueKind
                    let ok: Bool
                    switch kind {
                    case .string, .xhtml: ok = found == .string
                    case .number: ok = found == .number
                    case .boolean: ok = found == .boolean
                    }
                    if !ok {
                        throw fail("\"\(name)\" (\(info.typeName)): expected a JSON \(Self.describe(kind)), found \(Self.describe(found)) \(Self.quote(value, found)) (FHIR JSON fixes the type of each primitive)")
                    }
                    if let problem = Self.integerProblem(value, type: info.typeName) {
                        throw fail("\"\(name)\" (\(info.typeName)): \(problem)")
                    }
                }
                // A primitive's id and extensions (from "_name").
                if !child.children.isEmpty, let element = type("Element") {
                    try members(child.children, of: element, path: location(siblings, i, path, repeats: info.repeats))
                }
                return
            }
            if let value = child.value {
                throw fail("\"\(name)\" (\(info.typeName)): expected a JSON object, found \(Self.describe(child.valueKind)) \(Self.quote(value, child.valueKind))")
            }
            let here = location(siblings, i, path, repeats: info.repeats)
            if info.typeName == "ResourceList" {
                guard let r = child.resource, !child.isResource else {
                    throw fail("\"\(name)\" must hold a resource (an object with resourceType)")
                }
                try resource(r, path: here + ".ofType(\(r.name))")
                return
            }
            guard let complex = type(info.typeName) else { return }
            try members(child.children, of: complex, path: here)
        }

        /// integer is a 32-bit signed number; positiveInt ≥ 1; unsignedInt ≥ 0; no fraction or exponent.
        static func integerProblem(_ text: String, type: String) -> String? {
            guard type == "integer" || type == "positiveInt" || type == "unsignedInt" else { return nil }
            let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : Substring(text).utf8
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return "\(text) is not a whole number"
            }
            guard let n = Int32(text) else { return "\(text) is outside the 32-bit range of FHIR integers" }
            if type == "positiveInt" && n < 1 { return "\(text) is not positive" }
            if type == "unsignedInt" && n < 0 { return "\(text) is negative" }
            return nil
        }

        static func describe(_ kind: TypeTable.PrimitiveKind) -> String {
            switch kind {
            case .string, .xhtml: return "string"
            case .number: return "number"
            case .boolean: return "boolean (true or false)"
            }
        }

        static func describe(_ kind: Element.ValueKind) -> String {
            switch kind {
            case .string: return "a string"
            case .number: return "a number"
            case .boolean: return "a boolean"
            case .object: return "an object"
            }
        }

        static func quote(_ value: String, _ kind: Element.ValueKind) -> String {
            let short = value.count > 40 ? String(value.prefix(40)) + "…" : value
            return kind == .string ? "\"\(short)\"" : short
        }
    }
}
