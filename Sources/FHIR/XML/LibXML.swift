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
    /// DTDLOAD, DTDATTR or DTDVALID.
    ///
    /// HUGE lifts libxml2's 10 MB limit on one attribute value or text node: FHIR XML carries
    /// base64 attachments in a `value` attribute, and what the writer writes (up to the 256 MB
    /// input bound) must read back. HUGE also relaxes libxml2's entity-amplification checks, so it
    /// is only ever used after `XMLProlog.check` has refused any DOCTYPE (no DTD, no entities),
    /// and the reader keeps its own depth bound.
    static let parseOptions: Int32 =
        Int32(XML_PARSE_NONET.rawValue) | Int32(XML_PARSE_NOERROR.rawValue)
        | Int32(XML_PARSE_NOWARNING.rawValue) | Int32(XML_PARSE_NOCDATA.rawValue)
        | Int32(XML_PARSE_HUGE.rawValue)

    private static let initialised: Bool = {
        xmlInitParser()
        // No external entity, DTD or schema is ever loaded, whatever the document asks.
        xmlSetExternalEntityLoader { _, _, _ in nil }
        // Nothing from libxml2 reaches standard error; errors are collected per reader.
        rpl_xml_silence()
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
        // One line: an error is one line on standard error.
        text = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
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
    if let problem = bytes.withUnsafeBufferPointer({ XMLProlog.problem(in: $0) }) { return "the narrative: \(problem.message)" }
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
            if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) && xmlTextReaderDepth(reader) >= Int32(XMLReader.maxNarrativeDepth) {
                return "the narrative's XHTML is nested deeper than \(XMLReader.maxNarrativeDepth) levels"
            }
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

/// What comes before the root element, checked on the bytes before libxml2 sees them: FHIR XML is
/// UTF-8 (an XML declaration naming another encoding, or a UTF-16/32 byte order mark, is refused
/// rather than decoded), and a DOCTYPE is refused here, so libxml2 never parses a DTD.
enum XMLProlog {
    static func check(_ bytes: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) {
        if let problem = problem(in: bytes) { throw problem }
    }

    static func problem(in b: UnsafeBufferPointer<UInt8>) -> FHIRFormatError? {
        if b.count >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE)) || (b.count >= 4 && b[0] == 0 && b[1] == 0) {
            return FHIRFormatError(.structure, "XML: the input is UTF-16 or UTF-32; FHIR requires UTF-8", line: 1, column: 1)
        }
        var i = FHIRFormat.byteOrderMarkLength(b)
        func starts(_ text: StaticString, at p: Int) -> Bool {
            let n = text.utf8CodeUnitCount
            guard p + n <= b.count else { return false }
            for k in 0..<n where b[p + k] != text.utf8Start[k] { return false }
            return true
        }
        func find(_ text: StaticString, from p: Int) -> Int? {
            var q = p
            while q < b.count {
                if starts(text, at: q) { return q }
                q += 1
            }
            return nil
        }
        while i < b.count {
            switch b[i] {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
            case UInt8(ascii: "<"):
                if starts("<?", at: i) {
                    guard let end = find("?>", from: i + 2) else { return nil }  // libxml2 reports it
                    if starts("<?xml", at: i), let encoding = declaredEncoding(UnsafeBufferPointer(rebasing: b[(i + 5)..<end])) {
                        let name = encoding.lowercased()
                        if name != "utf-8" && name != "utf8" {
                            return FHIRFormatError(.structure, "XML: the document declares encoding \(encoding); FHIR requires UTF-8", line: 1, column: 1)
                        }
                    }
                    i = end + 2
                } else if starts("<!--", at: i) {
                    guard let end = find("-->", from: i + 4) else { return nil }
                    i = end + 3
                } else if starts("<!", at: i) {
                    return FHIRFormatError(.security, "XML: a DOCTYPE is not allowed in FHIR XML")
                } else {
                    return nil  // the root element
                }
            default:
                return nil  // libxml2 reports what is wrong
            }
        }
        return nil
    }

    /// The `encoding` pseudo-attribute of an XML declaration's content.
    static func declaredEncoding(_ d: UnsafeBufferPointer<UInt8>) -> String? {
        let bytes = Array(d)
        let key = Array("encoding".utf8)
        guard bytes.count >= key.count else { return nil }
        var at: Int?
        for p in 0...(bytes.count - key.count) where Array(bytes[p..<(p + key.count)]) == key { at = p + key.count; break }
        guard var i = at else { return nil }
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        while i < bytes.count && isSpace(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        while i < bytes.count && isSpace(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { return nil }
        let quote = bytes[i]
        i += 1
        var j = i
        while j < bytes.count && bytes[j] != quote { j += 1 }
        guard j < bytes.count else { return nil }
        return String(decoding: bytes[i..<j], as: UTF8.self)
    }
}
