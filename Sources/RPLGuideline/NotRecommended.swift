// Card, NIET AANBEVOLEN: requests already in the input that the card advises against are flagged,
// unless the line's exception holds. One flag per request: the most specific line decides.

/// Most specific first (guideline.md §4: prednisone is judged by NR-PREDNISONE, LMWH for a
/// thrombophilia factor by NR-LMWH-THROMBOPHILIA, not by the general drug line).
let specificity: [RuleID] = [
    .nrPrednisone, .nrLmwhThrombophilia, .nrLevothyroxineEuthyroid, .nrTissueGenetics, .nrKaryotype,
    .nrProlactin, .nrHomocysteine, .nrThrombophilia, .nrImmunology, .nrOvarianEndocrine, .nrHormones,
    .nrUterineSurgery, .nrPolypMyomaAdhesion, .nrScratching, .nrSpermSelection, .nrDrugs,
]

/// Hypothyroidism, overt or subclinical, established (the exception of NR-LEVOTHYROXINE-EUTHYROID).
func hypothyroidismEstablished(_ f: Facts) -> Bool {
    overtHypothyroidism(f) || subclinicalHypothyroidism(f) || !f.hypothyroidismConditions.isEmpty
        || !f.subclinicalHypothyroidismConditions.isEmpty
}

/// The exception of a line for one matched item, in words, when it holds.
func exception(_ match: InputRequest.Match, _ f: Facts, settings: GuidelineSettings) -> String? {
    switch match.ruleId {
    case .nrTissueGenetics:
        return f.structuralAnomaliesInPregnancy.isEmpty ? nil : "structural or ultrasound abnormalities are recorded"
    case .nrKaryotype:
        return karyotypeCriteriaHold(f) ? "the criteria of RPL-KARYOTYPE hold" : nil
    case .nrImmunology:
        return match.item == "ANA" && !f.autoimmuneSymptoms.isEmpty ? "clinical symptoms of autoimmune disease are recorded" : nil
    case .nrHormones:
        return f.cycleDisorder.isEmpty && f.oligoOrAmenorrhoea.isEmpty ? nil : "a cycle disorder is recorded"
    case .nrProlactin:
        return f.oligoOrAmenorrhoea.isEmpty ? nil : "oligo- or amenorrhoea is recorded"
    case .nrLevothyroxineEuthyroid:
        return hypothyroidismEstablished(f) ? "hypothyroidism is established" : nil
    case .nrLmwhThrombophilia:
        return antiphospholipidTreatmentHolds(f, settings: settings) ? "antiphospholipid syndrome or persistent antiphospholipid antibodies (RPL-APL-TREAT)" : nil
    case .nrDrugs:
        if match.item == "progesterone" && progesteroneEndDate(f, settings: settings) != nil { return "RPL-PROGESTERONE holds" }
        if match.item == "heparin" && antiphospholipidTreatmentHolds(f, settings: settings) {
            return "antiphospholipid syndrome or persistent antiphospholipid antibodies (RPL-APL-TREAT)"
        }
        return nil
    case .nrPrednisone:
        return f.onStudy.isEmpty ? nil : "she takes part in a study"
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
        guard let match = request.matches.min(by: {
            (specificity.firstIndex(of: $0.ruleId) ?? specificity.count) < (specificity.firstIndex(of: $1.ruleId) ?? specificity.count)
        }) else { continue }
        let how = match.byKeyword ? " (recognised by keyword: \(match.item))" : ""
        if let why = exception(match, f, settings: settings) {
            out.append(Recommendation(ruleId: match.ruleId, activityId: nil, kind: .note, sources: [request.source],
                                      reason: "Requested \(request.description)\(how) is not flagged: \(why).", item: match.item))
        } else {
            out.append(Recommendation(ruleId: match.ruleId, activityId: nil, kind: .flag, sources: [request.source],
                                      reason: "Requested \(request.description)\(how): not recommended by the card.", item: match.item))
        }
    }
    return out
}
