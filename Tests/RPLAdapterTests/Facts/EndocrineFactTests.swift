import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct EndocrineFactTests {
    @Test func codedAndTextFindingsTheProfileAndTheLastDelivery() throws {
        var s = S()
        s.add(S.condition("amen", S.icd10, "N91.1", onset: "2026-05-01"))
        s.add(FactRun.condition(text: "Cyclusstoornis"))
        s.add(S.observation("fsh", S.loinc, "15067-2", date: "2026-09-01", value: S.quantity("6", "IU/L", code: "[IU]/L")))
        s.add(S.condition("d1", S.icd10, "O80", onset: "2024-02-01", clinical: "resolved"))
        s.add(.resource("Procedure", [.primitive("id", "d2"), .primitive("status", "completed"), S.concept("code", S.sct, "236973005"),
                                      S.subject, .primitive("performedDateTime", "2025-06-01")]))
        let (f, _) = try FactRun.read(s, [Endocrine.self])
        #expect(f.oligoOrAmenorrhoea.map(\.byText) == [false])
        #expect(f.cycleDisorder.map(\.byText) == [true])
        #expect(f.hormoneProfile.map(\.item) == ["fsh", "lh", "estradiol"])
        #expect(f.hormoneProfile.map { $0.result != nil } == [true, false, false])
        #expect(f.lastDelivery?.date == CalendarDate(year: 2025, month: 6, day: 1))
        #expect(f.prolactinResult == nil)
    }
}
