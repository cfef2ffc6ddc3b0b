import FHIR
import RPLGuideline

/// Card area: ANA "(overweeg bij klinische symptomen)" (`Sources/RPLGuideline/Immunology.swift`:
/// RPL-ANA; the ANA exception of NR-IMMUNOLOGY). Facts: `autoimmuneSymptoms` (Conditions of a
/// systemic autoimmune disease or its clinical signs, any clinical status; by code, or by keyword
/// marked `byText`), `anaResult` (an ANA result at any date: "no ANA result").
/// Codes: ValueSets `autoimmuneDisease`, `ana`.
/// Tests: Tests/RPLAdapterTests/Facts/ImmunologyFactTests.swift, Tests/RPLAdapterTests/Rules/ImmunologyRuleTests.swift, Fixtures `immunology-*`.
enum Immunology: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            // guideline.md v3 (`autoimmuneSymptoms`): active, and not abated before the
            // evaluation date (a sign resolved years ago is not a clinical symptom now).
            if c.terminology.matches(code, .autoimmuneDisease) || c.terminology.matchesKeyword(code, .autoimmuneDisease),
               !c.currentCondition(index) { continue }
            if let finding = Endocrine.finding(c, index, code, .autoimmuneDisease) { facts.autoimmuneSymptoms.append(finding) }
        }
        // Any ANA result, at any date, answers RPL-ANA's "no ANA result" (the first in input order).
        // An ANA named in words alone is not a result, and is said where none is coded (as a TSH's:
        // helper-45's audit). One pass for both.
        var inWords: [Int] = []
        for index in c.items(["Observation"]) {
            let r = c.resource(index), code = r.child("code")
            guard c.usableObservation(r), c.person(index) == .patient else { continue }
            if c.terminology.matches(code, .ana) { facts.anaResult = Source(index); break }
            if !c.terminology.hasRecognisedCode(code), c.terminology.matchesKeyword(code, .ana) { inWords.append(index) }
        }
        if facts.anaResult == nil {
            for index in inWords { c.warn(index, .textOnly(what: "an ANA result", text: c.text(c.resource(index).child("code")))) }
        }
    }
}
