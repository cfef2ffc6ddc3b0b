import FHIR
import RPLGuideline

/// Card area: a current pregnancy (`Sources/RPLGuideline/Pregnancy.swift`: RPL-PROGESTERONE,
/// RPL-CERVIX). Facts: `currentPregnancy` with its gestational age projected to the evaluation
/// date (the newest dating: gestational age, estimated delivery date or last menstrual period),
/// current only until a later record ends it (guideline.md v2: a loss, ectopic or molar Condition,
/// a delivery (Condition or Procedure), or a "not pregnant" result dated after the pregnancy evidence; or a projected gestational age
/// past 42w6d),
/// `bleedingInCurrentPregnancy` with the gestational age at onset, `cervicalInsufficiencySuspected`.
/// Codes: ValueSets `pregnantNow`, `pregnancyStatus`, `gestationalAge`, `estimatedDeliveryDate`,
/// `lastMenstrualPeriod`, `earlyPregnancyBleeding`, `cervicalInsufficiency`, `notPregnant`,
/// `pregnancyLoss`, `notALoss`, `delivery`; settings `plausibleGestationalAgeDays`, `pregnancyEndsAfterDays`.
/// Tests: Tests/RPLAdapterTests/Facts/PregnancyFactTests.swift, Tests/RPLAdapterTests/Rules/PregnancyRuleTests.swift, Fixtures `pregnancy-*`.
enum Pregnancy: FactSource {
    struct Dating {
        var date: CalendarDate
        var index: Int
        var gestationalAge: GestationalAge
    }

    struct Bleeding {
        var index: Int
        var onset: CalendarDate?
    }

    /// A record that ends a pregnancy, with the days it may have happened on.
    struct Ending {
        var index: Int
        var when: DayInterval
        /// A loss, delivery or termination recorded on the day of the newest evidence ends that
        /// pregnancy too (a scan's gestational age and the miscarriage it found share a day); a
        /// result of that day does not (helper-36's review).
        var endsItsDay = false
    }

    static func read(_ c: FactContext, into facts: inout Facts) {
        var pregnancyConditions: [Int] = []
        var evidence: [DayInterval] = []
        var endings: [Ending] = []
        var bleeding: [Bleeding] = []
        // Pregnancy evidence with no dating, over 42w6d old: ended, by what is said once every
        // ending is known (below).
        var old: [(index: Int, since: CalendarDate)] = []
        func ended(_ c: FactContext, _ index: Int, since start: CalendarDate) -> Bool {
            guard Self.tooOld(c, since: start) else { return false }
            old.append((index, start))
            return true
        }
        for index in c.patientConditions() {
            let r = c.resource(index)
            let code = r.child("code")
            if c.terminology.matches(code, .cervicalInsufficiency) {
                facts.cervicalInsufficiencySuspected.append(Finding(record: c.text(code), Source(index)))
            }
            if c.terminology.matches(code, .pregnantNow) && c.currentCondition(index) {
                // guideline.md v3: a pregnancy with no dating is bounded by its own onset (else its
                // recordedDate, the latest possible start): more than 42w6d after it, it has ended.
                let onset = c.conditionDateText(r).flatMap(DayInterval.init(fhir:))
                let start = onset?.end ?? r.string("recordedDate").flatMap(DayInterval.init(fhir:))?.end
                if !(start.map { ended(c, index, since: $0) } ?? false) {
                    pregnancyConditions.append(index)
                    if let d = onset { evidence.append(d) }
                }
            }
            if Self.endsPregnancy(c, code), let d = c.conditionDateText(r).flatMap(DayInterval.init(fhir:)), d.start <= c.date {
                endings.append(Ending(index: index, when: d, endsItsDay: true))
            }
            if c.terminology.matches(code, .earlyPregnancyBleeding) {
                bleeding.append(Bleeding(index: index, onset: c.dated(index, c.conditionDateText(r), what: "onset")))
            } else if c.terminology.matchesKeyword(code, .earlyPregnancyBleeding) {
                // guideline.md v2 `earlyBleeding`: text alone never proposes progesterone.
                c.warn(index, .textOnly(what: "a bleeding in pregnancy", text: c.text(code)))
            }
        }
        // A delivery or a termination recorded as a Procedure ends the pregnancy too.
        for index in c.items(["Procedure"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient, r.string("status") != "entered-in-error", r.string("status") != "not-done",
                  c.terminology.matches(r.child("code"), .delivery) || c.terminology.matches(r.child("code"), .termination),
                  let d = Endocrine.performedText(r).flatMap(DayInterval.init(fhir:)), d.start <= c.date else { continue }
            endings.append(Ending(index: index, when: d, endsItsDay: true))
        }
        var pregnantObservations: [Int] = []
        var datings: [Dating] = []
        // guideline.md v3: the zib Pregnancy grouper is read through its members, which take its
        // date when they carry none of their own.
        var grouperDate: [Int: String] = [:]
        var grouperOf: [Int: Int] = [:]
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient, c.terminology.matches(r.child("code"), .pregnancyZib) else { continue }
            for member in r.children("hasMember") {
                // A member of two groupers takes the date of the first by identity, not entry order.
                guard let target = c.input.resolve(member, from: index), let d = c.observationDateText(r) else { continue }
                if let known = grouperOf[target], c.identities.of(known) <= c.identities.of(index) { continue }
                grouperDate[target] = d
                grouperOf[target] = index
            }
        }
        // A gestational age that a loss, an ectopic or molar pregnancy or a delivery names as its
        // evidence (`Condition.evidence.detail`, how guideline.md dates a second-trimester loss)
        // is the age at that event, not a dating of a pregnancy now (the fifth clinical audit: a
        // loss at 19 weeks was read as a pregnancy of 60w5d, with a warning).
        var agesAtEvents = Set<Int>()
        for index in c.patientConditions() {
            let r = c.resource(index), code = r.child("code")
            guard c.terminology.matches(code, .pregnancyLoss) || c.terminology.matches(code, .notALoss) || c.terminology.matches(code, .delivery) else { continue }
            for detail in r.all("evidence.detail") {
                if let target = c.input.resolve(detail, from: index) { agesAtEvents.insert(target) }
            }
        }
        var hcg: [(date: CalendarDate, value: Double, index: Int)] = []
        // Every result read as positive or negative (a coded answer, an interpretation, a value
        // against its range): a positive then a negative is a fall too, whatever kind each is.
        var hcgReadings: [(date: CalendarDate, positive: Bool, index: Int)] = []
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient else { continue }
            if c.terminology.matches(r.child("code"), .hcg), let d = c.dated(index, c.observationDateText(r), what: "date") {
                // A positive hCG is dated pregnancy evidence (for 42w6d at most: an undated
                // pregnancy ends then); a negative one after it ends it.
                let reading = hcgPositive(c, r)
                if let reading { hcgReadings.append((d, reading, index)) }
                switch reading {
                case true?:
                    if !ended(c, index, since: d) {
                        pregnantObservations.append(index)
                        evidence.append(DayInterval(start: d, end: d))
                    }
                case false?: endings.append(Ending(index: index, when: DayInterval(start: d, end: d)))
                case nil: break
                }
                if let q = r.child("valueQuantity"), let v = q.string("value").flatMap(Double.init), v.isFinite, v >= 0 { hcg.append((d, v, index)) }
                continue
            }
            if c.terminology.matches(r.child("code"), .pregnancyStatus) {
                let value = r.child("valueCodeableConcept")
                if c.terminology.matches(value, .pregnantNow), let d = c.dated(index, c.observationDateText(r), what: "date") {
                    // Undated by a gestational age: over 42w6d ago, that pregnancy has ended (v3).
                    if ended(c, index, since: d) { continue }
                    pregnantObservations.append(index)
                    evidence.append(DayInterval(start: d, end: d))
                } else if c.terminology.matches(value, .notPregnant), let d = c.dated(index, c.observationDateText(r), what: "date") {
                    endings.append(Ending(index: index, when: DayInterval(start: d, end: d)))
                }
            }
            if !agesAtEvents.contains(index), let dating = dating(c, index, grouperDate: grouperDate[index]) {
                datings.append(dating)
                evidence.append(DayInterval(start: dating.date, end: dating.date))
                // guideline.md v3: a gestational age, an estimated delivery date (while EDD − 280
                // days ≤ the evaluation date ≤ EDD + 20 days) or a zib pregnancy item says she is
                // pregnant; a last menstrual period alone does not.
                let code = r.child("code")
                if dating.gestationalAge.days >= 0,
                   grouperDate[index] != nil || c.terminology.matches(code, .gestationalAge) || c.terminology.matches(code, .estimatedDeliveryDate) {
                    pregnantObservations.append(index)
                }
            }
        }
        possibleBiochemicalLoss(c, hcg, readings: hcgReadings, into: &facts)
        /// The first ending after the pregnancy recorded up to `latest` (by day, then identity).
        func firstEnding(after latest: CalendarDate) -> Ending? {
            endings.filter { $0.when.start > latest || ($0.endsItsDay && $0.when.start == latest) }
                .min { ($0.when.start, c.identities.of($0.index)) < ($1.when.start, c.identities.of($1.index)) }
        }
        let current = !pregnancyConditions.isEmpty || !pregnantObservations.isEmpty
        // Time ends states: a loss, ectopic or molar record, or a "not pregnant" result after the
        // newest evidence of the pregnancy means it is over (v1 kept proposing progesterone).
        let endsCurrent = current ? evidence.map(\.end).max().flatMap { latest in firstEnding(after: latest).map { (ending: $0, latest: latest) } } : nil
        // Old evidence that a delivery, a loss or a negative result after it ended is said to be
        // ended by that record, not by the 42w6d bound (guideline.md v3: "a delivery ends it"; the
        // bound is for a pregnancy nothing else ends; helper-38's audit: a W78 followed by a W90
        // delivery was said to have ended by time).
        var endedOld: [Int: CalendarDate] = [:]
        for (index, since) in old {
            // Only an ending within 42w6d of it can be that pregnancy's (helper-40's review: a loss
            // two years on was said to end a pregnancy of 2021).
            if let ending = firstEnding(after: since), since.days(until: ending.when.start) <= c.defaults.pregnancyEndsAfterDays {
                endedOld[ending.index] = max(endedOld[ending.index] ?? since, since)
            } else {
                c.warn(index, .pregnancyTooLongAgo(since: since, days: c.defaults.pregnancyEndsAfterDays))
            }
        }
        // An ending of the current pregnancy says so itself, with its later evidence.
        for (index, since) in endedOld where index != endsCurrent?.ending.index { c.warn(index, .endsPregnancy(after: since)) }
        guard current else {
            facts.bleedingWithNoPregnancy = bleedingWithNoPregnancy(c, bleeding, endings: endings)
            return
        }
        if let (ended, latest) = endsCurrent {
            c.warn(ended.index, .endsPregnancy(after: latest))
            return
        }
        pregnancy(c, conditions: pregnancyConditions, observations: pregnantObservations, datings: datings, bleeding: bleeding, into: &facts)
    }

    /// A loss, an ectopic or molar pregnancy, a delivery, a termination, or an abortion of
    /// unrecorded type (O05/O06: a loss or a termination, either of which ends it) recorded as a
    /// Condition: the end of a pregnancy (guideline.md v3).
    static func endsPregnancy(_ c: FactContext, _ code: Element?) -> Bool {
        [ValueSetID.pregnancyLoss, .notALoss, .delivery, .termination, .abortionUnspecified].contains { c.terminology.matches(code, $0) }
    }

    /// Where the spec is silent (the fifth clinical audit: a GP's ICPC W03 "bleeding in
    /// pregnancy" with a last menstrual period only, and Utrogestan given): a coded bleeding in
    /// early pregnancy in the last 12 weeks (one seen at 4 weeks is at 16w0d, the progesterone's
    /// end, 12 weeks later), with no pregnancy found and nothing recorded on or after it that
    /// ends a pregnancy. RPL-PROGESTERONE says so, when the losses would let it propose.
    static func bleedingWithNoPregnancy(_ c: FactContext, _ bleeding: [Bleeding], endings: [Ending]) -> DatedFinding? {
        let recent = bleeding.compactMap { b -> (onset: CalendarDate, index: Int)? in
            guard let onset = b.onset, onset <= c.date, onset.days(until: c.date) <= 12 * 7,
                  !endings.contains(where: { $0.when.end >= onset }) else { return nil }
            return (onset, b.index)
        }
        // The newest; two of one day: the first by content, not by entry order.
        guard let newest = recent.max(by: { a, b in a.onset != b.onset ? a.onset < b.onset : c.identities.tieBreak(b.index, a.index) }) else { return nil }
        return DatedFinding(date: newest.onset, finding: Finding(record: c.text(c.resource(newest.index).child("code")), Source(newest.index)))
    }

    /// A gestational age from a Quantity in weeks or days; nil when it is not a number of weeks or
    /// days inside the plausible range (Profiles).
    static func gestationalAge(_ c: FactContext, _ q: Element?) -> GestationalAge? {
        guard let q, let v = q.string("value").flatMap(Double.init) else { return nil }
        let unit = (q.string("code") ?? q.string("unit") ?? "").lowercased()
        let days: Double
        if ["wk", "w", "week", "weeks", "wks"].contains(unit) { days = (v * 7).rounded() }
        else if ["d", "day", "days"].contains(unit) { days = v.rounded() }
        else { return nil }
        guard days.isFinite, c.defaults.plausibleGestationalAgeDays.contains(days) else { return nil }
        return GestationalAge(days: Int(days))
    }

    /// The gestational age an Observation implies for the evaluation date (gestational age,
    /// estimated delivery date or last menstrual period), projected forward.
    static func dating(_ c: FactContext, _ index: Int, grouperDate: String? = nil) -> Dating? {
        let r = c.resource(index)
        let code = r.child("code")
        if c.terminology.matches(code, .gestationalAge) {
            // Dated by its own effective[x], else its zib grouper's, else not projected (v3).
            guard let d = c.dated(index, c.observationDateText(r) ?? grouperDate, what: "date") else { return nil }
            guard let ga = gestationalAge(c, r.child("valueQuantity")) else {
                c.warn(index, .noPlausibleGestationalAge(range: c.defaults.plausibleGestationalAgeDays))
                return nil
            }
            return Dating(date: d, index: index, gestationalAge: GestationalAge(days: ga.days + d.days(until: c.date)))
        }
        if c.terminology.matches(code, .estimatedDeliveryDate) {
            guard let text = r.string("valueDateTime"), let edd = CalendarDate(fhir: text) else {
                c.warn(index, .noUsableValue(what: "estimated delivery date"))
                return nil
            }
            let recorded = c.dated(index, c.observationDateText(r) ?? grouperDate, what: "date") ?? c.date
            return Dating(date: recorded, index: index, gestationalAge: GestationalAge(days: 280 - c.date.days(until: edd)))
        }
        if c.terminology.matches(code, .lastMenstrualPeriod) {
            guard let text = r.string("valueDateTime"), let lmp = c.dated(index, text, what: "last menstrual period") else { return nil }
            return Dating(date: lmp, index: index, gestationalAge: GestationalAge(days: lmp.days(until: c.date)))
        }
        return nil
    }

    /// guideline.md v3: falling hCG values (a later value below an earlier one) with no coded
    /// loss, ectopic or molar pregnancy within 28 days of them: a note ("possible biochemical
    /// pregnancy loss: check, and record it"), never a counted loss.
    /// guideline.md v3: pregnancy evidence with no dating of its own bounds the pregnancy: more
    /// than 42w6d (`pregnancyEndsAfterDays`) after it, that pregnancy has ended (`read` says by what).
    static func tooOld(_ c: FactContext, since start: CalendarDate) -> Bool {
        start.days(until: c.date) > c.defaults.pregnancyEndsAfterDays
    }

    /// An hCG result read like an interpretation: its interpretation, else a coded answer, else a
    /// quantity against its own reference range (above the high limit: positive); equivocal or
    /// unreadable: nil. Never a project default: the lab's limit decides.
    static func hcgPositive(_ c: FactContext, _ r: Element) -> Bool? {
        for i in r.children("interpretation") {
            if c.terminology.matches(i, .equivocal) { return nil }
            if c.terminology.matches(i, .positive) { return true }
            if c.terminology.matches(i, .negative) { return false }
        }
        if let v = r.child("valueCodeableConcept") {
            if c.terminology.matches(v, .positive) { return true }
            if c.terminology.matches(v, .negative) { return false }
            return nil
        }
        guard let q = r.child("valueQuantity"), let value = q.string("value").flatMap(Double.init), value.isFinite,
              let high = r.children("referenceRange").compactMap({ $0.child("high")?.string("value").flatMap(Double.init) }).first else { return nil }
        return Bound(q.string("comparator")).above(value, limit: high)
    }

    /// A fall is a later value below an earlier one; or, for results read only as positive or
    /// negative, a negative after a positive (the fourth clinical audit: a positive test and a
    /// negative one ten days later, with no coded loss, said nothing). Where the spec is silent:
    /// that pair counts only within 28 days (`samePregnancyDays`, one pregnancy's window), as a
    /// negative test months later is as likely the end of a pregnancy recorded some other way.
    static func possibleBiochemicalLoss(_ c: FactContext, _ values: [(date: CalendarDate, value: Double, index: Int)],
                                        readings: [(date: CalendarDate, positive: Bool, index: Int)], into facts: inout Facts) {
        let window = c.defaults.samePregnancyDays
        func byDate<T>(_ xs: [T], _ date: (T) -> CalendarDate, _ index: (T) -> Int) -> [T] {
            xs.sorted { date($0) != date($1) ? date($0) < date($1) : c.identities.tieBreak(index($0), index($1)) }
        }
        /// No loss, ectopic or molar pregnancy coded within the window of these days.
        func uncoded(_ span: DayInterval) -> Bool {
            !c.patientConditions().contains { index in
                let code = c.resource(index).child("code")
                guard c.terminology.matches(code, .pregnancyLoss) || c.terminology.matches(code, .notALoss),
                      let d = c.conditionDateText(c.resource(index)).flatMap(DayInterval.init(fhir:)) else { return false }
                return d.gap(to: span) <= window
            }
        }
        let sorted = byDate(values, \.date, \.index)
        if sorted.count >= 2, let first = sorted.first, let last = sorted.last {
            var peak = sorted[0]
            var fall: (from: (date: CalendarDate, value: Double, index: Int), to: (date: CalendarDate, value: Double, index: Int))?
            for v in sorted.dropFirst() {
                if v.value < peak.value && v.date > peak.date { fall = (peak, v) }
                if v.value > peak.value { peak = v; fall = nil }
            }
            // A fall of values decides alone (one note, or none beside a coded loss).
            if let fall {
                if uncoded(DayInterval(start: first.date, end: last.date)) {
                    c.warn(fall.to.index, .possibleBiochemicalLoss(from: formatNumber(fall.from.value), on: fall.from.date, to: formatNumber(fall.to.value), at: fall.to.date))
                }
                return
            }
        }
        // Read as positive or negative: a negative within 28 days after a positive, no positive
        // after it (the words are the program's: the record's may be a code, or contradict the
        // interpretation that decided).
        var positive: (date: CalendarDate, positive: Bool, index: Int)?
        var pair: (on: CalendarDate, at: CalendarDate, index: Int)?
        for r in byDate(readings, \.date, \.index) {
            if r.positive { positive = r; pair = nil; continue }
            if let p = positive, r.date > p.date, p.date.days(until: r.date) <= window { pair = (p.date, r.date, r.index) }
        }
        if let pair, uncoded(DayInterval(start: pair.on, end: pair.at)) {
            c.warn(pair.index, .possibleBiochemicalLossByReading(on: pair.on, at: pair.at))
        }
    }

    static func pregnancy(_ c: FactContext, conditions: [Int], observations: [Int], datings: [Dating], bleeding: [Bleeding], into facts: inout Facts) {
        guard !conditions.isEmpty || !observations.isEmpty else { return }
        // The newest dating wins; one implying more than 44 weeks is not this pregnancy.
        var ga: GestationalAge?
        var sources = (conditions + observations).map(Source.init)
        // Two of one day: the first by content, not by entry order.
        if let newest = datings.max(by: { $0.date != $1.date ? $0.date < $1.date : c.identities.tieBreak($1.index, $0.index) }) {
            if newest.gestationalAge.days > c.defaults.pregnancyEndsAfterDays {
                // Projected past 42w6d: that pregnancy has ended (guideline.md v2).
                c.warn(newest.index, .gestationalAgeBeyondPregnancy(gestationalAge: newest.gestationalAge, date: c.date))
                return
            }
            if newest.gestationalAge.days >= 0 {
                ga = newest.gestationalAge
                sources.append(Source(newest.index))
            } else {
                c.warn(newest.index, .datingBeforePregnancy(date: c.date))
            }
        }
        facts.currentPregnancy = CurrentPregnancy(gestationalAge: ga, sources: sources)
        for b in bleeding {
            var atOnset: GestationalAge?
            if let ga, let onset = b.onset {
                let days = ga.days - onset.days(until: c.date)
                if days < 0 { continue }  // before this pregnancy
                atOnset = GestationalAge(days: days)
            }
            facts.bleedingInCurrentPregnancy.append(RPLGuideline.Bleeding(gestationalAgeAtOnset: atOnset, finding: Finding(record: c.text(c.resource(b.index).child("code")), Source(b.index))))
        }
    }
}
