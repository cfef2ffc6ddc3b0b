import FHIR
import RPLGuideline

/// The orders a plan signs for a laboratory, typed (issue 17, parts 3 and 4): made once by the
/// plan's writer, beside the FHIR transaction, and read by the HL7 v2 writer, which never reads
/// the transaction back.
public struct OrderSet: Sendable {
    /// A coding of an order's test, as the order catalogue gives it.
    public struct Coding: Sendable, Hashable {
        public var system: String?
        public var code: String?
        public var display: String?
    }

    /// One signed laboratory order of the patient (`ServiceRequest` active/order, category
    /// laboratory procedure): a lab acts on it (HL7 v2 `NW`).
    public struct LabOrder: Sendable {
        /// Its business identifier's value (`urn:uuid:…`): the same for a resend.
        public var identifier: String
        /// The requisition it belongs to (the patient's laboratory orders of one run).
        public var requisition: String
        public var activity: ActivityID
        public var codings: [Coding]
        public var text: String?
        /// Not to be done before this day (RPL-APL-REPEAT).
        public var notBefore: CalendarDate?
        /// The note the order carries (the card line and the reason).
        public var note: String
        /// The ordering clinician's AGB code and name, where the requester is identified by one.
        public var requesterAGB: String?
        public var requesterName: String?
    }

    /// In the order of the transaction's entries.
    public var labOrders: [LabOrder] = []

    public init() {}
}
