import FHIR
import RPLGuideline
import Digests

/// Recommendations → FHIR: one transaction Bundle with the Patient, the CarePlan, the
/// ServiceRequests, MedicationRequest proposals, DetectedIssues, RiskAssessment and Provenance
/// (interface.md, v2). Ids are name-based UUIDs of what the plan rests on (interface.md v2,
/// Identity): the patient, the episode (the counted losses), the rule, activity and item, the input
/// resources behind it and the generation; never the evaluation date, the order of the input's
/// entries or its `urn:uuid`s. So the same clinical situation sent again creates nothing new.
///
/// This file holds what every writer shares (ids, references, notes, request entries) and `emit`,
/// which sends each recommendation to its writer: one file per resource type in `Transaction/`.
struct PlanEmitter {
    let input: InputBundle
    let identities: Identities
    let profiles: Profiles
    var site: SiteSettings
    let patient: Int
    let date: CalendarDate
    let version: String
    var form = PlanForm.transaction
    /// The language of every text a clinician reads (issue 19); operators' messages stay English.
    var wording = Wording.builtInEnglish
    /// What the output answers (Bundle.identifier): the input Bundle's identity.
    let inputName: String

    var patientIdentity: String { identities.of(patient) }

    /// A name-based UUID of `key=value` parts joined by `|` (interface.md v2).
    func uuid(_ parts: [(String, String)]) -> String {
        DeterministicID.uuid(parts)
    }

    /// Input resources in the order of their identities, then their names (two records can mean
    /// the same, e.g. a Synthea condition recorded twice): never the order of the input's entries.
    // Called in closures, never passed by name (`sorted(by: inIdentityOrder)`): a method passed
    // as a value takes a copy of the whole emitter, each of its references retained and released,
    // on every call (issue 20: a fiftieth of a CDS request's CPU).
    func inIdentityOrder(_ a: Source, _ b: Source) -> Bool {
        identities.order(a.index) < identities.order(b.index)
    }

    /// The sorted identities of input resources, comma separated.
    func identityList(_ sources: [Source]) -> String {
        // interface.md v3: a sorted multiset: two resources with the same identity (two undated
        // losses recorded at one intake) are two, one resource named twice is one.
        Set(sources.map(\.index)).map { personOrIdentity($0) }.sorted().joined(separator: ",")
    }

    /// A person other than her is one identity however the record holds him: a Patient of his
    /// own is named as his RelatedPerson is (helper-39's trial: the partner's karyotype order took
    /// another id when his Patient was found on the server, so a resend would have made two).
    func personOrIdentity(_ index: Int) -> String {
        let item = input.items[index]
        if item.type == "Patient", index != patient, item.container == nil, let key = identities.personIdentifier(index) {
            return "RelatedPerson?identifier=" + key
        }
        return identities.of(index)
    }

    /// An input resource as the output names it (literal, by identifier, else a display that
    /// names it by a stable name).
    func reference(_ name: String, _ index: Int) -> Element {
        var r = input.outputReference(index)
        r.name = name
        if r.child("reference") == nil && r.child("identifier") == nil && input.items[index].container == nil {
            r.children = [.primitive("display", text("\(record: identities.name(index)) in the input Bundle"))]
        }
        return r
    }

    static let title: Phrase = "Recurrent pregnancy loss: work-up and treatment plan (Dutch adaptation of the ESHRE guideline)"

    /// A phrase in the output's language, with the card's rejected term rewritten (RPL-TERM).
    func text(_ phrase: Phrase) -> String { wording.text(phrase) }

    /// What every generated text says of its rule, built here only: the rule id, the card line in
    /// Dutch (`label`: "card", or "card (NIET AANBEVOLEN)" on a flag), its English rendering (left
    /// out on a plan note, where the Dutch stands alone beside the notes' own words), and `then`.
    func cardText(_ rec: Recommendation, label: Phrase = "card", english: Bool = true, then: Phrase? = nil) -> String {
        let line = rec.cardLine
        // The card's English rendering only in English: in Dutch the card's own words stand alone.
        let rendered = english && wording.language == .en ? " (\(line.english))" : ""
        return rplTerm("\(rec.ruleId) — \(text(label)): \(line.quoted)\(rendered)" + (then.map { text($0) } ?? " — " + text(rec.reason)))
    }

    /// The note every generated resource carries: rule id, card line in Dutch and English, and
    /// what was found.
    func note(_ rec: Recommendation) -> Element {
        .complex("note", [.primitive("text", cardText(rec))])
    }

    func identifier(_ uuid: String) -> Element {
        .complex("identifier", [.primitive("system", profiles.identifierSystem), .primitive("value", "urn:uuid:" + uuid)])
    }

    /// A request, DetectedIssue or RiskAssessment: created once (`POST` + `ifNoneExist`: an order,
    /// once created, is never overwritten: a clinician may have signed or cancelled it), or `PUT`.
    func entry(_ uuid: String, _ resource: Element) -> Element {
        let request = self.request(resource.name, uuid, conditional: ("POST", resource.name, "identifier=\(profiles.identifierSystem)|urn:uuid:\(uuid)"))
        return .complex("entry", [.primitive("fullUrl", "urn:uuid:" + uuid), .wrapping("resource", resource), request])
    }

    /// How the transaction asks the server to store a resource, decided here once for the site's
    /// request style (interface.md v2): its conditional form, or `PUT <type>/<id>`.
    func request(_ type: String, _ id: String, conditional: (method: String, url: String, ifNoneExist: String?)) -> Element {
        switch site.requestStyle {
        case .conditional:
            return .complex("request", [.primitive("method", conditional.method), .primitive("url", conditional.url)]
                + (conditional.ifNoneExist.map { [.primitive("ifNoneExist", $0)] } ?? []))
        case .put:
            return .complex("request", [.primitive("method", "PUT"), .primitive("url", type + "/" + id)])
        }
    }

    /// The codings of an ActivityDefinition (its `code`, or `productCodeableConcept`), plus for one
    /// antiphospholipid test the code of that test.
    func concept(_ activityId: ActivityID, item: String?) -> Element {
        let ad = profiles.activityDefinition(activityId)
        var concept = ad?.child("code") ?? ad?.child("productCodeableConcept") ?? .complex("code", [])
        if let item, ad != nil {
            for entry in profiles.catalogue.items(of: activityId) where entry.item == item {
                guard var coding = entry.coding else { continue }
                coding.name = "coding"
                concept.children.insert(coding, at: 0)
                concept.children.removeAll { $0.name == "text" }
                concept.children.append(.primitive("text", entry.text))
            }
        }
        return localised(concept)
    }

    /// A CodeableConcept of the catalogue in the output's language: its text, and the displays
    /// of the project's own codings (CodeSystem rpl-activity); the other code systems' displays
    /// are theirs, in English (LOINC, SNOMED CT, ATC).
    func localised(_ concept: Element) -> Element {
        var c = concept
        for i in c.children.indices {
            if c.children[i].name == "text", let v = c.children[i].value {
                c.children[i].value = text(Phrase(template: v))
            } else if c.children[i].name == "coding", c.children[i].string("system") == profiles.activitySystem,
                      let d = c.children[i].children.firstIndex(where: { $0.name == "display" }), let v = c.children[i].children[d].value {
                c.children[i].children[d].value = text(Phrase(template: v))
            }
        }
        return c
    }

    /// The input resources behind a recommendation that the receiving server can resolve (a
    /// literal reference, or one by identifier), and the names of those it cannot (said in the
    /// note instead: never a bare display as a reasonReference).
    /// What R4 lets a `reasonReference` point at: a ServiceRequest's and a CarePlan activity's
    /// (Condition, Observation, DiagnosticReport, DocumentReference), a MedicationRequest's
    /// (Condition, Observation).
    static let reasonTargets: Set<String> = ["Condition", "Observation", "DiagnosticReport", "DocumentReference"]
    static let medicationReasonTargets: Set<String> = ["Condition", "Observation"]

    /// `unnamed`: the input resources it cannot refer to by a server id or an identifier; `other`:
    /// those whose type R4 does not allow there (a stale medication record, a family history, a
    /// procedure: found by helper-34's review, a MedicationStatement as a MedicationRequest's
    /// reason), named in the text instead.
    func reasons(_ rec: Recommendation, allowed: Set<String> = reasonTargets) -> (references: [Element], unnamed: [String], other: [String]) {
        var references: [Element] = [], unnamed: [String] = [], other: [String] = []
        // In the order of the identities, not of the input's entries.
        for source in rec.sources.sorted(by: { inIdentityOrder($0, $1) }) {
            // A contained resource is referred to through its container (`outputReference`): the
            // container's type is what the reference names (a loss contained in an Encounter).
            var target = source.index
            while let container = input.items[target].container { target = container }
            guard allowed.contains(input.items[target].type) else {
                other.append(identities.name(source.index))
                continue
            }
            let r = reference("reasonReference", source.index)
            if r.child("reference") != nil || r.child("identifier") != nil { references.append(r) } else { unnamed.append(identities.name(source.index)) }
        }
        return (references, unnamed.sorted(), other)
    }

    /// What a text adds for the input resources that are no reasonReference of its resource.
    func basis(unnamed: [String], other: [String]) -> String {
        var said: [String] = []
        if !other.isEmpty { said.append(text("Also based on: \(record: other.joined(separator: ", ")).")) }
        if !unnamed.isEmpty { said.append(text("Based on: \(record: unnamed.joined(separator: ", ")) (in the input, with no server id or identifier to refer to).")) }
        return said.map { " " + $0 }.joined()
    }

    /// The note, with the input resources that could not be referenced named in it.
    func note(_ rec: Recommendation, unnamed: [String], other: [String] = []) -> Element {
        var n = note(rec)
        guard !unnamed.isEmpty || !other.isEmpty, let i = n.children.firstIndex(where: { $0.name == "text" }) else { return n }
        n.children[i].value = (n.children[i].value ?? "") + basis(unnamed: unnamed, other: other)
        return n
    }

    /// The plan's recommendations in the order they are written: the card's order, and within
    /// one rule the order of what each rests on (its inputs' identities), never the input's entry
    /// order. Each with its inputs' identity list.
    func ordered(_ plan: Plan) -> [(rec: Recommendation, inputs: String)] {
        plan.recommendations.enumerated().map { (offset: $0.offset, rec: $0.element, inputs: identityList($0.element.sources)) }
            .sorted { a, b in
                let oa = Card.order(a.rec.ruleId), ob = Card.order(b.rec.ruleId)
                if oa != ob { return oa < ob }
                if a.rec.kind == .order && b.rec.kind == .order && a.rec.ruleId == b.rec.ruleId { return a.offset < b.offset }
                if (a.rec.item ?? "", a.inputs) != (b.rec.item ?? "", b.inputs) { return (a.rec.item ?? "", a.inputs) < (b.rec.item ?? "", b.inputs) }
                // Requests of one meaning (two thrombophilia tests are one concept, interface.md
                // v3) flagged or noted one by one: by what is said of each, not the order of the
                // entries (found by the metamorphic tests on the third clinical audit's records).
                // Then by the names of what each is about (two requests of one meaning and one
                // wording). A rule's own proposals keep the order it gives (and come first).
                func key(_ x: (offset: Int, rec: Recommendation, inputs: String)) -> (Int, String, String, Int) {
                    x.rec.kind == .flag || x.rec.kind == .note ? (1, x.rec.reason.description, sourceNames(x.rec), x.offset) : (0, "", "", x.offset)
                }
                return key(a) < key(b)
            }
            .map { ($0.rec, $0.inputs) }
    }

    /// What a written resource's id is made of (interface.md v2, Identity).
    func idParts(_ rec: Recommendation, inputs: String, episode: String) -> [(String, String)] {
        [("patient", patientIdentity), ("episode", episode), ("rule", rec.ruleId.rawValue),
         ("activity", rec.activityId?.rawValue ?? ""), ("item", rec.item ?? ""), ("inputs", inputs),
         ("generation", String(rec.generation))]
    }

    /// The names of the input resources a recommendation rests on (`Type/id`, else its identity),
    /// sorted: what tells apart two written for inputs of one identity.
    func sourceNames(_ rec: Recommendation) -> String {
        Set(rec.sources.map(\.index)).map { identities.name($0) }.sorted().joined(separator: ",")
    }

    /// The plan written in the emitter's form, with the recommendations in the order written
    /// (what `Result.plan` holds: sorted once, here).
    func emit(_ plan: Plan, warnings: [Phrase]) -> (output: Element, orderSet: OrderSet, written: [Written], order: [Recommendation]) {
        var out = Emission()
        out.orderSet.patient = OrderSet.Person(input.items[patient].resource)
        out.orderSet.date = date
        let episode = identityList(plan.addresses)
        let carePlanId = uuid([("patient", patientIdentity), ("episode", episode), ("resource", "CarePlan")])
        let requisition = uuid([("patient", patientIdentity), ("episode", episode), ("requisition", "laboratory")])
        let authored = date.description
        let run = Run(episode: episode, carePlanId: carePlanId, requisition: requisition, authored: authored,
                      planReference: form.planReference(carePlanId))

        let order = ordered(plan)
        // Resources written for inputs of one identity (two thrombophilia requests of one day,
        // both flagged) had one id: one fullUrl twice in the transaction. Each of those is named by
        // what it rests on (found by the third clinical audit's records): every one of them, so an
        // id never passes from one request's flag to another's when a third such request comes or
        // goes, and none keeps the shared id. Advice and notes have no id.
        let keyed = order.map { (rec: $0.rec, inputs: $0.inputs, id: uuid(idParts($0.rec, inputs: $0.inputs, episode: episode))) }
        var uses: [String: Int] = [:]
        for k in keyed where k.rec.kind != .note && k.rec.kind != .advice { uses[k.id, default: 0] += 1 }
        var named = Set<String>()
        for (rec, inputs, shared) in keyed {
            var id = shared
            if uses[shared, default: 0] > 1 {
                let parts = idParts(rec, inputs: inputs, episode: episode) + [("sources", sourceNames(rec))]
                id = uuid(parts)
                // The same names twice (one resource written twice for one rule): numbered.
                var occurrence = 1
                while !named.insert(id).inserted {
                    occurrence += 1
                    id = uuid(parts + [("occurrence", String(occurrence))])
                }
            }
            switch rec.action {
            case .order(let activityId, let item, let notBefore): serviceRequest(rec, id: id, activityId: activityId, item: item, notBefore: notBefore, run, &out)
            case .medication(let activityId, let until): medicationRequest(rec, id: id, activityId: activityId, until: until, run, &out)
            case .advice(let activityId, _): advice(rec, activityId: activityId, &out)
            case .flag: detectedIssue(rec, id: id, run, &out)
            case .prognosis(let probability): prognosis(rec, id: id, probability: probability, run, &out)
            case .note:
                out.notes.append(.complex("note", [.primitive("text", cardText(rec, english: false))]))
            }
        }
        switch form {
        case .transaction: return (bundle(plan, warnings: warnings, run, out), out.orderSet, out.written, order.map(\.rec))
        case .containedCarePlan: return (containedCarePlan(plan, warnings: warnings, run, out), out.orderSet, out.written, order.map(\.rec))
        // The suggestions are the written resources themselves (`written`); the card says the
        // plan, so no plan resource is made.
        case .suggestions: return (.resource("Bundle", [.primitive("type", "collection")]), out.orderSet, out.written, order.map(\.rec))
        }
    }

    /// What one plan's writing shares: the episode, the plan's and the requisition's ids, the day.
    struct Run {
        var episode: String
        var carePlanId: String
        var requisition: String
        var authored: String
        /// How the plan's resources name the plan (`basedOn`): its `urn:uuid` in a transaction,
        /// `#` (the container) when they are contained in it, nothing in a suggestion (the client
        /// has no such plan).
        var planReference: String?
    }

    func basedOn(_ run: Run) -> [Element] {
        run.planReference.map { [.complex("basedOn", [.primitive("reference", $0)])] } ?? []
    }

    /// What the writers of one plan collect: the resources written (in the plan's order), the
    /// plan's activities and notes, the partner's Patient entries, the typed order set.
    struct Emission {
        var written: [Written] = []
        var activities: [Element] = []
        var notes: [Element] = []
        var partnerEntries: [Element] = []
        /// The signed laboratory orders, typed, for the HL7 v2 writer.
        var orderSet = OrderSet()

        /// A resource a recommendation gave; a request is also an activity of the plan.
        mutating func write(_ rec: Recommendation, id: String, _ resource: Element, activity: Bool, implicated: String? = nil) {
            written.append(Written(recommendation: rec, id: id, resource: resource, implicated: implicated))
            if activity { activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "urn:uuid:" + id)])])) }
        }
    }
}

/// How the plan is written: a transaction for a FHIR server (`apply`, `$rpl-transaction`), or one
/// CarePlan with its resources contained (`PlanDefinition/$apply`, interface.md v3 `serve`).
public enum PlanForm: Sendable, Equatable {
    case transaction
    case containedCarePlan
    /// CDS Hooks suggestions (interface.md v3, serve): each request on its own, to be created in
    /// the client's record; orders the site would sign stay drafts, with `requester` (the
    /// hook's `context.userId`) as their requester.
    case suggestions(requester: Element)

    var isSuggestion: Bool { if case .suggestions = self { true } else { false } }

    func planReference(_ carePlanId: String) -> String? {
        switch self {
        case .transaction: "urn:uuid:" + carePlanId
        case .containedCarePlan: "#"
        case .suggestions: nil
        }
    }
}

/// A resource the plan's writers made for one recommendation (a request, a flag, the prognosis),
/// with its id: what a writer beside the transaction (CDS Hooks cards) reads, never the output back.
public struct Written: Sendable {
    public var recommendation: Recommendation
    /// Its name-based id (identity from meaning, interface.md v3).
    public var id: String
    public var resource: Element
    /// For a flag: the input request it flags, as `Type/id`, where the input gave it a server id.
    public var implicated: String?
}

/// A request the input already holds for an activity of the card (open: draft, active, on hold),
/// as `Type/id` where the input gave it a server id: what `order-sign` compares drafts with.
public struct Requested: Sendable, Hashable {
    public var reference: String?
    public var activity: ActivityID
    public var item: String?
}
