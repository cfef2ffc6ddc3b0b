import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct LifestyleFactTests {
    @Test func thePartnersSmokingIsNamedAsHis() throws {
        var s = S()
        s.fullUrls = "server"
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB"), .primitive("gender", "male")]))
        s.add(.resource("Observation", [.primitive("id", "smoke"), .primitive("status", "final"), S.concept("code", S.loinc, "72166-2"),
                                        .complex("subject", [.primitive("reference", "RelatedPerson/partner")]),
                                        .primitive("effectiveDateTime", "2026-10-01"), S.concept("valueCodeableConcept", S.sct, "449868002")]))
        let (f, _) = try FactRun.read(s, [Lifestyle.self])
        #expect(f.lifestyleRisks.map(\.text) == ["partner smokes"], "\(f.lifestyleRisks)")
    }

    /// Her findings name her as his name him (helper-38's audit: "partner smokes; BMI 32.4" did
    /// not say whose the BMI was).
    @Test func herFindingsAreNamedAsHers() throws {
        var s = S()
        s.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("32.4", "kg/m2", code: "kg/m2")))
        s.add(.resource("Observation", [.primitive("id", "smoke"), .primitive("status", "final"), S.concept("code", S.loinc, "72166-2"), S.subject,
                                        .primitive("effectiveDateTime", "2026-10-01"), S.concept("valueCodeableConcept", S.sct, "449868002")]))
        let (f, _) = try FactRun.read(s, [Lifestyle.self])
        #expect(f.lifestyleRisks.map(\.text.description) == ["patient smokes", "patient's BMI 32.4 (≥ 30)"], "\(f.lifestyleRisks)")
        let nl = try Profiles.builtIn().wording(.nl)
        let dutch = f.lifestyleRisks.map { $0.text.rendered(in: nl) }
        #expect(dutch == ["patiënte rookt", "patiënte: BMI 32,4 (≥ 30)"], "\(dutch)")
    }
}
