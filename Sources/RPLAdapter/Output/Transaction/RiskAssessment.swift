import FHIR
import RPLGuideline

/// The prognosis: a RiskAssessment, or a plan note where the sources give no figure. (The
/// transaction's writers: one file per resource type.)
extension PlanEmitter {
    /// The prognosis: a RiskAssessment with the figure, or a plan note where the sources give none.
    func prognosis(_ rec: Recommendation, id: String, probability: String?, _ run: Run, _ out: inout Emission) {
        if let p = probability {
            let resource = Element.resource("RiskAssessment", [
                .primitive("id", id),
                identifier(id),
            ] + basedOn(run) + [
                .primitive("status", "final"),
                .complex("code", [.primitive("text", text("Prognosis after recurrent pregnancy loss"))]),
                subject,
                .primitive("occurrenceDateTime", run.authored),
            ] + rec.sources.sorted { inIdentityOrder($0, $1) }.map { reference("basis", $0.index) } + [
                .complex("prediction", [
                    .complex("outcome", [.primitive("text", text("further miscarriage"))]),
                    .primitive("probabilityDecimal", p, kind: .number),
                    .primitive("rationale", text(rec.reason)),
                ]),
                .complex("note", [.primitive("text", cardText(rec, then: "; patient page (UMC Utrecht): about 25% after 2, about 35% after 3 miscarriages."))]),
            ])
            out.write(rec, id: id, resource, activity: false)
        } else {
            out.notes.append(.complex("note", [.primitive("text", cardText(rec))]))
        }
    }
}
