import FHIR
import RPLGuideline

/// A MedicationRequest proposal per medication, with the catalogue's dosage and its end. (The
/// transaction's writers: one file per resource type.)
extension PlanEmitter {
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
        let (references, unnamed, other) = reasons(rec, allowed: Self.medicationReasonTargets)
        children += references
        children.append(.primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)))
        children += basedOn(run)
        children.append(note(rec, unnamed: unnamed, other: other))
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
                    let catalogue = Phrase(template: dosage.children[ti].value ?? "")
                    dosage.children[ti].value = text("\(catalogue) (until \(end))")
                }
            } else if let ti = dosage.children.firstIndex(where: { $0.name == "text" }) {
                dosage.children[ti].value = text(Phrase(template: dosage.children[ti].value ?? ""))
            }
            children.append(dosage)
        }
        let resource = Element.resource("MedicationRequest", children)
        out.write(rec, id: id, resource, activity: true)
    }
}
