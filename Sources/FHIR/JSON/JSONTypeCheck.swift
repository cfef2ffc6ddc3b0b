/// FHIR JSON fixes the JSON type of every element (R4 "JSON Representation"): a boolean is
/// `true`/`false`, a decimal or integer a JSON number, every other primitive a string; a repeating
/// element is an array and a single one is not; a complex element is an object. This pass checks
/// a tree the scanner built against the R4 type table, so `"active":"true"`, `"value":"5"`,
/// `"family":["x"]` or an object where an array belongs are refused with their FHIRPath instead of
/// being coerced. Elements the table does not know are left as they are (kept, as before).
/// Unknown elements must at least have a FHIR element name (a lower-case letter, then letters and
/// digits), the only names that can be written in both JSON and XML.
/// Resources a caller chose not to build (`materialise`) have no children and are not checked.
enum JSONTypeCheck {
    /// `shared`: the storage of children arrays that more than one node holds (from `RecurringObjects`).
    static func check(_ root: Element, table: TypeTable = .r4, shared: AddressSet = AddressSet()) throws(FHIRFormatError) {
        var checker = Checker(table: table)
        checker.shared = shared
        try checker.resource(root, path: root.name)
    }

    /// A tree read from XML, where every value is text and nothing is an array: only the text of
    /// numbers and booleans is checked (`value="5,8"` for a decimal is refused, as JSON cannot
    /// even write it; found by a new user's trial: the value was read as missing and the plan
    /// changed).
    static func checkXML(_ root: Element, table: TypeTable = .r4) throws(FHIRFormatError) {
        var checker = Checker(table: table)
        checker.fromXML = true
        try checker.resource(root, path: root.name)
    }

    /// A tree read from XML whole (`XMLReader.wholeReading`): only that no non-repeating element
    /// is given twice, in every resource, read or not (what the skipping readers check in the
    /// resources they pass over; the rest is checked on what the caller keeps).
    static func checkXMLRepeats(_ root: Element, table: TypeTable = .r4) throws(FHIRFormatError) {
        var checker = Checker(table: table)
        checker.fromXML = true
        checker.repeatsOnly = true
        try checker.resource(root, path: root.name)
    }

    struct Checker {
        let table: TypeTable
        /// Only the repeats XML can give (`checkXMLRepeats`).
        var repeatsOnly = false
        /// Values are text and repetition is not marked (XML): check the text of numbers and
        /// booleans, and nothing of JSON's kinds and arrays.
        var fromXML = false
        /// The complex types this pass met, by number (the table's own cache takes a lock and a
        /// lookup by name; issue 20).
        var types: [TypeTable.TypeInfo?]
        /// `Element`: a primitive's id and extensions.
        let elementType: TypeTable.TypeInfo?
        /// The children arrays the reader shared between nodes (`RecurringObjects`), and those of
        /// them that passed, with the type they passed as.
        var shared = AddressSet()
        var checked = AddressPairSet()

        /// The numbers of `abstractResourceNames` the table has.
        let abstractNumbers: [Int]

        init(table: TypeTable) {
            self.table = table
            types = Array(repeating: nil, count: table.typeCount)
            elementType = table.type("Element")
            abstractNumbers = Self.abstractResourceNames.compactMap { table.number($0) }
        }

        mutating func type(number: Int) -> TypeTable.TypeInfo? {
            guard number >= 0 else { return nil }
            if let known = types[number] { return known }
            let found = table.type(number: number)
            types[number] = found
            return found
        }

        // The FHIRPath of an error is put together as the error travels up (each level adds its
        // step), so the pass costs nothing for it while the input is right.

        mutating func resource(_ r: Element, path: String) throws(FHIRFormatError) {
            do {
                try resourceMembers(r)
            } catch {
                throw Self.prefixed(error, path)
            }
        }

        /// Names that R4 uses for something other than a resource one could send: the abstract
        /// resources and the JSON schema's name for "any resource".
        static let abstractResourceNames: Set<String> = ["Resource", "DomainResource", "ResourceList"]

        mutating func resourceMembers(_ r: Element) throws(FHIRFormatError) {
            if repeatsOnly {
                guard let info = table.type(r.name), info.isResource else { return }
                return try members(r.children, of: info)
            }
            // A data type is no resource (found by a new user's trial: `"resourceType":
            // "HumanName"` was kept as an unknown resource and its entry ignored). By number, in
            // this pass's own cache (issue 20: the table's lookup and the name set, per resource).
            let number = table.number(r.name)
            let info = number.flatMap { type(number: $0) }
            let abstract = number.map(abstractNumbers.contains) ?? Self.abstractResourceNames.contains(r.name)
            if abstract || info.map({ !$0.isResource }) ?? (table.primitiveKind(r.name) != nil) {
                throw FHIRFormatError(.invalid, "\"\(r.name)\" is not a resource type: R4 defines it as \(abstract ? "an abstract type" : "a data type")", location: "")
            }
            guard let info else {
                // A resource type R4 does not know: kept, but its element names must still be
                // names XML can carry (found by the `json` fuzz target: "ServiceRequestt").
                for i in r.children.indices {
                    do {
                        try unknown(r.children[i])
                    } catch {
                        throw Self.prefixed(error, "." + Self.step(r.children, i))
                    }
                }
                return
            }
            try members(r.children, of: info)
        }

        mutating func members(_ children: [Element], of type: TypeTable.TypeInfo) throws(FHIRFormatError) {
            // Children the JSON reader shared (`RecurringObjects`) that passed once as this type pass
            // again (the tree is not changed while it is checked, so no array's storage is freed
            // and reused for another).
            var checkedKey: (address: UInt, type: UInt)?
            if !shared.isEmpty {
                let address = children.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
                if shared.contains(address) {
                    // The type by identity: the table keeps its types for its lifetime.
                    let key = (address: address, type: UInt(bitPattern: ObjectIdentifier(type)))
                    if checked.contains(key.address, key.type) { return }
                    checkedKey = key
                }
            }
            // The choice elements met (a bit per group): a second type of one is refused
            // (deceasedBoolean with deceasedDateTime; found by a new user's trial: the first was
            // read, the other silently ignored).
            var choices: UInt64 = 0
            // XML: the non-repeating elements met (a bit per place in the type, the first 64),
            // as XML, unlike JSON, can repeat any element.
            var singles: UInt64 = 0
            // Each child passed borrowed, in place, from the array's storage: no copy of it (issue 20;
            // through the array's subscript each child was copied, and released after).
            try children.withUnsafeBufferPointer { (nodes) throws(FHIRFormatError) in
                for i in nodes.indices {
                    do throws(FHIRFormatError) {
                        if let info = type.facts(nodes[i].name) {
                            if fromXML && !info.repeats {
                                let again: Bool
                                if info.index < 64 {
                                    let bit: UInt64 = 1 << UInt64(info.index)
                                    again = singles & bit != 0
                                    singles |= bit
                                } else {
                                    again = nodes[..<i].contains { $0.name == nodes[i].name }
                                }
                                if again {
                                    throw FHIRFormatError(.invalid, "\"\(nodes[i].name)\" occurs more than once but does not repeat", location: "")
                                }
                            }
                            // After the repeat check: one type twice is a repeat, two types a choice.
                            if info.choiceGroup >= 0 && !repeatsOnly {
                                let bit: UInt64 = 1 << UInt64(info.choiceGroup & 63)
                                if choices & bit != 0 { throw Self.secondChoice(children, i, info: info, of: type) }
                                choices |= bit
                            }
                            try element(nodes, i, info: info, of: type)
                        } else {
                            try unknown(nodes[i])
                        }
                    } catch {
                        // XML marks no arrays: R4 says which elements repeat (found by a new user's
                        // trial: XML refusals named no entry).
                        throw Self.prefixed(error, "." + Self.step(children, i, repeats: fromXML && type.facts(children[i].name)?.repeats == true))
                    }
                }
            }
            if let checkedKey { checked.insert(checkedKey.address, checkedKey.type) }
        }

        /// The error for the second type of one choice element, naming the first.
        static func secondChoice(_ children: [Element], _ i: Int, info: TypeTable.ElementFacts, of type: TypeTable.TypeInfo) -> FHIRFormatError {
            let name = children[i].name
            let first = children[..<i].first { type.facts($0.name)?.choiceGroup == info.choiceGroup }?.name ?? name
            // The choice's own name: the element's name without its type (`deceased[x]`).
            let own = type.typeName(at: info.slot)
            let typeName = own.prefix(1).uppercased() + own.dropFirst()
            let base = name.hasSuffix(typeName) ? String(name.dropLast(typeName.count)) + "[x]" : name
            return FHIRFormatError(.invalid, "\"\(name)\" and \"\(first)\" are two types of one choice element, \(base): it takes one", location: "")
        }

        /// An element the table does not know, and everything under it: kept, if named as FHIR names.
        mutating func unknown(_ e: borrowing Element) throws(FHIRFormatError) {
            if repeatsOnly { return }
            if !e.isResource && !Element.isElementName(Substring(e.name)) {
                throw FHIRFormatError(.invalid, "\"\(e.name)\" is not a FHIR element name (a lower-case letter, then letters and digits)", location: "")
            }
            if let r = e.resource {
                // A resource inside an unknown element: checked by its own type.
                do { try resourceMembers(r) } catch { throw Self.prefixed(error, ".ofType(\(r.name))") }
                return
            }
            for i in e.children.indices {
                do {
                    try unknown(e.children[i])
                } catch {
                    throw Self.prefixed(error, "." + Self.step(e.children, i))
                }
            }
        }

        static func prefixed(_ error: FHIRFormatError, _ step: String) -> FHIRFormatError {
            var e = error
            e.location = step + (e.location ?? "")
            return e
        }

        /// `entry[2]` (an index where the input gave an array).
        static func step(_ siblings: [Element], _ i: Int, repeats: Bool = false) -> String {
            let child = siblings[i]
            guard child.wasArray || repeats else { return child.name }
            var n = 0
            for sibling in siblings[..<i] where sibling.name == child.name { n += 1 }
            return child.name + "[\(n)]"
        }

        /// The node at `i`, read in place: each field loaded from the array's storage as it is
        /// needed (issue 20: a node passed on, even `borrowing`, was copied whole, its three
        /// references retained and released, for each of the 42,000 nodes of 13 Synthea records).
        mutating func element(_ nodes: UnsafeBufferPointer<Element>, _ i: Int, info: TypeTable.ElementFacts, of owner: TypeTable.TypeInfo) throws(FHIRFormatError) {
            // The element's name and its type's name, for a message (and the whole-number check),
            // made only when asked.
            var name: String { nodes[i].name }
            var typeName: String { owner.typeName(at: info.slot) }
            func fail(_ message: String) -> FHIRFormatError {
                FHIRFormatError(.invalid, message, location: "")
            }
            if repeatsOnly {
                if info.primitiveKind != nil {
                    if !nodes[i].children.isEmpty, let element = elementType { try members(nodes[i].children, of: element) }
                } else if info.holdsResource {
                    if !nodes[i].isResource, let r = nodes[i].resource {
                        do { try resourceMembers(r) } catch { throw Self.prefixed(error, ".ofType(\(r.name))") }
                    }
                } else if let complex = type(number: info.typeNumber) {
                    try members(nodes[i].children, of: complex)
                }
                return
            }
            // XML marks no arrays: R4 alone says what repeats.
            if !fromXML && info.repeats != nodes[i].wasArray {
                throw fail(info.repeats
                    ? "\"\(name)\" must be an array: the element repeats (FHIR JSON gives repeating elements as arrays, also with one item)"
                    : "\"\(name)\" must not be an array: the element does not repeat")
            }
            if let kind = info.primitiveKind {
                if let value = nodes[i].value {
                    if fromXML {
                        // Every XML value is text: its text must be what JSON's grammar allows.
                        if kind == .number && !isJSONNumber(value) {
                            throw fail("\"\(name)\" (\(typeName)): \(Self.quote(value, .string)) is not a number (FHIR numbers are written as in JSON: a point, no comma)")
                        }
                        if kind == .boolean && value != "true" && value != "false" {
                            throw fail("\"\(name)\" (\(typeName)): \(Self.quote(value, .string)) is not a boolean (true or false)")
                        }
                    } else {
                        let found = nodes[i].valueKind
                        let ok: Bool
                        switch kind {
                        case .string, .xhtml: ok = found == .string
                        case .number: ok = found == .number
                        case .boolean: ok = found == .boolean
                        }
                        if !ok {
                            throw fail("\"\(name)\" (\(typeName)): expected a JSON \(Self.describe(kind)), found \(Self.describe(found)) \(Self.quote(value, found)) (FHIR JSON fixes the type of each primitive)")
                        }
                    }
                    if kind == .number, info.isWholeNumber, let problem = Self.integerProblem(value, type: typeName) {
                        throw fail("\"\(name)\" (\(typeName)): \(problem)")
                    }
                    if let temporal = info.temporal, !Self.isTemporal(value, temporal) {
                        // Found by a new user's trial: "2026-10-20 10:00" was read as its day.
                        throw fail("\"\(name)\" (\(typeName)): \(Self.quote(value, .string)) is not a FHIR \(typeName) (\(Self.grammar(temporal)))")
                    }
                } else if !fromXML && nodes[i].valueKind == .object {
                    throw fail("\"\(name)\" (\(typeName)): expected a JSON \(Self.describe(kind)), found an object (a primitive's id and extensions go in \"_\(name)\")")
                }
                // A primitive's id and extensions (from "_name").
                if !nodes[i].children.isEmpty, let element = elementType {
                    try members(nodes[i].children, of: element)
                }
                return
            }
            if let value = nodes[i].value {
                throw fail("\"\(name)\" (\(typeName)): expected a JSON object, found \(Self.describe(nodes[i].valueKind)) \(Self.quote(value, nodes[i].valueKind))")
            }
            if info.holdsResource {
                guard let r = nodes[i].resource, !nodes[i].isResource else {
                    throw fail("\"\(name)\" must hold a resource (an object with resourceType)")
                }
                do {
                    try resourceMembers(r)
                } catch {
                    throw Self.prefixed(error, ".ofType(\(r.name))")
                }
                return
            }
            guard let complex = type(number: info.typeNumber) else { return }
            try members(nodes[i].children, of: complex)
        }

        static func grammar(_ t: TypeTable.Temporal) -> String {
            switch t {
            case .date: return "YYYY, YYYY-MM or YYYY-MM-DD"
            case .dateTime: return "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone, Z or +hh:mm"
            case .instant: return "YYYY-MM-DDThh:mm:ss with a zone, Z or +hh:mm"
            }
        }

        /// R4's grammar of a date, dateTime or instant (the JSON schema's regex), with a day that
        /// its month has (as the XSD's date types): a year 0001–9999; a month; a day; a time
        /// hh:mm:ss (second 60 for a leap second) with an optional fraction, then a zone, Z or
        /// ±hh:mm up to 14:00. A date has no time; an instant has all of it.
        static func isTemporal(_ text: String, _ t: TypeTable.Temporal) -> Bool {
            var text = text
            return text.withUTF8 { u -> Bool in
                func digits(_ at: Int, _ n: Int) -> Int? {
                    guard at + n <= u.count else { return nil }
                    var v = 0
                    for i in at..<(at + n) {
                        let d = u[i] &- 0x30
                        guard d <= 9 else { return nil }
                        v = v * 10 + Int(d)
                    }
                    return v
                }
                guard let year = digits(0, 4), year >= 1 else { return false }
                if u.count == 4 { return t != .instant }
                guard u.count >= 7, u[4] == 0x2D, let month = digits(5, 2), (1...12).contains(month) else { return false }
                if u.count == 7 { return t != .instant }
                guard u.count >= 10, u[7] == 0x2D, let day = digits(8, 2), day >= 1 else { return false }
                let days: Int
                switch month {
                case 2: days = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
                case 4, 6, 9, 11: days = 30
                default: days = 31
                }
                guard day <= days else { return false }
                if u.count == 10 { return t != .instant }
                guard t != .date, u.count >= 20, u[10] == 0x54, let h = digits(11, 2), h <= 23, u[13] == 0x3A,
                      let m = digits(14, 2), m <= 59, u[16] == 0x3A, let sec = digits(17, 2), sec <= 60 else { return false }
                var i = 19
                if u[i] == 0x2E {
                    i += 1
                    let start = i
                    while i < u.count, u[i] &- 0x30 <= 9 { i += 1 }
                    guard i > start else { return false }
                }
                guard i < u.count else { return false }
                if u[i] == 0x5A { return i + 1 == u.count }
                guard u[i] == 0x2B || u[i] == 0x2D, i + 6 == u.count, let zh = digits(i + 1, 2), u[i + 3] == 0x3A, let zm = digits(i + 4, 2) else { return false }
                return (zh <= 13 && zm <= 59) || (zh == 14 && zm == 0)
            }
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

/// Addresses of arrays' storage (never 0), asked about most complex nodes of a Bundle
/// (`JSONScanner.sharedChildren`): pairs whose second address is 0.
struct AddressSet {
    private var pairs = AddressPairSet()
    var count: Int { pairs.count }
    var isEmpty: Bool { pairs.isEmpty }
    func contains(_ address: UInt) -> Bool { pairs.contains(address, 0) }
    mutating func insert(_ address: UInt) { pairs.insert(address, 0) }
}

/// Pairs of addresses (a children array's storage, a type's identity; the first never 0), by open
/// addressing with a multiply for a hash: asked for every shared children array the check meets
/// (issue 20: a `Set` hashed each pair through SipHash).
struct AddressPairSet {
    private var firsts: [UInt] = []
    private var seconds: [UInt] = []
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }

    @inline(__always) private func index(_ a: UInt, _ b: UInt) -> Int {
        Int(truncatingIfNeeded: ((UInt64(a) ^ UInt64(b) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x9E37_79B9_7F4A_7C15) >> 32) & (firsts.count - 1)
    }

    func contains(_ a: UInt, _ b: UInt) -> Bool {
        if count == 0 { return false }
        var i = index(a, b)
        while firsts[i] != 0 {
            if firsts[i] == a && seconds[i] == b { return true }
            i = (i + 1) & (firsts.count - 1)
        }
        return false
    }

    mutating func insert(_ a: UInt, _ b: UInt) {
        precondition(a != 0, "0 marks an empty slot")
        if (count + 1) * 2 > firsts.count { grow() }
        var i = index(a, b)
        while firsts[i] != 0 {
            if firsts[i] == a && seconds[i] == b { return }
            i = (i + 1) & (firsts.count - 1)
        }
        firsts[i] = a
        seconds[i] = b
        count += 1
    }

    private mutating func grow() {
        let (oldFirsts, oldSeconds) = (firsts, seconds)
        firsts = Array(repeating: 0, count: max(64, oldFirsts.count * 2))
        seconds = Array(repeating: 0, count: firsts.count)
        count = 0
        for k in oldFirsts.indices where oldFirsts[k] != 0 { insert(oldFirsts[k], oldSeconds[k]) }
    }
}
