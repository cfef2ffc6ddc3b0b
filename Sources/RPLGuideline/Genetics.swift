// Card, genetics: parental karyotyping only with risk factors, counselling, clinical genetics.

/// The footnote (*) of RPL-KARYOTYPE and NR-KARYOTYPE: younger than 35, 3 or more miscarriages
/// and a family history of recurrent miscarriage. Unknown age: the criteria do not hold.
func karyotypeCriteriaHold(_ f: Facts) -> Bool {
    guard let age = f.ageYears else { return false }
    return age < 35 && f.lossCount >= 3 && !f.familyHistoryRPL.isEmpty
}

/// RPL-KARYOTYPE — "Karyotypering ouders alléén bij risicofactoren*": age < 35, ≥ 3 losses and a
/// family history of recurrent miscarriage → karyotyping of both parents.
func rplKaryotype(_ f: Facts) -> Recommendation? {
    guard karyotypeCriteriaHold(f), let age = f.ageYears else { return nil }
    return Recommendation(ruleId: .karyotype, activityId: .parentalKaryotyping, kind: .order,
                          sources: f.lossSources + f.familyHistoryRPL.map(\.source),
                          reason: "Age \(age) (< 35), \(f.lossCount) miscarriages (≥ 3) and a family history of recurrent miscarriage (\(f.familyHistoryRPL.map(\.text).joined(separator: "; "))): karyotype both parents.")
}

/// RPL-GENETIC-COUNSELING — "Indien afwijkend: genetische counseling": an abnormal parental
/// karyotype → referral for genetic counselling.
func rplGeneticCounseling(_ f: Facts) -> Recommendation? {
    guard !f.parentalKaryotypeAbnormal.isEmpty else {
        // A heteromorphism is a normal variant: no counselling, but the plan says why.
        guard !f.karyotypeNotes.isEmpty else { return nil }
        return Recommendation(ruleId: .geneticCounseling, activityId: nil, kind: .note, sources: f.karyotypeNotes.map(\.source),
                              reason: f.karyotypeNotes.map(\.text).joined(separator: "; ") + ": no genetic counselling for it.")
    }
    return Recommendation(ruleId: .geneticCounseling, activityId: .geneticCounseling, kind: .order,
                          sources: f.parentalKaryotypeAbnormal.map(\.source),
                          reason: "Abnormal parental karyotype: \(f.parentalKaryotypeAbnormal.map(\.text).joined(separator: "; ")).")
}

/// RPL-CLINICAL-GENETICS — footnote: a child with structural anomalies born in the family, a family
/// member with a (un)balanced chromosomal abnormality, or an (unbalanced) translocation in pregnancy
/// tissue → referral to clinical genetics.
func rplClinicalGenetics(_ f: Facts) -> Recommendation? {
    guard !f.geneticsReferralReasons.isEmpty else { return nil }
    return Recommendation(ruleId: .clinicalGenetics, activityId: .clinicalGeneticsReferral, kind: .order,
                          sources: f.geneticsReferralReasons.map(\.source),
                          reason: "Referral to clinical genetics: \(f.geneticsReferralReasons.map(\.text).joined(separator: "; ")).")
}
