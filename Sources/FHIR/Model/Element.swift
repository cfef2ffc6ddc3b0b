/// One node of a FHIR resource, in a form shared by JSON and XML: the element model.
///
/// Everything the input had is kept, in order: known and unknown elements, extensions and
/// modifierExtensions, element ids (as a child named `id`), `Extension.url` (a child named `url`),
/// primitive values as their exact source text (a decimal `1.50` stays `1.50`), contained resources
/// and the XHTML narrative (the `div` element's XML as its value).
///
/// A primitive is a node with a `value` whose children are its `id` and `extension`s, so
/// `"birthDate": "1970"` with `"_birthDate": {"extension": [...]}` is one node, as in XML.
/// A repeating element is several sibling nodes with the same name, as in XML. A resource is a node
/// named after its type with `isResource` set; where one sits inside another (`contained`,
/// `Bundle.entry.resource`) it is the only child of the node of that name, as in XML.
public struct Element: Sendable, Hashable {
    /// How JSON spelled a primitive. The writers take the kind from the R4 type table and use this
    /// only for elements the table does not know.
    public enum ValueKind: UInt8, Sendable, Hashable {
        case string, number, boolean
        /// A node the JSON input gave as an object (so a primitive given as `{…}` is told apart
        /// from a primitive's `_name` extensions). Only on nodes without a value.
        case object
    }

    // No initialiser of its own: the one Swift makes from these properties
    // (`Element(name:value:valueKind:isResource:wasArray:children:)`, the later ones defaulted)
    // builds a node in place, where one written out stored each field into a temporary and
    // returned a copy of it, each reference retained and released once more (issue 20: every
    // node the readers build; Swift 6.3). It is internal: other modules build nodes by the
    // factories below (`Element.node` takes every field).
    public var name: String
    /// The primitive value as source text; `nil` for complex elements, resources, and primitives
    /// that carry only extensions.
    public var value: String? = nil
    public var valueKind: ValueKind = .string
    public var isResource: Bool = false
    /// The JSON input gave this element inside an array (kept for elements the table does not know).
    public var wasArray: Bool = false
    public var children: [Element] = []

    /// A node with every field given, for other modules (the initialiser is internal: see above).
    public static func node(
        _ name: String, value: String? = nil, valueKind: ValueKind = .string,
        isResource: Bool = false, wasArray: Bool = false, children: [Element] = []
    ) -> Element {
        Element(name: name, value: value, valueKind: valueKind, isResource: isResource, wasArray: wasArray, children: children)
    }

    /// A resource node.
    public static func resource(_ type: String, _ children: [Element]) -> Element {
        Element(name: type, isResource: true, children: children)
    }

    /// A primitive node.
    public static func primitive(
        _ name: String, _ value: String, kind: ValueKind = .string, children: [Element] = []
    ) -> Element {
        Element(name: name, value: value, valueKind: kind, children: children)
    }

    /// A complex node.
    public static func complex(_ name: String, _ children: [Element]) -> Element {
        Element(name: name, children: children)
    }

    /// A node holding a resource (`contained`, `resource`, `outcome`).
    public static func wrapping(_ name: String, _ resource: Element) -> Element {
        Element(name: name, children: [resource])
    }
}

extension Element {
    /// Whether a name can be a FHIR element name: every R4 element name is a lower-case letter
    /// followed by letters and digits (resource type names start upper-case, which is how XML
    /// tells a resource from an element), and only such names can be written in both JSON and XML.
    public static func isElementName(_ name: Substring) -> Bool {
        var first = true
        for b in name.utf8 {
            let lower = b >= 0x61 && b <= 0x7A
            let other = (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
            if !(lower || (!first && other)) { return false }
            first = false
        }
        return !first
    }

    /// Whether two names are the same (issue 20: the fact sources look children up by name all the
    /// time). By the Strings' own 16 bytes first: the same bytes are the same text, and two ASCII
    /// names of 15 bytes or fewer are held whole in them (Swift's small form, one spelling per
    /// text), so different bytes are different names, without the comparison's call (which, for
    /// two of one length, was a fiftieth of a Synthea run). Otherwise lengths, then Swift's
    /// comparison (canonical equivalence, as before: R4's names are ASCII, where it is the bytes).
    @inline(__always) static func same(_ a: String, _ b: String) -> Bool {
        if let x = StringBits.of(a), let y = StringBits.of(b) {
            if x == y { return true }
            if x.high & y.high & StringBits.smallASCII == StringBits.smallASCII { return false }
        }
        return a.utf8.count == b.utf8.count && a == b
    }

    /// The first child with this name (looked for in place: only the one found is copied).
    public func child(_ name: String) -> Element? {
        children.withUnsafeBufferPointer { kids in
            for i in kids.indices where Self.same(kids[i].name, name) { return kids[i] }
            return nil
        }
    }

    /// All children with this name, in order.
    public func children(_ name: String) -> [Element] {
        children.filter { Self.same($0.name, name) }
    }

    /// The value of the first child with this name (no child copied: issue 20, the fact sources'
    /// most frequent question).
    public func string(_ name: String) -> String? {
        children.withUnsafeBufferPointer { kids in
            for i in kids.indices where Self.same(kids[i].name, name) { return kids[i].value }
            return nil
        }
    }

    /// Follows a dotted path of child names (`"code.coding"`), collecting every match.
    public func all(_ path: String) -> [Element] {
        if !path.utf8.contains(UInt8(ascii: ".")) { return children(path) }
        var current = [self]
        for step in path.split(separator: ".") {
            let name = String(step)
            current = current.flatMap { $0.children.filter { Self.same($0.name, name) } }
        }
        return current
    }

    /// The resource held by a `contained` / `resource` / `outcome` node, or this node if it is one.
    public var resource: Element? {
        if isResource { return self }
        if let only = children.first, only.isResource, children.count == 1 { return only }
        return nil
    }

    /// The resource's type when this node is a resource.
    public var resourceType: String? { isResource ? name : nil }

    /// Appends a child.
    public mutating func append(_ child: Element) { children.append(child) }
}

/// A String's own 16 bytes on the 64-bit platforms whose layout the standard library's
/// `_StringObject` gives (nil elsewhere): a String of at most 15 UTF-8 bytes in the small form holds
/// its text whole in them, one spelling per text (unused bytes zero, the discriminator's flags
/// worked out from the text). `Element.same` and the type table's name lookup (`NameSlots`) read
/// names by them (issue 20).
struct StringBits: Equatable, Sendable {
    let low: UInt64, high: UInt64

    /// Bit 61 of the second word: the small form; bit 62 with it: ASCII.
    static let small: UInt64 = 1 << 61
    static let smallASCII: UInt64 = 1 << 61 | 1 << 62

    var isSmall: Bool { high & Self.small != 0 }

    @inline(__always) static func of(_ s: String) -> StringBits? {
        #if arch(x86_64) || arch(arm64)
        let raw = unsafeBitCast(s, to: (UInt64, UInt64).self)
        return StringBits(low: raw.0, high: raw.1)
        #else
        return nil
        #endif
    }
}
