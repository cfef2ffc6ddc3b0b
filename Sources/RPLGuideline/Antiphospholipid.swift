// Card, antiphospholipid antibodies ("Stollingsafwijkingen").

/// RPL-APL — "Antifosfolipidenantistoffen (Lupus Anticoagulans, anticardiolipine IgG en IgM, β2
/// glycoproteïne IgG en IgM)": each of the five tests with no result → order it; the orders of
/// one run (first tests and repeats) share one requisition (the emitter's: one per person).
/// guideline.md v2: not with a known antiphospholipid syndrome (`apsDiagnosed`).
func rplAPL(_ f: Facts) -> [Recommendation] {
    guard f.apsDiagnosed.isEmpty else { return [] }
    var out: [Recommendation] = AntiphospholipidTest.allCases.compactMap { test in
        // An indeterminate result counts as done (guideline.md v2).
        guard (f.antiphospholipid[test] ?? []).isEmpty, (f.antiphospholipidIndeterminate[test] ?? []).isEmpty else { return nil }
        return Recommendation.order(ruleId: .apl, activity: .aplTesting, sources: [],
                              reason: "No \(test.display) result.", item: test.rawValue)
    }
    for (test, all) in f.antiphospholipidIndeterminate.sorted(by: { $0.key < $1.key }) where (f.antiphospholipid[test] ?? []).isEmpty {
        // guideline.md v3: an equivocal answer, or a value and an interpretation that disagree.
        let said = all.filter { $0.indeterminate != nil }
        if !said.isEmpty {
            out.append(Recommendation.note(ruleId: .apl, sources: said.map(\.source),
                                      reason: "\(test.display): \(Phrase.joined(said.map { "\($0.indeterminate!) on \($0.date)" }, separator: "; ")): indeterminate; counted as done, neither positive nor negative: check with the lab.",
                                      item: test.rawValue))
        }
        let results = all.filter { $0.indeterminate == nil }
        guard !results.isEmpty else { continue }
        out.append(Recommendation.note(ruleId: .apl, sources: results.map(\.source),
                                  reason: "\(test.display) on \(Phrase.joined(results.map { "\($0.date)" }, separator: ", ")) has no reference range or interpretation, and there is no default limit (Sydney: above the lab's 99th percentile): the lab's interpretation is needed; counted as done, neither positive nor negative.",
                                  item: test.rawValue))
    }
    return out
}

/// A test's results in time order, as every aPL rule reads them: of one day, the negatives
/// first (a negative ends a run; a positive of that day begins the next); equals in the order
/// the facts give (by content, not by entry: the adapter's order).
func chronological(_ results: [AntiphospholipidResult]) -> [AntiphospholipidResult] {
    results.enumerated().sorted { ($0.element.date, $0.element.positive ? 1 : 0, $0.offset) < ($1.element.date, $1.element.positive ? 1 : 0, $1.offset) }.map(\.element)
}

/// A test's runs of positives, each with the negatives that follow it up to the next positive
/// (none for the current run).
func runs(_ results: [AntiphospholipidResult]) -> [(positives: [AntiphospholipidResult], negativesAfter: [AntiphospholipidResult])] {
    var out: [(positives: [AntiphospholipidResult], negativesAfter: [AntiphospholipidResult])] = []
    for r in chronological(results) {
        if r.positive {
            if out.isEmpty || !out[out.count - 1].negativesAfter.isEmpty { out.append(([], [])) }
            out[out.count - 1].positives.append(r)
        } else if !out.isEmpty {
            out[out.count - 1].negativesAfter.append(r)
        }
    }
    return out
}

/// The first positive of the current run of positives: the positives after the last negative.
/// nil when the newest result is negative.
func currentRunStart(_ results: [AntiphospholipidResult]) -> AntiphospholipidResult? {
    guard let last = runs(results).last, last.negativesAfter.isEmpty else { return nil }
    return last.positives.first
}

/// Persistence of one test: two positive results at least `days` apart in one run, with no
/// negative between them (the earliest such pair). Where guideline.md is silent on a negative
/// between the two (the fifth clinical audit: positive, negative, positive was treated as
/// persistent while RPL-APL-REPEAT, which counts the positives since the last negative, asked
/// for a repeat): the run decides both rules alike. A later negative does not undo it.
func persistence(_ results: [AntiphospholipidResult], days: Int) -> (AntiphospholipidResult, AntiphospholipidResult)? {
    for run in runs(results) {
        for (i, first) in run.positives.enumerated() {
            if let later = run.positives[(i + 1)...].first(where: { first.date.days(until: $0.earliest) >= days }) { return (first, later) }
        }
    }
    return nil
}

/// A transient run (guideline.md v2: "a negative repeat ≥ 84 days after a single positive means
/// transient"): the latest run followed, before any later positive, by a negative at least `days`
/// after its last positive; with that positive and the first such negative. A run is judged on
/// its own (helper-36's review: a positive was paired with a negative across a later positive).
func transience(_ results: [AntiphospholipidResult], days: Int) -> (AntiphospholipidResult, AntiphospholipidResult)? {
    for run in runs(results).reversed() {
        guard let last = run.positives.last,
              let negative = run.negativesAfter.first(where: { last.date.days(until: $0.earliest) >= days }) else { continue }
        return (last, negative)
    }
    return nil
}

/// RPL-APL-REPEAT — "Indien verhoogd: herhalen na 12 weken" (guideline.md v2): a test's current
/// run of positives (the positives since its last negative) not yet followed by a result of the
/// same test at least 84 days after the run's *first* positive → order the test again, not before
/// that first positive + 84 days (or the evaluation date if later). Timing from the latest
/// positive instead would put the repeat weeks too late. A test whose persistence is already
/// confirmed is not repeated (RPL-APL-TREAT holds).
func rplAPLRepeat(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
    let days = settings.antiphospholipidRepeatDays
    guard f.apsDiagnosed.isEmpty else { return [] }  // a known APS stands for confirmed persistence
    return AntiphospholipidTest.allCases.compactMap { test in
        let results = f.antiphospholipid[test] ?? []
        guard persistence(results, days: days) == nil, let positive = currentRunStart(results) else { return nil }
        if results.contains(where: { positive.date.days(until: $0.earliest) >= days }) { return nil }
        let twelveWeeks = positive.date.adding(days: days)
        let due = max(twelveWeeks, f.evaluationDate)
        // With 12 weeks already past, the due date is the evaluation date: said as "now", with the
        // run's latest positive, never as if 12 weeks ran to today (found by a clinical audit,
        // helper-42: "positive on 2026-06-01; repeat no earlier than 2026-12-06 (12 weeks)").
        let reason: Phrase
        if twelveWeeks >= f.evaluationDate {
            reason = "\(test.display) positive on \(positive.date); repeat no earlier than \(due) (12 weeks)."
        } else if let latest = runs(results).last?.positives.last, latest.date != positive.date {
            reason = "\(test.display) positive on \(positive.date) and on \(latest.date), less than 12 weeks apart; 12 weeks have passed since the first: repeat now."
        } else {
            reason = "\(test.display) positive on \(positive.date); 12 weeks have passed: repeat now."
        }
        return Recommendation.order(ruleId: .aplRepeat, activity: .aplRepeat, sources: [positive.source],
                              reason: reason, item: test.rawValue, notBefore: due)
    }
}

/// RPL-APL-TREAT — "Indien persisterend verhoogd: lage dosis aspirine i.c.m. LMWH" (guideline.md v2):
/// a known antiphospholipid syndrome, or the same test positive twice at least 84 days apart →
/// propose each of low-dose aspirin and LMWH that is not already taken or requested, with ESHRE's
/// timing (aspirin from before conception, LMWH from a positive pregnancy test; in a pregnancy both
/// now), and with fewer than 3 losses the note that ESHRE advises it for 3 or more. A later negative
/// does not undo confirmed persistence; a negative at least 84 days after a single positive means
/// transient: no treatment, and the plan says so.
func rplAPLTreat(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
    let days = settings.antiphospholipidRepeatDays
    var persistent: [(AntiphospholipidTest, AntiphospholipidResult, AntiphospholipidResult)] = []
    var transient: [(test: AntiphospholipidTest, positive: AntiphospholipidResult, negative: AntiphospholipidResult, pending: Bool)] = []
    for test in AntiphospholipidTest.allCases {
        let results = f.antiphospholipid[test] ?? []
        if let (a, b) = persistence(results, days: days) {
            persistent.append((test, a, b))
        } else if let (positive, negative) = transience(results, days: days) {
            // A later run waiting for its repeat (RPL-APL-REPEAT): the old one was transient, but
            // "no treatment" is not yet the test's last word.
            transient.append((test, positive, negative, currentRunStart(results) != nil))
        }
    }
    let aps = f.apsDiagnosed
    let treated = !persistent.isEmpty || !aps.isEmpty
    // Beside a treatment for another test's persistence or a known APS, a transient test is still
    // said (the fifth clinical audit: the note was dropped), without "no treatment".
    let transientNotes = transient.map { t in
        Recommendation.note(ruleId: .aplTreat, sources: [t.positive.source, t.negative.source], reason: treated || t.pending
            ? "\(t.test.display) positive on \(t.positive.date) and negative on \(t.negative.date): transient."
            : "\(t.test.display) positive on \(t.positive.date) and negative on \(t.negative.date): transient, no antiphospholipid treatment.",
            item: t.test.rawValue)
    }
    guard treated else { return transientNotes }
    let sources = aps.map(\.source) + persistent.flatMap { [$0.1.source, $0.2.source] }
    var why: [Phrase] = []
    if !aps.isEmpty { why.append("antiphospholipid syndrome recorded (\(aps.listed))") }
    if !persistent.isEmpty {
        why.append("persistent antiphospholipid antibodies (\(Phrase.joined(persistent.map { "\($0.0.display) positive on \($0.1.date) and \($0.2.date)" }, separator: "; ")))")
    }
    // The first reason begins the sentence: its capitalised wording.
    let basisText = Phrase.joined([why[0].capitalised] + why.dropFirst(), separator: "; ")
    // ESHRE's timing: aspirin from before conception, LMWH from a positive pregnancy test; during a
    // pregnancy both now.
    let pregnant = f.currentPregnancy != nil
    let aspirinWhen: Phrase = pregnant ? "now, in this pregnancy" : "from before conception"
    let lmwhWhen: Phrase = pregnant ? "now, in this pregnancy" : "from a positive pregnancy test"
    /// With fewer than 3 losses, every sentence of this rule adds ESHRE's caveat.
    func caveated(_ sentence: Phrase) -> Phrase {
        f.lossCount < 3 ? sentence + "ESHRE advises this for 3 or more losses; with fewer, within research (the card itself names no number)." : sentence
    }
    /// Each medicine proposed, or a note where it is already taken or requested.
    func propose(_ activity: ActivityID, taken: [Source], stale: [MedicationUse], proposal: Phrase, already: Phrase) -> Recommendation {
        guard taken.isEmpty else {
            // The caveat holds for a treatment already given too (the third clinical audit: it
            // was said only with a proposal).
            return Recommendation.note(ruleId: .aplTreat, sources: sources + taken,
                                       reason: caveated("\(basisText): \(already) is already taken or requested; not proposed again."), item: activity.rawValue)
        }
        return Recommendation.medication(ruleId: .aplTreat, activity: activity, sources: sources + stale.map(\.source),
                                         reason: .joined([caveated("\(basisText): \(proposal).")] + stale.compactMap(\.staleNote), separator: " "))
    }
    return [
        propose(.aspirinLowDose, taken: f.aspirinTakenOrRequested, stale: f.aspirinStale, proposal: "low-dose aspirin \(aspirinWhen), with LMWH \(lmwhWhen)", already: "low-dose aspirin"),
        propose(.lmwh, taken: f.heparinTakenOrRequested, stale: f.heparinStale, proposal: "LMWH \(lmwhWhen), with low-dose aspirin \(aspirinWhen)", already: "a heparin"),
    ] + transientNotes
}

/// A known antiphospholipid syndrome, or persistent antibodies: RPL-APL-TREAT holds (the LMWH
/// and heparin exceptions of NR-LMWH-THROMBOPHILIA and NR-DRUGS).
func antiphospholipidTreatmentHolds(_ f: Facts, settings: GuidelineSettings) -> Bool {
    !f.apsDiagnosed.isEmpty || persistentAntiphospholipid(f, settings: settings)
}

func persistentAntiphospholipid(_ f: Facts, settings: GuidelineSettings) -> Bool {
    AntiphospholipidTest.allCases.contains { persistence(f.antiphospholipid[$0] ?? [], days: settings.antiphospholipidRepeatDays) != nil }
}
