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
    let site: SiteSettings
    let patient: Int
    let date: CalendarDate
    let version: String
    /// What the output answers (Bundle.identifier): the input Bundle's identity.
    let inputName: String

    var patientIdentity: String { identities.of(patient) }

    /// A name-based UUID of `key=value` parts joined by `|` (interface.md v2).
    func uuid(_ parts: [(String, String)]) -> String {
        DeterministicID.uuid(parts.map { $0.0 + "=" + $0.1 }.joined(separator: "|"))
    }

    /// Input resources in the order of their identities, then their names (two records can mean
    /// the same, e.g. a Synthea condition recorded twice): never the order of the input's entries.
    func inIdentityOrder(_ a: Source, _ b: Source) -> Bool {
        (identities.of(a.index), identities.name(a.index)) < (identities.of(b.index), identities.name(b.index))
    }

    /// The sorted identities of input resources, comma separated.
    func identityList(_ sources: [Source]) -> String {
        // interface.md v3: a sorted multiset: two resources with the same identity (two undated
        // losses recorded at one intake) are two, one resource named twice is one.
        Set(sources.map(\.index)).map { identities.of($0) }.sorted().joined(separator: ",")
    }

    /// An input resource as the output names it (literal, by identifier, else a display that
    /// names it by a stable name).
    func reference(_ name: String, _ index: Int) -> Element {
        var r = input.outputReference(index)
        r.name = name
        if r.child("reference") == nil && r.child("identifier") == nil && input.items[index].container == nil {
            r.children = [.primitive("display", identities.name(index) + " in the input Bundle")]
        }
        return r
    }

    /// The note every generated resource carries: rule id, card line in Dutch and English, and
    /// what was found.
    func note(_ rec: Recommendation) -> Element {
        let line = rec.cardLine
        return .complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \(line.quoted) (\(line.english)) — \(rec.reason)"))])
    }

    func identifier(_ uuid: String) -> Element {
        .complex("identifier", [.primitive("system", profiles.identifierSystem), .primitive("value", "urn:uuid:" + uuid)])
    }

    /// A request, DetectedIssue or RiskAssessment: created once (`POST` + `ifNoneExist`: an order,
    /// once created, is never overwritten: a clinician may have signed or cancelled it), or `PUT`.
    func entry(_ uuid: String, _ resource: Element) -> Element {
        let request: Element
        switch site.requestStyle {
        case .conditional:
            request = .complex("request", [.primitive("method", "POST"), .primitive("url", resource.name),
                                           .primitive("ifNoneExist", "identifier=\(profiles.identifierSystem)|urn:uuid:\(uuid)")])
        case .put:
            request = .complex("request", [.primitive("method", "PUT"), .primitive("url", resource.name + "/" + uuid)])
        }
        return .complex("entry", [.primitive("fullUrl", "urn:uuid:" + uuid), .wrapping("resource", resource), request])
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
        return concept
    }

    /// The input resources behind a recommendation that the receiving server can resolve (a
    /// literal reference, or one by identifier), and the names of those it cannot (said in the
    /// note instead: never a bare display as a reasonReference).
    func reasons(_ rec: Recommendation) -> (references: [Element], unnamed: [String]) {
        var references: [Element] = [], unnamed: [String] = []
        // In the order of the identities, not of the input's entries.
        for source in rec.sources.sorted(by: inIdentityOrder) {
            let r = reference("reasonReference", source.index)
            if r.child("reference") != nil || r.child("identifier") != nil { references.append(r) } else { unnamed.append(identities.name(source.index)) }
        }
        return (references, unnamed.sorted())
    }

    /// The note, with the input resources that could not be referenced named in it.
    func note(_ rec: Recommendation, unnamed: [String]) -> Element {
        var n = note(rec)
        guard !unnamed.isEmpty, let i = n.children.firstIndex(where: { $0.name == "text" }) else { return n }
        n.children[i].value = (n.children[i].value ?? "") + " Based on: " + unnamed.joined(separator: ", ") + " (in the input, with no server id or identifier to refer to)."
        return n
    }

    func emit(_ plan: Plan, warnings: [String]) -> (output: Element, orderSet: OrderSet) {
        var out = Emission()
        out.orderSet.patient = OrderSet.Person(input.items[patient].resource)
        out.orderSet.date = date
        let episode = identityList(plan.addresses)
        let carePlanId = uuid([("patient", patientIdentity), ("episode", episode), ("resource", "CarePlan")])
        let requisition = uuid([("patient", patientIdentity), ("episode", episode), ("requisition", "laboratory")])
        let authored = date.description
        let run = Run(episode: episode, carePlanId: carePlanId, requisition: requisition, authored: authored)

        // Within one rule, in the order of what each rests on (not the input's entry order).
        let ordered = plan.recommendations.enumerated().map { (offset: $0.offset, rec: $0.element, inputs: identityList($0.element.sources)) }
            .sorted { a, b in
                let oa = Card.order(a.rec.ruleId), ob = Card.order(b.rec.ruleId)
                if oa != ob { return oa < ob }
                if a.rec.kind == .order && b.rec.kind == .order && a.rec.ruleId == b.rec.ruleId { return a.offset < b.offset }
                return (a.rec.item ?? "", a.inputs, a.offset) < (b.rec.item ?? "", b.inputs, b.offset)
            }
        for (_, rec, inputs) in ordered {
            let id = uuid([("patient", patientIdentity), ("episode", episode), ("rule", rec.ruleId.rawValue),
                           ("activity", rec.activityId?.rawValue ?? ""), ("item", rec.item ?? ""), ("inputs", inputs),
                           ("generation", String(rec.generation))])
            switch rec.action {
            case .order(let activityId, let item, let notBefore): serviceRequest(rec, id: id, activityId: activityId, item: item, notBefore: notBefore, run, &out)
            case .medication(let activityId, let until): medicationRequest(rec, id: id, activityId: activityId, until: until, run, &out)
            case .advice(let activityId, _): advice(rec, activityId: activityId, &out)
            case .flag: detectedIssue(rec, id: id, run, &out)
            case .prognosis(let probability): prognosis(rec, id: id, probability: probability, run, &out)
            case .note:
                let line = rec.cardLine
                        out.notes.append(.complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \(line.quoted) — \(rec.reason)"))]))
            }
        }
        return (bundle(plan, warnings: warnings, run, out), out.orderSet)
    }

    /// What one plan's writing shares: the episode, the plan's and the requisition's ids, the day.
    struct Run {
        var episode: String
        var carePlanId: String
        var requisition: String
        var authored: String
    }

    /// What the writers of one plan collect: the request entries, the plan's activities and notes,
    /// the ids made (for the Provenance), the partner's Patient entries.
    struct Emission {
        var entries: [Element] = []
        var activities: [Element] = []
        var notes: [Element] = []
        var generated: [String] = []
        var partnerEntries: [Element] = []
        /// The signed laboratory orders, typed, for the HL7 v2 writer.
        var orderSet = OrderSet()
    }
}
