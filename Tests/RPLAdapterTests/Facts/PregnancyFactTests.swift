import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct PregnancyFactTests {
    @Test func o26_2SaysPregnantAndADeliveryEndsIt() throws {
        var s = S(losses: ["2024-03-10", "2025-01-22"])
        s.add(S.condition("o262", S.icd10, "O26.2", onset: "2026-09-01"))
        s.add(S.condition("bleed", S.icd10, "O20.0", onset: "2026-10-01"))
        #expect(try FactRun.read(s, [Pregnancy.self]).facts.currentPregnancy != nil)
        #expect(try FactRun.read(s, [Pregnancy.self]).facts.bleedingInCurrentPregnancy.count == 1)
        s.add(S.condition("birth", S.icd10, "O80", onset: "2026-10-25", clinical: "resolved"))
        let (f, w) = try FactRun.read(s, [Pregnancy.self])
        #expect(f.currentPregnancy == nil)
        #expect(w.contains { $0.contains("ends the pregnancy") })
    }
}
