import FHIR
import RPLGuideline

/// `PlanDefinition/$apply` (interface.md v3, `serve`): the plan as one R4 CarePlan, draft and
/// proposal, with its resources contained, the shape HAPI's clinical-reasoning module returns: a
/// RequestGroup whose actions name the requests, the requests, the DetectedIssues and the
/// RiskAssessment. Every contained resource is referenced from the CarePlan or its RequestGroup
/// (dom-3): the RequestGroup from `activity`, the flags and the prognosis from `supportingInfo`.
extension PlanEmitter {
    func containedCarePlan(_ plan: Plan, warnings: [Phrase], _ run: Run, _ out: Emission) -> Element {
        let requests = out.written.filter { ["ServiceRequest", "MedicationRequest"].contains($0.resource.name) }
        let supporting = out.written.filter { !["ServiceRequest", "MedicationRequest"].contains($0.resource.name) }
        var contained: [Element] = []
        var activities: [Element] = []
        if !requests.isEmpty {
            let groupId = uuid([("careplan", run.carePlanId), ("resource", "RequestGroup")])
            contained.append(.resource("RequestGroup", [
                .primitive("id", groupId),
                .primitive("instantiatesCanonical", profiles.planDefinitionURL),
                .primitive("status", "draft"),
                .primitive("intent", "proposal"),
                subject,
                .primitive("authoredOn", run.authored),
            ] + requests.map { w in
                .complex("action", [.complex("resource", [.primitive("reference", "#" + w.id)])])
            }))
            activities.append(.complex("activity", [.complex("reference", [.primitive("reference", "#" + groupId)])]))
        }
        contained += out.written.map(\.resource)
        // The advice: activities with a detail, as in the transaction's CarePlan.
        activities += out.activities.filter { $0.child("detail") != nil }

        var head = carePlanHead(plan, run, status: "draft", intent: "proposal")
        head.insert(contentsOf: contained.map { .wrapping("contained", $0) }, at: 1)
        var carePlan = head + addresses(plan)
        carePlan += supporting.map { .complex("supportingInfo", [.primitive("reference", "#" + $0.id)]) }
        carePlan += activities
        carePlan += out.notes + planNotes(plan, warnings: warnings)
        return .resource("CarePlan", carePlan)
    }

    /// `$apply` for a patient the card does not reach (not indicated, deceased): a CarePlan with
    /// no activity and a note saying why.
    func carePlanWithoutActivity(_ why: Phrase, warnings: [Phrase]) -> Element {
        let id = uuid([("patient", patientIdentity), ("episode", ""), ("resource", "CarePlan")])
        var children: [Element] = [
            .primitive("id", id),
            identifier(id),
            .primitive("instantiatesCanonical", profiles.planDefinitionURL),
            .primitive("status", "draft"),
            .primitive("intent", "proposal"),
            .primitive("title", text(PlanEmitter.title)),
            subject,
            .primitive("created", date.description),
            .complex("note", [.primitive("text", text("No plan: \(why).") + " " + Card.source)]),
        ]
        children += warningNotes(warnings)
        return .resource("CarePlan", children)
    }
}
