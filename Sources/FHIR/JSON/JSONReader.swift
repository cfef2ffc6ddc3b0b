import CJSONSkip
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads FHIR JSON (RFC 8259 plus FHIR's rules) from bytes into the element model.
///
/// A hand-written scanner over the input buffer: strings are validated as UTF-8 and made once,
/// numbers are kept as their source text. Refused: invalid UTF-8, lone surrogate escapes,
/// duplicate keys, `null` outside `_element` padding, empty objects and arrays, nesting beyond
/// `maxDepth`, content after the root object.
public enum JSONReader {
    /// Objects and arrays nested: the deepest file in the HL7 examples and Synthea has 16.
    public static let maxDepth = 100

    public static func read(_ bytes: [UInt8]) throws(FHIRFormatError) -> Element {
        try bytes.withUnsafeBufferPointer { (buffer) throws(FHIRFormatError) -> Element in try read(buffer) }
    }

    public static func read(_ buffer: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> Element {
        try read(buffer, materialise: nil)
    }

    /// Reads a Bundle building only the nested resources whose type `materialise` accepts; the
    /// others are checked just as strictly for syntax (UTF-8, escapes, numbers, duplicate keys,
    /// nesting) but kept only as an empty node of their type. For a program that reads a few
    /// resource types out of large Bundles. Needs `resourceType` first in a resource to skip it.
    public static func read(_ buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool) throws(FHIRFormatError) -> Element {
        try read(buffer, materialise: Optional(materialise))
    }

    /// As `read(_:materialise:)`, the resources of the types `screen` names built whole only if
    /// their bytes may matter (`ResourceScreen`), else kept as skeletons.
    public static func read(_ buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool, screen: ResourceScreen?) throws(FHIRFormatError) -> Element {
        try read(buffer, materialise: Optional(materialise), screen: screen)
    }

    /// As `read(_:materialise:)`, for a caller that gives the bytes up (issue 20, memory): the
    /// pages of a Bundle's entries already read are given back to the system as the reading goes
    /// on (`madvise(MADV_DONTNEED)`; on Linux they read as zeros afterwards), every `releaseEvery`
    /// bytes.
    /// The bytes must be the caller's own allocation, used for nothing after this call. Nothing
    /// the reader looks back at lies in them: the root's keys before `entry` are kept, the entry
    /// being read is kept, recurring objects read before them are no longer shared, and line
    /// numbers are counted before a page goes.
    public static func read(discarding buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool,
                            releaseEvery: Int = 1 << 20) throws(FHIRFormatError) -> Element {
        // Not screened: a screened reading may have to be read again (`Adapter.read`), and these
        // bytes are given up.
        try read(buffer, materialise: materialise, releaseEvery: releaseEvery)
    }

    /// Every reading: the scanner as asked, then the type check (told which arrays it shared).
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)?, screen: ResourceScreen? = nil, sharing: Bool = true,
                     fastSkip: Bool = true, releaseEvery: Int? = nil) throws(FHIRFormatError) -> Element {
        var scanner = JSONScanner(buffer)
        scanner.materialise = materialise
        scanner.screen = screen
        scanner.sharing = sharing
        scanner.fastSkip = fastSkip
        scanner.releaser = releaseEvery.map(InputReleaser.init(every:))
        let root = try scanner.readDocument()
        try JSONTypeCheck.check(root, shared: scanner.sharedChildren)
        return root
    }

    /// A reading as a value, for the comparisons below.
    static func result(_ read: () throws(FHIRFormatError) -> Element) -> Result<Element, FHIRFormatError> {
        do throws(FHIRFormatError) { return .success(try read()) } catch { return .failure(error) }
    }

    public static func read(_ text: String) throws(FHIRFormatError) -> Element {
        try read(Array(text.utf8))
    }

    /// Reads a page-aligned copy giving pages back after every page of entries
    /// (`read(discarding:…)`) and the bytes as they are, and says how the two differ, or nil: for
    /// tests and the `json` fuzz target.
    /// `offset`: where in its first page the copy starts (glibc's large blocks start 16 bytes in).
    package static func discardingDisagrees(_ buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool, offset: Int = 16) -> String? {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count + page, alignment: page)
        defer { copy.deallocate() }
        let start = copy.baseAddress! + offset % page
        if let base = buffer.baseAddress { start.copyMemory(from: base, byteCount: buffer.count) }
        let discarded = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        let a = result { () throws(FHIRFormatError) in try read(discarding: discarded, materialise: materialise, releaseEvery: page) }
        let b = result { () throws(FHIRFormatError) in try read(buffer, materialise: materialise) }
        return difference(a, b, labels: ("discarding", "keeping"))
    }

    /// How two readings of one document differ (the tree, or the error), or nil.
    static func difference(_ a: Result<Element, FHIRFormatError>, _ b: Result<Element, FHIRFormatError>, labels: (String, String)) -> String? {
        switch (a, b) {
        case let (.success(x), .success(y)): return x == y ? nil : "the trees differ"
        case let (.failure(x), .failure(y)): return x == y ? nil : "\(labels.0): \(x)\n\(labels.1): \(y)"
        case let (.success, .failure(y)): return "\(labels.0): read\n\(labels.1): \(y)"
        case let (.failure(x), .success): return "\(labels.0): \(x)\n\(labels.1): read"
        }
    }

    /// Reads with and without sharing recurring objects (`RecurringObjects`) and says how the two
    /// differ (the tree, or the error), or nil: for tests and the `json` fuzz target.
    package static func sharingDisagrees(_ buffer: UnsafeBufferPointer<UInt8>, materialise: ((String) -> Bool)? = nil) -> String? {
        func reading(sharing: Bool) -> Result<Element, FHIRFormatError> {
            result { () throws(FHIRFormatError) in try read(buffer, materialise: materialise, sharing: sharing) }
        }
        return difference(reading(sharing: true), reading(sharing: false), labels: ("shared", "unshared"))
    }

    /// Reads with and without the C pass over values not built (`JSONScanner.skipValue`) and says
    /// how the two differ (the tree, or the error), or nil: for tests and the `json` fuzz target.
    /// By default every nested resource is passed over.
    package static func fastSkipDisagrees(_ buffer: UnsafeBufferPointer<UInt8>, materialise: @escaping (String) -> Bool = { _ in false }) -> String? {
        func reading(fast: Bool) -> Result<Element, FHIRFormatError> {
            result { () throws(FHIRFormatError) in try read(buffer, materialise: materialise, fastSkip: fast) }
        }
        return difference(reading(fast: true), reading(fast: false), labels: ("C pass", "Swift pass"))
    }

    /// Reads with and without a screen (`ResourceScreen`) and says how they disagree, or nil: the
    /// screened reading refuses nothing the full reading reads, and where both read, every
    /// resource is the same but a screened one the screened reading keeps as a skeleton (its `id`
    /// and `meta`, as read in full). For tests and the `json` fuzz target.
    package static func screenDisagrees(_ buffer: UnsafeBufferPointer<UInt8>, screen: ResourceScreen, materialise: @escaping (String) -> Bool) -> String? {
        let full = result { () throws(FHIRFormatError) in try read(buffer, materialise: materialise) }
        let screened = result { () throws(FHIRFormatError) in try read(buffer, materialise: materialise, screen: screen) }
        switch (full, screened) {
        case let (.success, .failure(e)): return "screened: \(e)\nfull: read"
        case (.failure, _): return nil  // a screened resource's FHIR types are not checked
        case let (.success(a), .success(b)):
            func agree(_ x: Element, _ y: Element) -> Bool {
                if x == y { return true }
                if x.isResource, y.isResource, x.name == y.name, screen.types.contains(x.name),
                   y.children == x.children.filter({ $0.name == "id" || $0.name == "meta" }) { return true }
                guard x.name == y.name, x.value == y.value, x.isResource == y.isResource, x.children.count == y.children.count else { return false }
                return zip(x.children, y.children).allSatisfy { agree($0, $1) }
            }
            return agree(a, b) ? nil : "the trees differ beyond the skeletons of screened resources"
        }
    }

    /// The C pass that screens a resource (the buffer from its start, an object at depth 0) held
    /// against the C pass over values not built: where the first vouches for it, the second ends it
    /// at the same byte. Says how they differ, or nil.
    package static func screenPassDisagrees(_ buffer: UnsafeBufferPointer<UInt8>, screen: ResourceScreen) -> String? {
        guard buffer.first == UInt8(ascii: "{"), let found = screen.skeleton(buffer, from: 0, depth: 0) else { return nil }
        let end = fastSkipEnd(buffer)
        return end == found.end ? nil : "the screen ended the resource at byte \(found.end), the C pass over values not built at \(end)"
    }

    /// The C pass over one value (the buffer from its start, nested `depth` deep), held against the
    /// Swift pass: a value the C pass accepts must be one the Swift pass accepts, ending at the
    /// same byte. Says how they differ, or nil (also when the C pass leaves the value to Swift).
    package static func skipPassesDisagree(_ buffer: UnsafeBufferPointer<UInt8>, depth: Int = 0) -> String? {
        let end = fastSkipEnd(buffer, depth: depth)
        guard end >= 0 else { return nil }
        var scanner = JSONScanner(buffer)
        scanner.depth = depth
        scanner.fastSkip = false
        do throws(FHIRFormatError) {
            try scanner.skipValueHere()
        } catch {
            return "the C pass accepted a value up to byte \(end); the Swift pass: \(error)"
        }
        return scanner.pos == end ? nil : "the C pass ended at byte \(end), the Swift pass at \(scanner.pos)"
    }

    /// Where the C pass ends the value at the buffer's start, or -1 where it leaves it to Swift.
    package static func fastSkipEnd(_ buffer: UnsafeBufferPointer<UInt8>, depth: Int = 0) -> Int {
        guard !buffer.isEmpty else { return -1 }
        return rpl_json_skip_value(buffer.baseAddress, buffer.count, 0, Int32(depth), Int32(maxDepth))
    }

    /// One JSON string (the whole buffer, quotes included), unescaped and validated as UTF-8 by
    /// the same rules as the strings of a document: for a reader of a JSON envelope around FHIR.
    public static func string(_ buffer: UnsafeBufferPointer<UInt8>) throws(FHIRFormatError) -> String {
        var scanner = JSONScanner(buffer)
        guard buffer.first == UInt8(ascii: "\"") else { throw scanner.error(.structure, "expected a string") }
        let s = try scanner.readString()
        guard scanner.pos == buffer.count else { throw scanner.error(.structure, "content after the string") }
        return s
    }
}

struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var depth = 0
    /// The location while descending, as byte ranges of the keys: names are made only for an error.
    var path = ByteRangePath()
    /// Which nested resources to build (nil: all).
    var materialise: ((String) -> Bool)?
    /// Which of those to build whole only if their bytes may matter (`ResourceScreen`).
    var screen: ResourceScreen?
    /// The children of the objects being read (issue 20): see `ElementStack`.
    let stack = ElementStack()
    /// The plain keys of the objects being read, innermost last (see `ObjectKeys`).
    let keyStack = KeyStack()
    /// Strings made once where they recur (see `StringCache`).
    let strings: StringCache
    /// Whether recurring objects are shared and passed over (`RecurringObjects`); off
    /// only to test that it changes nothing.
    var sharing = true
    /// Whether values not built are passed over by the C pass first (`skipValue`); off only to
    /// test that it changes nothing.
    var fastSkip = true
    /// Gives back the pages of entries read (`JSONReader.read(discarding:…)`); nil: keeps all.
    var releaser: InputReleaser?
    /// Objects built, and objects skipped, once where their text recurs (`RecurringObjects`).
    let objects: RecurringObjects<[Element]>
    let skipped: RecurringObjects<Void>
    /// The storage of every children array `objects` handed out again (for `JSONTypeCheck`).
    var sharedChildren = AddressSet()
    /// Whether the last string read or skipped was ASCII without escapes: a key that can be kept
    /// as its input bytes (`ObjectKeys`), known from the scan instead of a second look.
    var lastStringPlain = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        strings = StringCache(inputSize: bytes.count)
        objects = RecurringObjects(inputSize: bytes.count)
        skipped = RecurringObjects(inputSize: bytes.count)
    }

    // MARK: errors

    func error(_ type: FHIRFormatError.IssueType, _ message: String, at offset: Int? = nil) -> FHIRFormatError {
        let (line, column) = lineAndColumn(of: offset ?? pos)
        let location = path.render(bytes)
        return FHIRFormatError(type, message, location: location.isEmpty ? nil : location, line: line, column: column)
    }

    func lineAndColumn(of offset: Int) -> (Int, Int) {
        if let releaser, releaser.to > releaser.from, offset >= releaser.from {
            return releaser.lineAndColumn(of: min(offset, bytes.count), in: bytes)
        }
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        var i = 0
        while i < end {
            if bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
            i += 1
        }
        // Column in characters: count UTF-8 lead bytes.
        var column = 1
        i = lineStart
        while i < end {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (line, column)
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    // MARK: document

    mutating func readDocument() throws(FHIRFormatError) -> Element {
        // A UTF-8 byte order mark is tolerated at the start.
        pos = FHIRFormat.byteOrderMarkLength(bytes)
        skipWhitespace()
        guard pos < bytes.count else { throw error(.structure, "empty input: expected a JSON object") }
        guard bytes[pos] == UInt8(ascii: "{") else {
            throw error(.structure, "expected a JSON object ('{') at the start, found \(describe(bytes[pos]))")
        }
        let root = try readObject(name: "", resourcePosition: .required)
        skipWhitespace()
        if pos < bytes.count {
            throw error(.structure, "unexpected \(describe(bytes[pos])) after the end of the resource")
        }
        return root
    }

    @inline(__always)
    mutating func skipWhitespace() {
        // Most calls find none (compact JSON, ndjson): one byte's look.
        if pos < bytes.count && bytes[pos] > 0x20 { return }
        // Spaces eight at a time, a run's end found by counting trailing zero bits (pretty-printed
        // input is mostly indentation: 60% of Synthea's bytes). A line break goes back to words.
        while pos + 8 <= bytes.count {
            let notSpace = UInt64(littleEndian: word(at: pos)) ^ 0x2020_2020_2020_2020
            if notSpace == 0 { pos += 8; continue }
            pos += notSpace.trailingZeroBitCount >> 3
            switch bytes[pos] {
            case 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    enum ResourcePosition { case required, allowed, no }

    // MARK: objects

    /// Reads an object into a node. With `resourcePosition` `.required` the object must carry
    /// `resourceType` (the root); with `.allowed` (`contained`, `resource`, `outcome`) it is a
    /// resource when it does.
    mutating func readObject(name: String, resourcePosition: ResourcePosition) throws(FHIRFormatError) -> Element {
        let objectStart = pos
        // A data type's object whose text was read before is that object again (`RecurringObjects`).
        var slot = -1
        if resourcePosition == .no && sharing {
            slot = objects.slot(at: pos, in: bytes)
            if let (children, count) = objects.value(slot: slot, at: pos, depth: depth, in: bytes, keptFrom: releaser?.to ?? 0) {
                sharedChildren.insert(children.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) })
                pos += count
                return Element(name: name, valueKind: .object, children: children)
            }
        }
        pos += 1  // {
        depth += 1
        if depth > JSONReader.maxDepth {
            throw error(.tooLong, "nesting deeper than \(JSONReader.maxDepth) levels")
        }
        let siblings = Siblings(stack: stack, start: stack.count)
        var keys = ObjectKeys(keyStack)
        defer { keys.end() }
        var resourceType: String?
        var pendingPadding = false
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") {
            throw error(.invalid, "empty object: FHIR JSON has no empty objects", at: objectStart)
        }
        while true {
            skipWhitespace()
            guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an object") }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                throw error(.structure, "expected a property name in quotes, found \(describe(bytes[pos]))")
            }
            let keyStart = pos
            let key = try readString()
            let keyRange = (keyStart + 1)..<(pos - 1)
            if !(lastStringPlain ? keys.insert(raw: keyRange, bytes) : keys.insert(decoded: key, bytes)) {
                throw error(.invalid, "duplicate property \"\(key)\"", at: keyStart)
            }
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error(.structure, "expected ':' after the property name \"\(key)\"")
            }
            pos += 1
            skipWhitespace()
            guard pos < bytes.count else { throw error(.structure, "unexpected end of input after \"\(key)\":") }

            if resourcePosition != .no && Element.same(key, "resourceType") {
                guard bytes[pos] == UInt8(ascii: "\"") else {
                    throw error(.invalid, "resourceType must be a string")
                }
                let type = try readString()
                guard isResourceTypeName(type) else {
                    throw error(.invalid, "\"\(type)\" is not a resource type name")
                }
                resourceType = type
                path.setResourceType(type)
                if resourcePosition == .allowed, siblings.count == 0, let materialise, !materialise(type) {
                    try skipRestOfResource(&keys, keeping: siblings)
                    depth -= 1
                    return Element(name: type, isResource: true, children: stack.pop(from: siblings.start))
                }
                // A screened resource whose bytes cannot matter: its skeleton (`ResourceScreen`).
                if resourcePosition == .allowed, siblings.count == 0, fastSkip, let screen, screen.types.contains(type),
                   let skeleton = screen.skeleton(bytes, from: objectStart, depth: depth - 1) {
                    try readSkeleton(skeleton, keys: &keys, into: siblings)
                    depth -= 1
                    return Element(name: type, isResource: true, children: stack.pop(from: siblings.start))
                }
            } else if key.utf8.count > 1 && key.utf8.first == UInt8(ascii: "_") {
                let baseName = String(key.dropFirst())
                path.push(keyRange)
                try readPrimitiveExtras(into: siblings, name: baseName, after: keys.contains(baseName, bytes))
                path.pop()
                pendingPadding = true
            } else {
                path.push(keyRange)
                // Most objects have no `_name` keys: only then is "_" + name looked up.
                try readProperty(into: siblings, name: key, after: pendingPadding && keys.contains("_" + key, bytes))
                path.pop()
            }

            skipWhitespace()
            guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an object") }
            if bytes[pos] == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                break
            }
            throw error(.structure, "expected ',' or '}' after the value of \"\(key)\", found \(describe(bytes[pos]))")
        }
        depth -= 1
        let children = stack.pop(from: siblings.start)
        if pendingPadding || children.contains(where: { $0.value == nil && $0.children.isEmpty && !$0.isResource }) {
            try checkNulls(children)
        }
        if let resourceType { return Element(name: resourceType, valueKind: .object, isResource: true, children: children) }
        if resourcePosition == .required {
            throw error(.invalid, "the root object has no resourceType", at: objectStart)
        }
        if slot >= 0 { objects.keep(children, slot: slot, from: objectStart, to: pos, depth: depth) }
        return Element(name: name, valueKind: .object, children: children)
    }

    /// A `null` is allowed only where the parallel `_name` array has something at that index.
    func checkNulls(_ children: [Element]) throws(FHIRFormatError) {
        for (i, child) in children.enumerated() where child.value == nil && child.children.isEmpty && !child.isResource {
            var index = 0
            for sibling in children[..<i] where sibling.name == child.name { index += 1 }
            throw FHIRFormatError(
                .invalid, "null in \"\(child.name)\" without a value or extension in \"_\(child.name)\" at the same index",
                location: { let p = path.render(bytes); return (p.isEmpty ? "" : p + ".") + child.name + (child.wasArray ? "[\(index)]" : "") }())
        }
    }

    func isResourceTypeName(_ s: String) -> Bool {
        guard let first = s.utf8.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// A property `name` (not `_name`): a primitive, an object, or an array of either.
    /// `after`: the parallel `_name` came earlier in this object.
    mutating func readProperty(into siblings: Siblings, name: String, after: Bool) throws(FHIRFormatError) {
        let byte = bytes[pos]
        if byte == UInt8(ascii: "[") {
            let arrayStart = pos
            pos += 1
            depth += 1
            if depth > JSONReader.maxDepth {
                throw error(.tooLong, "nesting deeper than \(JSONReader.maxDepth) levels")
            }
            skipWhitespace()
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
                throw error(.invalid, "empty array: FHIR JSON has no empty arrays", at: arrayStart)
            }
            // Values may already exist from an earlier `_name` array.
            let existing = after ? firstIndex(of: name, in: siblings) : nil
            var index = 0
            while true {
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                path.setIndex(index)
                var item: Element
                if bytes[pos] == UInt8(ascii: "n") {
                    try expectLiteral("null")
                    item = Element(name: name)
                } else if bytes[pos] == UInt8(ascii: "[") {
                    throw error(.invalid, "arrays of arrays are not FHIR")
                } else {
                    item = try readValue(name: name)
                }
                item.wasArray = true
                if let existing {
                    let target = existing + index
                    guard target < siblings.count, siblings[target].name == name,
                          siblings[target].wasArray, siblings[target].value == nil
                    else {
                        throw error(.invalid, "\"\(name)\" and \"_\(name)\" have different lengths")
                    }
                    if item.value == nil && !item.children.isEmpty {
                        throw error(.invalid, "\"\(name)\" mixes objects with primitive extensions")
                    }
                    siblings[target].value = item.value
                    siblings[target].valueKind = item.valueKind
                } else {
                    siblings.append(consume item)
                }
                index += 1
                // The root's entries read so far: their pages can go (not the array's start,
                // nor anything before it: the root's keys).
                if depth == 2, releaser != nil, name == "entry" { releaser!.release(after: arrayStart + 1, upTo: pos, in: bytes) }
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
                throw error(.structure, "expected ',' or ']' in the array \"\(name)\", found \(describe(bytes[pos]))")
            }
            if let existing {
                let count = countRun(of: name, from: existing, in: siblings)
                if count != index {
                    throw error(.invalid, "\"\(name)\" has \(index) items but \"_\(name)\" has \(count)")
                }
            }
            depth -= 1
            return
        }
        if byte == UInt8(ascii: "n") {
            throw error(.invalid, "null is not allowed here (FHIR JSON omits absent elements)")
        }
        var item = try readValue(name: name)
        if after, let existing = firstIndex(of: name, in: siblings) {
            // `_name` came first: fill in its value.
            guard !siblings[existing].wasArray, item.value != nil else {
                throw error(.invalid, "\"\(name)\" and \"_\(name)\" do not match (one is an array)")
            }
            siblings[existing].value = item.value
            siblings[existing].valueKind = item.valueKind
            return
        }
        item.wasArray = false
        siblings.append(consume item)
    }

    /// `_name`: the id and extensions of a primitive (an object, or an array of objects and nulls
    /// parallel to the `name` array).
    mutating func readPrimitiveExtras(into siblings: Siblings, name: String, after: Bool) throws(FHIRFormatError) {
        let existing = after ? firstIndex(of: name, in: siblings) : nil
        if bytes[pos] == UInt8(ascii: "[") {
            let arrayStart = pos
            pos += 1
            depth += 1
            if depth > JSONReader.maxDepth {
                throw error(.tooLong, "nesting deeper than \(JSONReader.maxDepth) levels")
            }
            skipWhitespace()
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") {
                throw error(.invalid, "empty array: FHIR JSON has no empty arrays", at: arrayStart)
            }
            var index = 0
            while true {
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                path.setIndex(index)
                var extras: [Element] = []
                if bytes[pos] == UInt8(ascii: "n") {
                    try expectLiteral("null")
                } else if bytes[pos] == UInt8(ascii: "{") {
                    extras = try readObject(name: name, resourcePosition: .no).children
                } else {
                    throw error(.invalid, "\"_\(name)\" items must be objects or null")
                }
                if let existing {
                    let target = existing + index
                    guard target < siblings.count, siblings[target].name == name, siblings[target].wasArray else {
                        throw error(.invalid, "\"\(name)\" and \"_\(name)\" have different lengths")
                    }
                    if siblings[target].value == nil && !siblings[target].children.isEmpty {
                        throw error(.invalid, "\"_\(name)\" given for an element that is not a primitive")
                    }
                    siblings[target].children = extras
                } else {
                    siblings.append(Element(name: name, wasArray: true, children: extras))
                }
                index += 1
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
                throw error(.structure, "expected ',' or ']' in the array \"_\(name)\", found \(describe(bytes[pos]))")
            }
            if let existing {
                let count = countRun(of: name, from: existing, in: siblings)
                if count != index {
                    throw error(.invalid, "\"\(name)\" has \(count) items but \"_\(name)\" has \(index)")
                }
            }
            depth -= 1
            return
        }
        guard bytes[pos] == UInt8(ascii: "{") else {
            throw error(.invalid, "\"_\(name)\" must be an object (the primitive's id and extensions)")
        }
        let extras = try readObject(name: name, resourcePosition: .no).children
        if let existing {
            guard !siblings[existing].wasArray, siblings[existing].value != nil else {
                throw error(.invalid, "\"_\(name)\" does not match \"\(name)\"")
            }
            siblings[existing].children = extras
        } else {
            siblings.append(Element(name: name, wasArray: false, children: extras))
        }
    }

    func firstIndex(of name: String, in siblings: Siblings) -> Int? {
        // Objects are small; the key set already refused duplicates, so a run is contiguous.
        var i = siblings.count - 1
        var found: Int?
        while i >= 0 {
            if siblings.name(at: i) == name { found = i } else if found != nil { break }
            i -= 1
        }
        return found
    }

    func countRun(of name: String, from start: Int, in siblings: Siblings) -> Int {
        var i = start
        while i < siblings.count && siblings.name(at: i) == name { i += 1 }
        return i - start
    }

    /// One value: string, number, boolean or object.
    mutating func readValue(name: String) throws(FHIRFormatError) -> Element {
        let byte = bytes[pos]
        switch byte {
        case UInt8(ascii: "\""):
            let start = pos
            let text = try readString()
            if text.isEmpty {
                throw error(.invalid, "empty string: FHIR primitives are never empty", at: start)
            }
            return Element(name: name, value: text, valueKind: .string)
        case UInt8(ascii: "{"):
            let position: ResourcePosition = TypeTable.isResourceContainer(name) ? .allowed : .no
            let object = try readObject(name: name, resourcePosition: position)
            if !object.isResource { return object }
            return Element(name: name, children: [consume object])
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return Element(name: name, value: "true", valueKind: .boolean)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return Element(name: name, value: "false", valueKind: .boolean)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return Element(name: name, value: try readNumber(), valueKind: .number)
        default:
            throw error(.structure, "unexpected \(describe(byte)) where a value was expected")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(FHIRFormatError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard pos + count <= bytes.count else { throw error(.structure, "unexpected end of input") }
        for i in 0..<count where bytes[pos + i] != start[i] {
            throw error(.structure, "invalid literal (expected \(literal))")
        }
        pos += count
    }

    // MARK: skipping

    /// After `resourceType`, the rest of a resource not built: its members checked but not built,
    /// except `contained`, whose resources are read as any nested resource is (built if
    /// `materialise` accepts their type), and with them `id` and `meta`, by which a resend or a
    /// newer version of the resource is known (its contained resources go with it).
    /// A resource the caller reads may be held in one it does not (found by a new user's trial: a
    /// loss contained in an Encounter was not counted; helper-32's review: and a resent Encounter
    /// counted it twice). Without `contained` nothing is kept: the resource is its type alone.
    mutating func skipRestOfResource(_ keys: inout ObjectKeys, keeping siblings: Siblings) throws(FHIRFormatError) {
        // Where the members it keeps are, read (in their order) only if the resource turns out to
        // hold resources (most do not).
        let later = try skipRestOfObject(&keys, keeping: true)
        guard later.contains(where: { $0.name == "contained" || $0.name == "_contained" }) else { return }
        let end = pos
        for (key, name) in later {
            // Checked already: its key, then its value, read.
            pos = key
            _ = try skipString()
            let raw = (key + 1)..<(pos - 1)
            skipWhitespace()
            pos += 1  // :
            skipWhitespace()
            try readKept(name, key: raw, into: siblings, keys: keys)
        }
        pos = end
        let kept = stack.pop(from: siblings.start)
        if kept.contains(where: { $0.value == nil && $0.children.isEmpty && !$0.isResource }) { try checkNulls(kept) }
        for child in kept { siblings.append(child) }
    }

    /// After `resourceType`, the rest of a screened resource that cannot matter (`ResourceScreen`),
    /// checked whole by the C pass that screened it: its `id` and `meta` read where that pass
    /// found them (by which a reference reaches it and a version is known).
    mutating func readSkeleton(_ skeleton: (end: Int, kept: [Int]), keys: inout ObjectKeys, into siblings: Siblings) throws(FHIRFormatError) {
        for key in skeleton.kept {
            pos = key
            _ = try skipString()
            let raw = (key + 1)..<(pos - 1)
            let name = raw.count == 2 ? "id" : "meta"
            skipWhitespace()
            pos += 1  // :
            skipWhitespace()
            try readKept(name, key: raw, into: siblings, keys: keys)
        }
        pos = skeleton.end
        if skeleton.kept.isEmpty { return }
        let kept = stack.pop(from: siblings.start)
        if kept.contains(where: { $0.value == nil && $0.children.isEmpty && !$0.isResource }) { try checkNulls(kept) }
        for child in kept { siblings.append(child) }
    }

    /// A member a skipped resource keeps, read into its siblings.
    mutating func readKept(_ name: String, key raw: Range<Int>, into siblings: Siblings, keys: ObjectKeys) throws(FHIRFormatError) {
        path.push(raw)
        if name.utf8.first == UInt8(ascii: "_") {
            let base = String(name.dropFirst())
            try readPrimitiveExtras(into: siblings, name: base, after: keys.contains(base, bytes))
        } else {
            try readProperty(into: siblings, name: name, after: keys.contains("_" + name, bytes))
        }
        path.pop()
    }

    /// After a member of an object: the remaining members, checked but not built. `keeping`: says
    /// where the members a skipped resource keeps (`keptBySkippedResources`) are, by their keys'
    /// opening quotes (`skipRestOfResource`).
    @discardableResult
    mutating func skipRestOfObject(_ keys: inout ObjectKeys, keeping: Bool = false) throws(FHIRFormatError) -> [(key: Int, name: String)] {
        var kept: [(key: Int, name: String)] = []
        while true {
            skipWhitespace()
            guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an object") }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return kept }
            guard bytes[pos] == UInt8(ascii: ",") else { throw error(.structure, "expected ',' or '}', found \(describe(bytes[pos]))") }
            pos += 1
            if let member = try skipMember(&keys, keeping: keeping) { kept.append(member) }
        }
    }

    /// `"key": value`, checked but not built: the key is compared as input bytes, not made.
    /// `keeping`: where the member's key starts and its name, if a skipped resource keeps it
    /// (`skipRestOfResource`).
    @discardableResult
    mutating func skipMember(_ keys: inout ObjectKeys, keeping: Bool = false) throws(FHIRFormatError) -> (key: Int, name: String)? {
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
            throw error(.structure, "expected a property name in quotes")
        }
        let keyStart = pos
        _ = try skipString()
        let raw = (keyStart + 1)..<(pos - 1)
        let fresh: Bool
        // The name of a member a skipped resource keeps.
        var kept: String?
        if !lastStringPlain {
            var decoder = JSONScanner(bytes)
            decoder.pos = keyStart
            let decoded = try decoder.readString()
            if keeping {
                var text = decoded
                kept = text.withUTF8 { u in u.baseAddress.flatMap { Self.keptBySkippedResources($0, u.count) } }
            }
            fresh = keys.insert(decoded: decoded, bytes)
        } else {
            if keeping { kept = Self.keptBySkippedResources(bytes.baseAddress! + raw.lowerBound, raw.count) }
            fresh = keys.insert(raw: raw, bytes)
        }
        func key() -> String {
            var decoder = JSONScanner(bytes)
            decoder.pos = keyStart
            return (try? decoder.readString()) ?? ""
        }
        if !fresh { throw error(.invalid, "duplicate property \"\(key())\"", at: keyStart) }
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error(.structure, "expected ':' after the property name \"\(key())\"") }
        pos += 1
        skipWhitespace()
        guard pos < bytes.count else { throw error(.structure, "unexpected end of input") }
        if bytes[pos] == UInt8(ascii: "n") { throw error(.invalid, "null is not allowed here (FHIR JSON omits absent elements)") }
        try skipValue()
        return kept.map { (keyStart, $0) }
    }

    /// The name of a key, if a resource not built keeps it when it holds resources
    /// (`skipRestOfResource`): by its bytes, as every key of every skipped resource is asked (issue
    /// 20: made as a string and looked up in a set, a twentieth of a Synthea run). Not its business
    /// identifiers: Synthea gives every claim one shared group identifier, and copies by identifier
    /// are compared whole (the merged Synthea bundles took half as long again). XML's list:
    /// `XMLReader.keptBySkippedResources`.
    @inline(__always) static func keptBySkippedResources(_ key: UnsafePointer<UInt8>, _ n: Int) -> String? {
        func equals(_ name: StaticString) -> Bool { memcmp(key, name.utf8Start, n) == 0 }
        switch n {
        case 2: return equals("id") ? "id" : nil
        case 3: return equals("_id") ? "_id" : nil
        case 4: return equals("meta") ? "meta" : nil
        case 9: return equals("contained") ? "contained" : nil
        case 10: return equals("_contained") ? "_contained" : nil
        default: return nil
        }
    }

    /// Any value, checked but not built (`null` only inside arrays: the `_element` padding).
    /// First by the C pass (`rpl_json_skip_value`, sixteen bytes at a time); where it cannot vouch
    /// for the value, by `skipValueHere`, which says what is wrong and where.
    mutating func skipValue() throws(FHIRFormatError) {
        guard fastSkip else { return try skipValueHere() }
        let end = rpl_json_skip_value(bytes.baseAddress, bytes.count, pos, Int32(depth), Int32(JSONReader.maxDepth))
        if end >= 0 {
            pos = end
            return
        }
        // The value again, all of it in Swift (a value the C pass refused is not passed to it
        // again, piece by piece: that could scan a deep one once per level).
        fastSkip = false
        defer { fastSkip = true }
        try skipValueHere()
    }

    /// `skipValue` in Swift.
    mutating func skipValueHere() throws(FHIRFormatError) {
        switch bytes[pos] {
        case UInt8(ascii: "\""):
            let start = pos
            if try skipString() == 0 { throw error(.invalid, "empty string: FHIR primitives are never empty", at: start) }
        case UInt8(ascii: "{"):
            let start = pos
            // An object whose text passed before passes again (`RecurringObjects`).
            let slot = sharing ? skipped.slot(at: pos, in: bytes) : -1
            if slot >= 0, let (_, count) = skipped.value(slot: slot, at: pos, depth: depth, in: bytes, keptFrom: releaser?.to ?? 0) {
                pos += count
                return
            }
            pos += 1
            depth += 1
            if depth > JSONReader.maxDepth { throw error(.tooLong, "nesting deeper than \(JSONReader.maxDepth) levels") }
            skipWhitespace()
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") { throw error(.invalid, "empty object: FHIR JSON has no empty objects", at: start) }
            var keys = ObjectKeys(keyStack)
            defer { keys.end() }
            try skipMember(&keys)
            try skipRestOfObject(&keys)
            depth -= 1
            if slot >= 0 { skipped.keep((), slot: slot, from: start, to: pos, depth: depth) }
        case UInt8(ascii: "["):
            let start = pos
            pos += 1
            depth += 1
            if depth > JSONReader.maxDepth { throw error(.tooLong, "nesting deeper than \(JSONReader.maxDepth) levels") }
            skipWhitespace()
            if pos < bytes.count && bytes[pos] == UInt8(ascii: "]") { throw error(.invalid, "empty array: FHIR JSON has no empty arrays", at: start) }
            while true {
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                if bytes[pos] == UInt8(ascii: "n") {
                    try expectLiteral("null")
                } else if bytes[pos] == UInt8(ascii: "[") {
                    throw error(.invalid, "arrays of arrays are not FHIR")
                } else {
                    try skipValue()
                }
                skipWhitespace()
                guard pos < bytes.count else { throw error(.structure, "unexpected end of input inside an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
                throw error(.structure, "expected ',' or ']' in an array, found \(describe(bytes[pos]))")
            }
            depth -= 1
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
        default:
            throw error(.structure, "unexpected \(describe(bytes[pos])) where a value was expected")
        }
    }

    /// A string (at `"`), validated like `readString` but not made; returns its length in bytes.
    mutating func skipString() throws(FHIRFormatError) -> Int {
        pos += 1
        let start = pos
        var ascii = true
        skipPlainASCII()
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                if !ascii { try validateUTF8(UnsafeBufferPointer(rebasing: bytes[start..<pos]), offset: start) }
                pos += 1
                lastStringPlain = ascii
                return pos - 1 - start
            }
            if b == UInt8(ascii: "\\") {
                pos = start - 1
                return try readString().utf8.count
            }
            if b < 0x20 { throw error(.structure, "control character \(describe(b)) in a string (must be escaped)") }
            if b >= 0x80 { ascii = false }
            pos += 1
        }
        throw error(.structure, "unterminated string", at: start - 1)
    }

    // MARK: numbers

    /// A JSON number, kept as its exact text.
    mutating func readNumber() throws(FHIRFormatError) -> String {
        let range = try scanNumber()
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The bytes of a JSON number (RFC 8259 grammar).
    mutating func scanNumber() throws(FHIRFormatError) -> Range<Int> {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw error(.structure, "invalid number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count && isDigit(bytes[pos]) {
                throw error(.structure, "invalid number: leading zero", at: start)
            }
        } else {
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count && bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error(.structure, "invalid number: no digits after '.'") }
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count && (bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < bytes.count && (bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error(.structure, "invalid number: no digits in the exponent") }
            while pos < bytes.count && isDigit(bytes[pos]) { pos += 1 }
        }
        return start..<pos
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    // MARK: strings

    @inline(__always) func word(at offset: Int) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self)
    }

    /// Inside a string, eight bytes at a time past those that need no look: printable ASCII other
    /// than a quote or a backslash (SWAR: each test says whether any of the eight bytes matches,
    /// exactly). It stops on the first byte that needs a look (the lowest flag is exact: a borrow
    /// only reaches later bytes), where the byte-by-byte loop after it does the rest, and all the
    /// checking.
    @inline(__always) mutating func skipPlainASCII() {
        pos = rpl_json_plain_run(bytes.baseAddress, bytes.count, pos)
    }

    /// A string (at `"`), unescaped and validated as UTF-8.
    mutating func readString() throws(FHIRFormatError) -> String {
        pos += 1
        let start = pos
        var ascii = true
        skipPlainASCII()
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
                if !ascii { try validateUTF8(slice, offset: start) }
                pos += 1
                lastStringPlain = ascii
                return slice.count > StringCache.smallStringBytes ? strings.string(slice) : String(decoding: slice, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
            if b < 0x20 { throw error(.structure, "control character \(describe(b)) in a string (must be escaped)") }
            if b >= 0x80 { ascii = false }
            pos += 1
        }
        throw error(.structure, "unterminated string", at: start - 1)
    }

    mutating func readEscapedString(from start: Int) throws(FHIRFormatError) -> String {
        lastStringPlain = false
        var out: [UInt8] = []
        out.reserveCapacity(pos - start + 16)
        var runStart = start
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<pos])
                try validateUTF8(run, offset: runStart)
                out.append(contentsOf: run)
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 { throw error(.structure, "control character \(describe(b)) in a string (must be escaped)") }
            if b != UInt8(ascii: "\\") { pos += 1; continue }
            let run = UnsafeBufferPointer(rebasing: bytes[runStart..<pos])
            try validateUTF8(run, offset: runStart)
            out.append(contentsOf: run)
            pos += 1
            guard pos < bytes.count else { break }
            let escape = bytes[pos]
            pos += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"), UInt8(ascii: "f"):
                throw error(.invalid, Self.controlCharacter(escape == UInt8(ascii: "b") ? 0x08 : 0x0C), at: pos - 2)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw error(.structure, "lone surrogate escape \\u\(String(scalar, radix: 16, uppercase: true))")
                    }
                    pos += 2
                    let low = try readHex4()
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw error(.structure, "high surrogate not followed by a low surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw error(.structure, "lone surrogate escape \\u\(String(scalar, radix: 16, uppercase: true))")
                } else if scalar < 0x20 && scalar != 0x09 && scalar != 0x0A && scalar != 0x0D {
                    throw error(.invalid, Self.controlCharacter(scalar), at: pos - 6)
                }
                appendUTF8(scalar, to: &out)
            default:
                throw error(.structure, "invalid escape \\\(Character(Unicode.Scalar(escape)))", at: pos - 2)
            }
            runStart = pos
        }
        throw error(.structure, "unterminated string", at: start - 1)
    }

    /// A control character other than tab, line feed and carriage return, escaped: R4 strings
    /// should not hold one, XML cannot (found by a new user's trial: a `\u0000` in a name was
    /// read, written raw into HL7 v2, and refused only when the output was XML).
    static func controlCharacter(_ scalar: UInt32) -> String {
        let hex = String(scalar, radix: 16, uppercase: true)
        return "control character U+" + String(repeating: "0", count: 4 - hex.count) + hex + " in a string: FHIR strings hold none but tab, line feed and carriage return (XML cannot carry them)"
    }

    mutating func readHex4() throws(FHIRFormatError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error(.structure, "truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw error(.structure, "invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    func validateUTF8(_ s: UnsafeBufferPointer<UInt8>, offset: Int) throws(FHIRFormatError) {
        var i = 0
        let n = s.count
        while i < n {
            let b0 = s[i]
            if b0 < 0x80 { i += 1; continue }
            var need = 0
            var min: UInt32 = 0
            var scalar: UInt32 = 0
            if b0 & 0xE0 == 0xC0 { need = 1; min = 0x80; scalar = UInt32(b0 & 0x1F) }
            else if b0 & 0xF0 == 0xE0 { need = 2; min = 0x800; scalar = UInt32(b0 & 0x0F) }
            else if b0 & 0xF8 == 0xF0 { need = 3; min = 0x10000; scalar = UInt32(b0 & 0x07) }
            else { throw error(.structure, "invalid UTF-8", at: offset + i) }
            guard i + need < n else { throw error(.structure, "invalid UTF-8 (truncated sequence)", at: offset + i) }
            for k in 1...need {
                let b = s[i + k]
                guard b & 0xC0 == 0x80 else { throw error(.structure, "invalid UTF-8", at: offset + i) }
                scalar = scalar << 6 | UInt32(b & 0x3F)
            }
            if scalar < min || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) {
                throw error(.structure, "invalid UTF-8", at: offset + i)
            }
            i += need + 1
        }
    }
}

/// The JSON reader's location: key byte ranges, an index for array items, resource types (as
/// read: a type may be written with escapes, so not as a range of the input; found by helper-22's
/// review).
struct ByteRangePath {
    private struct Step {
        var key: Range<Int>
        var index = -1
        var resourceType: String?
    }

    private var steps: [Step] = []
    /// The root resource's type once read (usually first): a location then starts with it, as the
    /// type check's always do (`Bundle.entry[3]…`; found by helper-21's trial: syntax errors
    /// started at `entry[3]`).
    private var rootType: String?

    mutating func push(_ key: Range<Int>) { steps.append(Step(key: key)) }
    mutating func pop() { steps.removeLast() }
    /// The next item of an array: the type of the one before is not its type (helper-22's review).
    mutating func setIndex(_ i: Int) {
        if !steps.isEmpty {
            steps[steps.count - 1].index = i
            steps[steps.count - 1].resourceType = nil
        }
    }
    mutating func setResourceType(_ type: String) {
        if steps.isEmpty { rootType = type } else { steps[steps.count - 1].resourceType = type }
    }

    func render(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }
        var out = rootType ?? ""
        for (i, step) in steps.enumerated() {
            if i > 0 || rootType != nil { out += "." }
            out += text(step.key)
            if step.index >= 0 { out += "[\(step.index)]" }
            if let t = step.resourceType { out += ".ofType(\(t))" }
        }
        return out
    }
}

/// Property names seen in one object (issue 20: compared as input bytes, no String made for a
/// skipped resource's keys): ASCII keys without escapes as byte ranges of the input, compared
/// byte for byte; any other key by its decoded text, so `"a\u0062"` and `"ab"` are still the
/// same key.
/// Beyond 24 keys, a hash set of the texts (a hostile object of many keys stays linear).
struct ObjectKeys {
    /// The plain keys, on the scanner's stack from `start` up (one buffer for every object, not
    /// an array grown for each).
    private let stack: KeyStack
    private let start: Int
    private var raw: [Range<Int>] { (start..<stack.count).map { stack[$0] } }
    private var decoded: [String] = []
    private var large: Set<String>?

    init(_ stack: KeyStack) {
        self.stack = stack
        start = stack.count
    }

    /// The object is read: its keys leave the stack.
    func end() {
        stack.truncate(to: start)
    }

    /// An ASCII key without escapes, as its input bytes: compared byte for byte with the other
    /// such keys (for ASCII, the same bytes is the same string), as a string with the rest.
    mutating func insert(raw key: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if large != nil { return large!.insert(Self.text(key, bytes)).inserted }
        if holdsPlain(bytes.baseAddress! + key.lowerBound, count: key.count, bytes) { return false }
        if !decoded.isEmpty {
            let text = Self.text(key, bytes)
            if decoded.contains(text) { return false }
        }
        stack.push(key)
        spillIfLarge(bytes)
        return true
    }

    /// Any other key (escaped, or not ASCII), by its text: compared as strings, so canonically
    /// equivalent keys (`é` composed and decomposed, the Kelvin sign and `K`) are one key, as
    /// Swift's strings make them everywhere else.
    mutating func insert(decoded key: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if large != nil { return large!.insert(key).inserted }
        if decoded.contains(key) || raw.contains(where: { Self.text($0, bytes) == key }) { return false }
        decoded.append(key)
        spillIfLarge(bytes)
        return true
    }

    func contains(_ key: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let large { return large.contains(key) }
        if decoded.contains(key) { return true }
        if key.utf8.allSatisfy({ $0 < 0x80 }) {
            var key = key
            return key.withUTF8 { holdsPlain($0.baseAddress ?? bytes.baseAddress!, count: $0.count, bytes) }
        }
        return raw.contains { Self.text($0, bytes) == key }
    }

    /// Whether a plain key of these bytes is on this object's part of the stack (compared in place).
    private func holdsPlain(_ key: UnsafePointer<UInt8>, count n: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var j = start
        let count = stack.count, starts = stack.starts, ends = stack.ends, base = bytes.baseAddress!
        while j < count {
            let from = starts[j]
            // Length, then first byte, before the call: most keys of an object differ in one.
            if ends[j] - from == n && (n == 0 || base[from] == key[0]) && memcmp(key, base + from, n) == 0 { return true }
            j += 1
        }
        return false
    }

    @inline(__always) private mutating func spillIfLarge(_ bytes: UnsafeBufferPointer<UInt8>) {
        if stack.count - start + decoded.count > 24 { spill(bytes) }
    }

    private mutating func spill(_ bytes: UnsafeBufferPointer<UInt8>) {
        large = Set(decoded + raw.map { Self.text($0, bytes) })
        end()
        decoded = []
    }

    private static func text(_ r: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }
}

/// The plain keys of every object being read, innermost last (`ObjectKeys`): input byte ranges
/// in one growing buffer.
final class KeyStack {
    @exclusivity(unchecked) private(set) var starts: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private(set) var ends: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private var capacity = 64
    @exclusivity(unchecked) private(set) var count = 0

    init() {
        starts = .allocate(capacity: capacity)
        ends = .allocate(capacity: capacity)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
    }

    @inline(__always) func push(_ key: Range<Int>) {
        if count == capacity { grow() }
        starts[count] = key.lowerBound
        ends[count] = key.upperBound
        count += 1
    }

    private func grow() {
        let s = UnsafeMutablePointer<Int>.allocate(capacity: capacity * 2), e = UnsafeMutablePointer<Int>.allocate(capacity: capacity * 2)
        s.update(from: starts, count: count)
        e.update(from: ends, count: count)
        starts.deallocate()
        ends.deallocate()
        starts = s
        ends = e
        capacity *= 2
    }

    func truncate(to n: Int) { count = min(count, n) }

    subscript(i: Int) -> Range<Int> { starts[i]..<ends[i] }
}

/// The children of every object being read, innermost last, in one growing buffer (issue 20):
/// an object's children are pushed as they are read and moved out, when it ends, into an array
/// of exactly their number. One allocation per object instead of one per doubling, and no spare
/// capacity left in the tree.
final class ElementStack {
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<Element>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0

    init() {
        capacity = 64
        base = .allocate(capacity: capacity)
    }

    deinit {
        // What an error left behind.
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Takes the node over (`consuming`: moved onto the stack, not copied and released).
    func push(_ element: consuming Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    subscript(i: Int) -> Element {
        get { base[i] }
        set { base[i] = newValue }
    }

    func name(at i: Int) -> String { base[i].name }

    /// The elements from `start` up, moved out.
    func pop(from start: Int) -> [Element] {
        let n = count - start
        guard n > 0 else { return [] }
        // Reserved, then appended by moving: `Array(unsafeUninitializedCapacity:)` allocates
        // through a generic path that looks up the array's type at run time on every call
        // (issue 20: 370 instructions an array, 2% of a Synthea run); this path is specialised.
        var out: [Element] = []
        out.reserveCapacity(n)
        for i in start..<count { out.append((base + i).move()) }
        count = start
        return out
    }
}

/// One object's children on the stack, indexed from 0.
struct Siblings {
    let stack: ElementStack
    let start: Int

    var count: Int { stack.count - start }

    subscript(i: Int) -> Element {
        get { stack[start + i] }
        nonmutating set { stack[start + i] = newValue }
    }

    func name(at i: Int) -> String { stack.name(at: start + i) }

    func append(_ element: consuming Element) { stack.push(element) }
}

/// Slots for a direct-mapped cache of one document: one per `bytesPerSlot` of input, a power of
/// two between `least` and `most`.
func cacheSlots(inputSize: Int, bytesPerSlot: Int, least: Int, most: Int) -> Int {
    var size = least
    while size < most && size * bytesPerSlot < inputSize { size *= 2 }
    return size
}

/// Strings too long to be stored inline (more than 15 bytes: they are allocated) made once per
/// document where they recur: a Bundle repeats its references, code systems, units and dates
/// thousands of times, and each copy was an allocation of its own (issue 20: a 34 MB Synthea
/// Bundle holds 375,000 such strings, 37,000 of them different). Direct-mapped by a hash of the
/// bytes, so a lookup is one slot and one comparison; a string that lands on a taken slot replaces
/// it. The result is the same string either way: only sharing changes.
final class StringCache {
    /// Swift stores a string of up to 15 UTF-8 bytes inline, without an allocation.
    static let smallStringBytes = 15
    /// Made at the first long string (a scanner that decodes one key needs none).
    @exclusivity(unchecked) private var slots: [String] = []
    private let mask: Int

    /// A slot per 256 bytes of input, between 256 and 65,536.
    init(inputSize: Int) {
        mask = cacheSlots(inputSize: inputSize, bytesPerSlot: 256, least: 256, most: 65_536) - 1
    }

    @inline(__always) func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if slots.isEmpty { slots = Array(repeating: "", count: mask + 1) }
        let base = UnsafeRawPointer(bytes.baseAddress!)
        let count = bytes.count
        let slot = Int(truncatingIfNeeded: bytesHash(base, count)) & mask
        let same = slots[slot].utf8.withContiguousStorageIfAvailable { held in
            held.count == count && memcmp(held.baseAddress!, base, count) == 0
        } ?? false
        if same { return slots[slot] }
        let made = String(decoding: bytes, as: UTF8.self)
        slots[slot] = made
        return made
    }
}

/// Objects whose text recurs in a document, read once (issue 20). An object's text decides how
/// it reads: from the same first byte, the same bytes are read the same way and end at the same
/// place, at this depth or a shallower one (the nesting limit). So where the input from here
/// holds, byte for byte, the text of an object read without error at this depth or deeper, what
/// that reading made is made again and the text is passed over: nothing in it can be an error the
/// first reading did not find.
/// - Built objects (`JSONScanner.objects`, memory): a Synthea history repeats each observation's
///   `code`, `category`, `subject`, `meta` and units thousands of times (two thirds of the complex
///   nodes of the resources `apply` reads in 13 Synthea Bundles repeat an earlier one). The value
///   kept is the children (an array shared, copied only if changed), for objects where no resource
///   may sit; their name names only the node (their keys decide where resources do).
/// - Skipped objects (`JSONScanner.skipped`, speed): the claims and encounters `apply` does not
///   read repeat their codings, references and periods (seven tenths of their bytes, in 13
///   Synthea Bundles, lie in an object whose text came before). Nothing is kept but the text.
///
/// Direct-mapped by a hash of the object's first bytes (up to its first `}`, which lies inside
/// the object, and at most 64 bytes), so a lookup is one slot, one length check and one
/// comparison; a later object replaces the one in its slot. Only texts of at most `longestKept`
/// bytes are kept: recurring codings and references are short, and a long near-copy would be
/// compared to its end at every level of its nesting (helper-22's review). Only sharing changes.
final class RecurringObjects<Value> {
    private struct Entry {
        var start = 0, count = 0, depth = -1
        var value: Value?
    }

    static var prefixBytes: Int { 64 }
    static var longestKept: Int { 4096 }
    /// Made at the first object kept (most scanners read a handful of objects).
    @exclusivity(unchecked) private var slots: [Entry] = []
    private let mask: Int

    /// A slot per kilobyte of input, between 64 and 16,384 (the texts that recur are few; four
    /// times as many for skipped objects saved 0.5% of the instructions on Synthea).
    init(inputSize: Int) {
        mask = cacheSlots(inputSize: inputSize, bytesPerSlot: 1024, least: 64, most: 16_384) - 1
    }

    /// The slot of an object starting (at its `{`) at `pos`.
    @inline(__always) func slot(at pos: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let base = UnsafeRawPointer(bytes.baseAddress!) + pos
        var n = min(Self.prefixBytes, bytes.count - pos)
        if let brace = memchr(base + 1, 0x7D, n - 1) { n = base.distance(to: UnsafeRawPointer(brace)) + 1 }
        return Int(truncatingIfNeeded: bytesHash(base, n)) & mask
    }

    /// What was made of the object whose text starts at `pos`, and its length, if read before.
    /// `keptFrom`: texts before it were given back (`InputReleaser`) and are gone.
    @inline(__always) func value(slot: Int, at pos: Int, depth: Int, in bytes: UnsafeBufferPointer<UInt8>, keptFrom: Int) -> (Value, count: Int)? {
        if slots.isEmpty { return nil }
        let entry = slots[slot]
        guard entry.depth >= depth, entry.start >= keptFrom, entry.count <= bytes.count - pos, let value = entry.value else { return nil }
        let base = bytes.baseAddress!
        guard memcmp(base + entry.start, base + pos, entry.count) == 0 else { return nil }
        return (value, entry.count)
    }

    /// Keeps an object read without error (its text `start..<end`, read at `depth`).
    @inline(__always) func keep(_ value: Value, slot: Int, from start: Int, to end: Int, depth: Int) {
        guard end - start <= Self.longestKept else { return }
        if slots.isEmpty { slots = Array(repeating: Entry(), count: mask + 1) }
        slots[slot] = Entry(start: start, count: end - start, depth: depth, value: value)
    }
}

/// A hash of `n` bytes for the direct-mapped caches (`StringCache`, `RecurringObjects`): eight
/// bytes at a time, the rest by byte.
@inline(__always) func bytesHash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
    var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
    var i = 0
    while i + 8 <= n {
        h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 29
        i += 8
    }
    while i < n {
        h = (h ^ UInt64(p.load(fromByteOffset: i, as: UInt8.self))) &* 0x100_0000_01B3
        i += 1
    }
    return h ^ (h >> 32)
}

/// Gives the pages of a Bundle's entries back to the system while the rest is read
/// (`JSONReader.read(discarding:…)`; issue 20: the input was a third of a large Bundle's peak).
/// Whole pages inside the buffer only, from the start of the `entry` array up to the end of the
/// last entry read, every `every` bytes. The lines of what it gives back are counted first, so
/// an error's line and column stay exact.
struct InputReleaser {
    let every: Int
    /// The bytes given back: `from..<to` (page-aligned in memory).
    private(set) var from = 0
    private(set) var to = 0
    /// Line breaks in them; UTF-8 lead bytes after the last one (or all, if none).
    private var lineBreaks = 0
    private var leadsAfterLastBreak = 0
    private var hasLineBreak = false

    init(every: Int) { self.every = max(every, 1) }

    mutating func release(after floor: Int, upTo end: Int, in bytes: UnsafeBufferPointer<UInt8>) {
        let start = to > from ? to : floor
        guard end - start >= every, let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let address = Int(bitPattern: base)
        // The first whole page at or after `start`, the last page boundary at or before `end`.
        let first = ((address + start + page - 1) / page) * page - address
        let last = ((address + end) / page) * page - address
        guard last > first else { return }
        if to == from { from = first; to = first }
        count(UnsafeRawPointer(base + to), last - to)
        // Should the system refuse, the pages stay and nothing is lost: the counts are made.
        _ = madvise(UnsafeMutableRawPointer(mutating: base + to), last - to, MADV_DONTNEED)
        to = last
    }

    /// Counts the line breaks of `n` bytes going, and the UTF-8 lead bytes after the last one
    /// (only those: where the last line starts is all a column needs). Eight bytes at a time,
    /// summed in byte lanes (no popcount: x86-64's baseline has none; 88M instructions for a
    /// 34 MB Bundle on one line), the lead bytes only where a byte is not ASCII.
    private mutating func count(_ p: UnsafeRawPointer, _ n: Int) {
        let sevens: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var breaks = 0
        var lanes: UInt64 = 0, high: UInt64 = 0
        var i = 0, words = 0
        while i + 8 <= n {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            high |= w
            // 0x80 in each byte that is a line break (exact: no carry between bytes), as 1.
            let x = w ^ 0x0A0A_0A0A_0A0A_0A0A
            lanes &+= (~(((x & sevens) &+ sevens) | x | sevens)) >> 7
            i += 8
            words += 1
            if words == 255 { breaks += Self.sum(lanes); lanes = 0; words = 0 }
        }
        breaks += Self.sum(lanes)
        while i < n {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            high |= UInt64(b) << 56
            if b == 0x0A { breaks += 1 }
            i += 1
        }
        lineBreaks += breaks
        // The last line's start: after the last break, else before these bytes.
        var from = 0
        if breaks > 0 {
            var j = n - 1
            while p.load(fromByteOffset: j, as: UInt8.self) != 0x0A { j -= 1 }
            from = j + 1
            hasLineBreak = true
            leadsAfterLastBreak = 0
        }
        leadsAfterLastBreak += high & 0x8080_8080_8080_8080 == 0 ? n - from : Self.leads(p + from, n - from)
    }

    /// The sum of a word's eight byte lanes.
    @inline(__always) private static func sum(_ lanes: UInt64) -> Int {
        let pairs = (lanes & 0x00FF_00FF_00FF_00FF) &+ ((lanes >> 8) & 0x00FF_00FF_00FF_00FF)
        return Int((pairs &* 0x0001_0001_0001_0001) >> 48)
    }

    /// UTF-8 lead bytes (all but 10xxxxxx) among `n` bytes.
    private static func leads(_ p: UnsafeRawPointer, _ n: Int) -> Int {
        let highs: UInt64 = 0x8080_8080_8080_8080
        var continuations = 0
        var lanes: UInt64 = 0
        var i = 0, words = 0
        while i + 8 <= n {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            lanes &+= (w & ~(w << 1) & highs) >> 7
            i += 8
            words += 1
            if words == 255 { continuations += sum(lanes); lanes = 0; words = 0 }
        }
        continuations += sum(lanes)
        while i < n {
            if p.load(fromByteOffset: i, as: UInt8.self) & 0xC0 == 0x80 { continuations += 1 }
            i += 1
        }
        return n - continuations
    }

    /// Line and column (as `JSONScanner.lineAndColumn`) of an offset at or after `to` (the reader
    /// never looks back into what went; an offset in `from..<to` would be told `to`'s place).
    func lineAndColumn(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        assert(offset >= to, "a location in bytes given back")
        // Before `from`: kept.
        var line = 1
        var lineStart = 0
        for i in 0..<from where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        var leadsBefore = 0
        for i in lineStart..<from where bytes[i] & 0xC0 != 0x80 { leadsBefore += 1 }
        line += lineBreaks
        var column = hasLineBreak ? leadsAfterLastBreak : leadsBefore + leadsAfterLastBreak
        // After `to`: kept.
        var i = max(to, from)
        while i < offset {
            if bytes[i] == 0x0A {
                line += 1
                column = 0
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column + 1)
    }
}
