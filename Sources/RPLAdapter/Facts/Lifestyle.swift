import FHIR
import RPLGuideline

/// Card area: lifestyle (`Sources/RPLGuideline/Lifestyle.swift`: RPL-LIFESTYLE). Facts:
/// `lifestyleRisks` of the patient and the partner: current smoking, the newest BMI outside the
/// limits, alcohol or drug misuse.
/// Codes: ValueSets `smokingStatus`, `currentSmoker`, `bmi`, `substanceMisuse`; settings `bmiHigh`,
/// `bmiLow`, `plausibleBMI`.
/// Tests: Tests/RPLAdapterTests/Facts/LifestyleFactTests.swift, Tests/RPLAdapterTests/Rules/UterusLifestyleRuleTests.swift, Fixtures `lifestyle-*`.
enum Lifestyle: FactSource {
    struct BMI {
        var date: CalendarDate
        var index: Int
        var value: Double
        var person: FactContext.Person
    }

    struct Smoking {
        var date: CalendarDate?
        var index: Int
        var current: Bool
        var person: FactContext.Person
    }

    static func read(_ c: FactContext, into facts: inout Facts) {
        var bmi: [BMI] = []
        var smoking: [Smoking] = []
        // One pass in input order: misuse (Conditions) and smoking (Observations) in the order given.
        for index in c.items(["Condition", "Observation"]) {
            let r = c.resource(index)
            let code = r.child("code")
            if r.name == "Condition" {
                // Hers and the partner's ("man en vrouw"), each named.
                let who = c.person(index)
                guard who != .other, !c.refutedOrError(r) else { continue }
                if c.terminology.matches(code, .substanceMisuse) && c.currentCondition(index) {
                    facts.lifestyleRisks.append(Finding(who == .partner ? "partner: \(record: c.text(code))" : "patient: \(record: c.text(code))", Source(index)))
                }
                continue
            }
            guard c.usableObservation(r) else { continue }
            let who = c.person(index)
            guard who != .other else { continue }
            if c.terminology.matches(code, .smokingStatus) {
                // guideline.md v3: the newest evidence of the state wins (an ex-smoker now is not a
                // smoker because of a 2019 record); a period of use that ended is not current.
                let period = r.child("effectivePeriod")
                let endText = period?.string("end")
                let when = (endText ?? r.string("effectiveDateTime") ?? period?.string("start") ?? r.string("issued")).flatMap(DayInterval.init(fhir:))
                let current = c.terminology.matches(r.child("valueCodeableConcept"), .currentSmoker)
                    && (endText.flatMap(DayInterval.init(fhir:)).map { $0.end >= c.date } ?? true)
                smoking.append(Smoking(date: when?.end, index: index, current: current, person: who))
            }
            if c.terminology.matches(code, .bmi), let d = c.dated(index, c.observationDateText(r), what: "date") {
                if let text = r.child("valueQuantity")?.string("value"), let v = Double(text) {
                    if let v = c.plausible(index, v, c.defaults.plausibleBMI, what: "BMI", text: text, unit: "kg/m2") {
                        bmi.append(BMI(date: d, index: index, value: v, person: who))
                    }
                } else {
                    c.warn(index, .noUsableValue(what: "BMI"))
                }
            }
        }
        // Each finding says whose it is, hers as his (guideline.md RPL-LIFESTYLE: "naming the risk
        // factors found and whose they are"; helper-38's audit: "partner smokes; BMI 32.4" left the
        // BMI's owner to be guessed).
        for who in [FactContext.Person.patient, .partner] {
            // Undated records are older than dated ones; ties by identity, never entry order.
            func day(_ s: Smoking) -> Int { s.date?.dayNumber ?? Int.min }
            if let newest = smoking.filter({ $0.person == who }).max(by: { day($0) != day($1) ? day($0) < day($1) : c.identities.tieBreak($0.index, $1.index) }),
               newest.current {
                facts.lifestyleRisks.append(Finding(who == .partner ? "partner smokes" : "patient smokes", Source(newest.index)))
            }
        }
        for who in [FactContext.Person.patient, .partner] {
            guard let latest = bmi.filter({ $0.person == who }).max(by: { $0.date != $1.date ? $0.date < $1.date : c.identities.tieBreak($0.index, $1.index) }) else { continue }
            let v = latest.value
            if v >= c.defaults.bmiHigh {
                facts.lifestyleRisks.append(Finding(who == .partner ? "partner's BMI \(number: formatNumber(v)) (≥ \(number: formatNumber(c.defaults.bmiHigh)))" : "patient's BMI \(number: formatNumber(v)) (≥ \(number: formatNumber(c.defaults.bmiHigh)))", Source(latest.index)))
            }
            if v < c.defaults.bmiLow {
                facts.lifestyleRisks.append(Finding(who == .partner ? "partner's BMI \(number: formatNumber(v)) (< \(number: formatNumber(c.defaults.bmiLow)))" : "patient's BMI \(number: formatNumber(v)) (< \(number: formatNumber(c.defaults.bmiLow)))", Source(latest.index)))
            }
        }
    }
}
