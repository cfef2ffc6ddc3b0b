import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct ThyroidFactTests {
    @Test func hypothyroidismByICD10ButNotAutoimmuneThyroiditisAlone() throws {
        var s = S()
        s.add(S.condition("e03", S.icd10, "E03.9", onset: "2020-01-01"))
        s.add(S.condition("e063", S.icd10, "E06.3", onset: "2020-01-01"))
        s.add(S.condition("e890", S.icd10, "E89.0", onset: "2021-01-01"))
        let (f, _) = try FactRun.read(s, [Thyroid.self])
        #expect(f.hypothyroidismConditions.map(\.source.index).count == 2)
        #expect(!f.hypothyroidismConditions.contains { $0.text.description.contains("E06.3") })
    }

    @Test func theNewestTSHInTheWindowWithItsClassification() throws {
        var s = S()
        s.add(S.tsh("6.1", id: "new", date: "2026-10-20"))
        s.add(S.tsh("1.0", id: "old", date: "2025-10-01"))  // before the 12-month window
        let (f, _) = try FactRun.read(s, [Thyroid.self])
        #expect(f.tsh?.value == 6.1 && f.tsh?.classification == .high)
    }
}
