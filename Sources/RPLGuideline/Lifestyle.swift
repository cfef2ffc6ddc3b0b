// Card, lifestyle ("Leefstijl").

/// RPL-LIFESTYLE — "Counseling/ verwijzing bij leefstijlaanpassingen": smoking, BMI ≥ 30 or
/// < 18.5, alcohol or drug misuse (the adapter finds them) → referral for lifestyle counselling
/// naming the risk factors found.
func rplLifestyle(_ f: Facts) -> Recommendation? {
    guard !f.lifestyleRisks.isEmpty else { return nil }
    return Recommendation.order(ruleId: .lifestyle, activity: .lifestyleCounseling, sources: f.lifestyleRisks.map(\.source),
                          reason: "Lifestyle risk factors: \(f.lifestyleRisks.map(\.text).joined(separator: "; ")).")
}
