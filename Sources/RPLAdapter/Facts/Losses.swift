import FHIR
import RPLGuideline

/// Card area: indication, history and prognosis (`Sources/RPLGuideline/Indication.swift`,
/// `GeneralAdvice.swift`). Facts: `losses`, `statedLossCount`, `ageYears` (guideline.md §0).
/// Codes: ValueSets `pregnancyLoss`, `notALoss`, `secondTrimesterLoss`, `recurrentMiscarriage`,
/// `miscarriageCount`, `gestationalAge`.
/// Tests: Tests/EndToEndTests/RuleTests.swift (IndicationAndAdviceTests), Fixtures `indication-*`.
enum Losses: FactSource {
    struct Candidate {
        var date: CalendarDate?
        var index: Int
        var secondTrimester: Bool
    }

    static func read(_ c: FactContext, into facts: inout Facts) {
        facts.ageYears = age(c)
        var candidates: [Candidate] = []
        var notLossDates: [CalendarDate] = []
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            if c.terminology.matches(code, .notALoss) {
                if let d = c.dated(index, c.conditionDateText(c.resource(index)), what: "onset") { notLossDates.append(d) }
            } else if c.terminology.matches(code, .pregnancyLoss) {
                let text = c.conditionDateText(c.resource(index))
                let d = c.dated(index, text, what: "onset")
                if text != nil && d == nil { continue }  // unusable date: warned, not counted
                candidates.append(Candidate(date: d, index: index,
                                            secondTrimester: c.terminology.matches(code, .secondTrimesterLoss) || secondTrimesterByGestationalAge(c, index)))
            } else if c.terminology.matches(code, .recurrentMiscarriage) {
                state(&facts, count: 2, index)
            } else if c.terminology.matchesKeyword(code, .recurrentMiscarriage) {
                // guideline.md v2, codes decide: free text ("herhaalde miskramen bij zus", possibly
                // about a relative) never counts a loss; it is said, for a clinician to check.
                c.warn(index, .textOnly(what: "recurrent miscarriage", text: c.text(code)))
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
        facts.losses = countLosses(c, candidates, notLossDates: notLossDates)
    }

    /// The input says at least `count` losses (a count Observation, a recurrent-miscarriage Condition).
    static func state(_ facts: inout Facts, count: Int, _ index: Int) {
        let current = facts.statedLossCount
        facts.statedLossCount = (max(current?.count ?? 0, count), (current?.sources ?? []) + [Source(index)])
    }

    static func age(_ c: FactContext) -> Int? {
        guard let text = c.resource(c.patient).string("birthDate"), let birth = CalendarDate(fhir: text) else { return nil }
        return birth.wholeYears(until: c.date)
    }

    static func secondTrimesterByGestationalAge(_ c: FactContext, _ index: Int) -> Bool {
        for detail in c.resource(index).all("evidence.detail") {
            guard let target = c.input.resolve(detail, from: index) else { continue }
            let obs = c.resource(target)
            guard obs.name == "Observation", c.terminology.matches(obs.child("code"), .gestationalAge),
                  let ga = Pregnancy.gestationalAge(c, obs.child("valueQuantity")) else { continue }
            return ga.days >= c.defaults.secondTrimesterFromDays && ga.days < c.defaults.secondTrimesterBeforeDays
        }
        return false
    }

    /// One loss per Condition; the same onset date counts once; a miscarriage followed within 14
    /// days by an ectopic or molar pregnancy is that pregnancy, not a loss (terminology.md).
    static func countLosses(_ c: FactContext, _ candidates: [Candidate], notLossDates: [CalendarDate]) -> [PregnancyLoss] {
        var losses: [PregnancyLoss] = []
        var byDate: [CalendarDate: Int] = [:]
        for candidate in candidates {
            if let d = candidate.date, notLossDates.contains(where: { d.days(until: $0) >= 0 && d.days(until: $0) <= c.defaults.ectopicAfterMiscarriageDays }) {
                continue
            }
            if let d = candidate.date, let existing = byDate[d] {
                losses[existing].sources.append(Source(candidate.index))
                losses[existing].secondTrimester = losses[existing].secondTrimester || candidate.secondTrimester
                continue
            }
            if let d = candidate.date { byDate[d] = losses.count }
            losses.append(PregnancyLoss(date: candidate.date, secondTrimester: candidate.secondTrimester, sources: [Source(candidate.index)]))
        }
        return losses
    }
}
