import FHIR
import RPLGuideline

/// Recommendations → FHIR: one transaction Bundle with the CarePlan, the ServiceRequests,
/// MedicationRequests (proposals), DetectedIssues, RiskAssessment and Provenance (interface.md).
/// Every id is a name-based UUID of the input's identity, the rule and the evaluation date, so the
/// same input and date give the same bytes; every entry is a conditional create on its identifier.
struct PlanEmitter {
    let input: InputBundle
    let profiles: Profiles
    let patient: Int
    let date: CalendarDate
    let version: String

    /// What identifies this input: the patient's first identifier, else her server id, else the
    /// Bundle's identifier or id.
    var inputIdentity: String {
        let p = input.items[patient].resource
        if let i = p.children("identifier").first(where: { $0.string("value") != nil }) {
            return (i.string("system") ?? "") + "|" + i.string("value")!
        }
        if let s = input.serverId(patient) { return s }
        if let v = input.bundle.child("identifier")?.string("value") { return "Bundle|" + v }
        return "Bundle/" + (input.bundle.string("id") ?? "") + "|" + (input.items[patient].fullUrl ?? p.string("id") ?? "")
    }

    func uuid(_ parts: String...) -> String {
        DeterministicID.uuid(([inputIdentity, date.description] + parts).joined(separator: "|"))
    }

    var subject: Element {
        var r = input.outputReference(patient)
        r.name = "subject"
        return r
    }

    func reference(_ name: String, _ index: Int) -> Element {
        var r = input.outputReference(index)
        r.name = name
        return r
    }

    /// The note every generated resource carries: rule id, card line in Dutch and English, and
    /// what was found.
    func note(_ rec: Recommendation) -> Element {
        let line = rec.cardLine
        return .complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \"\(line.dutch)\" (\(line.english)) — \(rec.reason)"))])
    }

    func identifier(_ uuid: String) -> Element {
        .complex("identifier", [.primitive("system", profiles.identifierSystem), .primitive("value", "urn:uuid:" + uuid)])
    }

    func entry(_ uuid: String, _ resource: Element) -> Element {
        .complex("entry", [
            .primitive("fullUrl", "urn:uuid:" + uuid),
            .wrapping("resource", resource),
            .complex("request", [
                .primitive("method", "POST"),
                .primitive("url", resource.name),
                .primitive("ifNoneExist", "identifier=\(profiles.identifierSystem)|urn:uuid:\(uuid)"),
            ]),
        ])
    }

    /// The codings of an ActivityDefinition (its `code`, or `productCodeableConcept`), plus for one
    /// antiphospholipid test the code of that test.
    func concept(_ activityId: ActivityID, item: String?) -> Element {
        let ad = profiles.activityDefinition(activityId)
        var concept = ad?.child("code") ?? ad?.child("productCodeableConcept") ?? .complex("code", [])
        if let item, let ad {
            for ext in ad.children("extension") where ext.string("url")?.hasSuffix("/activity-item") == true {
                let parts = ext.children("extension")
                guard parts.first(where: { $0.string("url") == "item" })?.string("valueCode") == item,
                      var coding = parts.first(where: { $0.string("url") == "code" })?.child("valueCoding") else { continue }
                coding.name = "coding"
                concept.children.insert(coding, at: 0)
                let display = parts.first(where: { $0.string("url") == "text" })?.string("valueString") ?? item
                concept.children.removeAll { $0.name == "text" }
                concept.children.append(.primitive("text", display))
            }
        }
        return concept
    }

    func category(_ activityId: ActivityID) -> Element? {
        guard let ext = profiles.activityDefinition(activityId)?.children("extension")
            .first(where: { $0.string("url")?.hasSuffix("/request-category") == true }),
              var c = ext.child("valueCodeableConcept") else { return nil }
        c.name = "category"
        return c
    }

    func reasons(_ rec: Recommendation) -> [Element] {
        rec.sources.map { reference("reasonReference", $0.index) }
    }

    func emit(_ plan: Plan, warnings: [String]) -> Element {
        var entries: [Element] = []
        var activities: [Element] = []
        var notes: [Element] = []
        var generated: [String] = []
        let carePlanId = uuid("CarePlan")
        let authored = date.description

        for rec in plan.recommendations {
            // Identity from the input's own names for the resources (not their place in the Bundle).
            let key = [rec.ruleId.rawValue, rec.activityId?.rawValue ?? "", rec.item ?? "", rec.sources.map { input.identity($0.index) }.joined(separator: ",")]
            let id = uuid(key.joined(separator: "|"))
            switch rec.kind {
            case .order:
                let activityId = rec.activityId!
                var children: [Element] = [
                    .primitive("id", id),
                    identifier(id),
                    .primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)),
                    .complex("basedOn", [.primitive("reference", "urn:uuid:" + carePlanId)]),
                ]
                if let group = rec.requisition {
                    children.append(.complex("requisition", [.primitive("system", profiles.identifierSystem),
                                                             .primitive("value", "urn:uuid:" + uuid("requisition", group))]))
                }
                children += [.primitive("status", "active"), .primitive("intent", "order")]
                if let c = category(activityId) { children.append(c) }
                var code = concept(activityId, item: rec.item)
                code.name = "code"
                children.append(code)
                children.append(subject)
                if let due = rec.date {
                    children.append(.complex("occurrencePeriod", [.primitive("start", due.description)]))
                }
                children.append(.primitive("authoredOn", authored))
                children += reasons(rec)
                children.append(note(rec))
                let resource = Element.resource("ServiceRequest", children)
                entries.append(entry(id, resource))
                generated.append(id)
                activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "urn:uuid:" + id)])]))
            case .medication:
                let activityId = rec.activityId!
                var med = concept(activityId, item: nil)
                med.name = "medicationCodeableConcept"
                var children: [Element] = [
                    .primitive("id", id),
                    identifier(id),
                    .primitive("status", "draft"),
                    .primitive("intent", "proposal"),
                    med,
                    subject,
                    .primitive("authoredOn", authored),
                ]
                children += reasons(rec)
                children.append(.primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)))
                children.append(.complex("basedOn", [.primitive("reference", "urn:uuid:" + carePlanId)]))
                children.append(note(rec))
                if var dosage = profiles.activityDefinition(activityId)?.child("dosage") {
                    dosage.name = "dosageInstruction"
                    if let end = rec.date {
                        // RPL-PROGESTERONE: until the day gestational age reaches 16w0d.
                        let bounds = Element.complex("boundsPeriod", [.primitive("start", authored), .primitive("end", end.description)])
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
                entries.append(entry(id, resource))
                generated.append(id)
                activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "urn:uuid:" + id)])]))
            case .advice:
                let activityId = rec.activityId!
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
                detail += rec.sources.map { reference("reasonReference", $0.index) }
                detail.append(.primitive("status", "not-started"))
                detail.append(.primitive("description", rplTerm("\(rec.ruleId) — card: \"\(line.dutch)\" (\(line.english)) — \(rec.reason)")))
                activities.append(.complex("activity", [.complex("detail", detail)]))
            case .flag:
                guard let implicated = rec.sources.first else { continue }
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
                    .primitive("identifiedDateTime", authored),
                    reference("implicated", implicated.index),
                    .primitive("detail", rplTerm("\(rec.ruleId) — card (NIET AANBEVOLEN): \"\(line.dutch)\" (\(line.english)) — \(rec.reason)")),
                    .primitive("reference", profiles.planDefinitionURL),
                ])
                entries.append(entry(id, resource))
                generated.append(id)
            case .prognosis:
                let line = rec.cardLine
                if let p = rec.probability {
                    let resource = Element.resource("RiskAssessment", [
                        .primitive("id", id),
                        identifier(id),
                        .complex("basedOn", [.primitive("reference", "urn:uuid:" + carePlanId)]),
                        .primitive("status", "final"),
                        .complex("code", [.primitive("text", "Prognosis after recurrent pregnancy loss")]),
                        subject,
                        .primitive("occurrenceDateTime", authored),
                    ] + rec.sources.map { reference("basis", $0.index) } + [
                        .complex("prediction", [
                            .complex("outcome", [.primitive("text", "further miscarriage")]),
                            .primitive("probabilityDecimal", p, kind: .number),
                            .primitive("rationale", rplTerm(rec.reason)),
                        ]),
                        .complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \"\(line.dutch)\" (\(line.english)); patient page (UMC Utrecht): about 25% after 2, about 35% after 3 miscarriages."))]),
                    ])
                    entries.append(entry(id, resource))
                    generated.append(id)
                } else {
                    notes.append(.complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \"\(line.dutch)\" (\(line.english)) — \(rec.reason)"))]))
                }
            case .note:
                let line = rec.cardLine
                notes.append(.complex("note", [.primitive("text", rplTerm("\(rec.ruleId) — card: \"\(line.dutch)\" — \(rec.reason)"))]))
            }
        }
        notes.append(.complex("note", [.primitive("text", rplTerm(plan.riskFactors))]))
        for n in plan.notes { notes.append(.complex("note", [.primitive("text", rplTerm(n))])) }
        for w in warnings { notes.append(.complex("note", [.primitive("text", rplTerm("Input warning: " + w))])) }

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
        carePlan += plan.addresses.map { reference("addresses", $0.index) }
        carePlan += activities
        carePlan += notes
        var all = [entry(carePlanId, .resource("CarePlan", carePlan))] + entries
        generated.insert(carePlanId, at: 0)

        // Provenance: the input resources used, the generated resources, the program.
        let used = Set(plan.recommendations.flatMap(\.sources) + [Source(patient)]).sorted()
        let provenanceId = uuid("Provenance")
        var provenance: [Element] = [.primitive("id", provenanceId)]
        provenance += generated.map { .complex("target", [.primitive("reference", "urn:uuid:" + $0)]) }
        provenance += [
            .primitive("recorded", authored + "T00:00:00Z"),
            .primitive("policy", profiles.planDefinitionURL),
            .complex("agent", [
                .complex("type", [.complex("coding", [
                    .primitive("system", "http://terminology.hl7.org/CodeSystem/provenance-participant-type"),
                    .primitive("code", "assembler")])]),
                .complex("who", [.primitive("display", "rpl-adapter \(version)")]),
            ]),
        ]
        provenance += used.map { .complex("entity", [.primitive("role", "source"), reference("what", $0.index)]) }
        all.append(.complex("entry", [
            .primitive("fullUrl", "urn:uuid:" + provenanceId),
            .wrapping("resource", .resource("Provenance", provenance)),
            .complex("request", [.primitive("method", "POST"), .primitive("url", "Provenance")]),
        ]))
        return .resource("Bundle", [.primitive("type", "transaction")] + all)
    }
}
