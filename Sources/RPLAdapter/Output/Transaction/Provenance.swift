import FHIR
import RPLGuideline

/// The Provenance that covers what one plan generated. (The transaction's writers: one file per
/// resource type.)
extension PlanEmitter {
    /// The Provenance entry: the input resources used, the generated resources, the program. R4
    /// Provenance has no identifier: a PUT with an id made of what it covers.
    func provenance(_ plan: Plan, generated: [String], _ run: Run) -> Element {
        let used = Set(plan.recommendations.flatMap(\.sources) + [Source(patient)]).sorted { inIdentityOrder($0, $1) }
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
}
