import FHIR
import RPLGuideline

/// The CarePlan (its addresses, activities, advice and notes) and the transaction Bundle around
/// it. (The transaction's writers: one file per resource type.)
extension PlanEmitter {
    /// The transaction: the patient's and partner's entries, the CarePlan (its addresses,
    /// activities and notes), the requests, and the Provenance that covers them.
    func bundle(_ plan: Plan, warnings: [Phrase], _ run: Run, _ out: Emission) -> Element {
        let carePlanId = run.carePlanId
        var carePlan = carePlanHead(plan, run, status: "active", intent: "plan")
        carePlan += addresses(plan)
        carePlan += out.activities
        carePlan += out.notes + planNotes(plan, warnings: warnings)
        // The one plan of this patient and episode: a re-evaluation updates it.
        let carePlanRequest = request("CarePlan", carePlanId, conditional: ("PUT", "CarePlan?identifier=\(profiles.identifierSystem)|urn:uuid:\(carePlanId)", nil))
        var all = (patientEntry.map { [$0] } ?? []) + out.partnerEntries
            + [.complex("entry", [.primitive("fullUrl", "urn:uuid:" + carePlanId), .wrapping("resource", .resource("CarePlan", carePlan)), carePlanRequest])]
            + out.written.map { entry($0.id, $0.resource) }
        let bundleIdentifier = Element.complex("identifier", [.primitive("system", profiles.canonicalBase + "/input"), .primitive("value", inputName)])
        guard site.provenance else { return .resource("Bundle", [bundleIdentifier, .primitive("type", "transaction")] + all) }

        all.append(provenance(plan, generated: [carePlanId] + out.written.map(\.id), run))
        return .resource("Bundle", [bundleIdentifier, .primitive("type", "transaction")] + all)
    }

    /// The CarePlan's elements up to `created` (R4 order), the same in both forms.
    func carePlanHead(_ plan: Plan, _ run: Run, status: String, intent: String) -> [Element] {
        [
            .primitive("id", run.carePlanId),
            identifier(run.carePlanId),
            .primitive("instantiatesCanonical", profiles.planDefinitionURL),
            .primitive("status", status),
            .primitive("intent", intent),
            .primitive("title", text(PlanEmitter.title)),
            .primitive("description", text("\(plan.indication).") + " " + Card.source),
            subject,
            .primitive("created", run.authored),
        ]
    }

    /// R4: CarePlan.addresses is Reference(Condition): the loss Conditions only (a curettage or a
    /// count Observation is evidence the plan names in its notes, not a problem it addresses).
    func addresses(_ plan: Plan) -> [Element] {
        plan.addresses.filter { input.items[$0.index].type == "Condition" }.sorted { inIdentityOrder($0, $1) }.map { reference("addresses", $0.index) }
    }

    /// After the rules' own notes: the risk factors, the plan's notes, and the input warnings
    /// (sorted: the same input with its entries in another order gives the same plan).
    func planNotes(_ plan: Plan, warnings: [Phrase]) -> [Element] {
        var notes: [Element] = [.complex("note", [.primitive("text", text(plan.riskFactors))])]
        for n in plan.notes { notes.append(.complex("note", [.primitive("text", text(n))])) }
        return notes + warningNotes(warnings)
    }

    /// The input warnings as plan notes, in the order of their English words (the same order in
    /// every language; never the input's entry order).
    func warningNotes(_ warnings: [Phrase]) -> [Element] {
        warnings.map { (key: $0.operatorText, phrase: $0) }.sorted { $0.key < $1.key }
            .map { .complex("note", [.primitive("text", text(Wording.inputWarning($0.phrase)))]) }
    }

    /// Advice: a CarePlan activity with a detail.
    func advice(_ rec: Recommendation, activityId: ActivityID, _ out: inout Emission) {
        var code = concept(activityId, item: nil)
        code.name = "code"
        if let title = rec.title {
            code.children.removeAll { $0.name == "text" }
            code.children.append(.primitive("text", text(title)))
        }
        var detail: [Element] = []
        if let kind = profiles.activityDefinition(activityId)?.string("kind") { detail.append(.primitive("kind", kind)) }
        detail.append(.primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)))
        detail.append(code)
        let (references, _, other) = reasons(rec)
        detail += references
        detail.append(.primitive("status", "not-started"))
        // Those R4 does not let it refer to are said (a family history behind advice).
        detail.append(.primitive("description", cardText(rec) + basis(unnamed: [], other: other)))
        out.activities.append(.complex("activity", [.complex("detail", detail)]))
    }
}
