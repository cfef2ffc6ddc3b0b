// Card, genetics: parental karyotyping only with risk factors, counselling, clinical genetics.

/// The footnote (*) of RPL-KARYOTYPE and NR-KARYOTYPE: younger than 35, 3 or more miscarriages
/// and a family history of recurrent miscarriage. Unknown age: the criteria do not hold.
func karyotypeCriteriaHold(_ f: Facts) -> Bool {
    guard let age = f.ageYears else { return false }
    return age < 35 && f.lossCount >= 3 && !f.familyHistoryRPL.isEmpty
}

/// RPL-KARYOTYPE — "Karyotypering ouders alléén bij risicofactoren*": age < 35, ≥ 3 losses and a
/// family history of recurrent miscarriage → karyotyping of both parents: one order per parent
/// (interface.md v2). The partner's names him as its subject; where he cannot be identified it is
/// a plan activity ("arrange karyotyping of the partner"), never an order with the wrong subject.
func rplKaryotype(_ f: Facts) -> [Recommendation] {
    guard karyotypeCriteriaHold(f), let age = f.ageYears else { return [] }
    let sources = f.lossSources + f.familyHistoryRPL.map(\.source)
    let criteria: Phrase = "Age \(age) (< 35), \(f.lossCount) miscarriages (≥ 3) and a family history of recurrent miscarriage (\(f.familyHistoryRPL.listed))"
    let reason: Phrase = "\(criteria): karyotype both parents."
    let femalePartner = f.partner?.female == true
    let hers = Recommendation.order(ruleId: .karyotype, activity: .parentalKaryotyping, sources: sources,
                              reason: (femalePartner ? "\(criteria): karyotype the patient (the partner is a woman)." : reason) + "This order: the patient.", item: "patient")
    if let partner = f.partner, partner.female {
        // guideline.md v3: a female partner is not the genetic father.
        return [hers, Recommendation.note(ruleId: .karyotype, sources: sources + [partner.source],
                                     reason: "\(criteria): karyotype the patient. The partner is a woman: karyotype of the genetic father: per centre policy.")]
    }
    guard let partner = f.partner, partner.identifiable else {
        // Two or more partners recorded is not "no partner" (found by a clinical audit, helper-42).
        let why: Phrase = f.partner != nil ? "the partner has no identifier to order under"
            : f.partnersRecorded > 1 ? "\(f.partnersRecorded) people are recorded as her partner, so none can be identified" : "no partner is recorded"
        return [hers, Recommendation.advice(ruleId: .karyotype, activity: .partnerKaryotyping, sources: sources,
                                     reason: reason + "Arrange the partner's karyotyping: \(why).")]
    }
    var his = Recommendation.order(ruleId: .karyotype, activity: .parentalKaryotyping, sources: sources + [partner.source],
                             reason: reason + "This order: the partner.", item: "partner")
    his.forPartner = true
    return [hers, his]
}

/// RPL-GENETIC-COUNSELING — "Indien afwijkend: genetische counseling": an abnormal parental
/// karyotype → referral for genetic counselling.
func rplGeneticCounseling(_ f: Facts) -> Recommendation? {
    guard !f.parentalKaryotypeAbnormal.isEmpty else {
        // A heteromorphism is a normal variant: no counselling, but the plan says why.
        guard !f.karyotypeNotes.isEmpty else { return nil }
        return Recommendation.note(ruleId: .geneticCounseling, sources: f.karyotypeNotes.map(\.source),
                              reason: "\(f.karyotypeNotes.listed): no genetic counselling for it.")
    }
    return Recommendation.order(ruleId: .geneticCounseling, activity: .geneticCounseling, sources: f.parentalKaryotypeAbnormal.map(\.source),
                          reason: "Abnormal parental karyotype: \(f.parentalKaryotypeAbnormal.listed).")
}

/// RPL-CLINICAL-GENETICS — footnote: a child with structural anomalies born in the family, a family
/// member with a (un)balanced chromosomal abnormality, or an (unbalanced) translocation in pregnancy
/// tissue → referral to clinical genetics.
func rplClinicalGenetics(_ f: Facts) -> Recommendation? {
    guard !f.geneticsReferralReasons.isEmpty else { return nil }
    return Recommendation.order(ruleId: .clinicalGenetics, activity: .clinicalGeneticsReferral, sources: f.geneticsReferralReasons.map(\.source),
                          reason: "Referral to clinical genetics: \(f.geneticsReferralReasons.listed).")
}

/// The most recent loss with a recorded date, when it lies within `tissueGeneticsWithinDays`
/// (8 weeks) of the evaluation date, and its structural anomalies (coded ones only, unless
/// `includingText`).
func recentLossWithAnomaly(_ f: Facts, settings: GuidelineSettings, includingText: Bool) -> (loss: PregnancyLoss, anomalies: [Finding])? {
    guard let loss = f.losses.filter({ $0.latestDate != nil }).max(by: { $0.latestDate! < $1.latestDate! }),
          loss.latestDate!.days(until: f.evaluationDate) <= settings.tissueGeneticsWithinDays else { return nil }
    let anomalies = includingText ? loss.structuralAnomalies : loss.structuralAnomalies.coded
    return anomalies.isEmpty ? nil : (loss, anomalies)
}

/// RPL-TISSUE-GENETICS — "Routinematig genetische analyse miskraamweefsel, tenzij sprake van
/// structurele afwijkingen/echoafwijkingen" (guideline.md v2 §3a): the most recent loss, within 8
/// weeks, recorded with fetal structural or ultrasound anomalies → a plan activity: genetic analysis
/// of that pregnancy's tissue may be considered (the card lifts its "not routinely", nothing more),
/// naming the loss and the anomaly; no order.
func rplTissueGenetics(_ f: Facts, settings: GuidelineSettings) -> Recommendation? {
    guard let (loss, anomalies) = recentLossWithAnomaly(f, settings: settings, includingText: false) else { return nil }
    let month = loss.latestDate!
    let when: Phrase = loss.date.map { "on \($0)" } ?? "in \(record: "\(month.year)-\(month.month < 10 ? "0" : "")\(month.month)")"
    return Recommendation.advice(ruleId: .tissueGenetics, activity: .tissueGenetics, sources: loss.sources + anomalies.map(\.source),
                          reason: "The most recent loss (\(when)) was recorded with \(anomalies.listed): genetic analysis of its tissue may be considered.")
}

/// interface.md v3, serve: the partner's records were not read (a CDS Hooks prefetch names only
/// her). What his record may hold changes three genetics rules, so each says so where it could
/// (guideline.md §0: his family history for RPL-KARYOTYPE's footnote and his open requests for
/// its order; a known chromosomal abnormality of his for RPL-GENETIC-COUNSELING; an earlier child
/// of his with a major structural anomaly or a relative of his with a chromosomal abnormality for
/// RPL-CLINICAL-GENETICS) instead of deciding as if he had no records. Not for a female partner
/// (not the genetic father).
func partnersGeneticsNotChecked(_ f: Facts) -> [Recommendation] {
    guard f.partnerRecordsNotChecked, f.partner?.female != true else { return [] }
    let sources = f.partner.map { [$0.source] } ?? []
    let prefix: Phrase = "Partner's records not checked:"
    var out: [Recommendation] = []
    if karyotypeCriteriaHold(f) {
        out.append(.note(ruleId: .karyotype, sources: sources,
                         reason: prefix + "an open karyotype request of his is not seen; check before signing his order."))
    } else if let age = f.ageYears, age < 35, f.lossCount >= 3, f.familyHistoryRPL.isEmpty {
        out.append(.note(ruleId: .karyotype, sources: sources,
                         reason: prefix + "recurrent miscarriage in his parents or siblings would complete the footnote (age under 35, 3 or more miscarriages): karyotyping of both parents; ask."))
    }
    if f.parentalKaryotypeAbnormal.isEmpty {
        out.append(.note(ruleId: .geneticCounseling, sources: sources,
                         reason: prefix + "a known chromosomal abnormality of his would indicate genetic counselling; ask."))
    }
    if f.geneticsReferralReasons.isEmpty {
        out.append(.note(ruleId: .clinicalGenetics, sources: sources,
                         reason: prefix + "an earlier child of his with a major structural anomaly, or a relative of his with a chromosomal abnormality, would indicate referral to clinical genetics; ask."))
    }
    return out
}
