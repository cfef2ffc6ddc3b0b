// Typed views over the element model for the resources the guideline reads.

/// Anything that is a view over one resource element.
public protocol ResourceView: Sendable {
    static var resourceType: String { get }
    var element: Element { get }
    init(unchecked element: Element)
}

extension ResourceView {
    /// The view, when the element is a resource of this type.
    public init?(_ element: Element) {
        guard element.isResource, element.name == Self.resourceType else { return nil }
        self.init(unchecked: element)
    }

    public var id: String? { element.string("id") }
    public var identifiers: [Identifier] { element.children("identifier").map(Identifier.init) }
    public var contained: [Element] { element.children("contained").compactMap(\.resource) }
    public var extensions: [Element] { element.children("extension") }

    /// The value of the extension with this URL.
    public func extensionValue(_ url: String) -> Element? {
        extensions.first { $0.string("url") == url }?.children.first { $0.name.hasPrefix("value") }
    }
}

public struct Bundle: ResourceView {
    public static let resourceType = "Bundle"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }

    public struct Entry: Sendable {
        public let element: Element
        public var fullUrl: String? { element.string("fullUrl") }
        public var resource: Element? { element.child("resource")?.resource }
        public var requestMethod: String? { element.child("request")?.string("method") }
        public var requestURL: String? { element.child("request")?.string("url") }
    }

    public var type: String? { element.string("type") }
    public var timestamp: String? { element.string("timestamp") }
    public var entries: [Entry] { element.children("entry").map(Entry.init) }
}

public struct Patient: ResourceView {
    public static let resourceType = "Patient"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var birthDate: String? { element.string("birthDate") }
    public var gender: String? { element.string("gender") }
    public var links: [Reference] { element.children("link").compactMap { $0.child("other").map(Reference.init) } }
}

public struct Observation: ResourceView {
    public static let resourceType = "Observation"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var status: String? { element.string("status") }
    public var code: CodeableConcept? { element.child("code").map(CodeableConcept.init) }
    public var subject: Reference? { element.child("subject").map(Reference.init) }
    /// `effectiveDateTime`, `effectiveInstant` or the start of `effectivePeriod`.
    public var effective: String? {
        element.string("effectiveDateTime") ?? element.string("effectiveInstant")
            ?? element.child("effectivePeriod")?.string("start")
    }
    public var issued: String? { element.string("issued") }
    public var valueQuantity: Quantity? { element.child("valueQuantity").map(Quantity.init) }
    public var valueCodeableConcept: CodeableConcept? { element.child("valueCodeableConcept").map(CodeableConcept.init) }
    public var valueString: String? { element.string("valueString") }
    public var valueDateTime: String? { element.string("valueDateTime") }
    public var interpretation: [CodeableConcept] { element.children("interpretation").map(CodeableConcept.init) }
    public var referenceRanges: [ReferenceRange] { element.children("referenceRange").map(ReferenceRange.init) }
    public var specimen: Reference? { element.child("specimen").map(Reference.init) }
    public var hasMember: [Reference] { element.children("hasMember").map(Reference.init) }
    public var components: [Element] { element.children("component") }
}

public struct Condition: ResourceView {
    public static let resourceType = "Condition"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var code: CodeableConcept? { element.child("code").map(CodeableConcept.init) }
    public var clinicalStatus: CodeableConcept? { element.child("clinicalStatus").map(CodeableConcept.init) }
    public var verificationStatus: CodeableConcept? { element.child("verificationStatus").map(CodeableConcept.init) }
    public var subject: Reference? { element.child("subject").map(Reference.init) }
    public var onsetDateTime: String? { element.string("onsetDateTime") }
    public var onsetPeriodStart: String? { element.child("onsetPeriod")?.string("start") }
    public var abatementDateTime: String? { element.string("abatementDateTime") }
    public var recordedDate: String? { element.string("recordedDate") }
    public var evidenceDetail: [Reference] { element.all("evidence.detail").map(Reference.init) }
}

public struct FamilyMemberHistory: ResourceView {
    public static let resourceType = "FamilyMemberHistory"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var status: String? { element.string("status") }
    public var relationship: CodeableConcept? { element.child("relationship").map(CodeableConcept.init) }
    public var conditionCodes: [CodeableConcept] { element.all("condition.code").map(CodeableConcept.init) }
}

public struct ServiceRequest: ResourceView {
    public static let resourceType = "ServiceRequest"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var status: String? { element.string("status") }
    public var intent: String? { element.string("intent") }
    public var code: CodeableConcept? { element.child("code").map(CodeableConcept.init) }
    public var subject: Reference? { element.child("subject").map(Reference.init) }
    public var basedOn: [Reference] { element.children("basedOn").map(Reference.init) }
}

public struct MedicationRequest: ResourceView {
    public static let resourceType = "MedicationRequest"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var status: String? { element.string("status") }
    public var intent: String? { element.string("intent") }
    public var medicationCodeableConcept: CodeableConcept? {
        element.child("medicationCodeableConcept").map(CodeableConcept.init)
    }
    public var medicationReference: Reference? { element.child("medicationReference").map(Reference.init) }
    public var subject: Reference? { element.child("subject").map(Reference.init) }
}

public struct DiagnosticReport: ResourceView {
    public static let resourceType = "DiagnosticReport"
    public let element: Element
    public init(unchecked element: Element) { self.element = element }
    public var status: String? { element.string("status") }
    public var code: CodeableConcept? { element.child("code").map(CodeableConcept.init) }
    public var results: [Reference] { element.children("result").map(Reference.init) }
    public var effective: String? {
        element.string("effectiveDateTime") ?? element.child("effectivePeriod")?.string("start")
    }
}
