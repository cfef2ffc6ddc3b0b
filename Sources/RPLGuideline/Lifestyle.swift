// Card, lifestyle ("Leefstijl").

/// RPL-LIFESTYLE — "Counseling/ verwijzing bij leefstijlaanpassingen": smoking, BMI ≥ 30 or
/// < 18.5, alcohol or drug misuse (the adapter finds them) → referral for lifestyle counselling
/// naming the risk factors found.
func rplLifestyle(_ f: Facts) -> Recommendation? {
    guard !f.lifestyleRisks.isEmpty else { return nil }
    return Recommendation.order(ruleId: .lifestyle, activity: .lifestyleCounseling, sources: f.lifestyleRisks.map(\.source),
                          reason: "Lifestyle risk factors: \(f.lifestyleRisks.listed).")
}

/// interface.md v3, serve: the partner's records were not read, so his smoking, BMI and misuse
/// ("man en vrouw") are unknown to RPL-LIFESTYLE: said, for the lifestyle history to ask.
func partnersLifestyleNotChecked(_ f: Facts) -> Recommendation? {
    guard f.partnerRecordsNotChecked else { return nil }
    return Recommendation.note(ruleId: .lifestyle, sources: f.partner.map { [$0.source] } ?? [],
                               reason: "Partner's records not checked: the partner's smoking, BMI and alcohol or drug use are unknown; ask in the lifestyle history of both partners.")
}
