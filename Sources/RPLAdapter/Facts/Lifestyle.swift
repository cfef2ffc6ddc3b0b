import FHIR
import RPLGuideline

/// Card area: lifestyle (`Sources/RPLGuideline/Lifestyle.swift`: RPL-LIFESTYLE). Facts:
/// `lifestyleRisks` of the patient and the partner: current smoking, the newest BMI outside the
/// limits, alcohol or drug misuse.
/// Codes: ValueSets `smokingStatus`, `currentSmoker`, `bmi`, `substanceMisuse`; settings `bmiHigh`,
/// `bmiLow`, `plausibleBMI`.
/// Tests: Tests/RPLAdapterTests/FactTests.swift (LifestyleFactTests), RuleTests.swift (UterusLifestyleRuleTests), Fixtures `lifestyle-*`.
enum Lifestyle: FactSource {
    struct BMI {
        var date: CalendarDate
        var index: Int
        var value: Double
        var person: FactContext.Person
    }

    static func read(_ c: FactContext, into facts: inout Facts) {
        var bmi: [BMI] = []
        // One pass in input order: misuse (Conditions) and smoking (Observations) in the order given.
        for index in c.items(["Condition", "Observation"]) {
            let r = c.resource(index)
            let code = r.child("code")
            if r.name == "Condition" {
                // Hers and the partner's ("man en vrouw"), each named.
                let who = c.person(index)
                guard who != .other, !c.refutedOrError(r) else { continue }
                if c.terminology.matches(code, .substanceMisuse) && c.activeCondition(r) {
                    facts.lifestyleRisks.append(Finding((who == .partner ? "partner: " : "") + c.text(code), Source(index)))
                }
                continue
            }
            guard c.usableObservation(r) else { continue }
            let who = c.person(index)
            guard who != .other else { continue }
            if c.terminology.matches(code, .smokingStatus), c.terminology.matches(r.child("valueCodeableConcept"), .currentSmoker) {
                facts.lifestyleRisks.append(Finding(who == .partner ? "partner smokes" : "smokes", Source(index)))
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
        for who in [FactContext.Person.patient, .partner] {
            guard let latest = bmi.filter({ $0.person == who }).max(by: { ($0.date, $0.index) < ($1.date, $1.index) }) else { continue }
            let whose = who == .partner ? "partner's " : ""
            let v = latest.value
            if v >= c.defaults.bmiHigh {
                facts.lifestyleRisks.append(Finding("\(whose)BMI \(formatNumber(v)) (≥ \(formatNumber(c.defaults.bmiHigh)))", Source(latest.index)))
            }
            if v < c.defaults.bmiLow {
                facts.lifestyleRisks.append(Finding("\(whose)BMI \(formatNumber(v)) (< \(formatNumber(c.defaults.bmiLow)))", Source(latest.index)))
            }
        }
    }
}
