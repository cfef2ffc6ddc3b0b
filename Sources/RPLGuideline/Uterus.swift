// Card, uterus: anatomy by transvaginal ultrasound; urogenital tract with a malformation.

/// RPL-UTERUS — "Onderzoek anatomie van de uterus, bij voorkeur TVE: 3D-echo (congenitale uterine
/// afwijkingen) en 2D-echo (adenomyosis)": no uterine imaging in the input → order it. Recorded
/// adenomyosis only informs the text (guideline.md §0).
func rplUterus(_ f: Facts) -> Recommendation? {
    guard f.uterineImaging.isEmpty else { return nil }
    var reason: Phrase = "No transvaginal ultrasound of the uterus in the record."
    if !f.adenomyosis.isEmpty { reason = reason + "Adenomyosis is recorded (\(f.adenomyosis.listed))." }
    // guideline.md v2: the preconception imaging waits until after a current pregnancy: a plan
    // activity, not an order.
    if let pregnancy = f.currentPregnancy {
        return Recommendation.advice(ruleId: .uterus, activity: .uterineUltrasoundAfterPregnancy, sources: f.adenomyosis.map(\.source) + pregnancy.sources,
                              reason: reason + "She is pregnant now: after this pregnancy.")
    }
    return Recommendation.order(ruleId: .uterus, activity: .uterineUltrasound, sources: f.adenomyosis.map(\.source), reason: reason)
}

/// RPL-UROGENITAL — "Bij uterine vormafwijking: diagnostiek naar afwijkingen in de tractus
/// urogenitalis": a congenital uterine anomaly → imaging of the urinary tract.
func rplUrogenital(_ f: Facts) -> Recommendation? {
    guard !f.uterineMalformations.isEmpty else { return nil }
    return Recommendation.order(ruleId: .urogenital, activity: .urinaryTractImaging, sources: f.uterineMalformations.map(\.source),
                          reason: "Uterine malformation: \(f.uterineMalformations.listed); look for urinary tract anomalies.")
}
