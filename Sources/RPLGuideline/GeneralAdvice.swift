// Card, general advice: always part of the plan (guideline.md §2).

/// RPL-PRECONCEPTION — "Verricht een preconceptioneel advies consult o.b.v. aanbevelingen, aandacht
/// voor zowel mannelijke als vrouwelijke factoren."
func rplPreconception(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .preconception, activity: .preconceptionConsult, sources: [],
                   reason: "Preconception advice consultation, attending to male and female factors.")
}

/// RPL-SUPPLEMENTS — "Adviseer standaard vitamine D en foliumzuur.": advice, not a prescription.
func rplSupplements(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .supplements, activity: .supplementsAdvice, sources: [],
                   reason: "Advise vitamin D and folic acid (advice, not a prescription).")
}

/// RPL-EXPERT-CENTRE — "Overweeg verwijzing naar centrum met expertise in herhaalde miskramen."
func rplExpertCentre(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .expertCentre, activity: .expertCentreReferral, sources: [],
                   reason: "Consider referral to a centre with expertise in recurrent pregnancy loss.")
}

/// RPL-SUPPORTIVE-CARE — "Bied bij nieuwe zwangerschap ondersteunende zorg aan, met vroege
/// vitaliteitecho’s."
/// guideline.md v2: during a pregnancy the text says "this pregnancy", not "the next".
func rplSupportiveCare(_ f: Facts) -> Recommendation {
    guard let pregnancy = f.currentPregnancy else {
        return Recommendation.advice(ruleId: .supportiveCare, activity: .supportiveCareNextPregnancy, sources: [],
                              reason: "In the next pregnancy: supportive care with early viability ultrasounds.")
    }
    return Recommendation.advice(ruleId: .supportiveCare, activity: .supportiveCareNextPregnancy, sources: pregnancy.sources,
                          reason: "In this pregnancy: supportive care with early viability ultrasounds.",
                          title: "Supportive care with early viability ultrasounds in this pregnancy")
}

/// RPL-FREYA — "Wijs op informatie van patiëntenvereniging Freya."
func rplFreya(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .freya, activity: .patientAssociationInfo, sources: [],
                   reason: "Point to the information of the patient association Freya.")
}

/// RPL-HISTORY — "(Obstetrische) anamnese afnemen"
func rplHistory(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .history, activity: .obstetricHistory, sources: f.lossSources,
                   reason: "Take the (obstetric) history.")
}

/// RPL-LIFESTYLE-HISTORY — "Leefstijl anamnese man en vrouw"
func rplLifestyleHistory(_ f: Facts) -> Recommendation {
    Recommendation.advice(ruleId: .lifestyleHistory, activity: .lifestyleHistory, sources: [],
                   reason: "Take the lifestyle history of both partners.")
}

/// RPL-PROGNOSIS — "Schets prognose o.b.v. anamnese en leeftijd"; patient page: after two
/// miscarriages the chance of another is about 25%, after three about 35%. Four or more: the
/// sources give no figure, so none is invented. Age is always named as part of the prognosis.
/// guideline.md v2: at 4 or more not even "higher than about 35%": no source says so.
func rplPrognosis(_ f: Facts) -> Recommendation {
    let n = f.lossCount
    // guideline.md v3: the prognosis reads the minimum and says so where the count is a range.
    let known: Phrase = f.ageYears.map { "She is \($0) years old; age is part of the prognosis." }
        ?? "Age is part of the prognosis but is not known here."
    let age = n < f.lossCountMaximum ? "The number of losses is uncertain (\(n)–\(f.lossCountMaximum)): the minimum is used." + known : known
    switch n {
    case 2:
        return Recommendation.prognosis(ruleId: .prognosis, sources: f.lossSources,
                              reason: "After 2 miscarriages the chance of a further miscarriage is about 25%." + age, probability: "0.25")
    case 3:
        return Recommendation.prognosis(ruleId: .prognosis, sources: f.lossSources,
                              reason: "After 3 miscarriages the chance of a further miscarriage is about 35%." + age, probability: "0.35")
    default:
        return Recommendation.prognosis(ruleId: .prognosis, sources: f.lossSources,
                              reason: (n == 1 ? "After 1 miscarriage the sources give no figure for the chance of a further miscarriage: the prognosis is individual, based on the history and age."
                                       : "After \(n) miscarriages the sources give no figure for the chance of a further miscarriage: the prognosis is individual, based on the history and age.") + age)
    }
}
