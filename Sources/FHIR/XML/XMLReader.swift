import CLibXML2

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads FHIR XML into the element model through libxml2's streaming reader.
///
/// Namespace `http://hl7.org/fhir`; `value`, `id` and `url` attributes become the value and the
/// `id` / `url` children; the XHTML `div` is kept as its XML text; comments are ignored.
/// Refused: any DOCTYPE (so no entities, internal or external), text content in FHIR elements,
/// unknown attributes, elements outside the FHIR namespace, nesting beyond `maxDepth`.
public enum XMLReader {
    /// Elements nested: several times what real resources need (the JSON bound is the same).
    public static let maxDepth = 100
    /// Elements nested in a narrative, its div included: libxml2's own bound without
    /// XML_PARSE_HUGE (which lifts it), far beyond real XHTML. Deeper, libxml2's copy of a div
    /// recursed until the stack ran out (found by helper-19: 100,000 nested <b>).
    public static let maxNarrativeDepth = 256

    public static func read(_ bytes: [UInt8]) throws(FHIRFormatError) -> Element {
        try bytes.withUnsafeBufferPointer { (buffer) throws(FHIRFormatError) -> Element in try read(buffer) }
    }

    public static func read(_ buffer: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> Element {
        try parse(buffer, materialise: nil)
    }

    /// Reads a Bundle building only the nested resources whose type `materialise` accepts (the
    /// others are still parsed by libxml2 for well-formedness, and kept as an empty node of their
    /// type). See `JSONReader.read(_:materialise:)`.
    public static func read(_ buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool) throws(FHIRFormatError) -> Element {
        try parse(buffer, materialise: materialise)
    }

    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)?) throws(FHIRFormatError) -> Element {
        LibXML.setUp()
        guard buffer.count <= Int(Int32.max) else { throw FHIRFormatError(.tooLong, "XML input larger than 2 GB") }
        if !buffer.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) {
            throw FHIRFormatError(.structure, "empty input: expected an XML document")
        }
        try XMLProlog.check(buffer)
        let root: Element
        if let built = XMLSAXBuilder.read(buffer, materialise: materialise) {
            root = built
        } else {
            // Whatever the SAX path declined (every refusal among it) is read as before.
            root = try treeReading(buffer, materialise: materialise)
        }
        // The text of numbers and booleans, as JSON's grammar has them checked.
        try JSONTypeCheck.checkXML(root)
        return root
    }

    public static func read(_ text: String) throws(FHIRFormatError) -> Element {
        try read(Array(text.utf8))
    }

    /// What a resource the caller does not read keeps when it holds resources: those, and what a
    /// resend or a newer version of it is known by (JSON: `JSONScanner.skipRestOfResource`).
    static let keptBySkippedResources: Set<String> = ["contained", "id", "meta"]

    /// `XMLTreeBuilder`'s reading (what the SAX path declined), whole where it asks for it.
    static func treeReading(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)?) throws(FHIRFormatError) -> Element {
        var parser = XMLTreeBuilder()
        parser.materialise = materialise
        do {
            return try parser.parse(buffer)
        } catch {
            guard parser.wholeReadingNeeded, let materialise else { throw error }
            return try wholeReading(buffer, keeping: materialise)
        }
    }

    /// A document in which a resource the caller does not read holds a resource or repeats an
    /// element (`SkippedResourceWatch`), read by `XMLTreeBuilder`: every resource built; a
    /// repeat refused as in a resource read; then the resources the caller does not read cut back
    /// to what the readers keep of one (nothing, or what `keptBySkippedResources` names, its
    /// contained resources cut back the same way), as the JSON reader keeps them. The rest of the
    /// check is the caller's, on what is kept (helper-32's review: checked whole, the document
    /// was refused for what a skipped resource may hold).
    static func wholeReading(_ buffer: UnsafeBufferPointer<UInt8>, keeping materialise: (String) -> Bool) throws(FHIRFormatError) -> Element {
        var parser = XMLTreeBuilder()
        let whole = try parser.parse(buffer)
        try JSONTypeCheck.checkXMLRepeats(whole)
        return cutBack(whole, keeping: materialise)
    }

    static func cutBack(_ element: Element, keeping materialise: (String) -> Bool) -> Element {
        var e = element
        e.children = e.children.map { child in
            guard child.isResource, !materialise(child.name) else { return cutBack(child, keeping: materialise) }
            guard child.children.contains(where: { $0.name == "contained" }) else { return Element(name: child.name, isResource: true) }
            return Element(name: child.name, isResource: true,
                           children: child.children.filter { keptBySkippedResources.contains($0.name) }.map { cutBack($0, keeping: materialise) })
        }
        return e
    }

    /// For the fuzz target and the tests: nil when the SAX path and `XMLTreeBuilder` agree on a
    /// document (the SAX path declined it, or built what `XMLTreeBuilder` builds), else what
    /// differs. With `materialise`, narratives are left out of the comparison: `XMLTreeBuilder`
    /// matches a div to its source text by counting the divs it reads, which the divs of skipped
    /// resources throw off (it then keeps libxml2's serialisation, the same XHTML), while the SAX
    /// path takes the text by the parser's position.
    package static func pathsDisagree(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)? = nil) -> String? {
        LibXML.setUp()
        guard buffer.count <= Int(Int32.max), buffer.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
              (try? XMLProlog.check(buffer)) != nil else { return nil }
        guard let fast = XMLSAXBuilder.read(buffer, materialise: materialise) else { return nil }
        var parser = XMLTreeBuilder()
        parser.materialise = materialise
        let full: Element
        do throws(FHIRFormatError) {
            full = try parser.parse(buffer)
        } catch {
            guard parser.wholeReadingNeeded, let materialise else { return "the SAX path built a tree that XMLTreeBuilder refuses" }
            // The whole reading (what XMLTreeBuilder does with a skipped resource that holds
            // resources) is stricter on the XML of what it then cuts away (an attribute or text
            // the skipping passes over): compared where it reads.
            guard let whole = try? wholeReading(buffer, keeping: materialise) else { return nil }
            full = whole
        }
        func withoutNarratives(_ e: Element) -> Element {
            var e = e
            if e.name == "div" && e.value != nil { e.value = "" }
            e.children = e.children.map(withoutNarratives)
            return e
        }
        let same = materialise == nil ? fast == full : withoutNarratives(fast) == withoutNarratives(full)
        return same ? nil : "the SAX path and XMLTreeBuilder built different trees"
    }
}

struct XMLTreeBuilder {
    /// Open elements, innermost last; the root ends up alone.
    var stack: [Element] = []
    /// Which nested resources to build (nil: all).
    var materialise: ((String) -> Bool)?
    /// Set when a resource not built needs the document read whole (`SkippedResourceWatch`): the
    /// error thrown then is not the document's.
    var wholeReadingNeeded = false
    /// What R4 says of the elements in resources skipped (`SkippedResourceWatch`).
    var lookups = SkippedElementLookups()
    /// Names as libxml2 interns them: the same pointer is the same name, so each is made once.
    var names: [UnsafePointer<xmlChar>: String] = [:]

    mutating func name(_ pointer: UnsafePointer<xmlChar>) -> String {
        if let known = names[pointer] { return known }
        let s = String(cString: pointer)
        names[pointer] = s
        return s
    }

    /// The streaming reader feeds libxml2's push parser 512 bytes at a time, and for each chunk
    /// the push parser scans back to the last `<`: a start tag or text of L bytes costs about
    /// L²/1024 steps (a 20 MB base64 attachment: minutes). Inputs with such a stretch are parsed
    /// whole by the pull parser (linear) and walked with the same reader API over the tree.
    static let longestStreamedStretch = 1 << 16

    static func longestStretchWithoutTag(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var longest = 0
        var from = 0
        while from < buffer.count {
            let found = memchr(base + from, Int32(UInt8(ascii: "<")), buffer.count - from)
            let at = found.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? buffer.count
            longest = max(longest, at - from)
            from = at + 1
        }
        return longest
    }

    mutating func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> Element {
        let sink = LibXMLErrorSink()
        guard let base = buffer.baseAddress else { throw FHIRFormatError(.structure, "empty input: expected an XML document") }
        let chars = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
        var document: xmlDocPtr?
        defer { if let document { xmlFreeDoc(document) } }
        let reader: xmlTextReaderPtr
        if Self.longestStretchWithoutTag(buffer) > Self.longestStreamedStretch {
            // The pull parser stops at a NUL byte as at the end of the input (helper-20: trailing
            // content after one was never read); XML allows none anywhere.
            if let nul = memchr(base, 0, buffer.count) {
                let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nul))
                var error = FHIRFormatError(.structure, "XML: a NUL byte, which XML does not allow")
                let before = UnsafeBufferPointer(rebasing: buffer[0..<offset])
                error.line = 1 + before.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
                error.column = offset - (before.lastIndex(of: 0x0A) ?? -1)
                throw error
            }
            guard let context = xmlNewParserCtxt() else { throw FHIRFormatError(.processing, "XML: out of memory") }
            defer { xmlFreeParserCtxt(context) }
            document = xmlCtxtReadMemory(context, chars, Int32(buffer.count), nil, "UTF-8", LibXML.parseOptions)
            guard let document, context.pointee.wellFormed != 0 else {
                if let last = xmlCtxtGetLastError(context) { sink.record(last) }
                var error = FHIRFormatError(.structure, "XML: " + (sink.message ?? "the XML is not well-formed"))
                error.line = sink.line
                error.column = sink.column
                throw error
            }
            guard let walker = xmlReaderWalker(document) else { throw FHIRFormatError(.processing, "XML: out of memory") }
            reader = walker
        } else {
            guard let streaming = xmlReaderForMemory(chars, Int32(buffer.count), nil, "UTF-8", LibXML.parseOptions) else {
                throw FHIRFormatError(.structure, "empty input: expected an XML document")
            }
            reader = streaming
        }
        defer { xmlFreeTextReader(reader) }
        if document == nil {
            // (A walker has no parser context to take a handler: its parse is already done.)
            xmlTextReaderSetStructuredErrorHandler(reader, { ctx, error in
                guard let ctx, let error else { return }
                Unmanaged<LibXMLErrorSink>.fromOpaque(ctx).takeUnretainedValue().record(error)
            }, Unmanaged.passUnretained(sink).toOpaque())
        }

        func fail(_ type: FHIRFormatError.IssueType, _ message: String) -> FHIRFormatError {
            failure(reader, type, message)
        }

        // Found on the first narrative (most Bundles a program reads have none it keeps).
        var divs: [Range<Int>]?
        var nextDiv = 0
        var root: Element?
        var onNextNode = false
        while true {
            let status = onNextNode ? 1 : xmlTextReaderRead(reader)
            onNextNode = false
            if status == 0 { break }
            if status < 0 {
                let message = sink.message ?? "the XML is not well-formed"
                var error = fail(.structure, "XML: " + message)
                if let line = sink.line { error.line = line; error.column = sink.column }
                if message.contains("Excessive depth") || message.contains("depth") { error.type = .tooLong }
                if message.contains("ntity") { error.type = .security }
                throw error
            }
            let type = xmlTextReaderNodeType(reader)
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                if root != nil { throw fail(.structure, "content after the root element") }
                guard let localPointer = xmlTextReaderConstLocalName(reader) else { throw fail(.structure, "element without a name") }
                let local = name(localPointer)
                let namespace = xmlTextReaderConstNamespaceUri(reader).map { name($0) }
                if local == "div" && namespace == LibXML.xhtmlNamespace && !stack.isEmpty {
                    // The narrative: keep its XML as the value, skip its subtree.
                    if stack[stack.count - 1].children.last?.isResource == true { throw fail(.invalid, Self.afterResource(stack[stack.count - 1].name)) }
                    guard let expanded = xmlTextReaderExpand(reader) else {
                        throw fail(.structure, "XML: " + (sink.message ?? "cannot read the narrative"))
                    }
                    if Self.depth(of: expanded, beyond: XMLReader.maxNarrativeDepth) { throw fail(.tooLong, Self.narrativeTooDeep) }
                    guard let outer = xmlTextReaderReadOuterXml(reader) else {
                        throw fail(.structure, "XML: " + (sink.message ?? "cannot read the narrative"))
                    }
                    var xhtml = String(cString: outer)
                    free(outer)
                    // Prefer the exact source text when it is the same XHTML.
                    if divs == nil { divs = NarrativeScanner.divs(in: buffer) }
                    if let found = divs, nextDiv < found.count {
                        let range = found[nextDiv]
                        nextDiv += 1
                        if let source = String(validating: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self),
                           sameXHTML(source, xhtml) {
                            xhtml = source
                        }
                    }
                    stack[stack.count - 1].children.append(Element(name: "div", value: xhtml))
                    let skipped = skipSubtree(reader, walking: document != nil)
                    if skipped < 0 {
                        throw fail(.structure, "XML: " + (sink.message ?? "the narrative is not well-formed"))
                    }
                    if skipped == 0 { break }
                    // The reader already sits on the node after the div (an unknown element may
                    // follow it): handle that node next, without reading on.
                    onNextNode = true
                    continue
                }
                if let materialise, stack.count >= 2, let first = local.utf8.first, first >= 0x41, first <= 0x5A,
                   namespace == LibXML.fhirNamespace, !materialise(local) {
                    // A resource the caller does not read: libxml2 still parses it; nothing is built.
                    if !stack[stack.count - 1].children.isEmpty { throw fail(.invalid, "<\(stack[stack.count - 1].name)> holds more than one resource") }
                    stack[stack.count - 1].children.append(Element(name: local, isResource: true))
                    // Nested no deeper than a built one may be (found by a new user's trial: a
                    // skipped resource 100,000 levels deep was accepted).
                    let skipped = skipSubtree(reader, walking: document != nil, levels: XMLReader.maxDepth - 1 - stack.count, watching: local)
                    if skipped == Self.wholeReadingNeeded {
                        wholeReadingNeeded = true
                        throw fail(.invalid, "a resource not built holds a resource or repeats an element: the document is read whole")
                    }
                    if skipped == Self.tooDeep { throw fail(.tooLong, "nesting deeper than \(XMLReader.maxDepth) levels") }
                    if skipped == Self.narrativeTooDeepStatus { throw fail(.tooLong, Self.narrativeTooDeep) }
                    if skipped < 0 {
                        throw fail(.structure, "XML: " + (sink.message ?? "the XML is not well-formed"))
                    }
                    try handleAfterSkip(reader, root: &root)
                    continue
                }
                guard namespace == LibXML.fhirNamespace else {
                    throw fail(.invalid, "element <\(local)> is not in the FHIR namespace (\(LibXML.fhirNamespace))")
                }
                try openElement(reader, local: local, root: &root)
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                closeElement(root: &root)
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
                throw fail(.invalid, "text content is not allowed in FHIR elements (values go in the value attribute)")
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw fail(.security, "DOCTYPE declarations are not allowed in FHIR XML")
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue), Int32(XML_READER_TYPE_ENTITY.rawValue):
                throw fail(.security, "entities are not allowed in FHIR XML")
            default:
                // Comments, processing instructions, whitespace: not content.
                continue
            }
        }
        guard let root else { throw FHIRFormatError(.structure, "no root element") }
        return root
    }

    func failure(_ reader: xmlTextReaderPtr, _ type: FHIRFormatError.IssueType, _ message: String) -> FHIRFormatError {
        FHIRFormatError(
            type, message, location: location(of: stack),
            line: currentLine(reader), column: nil)
    }

    /// The line of the node the reader is on (the parser itself may have read ahead).
    func currentLine(_ reader: xmlTextReaderPtr) -> Int? {
        if let node = xmlTextReaderCurrentNode(reader) {
            let line = xmlGetLineNo(node)
            if line > 0 { return Int(line) }
        }
        let line = xmlTextReaderGetParserLineNumber(reader)
        return line > 0 ? Int(line) : nil
    }

    /// Moves past the element the reader is on, to the node after its end, as
    /// `xmlTextReaderNext` does (which reads every node of the subtree too). Over a tree (a
    /// walker) libxml2's Next jumps to the next sibling and swallows the parent's end tag, so the
    /// subtree is read through here in both modes. `levels`: how deep below the element its
    /// content may nest (`tooDeep` when deeper); nil for no bound (a narrative's XHTML).
    /// `watching`: the element is a resource of this type, not built; what `SkippedResourceWatch`
    /// looks for in it is answered `wholeReadingNeeded`.
    mutating func skipSubtree(_ reader: xmlTextReaderPtr, walking: Bool, levels: Int? = nil, watching resourceType: String? = nil) -> Int32 {
        guard walking || levels != nil else { return xmlTextReaderNext(reader) }
        var watch = resourceType.map { SkippedResourceWatch(resourceType: $0, containedNeedsWholeReading: true) }
        let depth = xmlTextReaderDepth(reader)
        let deepest = levels.map { depth + Int32(clamping: $0) } ?? Int32.max
        // The depth of an XHTML div the skip is inside (-1: none): a narrative's content is
        // bounded by its own limit, not the resource's, as in a built resource.
        var narrativeAt: Int32 = -1
        if xmlTextReaderIsEmptyElement(reader) != 1 {
            while true {
                let status = xmlTextReaderRead(reader)
                if status != 1 { return status < 0 ? status : -1 }
                let at = xmlTextReaderDepth(reader)
                let type = xmlTextReaderNodeType(reader)
                // Elements only: whitespace inside the deepest element is one level below it.
                if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) {
                    if watch != nil {
                        let fhir = narrativeAt < 0 && Self.inFHIRNamespace(reader)
                        let local = xmlTextReaderConstLocalName(reader)
                        let xhtmlDiv = !fhir && narrativeAt < 0 && Self.isXHTMLDiv(reader)
                        if !watch!.open(fhir ? local.map(UnsafeRawPointer.init) : nil, text: { local.map { String(cString: $0) } ?? "" },
                                        xhtmlDiv: xhtmlDiv, lookups: &lookups) {
                            return Self.wholeReadingNeeded
                        }
                        // An empty element has no end node.
                        if xmlTextReaderIsEmptyElement(reader) == 1 { watch!.close() }
                    }
                    if narrativeAt >= 0 {
                        if at - narrativeAt >= Int32(XMLReader.maxNarrativeDepth) { return Self.narrativeTooDeepStatus }
                    } else if Self.isXHTMLDiv(reader) {
                        if xmlTextReaderIsEmptyElement(reader) != 1 { narrativeAt = at }
                    } else if at > deepest {
                        return Self.tooDeep
                    }
                } else if type == Int32(XML_READER_TYPE_END_ELEMENT.rawValue) {
                    if at == narrativeAt { narrativeAt = -1 }
                    if at == depth { break }
                    watch?.close()
                }
            }
        }
        return xmlTextReaderRead(reader)
    }

    /// A FHIR element name, or a resource type's: an upper-case letter, then letters and digits.
    static func isFHIRName(_ local: String) -> Bool {
        Element.isElementName(Substring(local))
            || (local.utf8.first.map { $0 >= 0x41 && $0 <= 0x5A } == true && Element.isElementName(Substring(local.lowercased())))
    }

    static func afterResource(_ parent: String) -> String {
        "<\(parent)> holds a resource and more: a resource is the whole content of its element"
    }

    /// `skipSubtree`'s answers for content nested deeper than allowed, and for a resource not
    /// built that needs the document read whole (`SkippedResourceWatch`).
    static let tooDeep: Int32 = -1000
    static let narrativeTooDeepStatus: Int32 = -1001
    static let wholeReadingNeeded: Int32 = -1002

    /// Whether the element the reader is on is in FHIR's namespace.
    static func inFHIRNamespace(_ reader: xmlTextReaderPtr) -> Bool {
        guard let ns = xmlTextReaderConstNamespaceUri(reader) else { return false }
        return strcmp(UnsafeRawPointer(ns).assumingMemoryBound(to: CChar.self), LibXML.fhirNamespace) == 0
    }
    static let narrativeTooDeep = "a narrative's XHTML nested deeper than \(XMLReader.maxNarrativeDepth) levels"

    /// Whether the element the reader is on is an XHTML `div`.
    static func isXHTMLDiv(_ reader: xmlTextReaderPtr) -> Bool {
        guard let local = xmlTextReaderConstLocalName(reader), local[0] == 0x64, local[1] == 0x69, local[2] == 0x76, local[3] == 0,
              let ns = xmlTextReaderConstNamespaceUri(reader) else { return false }
        return strcmp(UnsafeRawPointer(ns).assumingMemoryBound(to: CChar.self), LibXML.xhtmlNamespace) == 0
    }

    /// Whether a node's subtree has more than `levels` levels of elements, the node's own
    /// included; walked without recursion.
    static func depth(of top: xmlNodePtr, beyond levels: Int) -> Bool {
        var node = top
        var level = 1
        while true {
            if node.pointee.type == XML_ELEMENT_NODE, level > levels { return true }
            if node.pointee.type == XML_ELEMENT_NODE, let child = node.pointee.children {
                node = child
                level += 1
                continue
            }
            // On to the next sibling of this node or of the nearest ancestor below the top.
            while true {
                if node == top { return false }
                if let next = node.pointee.next { node = next; break }
                guard let parent = node.pointee.parent else { return false }
                node = parent
                level -= 1
            }
        }
    }

    /// After `skipSubtree` skipped a resource the caller does not read, the reader sits on the following node.
    mutating func handleAfterSkip(
        _ reader: xmlTextReaderPtr, root: inout Element?
    ) throws(FHIRFormatError) {
        func fail(_ type: FHIRFormatError.IssueType, _ message: String) -> FHIRFormatError { failure(reader, type, message) }
        let type = xmlTextReaderNodeType(reader)
        switch type {
        case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
            closeElement(root: &root)
        case Int32(XML_READER_TYPE_ELEMENT.rawValue):
            throw fail(.invalid, "unexpected element after a narrative or a resource")
        case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
            throw fail(.invalid, "text content is not allowed in FHIR elements")
        default:
            return
        }
    }

    mutating func openElement(
        _ reader: xmlTextReaderPtr, local: String, root: inout Element?
    ) throws(FHIRFormatError) {
        func fail(_ type: FHIRFormatError.IssueType, _ message: String) -> FHIRFormatError { failure(reader, type, message) }
        if stack.count >= XMLReader.maxDepth { throw fail(.tooLong, "nesting deeper than \(XMLReader.maxDepth) levels") }
        // A resource: an upper-case letter, then letters and digits; an element: see isElementName.
        if !Self.isFHIRName(local) {
            throw fail(.invalid, "<\(local)> is neither a FHIR element name nor a resource type name")
        }
        let first = local.utf8.first ?? 0
        let isResource = first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z")
        // JSON's resourceType is a resource's element name in XML: as a child it would write as
        // a second resourceType (found by the xml fuzz target in CI).
        if local == "resourceType", stack.last?.isResource == true {
            throw fail(.invalid, "<resourceType> is not an element of a resource in XML: the resource's element name is its type")
        }
        if isResource {
            if let parent = stack.last, !parent.children.isEmpty {
                throw fail(.invalid, "<\(parent.name)> holds more than one resource")
            }
        } else if let parent = stack.last, parent.children.last?.isResource == true {
            // JSON has no place for it: the resource is its element's whole content there
            // (found by the xml fuzz target: a <code> after an <Observation> inside a <coding>).
            throw fail(.invalid, Self.afterResource(parent.name))
        } else if stack.isEmpty {
            throw fail(.invalid, "the root element <\(local)> is not a resource")
        }
        // On the stack before its attributes are read, so an error names this element.
        stack.append(Element(name: local, isResource: isResource))
        var valueAttribute: String?
        var attributes: [Element] = []
        if xmlTextReaderHasAttributes(reader) == 1 {
            while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                if xmlTextReaderIsNamespaceDecl(reader) == 1 { continue }
                guard let attrPointer = xmlTextReaderConstLocalName(reader) else { continue }
                let attr = name(attrPointer)
                let attrNamespace = xmlTextReaderConstNamespaceUri(reader).map { name($0) }
                let value = xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? ""
                if attrNamespace == "http://www.w3.org/2001/XMLSchema-instance" { continue }
                if attrNamespace != nil {
                    throw fail(.invalid, "unknown attribute \(attr) on <\(local)>")
                }
                switch attr {
                case "value" where !isResource:
                    if value.isEmpty { throw fail(.invalid, "empty value attribute: FHIR primitives are never empty") }
                    valueAttribute = value
                case "id" where !isResource:
                    attributes.insert(Element(name: "id", value: value), at: 0)
                case "url" where local == "extension" || local == "modifierExtension":
                    attributes.append(Element(name: "url", value: value))
                default:
                    throw fail(.invalid, "unknown attribute \(attr) on <\(local)>")
                }
            }
            xmlTextReaderMoveToElement(reader)
        }
        stack[stack.count - 1].value = valueAttribute
        stack[stack.count - 1].children = attributes
        if xmlTextReaderIsEmptyElement(reader) == 1 { closeElement(root: &root) }
    }

    mutating func closeElement(root: inout Element?) {
        let done = stack.removeLast()
        if stack.isEmpty {
            root = done
        } else {
            stack[stack.count - 1].children.append(done)
        }
    }
}

/// The FHIRPath-like location of the innermost open element, e.g.
/// `Bundle.entry[3].resource.ofType(Patient).birthDate` (indices where the element repeats).
func location(of stack: [Element], table: TypeTable = .r4) -> String? {
    guard let root = stack.first else { return nil }
    var out = root.name
    var type = table.type(root.name)
    for level in 1..<max(stack.count, 1) {
        let element = stack[level]
        if element.isResource {
            out += ".ofType(\(element.name))"
            type = table.type(element.name)
            continue
        }
        let parent = stack[level - 1]
        let index = parent.children.reduce(0) { $1.name == element.name ? $0 + 1 : $0 }
        let info = type?.element(element.name)
        out += "." + element.name
        if info?.repeats ?? (index > 0) { out += "[\(index)]" }
        type = info.flatMap { table.type($0.typeName) }
    }
    return out
}

/// Whether libxml2's serialisation of a div and its source text are the same XHTML, judged
/// cheaply: the same tags in the same order and the same ASCII letters and digits in the text
/// (entities and escaping legitimately differ). Strict enough that a scanner mismatch (a div
/// from elsewhere) falls back to libxml2's text.
func sameXHTML(_ source: String, _ serialised: String) -> Bool {
    skeleton(source) == skeleton(serialised)
}

func skeleton(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var inTag = false
    var inName = false
    var inEntity = false
    for b in s.utf8 {
        if inTag {
            if b == UInt8(ascii: ">") { inTag = false; inName = false; out.append(b) }
            else if inName {
                if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == UInt8(ascii: "/") { inName = false } else { out.append(b) }
            }
            continue
        }
        if b == UInt8(ascii: "<") { inTag = true; inName = true; out.append(b); continue }
        if b == UInt8(ascii: "&") { inEntity = true; continue }
        if inEntity { if b == UInt8(ascii: ";") { inEntity = false }; continue }
        if isSkeletonLetter(b) { out.append(b) }
    }
    return out
}

/// The text a skeleton keeps: ASCII letters and digits.
func isSkeletonLetter(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
}
