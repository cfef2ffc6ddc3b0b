import FHIR
import RPLGuideline

/// FHIR → facts (guideline.md §0). Data that is present but unusable (no unit, unknown unit,
/// unparseable value, unresolved reference, a date after the evaluation date) is never dropped
/// silently: it becomes a warning, and the rule that needed it sees it as missing.
public struct FactExtractor {
    public struct Failure: Error {
        public let message: String
    }

    let input: InputBundle
    let profiles: Profiles
    let date: CalendarDate
    var terminology: Terminology { profiles.terminology }
    var defaults: Profiles.Defaults { profiles.defaults }

    public private(set) var patient = 0
    public private(set) var partners: Set<Int> = []
    public private(set) var warnings: [String] = []
    /// Input resources each Source stands for.
    public private(set) var facts: Facts

    public init(input: InputBundle, profiles: Profiles, evaluationDate: CalendarDate) throws {
        self.input = input
        self.profiles = profiles
        self.date = evaluationDate
        self.facts = Facts(evaluationDate: evaluationDate)
        try findPeople()
        extract()
    }

    // MARK: people

    /// The patient is the one woman; a partner is a RelatedPerson, or a second (non-female)
    /// Patient. No Patient, or two women, is not usable input.
    mutating func findPeople() throws {
        let patients = input.items.indices.filter { input.items[$0].type == "Patient" && input.items[$0].container == nil }
        guard !patients.isEmpty else { throw Failure(message: "the Bundle has no Patient") }
        if patients.count == 1 {
            patient = patients[0]
            if let g = input.items[patient].resource.string("gender"), g != "female" {
                warnings.append("\(input.name(patient)): gender is \(g); the card is about women")
            }
        } else {
            let women = patients.filter { input.items[$0].resource.string("gender") == "female" }
            guard women.count == 1 else {
                throw Failure(message: women.isEmpty
                    ? "the Bundle has \(patients.count) Patients and none is female: cannot tell who the patient is"
                    : "the Bundle has \(women.count) female Patients: one Bundle holds one patient")
            }
            patient = women[0]
            partners.formUnion(patients.filter { $0 != patient })
        }
        partners.formUnion(input.items.indices.filter { input.items[$0].type == "RelatedPerson" })
    }

    enum Person { case patient, partner, other }

    /// Whose data a resource is, by its subject / patient reference.
    mutating func person(_ index: Int, _ field: String = "subject") -> Person {
        let resource = input.items[index].resource
        guard let ref = resource.child(field) ?? resource.child("patient") ?? resource.child("individual") else { return .patient }
        if let r = ref.string("reference") {
            guard let target = input.resolve(r, from: index) else {
                warnings.append("\(input.name(index)): \(field) \(r) does not resolve; treated as missing")
                return .other
            }
            if target == patient { return .patient }
            if partners.contains(target) { return .partner }
            return .other
        }
        if let id = ref.child("identifier"), let v = id.string("value") {
            let mine = input.items[patient].resource.children("identifier").contains { $0.string("value") == v && $0.string("system") == id.string("system") }
            return mine ? .patient : .other
        }
        return .patient
    }

    // MARK: dates

    /// The clinically relevant date of a resource, warning when it is after the evaluation date.
    mutating func dated(_ index: Int, _ text: String?, what: String) -> CalendarDate? {
        guard let text else { return nil }
        guard let d = CalendarDate(fhir: text) else {
            warnings.append("\(input.name(index)): \(what) \(text) is not a full date; treated as missing")
            return nil
        }
        if d > date {
            warnings.append("\(input.name(index)): \(what) \(text) is after the evaluation date \(date); treated as missing")
            return nil
        }
        return d
    }

    func observationDateText(_ r: Element) -> String? {
        r.string("effectiveDateTime") ?? r.string("effectiveInstant") ?? r.child("effectivePeriod")?.string("start") ?? r.string("issued")
    }

    func conditionDateText(_ r: Element) -> String? {
        r.string("onsetDateTime") ?? r.child("onsetPeriod")?.string("start") ?? r.string("recordedDate")
    }

    func refutedOrError(_ r: Element) -> Bool {
        let codes = terminology.codes(of: r.child("verificationStatus")).map(\.code)
        return codes.contains("refuted") || codes.contains("entered-in-error")
    }

    func activeCondition(_ r: Element) -> Bool {
        guard !refutedOrError(r) else { return false }
        let status = terminology.codes(of: r.child("clinicalStatus")).map(\.code)
        if status.isEmpty { return r.child("abatementDateTime") == nil && r.child("abatementPeriod") == nil && r.child("abatementString") == nil }
        return status.contains { ["active", "recurrence", "relapse"].contains($0) }
    }

    func text(_ concept: Element?) -> String {
        guard let concept else { return "?" }
        if let t = concept.string("text") { return rplTerm(t) }
        if let c = concept.children("coding").first {
            if let d = c.string("display") { return rplTerm(d) }
            let system = c.string("system") ?? ""
            let short = ["http://loinc.org": "LOINC", "http://snomed.info/sct": "SNOMED", "http://www.whocc.no/atc": "ATC"][system] ?? system
            return "\(short) \(c.string("code") ?? "?")"
        }
        return "?"
    }

    // MARK: extraction

    mutating func extract() {
        facts.ageYears = age()
        var lossCandidates: [(date: CalendarDate?, index: Int, second: Bool)] = []
        var notLossDates: [CalendarDate] = []
        var pregnancyConditions: [Int] = []
        var bleeding: [(Int, CalendarDate?)] = []
        var tshResults: [(ThyroidResult)] = []
        var ft4Results: [(ThyroidResult)] = []
        var bmi: [(CalendarDate, Int, Double, Person)] = []
        var gestationalDatings: [(CalendarDate, Int, GestationalAge)] = []
        var pregnantObservations: [Int] = []

        for index in input.items.indices {
            let r = input.items[index].resource
            switch r.name {
            case "Condition":
                let who = person(index)
                guard who == .patient, !refutedOrError(r) else { continue }
                let code = r.child("code")
                if terminology.matches(code, .notALoss) {
                    if let d = dated(index, conditionDateText(r), what: "onset") { notLossDates.append(d) }
                } else if terminology.matches(code, .pregnancyLoss) {
                    let text = conditionDateText(r)
                    let d = dated(index, text, what: "onset")
                    if text != nil && d == nil { continue }  // unusable date: warned, not counted
                    lossCandidates.append((d, index, terminology.matches(code, .secondTrimesterLoss) || secondTrimesterByGestationalAge(index)))
                } else if terminology.matchesCodeOrKeyword(code, .recurrentMiscarriage) {
                    let current = facts.statedLossCount
                    facts.statedLossCount = (max(current?.count ?? 0, 2), (current?.sources ?? []) + [Source(index)])
                }
                if terminology.matches(code, .hypothyroidism) && activeCondition(r) {
                    facts.hypothyroidismConditions.append(Finding(text(code), Source(index)))
                }
                if terminology.matches(code, .subclinicalHypothyroidism) && activeCondition(r) {
                    facts.subclinicalHypothyroidismConditions.append(Finding(text(code), Source(index)))
                }
                if terminology.matches(code, .uterineAnomaly) { facts.uterineMalformations.append(Finding(text(code), Source(index))) }
                if terminology.matches(code, .adenomyosis) { facts.adenomyosis.append(Finding(text(code), Source(index))) }
                if terminology.matches(code, .substanceMisuse) && activeCondition(r) {
                    facts.lifestyleRisks.append(Finding(text(code), Source(index)))
                }
                if terminology.matches(code, .cervicalInsufficiency) {
                    facts.cervicalInsufficiencySuspected.append(Finding(text(code), Source(index)))
                }
                if terminology.matches(code, .pregnantNow) && activeCondition(r) { pregnancyConditions.append(index) }
                if terminology.matches(code, .earlyPregnancyBleeding) {
                    bleeding.append((index, dated(index, conditionDateText(r), what: "onset")))
                }
                if terminology.matchesCodeOrKeyword(code, .fetalStructuralAnomaly) {
                    facts.structuralAnomaliesInPregnancy.append(Finding(text(code), Source(index)))
                }
                if terminology.matches(code, .autoimmuneDisease) { facts.autoimmuneSymptoms.append(Finding(text(code), Source(index))) }
                if terminology.matchesCodeOrKeyword(code, .amenorrhoea) { facts.oligoOrAmenorrhoea.append(Finding(text(code), Source(index))) }
                if terminology.matchesCodeOrKeyword(code, .cycleDisorder) { facts.cycleDisorder.append(Finding(text(code), Source(index))) }

            case "Observation":
                guard ["final", "amended", "corrected", "preliminary"].contains(r.string("status") ?? "") else { continue }
                let who = person(index)
                guard who != .other else { continue }
                let code = r.child("code")
                if who == .patient {
                    if terminology.matches(code, .tsh), let t = thyroid(index, table: Units.tsh, unit: "mU/L", range: defaults.tshRange, plausible: defaults.plausibleTSH, what: "TSH") {
                        tshResults.append(t)
                    }
                    if terminology.matches(code, .freeT4), let t = thyroid(index, table: Units.freeT4, unit: "pmol/L", range: defaults.freeT4Range, plausible: defaults.plausibleFreeT4, what: "free T4") {
                        ft4Results.append(t)
                    }
                    antiphospholipid(index)
                    if terminology.matches(code, .miscarriageCount) {
                        let text = r.child("valueQuantity")?.string("value") ?? r.string("valueInteger")
                        if let text, let n = Double(text) {
                            if let n = plausible(index, n, defaults.plausibleMiscarriageCount, what: "number of previous miscarriages", text: text, unit: ""),
                               n == n.rounded() {
                                let current = facts.statedLossCount
                                facts.statedLossCount = (max(current?.count ?? 0, Int(n)), (current?.sources ?? []) + [Source(index)])
                            } else if n.isFinite && defaults.plausibleMiscarriageCount.contains(n) {
                                warnings.append("\(input.name(index)): number of previous miscarriages \(text) is not a whole number; not used")
                            }
                        } else {
                            warnings.append("\(input.name(index)): number of previous miscarriages has no usable value; treated as missing")
                        }
                    }
                    if terminology.matches(code, .pregnancyStatus), terminology.matches(r.child("valueCodeableConcept"), .pregnantNow),
                       dated(index, observationDateText(r), what: "date") != nil {
                        pregnantObservations.append(index)
                    }
                    if let dating = gestationalDating(index) { gestationalDatings.append(dating) }
                }
                if terminology.matches(code, .karyotype) { karyotype(index) }
                if terminology.matches(code, .smokingStatus), terminology.matches(r.child("valueCodeableConcept"), .currentSmoker) {
                    facts.lifestyleRisks.append(Finding(who == .partner ? "partner smokes" : "smokes", Source(index)))
                }
                if terminology.matches(code, .bmi), let d = dated(index, observationDateText(r), what: "date") {
                    if let text = r.child("valueQuantity")?.string("value"), let v = Double(text) {
                        if let v = plausible(index, v, defaults.plausibleBMI, what: "BMI", text: text, unit: "kg/m2") { bmi.append((d, index, v, who)) }
                    } else {
                        warnings.append("\(input.name(index)): BMI has no usable value; treated as missing")
                    }
                }

            case "FamilyMemberHistory":
                guard r.string("status") != "entered-in-error", person(index, "patient") != .other else { continue }
                familyHistory(index)

            case "DiagnosticReport", "ImagingStudy", "Procedure":
                let status = r.string("status") ?? ""
                guard !["cancelled", "entered-in-error", "not-done", "registered"].contains(status), person(index) == .patient else { continue }
                let codes = [r.child("code")] + r.children("procedureCode").map { Optional($0) }
                if codes.contains(where: { terminology.matches($0, .uterineImaging) }) { facts.uterineImaging.append(Source(index)) }

            case "MedicationRequest", "MedicationStatement":
                guard person(index) != .other else { continue }
                let status = r.string("status") ?? ""
                let medication = medicationCode(index)
                if status == "active" && terminology.matches(medication, .levothyroxine) && person(index) == .patient {
                    facts.levothyroxineAlreadyActive.append(Source(index))
                }
                if r.name == "MedicationRequest" && ["draft", "active", "on-hold"].contains(status) {
                    inputRequest(index, code: medication, type: "MedicationRequest")
                }

            case "ServiceRequest":
                guard person(index) != .other, ["draft", "active", "on-hold"].contains(r.string("status") ?? "") else { continue }
                inputRequest(index, code: r.child("code"), type: "ServiceRequest")

            case "ResearchSubject":
                let status = r.string("status") ?? ""
                if ["candidate", "eligible", "on-study", "on-study-intervention", "on-study-observation", "follow-up"].contains(status),
                   person(index, "individual") == .patient {
                    facts.onStudy.append(Source(index))
                }

            default:
                continue
            }
        }

        losses(lossCandidates, notLossDates: notLossDates)
        facts.tsh = newest(tshResults)
        facts.freeT4 = newest(ft4Results)
        for who in [Person.patient, .partner] {
            if let latest = bmi.filter({ $0.3 == who }).max(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                let v = latest.2
                let whose = who == .partner ? "partner's " : ""
                if v >= defaults.bmiHigh { facts.lifestyleRisks.append(Finding("\(whose)BMI \(formatNumber(v)) (≥ \(formatNumber(defaults.bmiHigh)))", Source(latest.1))) }
                if v < defaults.bmiLow { facts.lifestyleRisks.append(Finding("\(whose)BMI \(formatNumber(v)) (< \(formatNumber(defaults.bmiLow)))", Source(latest.1))) }
            }
        }
        pregnancy(conditions: pregnancyConditions, observations: pregnantObservations, datings: gestationalDatings, bleeding: bleeding)
    }

    func age() -> Int? {
        guard let text = input.items[patient].resource.string("birthDate"), let birth = CalendarDate(fhir: text) else { return nil }
        return birth.wholeYears(until: date)
    }

    // MARK: losses

    mutating func secondTrimesterByGestationalAge(_ index: Int) -> Bool {
        let r = input.items[index].resource
        for detail in r.all("evidence.detail") {
            guard let target = input.resolve(detail, from: index) else { continue }
            let obs = input.items[target].resource
            guard obs.name == "Observation", terminology.matches(obs.child("code"), .gestationalAge),
                  let ga = gestationalAge(obs.child("valueQuantity")) else { continue }
            return ga.days >= defaults.secondTrimesterFromDays && ga.days < defaults.secondTrimesterBeforeDays
        }
        return false
    }

    /// One loss per Condition; the same onset date counts once; a miscarriage followed within 14
    /// days by an ectopic or molar pregnancy is that pregnancy, not a loss (terminology.md).
    mutating func losses(_ candidates: [(date: CalendarDate?, index: Int, second: Bool)], notLossDates: [CalendarDate]) {
        var byDate: [CalendarDate: Int] = [:]
        for c in candidates {
            if let d = c.date, notLossDates.contains(where: { d.days(until: $0) >= 0 && d.days(until: $0) <= defaults.ectopicAfterMiscarriageDays }) {
                continue
            }
            if let d = c.date, let existing = byDate[d] {
                facts.losses[existing].sources.append(Source(c.index))
                facts.losses[existing].secondTrimester = facts.losses[existing].secondTrimester || c.second
                continue
            }
            if let d = c.date { byDate[d] = facts.losses.count }
            facts.losses.append(PregnancyLoss(date: c.date, secondTrimester: c.second, sources: [Source(c.index)]))
        }
    }

    // MARK: thyroid

    mutating func thyroid(_ index: Int, table: [String: Double], unit: String, range: (low: Double, high: Double),
                          plausible: ClosedRange<Double>, what: String) -> ThyroidResult? {
        let r = input.items[index].resource
        guard let d = dated(index, observationDateText(r), what: "date") else {
            if observationDateText(r) == nil { warnings.append("\(input.name(index)): \(what) has no date; treated as missing") }
            return nil
        }
        // Outside the lookback window: not a current result (not a warning).
        guard d >= lookbackStart else { return nil }
        let converted: Double
        do {
            converted = try Units.convert(r.child("valueQuantity"), table: table)
        } catch {
            switch error {
            case .missing: warnings.append("\(input.name(index)): \(what) has no unit; treated as missing")
            case .unknown(let u): warnings.append("\(input.name(index)): \(what) has an unknown unit \(u); treated as missing")
            case .noValue: warnings.append("\(input.name(index)): \(what) has no usable value; treated as missing")
            }
            return nil
        }
        let quantity = r.child("valueQuantity")!
        guard let value = self.plausible(index, converted, plausible, what: what, text: quantity.string("value") ?? "", unit: unit) else { return nil }
        let bound = Bound(quantity.string("comparator"))
        func result(_ c: LabClassification?, basis: String) -> ThyroidResult? {
            guard let c else {
                warnings.append("\(input.name(index)): \(what) \(bound.text)\(formatNumber(value)) \(unit) cannot be classified against \(basis): the bound straddles a limit; treated as missing")
                return nil
            }
            var t = ThyroidResult(value: value, unit: unit, date: d, classification: c, basis: basis, source: Source(index))
            t.comparator = bound.text
            return t
        }
        let factor = (try? Units.factor(quantity, table: table)) ?? 1
        // The Observation's own reference range, in the result's own unit unless it gives one.
        for rr in r.children("referenceRange") {
            func limit(_ name: String) -> Double? {
                guard let q = rr.child(name), let v = q.string("value").flatMap(Double.init), v.isFinite else { return nil }
                if q.string("code") != nil || q.string("unit") != nil, let f = try? Units.factor(q, table: table) { return v * f }
                return v * factor
            }
            let low = limit("low"), high = limit("high")
            guard low != nil || high != nil else { continue }
            return result(bound.classify(value, low: low, high: high), basis: "reference range of the result")
        }
        let interpretation = r.children("interpretation").flatMap { terminology.codes(of: $0) }
            .filter { $0.system == "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation" }.map(\.code)
        if interpretation.contains(where: { ["H", "HH", "HU"].contains($0) }) {
            return result(.high, basis: "interpretation")
        }
        if interpretation.contains(where: { ["L", "LL", "LU"].contains($0) }) {
            return result(.low, basis: "interpretation")
        }
        if interpretation.contains("N") {
            return result(.normal, basis: "interpretation")
        }
        let basis = "default range \(formatNumber(range.low))–\(formatNumber(range.high)) \(unit)"
        let c = bound.classify(value, low: range.low, high: range.high)
        if interpretation.contains("A") && c == .normal {
            // Abnormal without a direction, inside the default range: the direction is the nearer limit.
            return result(value - range.low < range.high - value ? .low : .high, basis: "interpretation A")
        }
        return result(c, basis: basis)
    }

    /// A number a rule reads: finite and inside its plausible range (Profiles), else a warning and nil.
    mutating func plausible(_ index: Int, _ value: Double, _ range: ClosedRange<Double>, what: String, text: String, unit: String) -> Double? {
        guard value.isFinite, range.contains(value) else {
            warnings.append("\(input.name(index)): \(what) \(text) is implausible (plausible range \(formatNumber(range.lowerBound))–\(formatNumber(range.upperBound)) \(unit)); not used")
            return nil
        }
        return value
    }

    func newest(_ results: [ThyroidResult]) -> ThyroidResult? {
        results.max { ($0.date, $0.source) < ($1.date, $1.source) }
    }

    /// The first day of the lookback window: the evaluation date minus the lookback in calendar
    /// months (the same day of the month, or the month's last day), included.
    var lookbackStart: CalendarDate {
        let total = date.year * 12 + (date.month - 1) - defaults.lookbackMonths
        let year = total / 12, month = total % 12 + 1
        var day = date.day
        while CalendarDate(year: year, month: month, day: day) == nil { day -= 1 }
        return CalendarDate(year: year, month: month, day: day)!
    }

    // MARK: antiphospholipid

    static let tests: [(AntiphospholipidTest, ValueSetID)] = [
        (.anticardiolipinIgG, .anticardiolipinIgg), (.anticardiolipinIgM, .anticardiolipinIgm),
        (.antiB2GPIIgG, .antiB2gpiIgg), (.antiB2GPIIgM, .antiB2gpiIgm),
    ]

    mutating func antiphospholipid(_ index: Int) {
        let r = input.items[index].resource
        let code = r.child("code")
        var test: AntiphospholipidTest?
        var isRatio = false
        if terminology.matches(code, .lupusAnticoagulant) { test = .lupusAnticoagulant }
        if terminology.matches(code, .lupusAnticoagulantRatio) { test = .lupusAnticoagulant; isRatio = true }
        for (t, vs) in Self.tests where terminology.matches(code, vs) { test = t }
        if terminology.matches(code, .lupusAnticoagulantPanel) {
            // A panel: its components are the results (members elsewhere in the Bundle are read on their own).
            guard let d = dated(index, observationDateText(r), what: "date") else { return }
            for component in r.children("component") {
                let ccode = component.child("code")
                let ratio = terminology.matches(ccode, .lupusAnticoagulantRatio)
                guard ratio || terminology.matches(ccode, .lupusAnticoagulant) else { continue }
                if let p = positivity(index, component, antibody: false, ratio: ratio) {
                    facts.antiphospholipid[.lupusAnticoagulant, default: []].append(AntiphospholipidResult(date: d, positive: p, source: Source(index)))
                }
            }
            return
        }
        guard let test else { return }
        guard let d = dated(index, observationDateText(r), what: "date") else {
            if observationDateText(r) == nil { warnings.append("\(input.name(index)): \(test.display) has no date; treated as missing") }
            return
        }
        guard let p = positivity(index, r, antibody: test != .lupusAnticoagulant, ratio: isRatio) else {
            warnings.append("\(input.name(index)): \(test.display) result cannot be read as positive or negative; treated as missing")
            return
        }
        facts.antiphospholipid[test, default: []].append(AntiphospholipidResult(date: d, positive: p, source: Source(index)))
    }

    /// Positive, negative, or unreadable (nil): interpretation, else a coded answer, else a quantity
    /// against the result's reference range, else the project default (40 units for antibodies,
    /// ratio 1.2 for lupus anticoagulant). A quantity with a comparator is a bound: positive or
    /// negative only when the whole bound is; an implausible quantity is a warning and unreadable.
    mutating func positivity(_ index: Int, _ r: Element, antibody: Bool, ratio: Bool) -> Bool? {
        for i in r.children("interpretation") {
            if terminology.matches(i, .positive) { return true }
            if terminology.matches(i, .negative) { return false }
        }
        if let v = r.child("valueCodeableConcept") {
            if terminology.matches(v, .positive) { return true }
            if terminology.matches(v, .negative) { return false }
        }
        guard let q = r.child("valueQuantity"), let text = q.string("value"), let parsed = Double(text) else { return nil }
        let range = ratio ? defaults.plausibleLupusAnticoagulantRatio : defaults.plausibleAntibody
        guard let value = plausible(index, parsed, range, what: antibody ? "antibody level" : "lupus anticoagulant ratio", text: text, unit: q.string("unit") ?? q.string("code") ?? "") else {
            return nil
        }
        let bound = Bound(q.string("comparator"))
        if let high = r.children("referenceRange").compactMap({ $0.child("high")?.string("value").flatMap(Double.init) }).first(where: { $0.isFinite }) {
            return bound.above(value, limit: high)
        }
        if ratio { return bound.above(value, limit: defaults.lupusAnticoagulantRatioCutoff) }
        if antibody { return bound.above(value, limit: defaults.antibodyPositiveAbove) }
        return nil
    }

    // MARK: genetics

    mutating func karyotype(_ index: Int) {
        let r = input.items[index].resource
        var pregnancyTissue = false
        if let s = input.resolve(r.child("specimen"), from: index) {
            pregnancyTissue = terminology.matches(input.items[s].resource.child("type"), .productsOfConception)
        } else if let ref = r.child("specimen")?.string("reference") {
            warnings.append("\(input.name(index)): specimen \(ref) does not resolve; karyotype taken as parental")
        }
        let value = [r.string("valueString"), r.child("valueCodeableConcept").map { text($0) }].compactMap { $0 }.joined(separator: " ")
        if pregnancyTissue {
            let v = Terminology.normalise(value)
            if v.contains("translocat") || v.contains("t(") {
                facts.geneticsReferralReasons.append(Finding("translocation in pregnancy tissue (\(value))", Source(index)))
            }
            return
        }
        let abnormal = r.children("interpretation").contains { terminology.matches($0, .abnormal) }
            || terminology.matches(r.child("valueCodeableConcept"), .abnormal)
        if abnormal {
            facts.parentalKaryotypeAbnormal.append(Finding("abnormal karyotype\(value.isEmpty ? "" : " (\(value))")", Source(index)))
        }
    }

    mutating func familyHistory(_ index: Int) {
        let r = input.items[index].resource
        let relationship = r.child("relationship")
        let who = text(relationship)
        let conditions = r.children("condition").map { $0.child("code") }
        if terminology.matches(relationship, .familyRelationship) {
            let rpl = conditions.contains { terminology.matchesCodeOrKeyword($0, .recurrentMiscarriage) }
            let lossEntries = conditions.filter { terminology.matches($0, .pregnancyLoss) }.count
            if rpl || lossEntries >= 2 {
                facts.familyHistoryRPL.append(Finding("recurrent miscarriage in \(who)", Source(index)))
            }
        }
        for c in conditions {
            if terminology.matchesCodeOrKeyword(c, .congenitalMalformation) {
                facts.geneticsReferralReasons.append(Finding("\(text(c)) in \(who)", Source(index)))
            } else if terminology.matchesCodeOrKeyword(c, .chromosomalAbnormality) {
                facts.geneticsReferralReasons.append(Finding("\(text(c)) in \(who)", Source(index)))
            }
        }
    }

    // MARK: pregnancy

    /// A gestational age from a Quantity in weeks or days.
    /// nil when the value is not a number of weeks or days inside the plausible range (Profiles).
    func gestationalAge(_ q: Element?) -> GestationalAge? {
        guard let q, let v = q.string("value").flatMap(Double.init) else { return nil }
        let unit = (q.string("code") ?? q.string("unit") ?? "").lowercased()
        let days: Double
        if ["wk", "w", "week", "weeks", "wks"].contains(unit) { days = (v * 7).rounded() }
        else if ["d", "day", "days"].contains(unit) { days = v.rounded() }
        else { return nil }
        guard days.isFinite, defaults.plausibleGestationalAgeDays.contains(days) else { return nil }
        return GestationalAge(days: Int(days))
    }

    /// The gestational age an Observation implies for the evaluation date (gestational age,
    /// estimated delivery date or last menstrual period), projected forward.
    mutating func gestationalDating(_ index: Int) -> (CalendarDate, Int, GestationalAge)? {
        let r = input.items[index].resource
        let code = r.child("code")
        if terminology.matches(code, .gestationalAge) {
            guard let d = dated(index, observationDateText(r), what: "date") else { return nil }
            guard let ga = gestationalAge(r.child("valueQuantity")) else {
                warnings.append("\(input.name(index)): gestational age has no plausible value in weeks or days (\(formatNumber(defaults.plausibleGestationalAgeDays.lowerBound))–\(formatNumber(defaults.plausibleGestationalAgeDays.upperBound)) days); treated as missing")
                return nil
            }
            return (d, index, GestationalAge(days: ga.days + d.days(until: date)))
        }
        if terminology.matches(code, .estimatedDeliveryDate) {
            guard let text = r.string("valueDateTime"), let edd = CalendarDate(fhir: text) else {
                warnings.append("\(input.name(index)): estimated delivery date has no usable value; treated as missing")
                return nil
            }
            let recorded = dated(index, observationDateText(r), what: "date") ?? date
            return (recorded, index, GestationalAge(days: 280 - date.days(until: edd)))
        }
        if terminology.matches(code, .lastMenstrualPeriod) {
            guard let text = r.string("valueDateTime"), let lmp = dated(index, text, what: "last menstrual period") else { return nil }
            return (lmp, index, GestationalAge(days: lmp.days(until: date)))
        }
        return nil
    }

    mutating func pregnancy(conditions: [Int], observations: [Int], datings: [(CalendarDate, Int, GestationalAge)], bleeding: [(Int, CalendarDate?)]) {
        guard !conditions.isEmpty || !observations.isEmpty else { return }
        // The newest dating wins; one implying more than 44 weeks is not this pregnancy.
        var ga: GestationalAge?
        var sources = (conditions + observations).map(Source.init)
        if let newest = datings.max(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            if newest.2.days >= 0 && newest.2.days <= 44 * 7 {
                ga = newest.2
                sources.append(Source(newest.1))
            } else {
                warnings.append("\(input.name(newest.1)): implies a gestational age of \(newest.2) on \(date); not used")
            }
        }
        facts.currentPregnancy = CurrentPregnancy(gestationalAge: ga, sources: sources)
        for (index, onset) in bleeding {
            let r = input.items[index].resource
            var atOnset: GestationalAge?
            if let ga, let onset {
                let days = ga.days - onset.days(until: date)
                if days < 0 { continue }  // before this pregnancy
                atOnset = GestationalAge(days: days)
            }
            facts.bleedingInCurrentPregnancy.append((atOnset, Finding(text(r.child("code")), Source(index))))
        }
    }

    // MARK: requests

    mutating func medicationCode(_ index: Int) -> Element? {
        let r = input.items[index].resource
        if let c = r.child("medicationCodeableConcept") { return c }
        if let ref = r.child("medicationReference") {
            if let m = input.resolve(ref, from: index) { return input.items[m].resource.child("code") }
            if let s = ref.string("reference") { warnings.append("\(input.name(index)): medication \(s) does not resolve; treated as missing") }
        }
        return nil
    }

    mutating func inputRequest(_ index: Int, code: Element?, type: String) {
        let r = input.items[index].resource
        if r.children("basedOn").contains(where: { ($0.string("reference") ?? "").hasPrefix("ResearchStudy/") || $0.string("type") == "ResearchStudy" })
            || r.children("extension").contains(where: { ($0.string("url") ?? "").hasSuffix("workflow-researchStudy") }) {
            facts.onStudy.append(Source(index))
        }
        let codes = Set(terminology.codes(of: code))
        var matches: [InputRequest.Match] = []
        for item in profiles.notRecommended where item.appliesTo == type {
            if !item.codes.isDisjoint(with: codes) {
                matches.append(InputRequest.Match(ruleId: item.ruleId, item: item.item, byKeyword: false))
            }
        }
        if matches.isEmpty {
            let texts = Terminology.texts(of: code)
            for item in profiles.notRecommended where item.appliesTo == type {
                if texts.contains(where: { t in item.keywords.contains { Terminology.containsWord(t, $0) } }) {
                    matches.append(InputRequest.Match(ruleId: item.ruleId, item: item.item, byKeyword: true))
                }
            }
        }
        // A karyotype on pregnancy tissue is NR-TISSUE-GENETICS, not NR-KARYOTYPE.
        if matches.contains(where: { $0.ruleId == .nrKaryotype }), let s = input.resolve(r.child("specimen"), from: index),
           terminology.matches(input.items[s].resource.child("type"), .productsOfConception) {
            matches.append(InputRequest.Match(ruleId: .nrTissueGenetics, item: "pregnancy tissue genetics", byKeyword: false))
        }
        guard !matches.isEmpty else { return }
        facts.inputRequests.append(InputRequest(source: Source(index), description: "\(type) \(text(code))", matches: matches))
    }
}

/// A Quantity's comparator: the value is then a bound, and a classification holds only when it
/// holds for every value the bound allows (guideline.md v2: `>3.0` against a limit of 4.0 is
/// indeterminate).
struct Bound {
    enum Kind { case exact, below, atMost, atLeast, above }
    let kind: Kind
    let text: String

    init(_ comparator: String?) {
        text = comparator ?? ""
        switch comparator {
        case "<": kind = .below
        case "<=": kind = .atMost
        case ">=": kind = .atLeast
        case ">": kind = .above
        default: kind = .exact
        }
    }

    /// Low, normal or high against the limits a range gives; nil when the bound straddles a limit.
    func classify(_ v: Double, low: Double?, high: Double?) -> LabClassification? {
        switch kind {
        case .exact:
            if let high, v > high { return .high }
            if let low, v < low { return .low }
            return .normal
        case .below, .atMost:
            // Every allowed value is below (or at) v.
            if let low, kind == .below ? v <= low : v < low { return .low }
            if low == nil, high.map({ v <= $0 }) ?? true { return .normal }
            return nil
        case .above, .atLeast:
            if let high, kind == .above ? v >= high : v > high { return .high }
            if high == nil, low.map({ v >= $0 }) ?? true { return .normal }
            return nil
        }
    }

    /// Above the limit (positive), not above it (negative), or nil when the bound straddles it.
    func above(_ v: Double, limit: Double) -> Bool? {
        switch kind {
        case .exact: return v > limit
        case .below, .atMost: return v <= limit ? false : nil
        case .above: return v >= limit ? true : nil
        case .atLeast: return v > limit ? true : nil
        }
    }
}
