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

    /// Helper-38's audit: a pregnancy over 42w6d old that a delivery after it ended is said to be
    /// ended by the delivery, not by time; with nothing after it, by time. One ending that ends an
    /// old and a current pregnancy is said once, with the current one's date.
    @Test func anOldPregnancyEndedByADeliveryIsSaidToBeEndedByIt() throws {
        var s = S(losses: ["2023-02-01", "2024-07-01"])
        s.add(S.condition("preg", S.icd10, "O26.2", onset: "2025-10-01"))
        var (f, w) = try FactRun.read(s, [Pregnancy.self])
        #expect(f.currentPregnancy == nil)
        #expect(w.filter { $0.contains("pregnant since 2025-10-01 at the latest") }.count == 1, "\(w)")
        s.add(S.condition("birth", S.icd10, "O80", onset: "2026-06-20", clinical: "resolved"))
        (f, w) = try FactRun.read(s, [Pregnancy.self])
        #expect(f.currentPregnancy == nil)
        #expect(w == ["Condition/birth: ends the pregnancy recorded up to 2025-10-01: no current pregnancy"], "\(w)")
        s.add(S.observation("hcg", S.loinc, "2118-8", date: "2026-05-01", interpretation: "POS"))
        (f, w) = try FactRun.read(s, [Pregnancy.self])
        #expect(f.currentPregnancy == nil)
        #expect(w == ["Condition/birth: ends the pregnancy recorded up to 2026-05-01: no current pregnancy"], "\(w)")
        // A loss more than 42w6d after the old evidence is another pregnancy's (helper-40's review):
        // the old one ended by time.
        var years = S(losses: ["2023-02-01", "2024-07-01"])
        years.add(S.condition("preg", S.icd10, "O26.2", onset: "2022-01-10"))
        let (_, old) = try FactRun.read(years, [Pregnancy.self])
        #expect(old.count == 1 && old[0].contains("pregnant since 2022-01-10 at the latest"), "\(old)")
    }

    /// The fourth clinical audit: a positive hCG and a negative one ten days later, with no coded
    /// loss, is a fall too (a note, never a loss); months apart it is not (the negative may end a
    /// pregnancy recorded some other way), nor beside a coded loss, nor when a positive follows.
    @Test func aPositiveThenANegativeHCGWithinFourWeeksIsAPossibleBiochemicalLoss() throws {
        func hcg(_ id: String, _ date: String, _ positive: Bool) -> Element {
            S.observation(id, S.loinc, "2118-8", date: date, interpretation: positive ? "POS" : "NEG")
        }
        func note(_ s: S) throws -> [String] {
            try FactRun.read(s, [Pregnancy.self]).warnings.filter { $0.contains("possible biochemical pregnancy loss") }
        }
        var s = S(losses: ["2024-03-10"])
        s.add(hcg("p", "2026-10-01", true))
        s.add(hcg("n", "2026-10-11", false))
        let found = try note(s)
        #expect(found.count == 1)
        #expect(found.first?.contains("hCG positive on 2026-10-01 and negative on 2026-10-11") == true)
        #expect(try FactRun.read(s, [Pregnancy.self]).facts.lossCount == 0)

        var later = S(losses: ["2024-03-10"])
        later.add(hcg("p", "2026-06-01", true))
        later.add(hcg("n", "2026-10-11", false))
        #expect(try note(later).isEmpty)

        var again = s
        again.add(hcg("p2", "2026-10-20", true))
        #expect(try note(again).isEmpty)

        var coded = s
        coded.add(S.condition("loss", S.icd10, "O03.9", onset: "2026-10-12"))
        #expect(try note(coded).isEmpty)

        // A positive test, then a serum value below its lab's limit (helper-34's review).
        var mixed = S(losses: ["2024-03-10"])
        mixed.add(hcg("p", "2026-10-01", true))
        mixed.add(S.observation("q", S.loinc, "2106-3", date: "2026-10-11", value: S.quantity("2", "[IU]/L"), range: (nil, "5")))
        #expect(try note(mixed).count == 1)
    }
}
