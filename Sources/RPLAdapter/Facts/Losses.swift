import FHIR
import RPLGuideline

/// Card area: indication, history and prognosis (`Sources/RPLGuideline/Indication.swift`,
/// `GeneralAdvice.swift`). Facts: `losses`, `statedLossCount`, `ageYears` (guideline.md §0).
/// Codes: ValueSets `pregnancyLoss`, `notALoss`, `secondTrimesterLoss`, `recurrentMiscarriage`, `miscarriageHistory`,
/// `miscarriageCount`, `gestationalAge`.
/// Tests: Tests/RPLAdapterTests/Facts/LossesFactTests.swift, Tests/RPLAdapterTests/Rules/IndicationRuleTests.swift, Fixtures `indication-*`.
enum Losses: FactSource {
    struct Candidate {
        /// The days the onset may mean (a partial date is an interval); nil: no onset recorded.
        var onset: DayInterval?
        var index: Int
        var secondTrimester: Bool
        /// When it was recorded (`recordedDate`): never its date, but an undated loss recorded
        /// before a dated loss's onset cannot be that loss (guideline.md v3).
        var recordedOn: DayInterval? = nil
    }

    /// Whether a Condition carries a diagnosis code (SNOMED, ICD-10, ICPC), whatever it means: one
    /// coded as something else than a loss ("complication following miscarriage") is judged by its
    /// code, not by its words (helper-40's review: it was said to be a loss in text only).
    static func diagnosisCoded(_ c: FactContext, _ code: Element?) -> Bool {
        c.terminology.codes(of: code).contains { k in
            k.system == "http://snomed.info/sct" || k.system.hasPrefix(Terminology.icd10) || k.system.hasPrefix("http://hl7.org/fhir/sid/icpc")
        }
    }

    static func read(_ c: FactContext, into facts: inout Facts) {
        facts.ageYears = age(c)
        facts.birthDateUnusable = facts.ageYears == nil && c.resource(c.patient).string("birthDate") != nil
        var candidates: [Candidate] = []
        var notLosses: [(onset: DayInterval, index: Int)] = []
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            if c.terminology.matches(code, .notALoss) {
                if let onset = onset(c, index) { notLosses.append((onset, index)) }
            } else if c.terminology.matches(code, .pregnancyLoss) {
                // guideline.md v3: a pregnancy of unknown location counts only once it is resolved
                // (an active PUL may still be an ongoing or an ectopic pregnancy).
                if c.terminology.matches(code, .pregnancyUnknownLocation) {
                    if c.activeCondition(c.resource(index)) {
                        // The status that makes it active (a catalogue word: active, recurrence, relapse).
                        c.warn(index, .clinicalStatus(what: "pregnancy of unknown location", status: c.ongoingStatus(c.resource(index)).map { Phrase(template: $0) },
                                                      consequence: "not counted as a loss until it is resolved"))
                        continue
                    }
                    if let onset = onset(c, index), let located = intrauterine(c, after: onset) {
                        c.warn(index, .locatedInUterus(by: c.identities.name(located)))
                        continue
                    }
                }
                let recorded = c.conditionOnset(c.resource(index))
                let interval = onset(c, index)
                // An onset after the evaluation date or before her birth: warned, not counted. One
                // that cannot be dated (an age with no birth date, an unknown unit): undated, counted.
                if let recorded, interval == nil, recorded.interval != nil { continue }
                candidates.append(Candidate(onset: interval, index: index,
                                            secondTrimester: c.terminology.matches(code, .secondTrimesterLoss) || secondTrimesterByGestationalAge(c, index),
                                            recordedOn: c.resource(index).string("recordedDate").flatMap(DayInterval.init(fhir:))))
            } else if c.terminology.matches(code, .recurrentMiscarriage) {
                state(&facts, count: 2, index)
            } else if c.terminology.matches(code, .miscarriageHistory) {
                // guideline.md v3: at least one loss; beside dated losses it adds nothing.
                state(&facts, count: 1, index)
            } else if c.terminology.matches(code, .abortionUnspecified) {
                // guideline.md v3: O05/O06 do not say whether the pregnancy was lost or ended.
                c.warn(index, .notSpecific(what: "a miscarriage", text: c.text(code),
                                           consequence: "an abortion of unrecorded type is neither counted as a loss nor cancels one; check and record the kind"))
            } else if c.terminology.matchesKeyword(code, .recurrentMiscarriage) {
                // guideline.md v2, codes decide: free text ("herhaalde miskramen bij zus", possibly
                // about a relative) never counts a loss; it is said, for a clinician to check.
                c.warn(index, .textOnly(what: "recurrent miscarriage", text: c.text(code)))
            } else if c.terminology.matchesKeyword(code, .pregnancyLoss), !Self.diagnosisCoded(c, code), !c.terminology.matches(code, .termination),
                      !c.terminology.matchesCodeOrKeyword(code, .earlyPregnancyBleeding) {
                // guideline.md §0 `losses`, text alone never counts: one loss in free text
                // ("Miskraam 2023 (elders)") is said too, or a second loss is lost without a word
                // (found by a clinical audit, helper-38). A threatened miscarriage is a bleeding
                // (its own text warning), a termination no loss.
                c.warn(index, .textOnly(what: "a miscarriage", text: c.text(code)))
            }
        }
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient, c.terminology.matches(r.child("code"), .miscarriageCount) else { continue }
            let text = r.child("valueQuantity")?.string("value") ?? r.string("valueInteger")
            guard let text, let n = Double(text) else {
                c.warn(index, .noUsableValue(what: "number of previous miscarriages"))
                continue
            }
            if let n = c.plausible(index, n, c.defaults.plausibleMiscarriageCount, what: "number of previous miscarriages", text: text, unit: ""),
               n == n.rounded() {
                state(&facts, count: Int(n), index)
            } else if n.isFinite && c.defaults.plausibleMiscarriageCount.contains(n) {
                c.warn(index, .notWhole(what: "number of previous miscarriages", text: text))
            }
        }
        candidates += procedureEvidence(c)
        notLosses += ectopicTreatments(c)
        facts.losses = countLosses(c, candidates, notLosses: notLosses)
        facts.undatedLossesPossiblyDated = undatedPossiblyDated(c, facts.losses)
    }

    /// guideline.md v3, the loss count as a range: an undated loss recorded on or after a dated
    /// loss's onset (or with no recording date) may be that loss. Each dated loss can be at most
    /// one of them, so the number that may be dated ones is a maximum matching; as each undated
    /// loss may be any dated loss with an onset up to its recording date (nested prefixes), taking
    /// them by recording date, each the earliest free dated loss, finds it.
    static func undatedPossiblyDated(_ c: FactContext, _ losses: [PregnancyLoss]) -> [Source] {
        let datedStarts = losses.compactMap(\.earliestDate).sorted()
        guard !datedStarts.isEmpty else { return [] }
        let undated = losses.filter { $0.earliestDate == nil }.map { loss -> (recorded: CalendarDate?, source: Source) in
            (loss.recordedOn, loss.sources[0])
        }.sorted { a, b in
            (a.recorded ?? CalendarDate(year: 9999, month: 12, day: 31)!, c.identities.of(a.source.index)) < (b.recorded ?? CalendarDate(year: 9999, month: 12, day: 31)!, c.identities.of(b.source.index))
        }
        var next = 0
        var out: [Source] = []
        for u in undated where next < datedStarts.count {
            guard u.recorded.map({ datedStarts[next] <= $0 }) ?? true else { continue }
            out.append(u.source)
            next += 1
        }
        return out
    }

    /// guideline.md v3: ectopic or molar evidence may also be a Procedure (coded as, or done for,
    /// an ectopic or molar pregnancy) or a methotrexate request whose reason is an ectopic or
    /// molar pregnancy or a pregnancy of unknown location: dated by its performance or authoring.
    static func ectopicTreatments(_ c: FactContext) -> [(onset: DayInterval, index: Int)] {
        var out: [(onset: DayInterval, index: Int)] = []
        for index in c.items(["Procedure", "MedicationRequest"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient, !["entered-in-error", "not-done", "cancelled"].contains(r.string("status") ?? "") else { continue }
            let reasons = Requests.reasons(c, index)
            let ectopic: Bool
            let dateText: String?
            if r.name == "Procedure" {
                ectopic = c.terminology.matches(r.child("code"), .notALoss) || reasons.contains { c.terminology.matches($0, .notALoss) }
                dateText = Endocrine.performedText(r)
            } else {
                ectopic = c.terminology.matches(Requests.medicationCode(c, index), .methotrexate)
                    && reasons.contains { c.terminology.matches($0, .notALoss) || c.terminology.matches($0, .pregnancyUnknownLocation) }
                dateText = r.string("authoredOn")
            }
            guard ectopic, let d = dateText.flatMap(DayInterval.init(fhir:)), d.start <= c.date else { continue }
            out.append((d, index))
        }
        return out
    }

    /// guideline.md v3: a pregnancy of unknown location is located in the uterus by a
    /// gestational-age or "pregnant" Observation dated within 28 days after its onset, or a
    /// delivery within 44 weeks of it: that pregnancy went on, it is not a loss.
    static func intrauterine(_ c: FactContext, after onset: DayInterval) -> Int? {
        let window = c.defaults.samePregnancyDays
        var found: [Int] = []
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient,
                  let d = c.observationDateText(r).flatMap(DayInterval.init(fhir:)), d.start >= onset.start, onset.end.days(until: d.end) <= window else { continue }
            let code = r.child("code")
            if c.terminology.matches(code, .gestationalAge) || c.terminology.matches(code, .estimatedDeliveryDate)
                || (c.terminology.matches(code, .pregnancyStatus) && c.terminology.matches(r.child("valueCodeableConcept"), .pregnantNow)) {
                found.append(index)
            }
        }
        for index in c.items(["Procedure", "Condition"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient, c.terminology.matches(r.child("code"), .delivery) else { continue }
            let text = r.name == "Procedure" ? Endocrine.performedText(r) : c.conditionDateText(r)
            guard let d = text.flatMap(DayInterval.init(fhir:)), d.start >= onset.start, onset.end.days(until: d.end) <= 44 * 7 else { continue }
            found.append(index)
        }
        // Named by identity, never by entry order.
        return found.min { c.identities.order($0) < c.identities.order($1) }
    }

    /// guideline.md v3: a loss's evidence may be a Procedure (an evacuation, a curettage, the
    /// medical management of a miscarriage) whose `reasonCode` is a loss: a candidate dated by
    /// its performance, merged with the loss Conditions of the same pregnancy by the 28-day rule.
    /// One whose `reasonReference` names a loss Condition is that Condition's evidence (the
    /// Condition counts); a curettage for a termination or after a delivery is no loss evidence.
    static func procedureEvidence(_ c: FactContext) -> [Candidate] {
        let sct = "http://snomed.info/sct"
        let notEvidence: Set<CodeKey> = [CodeKey(system: sct, code: "274973002"), CodeKey(system: sct, code: "391998006")]
        var out: [Candidate] = []
        for index in c.items(["Procedure"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient, ["completed", "in-progress"].contains(r.string("status") ?? ""),
                  !c.terminology.codes(of: r.child("code")).contains(where: notEvidence.contains),
                  r.children("reasonCode").contains(where: { c.terminology.matches($0, .pregnancyLoss) }),
                  !r.children("reasonReference").contains(where: { ref in
                      c.input.resolve(ref, from: index).map { c.resource($0).name == "Condition" } ?? false
                  }) else { continue }
            guard let text = r.string("performedDateTime") ?? r.child("performedPeriod")?.string("start") else {
                out.append(Candidate(onset: nil, index: index, secondTrimester: false))
                continue
            }
            guard let interval = DayInterval(fhir: text), interval.start <= c.date else {
                c.warn(index, .notAFullDate(what: "performed", text: text))
                continue
            }
            if c.beforeBirth(index, interval, what: "performed", text: text) { continue }
            out.append(Candidate(onset: interval, index: index, secondTrimester: false))
        }
        return out
    }

    /// A Condition's onset as the days it may mean (guideline.md v2: `2019` and `2021-05` count).
    /// Not a date, or wholly after the evaluation date: a warning and nil. Reaching past the
    /// evaluation date (`2026` evaluated in November 2026): counted, with a warning.
    static func onset(_ c: FactContext, _ index: Int) -> DayInterval? {
        guard let (text, interval) = c.conditionOnset(c.resource(index)) else { return nil }
        guard let interval else {
            c.warn(index, .undatable(what: "onset", text: text))
            return nil
        }
        if interval.start > c.date {
            c.warn(index, .afterEvaluationDate(what: "onset", text: text, date: c.date))
            return nil
        }
        if c.beforeBirth(index, interval, what: "onset", text: text) { return nil }
        if interval.end > c.date { c.warn(index, .reachesPastEvaluationDate(what: "onset", text: text, date: c.date)) }
        return interval
    }

    /// The input says at least `count` losses (a count Observation, a recurrent-miscarriage Condition).
    static func state(_ facts: inout Facts, count: Int, _ index: Int) {
        let current = facts.statedLossCount
        facts.statedLossCount = StatedLossCount(count: max(current?.count ?? 0, count), sources: (current?.sources ?? []) + [Source(index)])
    }

    /// Whole years at the evaluation date (guideline.md v2): a partial birth date gives the age when
    /// it is the same for every day it may mean, else the lower age with a warning; a birth date
    /// after the evaluation date, or an age over 60, is a warning and the age is missing.
    static func age(_ c: FactContext) -> Int? {
        guard let text = c.resource(c.patient).string("birthDate") else { return nil }
        guard let birth = DayInterval(fhir: text) else {
            c.warn(c.patient, .notAFullDate(what: "birthDate", text: text))
            return nil
        }
        if birth.end > c.date {
            c.warn(c.patient, .afterEvaluationDate(what: "birthDate", text: text, date: c.date))
            return nil
        }
        let oldest = birth.start.wholeYears(until: c.date), youngest = birth.end.wholeYears(until: c.date)
        if oldest != youngest { c.warn(c.patient, .ageUncertain(birthDate: text, age: youngest)) }
        if youngest > 60 {
            c.warn(c.patient, .implausible(what: "age from birthDate", text: "\(youngest)", range: 0...60, unit: "years"))
            return nil
        }
        return youngest
    }

    static func secondTrimesterByGestationalAge(_ c: FactContext, _ index: Int) -> Bool {
        for detail in c.resource(index).all("evidence.detail") {
            guard let target = c.input.resolve(detail, from: index) else {
                // interface.md: a reference that does not resolve is said (helper-45's audit).
                if let s = detail.string("reference") { c.warn(index, .unresolved(field: "evidence.detail", reference: s, consequence: "treated as missing")) }
                continue
            }
            let obs = c.resource(target)
            guard obs.name == "Observation", c.terminology.matches(obs.child("code"), .gestationalAge),
                  let ga = Pregnancy.gestationalAge(c, obs.child("valueQuantity")) else { continue }
            return ga.days >= c.defaults.secondTrimesterFromDays && ga.days < c.defaults.secondTrimesterBeforeDays
        }
        return false
    }

    /// One loss per pregnancy, not per Condition (guideline.md v2): loss Conditions whose onsets lie
    /// less than `samePregnancyDays` (28) apart, or whose partial onsets overlap, are one pregnancy
    /// recorded more than once (the scan, the curettage, the GP's letter): counted once, with a
    /// warning; records chain (0, 10 and 30 days apart are one). A loss recorded within 28 days
    /// before or after an ectopic or molar pregnancy is that pregnancy, not a loss. A loss with no
    /// onset counts on its own.
    static func countLosses(_ c: FactContext, _ candidates: [Candidate], notLosses: [(onset: DayInterval, index: Int)]) -> [PregnancyLoss] {
        let window = c.defaults.samePregnancyDays
        // guideline.md v3: a loss is cancelled by an ectopic or molar pregnancy only when every day
        // its onset may mean lies within the window of every day the other's may mean; when it
        // only might be that pregnancy (a partial date), it counts, with a warning.
        let kept = candidates.filter { candidate in
            guard let onset = candidate.onset else { return true }
            let near = notLosses.filter { onset.gap(to: $0.onset) <= window }
            if near.contains(where: { onset.start >= $0.onset.end.adding(days: -window) && onset.end <= $0.onset.start.adding(days: window) }) {
                return false
            }
            if let other = near.min(by: { c.identities.of($0.index) < c.identities.of($1.index) }) {
                c.warn(candidate.index, .possiblyOtherPregnancy(other: c.identities.name(other.index)))
            }
            return true
        }
        var losses: [PregnancyLoss] = []
        // Dated: in onset order, each joins the pregnancy before it when less than the window apart.
        // Ties by identity and name, never by the input's entry order (interface.md v3).
        func key(_ x: Candidate) -> (CalendarDate, CalendarDate) { (x.onset!.start, x.onset!.end) }
        let dated = kept.filter { $0.onset != nil }.sorted { key($0) != key($1) ? key($0) < key($1) : c.identities.tieBreak($0.index, $1.index) }
        // `nearest`: the record whose onset ends the group's span, the one a chained record is
        // within the window of (found by a clinical audit, helper-42: a record 40 days after the
        // first, 20 after the second, was said to be "less than 28 days apart" from the first).
        var current: (loss: PregnancyLoss, span: DayInterval, first: Int, firstOnset: DayInterval, nearest: Int)?
        for candidate in dated {
            let onset = candidate.onset!
            if var group = current, group.span.gap(to: onset) < window {
                if group.firstOnset.gap(to: onset) < window {
                    c.warn(candidate.index, .samePregnancy(other: c.identities.name(group.first), days: window))
                } else {
                    c.warn(candidate.index, .samePregnancy(other: c.identities.name(group.nearest), days: window, through: c.identities.name(group.first)))
                }
                group.loss.sources.append(Source(candidate.index))
                group.loss.secondTrimester = group.loss.secondTrimester || candidate.secondTrimester
                if onset.end > group.span.end { group.nearest = candidate.index }
                group.span.end = max(group.span.end, onset.end)
                group.loss.latestDate = group.span.end
                current = group
                continue
            }
            if let done = current { losses.append(done.loss) }
            current = (PregnancyLoss(date: onset.isDay ? onset.start : nil, earliestDate: onset.start, latestDate: onset.end, secondTrimester: candidate.secondTrimester, sources: [Source(candidate.index)]),
                       onset, candidate.index, onset, candidate.index)
        }
        if let done = current { losses.append(done.loss) }
        for candidate in kept where candidate.onset == nil {
            var loss = PregnancyLoss(date: nil, secondTrimester: candidate.secondTrimester, sources: [Source(candidate.index)])
            // The latest day it may have been recorded: a partial recordedDate's last day.
            loss.recordedOn = candidate.recordedOn?.end
            losses.append(loss)
        }
        return losses
    }
}
