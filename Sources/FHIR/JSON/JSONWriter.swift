/// Writes the element model as FHIR JSON: `resourceType` first, elements in R4 definition order,
/// repeating elements as arrays, primitives' ids and extensions in `_name` (arrays padded with
/// `null`), numbers and booleans from their exact text.
public struct JSONWriter {
    public var pretty: Bool
    public var table: TypeTable

    public init(pretty: Bool = false, table: TypeTable = .r4) {
        self.pretty = pretty
        self.table = table
    }

    /// The resource as JSON bytes, ending in a newline when pretty.
    public func write(_ resource: Element) throws(FHIRFormatError) -> [UInt8] {
        var state = State(writer: self)
        try state.writeResource(resource, indent: 0)
        if pretty { state.out.append(0x0A) }
        return state.out.bytes
    }

    public func string(_ resource: Element) throws(FHIRFormatError) -> String {
        String(decoding: try write(resource), as: UTF8.self)
    }

    struct State {
        let writer: JSONWriter
        var out = ByteBuffer(capacity: 1 << 16)
        var path = PathTracker()

        init(writer: JSONWriter) { self.writer = writer }

        func fail(_ message: String) -> FHIRFormatError {
            FHIRFormatError(.processing, message, location: path.path)
        }

        mutating func writeResource(_ resource: Element, indent: Int) throws(FHIRFormatError) {
            guard resource.isResource else { throw fail("\(resource.name) is not a resource") }
            if path.path.isEmpty { path.push(resource.name) } else { path.setResourceType(resource.name) }
            out.append(UInt8(ascii: "{"))
            newline(indent + 1)
            out.append("\"resourceType\":")
            if writer.pretty { out.append(0x20) }
            writeString(resource.name)
            try writeMembers(resource.children, type: writer.table.type(resource.name), indent: indent + 1, first: false)
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }

        @inline(__always) mutating func newline(_ indent: Int) {
            if writer.pretty { out.newline(indent: indent) }
        }

        mutating func key(_ name: String, prefix: Bool = false, first: Bool, indent: Int) {
            if !first { out.append(UInt8(ascii: ",")) }
            newline(indent)
            out.append(UInt8(ascii: "\""))
            if prefix { out.append(UInt8(ascii: "_")) }
            out.append(name)
            out.append("\":")
            if writer.pretty { out.append(0x20) }
        }

        /// The members of an object (after `{`, before `}`).
        mutating func writeMembers(
            _ children: [Element], type: TypeTable.TypeInfo?, indent: Int, first: Bool
        ) throws(FHIRFormatError) {
            var first = first
            for group in ElementGroups.make(children, in: type) {
                path.push(group.name)
                defer { path.pop() }
                let info = group.info
                let repeats = info?.repeats ?? (group.members.count > 1 || group.members[0].wasArray)
                if !repeats && group.members.count > 1 {
                    throw fail("\(group.name) occurs \(group.members.count) times but does not repeat")
                }
                let typeName = info?.typeName
                let primitiveKind = typeName.flatMap { writer.table.primitiveKind($0) }
                let isPrimitive = primitiveKind != nil || (info == nil && group.members.contains { $0.value != nil })
                if isPrimitive {
                    try writePrimitives(group, kind: primitiveKind, repeats: repeats, indent: indent, first: first)
                    first = false
                    continue
                }
                key(group.name, first: first, indent: indent)
                first = false
                if repeats {
                    out.append(UInt8(ascii: "["))
                    for (i, member) in group.members.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        newline(indent + 1)
                        path.setIndex(i)
                        try writeComplex(member, typeName: typeName, indent: indent + 1)
                    }
                    newline(indent)
                    out.append(UInt8(ascii: "]"))
                } else {
                    try writeComplex(group.members[0], typeName: typeName, indent: indent)
                }
            }
        }

        mutating func writeComplex(_ element: Element, typeName: String?, indent: Int) throws(FHIRFormatError) {
            if let resource = element.resource, !element.isResource {
                try writeResource(resource, indent: indent)
                return
            }
            if element.value != nil { throw fail("\(element.name) has a primitive value but is a complex element") }
            if element.children.isEmpty { throw fail("\(element.name) is empty") }
            out.append(UInt8(ascii: "{"))
            let type = typeName.flatMap { writer.table.type($0) }
            try writeMembers(element.children, type: type, indent: indent + 1, first: true)
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }

        mutating func writePrimitives(
            _ group: ElementGroups.Group, kind: TypeTable.PrimitiveKind?, repeats: Bool, indent: Int, first: Bool
        ) throws(FHIRFormatError) {
            let members = group.members
            let anyValue = members.contains { $0.value != nil }
            let anyExtras = members.contains { !$0.children.isEmpty }
            if !anyValue && !anyExtras { throw fail("\(group.name) has neither a value nor extensions") }
            // What the JSON reader refuses is not written (an XML input's positiveInt 0, say).
            if kind == .number, let typeName = group.info?.typeName {
                for m in members {
                    if let v = m.value, let problem = JSONTypeCheck.Checker.integerProblem(v, type: typeName) {
                        throw fail("\(group.name) (\(typeName)): \(problem)")
                    }
                }
            }
            if anyValue {
                key(group.name, first: first, indent: indent)
                if repeats {
                    out.append(UInt8(ascii: "["))
                    for (i, m) in members.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        path.setIndex(i)
                        if let v = m.value { try writeValue(v, kind: kind ?? jsonKind(m.valueKind)) } else { out.append("null") }
                    }
                    out.append(UInt8(ascii: "]"))
                } else {
                    try writeValue(members[0].value!, kind: kind ?? jsonKind(members[0].valueKind))
                }
            }
            if anyExtras {
                key(group.name, prefix: true, first: first && !anyValue, indent: indent)
                if repeats {
                    out.append(UInt8(ascii: "["))
                    for (i, m) in members.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        if m.children.isEmpty { out.append("null"); continue }
                        path.setIndex(i)
                        newline(indent + 1)
                        try writeExtras(m, indent: indent + 1)
                    }
                    out.append(UInt8(ascii: "]"))
                } else {
                    try writeExtras(members[0], indent: indent)
                }
            }
        }

        /// `{"id": ..., "extension": [...]}` of a primitive.
        mutating func writeExtras(_ element: Element, indent: Int) throws(FHIRFormatError) {
            out.append(UInt8(ascii: "{"))
            try writeMembers(element.children, type: writer.table.type("Element"), indent: indent + 1, first: true)
            newline(indent)
            out.append(UInt8(ascii: "}"))
        }

        func jsonKind(_ kind: Element.ValueKind) -> TypeTable.PrimitiveKind {
            switch kind {
            case .string, .object: return .string
            case .number: return .number
            case .boolean: return .boolean
            }
        }

        mutating func writeValue(_ value: String, kind: TypeTable.PrimitiveKind) throws(FHIRFormatError) {
            switch kind {
            case .string, .xhtml:
                writeString(value)
            case .boolean:
                guard value == "true" || value == "false" else { throw fail("\"\(value)\" is not a boolean") }
                out.append(value)
            case .number:
                guard isJSONNumber(value) else { throw fail("\"\(value)\" is not a number") }
                out.append(value)
            }
        }

        mutating func writeString(_ value: String) {
            out.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { utf8 in
                var runStart = 0
                for i in 0..<utf8.count {
                    let b = utf8[i]
                    guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                    out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                    runStart = i + 1
                    switch b {
                    case 0x22: out.append("\\\"")
                    case 0x5C: out.append("\\\\")
                    case 0x0A: out.append("\\n")
                    case 0x0D: out.append("\\r")
                    case 0x09: out.append("\\t")
                    case 0x08: out.append("\\b")
                    case 0x0C: out.append("\\f")
                    default:
                        out.append("\\u00")
                        let hex: StaticString = "0123456789abcdef"
                        hex.withUTF8Buffer { h in
                            out.append(h[Int(b >> 4)])
                            out.append(h[Int(b & 0xF)])
                        }
                    }
                }
                out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
            }
            out.append(UInt8(ascii: "\""))
        }
    }
}

/// RFC 8259 number grammar (which is also FHIR's decimal and integer lexical form).
func isJSONNumber(_ s: String) -> Bool {
    var it = Array(s.utf8)[...]
    func digits() -> Int {
        var n = 0
        while let c = it.first, c >= 0x30 && c <= 0x39 { it = it.dropFirst(); n += 1 }
        return n
    }
    if it.first == UInt8(ascii: "-") { it = it.dropFirst() }
    guard let lead = it.first else { return false }
    if lead == UInt8(ascii: "0") { it = it.dropFirst() } else if digits() == 0 { return false }
    if it.first == UInt8(ascii: ".") {
        it = it.dropFirst()
        if digits() == 0 { return false }
    }
    if it.first == UInt8(ascii: "e") || it.first == UInt8(ascii: "E") {
        it = it.dropFirst()
        if it.first == UInt8(ascii: "+") || it.first == UInt8(ascii: "-") { it = it.dropFirst() }
        if digits() == 0 { return false }
    }
    return it.isEmpty
}
