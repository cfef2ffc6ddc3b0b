import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct ImmunologyFactTests {
    @Test func symptomsByCodeOrTextAndAnyANAResult() throws {
        var s = S()
        s.add(S.condition("sle", S.icd10, "M32.9", onset: "2021-01-01"))
        s.add(FactRun.condition(text: "Raynaud"))
        s.add(S.observation("ana", S.loinc, "8061-4", date: "2015-01-01", interpretation: "NEG"))
        let (f, _) = try FactRun.read(s, [Immunology.self])
        #expect(f.autoimmuneSymptoms.map(\.byText) == [false])
        #expect(f.anaResult != nil)
    }
}
