import FHIR
import RPLGuideline
import Digests

/// Recommendations → FHIR: one transaction Bundle with the Patient, the CarePlan, the
/// ServiceRequests, MedicationRequest proposals, DetectedIssues, RiskAssessment and Provenance
/// (interface.md, v2). Ids are name-based UUIDs of what the plan rests on (interface.md v2,
/// Identity): the patient, the episode (the counted losses), the rule, activity and item, the input
/// resources behind it and the generation; never the evaluation date, the order of the input's
/// entries or its `urn:uuid`s. So the same clinical situation sent again creates nothing new.
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

    /// The patient as the transaction carries her (interface.md v2: the lab receives name, birth
    /// date and sex): a conditional create on her identifier; none where the input gave a server
    /// id (then the reference is `Patient/<id>`) or no identifier.
    var patientEntry: Element? { personEntry(patient) }

    /// A person (the patient, or the partner a karyotyping order names) as a Patient entry.
    func personEntry(_ index: Int) -> Element? {
        let p = input.items[index].resource
        guard !(p.name == "Patient" && input.serverId(index) != nil) else { return nil }
        // interface.md v3: the person by her identity (her BSN wherever it stands), never the
        // first identifier by position.
        guard let identity = identities.personIdentifier(index) else { return nil }
        let keep: Set<String> = ["identifier", "active", "name", "telecom", "gender", "birthDate", "address"]
        let id = uuid([("patient", identities.of(index)), ("resource", "Patient")])
        // Element ids of the input (`_given: [{"id": …}]`) mean nothing in another system: dropped;
        // extensions (Dutch name parts) are kept.
        func withoutElementIds(_ e: Element) -> Element {
            var e = e
            e.children = e.children.filter { !(e.value != nil && $0.name == "id") }.map(withoutElementIds)
            return e
        }
        // Identifiers as one spelling, sorted (the identity first): their order and OID spellings
        // in the record change nothing.
        func canonicalIdentifier(_ e: Element) -> Element {
            // system, value and use: what identifies (a type's codes and words are the sender's).
            var e = withoutElementIds(e)
            e.children = e.children.filter { ["use", "system", "value"].contains($0.name) }
            for i in e.children.indices where e.children[i].name == "system" || e.children[i].name == "value" {
                if let v = e.children[i].value { e.children[i].value = e.children[i].name == "system" ? Terminology.canonicalSystem(v) : Terminology.trimmed(v) }
            }
            return e
        }
        let identifiers = p.children("identifier").map(canonicalIdentifier).sorted { a, b in
            let ka = identities.identifierKey(a) ?? "~", kb = identities.identifierKey(b) ?? "~"
            return ((ka == identity ? 0 : 1), ka) < ((kb == identity ? 0 : 1), kb)
        }
        // Extensions on an address (Synthea's geolocation) are not the lab's business.
        var kept = p.children.filter { keep.contains($0.name) && $0.name != "identifier" }.map(withoutElementIds).map { e in
            var e = e
            if e.name == "address" { e.children.removeAll { $0.name == "extension" } }
            return e
        }
        kept.insert(contentsOf: identifiers, at: 0)
        let resource = Element.resource("Patient", [.primitive("id", id)] + kept)
        let request: Element
        switch site.requestStyle {
        case .conditional:
            request = .complex("request", [.primitive("method", "POST"), .primitive("url", "Patient"),
                                           .primitive("ifNoneExist", "identifier=" + identity)])
        case .put:
            request = .complex("request", [.primitive("method", "PUT"), .primitive("url", "Patient/" + id)])
        }
        return .complex("entry", [.primitive("fullUrl", "urn:uuid:" + id), .wrapping("resource", resource), request])
    }

    var subject: Element { subject(patient) }

    /// How an order names its person: the Patient entry made for them, their server id, else a display.
    func subject(_ index: Int) -> Element {
        if let entry = personEntry(index), let url = entry.string("fullUrl") { return .complex("subject", [.primitive("reference", url)]) }
        return reference("subject", index)
    }

    /// The partner a recommendation is for (the last of its sources that is not the patient's: the
    /// rule adds him last).
    func partnerIndex(_ rec: Recommendation) -> Int? {
        guard rec.forPartner else { return nil }
        return rec.sources.map(\.index).last { ["RelatedPerson", "Patient"].contains(input.items[$0].type) && $0 != patient }
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

    /// The SNOMED code of an ActivityDefinition's request category.
    func categoryCode(_ activityId: ActivityID) -> String? {
        category(activityId)?.children("coding").first?.string("code")
    }

    static let laboratory = "108252007", imaging = "363679005"

    /// interface.md v2, who signs: with a requester configured, laboratory and imaging orders for
    /// the patient are signed orders; karyotyping (it needs consent), medications, referrals and
    /// anything for the partner stay proposals, as does everything when no requester is configured.
    func signed(_ activityId: ActivityID) -> Bool {
        guard site.requester != nil, let category = categoryCode(activityId) else { return false }
        return (category == Self.laboratory || category == Self.imaging) && activityId != .parentalKaryotyping
    }

    /// reasonCode of every generated ServiceRequest (interface.md v2).
    static let reasonCode = Element.complex("reasonCode", [
        .complex("coding", [.primitive("system", "http://snomed.info/sct"), .primitive("code", "102878001"), .primitive("display", "Recurrent miscarriage")]),
    ])

    func category(_ activityId: ActivityID) -> Element? {
        guard let ext = profiles.activityDefinition(activityId)?.children("extension")
            .first(where: { $0.string("url")?.hasSuffix("/request-category") == true }),
              var c = ext.child("valueCodeableConcept") else { return nil }
        c.name = "category"
        return c
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

    /// The transaction: the patient's and partner's entries, the CarePlan (its addresses,
    /// activities and notes), the requests, and the Provenance that covers them.
    func bundle(_ plan: Plan, warnings: [String], _ run: Run, _ emitted: Emission) -> Element {
        var out = emitted
        let carePlanId = run.carePlanId, authored = run.authored
        out.notes.append(.complex("note", [.primitive("text", rplTerm(plan.riskFactors))]))
        for n in plan.notes { out.notes.append(.complex("note", [.primitive("text", rplTerm(n))])) }
        // Sorted: the same input sent with its out.entries in another order gives the same plan.
        for w in warnings.sorted() { out.notes.append(.complex("note", [.primitive("text", rplTerm("Input warning: " + w))])) }

        var carePlan: [Element] = [
            .primitive("id", carePlanId),
            identifier(carePlanId),
            .primitive("instantiatesCanonical", profiles.planDefinitionURL),
            .primitive("status", "active"),
            .primitive("intent", "plan"),
            .primitive("title", "Recurrent pregnancy loss: work-up and treatment plan (Dutch adaptation of the ESHRE guideline)"),
            .primitive("description", rplTerm(plan.indication + ". " + Card.source)),
            subject,
            .primitive("created", authored),
        ]
        // R4: CarePlan.addresses is Reference(Condition): the loss Conditions only (a curettage
        // or a count Observation is evidence the plan names in its out.notes, not a problem it addresses).
        carePlan += plan.addresses.filter { input.items[$0.index].type == "Condition" }.sorted(by: inIdentityOrder).map { reference("addresses", $0.index) }
        carePlan += out.activities
        carePlan += out.notes
        // The one plan of this patient and episode: a re-evaluation updates it.
        let carePlanRequest: Element
        switch site.requestStyle {
        case .conditional:
            carePlanRequest = .complex("request", [.primitive("method", "PUT"),
                                                   .primitive("url", "CarePlan?identifier=\(profiles.identifierSystem)|urn:uuid:\(carePlanId)")])
        case .put:
            carePlanRequest = .complex("request", [.primitive("method", "PUT"), .primitive("url", "CarePlan/" + carePlanId)])
        }
        var all = (patientEntry.map { [$0] } ?? []) + out.partnerEntries
            + [.complex("entry", [.primitive("fullUrl", "urn:uuid:" + carePlanId), .wrapping("resource", .resource("CarePlan", carePlan)), carePlanRequest])]
            + out.entries
        out.generated.insert(carePlanId, at: 0)
        let bundleIdentifier = Element.complex("identifier", [.primitive("system", profiles.canonicalBase + "/input"), .primitive("value", inputName)])
        guard site.provenance else { return .resource("Bundle", [bundleIdentifier, .primitive("type", "transaction")] + all) }

        all.append(provenance(plan, generated: out.generated, run))
        return .resource("Bundle", [bundleIdentifier, .primitive("type", "transaction")] + all)
    }

    /// The Provenance entry: the input resources used, the generated resources, the program. R4
    /// Provenance has no identifier: a PUT with an id made of what it covers.
    func provenance(_ plan: Plan, generated: [String], _ run: Run) -> Element {
        let used = Set(plan.recommendations.flatMap(\.sources) + [Source(patient)]).sorted(by: inIdentityOrder)
        let provenanceId = uuid([("careplan", run.carePlanId), ("covers", generated.sorted().joined(separator: ","))])
        var provenance: [Element] = [.primitive("id", provenanceId)]
        provenance += generated.map { .complex("target", [.primitive("reference", "urn:uuid:" + $0)]) }
        provenance += [
            .primitive("recorded", run.authored + "T00:00:00Z"),
            .primitive("policy", profiles.planDefinitionURL),
            .complex("agent", [
                .complex("type", [.complex("coding", [
                    .primitive("system", "http://terminology.hl7.org/CodeSystem/provenance-participant-type"),
                    .primitive("code", "assembler")])]),
                .complex("who", [.primitive("display", "rpl-adapter \(version)")]),
            ]),
        ]
        provenance += used.map { .complex("entity", [.primitive("role", "source"), reference("what", $0.index)]) }
        return .complex("entry", [
            .primitive("fullUrl", "urn:uuid:" + provenanceId),
            .wrapping("resource", .resource("Provenance", provenance)),
            .complex("request", [.primitive("method", "PUT"), .primitive("url", "Provenance/" + provenanceId)]),
        ])
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

    /// An order: a ServiceRequest (signed or a proposal, on the laboratory requisition, for the
    /// patient or her partner).
    func serviceRequest(_ rec: Recommendation, id: String, activityId: ActivityID, item: String?, notBefore: CalendarDate?, _ run: Run, _ out: inout Emission) {
        var children: [Element] = [
            .primitive("id", id),
            identifier(id),
            .primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)),
            .complex("basedOn", [.primitive("reference", "urn:uuid:" + run.carePlanId)]),
        ]
        let partner = partnerIndex(rec)
        // interface.md v2: the laboratory orders of one person in one run share one requisition.
        if categoryCode(activityId) == Self.laboratory {
            let value = partner.map { uuid([("patient", identities.of($0)), ("episode", run.episode), ("requisition", "laboratory")]) } ?? run.requisition
            children.append(.complex("requisition", [.primitive("system", profiles.identifierSystem), .primitive("value", "urn:uuid:" + value)]))
        }
        // Anything for the partner stays a proposal.
        let isSigned = partner == nil && signed(activityId)
        children += [.primitive("status", isSigned ? "active" : "draft"), .primitive("intent", isSigned ? "order" : "proposal")]
        if let c = category(activityId) { children.append(c) }
        children.append(.primitive("priority", "routine"))
        var code = concept(activityId, item: item)
        code.name = "code"
        children.append(code)
        if let partner {
            children.append(subject(partner))
            if let e = personEntry(partner), !out.partnerEntries.contains(e) { out.partnerEntries.append(e) }
        } else {
            children.append(subject)
        }
        if let due = notBefore {
            children.append(.complex("occurrencePeriod", [.primitive("start", due.description)]))
        }
        children.append(.primitive("authoredOn", run.authored))
        if isSigned, let requester = site.requester { children.append(requester) }
        if let category = categoryCode(activityId), var performer = site.performers[category] {
            performer.name = "performer"
            children.append(performer)
        }
        children.append(Self.reasonCode)
        let (references, unnamed) = reasons(rec)
        children += references
        let noted = note(rec, unnamed: unnamed)
        children.append(noted)
        if isSigned && categoryCode(activityId) == Self.laboratory {
            // What a lab acts on, typed for the HL7 v2 writer (interface.md v2).
            out.orderSet.labOrders.append(OrderSet.LabOrder(
                identifier: "urn:uuid:" + id, requisition: "urn:uuid:" + run.requisition, activity: activityId,
                codings: code.children("coding").map { OrderSet.Coding(system: $0.string("system"), code: $0.string("code"), display: $0.string("display")) },
                text: code.string("text"), notBefore: notBefore, note: noted.string("text") ?? "",
                requesterAGB: HL7v2.agb(site.requester), requesterName: site.requester?.string("display")))
        }
        let resource = Element.resource("ServiceRequest", children)
        out.entries.append(entry(id, resource))
        out.generated.append(id)
        out.activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "urn:uuid:" + id)])]))
    }

    /// A medication proposal: a MedicationRequest with the catalogue's dosage (and its end).
    func medicationRequest(_ rec: Recommendation, id: String, activityId: ActivityID, until: CalendarDate?, _ run: Run, _ out: inout Emission) {
        var med = concept(activityId, item: nil)
        med.name = "medicationCodeableConcept"
        var children: [Element] = [
            .primitive("id", id),
            identifier(id),
            .primitive("status", "draft"),
            .primitive("intent", "proposal"),
            med,
            subject,
            .primitive("authoredOn", run.authored),
        ]
        let (references, unnamed) = reasons(rec)
        children += references
        children.append(.primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)))
        children.append(.complex("basedOn", [.primitive("reference", "urn:uuid:" + run.carePlanId)]))
        children.append(note(rec, unnamed: unnamed))
        if var dosage = profiles.activityDefinition(activityId)?.child("dosage") {
            dosage.name = "dosageInstruction"
            if let end = until {
                // RPL-PROGESTERONE: until the day gestational age reaches 16w0d.
                let bounds = Element.complex("boundsPeriod", [.primitive("start", run.authored), .primitive("end", end.description)])
                if let t = dosage.children.firstIndex(where: { $0.name == "timing" }),
                   let rp = dosage.children[t].children.firstIndex(where: { $0.name == "repeat" }) {
                    dosage.children[t].children[rp].children.insert(bounds, at: 0)
                }
                if let ti = dosage.children.firstIndex(where: { $0.name == "text" }) {
                    dosage.children[ti].value = (dosage.children[ti].value ?? "") + " (until \(end))"
                }
            }
            children.append(dosage)
        }
        let resource = Element.resource("MedicationRequest", children)
        out.entries.append(entry(id, resource))
        out.generated.append(id)
        out.activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "urn:uuid:" + id)])]))
    }

    /// Advice: a CarePlan activity with a detail.
    func advice(_ rec: Recommendation, activityId: ActivityID, _ out: inout Emission) {
        var code = concept(activityId, item: nil)
        code.name = "code"
        if let title = rec.title {
            code.children.removeAll { $0.name == "text" }
            code.children.append(.primitive("text", title))
        }
        let line = rec.cardLine
        var detail: [Element] = []
        if let kind = profiles.activityDefinition(activityId)?.string("kind") { detail.append(.primitive("kind", kind)) }
        detail.append(.primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)))
        detail.append(code)
        detail += reasons(rec).references
        detail.append(.primitive("status", "not-started"))
        detail.append(.primitive("description", rplTerm("\(rec.ruleId) — card: \(line.quoted) (\(line.english)) — \(rec.reason)")))
        out.activities.append(.complex("activity", [.complex("detail", detail)]))
    }

    /// A flag on a request of the input: a DetectedIssue quoting the card's NIET AANBEVOLEN line.
    func detectedIssue(_ rec: Recommendation, id: String, _ run: Run, _ out: inout Emission) {
        guard let implicated = rec.sources.first else { return }
        let line = rec.cardLine
        let resource = Element.resource("DetectedIssue", [
            .primitive("id", id),
            identifier(id),
            .primitive("status", "final"),
            .complex("code", [
                .complex("coding", [.primitive("system", profiles.ruleSystem), .primitive("code", rec.ruleId.rawValue), .primitive("display", line.english)]),
                .primitive("text", rec.ruleId.rawValue),
            ]),
            .primitive("severity", "moderate"),
            .complex("patient", subject.children),
            .primitive("identifiedDateTime", run.authored),
            reference("implicated", implicated.index),
            .primitive("detail", rplTerm("\(rec.ruleId) — card (NIET AANBEVOLEN): \(line.quoted) (\(line.english)) — \(rec.reason)")),
            .primitive("reference", profiles.planDefinitionURL),
        ])
        out.entries.append(entry(id, resource))
        out.generated.append(id)
    }

    /// The prognosis: a RiskAssessment with the figure, or a plan note where the sources give none.
    func prognosis(_ rec: Recommendation, id: String, probability: String?, _ run: Run, _ out: inout Emission) {
        let line = rec.cardLine
        if let p = probability {
            let resource = Element.resource("RiskAssessment", [
                .primitive("id", id),
                identifier(id),
                .complex("basedOn", [.primitive("reference", "urn:uuid:" + run.carePlanId)]),
                .primitive("status", "final"),
                .complex("code", [.primitive("text", "Prognosis after recurrent pregnancy loss")]),
                subject,
                .primitive("occurrenceDateTime", run.authored),
            ] + rec.sources.sorted(by: inIdentityOrder).map { reference("basis", $0.index) } + [
                .complex("prediction", [
                    .complex("outcome", [.primitive("text", "further miscarriage")]),
                    .primitive("probabilityDecimal", p, kind: .number),
                    .primitive("rationale", rplTerm(rec.reason)),
                ]),
                .complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \(line.quoted) (\(line.english)); patient page (UMC Utrecht): about 25% after 2, about 35% after 3 miscarriages."))]),
            ])
            out.entries.append(entry(id, resource))
            out.generated.append(id)
        } else {
            out.notes.append(.complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \(line.quoted) (\(line.english)) — \(rec.reason)"))]))
        }
    }

}
