import FHIR
import Foundation
import Testing
import TestSupport

@Suite(.serialized) struct PregnancyRuleTests {
    /// Pregnant with gestational age 10w0d on 2026-11-02 (dated that day), bleeding `bleedingDaysAgo` days before.
    func pregnant(losses: Int = 3, gestationalWeeks: String = "10", bleedingOn: String?) -> S {
        var s = S(losses: Array(["2023-01-10", "2024-01-10", "2025-03-10", "2026-01-22"].suffix(losses)))
        s.add(S.condition("preg", S.sct, "77386006", onset: "2026-08-24"))
        s.add(S.observation("ga", S.loinc, "49051-6", date: "2026-11-02", value: S.quantity(gestationalWeeks, "wk", code: "wk")))
        if let bleedingOn { s.add(S.condition("bleed", S.sct, "54048003", onset: bleedingOn)) }
        return s
    }

    @Test func progesteroneWithThreeLossesAndEarlyBleeding() throws {
        // GA 13w1d (92 days) today; bleeding 8 days ago was at 12w0d → until 16w0d (112 days) = 2026-11-02 + 20 days.
        let atLimit = try InProcess.apply(pregnant(gestationalWeeks: "13.142857", bleedingOn: "2026-10-25"))
        let med = try #require(atLimit.requests("progesterone-vaginal").first)
        #expect(med.child("dosageInstruction")?.child("timing")?.child("repeat")?.child("boundsPeriod")?.string("end") == "2026-11-22")
        #expect(med.child("dosageInstruction")?.child("doseAndRate")?.child("doseQuantity")?.string("value") == "400")
        // Bleeding a day later was at 12w1d: no.
        let late = try InProcess.apply(pregnant(gestationalWeeks: "13.142857", bleedingOn: "2026-10-26"))
        #expect(late.requests("progesterone-vaginal").isEmpty)
        // Two losses: no.
        #expect(try InProcess.apply(pregnant(losses: 2, bleedingOn: "2026-10-30")).requests("progesterone-vaginal").isEmpty)
        // No bleeding: no.
        #expect(!(try InProcess.apply(pregnant(bleedingOn: nil)).fired.contains("RPL-PROGESTERONE")))
    }

    /// guideline.md v2, "time ends states": a pregnancy is current only until a later record ends it.
    @Test func aLaterLossOrNotPregnantResultEndsThePregnancy() throws {
        // Pregnant since 2026-08-01, dated 2026-09-20 at 8 weeks, bleeding at 7 weeks; three earlier losses.
        func pregnancy(_ extra: [Element]) -> S {
            var s = S(losses: ["2023-01-10", "2024-01-10", "2025-03-10"])
            s.add(S.condition("preg", S.sct, "77386006", onset: "2026-08-01"))
            s.add(S.observation("ga", S.loinc, "49051-6", date: "2026-09-20", value: S.quantity("8", "wk", code: "wk")))
            s.add(S.condition("bleed", S.sct, "54048003", onset: "2026-09-13"))
            for e in extra { s.add(e) }
            return s
        }
        // Still pregnant: 14w1d today, bleeding at 7w0d → progesterone.
        #expect(try InProcess.apply(pregnancy([])).requests("progesterone-vaginal").count == 1)
        // A miscarriage three weeks ago ended it: no progesterone "until 16 weeks", no "this pregnancy".
        let lost = try InProcess.apply(pregnancy([S.condition("mc", S.sct, "17369002", onset: "2026-10-12")]))
        #expect(lost.requests("progesterone-vaginal").isEmpty)
        #expect(lost.stderr.contains("ends the pregnancy recorded up to 2026-09-20"))
        // A "not pregnant" result after the pregnancy evidence ends it too.
        let negative = S.observation("status", S.loinc, "82810-3", date: "2026-10-20", value: S.concept("valueCodeableConcept", S.sct, "60001007"))
        #expect(try InProcess.apply(pregnancy([negative])).requests("progesterone-vaginal").isEmpty)
        // One before the pregnancy evidence does not.
        let earlier = S.observation("status", S.loinc, "82810-3", date: "2026-07-01", value: S.concept("valueCodeableConcept", S.sct, "60001007"))
        #expect(try InProcess.apply(pregnancy([earlier])).requests("progesterone-vaginal").count == 1)
    }

    /// guideline.md v2: during a pregnancy the uterus is imaged after it (a plan activity, no
    /// order), and the texts say "this pregnancy", not "the next".
    @Test func duringAPregnancyTheImagingWaitsAndTheTextsSayThisPregnancy() throws {
        let out = try InProcess.apply(pregnant(bleedingOn: nil))
        #expect(out.requests("uterine-ultrasound").isEmpty)
        let plan = try #require(out.resources("CarePlan").first)
        let details = plan.children("activity").compactMap { $0.child("detail") }
        #expect(details.contains { $0.child("code")?.string("text")?.hasPrefix("After this pregnancy: transvaginal 3D ultrasound") == true })
        #expect(details.contains { $0.child("code")?.string("text") == "Supportive care with early viability ultrasounds in this pregnancy" })
        #expect(!details.contains { ($0.child("code")?.string("text") ?? "").contains("next pregnancy") })
        // Not pregnant: the order, and "the next pregnancy".
        let notPregnant = try InProcess.apply(S())
        #expect(notPregnant.requests("uterine-ultrasound").count == 1)
    }

    /// guideline.md v2: a gestational age projected past 42w6d means that pregnancy has ended.
    @Test func aPregnancyProjectedPast42Weeks6DaysHasEnded() throws {
        // 42w6d (300 days) today: still current; 43w0d: ended (the uterus order is then not deferred).
        let current = try InProcess.apply(pregnant(gestationalWeeks: "42.857142", bleedingOn: nil))
        #expect(!current.stderr.contains("not a current pregnancy"))
        let ended = try InProcess.apply(pregnant(gestationalWeeks: "43", bleedingOn: nil))
        #expect(ended.stderr.contains("not a current pregnancy"))
    }

    @Test func cervixFollowUpAfterASecondTrimesterLossWithSuspicion() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("second", S.sct, "85116003", onset: "2026-01-22"))
        s.add(S.condition("ci", S.sct, "17382005", onset: "2026-01-22", verification: "provisional"))
        let out = try InProcess.apply(s)
        #expect(out.requests("cervix-ultrasound-followup").count == 1)
        #expect(out.requests("cervix-ultrasound-followup").first?.child("note")?.string("text")?.contains("cerclage only in selected cases") == true)
        var firstTrimester = S()
        firstTrimester.add(S.condition("ci", S.sct, "17382005", onset: "2026-01-22"))
        #expect(!(try InProcess.apply(firstTrimester).fired.contains("RPL-CERVIX")))
        var refuted = S(losses: ["2025-03-10"])
        refuted.add(S.condition("second", S.sct, "85116003", onset: "2026-01-22"))
        refuted.add(S.condition("ci", S.sct, "17382005", onset: "2026-01-22", verification: "refuted"))
        #expect(!(try InProcess.apply(refuted).fired.contains("RPL-CERVIX")))
    }

    @Test func secondTrimesterByGestationalAgeEvidence() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.observation("ga-loss", S.loinc, "49051-6", date: "2026-01-22", value: S.quantity("12", "wk", code: "wk")))
        s.add(S.condition("mc", S.sct, "17369002", onset: "2026-01-22",
                          extra: [.complex("evidence", [.complex("detail", [.primitive("reference", "Observation/ga-loss")])])]))
        s.add(S.condition("ci", S.sct, "17382005", onset: "2026-01-22"))
        s.fullUrls = "server"
        #expect(try InProcess.apply(s).fired.contains("RPL-CERVIX"))
    }
}

/// guideline.md v2: a delivery ends a current pregnancy (time ends states).
@Suite(.serialized) struct PregnancyEndedByDeliveryTests {
    @Test func aLaterDeliveryEndsThePregnancy() throws {
        var s = S()
        s.add(S.condition("preg", S.sct, "77386006", onset: "2026-03-01"))
        let pregnant = try InProcess.apply(s)
        #expect(pregnant.requests("uterine-ultrasound").isEmpty)
        s.add(.resource("Procedure", [.primitive("id", "birth"), .primitive("status", "completed"), S.concept("code", S.icd10, "O82.0"),
                                      S.subject, .primitive("performedDateTime", "2026-10-20")]))
        let delivered = try InProcess.apply(s)
        #expect(delivered.requests("uterine-ultrasound").count == 1)
        #expect(delivered.stderr.contains("ends the pregnancy"), "\(delivered.stderr)")
    }
}
