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
}
