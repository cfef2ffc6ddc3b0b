// Typed views over the element model for the data types the guideline reads. A view holds its
// element and reads from it on demand: nothing is copied out, nothing is lost.

public struct Coding: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var system: String? { element.string("system") }
    public var code: String? { element.string("code") }
    public var display: String? { element.string("display") }
}

public struct CodeableConcept: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var codings: [Coding] { element.children("coding").map(Coding.init) }
    public var text: String? { element.string("text") }

    /// True when one of the codings has this system and code.
    public func contains(system: String, code: String) -> Bool {
        codings.contains { $0.system == system && $0.code == code }
    }
}

/// A decimal kept as its exact text.
public struct FHIRDecimal: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public var double: Double? { Double(text) }
    public var description: String { text }
}

public struct Quantity: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var value: FHIRDecimal? { element.string("value").map(FHIRDecimal.init) }
    public var comparator: String? { element.string("comparator") }
    public var unit: String? { element.string("unit") }
    public var system: String? { element.string("system") }
    public var code: String? { element.string("code") }
}

public struct Reference: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var reference: String? { element.string("reference") }
    public var type: String? { element.string("type") }
    public var identifier: Identifier? { element.child("identifier").map(Identifier.init) }
    public var display: String? { element.string("display") }
}

public struct Identifier: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var system: String? { element.string("system") }
    public var value: String? { element.string("value") }
}

public struct Period: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var start: String? { element.string("start") }
    public var end: String? { element.string("end") }
}

public struct ReferenceRange: Sendable, Hashable {
    public let element: Element
    public init(_ element: Element) { self.element = element }
    public var low: Quantity? { element.child("low").map(Quantity.init) }
    public var high: Quantity? { element.child("high").map(Quantity.init) }
    public var text: String? { element.string("text") }
}
