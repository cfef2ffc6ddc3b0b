import FHIR
import RPLGuideline

/// A DetectedIssue per flag on a request of the input (the card's NIET AANBEVOLEN lines). (The
/// transaction's writers: one file per resource type.)
extension PlanEmitter {
    /// A flag on a request of the input: a DetectedIssue quoting the card's NIET AANBEVOLEN line.
    func detectedIssue(_ rec: Recommendation, id: String, _ run: Run, _ out: inout Emission) {
        guard let implicated = rec.sources.first else { return }
        let line = rec.cardLine
        // The alert's headline: in Dutch the card's own heading and words, in English its rendering.
        let headline = wording.language == .en ? line.english : "NIET AANBEVOLEN: " + line.quotes.joined(separator: " … ")
        let resource = Element.resource("DetectedIssue", [
            .primitive("id", id),
            identifier(id),
            .primitive("status", "final"),
            .complex("code", [
                .complex("coding", [.primitive("system", profiles.ruleSystem), .primitive("code", rec.ruleId.rawValue), .primitive("display", headline)]),
                .primitive("text", headline),
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
