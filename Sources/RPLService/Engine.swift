import FHIR
import RPLAdapter
import RPLGuideline
import AsyncHTTPClient
import NIOCore
import Logging
import Digests

/// What every route does, apart from HTTP: evaluates exactly as `apply` does (the same Profiles,
/// site settings and ids) and writes the answer. Stateless: any number of copies answer alike.
public struct Engine: Sendable {
    public let adapter: Adapter
    let http: HTTPClient
    let metrics: ServiceMetrics
    let logger: Logger
    /// Without `--auth` (loopback only): a `fhirServer` on loopback may be read for any caller.
    let trusting: Bool
    /// The evaluation date of every request (`serve --as-of`, for replaying recorded requests);
    /// nil: as `apply` without `--as-of` (a Bundle's timestamp, else today).
    let asOf: CalendarDate?
    /// How long reading from `fhirServer` may take in all (interface.md v3: 2 s; `--fetch-deadline`).
    let fetchDeadline: TimeAmount

    public init(adapter: Adapter, http: HTTPClient = Prefetch.client, metrics: ServiceMetrics, logger: Logger, trusting: Bool, asOf: CalendarDate? = nil,
                fetchDeadline: TimeAmount = .seconds(2)) {
        self.asOf = asOf
        self.fetchDeadline = fetchDeadline
        self.adapter = adapter
        self.http = http
        self.metrics = metrics
        self.logger = logger
        self.trusting = trusting
    }

    /// An HTTP answer: status, body, content type, and any further headers.
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var contentType: String
        public var headers: [(name: String, value: String)] = []
        /// Why a request was refused (the error's message), for the log.
        public var reason: String? = nil
    }

    static func json(_ status: Int, _ value: JSONOut) -> Answer {
        Answer(status: status, body: (try? value.bytes()) ?? Array("{}".utf8), contentType: "application/json")
    }

    static func error(_ status: Int, _ message: String) -> Answer {
        var answer = json(status, .object([("error", .string(message))]))
        answer.reason = message
        return answer
    }

    // MARK: CDS Hooks

    /// `POST /cds-services/{id}`.
    public func hook(_ serviceId: String, body bytes: [UInt8], client: TrustedClient?) async -> Answer {
        guard let service = CDSHooks.services.first(where: { $0.id == serviceId }) else { return Self.error(404, "no CDS service \(serviceId)") }
        // The slices point into this copy for the whole request (it awaits the FHIR server).
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { storage.deallocate() }
        _ = storage.initialize(from: bytes)
        let body = JSONSlices(bytes: UnsafeBufferPointer(rebasing: storage[0..<bytes.count]))
        let answer = await hook(service, body, all: Self.afterByteOrderMark(bytes)..<bytes.count, client: client)
        if let reason = answer.reason {
            // An operator sees why an EHR's calls fail: the reason up to its first colon (what
            // follows may quote the request's values, which are patient data).
            logger.notice("cds hook refused", metadata: ["event": "cds.refused", "service": .string(service.id), "status": .stringConvertible(answer.status),
                                                         "reason": .string(String(reason.prefix { $0 != ":" }))])
        }
        return answer
    }

    func hook(_ service: CDSHooks.Service, _ body: JSONSlices, all: Range<Int>, client: TrustedClient?) async -> Answer {
        let request: CDSHooks.Request
        do { request = try CDSHooks.parse(body, all: all) } catch { return Self.error(error.status, error.message) }
        guard request.hook == service.hook else { return Self.error(400, "\(service.id) answers the hook \(service.hook), not \(request.hook)") }
        // CDS Hooks 2.0, order-select: `selections` is REQUIRED (nothing to judge without it).
        if service.hook == "order-select" && request.selections == nil { return Self.error(400, "order-select needs context.selections") }
        // A patient or her proxy viewing the record gets no cards (the card is for clinicians).
        if request.userId.hasPrefix("Patient/") || request.userId.hasPrefix("RelatedPerson/") { return Self.json(200, .object([("cards", .array([]))])) }
        // Checked before anything is fetched.
        if service.hook != "patient-view", request.draftOrders.map(body.isNull) ?? true { return Self.error(400, "\(service.hook) needs context.draftOrders") }
        let source = allowedSource(request, client: client)
        // One deadline for everything read from fhirServer: her prefetch and his records.
        let deadline = NIODeadline.now() + fetchDeadline
        var resources: [Element]
        do {
            resources = try await Prefetch.record(body, prefetch: request.prefetch, patientId: request.patientId, from: source, http: http,
                                                  deadline: deadline)
        } catch let e as Prefetch.Incomplete {
            return Self.error(e.badRequest ? 400 : 412, e.description)
        } catch {
            return Self.error(412, "prefetch could not be completed")
        }
        guard resources.contains(where: { $0.name == "Patient" && $0.string("id") == request.patientId }) else {
            // The client has no such patient (prefetch null, or a read that found nothing).
            return Self.json(200, .object([("cards", .array([]))]))
        }
        let partner = await Prefetch.partnerRecords(resources, patientId: request.patientId, terminology: adapter.profiles.terminology,
                                                    from: source, http: http, deadline: deadline)
        resources += partner.resources
        if let failure = partner.failure {
            // Why the card says his records were not checked (the reason up to its first colon).
            logger.notice("partner records not read", metadata: ["event": "cds.partner-unread", "service": .string(service.id),
                                                                 "reason": .string(String(failure.prefix { $0 != ":" }))])
        }
        var drafts: [String] = [], unread: [String] = []
        if service.hook != "patient-view" {
            guard let range = request.draftOrders else { return Self.error(400, "\(service.hook) needs context.draftOrders") }
            // Each draft on its own: one a reader refuses is said on a card, not the end of the others.
            let entries: [Range<Int>]
            do {
                entries = try body.members(range).first { $0.key == "entry" }.map { try body.elements($0.value) } ?? []
            } catch {
                return Self.error(400, "context.draftOrders is not a Bundle: \(error)")
            }
            for (n, entry) in entries.enumerated() {
                do {
                    guard let r = try body.members(entry).first(where: { $0.key == "resource" })?.value else { continue }
                    let resource = try body.resource(r)
                    resources.append(resource)
                    if let id = resource.string("id") { drafts.append(resource.name + "/" + id) }
                } catch {
                    unread.append("draftOrders.entry[\(n)]: \(error)")
                }
            }
        }
        let input = Element.resource("Bundle", [.primitive("type", "collection")] + resources.map { .complex("entry", [.wrapping("resource", $0)]) })
        let result: Adapter.Result
        do {
            result = try adapter.apply(input, asOf: asOf, form: .suggestions(requester: .complex("requester", [.primitive("reference", request.userId)])),
                                       partnerRecordsChecked: partner.checked)
        } catch {
            return Self.error(422, "the record cannot be evaluated: \(error)")
        }
        let cards: [(card: JSONOut, rule: String)]
        if service.hook == "patient-view" {
            cards = Cards.patientView(result, profiles: adapter.profiles, wording: adapter.wording).map { ($0, RuleID.indication.rawValue) }
        } else {
            let judged = service.hook == "order-select" ? drafts.filter((request.selections ?? []).contains) : drafts
            cards = Cards.orders(result, judged: judged, drafts: Set(drafts), profiles: adapter.profiles, wording: adapter.wording)
                + Cards.unread(unread, profiles: adapter.profiles, wording: adapter.wording).map { ($0, "unread") }
        }
        for c in cards { metrics.card(service: service.id, rule: c.rule) }
        return Self.json(200, .object([("cards", .array(cards.map(\.card)))]))
    }

    /// Where missing prefetch may be read: the request's `fhirServer`, when this client may name
    /// it (its `fhirServers` in the auth file; without auth, a server on loopback).
    func allowedSource(_ request: CDSHooks.Request, client: TrustedClient?) -> Prefetch.Source? {
        guard var server = request.fhirServer else { return nil }
        while server.hasSuffix("/") { server.removeLast() }
        let allowed: Bool
        if let client {
            allowed = client.fhirServers.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.contains(server)
        } else {
            allowed = !trusting && Trust.isLoopbackURL(server)
        }
        return allowed ? Prefetch.Source(fhirServer: server, accessToken: request.accessToken) : nil
    }

    /// Where the JSON text starts: after a UTF-8 byte order mark, ignored as `apply` ignores it
    /// (helper-39's trial: a BOM got 400 here only).
    static func afterByteOrderMark(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBufferPointer(FHIRFormat.byteOrderMarkLength) }

    /// `POST /cds-services/{id}/feedback`: one log line per feedback (never the user's comment),
    /// counted per outcome.
    public func feedback(_ serviceId: String, body bytes: [UInt8]) -> Answer {
        guard CDSHooks.services.contains(where: { $0.id == serviceId }) else { return Self.error(404, "no CDS service \(serviceId)") }
        return bytes.withUnsafeBufferPointer { buffer -> Answer in
            let body = JSONSlices(bytes: buffer)
            do {
                let top = try body.members(Self.afterByteOrderMark(bytes)..<buffer.count)
                guard let list = top.first(where: { $0.key == "feedback" })?.value else { return Self.error(400, "feedback needs a feedback array") }
                // Every item checked before any is counted: a request refused counts nothing.
                var read: [(card: String, outcome: String, reason: String?, accepted: Int)] = []
                for item in try body.elements(list) {
                    let m = try body.members(item)
                    func s(_ k: String) throws -> String? { try m.first { $0.key == k }.map { try body.string($0.value) } }
                    guard let card = try s("card"), let outcome = try s("outcome"), ["accepted", "overridden"].contains(outcome),
                          try s("outcomeTimestamp") != nil else {
                        return Self.error(400, "each feedback needs card, outcome (accepted or overridden) and outcomeTimestamp")
                    }
                    var reason: String?
                    if let r = m.first(where: { $0.key == "overrideReason" })?.value, !body.isNull(r),
                       let coding = try body.members(r).first(where: { $0.key == "reason" })?.value, !body.isNull(coding) {
                        reason = try body.members(coding).first { $0.key == "code" }.map { try body.string($0.value) }
                    }
                    let accepted = try m.first { $0.key == "acceptedSuggestions" }.map { try body.elements($0.value).count } ?? 0
                    // CDS Hooks 2.0, Feedback: acceptedSuggestions is required for `accepted` (found by
                    // helper-39's trial: an accepted outcome naming no suggestion was counted).
                    if outcome == "accepted" && accepted == 0 {
                        return Self.error(400, "an accepted feedback needs acceptedSuggestions (the suggestions taken, by uuid)")
                    }
                    read.append((card, outcome, reason, accepted))
                }
                for f in read {
                    metrics.feedback(service: serviceId, outcome: f.outcome)
                    logger.info("cds feedback", metadata: [
                        "event": "cds.feedback", "service": .string(serviceId), "card": .string(f.card), "outcome": .string(f.outcome),
                        "overrideReason": .string(f.reason ?? ""), "acceptedSuggestions": .stringConvertible(f.accepted),
                    ])
                }
                return Self.json(200, .object([]))
            } catch {
                return Self.error(400, "feedback is not valid JSON: \(error)")
            }
        }
    }

    // MARK: FHIR

    /// The format an answer is written in: `_format`, else `Accept`, else the request's.
    public static func answerFormat(format: String?, accept: String?, request: FHIRFormat?) -> FHIRFormat {
        for v in [format, accept].compactMap({ $0?.lowercased() }) {
            if v.contains("xml") { return .xml }
            if v.contains("json") { return .json }
        }
        return request ?? .json
    }

    func fhir(_ status: Int, _ resource: Element, _ format: FHIRFormat) -> Answer {
        var bytes = (try? format.write(resource, pretty: false)) ?? []
        if format == .json { bytes.append(0x0A) }
        return Answer(status: status, body: bytes, contentType: format == .json ? "application/fhir+json" : "application/fhir+xml")
    }

    func outcome(_ status: Int, _ error: FHIRFormatError, _ format: FHIRFormat) -> Answer {
        fhir(status, OperationOutcome.make([error]), format)
    }

    /// `GET /fhir/metadata`.
    public func metadata(_ format: FHIRFormat) -> Answer {
        let base = adapter.profiles.canonicalBase
        let statement = Element.resource("CapabilityStatement", [
            .primitive("url", base + "/CapabilityStatement/rpl-serve"),
            .primitive("version", Adapter.version),
            .primitive("name", "RPLAdapterServe"),
            .primitive("status", "active"),
            .primitive("date", "2026-12-02"),
            .primitive("kind", "instance"),
            .complex("software", [.primitive("name", "rpl-adapter"), .primitive("version", Adapter.version)]),
            .complex("implementation", [.primitive("description", "rpl-adapter serve: the Dutch adaptation of the ESHRE guideline Recurrent Pregnancy Loss as PlanDefinition/$apply")]),
            .primitive("fhirVersion", "4.0.1"),
            .primitive("format", "json"), .primitive("format", "xml"),
            .complex("rest", [
                .primitive("mode", "server"),
                .complex("resource", [
                    .primitive("type", "PlanDefinition"),
                    .complex("operation", [.primitive("name", "apply"), .primitive("definition", "http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply")]),
                ]),
                .complex("operation", [.primitive("name", "rpl-transaction"), .primitive("definition", base + "/OperationDefinition/rpl-transaction")]),
                .complex("operation", [.primitive("name", "rpl-withdrawals"), .primitive("definition", base + "/OperationDefinition/rpl-withdrawals")]),
            ]),
        ])
        return fhir(200, statement, format)
    }

    /// What `apply` writes for a Bundle: `POST /fhir/$rpl-transaction` answers the transaction
    /// (`withdrawals` false), `POST /fhir/$rpl-withdrawals` the batch withdrawing earlier proposals
    /// that apply writes after it (interface.md v3), or 204 when there is none. The transaction's
    /// answer says when there is one (`RPL-Withdrawals: n`, a `Link` to the operation): one HTTP
    /// answer holds one Bundle, and an integration that only POSTs the transaction would otherwise
    /// keep drafts the new plan no longer makes.
    public func transaction(body: [UInt8], format: String?, accept: String?, withdrawals: Bool = false) -> Answer {
        body.withUnsafeBufferPointer { b -> Answer in
            let sniffed = FHIRFormat.sniff(b) ?? .json
            let out = Self.answerFormat(format: format, accept: accept, request: sniffed)
            var name: String?
            do throws(FHIRFormatError) {
                let bundle: Element
                do throws(FHIRFormatError) {
                    bundle = try Adapter.read(b, as: sniffed, screen: adapter.profiles.observationScreen)
                    if !Adapter.namesItself(bundle) { name = Adapter.inputFallback(b) }
                } catch {
                    name = Adapter.inputFallback(b)
                    throw error
                }
                let result = try adapter.apply(bundle, asOf: asOf, inputFallback: name)
                if withdrawals {
                    guard let batch = result.withdrawals else { return Answer(status: 204, body: [], contentType: "") }
                    return fhir(200, batch, out)
                }
                var answer = fhir(200, result.output, out)
                if let batch = result.withdrawals {
                    answer.headers = [("RPL-Withdrawals", String(batch.children("entry").count)),
                                      ("Link", "<$rpl-withdrawals>; rel=\"related\"")]
                }
                return answer
            } catch {
                return fhir(400, adapter.namingInput(OperationOutcome.make([error]), name ?? "unreadable input"), out)
            }
        }
    }

    /// `POST /fhir/PlanDefinition[/rpl-card]/$apply` (R4 with the CPG IG's `data`): one subject
    /// that resolves inside `data`; the CarePlan with its resources contained.
    public func applyOperation(planDefinition: String?, body: [UInt8], format: String?, accept: String?) -> Answer {
        body.withUnsafeBufferPointer { b -> Answer in
            let sniffed = FHIRFormat.sniff(b) ?? .json
            let out = Self.answerFormat(format: format, accept: accept, request: sniffed)
            let parameters: Element
            do throws(FHIRFormatError) { parameters = try sniffed.read(b) } catch { return outcome(400, error, out) }
            func unprocessable(_ message: String, _ location: String) -> Answer {
                outcome(422, FHIRFormatError(.processing, message, location: location), out)
            }
            guard parameters.name == "Parameters" else { return outcome(400, FHIRFormatError(.invalid, "expected Parameters, got \(parameters.name)", location: parameters.name), out) }
            let params = parameters.children("parameter")
            if planDefinition == nil {
                // Type level: which PlanDefinition, by url or as a resource.
                let url = params.first { $0.string("name") == "url" }?.children.first { $0.name.hasPrefix("value") }?.value
                    ?? params.first { $0.string("name") == "planDefinition" }?.child("resource")?.resource?.string("url")
                guard let url else { return unprocessable("$apply at type level needs url or planDefinition", "Parameters.parameter") }
                guard url.split(separator: "|").first.map(String.init) == adapter.profiles.planDefinitionURL else {
                    return unprocessable("unknown PlanDefinition \(url): this server applies \(adapter.profiles.planDefinitionURL)", "Parameters.parameter")
                }
            }
            // R4 gives the subject as a string; a Reference's `reference` is read the same (found by
            // helper-39's trial: a valueReference was counted as no subject, "given 0").
            let given = params.filter { $0.string("name") == "subject" }
            let subjects = given.compactMap { p in
                p.children.first { $0.name.hasPrefix("value") }.flatMap { $0.name == "valueReference" ? $0.string("reference") : $0.value }
            }
            guard given.count == 1, subjects.count == 1, let subject = subjects.first else {
                return unprocessable(given.count == 1 ? "$apply's subject must name the patient as Patient/<id> (valueString, or a valueReference with a reference)"
                                                      : "$apply needs exactly one subject (given \(given.count))", "Parameters.parameter:subject")
            }
            guard let data = params.first(where: { $0.string("name") == "data" })?.child("resource")?.resource, data.name == "Bundle" else {
                return unprocessable("$apply needs data: a Bundle with the patient's record", "Parameters.parameter:data")
            }
            let parts = subject.split(separator: "/")
            let resolves = parts.count == 2 && parts[0] == "Patient" && data.children("entry").contains { e in
                e.child("resource")?.resource.map { $0.name == "Patient" && $0.string("id") == String(parts[1]) } ?? false
            }
            guard resolves else { return unprocessable("subject \(subject) does not resolve inside data (a Patient with that id)", "Parameters.parameter:subject") }
            do throws(FHIRFormatError) {
                let result = try adapter.apply(data, asOf: asOf, form: .containedCarePlan)
                return fhir(200, result.output, out)
            } catch {
                return outcome(422, error, out)
            }
        }
    }
}
