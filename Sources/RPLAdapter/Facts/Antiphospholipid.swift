import FHIR
import RPLGuideline

/// Card area: antiphospholipid antibodies (`Sources/RPLGuideline/Antiphospholipid.swift`:
/// RPL-APL, RPL-APL-REPEAT, RPL-APL-TREAT). Facts: `antiphospholipid[test]`, each result dated and
/// positive or negative (interpretation, a coded answer, a quantity against the result's range,
/// else the project default); `apsDiagnosed` (a confirmed APS-specific Condition; a provisional
/// one or a non-specific code is a warning); `aspirinTakenOrRequested`, `heparinTakenOrRequested`.
/// Codes: ValueSets `lupusAnticoagulant`, `lupusAnticoagulantRatio`, `lupusAnticoagulantPanel`,
/// `anticardiolipinIgg/Igm`, `antiB2gpiIgg/Igm`, `positive`, `negative`, `antiphospholipidSyndrome`,
/// `antiphospholipidNonspecific`, `aspirin`, `lmwh`; settings
/// `lupusAnticoagulantRatioCutoff`, `antibodyPositiveAbove`, `plausibleAntibody`,
/// `plausibleLupusAnticoagulantRatio`.
/// Tests: Tests/RPLAdapterTests/Facts/AntiphospholipidFactTests.swift, Tests/RPLAdapterTests/Rules/AntiphospholipidRuleTests.swift, Fixtures `apl-*`.
enum Antiphospholipid: FactSource {
    static let antibodies: [(AntiphospholipidTest, ValueSetID)] = [
        (.anticardiolipinIgG, .anticardiolipinIgg), (.anticardiolipinIgM, .anticardiolipinIgm),
        (.antiB2GPIIgG, .antiB2gpiIgg), (.antiB2GPIIgM, .antiB2gpiIgm),
    ]

    static func read(_ c: FactContext, into facts: inout Facts) {
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient else { continue }
            result(c, index, into: &facts)
        }
        // Each test's results by day, then by content: the rules take the first of equals, and
        // which one that is must not depend on the order of the entries (two positives of one day).
        for test in facts.antiphospholipid.keys {
            facts.antiphospholipid[test]!.sort { $0.date != $1.date ? $0.date < $1.date : c.identities.tieBreak($0.source.index, $1.source.index) }
        }
        // A positive and a negative of one test on one day, from two records, after a positive:
        // the rules read the negative first, so the run through that day ends there and the
        // positive begins a new one, a persistence broken by a disagreement. Said, so it is checked
        // (helper-36's review: decided silently). With no positive before (a panel's two methods
        // disagreeing at a first test) the day reads as a positive anyway: no warning.
        for test in AntiphospholipidTest.allCases {
            let results = facts.antiphospholipid[test] ?? []  // by day, as sorted above
            for (i, positive) in results.enumerated() where positive.positive {
                guard results[..<i].allSatisfy({ !$0.positive || $0.date != positive.date }),
                      results.last(where: { $0.date < positive.date })?.positive == true,
                      results.contains(where: { !$0.positive && $0.date == positive.date && $0.source.index != positive.source.index }) else { continue }
                c.warn(positive.source.index, .positiveAndNegativeOfOneDay(test: test.display, date: positive.date))
            }
        }
        for index in c.patientConditions() {
            let r = c.resource(index)
            let code = r.child("code")
            if c.terminology.matches(code, .antiphospholipidSyndrome) {
                // guideline.md v3: verificationStatus confirmed or absent (optional in R4 and the
                // zib: a recorded diagnosis is a diagnosis); APS does not resolve, but a record
                // that says resolved is a warning, not a diagnosis.
                let verification = c.terminology.codes(of: r.child("verificationStatus")).map(\.code)
                let clinical = c.terminology.codes(of: r.child("clinicalStatus")).map(\.code)
                if clinical.contains("resolved") {
                    c.warn(index, .clinicalStatus(what: "antiphospholipid syndrome", status: "resolved", consequence: "not read as a known APS; the antibody tests are still ordered"))
                } else if verification.isEmpty || verification.contains("confirmed") {
                    facts.apsDiagnosed.append(Finding(record: c.text(code), Source(index)))
                } else {
                    c.warn(index, .notConfirmed(what: "antiphospholipid syndrome", status: verification.first.map { .record($0) } ?? "not given",
                                                consequence: "the antibody tests are still ordered"))
                }
            } else if c.terminology.matches(code, .antiphospholipidNonspecific) {
                c.warn(index, .notSpecific(what: "antiphospholipid syndrome", text: c.text(code), consequence: "the antibody tests are still ordered"))
            }
        }
        // Aspirin, a heparin or progesterone the patient already takes, or that is already
        // requested for her: each with where a record taken (or requested) and a stale one go.
        let medications: [(ValueSetID, WritableKeyPath<Facts, [Source]>, WritableKeyPath<Facts, [MedicationUse]>, Phrase)] = [
            (.aspirin, \.aspirinTakenOrRequested, \.aspirinStale, "low-dose aspirin"),
            (.lmwh, \.heparinTakenOrRequested, \.heparinStale, "a heparin"),
            (.progesteroneVaginal, \.progesteroneTakenOrRequested, \.progesteroneStale, "progesterone"),
        ]
        for index in c.items(["MedicationRequest", "MedicationStatement"]) {
            let r = c.resource(index)
            let status = r.string("status") ?? ""
            let current = r.name == "MedicationRequest" ? ["draft", "active", "on-hold"].contains(status) : status == "active"
            // guideline.md v3: ended, or active with no known end for over 12 months (the setting): not taken now
            // (the stale one named in the proposal).
            guard current, c.person(index) == .patient, !c.useEnded(index) else { continue }
            let medication = Requests.medicationCode(c, index)
            let since = c.useStale(index)
            // By code; by its name only when it carries no recognised code (a text-only
            // "Fraxiparine 2850 IE" already requested: found by a clinical audit, helper-42, a
            // second heparin was proposed beside it). Text may hold a proposal back, never create one,
            // and is said (guideline.md v2, "codes decide, text only warns"; helper-44's review).
            // Progesterone by another route (oral) is not the card's vaginal progesterone.
            let uncoded = !c.terminology.hasRecognisedCode(medication)
            for (valueSet, taken, stale, what) in medications {
                let byCode = c.terminology.matches(medication, valueSet)
                guard byCode || (uncoded && c.terminology.matchesKeyword(medication, valueSet)) else { continue }
                if valueSet == .progesteroneVaginal && Requests.notVaginal(c, index) { continue }
                if !byCode { c.warn(index, .textOnlyHoldsBack(what: what, text: c.text(medication))) }
                guard let since else {
                    facts[keyPath: taken].append(Source(index))
                    continue
                }
                var use = MedicationUse(source: Source(index), start: nil, current: false, stale: since)
                use.text = .record(c.text(medication))
                facts[keyPath: stale].append(use)
            }
        }
    }


    static func result(_ c: FactContext, _ index: Int, into facts: inout Facts) {
        let r = c.resource(index)
        let code = r.child("code")
        var test: AntiphospholipidTest?
        var isRatio = false
        if c.terminology.matches(code, .lupusAnticoagulant) { test = .lupusAnticoagulant }
        if c.terminology.matches(code, .lupusAnticoagulantRatio) { test = .lupusAnticoagulant; isRatio = true }
        for (t, vs) in antibodies where c.terminology.matches(code, vs) { test = t }
        if c.terminology.matches(code, .lupusAnticoagulantPanel) {
            // A panel: its components are the results (members elsewhere in the Bundle are read on their own).
            guard let d = c.dated(index, c.observationDateText(r), what: "date") else { return }
            for component in r.children("component") {
                let ccode = component.child("code")
                let ratio = c.terminology.matches(ccode, .lupusAnticoagulantRatio)
                guard ratio || c.terminology.matches(ccode, .lupusAnticoagulant) else { continue }
                switch reading(c, index, component, antibody: false, ratio: ratio) {
                case .positive: facts.antiphospholipid[.lupusAnticoagulant, default: []].append(AntiphospholipidResult(date: d, positive: true, source: Source(index)))
                case .negative: facts.antiphospholipid[.lupusAnticoagulant, default: []].append(AntiphospholipidResult(date: d, positive: false, source: Source(index)))
                case .indeterminate(let why):
                    facts.antiphospholipidIndeterminate[.lupusAnticoagulant, default: []].append(AntiphospholipidResult(date: d, positive: false, source: Source(index), indeterminate: why))
                case .unreadable: break
                }
            }
            return
        }
        guard let test else { return }
        // guideline.md v2/v3: a partial date is an interval, not a missing date.
        guard let (d, earliest) = resultDays(c, index, c.observationDateText(r)) else {
            if c.observationDateText(r) == nil { c.warn(index, .noDate(what: test.display)) }
            return
        }
        let read = reading(c, index, r, antibody: test != .lupusAnticoagulant, ratio: isRatio,
                           defaultLimit: [.antiB2GPIIgG, .antiB2GPIIgM].contains(test) ? nil : c.defaults.antibodyPositiveAbove)
        if case .indeterminate(let why) = read {
            facts.antiphospholipidIndeterminate[test, default: []].append(AntiphospholipidResult(date: d, earliest: earliest, positive: false, source: Source(index), indeterminate: why))
            return
        }
        guard case let p? = read.positive else {
            // A level with no range, no interpretation and no default limit (anti-β2GPI): done, but
            // neither positive nor negative until the lab interprets it.
            if [.antiB2GPIIgG, .antiB2GPIIgM].contains(test), levelWithoutLimit(r) {
                facts.antiphospholipidIndeterminate[test, default: []].append(AntiphospholipidResult(date: d, earliest: earliest, positive: false, source: Source(index)))
                return
            }
            c.warn(index, .neitherPositiveNorNegative(what: test.display))
            return
        }
        facts.antiphospholipid[test, default: []].append(AntiphospholipidResult(date: d, earliest: earliest, positive: p, source: Source(index)))
    }

    /// A result's days: a full date as `dated`; a partial one (wholly on or before the
    /// evaluation date) as its last and first day.
    static func resultDays(_ c: FactContext, _ index: Int, _ text: String?) -> (CalendarDate, CalendarDate)? {
        guard let text else { return nil }
        if CalendarDate(fhir: text) != nil { return c.dated(index, text, what: "date").map { ($0, $0) } }
        guard let interval = DayInterval(fhir: text) else { return c.dated(index, text, what: "date").map { ($0, $0) } }
        if interval.end > c.date {
            c.warn(index, .afterEvaluationDate(what: "date", text: text, date: c.date))
            return nil
        }
        if c.beforeBirth(index, interval, what: "date", text: text) { return nil }
        return (interval.end, interval.start)
    }

    /// Positive, negative, or unreadable (nil): interpretation, else a coded answer, else a quantity
    /// against the result's reference range, else the project default (40 units for antibodies,
    /// ratio 1.2 for lupus anticoagulant). A quantity with a comparator is a bound: positive or
    /// negative only when the whole bound is; an implausible quantity is a warning and unreadable.
    /// A plausible quantity with no reference range high limit and no interpretation.
    static func levelWithoutLimit(_ r: Element) -> Bool {
        guard let text = r.child("valueQuantity")?.string("value"), Double(text)?.isFinite == true else { return false }
        return r.children("interpretation").isEmpty && !r.children("referenceRange").contains { $0.child("high") != nil }
    }

    enum Reading {
        case positive, negative, unreadable
        case indeterminate(Phrase)
        var positive: Bool? {
            switch self {
            case .positive: return true
            case .negative: return false
            default: return nil
            }
        }
    }

    /// guideline.md v3, "a coded answer is a result": the interpretation and the value are read
    /// alike; an equivocal or inconclusive one is indeterminate, and a value and an
    /// interpretation that disagree are indeterminate, with a warning.
    static func reading(_ c: FactContext, _ index: Int, _ r: Element, antibody: Bool, ratio: Bool,
                        defaultLimit: Double? = nil) -> Reading {
        var byInterpretation: Bool?
        for i in r.children("interpretation") {
            if c.terminology.matches(i, .equivocal) { return .indeterminate("interpretation \(record: c.text(i))") }
            if c.terminology.matches(i, .positive) { byInterpretation = true; break }
            if c.terminology.matches(i, .negative) { byInterpretation = false; break }
        }
        var byValue: Bool?
        if let v = r.child("valueCodeableConcept") {
            if c.terminology.matches(v, .equivocal) { return .indeterminate("answer \(record: c.text(v))") }
            if c.terminology.matches(v, .positive) { byValue = true }
            else if c.terminology.matches(v, .negative) { byValue = false }
            else if c.terminology.matchesKeyword(v, .equivocal) { return .indeterminate("answer \(record: c.text(v))") }
        } else if let s = r.string("valueString"), c.terminology.matchesKeyword(text: s, .equivocal) {
            return .indeterminate("answer \"\(record: s)\"")
        }
        if byValue == nil, r.child("valueQuantity") != nil, byInterpretation != nil {
            // A quantity read against its own reference range only, to see whether it agrees: the
            // project's defaults apply only with no range and no interpretation (guideline.md v2).
            byValue = positivity(c, index, r, antibody: antibody, ratio: ratio, defaultLimit: nil, interpretation: false, ownRangeOnly: true)
        }
        if let a = byInterpretation, let b = byValue, a != b {
            c.warn(index, .valueAndInterpretationDisagree(value: b ? Phrase("positive") : "negative", interpretation: a ? Phrase("positive") : "negative"))
            return .indeterminate("value \(b ? Phrase("positive") : "negative") but interpretation \(a ? Phrase("positive") : "negative")")
        }
        if let p = byInterpretation ?? byValue { return p ? .positive : .negative }
        if let p = positivity(c, index, r, antibody: antibody, ratio: ratio, defaultLimit: defaultLimit, interpretation: false) { return p ? .positive : .negative }
        return .unreadable
    }

    static func positivity(_ c: FactContext, _ index: Int, _ r: Element, antibody: Bool, ratio: Bool,
                           defaultLimit: Double? = nil, interpretation: Bool = true, ownRangeOnly: Bool = false) -> Bool? {
        if interpretation {
            for i in r.children("interpretation") {
                if c.terminology.matches(i, .positive) { return true }
                if c.terminology.matches(i, .negative) { return false }
            }
        }
        if let v = r.child("valueCodeableConcept") {
            if c.terminology.matches(v, .positive) { return true }
            if c.terminology.matches(v, .negative) { return false }
        }
        guard let q = r.child("valueQuantity"), let text = q.string("value"), let parsed = Double(text) else { return nil }
        let range = ratio ? c.defaults.plausibleLupusAnticoagulantRatio : c.defaults.plausibleAntibody
        guard let value = c.plausible(index, parsed, range, what: antibody ? "antibody level" : "lupus anticoagulant ratio", text: text,
                                      unit: q.string("unit") ?? q.string("code") ?? "") else {
            return nil
        }
        let bound = Bound(q.string("comparator"))
        if let high = r.children("referenceRange").compactMap({ $0.child("high")?.string("value").flatMap(Double.init) }).first(where: { $0.isFinite }) {
            return bound.above(value, limit: high)
        }
        if ownRangeOnly { return nil }
        if ratio { return bound.above(value, limit: c.defaults.lupusAnticoagulantRatioCutoff) }
        if antibody, let defaultLimit { return bound.above(value, limit: defaultLimit) }
        return nil
    }
}
