import FHIR
import Foundation
import Testing
import TestSupport

/// Every rule id of guideline.md through the built executable: an input where it fires and one
/// where it must not, at its boundaries. Evaluation date 2026-11-02 unless said.
@Suite(.serialized) struct IndicationAndAdviceTests {
    static let advice = ["RPL-PRECONCEPTION", "RPL-SUPPLEMENTS", "RPL-EXPERT-CENTRE", "RPL-SUPPORTIVE-CARE", "RPL-FREYA",
                         "RPL-HISTORY", "RPL-LIFESTYLE-HISTORY", "RPL-PROGNOSIS"]

    @Test func twoLossesMakeAPlanWithAllGeneralAdvice() throws {
        let out = try InProcess.apply(S())
        #expect(out.status == 0)
        #expect(out.resources("CarePlan").count == 1)
        for id in Self.advice { #expect(out.fired.contains(id), "\(id) missing") }
        let plan = try #require(out.resources("CarePlan").first)
        #expect(plan.string("status") == "active" && plan.string("intent") == "plan")
        #expect(plan.children("addresses").count == 2)
    }

    @Test func oneLossMakesNoPlan() throws {
        let out = try InProcess.apply(S(losses: ["2025-03-10"]))
        #expect(out.status == 0)
        #expect(out.bundle?.string("type") == "transaction")
        #expect(out.bundle?.children("entry").isEmpty == true)
        #expect(out.stderr.contains("no plan: 1 pregnancy loss counted"))
    }

    @Test func aRefutedOrEnteredInErrorLossDoesNotCount() throws {
        for status in ["refuted", "entered-in-error"] {
            var s = S(losses: ["2025-03-10"])
            s.add(S.condition("loss-x", S.sct, "19169002", onset: "2026-02-01", verification: status))
            let out = try InProcess.apply(s)
            #expect(out.bundle?.children("entry").isEmpty == true, "\(status) counted")
        }
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("loss-x", S.sct, "19169002", onset: "2026-02-01", verification: "provisional"))
        #expect(try InProcess.apply(s).resources("CarePlan").count == 1)
    }

    /// guideline.md v2: a loss recorded within 28 days before or after an ectopic or molar
    /// pregnancy is that pregnancy (histology often comes weeks after the evacuation).
    @Test func anEctopicWithin28DaysOfAMiscarriageCodeIsThatEctopic() throws {
        for (ectopic, counts) in [("2026-03-01", false), ("2026-03-02", true), ("2026-01-04", false), ("2026-01-03", true)] {
            var s = S(losses: ["2025-03-10"])
            s.add(S.condition("mc", S.sct, "19169002", onset: "2026-02-01"))
            s.add(S.condition("ectopic", S.sct, "79586000", onset: ectopic))  // 28 / 29 days after, 28 / 29 days before
            let out = try InProcess.apply(s)
            #expect(out.resources("CarePlan").count == (counts ? 1 : 0), "ectopic on \(ectopic)")
        }
    }

    /// guideline.md v2: partial onsets are intervals and count (v1 dropped them, and the plan with them).
    @Test func partialOnsetsCount() throws {
        var s = S(losses: [])
        s.add(S.condition("y", S.sct, "17369002", onset: "2019"))
        s.add(S.condition("ym", S.sct, "17369002", onset: "2021-05"))
        s.add(S.condition("full", S.sct, "17369002", onset: "2025-03-10"))
        let out = try InProcess.apply(s)
        #expect(out.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.35")  // 3 losses
        #expect(!out.stderr.contains("not a full date"))
        // 2021-05 and 2021-05-14 overlap: one pregnancy, a warning.
        var overlap = S(losses: ["2025-03-10"])
        overlap.add(S.condition("ym", S.sct, "17369002", onset: "2021-05"))
        overlap.add(S.condition("day", S.sct, "17369002", onset: "2021-05-14"))
        let one = try InProcess.apply(overlap)
        #expect(one.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.25")
        #expect(one.stderr.contains("counted as one loss"))
        // A year that reaches past the evaluation date counts, with a warning.
        var thisYear = S(losses: ["2025-03-10"])
        thisYear.add(S.condition("y", S.sct, "17369002", onset: "2026"))
        let reaching = try InProcess.apply(thisYear)
        #expect(reaching.resources("CarePlan").count == 1)
        #expect(reaching.stderr.contains("reaches past the evaluation date"))
        // Wholly after it: not counted.
        var future = S(losses: ["2025-03-10"])
        future.add(S.condition("y", S.sct, "17369002", onset: "2027"))
        #expect(try InProcess.apply(future).resources("CarePlan").isEmpty)
    }

    /// guideline.md v2: one pregnancy recorded three times (0, 10 and 30 days apart: each less than
    /// 28 days from the one before) is one loss; 28 days apart are two.
    @Test func onePregnancyRecordedThreeTimesCountsOnce() throws {
        var s = S(losses: ["2026-01-01", "2026-01-11", "2026-01-31"])
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").isEmpty)
        #expect(out.stderr.components(separatedBy: "counted as one loss").count - 1 == 2)
        s = S(losses: ["2026-01-01", "2026-01-29"])  // 28 days apart
        #expect(try InProcess.apply(s).resources("CarePlan").count == 1)
        s = S(losses: ["2026-01-01", "2026-01-28"])  // 27 days apart
        #expect(try InProcess.apply(s).resources("CarePlan").isEmpty)
    }

    @Test func twoConditionsOnOneDateCountOnce() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("blighted", S.sct, "35999006", onset: "2025-03-10T10:00:00+01:00"))
        #expect(try InProcess.apply(s).bundle?.children("entry").isEmpty == true)
    }

    /// guideline.md v2, "codes decide, text only warns": a Condition that says "herhaalde
    /// miskramen" only in its text (here about a sister) does not make one loss recurrent.
    @Test func recurrentMiscarriageAsTextOnlyWarnsAndCountsNothing() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(.resource("Condition", [.primitive("id", "text-only"), .complex("code", [.primitive("text", "herhaalde miskramen bij zus")]), S.subject]))
        let out = try InProcess.apply(s)
        #expect(out.status == 0)
        #expect(out.resources("CarePlan").isEmpty)
        #expect(out.stderr.contains("recurrent miscarriage recorded as text only (\"herhaalde miskramen bij zus\")"), "\(out.stderr)")
        // With two coded losses the plan is made and the text-only record is a note to check.
        var two = S()
        two.add(.resource("Condition", [.primitive("id", "text-only"), .complex("code", [.primitive("text", "herhaalde miskramen bij zus")]), S.subject]))
        let plan = try InProcess.apply(two)
        #expect(plan.notes.contains { $0.contains("recorded as text only") && $0.contains("check") })
        #expect(plan.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.25")
    }

    /// guideline.md v2 plausibility: a deceased patient gets no plan; a birth date after the
    /// evaluation date or an age over 60 is a warning and the age is missing; a partial birth date
    /// gives the lower age when it does not settle it.
    @Test func deceasedPatientsAndImplausibleBirthDates() throws {
        for deceased in [Element.primitive("deceasedBoolean", "true", kind: .boolean), .primitive("deceasedDateTime", "2026-03-01")] {
            var s = S()
            s.patient.children.append(deceased)
            let out = try InProcess.apply(s)
            #expect(out.status == 0)
            #expect(out.bundle?.children("entry").isEmpty == true)
            #expect(out.stderr.contains("recorded as deceased"))
        }
        var alive = S(); alive.patient.children.append(.primitive("deceasedBoolean", "false", kind: .boolean))
        #expect(try InProcess.apply(alive).resources("CarePlan").count == 1)
        let future = try InProcess.apply(S(birthDate: "2030-01-01"))
        #expect(future.stderr.contains("birthDate 2030-01-01 is after the evaluation date"))
        // A birthDate that gives no age is not a missing one (helper-42's audit).
        #expect(future.notes.contains { $0.contains("Age is not known: Patient.birthDate gives no usable age") })
        let old = try InProcess.apply(S(birthDate: "1950-01-01"))
        #expect(old.stderr.contains("implausible") && old.notes.contains { $0.contains("Age is not known") })
        // 1993: 32 or 33 on 2026-11-02 → 32, with a warning; 1993-05: always 33.
        let year = try InProcess.apply(S(birthDate: "1993"))
        #expect(year.stderr.contains("does not settle the age: the lower age, 32, is used"))
        let month = try InProcess.apply(S(birthDate: "1993-05"))
        #expect(!month.stderr.contains("does not settle"))
        #expect(month.resources("RiskAssessment").first?.child("prediction")?.string("rationale")?.contains("She is 33 years old") == true)
    }

    /// guideline.md §5 (v2): the plan carries the card's source line and disclaimer, and its risk
    /// factors with the ones this record shows (or that it shows none).
    @Test func theCarePlanCarriesTheCardsSourceAndRiskFactors() throws {
        var s = S()
        s.add(S.tsh("6.0"))
        let plan = try #require(try InProcess.apply(s).resources("CarePlan").first)
        #expect(plan.string("description")?.contains("Aan deze samenvattingskaart kunnen geen rechten worden ontleend.") == true)
        let note = try #require(plan.children("note").compactMap { $0.string("text") }.first { $0.hasPrefix("Card, DD - Risicofactoren") })
        #expect(note.contains("± 50% is onverklaard (groot deel wel verklaard door aneuploidie)"))
        #expect(note.contains("This record shows: age 33; thyroid dysfunction (TSH high)."))
        let none = try #require(try InProcess.apply(S(birthDate: nil)).resources("CarePlan").first)
        #expect(none.children("note").contains { ($0.string("text") ?? "").hasSuffix("This record shows none of them.") })
    }

    @Test func recurrentMiscarriageConditionOrCountSaysMore() throws {
        var s = S(losses: [])
        s.add(S.condition("rm", S.sct, "102878001", onset: "2025-01-01"))
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").count == 1)
        var t = S(losses: ["2025-03-10"])
        t.add(S.observation("count", S.loinc, "11614-5", date: "2026-01-01", value: .primitive("valueInteger", "3", kind: .number)))
        let three = try InProcess.apply(t)
        #expect(three.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.35")
    }

    @Test func prognosisFigures() throws {
        let two = try InProcess.apply(S())
        #expect(two.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.25")
        let three = try InProcess.apply(S(losses: ["2024-01-10", "2025-03-10", "2026-01-22"]))
        #expect(three.resources("RiskAssessment").first?.child("prediction")?.string("probabilityDecimal") == "0.35")
        let four = try InProcess.apply(S(losses: ["2023-01-10", "2024-01-10", "2025-03-10", "2026-01-22"]))
        #expect(four.resources("RiskAssessment").isEmpty)
        #expect(four.notes.contains { $0.hasPrefix("RPL-PROGNOSIS") && $0.contains("no figure") && $0.contains("age") })
        // guideline.md v2: no "higher than" either; no percentage at all (the sources give none).
        #expect(!four.notes.contains { $0.hasPrefix("RPL-PROGNOSIS") && ($0.contains("higher than") || $0.contains("%")) })
        #expect(two.resources("RiskAssessment").first?.child("prediction")?.string("rationale")?.contains("33 years") == true)
    }

    @Test func missingBirthDateIsSaid() throws {
        let out = try InProcess.apply(S(birthDate: nil))
        #expect(out.notes.contains { $0.contains("Age is missing") })
    }

    /// RPL-TERM: never the rejected words, even when the input's displays use them.
    @Test func theRejectedTermIsNeverWritten() throws {
        var s = S(losses: [])
        s.add(.resource("Condition", [.primitive("id", "ha"), .complex("code", [S.coding(S.sct, "102878001", "Habitual aborter"), .primitive("text", "Habituele abortus")]), S.subject]))
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").count == 1)
        let text = String(decoding: out.stdout, as: UTF8.self).lowercased()
        for term in ["habitual abortion", "habitual aborter", "habituele abortus"] { #expect(!text.contains(term)) }
        #expect(out.fired.contains("RPL-HISTORY"))
    }
}
