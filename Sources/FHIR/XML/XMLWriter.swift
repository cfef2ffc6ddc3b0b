/// Writes the element model as FHIR XML: namespace `http://hl7.org/fhir`, elements in R4
/// definition order, primitives as `value` attributes, element ids and `Extension.url` as
/// attributes, resources wrapped in their container element, the narrative `div` as XHTML.
public struct XMLWriter {
    public var pretty: Bool
    public var table: TypeTable

    public init(pretty: Bool = false, table: TypeTable = .r4) {
        self.pretty = pretty
        self.table = table
    }

    public func write(_ resource: Element) throws(FHIRFormatError) -> [UInt8] {
        var state = State(writer: self)
        state.out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        state.newline(0)
        try state.writeResource(resource, indent: 0, root: true)
        state.out.append(0x0A)
        return state.out.bytes
    }

    public func string(_ resource: Element) throws(FHIRFormatError) -> String {
        String(decoding: try write(resource), as: UTF8.self)
    }

    struct State {
        let writer: XMLWriter
        var out = ByteBuffer(capacity: 1 << 16)
        var path = PathTracker()

        init(writer: XMLWriter) { self.writer = writer }

        func fail(_ message: String) -> FHIRFormatError {
            FHIRFormatError(.processing, message, location: path.path)
        }

        @inline(__always) mutating func newline(_ indent: Int) {
            if writer.pretty { out.newline(indent: indent) }
        }

        mutating func writeResource(_ resource: Element, indent: Int, root: Bool) throws(FHIRFormatError) {
            guard resource.isResource else { throw fail("\(resource.name) is not a resource") }
            if root { path.push(resource.name) } else { path.setResourceType(resource.name) }
            out.append(UInt8(ascii: "<"))
            out.append(resource.name)
            if root { out.append(" xmlns=\"http://hl7.org/fhir\"") }
            if resource.children.isEmpty {
                out.append("/>")
                return
            }
            out.append(UInt8(ascii: ">"))
            try writeChildren(resource.children, type: writer.table.type(resource.name), indent: indent + 1)
            newline(indent)
            out.append("</")
            out.append(resource.name)
            out.append(UInt8(ascii: ">"))
        }

        mutating func writeChildren(_ children: [Element], type: TypeTable.TypeInfo?, indent: Int) throws(FHIRFormatError) {
            for group in ElementGroups.make(children, in: type) {
                let info = group.info
                let repeats = info?.repeats ?? (group.members.count > 1)
                if !repeats && group.members.count > 1 {
                    path.push(group.name)
                    throw fail("\(group.name) occurs \(group.members.count) times but does not repeat")
                }
                for (i, member) in group.members.enumerated() {
                    path.push(group.name, index: repeats ? i : nil)
                    newline(indent)
                    try writeElement(member, info: info, indent: indent)
                    path.pop()
                }
            }
        }

        mutating func writeElement(_ element: Element, info: TypeTable.ElementInfo?, indent: Int) throws(FHIRFormatError) {
            let typeName = info?.typeName
            if let resource = element.resource, !element.isResource {
                out.append(UInt8(ascii: "<"))
                out.append(element.name)
                out.append(UInt8(ascii: ">"))
                newline(indent + 1)
                try writeResource(resource, indent: indent + 1, root: false)
                newline(indent)
                out.append("</")
                out.append(element.name)
                out.append(UInt8(ascii: ">"))
                return
            }
            let kind = typeName.flatMap { writer.table.primitiveKind($0) }
            if kind == .xhtml {
                guard let div = element.value, element.children.isEmpty else { throw fail("the narrative div has no XHTML") }
                if let problem = checkXHTML(div) { throw fail(problem) }
                out.append(div)
                return
            }
            let isExtension = typeName == "Extension" || (typeName == nil && (element.name == "extension" || element.name == "modifierExtension"))
            out.append(UInt8(ascii: "<"))
            out.append(element.name)
            var rest: [Element] = []
            rest.reserveCapacity(element.children.count)
            for child in element.children {
                if child.name == "id", let id = child.value, child.children.isEmpty {
                    out.append(" id=\"")
                    try escape(id)
                    out.append(UInt8(ascii: "\""))
                } else if isExtension, child.name == "url", let url = child.value, child.children.isEmpty {
                    out.append(" url=\"")
                    try escape(url)
                    out.append(UInt8(ascii: "\""))
                } else {
                    rest.append(child)
                }
            }
            if let value = element.value {
                if kind == .boolean, value != "true" && value != "false" { throw fail("\"\(value)\" is not a boolean") }
                if kind == .number, !isJSONNumber(value) { throw fail("\"\(value)\" is not a number") }
                out.append(" value=\"")
                try escape(value)
                out.append(UInt8(ascii: "\""))
            } else if kind != nil && rest.isEmpty && element.children.isEmpty {
                throw fail("\(element.name) has neither a value nor extensions")
            }
            if rest.isEmpty {
                if element.value == nil && element.children.isEmpty { throw fail("\(element.name) is empty") }
                out.append("/>")
                return
            }
            out.append(UInt8(ascii: ">"))
            let childType = kind != nil ? writer.table.type("Element") : typeName.flatMap { writer.table.type($0) }
            try writeChildren(rest, type: childType, indent: indent + 1)
            newline(indent)
            out.append("</")
            out.append(element.name)
            out.append(UInt8(ascii: ">"))
        }

        /// Escaping for attribute values (the only text the writer produces; the narrative is
        /// written as it is); whitespace as character references so that attribute
        /// normalisation on reading gives back the same text. Characters XML 1.0 cannot carry
        /// (most controls, U+FFFE, U+FFFF) are refused.
        mutating func escape(_ text: String) throws(FHIRFormatError) {
            var text = text
            var bad: UInt8?
            text.withUTF8 { utf8 in
                var runStart = 0
                var i = 0
                while i < utf8.count {
                    let b = utf8[i]
                    var replacement: StaticString?
                    switch b {
                    case 0x26: replacement = "&amp;"
                    case 0x3C: replacement = "&lt;"
                    case 0x3E: replacement = "&gt;"
                    case 0x22: replacement = "&quot;"
                    case 0x0A: replacement = "&#10;"
                    case 0x0D: replacement = "&#13;"
                    case 0x09: replacement = "&#9;"
                    case 0..<0x20:
                        bad = b
                        return
                    case 0xEF:
                        if i + 2 < utf8.count && utf8[i + 1] == 0xBF && (utf8[i + 2] == 0xBE || utf8[i + 2] == 0xBF) {
                            bad = utf8[i + 2]
                            return
                        }
                    default: break
                    }
                    if let replacement {
                        out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                        out.append(replacement)
                        runStart = i + 1
                    }
                    i += 1
                }
                out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
            }
            if let bad {
                let what = bad < 0x20 ? "control character U+00" + (bad < 0x10 ? "0" : "") + String(bad, radix: 16, uppercase: true)
                    : "noncharacter U+FFF" + String(bad - 0xB0, radix: 16, uppercase: true)
                throw fail("\(what) cannot be written in XML")
            }
        }
    }
}
