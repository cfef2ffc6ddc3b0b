import CLibXML2

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// libxml2 set up once, securely: the parser may never fetch anything.
enum LibXML {
    static let fhirNamespace = "http://hl7.org/fhir"
    static let xhtmlNamespace = "http://www.w3.org/1999/xhtml"

    /// Options for every parse: no network, no errors printed, CDATA as text. Never NOENT,
    /// DTDLOAD, DTDATTR, DTDVALID or HUGE (libxml2 then also bounds depth and entity expansion).
    static let parseOptions: Int32 =
        Int32(XML_PARSE_NONET.rawValue) | Int32(XML_PARSE_NOERROR.rawValue)
        | Int32(XML_PARSE_NOWARNING.rawValue) | Int32(XML_PARSE_NOCDATA.rawValue)

    private static let initialised: Bool = {
        xmlInitParser()
        // No external entity, DTD or schema is ever loaded, whatever the document asks.
        xmlSetExternalEntityLoader { _, _, _ in nil }
        // Nothing from libxml2 reaches standard error; errors are collected per reader.
        xmlSetStructuredErrorFunc(nil) { _, _ in }
        xmlSetGenericErrorFunc(nil, nil)
        return true
    }()

    static func setUp() { _ = initialised }
}

/// The first error libxml2 reported during one parse.
final class LibXMLErrorSink {
    var message: String?
    var line: Int?
    var column: Int?

    func record(_ error: UnsafePointer<xmlError>) {
        guard message == nil else { return }
        let e = error.pointee
        var text = e.message.map { String(cString: $0) } ?? "XML error"
        while text.last == "\n" || text.last == " " { text.removeLast() }
        message = text
        line = e.line > 0 ? Int(e.line) : nil
        column = e.int2 > 0 ? Int(e.int2) : nil
    }
}

/// Checks that a narrative `div` taken from JSON is well-formed XHTML before it is written into
/// XML (a broken div would make the whole output unreadable).
func checkXHTML(_ div: String) -> String? {
    LibXML.setUp()
    let sink = LibXMLErrorSink()
    var bytes = Array(div.utf8)
    if bytes.count > Int(Int32.max) { return "the narrative is too large" }
    let count = Int32(bytes.count)
    let result: String? = bytes.withUnsafeMutableBufferPointer { buf -> String? in
        guard let reader = buf.baseAddress.map({ UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) })
            .flatMap({ xmlReaderForMemory($0, count, nil, "UTF-8", LibXML.parseOptions) })
        else { return "cannot parse the narrative" }
        defer { xmlFreeTextReader(reader) }
        xmlTextReaderSetStructuredErrorHandler(reader, { ctx, error in
            guard let ctx, let error else { return }
            Unmanaged<LibXMLErrorSink>.fromOpaque(ctx).takeUnretainedValue().record(error)
        }, Unmanaged.passUnretained(sink).toOpaque())
        var first = true
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 { return nil }
            if status < 0 { return "the narrative is not well-formed XHTML: \(sink.message ?? "parse error")" }
            let type = xmlTextReaderNodeType(reader)
            if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) { return "the narrative has a DOCTYPE" }
            if type == Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue) { return "the narrative uses an entity" }
            if first && type == Int32(XML_READER_TYPE_ELEMENT.rawValue) {
                first = false
                let name = xmlTextReaderConstLocalName(reader).map { String(cString: $0) }
                let ns = xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) }
                if name != "div" || ns != LibXML.xhtmlNamespace {
                    return "the narrative must be a <div> in the XHTML namespace"
                }
            }
        }
    }
    return result
}
