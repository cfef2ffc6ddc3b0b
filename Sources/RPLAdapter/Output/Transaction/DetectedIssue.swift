import FHIR
import RPLGuideline

/// A DetectedIssue per flag on a request of the input (the card's NIET AANBEVOLEN lines). (The
/// transaction's writers: one file per resource type.)
extension PlanEmitter {
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
            .primitive("detail", cardText(rec, label: "card (NIET AANBEVOLEN)")),
            .primitive("reference", profiles.planDefinitionURL),
        ])
        out.write(rec, id: id, resource, activity: false, implicated: input.serverId(implicated.index))
    }
}
