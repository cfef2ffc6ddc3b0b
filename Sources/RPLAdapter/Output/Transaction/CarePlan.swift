import FHIR
import RPLGuideline

/// The CarePlan (its addresses, activities, advice and notes) and the transaction Bundle around
/// it. (The transaction's writers: one file per resource type.)
extension PlanEmitter {
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
}
