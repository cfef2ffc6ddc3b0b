import CLibXML2
import Foundation

/// A canonical text of an XHTML fragment for comparing narratives that differ only in how they
/// were serialised (`&quot;` or `"`, `<br/>` or `<br />`, attribute order, runs of whitespace).
enum XHTML {
    struct Invalid: Error {}

    static func canonical(_ xml: String) throws -> String {
        let bytes = Array(xml.utf8)
        guard let doc = bytes.withUnsafeBufferPointer({ buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                xmlReadMemory($0, Int32(buf.count), nil, "UTF-8", Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue))
            }
        }) else { throw Invalid() }
        defer { xmlFreeDoc(doc) }
        var out = ""
        walk(xmlDocGetRootElement(doc), into: &out)
        return out
    }

    static func walk(_ node: xmlNodePtr?, into out: inout String) {
        var node = node
        while let n = node {
            switch n.pointee.type {
            case XML_ELEMENT_NODE:
                out += "<" + String(cString: n.pointee.name)
                var attrs: [String] = []
                var a = n.pointee.properties
                while let attr = a {
                    let value = xmlNodeGetContent(attr.withMemoryRebound(to: xmlNode.self, capacity: 1) { $0 })
                    attrs.append(String(cString: attr.pointee.name) + "=" + (value.map { String(cString: $0) } ?? ""))
                    free(value)
                    a = attr.pointee.next
                }
                out += attrs.sorted().map { " " + $0 }.joined() + ">"
                walk(n.pointee.children, into: &out)
                out += "</" + String(cString: n.pointee.name) + ">"
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                let text = n.pointee.content.map { String(cString: $0) } ?? ""
                out += text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            default:
                break
            }
            node = n.pointee.next
        }
    }
}
