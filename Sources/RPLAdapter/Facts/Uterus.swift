import FHIR
import RPLGuideline

/// Card area: the uterus (`Sources/RPLGuideline/Uterus.swift`: RPL-UTERUS, RPL-UROGENITAL).
/// Facts: `uterineImaging` (a report, study or procedure of uterine imaging of the patient that was
/// done), `uterineMalformations`, `adenomyosis`.
/// Codes: ValueSets `uterineImaging`, `uterineAnomaly` (not `arcuateUterus`), `adenomyosis`.
/// Tests: Tests/RPLAdapterTests/Facts/UterusFactTests.swift, Tests/RPLAdapterTests/Rules/UterusLifestyleRuleTests.swift, Fixtures `uterus-*`.
enum Uterus: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            // guideline.md v2: an arcuate uterus is a normal variant (ESHRE/ESGE U0), not a
            // malformation, even when its code falls under Q51: by its code or named in the text.
            if c.terminology.matches(code, .uterineAnomaly) && !c.terminology.matchesCodeOrKeyword(code, .arcuateUterus) {
                facts.uterineMalformations.append(Finding(record: c.text(code), Source(index)))
            }
            if c.terminology.matches(code, .adenomyosis) { facts.adenomyosis.append(Finding(record: c.text(code), Source(index))) }
        }
        for index in c.items(["DiagnosticReport", "ImagingStudy", "Procedure"]) {
            let r = c.resource(index)
            let status = r.string("status") ?? ""
            guard !["cancelled", "entered-in-error", "not-done", "registered"].contains(status), c.person(index) == .patient else { continue }
            let codes = [r.child("code")] + r.children("procedureCode").map { Optional($0) }
            if codes.contains(where: { c.terminology.matches($0, .uterineImaging) }) { facts.uterineImaging.append(Source(index)) }
        }
    }
}
