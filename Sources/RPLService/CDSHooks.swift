import FHIR
import RPLAdapter
import RPLGuideline
import AsyncHTTPClient
import NIOCore

/// The CDS Hooks services (interface.md v3, serve; CDS Hooks 2.0): discovery, the three hooks,
/// and what a request must hold.
enum CDSHooks {
    struct Service {
        let id: String
        let hook: String
        let title: String
        let description: String
    }

    static let services: [Service] = [
        Service(id: "rpl-patient-view", hook: "patient-view", title: "Recurrent pregnancy loss: work-up and treatment plan",
                description: "When a patient's record is opened: whether the Dutch adaptation of the ESHRE guideline Recurrent Pregnancy Loss (2018, updates 2022) applies (two or more pregnancy losses), and if so the work-up still open, the prognosis, and suggestions that create the draft orders and proposals."),
        Service(id: "rpl-order-sign", hook: "order-sign", title: "Recurrent pregnancy loss: orders the card does not recommend",
                description: "Before orders are signed: a warning for each draft order the card marks NIET AANBEVOLEN for recurrent pregnancy loss (a thrombophilia panel, progesterone without its indication, …), with a suggestion to remove it, and a note for a draft that repeats an open request."),
        Service(id: "rpl-order-select", hook: "order-select", title: "Recurrent pregnancy loss: a selected order the card does not recommend",
                description: "When an order is selected: the same judgement as rpl-order-sign, for the selected orders only."),
    ]

    static func discovery() -> JSONOut {
        let prefetch = JSONOut.object(Prefetch.templates.map { ($0.key, .string($0.template)) })
        return .object([("services", .array(services.map { s in
            .object([
                ("hook", .string(s.hook)), ("title", .string(s.title)), ("description", .string(s.description)), ("id", .string(s.id)),
                ("prefetch", prefetch),
                ("usageRequirements", .string("The partner's records cannot be prefetched (no context field names him): give fhirServer and fhirAuthorization for them to be read.")),
            ])
        }))])
    }

    /// A request the service cannot answer: its HTTP status and why (said in an OperationOutcome-
    /// free JSON body `{"error": …}`; CDS Hooks defines no error body).
    struct Failure: Error {
        let status: Int
        let message: String
    }

    /// The parts of a hook request the service reads.
    struct Request {
        var hook: String
        var hookInstance: String
        var fhirServer: String?
        var accessToken: String?
        var userId: String
        var patientId: String
        var draftOrders: Range<Int>?
        /// order-select's `context.selections` (REQUIRED there); nil when absent.
        var selections: [String]?
        var prefetch: [(key: String, value: Range<Int>)] = []
    }

    static func parse(_ body: JSONSlices, all: Range<Int>) throws(Failure) -> Request {
        do {
            let top = try body.members(all, expanding: ["prefetch"])
            func str(_ k: String, in m: [(key: String, value: Range<Int>)]) throws -> String? {
                guard let v = m.first(where: { $0.key == k })?.value, !body.isNull(v) else { return nil }
                return try body.string(v)
            }
            guard let hook = try str("hook", in: top), let instance = try str("hookInstance", in: top),
                  let ctxRange = top.first(where: { $0.key == "context" })?.value else {
                throw Failure(status: 400, message: "a hook request needs hook, hookInstance and context")
            }
            let context = try body.members(ctxRange)
            guard let userId = try str("userId", in: context), let patientId = try str("patientId", in: context) else {
                throw Failure(status: 400, message: "context needs userId and patientId")
            }
            var request = Request(hook: hook, hookInstance: instance, fhirServer: try str("fhirServer", in: top), userId: userId, patientId: patientId)
            if let auth = top.first(where: { $0.key == "fhirAuthorization" })?.value, !body.isNull(auth) {
                request.accessToken = try str("access_token", in: try body.members(auth))
            }
            request.draftOrders = context.first { $0.key == "draftOrders" }?.value
            if let sel = context.first(where: { $0.key == "selections" })?.value {
                request.selections = try body.elements(sel).map { try body.string($0) }
            }
            if let p = top.first(where: { $0.key == "prefetch" })?.value, !body.isNull(p) {
                request.prefetch = try body.members(p)
            }
            return request
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(status: 400, message: "the request is not a CDS Hooks request: \(error)")
        }
    }
}
