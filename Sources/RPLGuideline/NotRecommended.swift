// Card, NIET AANBEVOLEN: requests already in the input that the card advises against are flagged,
// unless the line's exception holds. One flag per request: the most specific line decides.

/// Most specific first (guideline.md §4: prednisone is judged by NR-PREDNISONE, LMWH for a
/// thrombophilia factor by NR-LMWH-THROMBOPHILIA, not by the general drug line).
let specificity: [RuleID] = [
    .nrPrednisone, .nrLmwhThrombophilia, .nrLevothyroxineEuthyroid, .nrTissueGenetics, .nrKaryotype,
    .nrProlactin, .nrHomocysteine, .nrThrombophilia, .nrImmunology, .nrOvarianEndocrine, .nrHormones,
    .nrUterineSurgery, .nrPolypMyomaAdhesion, .nrScratching, .nrSpermSelection, .nrDrugs,
]

/// NR-LEVOTHYROXINE-EUTHYROID (guideline.md v2): why the levothyroxine `request` is not
/// "treatment of euthyroidism", or nil when euthyroidism is shown (newest TSH in the window normal,
/// a free T4 on or after it normal if there is one, no hypothyroidism recorded or shown, and no
/// levothyroxine taken at the time of that TSH: the request itself only when begun before its day).
func levothyroxineNotForEuthyroidism(_ f: Facts, request: Source) -> Phrase? {
    guard let tsh = f.tsh else {
        return "no TSH in the lookback window: euthyroid status is unknown until the TSH ordered by RPL-TSH is back"
    }
    if tsh.classification != .normal { return "TSH \(number: tsh.valueText) \(record: tsh.unit) \(tsh.when) is \(tsh.classification.phrase): not euthyroid" }
    // A free T4 that may be on or after a TSH of a partial date counts (a comparison a partial date
    // cannot settle never drops a result: guideline.md v2; helper-44's review).
    if let ft4 = f.freeT4, ft4.date >= (tsh.earliestDate ?? tsh.date), ft4.classification != .normal {
        return "free T4 \(number: ft4.valueText) \(record: ft4.unit) \(ft4.when) is \(ft4.classification.phrase): not euthyroid"
    }
    if !f.hypothyroidismConditions.isEmpty || !f.subclinicalHypothyroidismConditions.isEmpty {
        return "hypothyroidism is recorded"
    }
    // guideline.md v3: taken *at the time of* the TSH: a course that ended before it does not count.
    // The request judged is one of them when it began before that TSH's day: she was on it then,
    // and "a normal TSH on levothyroxine is treated hypothyroidism" (the third clinical audit: an
    // ongoing prescription was flagged by its own exclusion). One begun on that day or after, or
    // undated, is the new treatment the line judges.
    let before = f.levothyroxine.filter { use in
        guard use.end.map({ $0 >= tsh.date }) ?? true else { return false }
        guard let start = use.start else { return use.source != request }
        return use.source == request ? start < tsh.date : start <= tsh.date
    }
    if !before.isEmpty {
        return before.contains { $0.start == nil }
            ? "levothyroxine was taken before the normal TSH \(tsh.when) (a start date is not recorded: taken as before): treated hypothyroidism, not euthyroidism"
            : "levothyroxine was taken before the normal TSH \(tsh.when): treated hypothyroidism, not euthyroidism"
    }
    return nil
}

/// Lines about her own treatment: the partner's requests are not judged against them (guideline.md
/// v2: the drug list judges only the patient's requests).
let treatmentLines: Set<RuleID> = [.nrDrugs, .nrPrednisone, .nrLmwhThrombophilia, .nrLevothyroxineEuthyroid]

/// NR-LMWH-THROMBOPHILIA is the line for an LMWH request only when it is made for a thrombophilia
/// factor: a hereditary thrombophilia recorded, or named in the request's reason. Otherwise the
/// request is the "Heparine" of NR-DRUGS (guideline.md v2).
func lineApplies(_ match: InputRequest.Match, request: InputRequest, _ f: Facts) -> Bool {
    // guideline.md v3: except antioxidants, which the card lists beside sperm selection and which
    // are given to men too.
    if !request.forPatient && treatmentLines.contains(match.ruleId) && !(match.ruleId == .nrDrugs && match.item == "antioxidants") { return false }
    if match.ruleId == .nrLmwhThrombophilia { return !f.hereditaryThrombophilia.isEmpty || request.reasonNamesThrombophilia }
    return true
}

/// The exception of a line for one matched item, in words, when it holds.
func exception(_ match: InputRequest.Match, request: InputRequest, _ f: Facts, settings: GuidelineSettings) -> Phrase? {
    let aps: Phrase = "antiphospholipid syndrome or persistent antiphospholipid antibodies (RPL-APL-TREAT)"
    switch match.ruleId {
    case .nrTissueGenetics:
        // RPL-TISSUE-GENETICS holds (or the anomaly is named in text: text may hold back a flag).
        guard let (_, anomalies) = recentLossWithAnomaly(f, settings: settings, includingText: true) else { return nil }
        return "structural or ultrasound abnormalities are recorded for the most recent loss (\(anomalies.listed))"
    case .nrKaryotype:
        // guideline.md v2/v3: "zonder VG of +familieanamnese": the criteria of RPL-KARYOTYPE, a
        // known abnormal parental karyotype (a carrier), or a history the footnote names.
        if karyotypeCriteriaHold(f) { return "the criteria of RPL-KARYOTYPE hold" }
        if !f.parentalKaryotypeAbnormal.isEmpty { return "a parent's karyotype is known to be abnormal (\(f.parentalKaryotypeAbnormal.listed))" }
        if !f.geneticsReferralReasons.isEmpty { return "a history the card's footnote names (\(f.geneticsReferralReasons.listed))" }
        return nil
    case .nrThrombophilia:
        // guideline.md v3: ESHRE, not unless in research or with additional risk factors.
        if !f.onStudy.isEmpty { return "she takes part in a study" }
        if let other = match.otherIndication { return "another indication is recorded (\(other))" }
        if request.reasonNamesThrombophilia { return "the request's reason names a hereditary thrombophilia" }
        if !f.familyThrombosis.isEmpty {
            return "a first-degree relative had venous thromboembolism or a hereditary thrombophilia (\(f.familyThrombosis.listed))"
        }
        return nil
    case .nrImmunology:
        return match.item == "ANA" && !f.autoimmuneSymptoms.isEmpty ? "clinical symptoms of autoimmune disease are recorded" : nil
    case .nrHormones:
        return f.cycleDisorder.isEmpty && f.oligoOrAmenorrhoea.isEmpty ? nil : "a cycle disorder is recorded"
    case .nrOvarianEndocrine:
        // The hormone profile's own LH is not flagged when the profile is indicated.
        return match.item == "LH" && !(f.cycleDisorder.isEmpty && f.oligoOrAmenorrhoea.isEmpty) ? "a cycle disorder is recorded (LH of the hormone profile)" : nil
    case .nrProlactin:
        return f.oligoOrAmenorrhoea.isEmpty ? nil : "oligo- or amenorrhoea is recorded"
    case .nrLevothyroxineEuthyroid:
        return levothyroxineNotForEuthyroidism(f, request: request.source)
    case .nrLmwhThrombophilia:
        if antiphospholipidTreatmentHolds(f, settings: settings) { return aps }
        return match.otherIndication.map { "another indication is recorded (\($0))" }
    case .nrDrugs:
        // Only vaginal progesterone (the "progesterone" item, G03DA04) when RPL-PROGESTERONE holds;
        // dydrogesterone, the other progestogens and progesterone by another route (oral: found by
        // a clinical audit, helper-42) stay flagged.
        if match.item == "progesterone" && !match.notVaginal && progesteroneEndDate(f, settings: settings) != nil { return "RPL-PROGESTERONE holds" }
        if match.item == "heparin" && antiphospholipidTreatmentHolds(f, settings: settings) { return aps }
        return match.otherIndication.map { "another indication is recorded (\($0))" }
    case .nrPrednisone:
        if !f.onStudy.isEmpty { return "she takes part in a study" }
        return match.otherIndication.map { "another indication is recorded (\($0))" }
    default:
        return nil
    }
}

/// NR-TISSUE-GENETICS, NR-KARYOTYPE, NR-THROMBOPHILIA, NR-IMMUNOLOGY, NR-HORMONES, NR-PROLACTIN,
/// NR-OVARIAN-ENDOCRINE, NR-HOMOCYSTEINE, NR-LEVOTHYROXINE-EUTHYROID, NR-LMWH-THROMBOPHILIA,
/// NR-UTERINE-SURGERY, NR-POLYP-MYOMA-ADHESION, NR-SCRATCHING, NR-SPERM-SELECTION, NR-DRUGS,
/// NR-PREDNISONE: for each request in the input that matches a line (by code, else by keyword),
/// a flag quoting that line — unless its exception holds, which the plan then notes instead.
func notRecommended(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
    var out: [Recommendation] = []
    for request in f.inputRequests {
        guard let match = request.matches.filter({ lineApplies($0, request: request, f) }).min(by: {
            (specificity.firstIndex(of: $0.ruleId) ?? specificity.count) < (specificity.firstIndex(of: $1.ruleId) ?? specificity.count)
        }) else { continue }
        let requested: Phrase = match.byKeyword
            ? "Requested \(request.description) (recognised by keyword: \(record: match.keyword ?? match.item))"
            : "Requested \(request.description)"
        if let why = exception(match, request: request, f, settings: settings) {
            out.append(Recommendation.note(ruleId: match.ruleId, sources: [request.source],
                                      reason: "\(requested) is not flagged: \(why).", item: match.item))
        } else {
            var reason: Phrase = "\(requested): not recommended by the card."
            // interface.md v3, serve: his records unread, the history that would lift the flag
            // ("zonder VG of +familieanamnese") may be there: said with the flag (not for a female
            // partner, who is not the genetic father).
            if match.ruleId == .nrKaryotype && f.partnerRecordsNotChecked && f.partner?.female != true {
                reason = reason + "Partner's records not checked: a known chromosomal abnormality of his, or recurrent miscarriage in his family, would make karyotyping indicated (the card's \"zonder VG of +familieanamnese\"); ask before removing it."
            }
            out.append(Recommendation.flag(ruleId: match.ruleId, sources: [request.source], reason: reason, item: match.item))
        }
    }
    return out
}
