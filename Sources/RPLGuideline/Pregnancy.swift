// Card, a new pregnancy: progesterone with bleeding after ≥ 3 miscarriages; the cervix.

/// The bleeding episodes of the current pregnancy that began at or before `limit` (12w0d).
func earlyBleeding(_ f: Facts, limit: GestationalAge) -> [Finding] {
    f.bleedingInCurrentPregnancy.compactMap { episode in
        guard let ga = episode.gestationalAgeAtOnset, ga <= limit else { return nil }
        return episode.finding
    }
}

/// When RPL-PROGESTERONE holds: the date gestational age reaches 16w0d.
func progesteroneEndDate(_ f: Facts, settings: GuidelineSettings) -> CalendarDate? {
    guard f.lossCount >= 3, let pregnancy = f.currentPregnancy, let ga = pregnancy.gestationalAge,
          ga < settings.progesteroneUntil, !earlyBleeding(f, limit: settings.earlyBleedingUntil).isEmpty
    else { return nil }
    return f.evaluationDate.adding(days: settings.progesteroneUntil.days - ga.days)
}

/// RPL-PROGESTERONE — "Bij ≥3 miskramen + bloedverlies ≤ AD 12 weken" → "2dd 400mg progesteron
/// vaginaal tot AD 16wk": ≥ 3 losses, pregnant now, bleeding that began at gestational age ≤ 12w0d
/// → propose progesterone 400 mg vaginally twice daily until the day gestational age reaches
/// 16w0d. Where the spec is silent: a pregnancy already at or past 16w0d gets no proposal (and a
/// note), and a bleeding whose gestational age cannot be computed does not count (and is noted).
func rplProgesterone(_ f: Facts, settings: GuidelineSettings) -> Recommendation? {
    guard f.lossCount >= 3 else { return nil }
    guard let pregnancy = f.currentPregnancy else {
        // Where the spec is silent (the fifth clinical audit: a GP's W03 with a last menstrual
        // period only, and Utrogestan given): a recent bleeding in pregnancy with no pregnancy
        // found, and no counted loss on or after it, is said: the rule could not be judged.
        guard let bleeding = f.bleedingWithNoPregnancy,
              !f.losses.contains(where: { ($0.latestDate ?? $0.date).map { $0 >= bleeding.date } ?? false }) else { return nil }
        return Recommendation.note(ruleId: .progesterone, sources: [bleeding.finding.source],
                                   reason: "\(bleeding.finding.text) on \(bleeding.date), a bleeding in early pregnancy, but no current pregnancy is found in the record (a pregnancy, a gestational age, a due date or a positive test), nor a loss after it: progesterone could not be judged; check whether she is pregnant.")
    }
    let early = earlyBleeding(f, limit: settings.earlyBleedingUntil)
    if early.isEmpty {
        let undated = f.bleedingInCurrentPregnancy.filter { $0.gestationalAgeAtOnset == nil }
        guard !undated.isEmpty else { return nil }
        return Recommendation.note(ruleId: .progesterone, sources: undated.map(\.finding.source),
                              reason: "Bleeding in the current pregnancy is recorded but its gestational age cannot be computed: progesterone could not be decided.")
    }
    guard let ga = pregnancy.gestationalAge else {
        return Recommendation.note(ruleId: .progesterone, sources: pregnancy.sources + early.map(\.source),
                              reason: "Early bleeding with 3 or more miscarriages, but the current gestational age is unknown: the end date of progesterone (16w0d) cannot be computed.")
    }
    guard let end = progesteroneEndDate(f, settings: settings) else {
        return Recommendation.note(ruleId: .progesterone, sources: pregnancy.sources + early.map(\.source),
                              reason: "Gestational age is \(ga), at or past \(settings.progesteroneUntil): no progesterone proposed.")
    }
    // guideline.md v3: one already taken or requested is not proposed again (a note).
    guard f.progesteroneTakenOrRequested.isEmpty else {
        return Recommendation.note(ruleId: .progesterone, sources: f.lossSources + pregnancy.sources + early.map(\.source) + f.progesteroneTakenOrRequested,
                              reason: "\(f.lossCount) miscarriages, pregnant at \(ga), bleeding at or before \(settings.earlyBleedingUntil): progesterone is already taken or requested; not proposed again (until \(end), \(settings.progesteroneUntil)).")
    }
    return Recommendation.medication(ruleId: .progesterone, activity: .progesteroneVaginal,
                          sources: f.lossSources + pregnancy.sources + early.map(\.source) + f.progesteroneStale.map(\.source),
                          reason: .joined(["\(f.lossCount) miscarriages, pregnant at \(ga) on \(f.evaluationDate), bleeding at or before \(settings.earlyBleedingUntil): progesterone 400 mg vaginally twice daily until \(end) (\(settings.progesteroneUntil))."]
                                          + f.progesteroneStale.compactMap(\.staleNote), separator: " "),
                          until: end)
}

/// RPL-CERVIX — "Bij tweede trimester miskramen en verdenking op een cervixinsufficiëntie" →
/// "Herhaalde echoscopische follow-up van de cervix; Cerclage alleen in selecte casus": a
/// second-trimester loss and suspected cervical insufficiency → serial ultrasound of the cervix,
/// with the note that cerclage is for selected cases only.
func rplCervix(_ f: Facts) -> Recommendation? {
    let second = f.losses.filter(\.secondTrimester)
    guard !second.isEmpty, !f.cervicalInsufficiencySuspected.isEmpty else { return nil }
    return Recommendation.order(ruleId: .cervix, activity: .cervixUltrasoundFollowup, sources: second.flatMap(\.sources) + f.cervicalInsufficiencySuspected.map(\.source),
                          reason: "Second-trimester loss and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases.")
}
