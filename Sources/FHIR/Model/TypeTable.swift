import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The R4 definitions the writers need: for every type, its elements in definition order, each
/// element's type and whether it repeats. Generated from HL7's JSON schema and XSDs
/// (TypeTable.generated.swift, scripts/generate-type-table.py).
///
/// Names are found through open-addressed tables with a cheap hash (FNV-1a) rather than
/// dictionaries: the JSON type check looks up every element it meets and every run starts by
/// indexing 679 types, and the standard hash (SipHash) made that a tenth of a run (issue 20).
///
/// Sendable by hand: every property is a constant, and `parsed` points at atomic slots.
public final class TypeTable: @unchecked Sendable {
    public enum PrimitiveKind: Sendable {
        case string, number, boolean, xhtml
    }

    /// An element of a type: what the type check asks of it (`ElementFacts`) and its type's name.
    @dynamicMemberLookup
    public struct ElementInfo: Sendable {
        public let facts: ElementFacts
        public let typeName: String
        public subscript<T>(dynamicMember path: KeyPath<ElementFacts, T>) -> T { facts[keyPath: path] }
    }

    /// What the type check asks of an element, every field a plain value, so that it is copied as
    /// bytes (issue 20: with its type's name, a String, beside them, the whole was copied and
    /// destroyed through the runtime's generic value witnesses at every element the type check
    /// met, a sixth of the check). `slot` finds the type's name (`TypeInfo.typeName(at:)`) for a
    /// message.
    public struct ElementFacts: Sendable {
        /// Place among the type's elements (`TypeInfo.typeName(at:)`).
        public let slot: Int
        /// Position in the type's definition (writers order elements by it).
        public let index: Int
        public let repeats: Bool
        /// The JSON kind when the type is a primitive (looked up once, when the type is parsed).
        public let primitiveKind: PrimitiveKind?
        /// The complex type's number in the table (`type(number:)`), -1 for a primitive: a pass
        /// over a tree finds the next type without a lookup by name.
        public let typeNumber: Int
        /// Which choice element of its type this is one of the types of (0 ..< 64: `deceased[x]`
        /// for deceasedBoolean and deceasedDateTime), -1 for none: at most one of a group may be
        /// present.
        public var choiceGroup: Int = -1
        /// For `date`, `dateTime` and `instant`: the grammar the value must follow.
        public var temporal: Temporal? = nil
        /// Known once, when the type is parsed, rather than by comparing the type's name at every
        /// element the type check meets (issue 20): the type is ResourceList (`contained`,
        /// `resource`, `outcome`: the element holds a resource; a name the table does not define);
        /// integer, positiveInt or unsignedInt.
        public var holdsResource = false
        public var isWholeNumber = false
    }

    /// The R4 date and time types whose text has a grammar of its own (the JSON schema's regex).
    public enum Temporal: Sendable {
        case date, dateTime, instant

        init?(typeName: String) {
            switch typeName {
            case "date": self = .date
            case "dateTime": self = .dateTime
            case "instant": self = .instant
            default: return nil
            }
        }
    }

    public final class TypeInfo: Sendable {
        public let name: String
        public let isResource: Bool
        /// The elements' names (their numbers are places in `infos`) and the elements, in
        /// definition order.
        private let names: NameSlots
        /// Each element's facts and its type's name, by slot.
        private let facts: [ElementFacts]
        private let typeNames: [String]

        init(name: String, isResource: Bool, elements: [(name: String, facts: ElementFacts, typeName: String)]) {
            self.name = name
            self.isResource = isResource
            names = NameSlots(elements.map(\.name))
            facts = elements.map(\.facts)
            typeNames = elements.map(\.typeName)
        }

        /// The element of this name.
        @inline(__always) public func element(_ name: String) -> ElementInfo? {
            names.find(name).map { ElementInfo(facts: facts[$0], typeName: typeNames[$0]) }
        }

        /// What the type check asks of the element of this name (see `ElementFacts`).
        @inline(__always) public func facts(_ name: String) -> ElementFacts? {
            names.find(name).map { facts[$0] }
        }

        /// The name of the type of the element in this place (`ElementFacts.slot`).
        public func typeName(at slot: Int) -> String { typeNames[slot] }

        /// Every element by name (for callers that list them; lookups use `element(_:)`).
        public var elements: [String: ElementInfo] {
            Dictionary(uniqueKeysWithValues: facts.indices.map { (names.name($0), ElementInfo(facts: facts[$0], typeName: typeNames[$0])) })
        }
    }

    /// FHIR R4 4.0.1.
    public static let r4 = TypeTable(source: generatedTypeTable)

    /// Element names whose type is ResourceList: `contained`, `resource`, `outcome`.
    public static let resourceContainerNames = generatedResourceContainerNames
    /// Bit n set: a container name has n bytes.
    static let resourceContainerNameLengths: UInt64 = generatedResourceContainerNames.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }
    /// The same names as a list: three short strings are compared faster than one is hashed
    /// (issue 20: `category` and `encounter` pass the length test on every Synthea resource).
    static let resourceContainerNameList: [String] = generatedResourceContainerNames.sorted()

    /// Whether an element of this name holds a resource: by length first, as the reader asks for
    /// every object it reads (issue 20).
    @inline(__always) static func isResourceContainer(_ name: String) -> Bool {
        let n = name.utf8.count
        return n < 64 && resourceContainerNameLengths & (1 << UInt64(n)) != 0 && resourceContainerNameList.contains { Element.same($0, name) }
    }

    /// One line of the table: a primitive (with its kind) or a complex type (with its line).
    private struct Entry: Sendable {
        let name: String
        let primitive: PrimitiveKind?
        let isResource: Bool
        let line: Range<Int>
    }

    /// Every type, primitives included, in the table's order: a type's number is its place here.
    private let entries: [Entry]
    /// `entries` by name, open-addressed.
    private let index: NameSlots
    private let source: String
    /// Each complex type's elements, parsed on first use (a run touches a few dozen of 659 types,
    /// and start-up time matters to an engine that starts the program per message), and read
    /// without a lock: `apply --jobs` answers inputs on several threads, and a lock taken at every
    /// type lookup of the writer made eight jobs on two cores several times slower than one
    /// (found by a new user's trial). Two threads that parse one type at once keep the first.
    private let parsed: UnsafeMutablePointer<AtomicLazyReference<TypeInfo>>

    /// Scans the table's bytes once for the type names; a type's elements are parsed on first use.
    init(source: String) {
        var entries: [Entry] = []
        entries.reserveCapacity(700)
        var text = source
        text.withUTF8 { b in
            var i = 0
            let base = b.baseAddress!
            while i < b.count {
                // The line's end by memchr: the table is 190 kB, scanned at every start.
                let end = memchr(base + i, 0x0A, b.count - i).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? b.count
                // "K name rest": kind, space, name, space.
                if end - i > 2 {
                    var nameEnd = i + 2
                    while nameEnd < end && b[nameEnd] != 0x20 { nameEnd += 1 }
                    let name = String(decoding: UnsafeBufferPointer(rebasing: b[(i + 2)..<nameEnd]), as: UTF8.self)
                    if b[i] == UInt8(ascii: "P") {
                        let kind: PrimitiveKind
                        switch b[end - 1] {
                        case UInt8(ascii: "n"): kind = .number
                        case UInt8(ascii: "b"): kind = .boolean
                        case UInt8(ascii: "x"): kind = .xhtml
                        default: kind = .string
                        }
                        entries.append(Entry(name: name, primitive: kind, isResource: false, line: end..<end))
                    } else {
                        entries.append(Entry(name: name, primitive: nil, isResource: b[i] == UInt8(ascii: "R"), line: min(nameEnd + 1, end)..<end))
                    }
                }
                i = end + 1
            }
        }
        self.entries = entries
        self.index = NameSlots(entries.map(\.name))
        self.source = text
        parsed = .allocate(capacity: entries.count)
        for i in 0..<entries.count { (parsed + i).initialize(to: AtomicLazyReference()) }
    }

    deinit {
        parsed.deinitialize(count: entries.count)
        parsed.deallocate()
    }

    /// The type's elements from its line: `name:type` fields separated by spaces, `*` when repeating.
    private func parse(_ number: Int) -> TypeInfo {
        let entry = entries[number]
        var elements: [(name: String, facts: ElementFacts, typeName: String)] = []
        var text = source
        text.withUTF8 { b in
            var i = entry.line.lowerBound
            var position = 0
            while i < entry.line.upperBound {
                var end = i
                while end < entry.line.upperBound && b[end] != 0x20 { end += 1 }
                var colon = i
                while colon < end && b[colon] != UInt8(ascii: ":") { colon += 1 }
                if colon < end {
                    var typeEnd = end
                    // `|g`: one of the types of choice element g.
                    var choiceGroup = -1
                    var bar = colon
                    while bar < end && b[bar] != UInt8(ascii: "|") { bar += 1 }
                    if bar < end {
                        choiceGroup = 0
                        for digit in b[(bar + 1)..<end] { choiceGroup = choiceGroup * 10 + Int(digit - 0x30) }
                        typeEnd = bar
                    }
                    let repeats = b[typeEnd - 1] == UInt8(ascii: "*")
                    if repeats { typeEnd -= 1 }
                    let name = String(decoding: UnsafeBufferPointer(rebasing: b[i..<colon]), as: UTF8.self)
                    if let t = index.find(UnsafeBufferPointer(rebasing: b[(colon + 1)..<typeEnd])) {
                        let type = entries[t]
                        elements.append((name, ElementFacts(
                            slot: elements.count, index: position, repeats: repeats, primitiveKind: type.primitive,
                            typeNumber: type.primitive == nil ? t : -1, choiceGroup: choiceGroup, temporal: Temporal(typeName: type.name),
                            isWholeNumber: ["integer", "positiveInt", "unsignedInt"].contains(type.name)), type.name))
                    } else {
                        // A type the table does not define (none in R4; kept as the name says).
                        let typeName = String(decoding: UnsafeBufferPointer(rebasing: b[(colon + 1)..<typeEnd]), as: UTF8.self)
                        // ResourceList (`contained`, `resource`, `outcome`) is one: the JSON schema's
                        // name for any resource.
                        elements.append((name, ElementFacts(slot: elements.count, index: position, repeats: repeats, primitiveKind: nil, typeNumber: -1,
                                                            choiceGroup: choiceGroup, holdsResource: typeName == "ResourceList"), typeName))
                    }
                }
                position += 1
                i = end + 1
            }
        }
        return TypeInfo(name: entry.name, isResource: entry.isResource, elements: elements)
    }

    public func type(_ name: String) -> TypeInfo? {
        guard let number = index.find(name) else { return nil }
        return type(number: number)
    }

    /// The number of the type of this name (primitives included), for a pass that keeps what it
    /// found by number (`type(number:)`).
    public func number(_ name: String) -> Int? { index.find(name) }

    /// How many types the table has (`ElementInfo.typeNumber` is below it).
    public var typeCount: Int { entries.count }

    /// The complex type of this number (`ElementInfo.typeNumber`); a pass over a tree keeps what it
    /// found by number, without a second lookup.
    public func type(number: Int) -> TypeInfo? {
        guard number >= 0 && number < entries.count, entries[number].primitive == nil else { return nil }
        if let known = parsed[number].load() { return known }
        return parsed[number].storeIfNil(parse(number))
    }

    public func primitiveKind(_ typeName: String) -> PrimitiveKind? {
        index.find(typeName).flatMap { entries[$0].primitive }
    }

    public func isResourceType(_ name: String) -> Bool {
        index.find(name).map { entries[$0].isResource } ?? false
    }
}

/// Names to their numbers (their places in the list given), open-addressed by FNV-1a of their
/// bytes: found from a String or straight from input bytes.
struct NameSlots: Sendable {
    private let names: [String]
    /// Number + 1 of the name in each slot; 0 for an empty slot.
    private let slots: [Int32]
    /// The same slots for names of at most 15 bytes by their String's own 16 bytes, which hold
    /// such a name whole (Swift's small-string form, one spelling per text): a lookup is two
    /// words mixed and compared, not a hash over the bytes (issue 20: the type check asks for
    /// every element it meets, a thirtieth of a Synthea run). Empty when a name of the table is
    /// not in that form; then every lookup takes the byte path.
    private let smallSlots: [Int32]
    private let smallBits: [StringBits]

    /// A String's 16 bytes when it is in the small form (`StringBits`), else nil.
    @inline(__always) static func smallBits(_ name: String) -> StringBits? {
        StringBits.of(name).flatMap { $0.isSmall ? $0 : nil }
    }

    @inline(__always) static func mix(_ b: StringBits) -> Int {
        let h = (b.low ^ (b.high &* 0x9E37_79B9_7F4A_7C15)) &* 0xFF51_AFD7_ED55_8CCD
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    init(_ names: [String]) {
        self.names = names
        var size = 16
        while size < names.count * 2 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        for (n, name) in names.enumerated() {
            var slot = Self.hash(name.utf8) & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(n + 1)
        }
        self.slots = slots
        // A name of 15 bytes or fewer not in the small form (whatever made it) is remade from its
        // bytes; if it still is not, the fast path is not used at all.
        var bits: [StringBits] = []
        bits.reserveCapacity(names.count)
        var small = [Int32](repeating: 0, count: size)
        var usable = true
        for (n, name) in names.enumerated() {
            let remade = Self.smallBits(name) == nil && name.utf8.count <= 15 ? String(decoding: Array(name.utf8), as: UTF8.self) : name
            if let b = Self.smallBits(remade) {
                bits.append(b)
                var slot = Self.mix(b) & (size - 1)
                while small[slot] != 0 { slot = (slot + 1) & (size - 1) }
                small[slot] = Int32(n + 1)
            } else {
                bits.append(StringBits(low: 0, high: 0))
                if remade.utf8.count <= 15 { usable = false }
            }
        }
        smallSlots = usable ? small : []
        smallBits = usable ? bits : []
    }

    @inline(__always) static func hash<C: Collection<UInt8>>(_ bytes: C) -> Int {
        var h: UInt32 = 0x811C_9DC5
        for b in bytes { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return Int(h ^ (h >> 15))
    }

    /// A name's hash over its bytes in place (a small string's are copied to the stack): the
    /// UTF-8 view's iterator was most of a lookup (issue 20).
    @inline(__always) static func hash(_ name: String) -> Int {
        name.utf8.withContiguousStorageIfAvailable { hash($0) } ?? hash(name.utf8)
    }

    /// The name of this number.
    func name(_ number: Int) -> String { names[number] }

    @inline(__always) func find(_ name: String) -> Int? {
        let mask = slots.count - 1
        if !smallSlots.isEmpty, let b = Self.smallBits(name) {
            // A small name can only be a small name of the table (one form per text).
            var slot = Self.mix(b) & mask
            while smallSlots[slot] != 0 {
                let n = Int(smallSlots[slot]) - 1
                if smallBits[n] == b { return n }
                slot = (slot + 1) & mask
            }
            return nil
        }
        var slot = Self.hash(name) & mask
        while slots[slot] != 0 {
            let n = Int(slots[slot]) - 1
            if Element.same(names[n], name) { return n }
            slot = (slot + 1) & mask
        }
        return nil
    }

    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let mask = slots.count - 1
        var slot = Self.hash(bytes) & mask
        while slots[slot] != 0 {
            let n = Int(slots[slot]) - 1
            if names[n].utf8.elementsEqual(bytes) { return n }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
