import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct RequestsFactTests {
    @Test func reasonsIndicationsAndWhose() throws {
        var s = S()
        s.fullUrls = "server"
        s.add(S.condition("fvl", S.icd10, "D68.5", onset: "2019-01-01"))
        s.add(S.condition("dm", S.icd10, "E11.9", onset: "2019-01-01"))
        s.add(S.medicationRequest("met", S.atc, "A10BA02"))
        s.add(.resource("MedicationRequest", [.primitive("id", "enox"), .primitive("status", "active"), .primitive("intent", "order"),
                                              S.concept("medicationCodeableConcept", S.atc, "B01AB05"), S.subject,
                                              .complex("reasonCode", [.primitive("text", "Factor V Leiden")])]))
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB")]))
        s.add(.resource("MedicationRequest", [.primitive("id", "his"), .primitive("status", "active"), .primitive("intent", "order"),
                                              S.concept("medicationCodeableConcept", S.atc, "A10BA02"),
                                              .complex("subject", [.primitive("reference", "RelatedPerson/partner")])]))
        let (f, _) = try FactRun.read(s, [Requests.self])
        #expect(f.hereditaryThrombophilia.count == 1)
        #expect(f.inputRequests.count == 3)
        let met = f.inputRequests[0], enox = f.inputRequests[1], his = f.inputRequests[2]
        #expect(met.matches.map { $0.otherIndication?.description } == ["ICD-10 E11.9"])
        #expect(enox.reasonNamesThrombophilia && enox.matches.allSatisfy { $0.otherIndication == nil })
        #expect(met.forPatient && !his.forPatient)
    }
}
