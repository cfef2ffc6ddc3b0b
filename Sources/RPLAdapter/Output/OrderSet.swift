import FHIR
import RPLGuideline

/// What a plan orders from a laboratory, typed (issue 17, parts 3 and 4): made once by the plan's
/// writer from the input and the Profiles, beside the FHIR transaction, and read by the HL7 v2
/// writer, which reads no FHIR element (neither the transaction back nor her Patient).
public struct OrderSet: Sendable {
    /// A coding of an order's test, as the order catalogue gives it.
    public struct Coding: Sendable, Hashable {
        public var system: String?
        public var code: String?
        public var display: String?

        public init(system: String?, code: String?, display: String?) {
            self.system = system
            self.code = code
            self.display = display
        }

        init(_ coding: Element) {
            self.init(system: coding.string("system"), code: coding.string("code"), display: coding.string("display"))
        }
    }

    /// What a laboratory collects for an order (a SpecimenDefinition of Profiles/): its type
    /// (HL7 table 0487) and the container's additive (table 0371), where the definition codes them.
    public struct Specimen: Sendable, Hashable {
        public var type: Coding?
        public var additive: Coding?
    }

    /// The ordering clinician as a lab needs them: the AGB code and the name, where the
    /// requester reference gives them.
    public struct Requester: Sendable, Hashable {
        /// The system of the identifier that names the requester (an AGB register, a UZI number…).
        public var system: String?
        /// The AGB code (digits only), when the requester is identified by one.
        public var agb: String?
        public var name: String?

        /// The national register of care providers (AGB), by URI or OID.
        public static let agbSystems: Set<String> = ["http://fhir.nl/fhir/NamingSystem/agb-z", "urn:oid:2.16.840.1.113883.2.4.6.1"]

        /// A site's requester Reference (`Parameters-rpl-site.json`, `--requester`).
        public init(_ reference: Element) {
            let identifier = reference.child("identifier")
            system = identifier?.string("system")
            name = reference.string("display")
            // An AGB code is digits (8): anything else is not one (it would be escaped into ORC-12).
            if let system = system.map(Terminology.canonicalSystem), Self.agbSystems.contains(system),
               let value = identifier?.string("value").map(Terminology.trimmed), !value.isEmpty,
               value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) {
                agb = value
            }
        }
    }

    /// The patient as a lab's PID names her: her current identifiers, her first name, birth date
    /// and sex.
    public struct Person: Sendable {
        /// A current identifier (not `old`, no ended period), as one spelling: the system an OID
        /// or URI as the canonical URI, the value trimmed.
        public struct Identifier: Sendable, Hashable {
            /// Its position among the record's identifiers (where a refusal points).
            public var position: Int
            public var system: String
            public var value: String
        }

        /// Current identifiers, each once, in the record's order.
        public var identifiers: [Identifier]
        /// interface.md v3: whether she has a business identifier at all (any identifier with a
        /// system and a value; a BSN must pass the 11-test).
        public var hasBusinessIdentifier: Bool
        /// Her first name, where it has a family name or a given name.
        public var name: (family: String, given: [String])?
        public var birthDate: String?
        /// `Patient.gender`: male, female, other, unknown.
        public var gender: String?

        public init(_ patient: Element) {
            var seen: Set<String> = []
            identifiers = patient.children("identifier").enumerated().compactMap { n, i in
                guard let key = Identities.identifierKey(i), seen.insert(key).inserted, let bar = key.firstIndex(of: "|") else { return nil }
                return Identifier(position: n, system: String(key[..<bar]), value: String(key[key.index(after: bar)...]))
            }
            hasBusinessIdentifier = Identities.hasBusinessIdentifier(patient)
            if let n = patient.children("name").first, n.string("family") != nil || !n.children("given").isEmpty {
                name = (n.string("family") ?? "", n.children("given").compactMap(\.value))
            }
            birthDate = patient.string("birthDate")
            gender = patient.string("gender")
        }
    }

    /// One signed laboratory order of the patient (`ServiceRequest` active/order, category
    /// laboratory procedure): a lab acts on it (HL7 v2 `NW`).
    public struct LabOrder: Sendable {
        /// Its business identifier's value (`urn:uuid:…`): the same for a resend.
        public var identifier: String
        /// The requisition it belongs to (the patient's laboratory orders of one run).
        public var requisition: String
        public var codings: [Coding]
        public var text: String?
        /// Not to be done before this day (RPL-APL-REPEAT).
        public var notBefore: CalendarDate?
        /// The note the order carries (the card line and the reason).
        public var note: String
        /// Who signed it.
        public var requester: Requester
        /// What the lab collects (the catalogue's SpecimenDefinition for the activity or its item).
        public var specimen: Specimen?
    }

    /// The patient orders are made for; nil when no plan was made.
    public var patient: Person?
    /// The evaluation date (the day the orders are written).
    public var date: CalendarDate?
    /// In the order of the transaction's entries.
    public var labOrders: [LabOrder] = []

    public init() {}
}
