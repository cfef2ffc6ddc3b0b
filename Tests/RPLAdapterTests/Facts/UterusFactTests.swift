import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct UterusFactTests {
    @Test func q51IsAMalformationButAnArcuateUterusIsNot() throws {
        var s = S()
        s.add(S.condition("sept", S.icd10, "Q51.2", onset: nil))
        let (f, _) = try FactRun.read(s, [Uterus.self])
        #expect(f.uterineMalformations.count == 1)
        var arcuate = S()
        arcuate.add(.resource("Condition", [.primitive("id", "arc"), .complex("code", [S.coding(S.icd10, "Q51.9"), .primitive("text", "Uterus arcuatus")]), S.subject]))
        arcuate.add(S.condition("cm", "http://hl7.org/fhir/sid/icd-10-cm", "Q51.810", onset: nil))
        #expect(try FactRun.read(arcuate, [Uterus.self]).facts.uterineMalformations.isEmpty)
    }
}
