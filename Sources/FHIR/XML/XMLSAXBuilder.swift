import CLibXML2

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The XML reader's fast path (issue 20): libxml2's SAX2 parser straight into the element tree.
/// The streaming reader (`XMLTreeBuilder`) makes and frees a DOM node for every node, about half
/// of libxml2's work on a FHIR document; SAX makes none.
///
/// It builds what `XMLTreeBuilder` builds, for documents that are well-formed and usual. On
/// anything else it declines and the caller reads the document with `XMLTreeBuilder`, so every
/// refusal (its message, location and line) and every rare narrative comes out exactly as
/// before: a libxml2 error, text or an attribute FHIR does not allow, nesting too deep, an
/// element right after a skipped resource, or a narrative whose source text it cannot vouch for
/// (a comment or processing instruction inside it, source whose tags and text differ from what
/// libxml2 parsed, as CDATA or a character reference for a letter do, or XHTML nested deeper
/// than `XMLReader.maxNarrativeDepth`), input that is not all read as UTF-8.
struct XMLSAXBuilder {
    let buffer: UnsafeBufferPointer<UInt8>
    let materialise: ((String) -> Bool)?
    private var context: xmlParserCtxtPtr?
    private var stack: [Element] = []
    private var root: Element?
    /// Set when this path cannot vouch for the result: `XMLTreeBuilder` reads the document.
    private(set) var declined = false
    /// Names as libxml2 interns them (one pointer per name), each made and checked once: an
    /// open-addressed table keyed by the pointer (a Dictionary hashed it with SipHash at every
    /// element, 4% of a document's reading).
    private var nameKeys = [UnsafeRawPointer?](repeating: nil, count: 256)
    private var nameValues = [Name?](repeating: nil, count: 256)
    private var nameCount = 0

    struct Name {
        let text: String
        /// A FHIR element name or a resource type's (`XMLTreeBuilder.openElement`'s test).
        let isFHIRName: Bool
        let isResource: Bool
    }

    /// Open elements of a resource the caller does not read, the resource itself included (0:
    /// not skipping); how deep below it content may nest; where an XHTML div inside it opened
    /// (its content is bounded by `XMLReader.maxNarrativeDepth` instead, as in
    /// `XMLTreeBuilder.skipSubtree`).
    private var skipping = 0
    private var skipLevels = 0
    private var skipNarrativeAt = 0
    /// The node right after a skipped resource is looked at as `XMLTreeBuilder.handleAfterSkip` does.
    private var afterSkip = false
    /// What is looked for inside the resource skipped (see `SkippedResourceWatch`).
    private var watch: SkippedResourceWatch?
    /// Skipped resources that keep members (`XMLReader.keptBySkippedResources`), innermost last:
    /// each open on the stack at `at`, with the skip's state while a member is built.
    private struct Partial {
        let at: Int
        var watch: SkippedResourceWatch?
        let skipLevels: Int
    }
    private var partials: [Partial] = []
    private var lookups = SkippedElementLookups()
    private var fhirURI: UnsafePointer<xmlChar>?
    private var xhtmlURI: UnsafePointer<xmlChar>?

    /// Open elements of a narrative's XHTML (0: none), where its start tag began, the skeleton of
    /// what libxml2 parsed (see `skeleton`), and whether each open element has content.
    private var narrativeOpen = 0
    private var narrativeStart = 0
    private var narrativeSkeleton: [UInt8] = []
    private var narrativeHasContent: [Bool] = []

    init(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)?) {
        self.buffer = buffer
        self.materialise = materialise
    }

    /// The document's tree, or nil when `XMLTreeBuilder` must read it.
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)?) -> Element? {
        LibXML.setUp()
        guard let base = buffer.baseAddress, buffer.count <= Int(Int32.max) else { return nil }
        guard let context = xmlCreateMemoryParserCtxt(UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buffer.count)) else { return nil }
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { ctx, local, prefix, uri, namespaceCount, namespaces, attributeCount, _, attributes in
            guard let ctx, let local else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee
                .start(local, prefix, uri, Int(namespaceCount), namespaces, Int(attributeCount), attributes)
        }
        handler.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.end()
        }
        handler.characters = { ctx, text, count in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.characters(text, Int(count))
        }
        handler.ignorableWhitespace = handler.characters
        handler.comment = { ctx, _ in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.commentOrInstruction()
        }
        handler.processingInstruction = { ctx, _, _ in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.commentOrInstruction()
        }
        // A DOCTYPE (refused before this by XMLProlog), an entity: XMLTreeBuilder says what.
        handler.internalSubset = { ctx, _, _, _ in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.decline()
        }
        handler.reference = { ctx, _ in
            guard let ctx else { return }
            ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.decline()
        }
        handler.serror = { ctx, error in
            guard let ctx, let error else { return }
            // Errors and fatal errors: XMLTreeBuilder reports them (a warning changes nothing).
            if error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue {
                ctx.assumingMemoryBound(to: XMLSAXBuilder.self).pointee.decline()
            }
        }
        let original = context.pointee.sax
        // The callbacks reach the builder through a pointer: a class's stored properties would be
        // checked for exclusive access, and its reference counted, at every event.
        let builder = UnsafeMutablePointer<XMLSAXBuilder>.allocate(capacity: 1)
        builder.initialize(to: XMLSAXBuilder(buffer, materialise: materialise))
        defer { builder.deinitialize(count: 1); builder.deallocate() }
        let result: Element? = withUnsafeMutablePointer(to: &handler) { handler in
            context.pointee.sax = handler
            defer { context.pointee.sax = original }
            context.pointee.userData = UnsafeMutableRawPointer(builder)
            // After the handler is set: the options adjust it (NOCDATA, NOERROR). NOENT as well as
            // the reader's options: an attribute's `&amp;` then arrives as `&` (the reader's DOM
            // decodes libxml2's `&#38;`); with no DOCTYPE there is no other entity to replace.
            xmlCtxtUseOptions(context, LibXML.parseOptions | Int32(XML_PARSE_NOENT.rawValue))
            builder.pointee.context = context
            xmlParseDocument(context)
            builder.pointee.context = nil
            // The whole input, as UTF-8: the memory parser stops at a NUL byte where the streaming
            // reader refuses it (found by the xml fuzz target), and it takes UTF-16 from the first
            // bytes where the reader is told UTF-8 (found by helper-19).
            guard context.pointee.wellFormed != 0, !builder.pointee.declined, builder.pointee.stack.isEmpty,
                  rpl_xml_unconverted(context) != 0, rpl_xml_position(context) == buffer.count else { return nil }
            return builder.pointee.root
        }
        xmlFreeParserCtxt(context)
        return result
    }

    /// No more events: libxml2 parses on to the end without calling back. Not `xmlStopParser`,
    /// which frees the input while the parser still reads it when called from an error report
    /// (helper-20: `]]>` in an 80 KB document crashed).
    mutating func decline() {
        guard !declined else { return }
        declined = true
        if let context { context.pointee.disableSAX = 1 }
    }

    private mutating func name(_ pointer: UnsafePointer<xmlChar>) -> Name {
        let key = UnsafeRawPointer(pointer)
        var slot = Self.slot(key, nameKeys.count)
        while let held = nameKeys[slot] {
            if held == key { return nameValues[slot]! }
            slot = (slot + 1) & (nameKeys.count - 1)
        }
        let made = Self.makeName(pointer)
        if (nameCount + 1) * 2 > nameKeys.count {
            growNames()
            slot = Self.slot(key, nameKeys.count)
            while nameKeys[slot] != nil { slot = (slot + 1) & (nameKeys.count - 1) }
        }
        nameKeys[slot] = key
        nameValues[slot] = made
        nameCount += 1
        return made
    }

    private static func slot(_ key: UnsafeRawPointer, _ size: Int) -> Int {
        Int(truncatingIfNeeded: ((UInt(bitPattern: key) >> 3) &* 0x9E37_79B9_7F4A_7C15) >> 20) & (size - 1)
    }

    private mutating func growNames() {
        let keys = nameKeys, values = nameValues
        nameKeys = [UnsafeRawPointer?](repeating: nil, count: keys.count * 2)
        nameValues = [Name?](repeating: nil, count: keys.count * 2)
        for i in keys.indices {
            guard let key = keys[i] else { continue }
            var slot = Self.slot(key, nameKeys.count)
            while nameKeys[slot] != nil { slot = (slot + 1) & (nameKeys.count - 1) }
            nameKeys[slot] = key
            nameValues[slot] = values[i]
        }
    }

    private static func makeName(_ pointer: UnsafePointer<xmlChar>) -> Name {
        let text = String(cString: pointer)
        let first = text.utf8.first ?? 0
        let isResource = first >= 0x41 && first <= 0x5A
        return Name(text: text, isFHIRName: XMLTreeBuilder.isFHIRName(text), isResource: isResource)
    }

    /// Whether a namespace is FHIR's, or XHTML's: libxml2 gives one pointer per URI in a document,
    /// so after the first comparison a pointer's (a string compared to a Swift String is made into
    /// a C string first, at every element).
    private mutating func inFHIRNamespace(_ uri: UnsafePointer<xmlChar>?) -> Bool {
        Self.isNamespace(uri, LibXML.fhirNamespace, seen: &fhirURI)
    }

    private mutating func inXHTMLNamespace(_ uri: UnsafePointer<xmlChar>?) -> Bool {
        Self.isNamespace(uri, LibXML.xhtmlNamespace, seen: &xhtmlURI)
    }

    private static func isNamespace(_ uri: UnsafePointer<xmlChar>?, _ text: String, seen: inout UnsafePointer<xmlChar>?) -> Bool {
        guard let uri else { return false }
        if uri == seen { return true }
        guard equals(uri, text) else { return false }
        seen = uri
        return true
    }

    private static func equals(_ pointer: UnsafePointer<xmlChar>?, _ text: String) -> Bool {
        guard let pointer else { return false }
        return strcmp(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self), text) == 0
    }

    private static func isDiv(_ local: UnsafePointer<xmlChar>) -> Bool {
        local[0] == 0x64 && local[1] == 0x69 && local[2] == 0x76 && local[3] == 0
    }

    private static func isUpperCase(_ local: UnsafePointer<xmlChar>) -> Bool { local[0] >= 0x41 && local[0] <= 0x5A }

    // MARK: events

    private mutating func start(
        _ local: UnsafePointer<xmlChar>, _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?,
        _ namespaceCount: Int, _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
        _ attributeCount: Int, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    ) {
        guard !declined else { return }
        if narrativeOpen > 0 {
            narrativeHasContent[narrativeHasContent.count - 1] = true
            openInSkeleton(local, prefix)
            narrativeOpen += 1
            if narrativeOpen > XMLReader.maxNarrativeDepth { decline() }
            return
        }
        if skipping > 0 {
            // Inside a resource not read: its depth is bounded, outside XHTML divs; a resource it
            // holds or an element repeated that does not repeat leaves it to a whole reading.
            let level = skipping
            skipping += 1
            let fhir = skipNarrativeAt == 0 && inFHIRNamespace(uri)
            let xhtmlDiv = !fhir && skipNarrativeAt == 0 && Self.isDiv(local) && inXHTMLNamespace(uri)
            if watch != nil && !watch!.open(fhir ? UnsafeRawPointer(local) : nil, text: { String(cString: local) }, xhtmlDiv: xhtmlDiv, lookups: &lookups) {
                decline(); return
            }
            if level == 1 && fhir && XMLReader.keptBySkippedResources.contains(name(local).text) {
                // A member the skipped resource keeps: the resource, held so far as its type
                // alone, is opened on the stack (once), and the member built in it.
                if partials.last?.at != stack.count - 1 || stack.last?.isResource != true {
                    guard let resource = stack[stack.count - 1].children.popLast() else { decline(); return }
                    partials.append(Partial(at: stack.count, watch: watch, skipLevels: skipLevels))
                    stack.append(resource)
                } else {
                    partials[partials.count - 1].watch = watch
                }
                skipping = 0
                watch = nil
                skipNarrativeAt = 0
                open(name(local), attributeCount, attributes)
                return
            }
            if skipNarrativeAt != 0 {
                if skipping - skipNarrativeAt + 1 > XMLReader.maxNarrativeDepth { decline() }
            } else if Self.isDiv(local) && inXHTMLNamespace(uri) {
                skipNarrativeAt = skipping
            } else if level > skipLevels {
                decline()
            }
            return
        }
        if afterSkip { decline(); return }  // "unexpected element after a narrative or a resource"
        if Self.isDiv(local) && inXHTMLNamespace(uri) && !stack.isEmpty {
            if stack[stack.count - 1].children.last?.isResource == true { decline(); return }
            startNarrative(local, prefix)
            return
        }
        // Another element named div (FHIR's namespace, or XHTML's at the root) is no narrative,
        // but NarrativeScanner may count it, and XMLTreeBuilder then matches the narratives
        // after it to the wrong source (helper-20): its answer, not this path's.
        if Self.isDiv(local) { decline(); return }
        let isFHIR = inFHIRNamespace(uri)
        if let materialise, stack.count >= 2, Self.isUpperCase(local), isFHIR {
            let type = name(local).text
            if !materialise(type) {
                if !stack[stack.count - 1].children.isEmpty { decline(); return }
                stack[stack.count - 1].children.append(Element(name: type, isResource: true))
                skipping = 1
                skipLevels = XMLReader.maxDepth - 1 - stack.count
                skipNarrativeAt = 0
                watch = SkippedResourceWatch(resourceType: type, containedNeedsWholeReading: false)
                return
            }
        }
        guard isFHIR else { decline(); return }
        open(name(local), attributeCount, attributes)
    }

    /// `XMLTreeBuilder.openElement` for a document it would accept: anything it refuses declines.
    private mutating func open(_ name: Name, _ attributeCount: Int, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        if stack.count >= XMLReader.maxDepth { decline(); return }
        let local = name.text
        let isResource = name.isResource
        if !name.isFHIRName { decline(); return }
        if local == "resourceType", stack.last?.isResource == true { decline(); return }
        if isResource {
            if let parent = stack.last, !parent.children.isEmpty { decline(); return }
        } else if let parent = stack.last, parent.children.last?.isResource == true {
            decline(); return
        } else if stack.isEmpty {
            decline(); return
        }
        var element = Element(name: local, isResource: isResource)
        if attributeCount > 0, let attributes {
            var id: Element?
            var url: Element?
            for i in 0..<attributeCount {
                guard let attr = attributes[5 * i] else { continue }
                let namespace = attributes[5 * i + 2]
                if Self.equals(namespace, "http://www.w3.org/2001/XMLSchema-instance") { continue }
                guard namespace == nil, let start = attributes[5 * i + 3], let end = attributes[5 * i + 4] else { decline(); return }
                let value = String(decoding: UnsafeBufferPointer(start: start, count: start.distance(to: end)), as: UTF8.self)
                if Self.equals(attr, "value") && !isResource {
                    if value.isEmpty { decline(); return }
                    element.value = value
                } else if Self.equals(attr, "id") && !isResource {
                    id = Element(name: "id", value: value)
                } else if Self.equals(attr, "url") && (local == "extension" || local == "modifierExtension") {
                    url = Element(name: "url", value: value)
                } else {
                    decline(); return
                }
            }
            // XMLTreeBuilder's order: the id first, then the url.
            if let id { element.children.append(id) }
            if let url { element.children.append(url) }
        }
        stack.append(element)
    }

    private mutating func end() {
        guard !declined else { return }
        if narrativeOpen > 0 {
            narrativeOpen -= 1
            if narrativeHasContent.removeLast() { narrativeSkeleton.append(contentsOf: [0x3C, 0x3E]) }  // "</x>" is "<>"
            if narrativeOpen == 0 { endNarrative() }
            return
        }
        if skipping > 0 {
            if skipping == skipNarrativeAt { skipNarrativeAt = 0 }
            if skipping > 1 { watch?.close() }
            skipping -= 1
            if skipping == 0 {
                afterSkip = true
                watch = nil
                if let partial = partials.last, partial.at == stack.count - 1 {
                    // The end of a skipped resource that kept members: what it keeps only if it
                    // holds resources (as the JSON reader keeps it).
                    partials.removeLast()
                    var resource = stack.removeLast()
                    if !resource.children.contains(where: { $0.name == "contained" }) { resource.children = [] }
                    stack[stack.count - 1].children.append(resource)
                }
            }
            return
        }
        afterSkip = false
        guard let done = stack.popLast() else { decline(); return }
        if stack.isEmpty {
            root = done
        } else {
            stack[stack.count - 1].children.append(done)
            if let partial = partials.last, partial.at == stack.count - 1 {
                // A kept member of a skipped resource ends: the skip goes on.
                skipping = 1
                watch = partial.watch
                watch?.close()
                skipLevels = partial.skipLevels
                skipNarrativeAt = 0
            }
        }
    }

    private mutating func characters(_ text: UnsafePointer<xmlChar>?, _ count: Int) {
        guard !declined, let text, count > 0 else { return }
        if narrativeOpen > 0 {
            narrativeHasContent[narrativeHasContent.count - 1] = true
            for i in 0..<count where isSkeletonLetter(text[i]) { narrativeSkeleton.append(text[i]) }
            return
        }
        if skipping > 0 { return }
        var blank = true
        for i in 0..<count where !(text[i] == 0x20 || text[i] == 0x09 || text[i] == 0x0A || text[i] == 0x0D) {
            blank = false
            break
        }
        afterSkip = false
        // Text content is refused (XMLTreeBuilder says so); blanks between elements are not content.
        if !blank { decline() }
    }

    private mutating func commentOrInstruction() {
        guard !declined else { return }
        if narrativeOpen > 0 { decline(); return }
        afterSkip = false
    }

    // MARK: narratives

    /// The div's source text is kept, as `XMLTreeBuilder` keeps it where it has the same
    /// skeleton as libxml2's serialisation of the div; the skeleton of that serialisation is
    /// made here from the events: a start tag `<name>`, an end tag `<>` (none for an element
    /// without content, which libxml2 writes as `<name/>`), and the ASCII letters and digits of
    /// the text.
    private mutating func startNarrative(_ local: UnsafePointer<xmlChar>, _ prefix: UnsafePointer<xmlChar>?) {
        // The parser stands at the start tag's `>` or `/>`: the tag began at the last `<` before
        // it (an attribute value holds none).
        let at = context.map { Int(rpl_xml_position($0)) } ?? -1
        guard at > 0, at <= buffer.count else { decline(); return }
        var tagStart = at - 1
        while tagStart >= 0 && buffer[tagStart] != 0x3C { tagStart -= 1 }
        guard tagStart >= 0 else { decline(); return }
        narrativeStart = tagStart
        // Only a div whose own tag declares the XHTML namespace stands alone as text (one that
        // inherits it, or names it by a prefix, is written by libxml2 with the declaration).
        guard prefix == nil, NarrativeScanner.declaresXHTML(UnsafeBufferPointer(rebasing: buffer[narrativeStart..<at])) else { decline(); return }
        narrativeSkeleton.removeAll(keepingCapacity: true)
        narrativeHasContent.removeAll(keepingCapacity: true)
        openInSkeleton(local, prefix)
        narrativeOpen = 1
    }

    private mutating func openInSkeleton(_ local: UnsafePointer<xmlChar>, _ prefix: UnsafePointer<xmlChar>?) {
        narrativeSkeleton.append(0x3C)
        if let prefix {
            var p = prefix
            while p.pointee != 0 { narrativeSkeleton.append(p.pointee); p += 1 }
            narrativeSkeleton.append(0x3A)
        }
        var l = local
        while l.pointee != 0 { narrativeSkeleton.append(l.pointee); l += 1 }
        narrativeSkeleton.append(0x3E)
        narrativeHasContent.append(false)
    }

    private mutating func endNarrative() {
        // The parser stands just past the div's end tag (or its `/>`).
        let end = context.map { Int(rpl_xml_position($0)) } ?? -1
        guard end > narrativeStart, end <= buffer.count else { decline(); return }
        let bytes = UnsafeBufferPointer(rebasing: buffer[narrativeStart..<end])
        guard bytes.last == 0x3E, let source = String(validating: bytes, as: UTF8.self),
              skeleton(source) == narrativeSkeleton else { decline(); return }
        stack[stack.count - 1].children.append(Element(name: "div", value: source))
    }
}
