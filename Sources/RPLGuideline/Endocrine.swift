// Card, NIET AANBEVOLEN column, its "wel bij" lines (guideline.md v2 §3a): prolactin with
// oligo/amenorrhoea, the hormone profile with a cycle disorder. When the condition holds the plan
// recommends the test (and NR-PROLACTIN / NR-HORMONES do not flag it).

/// The cycle cannot be judged now: during a pregnancy, or within `postpartumDays` (6 months) of a
/// delivery, when amenorrhoea is expected.
func cycleAssessable(_ f: Facts, settings: GuidelineSettings) -> Bool {
    if f.currentPregnancy != nil { return false }
    if let delivery = f.lastDelivery, delivery.date.days(until: f.evaluationDate) < settings.postpartumDays { return false }
    return true
}

/// RPL-PROLACTIN — "Prolactine (wel bij symptomen van prolactineafwijkingen (oligo/amenorroe))":
/// coded oligo- or amenorrhoea, not pregnant, no delivery in the last 6 months, and no prolactin
/// result in the lookback window → order prolactin.
func rplProlactin(_ f: Facts, settings: GuidelineSettings) -> Recommendation? {
    let symptoms = f.oligoOrAmenorrhoea.coded
    guard !symptoms.isEmpty, f.prolactinResult == nil, cycleAssessable(f, settings: settings) else { return nil }
    return Recommendation.order(ruleId: .prolactin, activity: .prolactin, sources: symptoms.map(\.source),
                          reason: "Symptoms of a prolactin disorder: \(symptoms.listed); no prolactin result in the lookback window.")
}

/// RPL-HORMONE-PROFILE — "Hormoonprofiel (wel bij symptomen van cyclusstoornis)": a coded cycle
/// disorder (oligo/amenorrhoea included), the same pregnancy and postpartum limits, and the profile
/// not done → order each of its tests that has no result in the lookback window (the tests are a
/// setting: FSH, LH, estradiol in the early follicular phase), under one requisition.
func rplHormoneProfile(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
    let symptoms = (f.cycleDisorder + f.oligoOrAmenorrhoea).coded
    guard !symptoms.isEmpty, cycleAssessable(f, settings: settings) else { return [] }
    let missing = f.hormoneProfile.filter { $0.result == nil }
    guard !missing.isEmpty else { return [] }
    // Each symptom once, in the order of its English words (the same in every language).
    let names = Phrase.joined(Array(Set(symptoms.map(\.text))).sorted { $0.description < $1.description }, separator: "; ")
    return missing.map { test in
        Recommendation.order(ruleId: .hormoneProfile, activity: .hormoneProfile, sources: symptoms.map(\.source),
                       reason: "Symptoms of a cycle disorder: \(names); \(Phrase(template: test.text)) has no result in the lookback window.",
                       item: test.item)
    }
}
