import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3 `losses`: undated losses as a range, and onsets as ages (issue 16).
@Suite(.serialized) struct LossRangeTests {
    static func undated(_ id: String, recorded: String?) -> Element {
        S.condition(id, S.sct, "17369002", onset: nil, extra: recorded.map { [.primitive("recordedDate", $0)] } ?? [])
    }

    /// One dated loss and an undated one recorded after it: it may be that loss (1–2). The
    /// maximum makes the plan; the note says the count is uncertain; the prognosis has no figure
    /// for 1. Recorded before the dated loss's onset, it cannot be it: 2, no note.
    @Test func anUndatedLossRecordedAfterADatedOneMayBeIt() throws {
        var after = S(losses: ["2023-05-01"])
        after.add(Self.undated("u", recorded: "2024-01-10"))
        let a = try InProcess.apply(after)
        #expect(a.resources("CarePlan").count == 1)
        #expect(a.notes.contains { $0.contains("Number of losses uncertain (1–2)") })
        #expect(a.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == nil)

        var before = S(losses: ["2023-05-01"])
        before.add(Self.undated("u", recorded: "2023-01-10"))
        let b = try InProcess.apply(before)
        #expect(b.resources("CarePlan").count == 1)
        #expect(!b.notes.contains { $0.contains("uncertain") })

        // No recording date: it may be any of them.
        var unknown = S(losses: ["2023-05-01"])
        unknown.add(Self.undated("u", recorded: nil))
        #expect(try InProcess.apply(unknown).notes.contains { $0.contains("Number of losses uncertain (1–2)") })
    }

    /// Two undated losses at one intake are two (never merged with each other), and each dated
    /// loss can be only one of them: 1 dated + 2 undated recorded after it is 2–3.
    @Test func eachDatedLossIsAtMostOneUndatedLoss() throws {
        var s = S(losses: ["2023-05-01"])
        s.add(Self.undated("u1", recorded: "2024-01-10"))
        s.add(Self.undated("u2", recorded: "2024-01-10"))
        let out = try InProcess.apply(s)
        #expect(out.notes.contains { $0.contains("Number of losses uncertain (2–3)") })
        #expect(out.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.25")
        var intake = S(losses: [])
        intake.add(Self.undated("u1", recorded: "2024-01-10"))
        intake.add(Self.undated("u2", recorded: "2024-01-10"))
        let two = try InProcess.apply(intake)
        #expect(two.resources("CarePlan").count == 1)
        #expect(!two.notes.contains { $0.contains("uncertain") })
    }

    /// The rules that need three losses read the minimum: karyotyping (age < 35, family history)
    /// with 2 dated + 1 undated recorded after them is not ordered; recorded before both, it is.
    @Test func karyotypingReadsTheMinimum() throws {
        func record(_ recorded: String) -> S {
            var s = S(birthDate: "1992-05-01", losses: ["2025-03-10", "2026-01-22"])
            s.add(Self.undated("u", recorded: recorded))
            s.add(.resource("FamilyMemberHistory", [.primitive("id", "sis"), .primitive("status", "completed"),
                                                    .complex("patient", [.primitive("reference", "PATIENT")]),
                                                    S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "SIS"),
                                                    .complex("condition", [S.concept("code", S.sct, "102878001")])]))
            return s
        }
        #expect(!(try InProcess.apply(record("2026-02-01")).fired.contains("RPL-KARYOTYPE")))
        #expect(try InProcess.apply(record("2024-06-01")).fired.contains("RPL-KARYOTYPE"))
    }

    /// `onsetAge` is an interval from the birth date: born 1993-05-14, "age 28 a" is 2021-05-14 to
    /// 2022-05-13. A loss dated 2021-06-01 lies in it (one pregnancy: no plan); at age 25 it is
    /// another pregnancy (two losses: a plan). An `onsetRange` of ages too.
    @Test func anOnsetAgeIsAnInterval() throws {
        func age(_ years: String) -> Element {
            .complex("onsetAge", [.primitive("value", years, kind: .number), .primitive("unit", "a"),
                                  .primitive("system", S.ucum), .primitive("code", "a")])
        }
        var same = S(losses: ["2021-06-01"])
        same.add(S.condition("age", S.sct, "17369002", onset: nil, extra: [age("28")]))
        let one = try InProcess.apply(same)
        #expect(one.resources("CarePlan").isEmpty)
        #expect(one.stderr.contains("counted as one loss"))
        var other = S(losses: ["2021-06-01"])
        other.add(S.condition("age", S.sct, "17369002", onset: nil, extra: [age("25")]))
        let two = try InProcess.apply(other)
        #expect(two.resources("CarePlan").count == 1)
        #expect(!two.notes.contains { $0.contains("uncertain") })
        var range = S(losses: ["2021-06-01"])
        range.add(S.condition("age", S.sct, "17369002", onset: nil, extra: [
            .complex("onsetRange", [.complex("low", [.primitive("value", "20", kind: .number), .primitive("code", "a")]),
                                    .complex("high", [.primitive("value", "22", kind: .number), .primitive("code", "a")])])]))
        #expect(try InProcess.apply(range).resources("CarePlan").count == 1)
    }
}
