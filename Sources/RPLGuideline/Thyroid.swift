// Card, thyroid ("Schildklier"): TSH, free T4 on abnormal values, levothyroxine in hypothyroidism.

/// RPL-TSH — "TSH waarde": no TSH result in the lookback window (the adapter applies the window)
/// → order TSH.
func rplTSH(_ f: Facts) -> Recommendation? {
    guard f.tsh == nil else { return nil }
    let none: Phrase = "No TSH result in the lookback window before \(f.evaluationDate)."
    return Recommendation.order(ruleId: .tsh, activity: .thyroidTsh, sources: f.tshBeforeWindow.map { [$0.finding.source] } ?? [],
                          reason: f.tshBeforeWindow.map { none + "The newest, on \($0.date), is older than the window." } ?? none)
}

/// RPL-FT4 — "Bij abnormale waarden: vrijT4 bepalen": newest TSH high or low and no free T4 dated
/// on or after it → order free T4.
func rplFT4(_ f: Facts) -> Recommendation? {
    guard let tsh = f.tsh, tsh.classification != .normal else { return nil }
    if let ft4 = f.freeT4, ft4.date >= tsh.date { return nil }
    // A TSH of a partial date read as its last day: a free T4 within it may be after it (found by a
    // clinical audit, helper-42). Ordered, as the free T4 may be the older result, and said.
    if let ft4 = f.freeT4, let earliest = tsh.earliestDate, ft4.date >= earliest {
        return Recommendation.order(ruleId: .ft4, activity: .thyroidFt4, sources: [tsh.source, ft4.source],
                              reason: "TSH \(number: tsh.valueText) \(record: tsh.unit) \(tsh.when) is \(tsh.classification.phrase) (\(tsh.basis)); no free T4 known to be on or after it: the free T4 \(ft4.when) may be before or after it (the TSH's date is partial): check before ordering.")
    }
    let reason: Phrase = "TSH \(number: tsh.valueText) \(record: tsh.unit) \(tsh.when) is \(tsh.classification.phrase) (\(tsh.basis)); no free T4 on or after it."
    return Recommendation.order(ruleId: .ft4, activity: .thyroidFt4, sources: [tsh.source], reason: reason)
}

/// Overt hypothyroidism: newest TSH high and a free T4 on or after it low.
func overtHypothyroidism(_ f: Facts) -> Bool {
    guard let tsh = f.tsh, tsh.classification == .high, let ft4 = f.freeT4, ft4.date >= tsh.date else { return false }
    return ft4.classification == .low
}

/// Subclinical hypothyroidism: newest TSH high and a free T4 on or after it normal.
func subclinicalHypothyroidism(_ f: Facts) -> Bool {
    guard let tsh = f.tsh, tsh.classification == .high, let ft4 = f.freeT4, ft4.date >= tsh.date else { return false }
    return ft4.classification == .normal
}

/// RPL-LEVOTHYROXINE — "Indien sprake is van hypothyreoïdie: behandel met levothyroxine"
/// (guideline.md v2): overt hypothyroidism shown by the results (newest TSH high, a free T4 on or
/// after it low) and no levothyroxine taken now → propose levothyroxine. A recorded hypothyroidism
/// with no levothyroxine on record at all gives no proposal, but a note to check the medication list.
func rplLevothyroxine(_ f: Facts) -> Recommendation? {
    if overtHypothyroidism(f), let tsh = f.tsh, let ft4 = f.freeT4 {
        let shown: Phrase = "TSH \(number: tsh.valueText) \(record: tsh.unit) high and free T4 \(number: ft4.valueText) \(record: ft4.unit) low (overt hypothyroidism)"
        // guideline.md v3: one already taken is not proposed again (a note); a record with no
        // known end older than 12 months is not taken now (a note, and the proposal).
        let taken = f.levothyroxine.filter(\.current)
        if !taken.isEmpty {
            return Recommendation.note(ruleId: .levothyroxine, sources: [tsh.source, ft4.source] + taken.map(\.source),
                                  reason: "Hypothyroidism: \(shown); levothyroxine is already taken (\(Phrase.joined(taken.map(\.text), separator: "; "))): not proposed again; check the dose.")
        }
        let stale = f.levothyroxine.filter { $0.stale != nil }
        return Recommendation.medication(ruleId: .levothyroxine, activity: .levothyroxine, sources: [tsh.source, ft4.source] + stale.map(\.source),
                              reason: .joined(["Hypothyroidism: \(shown)."] + stale.compactMap(\.staleNote), separator: " "))
    }
    guard !f.hypothyroidismConditions.isEmpty, f.levothyroxine.isEmpty else { return nil }
    return Recommendation.note(ruleId: .levothyroxine, sources: f.hypothyroidismConditions.map(\.source),
                          reason: "Hypothyroidism recorded (\(f.hypothyroidismConditions.listed)), no levothyroxine on record: check the medication list.")
}

/// RPL-SUBCLINICAL — same card line; ESHRE: the evidence on subclinical hypothyroidism is
/// conflicting. TSH high with a normal free T4 → discuss levothyroxine (a clinician's decision),
/// no medication proposal.
func rplSubclinical(_ f: Facts) -> Recommendation? {
    guard subclinicalHypothyroidism(f), let tsh = f.tsh, let ft4 = f.freeT4 else { return nil }
    // Where the spec is silent (the fifth clinical audit): a high TSH with a normal free T4 in a
    // woman on levothyroxine at the time of that TSH (as NR-LEVOTHYROXINE-EUTHYROID reads it:
    // begun on or before its day, not ended before it; a stale record is not taken), or whose
    // hypothyroidism is recorded, is her treatment's matter (guideline.md v2 "treated
    // hypothyroidism"): a note, not the discussion of starting levothyroxine.
    let values: Phrase = "TSH \(number: tsh.valueText) \(record: tsh.unit) high with free T4 \(number: ft4.valueText) \(record: ft4.unit) normal"
    let taken = f.levothyroxine.filter { use in
        use.stale == nil && (use.start.map { $0 <= tsh.date } ?? true) && (use.end.map { $0 >= tsh.date } ?? true)
    }
    if !taken.isEmpty {
        return Recommendation.note(ruleId: .subclinical, sources: [tsh.source, ft4.source] + taken.map(\.source),
                                   reason: "\(values) while levothyroxine is taken (\(Phrase.joined(taken.map(\.text), separator: "; "))): treated hypothyroidism, not subclinical; check the dose.")
    }
    if !f.hypothyroidismConditions.isEmpty {
        return Recommendation.note(ruleId: .subclinical, sources: [tsh.source, ft4.source] + f.hypothyroidismConditions.map(\.source),
                                   reason: "\(values) while hypothyroidism is recorded (\(f.hypothyroidismConditions.listed)): known hypothyroidism, not subclinical; check its treatment.")
    }
    // A record with no known end older than 12 months (the setting) is not taken: said beside
    // the discussion, as RPL-LEVOTHYROXINE says it beside its proposal.
    let stale = f.levothyroxine.filter { $0.stale != nil }
    return Recommendation.advice(ruleId: .subclinical, activity: .subclinicalHypothyroidismDiscussion, sources: [tsh.source, ft4.source] + stale.map(\.source),
                          reason: .joined(["TSH \(number: tsh.valueText) \(record: tsh.unit) high with free T4 \(number: ft4.valueText) \(record: ft4.unit) normal: subclinical hypothyroidism; discuss levothyroxine (evidence conflicting, clinician's decision)."]
                                          + stale.compactMap(\.staleNote), separator: " "))
}

/// A number for the plan text: up to 2 decimals, no trailing zeros. Any Double is written: values
/// too large for integer arithmetic (an implausible 1e17 that reached a text) fall back to Swift's
/// own rendering instead of trapping.
public func formatNumber(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-∞" : "∞") }
    let scaledValue = (value * 100).rounded()
    guard abs(scaledValue) < 1e15 else { return "\(value)" }
    let scaled = Int(scaledValue)
    var s = (scaled < 0 ? "-" : "") + String(abs(scaled) / 100)
    let frac = abs(scaled) % 100
    if frac != 0 {
        var f = frac < 10 ? "0\(frac)" : String(frac)
        while f.hasSuffix("0") { f.removeLast() }
        s += "." + f
    }
    return s
}
