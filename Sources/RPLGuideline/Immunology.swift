// Card, NIET AANBEVOLEN "Immunologische testen": ANA "(overweeg bij klinische symptomen)"
// (guideline.md v2 §3a).

/// RPL-ANA — "ANA (overweeg bij klinische symptomen)": coded systemic autoimmune disease or its
/// clinical signs, and no ANA result → a plan activity to consider ANA (a clinician's decision:
/// "overweeg"), naming the symptoms; no order.
func rplANA(_ f: Facts) -> Recommendation? {
    let symptoms = f.autoimmuneSymptoms.coded
    guard !symptoms.isEmpty, f.anaResult == nil else { return nil }
    return Recommendation.advice(ruleId: .ana, activity: .anaConsider, sources: symptoms.map(\.source),
                          reason: "Clinical symptoms of autoimmune disease: \(symptoms.listed); no ANA result: consider ANA.")
}
