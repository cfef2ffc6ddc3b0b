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
/// Tests: Tests/RPLAdapterTests/FactTests.swift (AntiphospholipidFactTests), RuleTests.swift (AntiphospholipidRuleTests), Fixtures `apl-*`.
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
                    c.warn(index, .notConfirmed(what: "antiphospholipid syndrome", status: "resolved", consequence: "not read as a known APS; the antibody tests are still ordered"))
                } else if verification.isEmpty || verification.contains("confirmed") {
                    facts.apsDiagnosed.append(Finding(c.text(code), Source(index)))
                } else {
                    c.warn(index, .notConfirmed(what: "antiphospholipid syndrome", status: verification.first ?? "not given",
                                                consequence: "the antibody tests are still ordered"))
                }
            } else if c.terminology.matches(code, .antiphospholipidNonspecific) {
                c.warn(index, .notSpecific(what: "antiphospholipid syndrome", text: c.text(code), consequence: "the antibody tests are still ordered"))
            }
        }
        // Aspirin or a heparin the patient already takes, or that is already requested for her.
        for index in c.items(["MedicationRequest", "MedicationStatement"]) {
            let r = c.resource(index)
            let status = r.string("status") ?? ""
            let current = r.name == "MedicationRequest" ? ["draft", "active", "on-hold"].contains(status) : status == "active"
            guard current, c.person(index) == .patient, !c.useEnded(index) else { continue }
            let medication = Requests.medicationCode(c, index)
            if c.terminology.matches(medication, .aspirin) { facts.aspirinTakenOrRequested.append(Source(index)) }
            if c.terminology.matches(medication, .lmwh) { facts.heparinTakenOrRequested.append(Source(index)) }
            if c.terminology.matches(medication, .progesteroneVaginal) { facts.progesteroneTakenOrRequested.append(Source(index)) }
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
                if let p = positivity(c, index, component, antibody: false, ratio: ratio) {
                    facts.antiphospholipid[.lupusAnticoagulant, default: []].append(AntiphospholipidResult(date: d, positive: p, source: Source(index)))
                }
            }
            return
        }
        guard let test else { return }
        guard let d = c.dated(index, c.observationDateText(r), what: "date") else {
            if c.observationDateText(r) == nil { c.warn(index, .noDate(what: test.display)) }
            return
        }
        guard let p = positivity(c, index, r, antibody: test != .lupusAnticoagulant, ratio: isRatio,
                                 defaultLimit: [.antiB2GPIIgG, .antiB2GPIIgM].contains(test) ? nil : c.defaults.antibodyPositiveAbove) else {
            // A level with no range, no interpretation and no default limit (anti-β2GPI): done, but
            // neither positive nor negative until the lab interprets it.
            if [.antiB2GPIIgG, .antiB2GPIIgM].contains(test), levelWithoutLimit(r) {
                facts.antiphospholipidIndeterminate[test, default: []].append(AntiphospholipidResult(date: d, positive: false, source: Source(index)))
                return
            }
            c.warn(index, .neitherPositiveNorNegative(what: test.display))
            return
        }
        facts.antiphospholipid[test, default: []].append(AntiphospholipidResult(date: d, positive: p, source: Source(index)))
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

    static func positivity(_ c: FactContext, _ index: Int, _ r: Element, antibody: Bool, ratio: Bool,
                           defaultLimit: Double? = nil) -> Bool? {
        for i in r.children("interpretation") {
            if c.terminology.matches(i, .positive) { return true }
            if c.terminology.matches(i, .negative) { return false }
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
        if ratio { return bound.above(value, limit: c.defaults.lupusAnticoagulantRatioCutoff) }
        if antibody, let defaultLimit { return bound.above(value, limit: defaultLimit) }
        return nil
    }
}
