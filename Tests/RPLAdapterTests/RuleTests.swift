import FHIR
import Foundation
import Testing
import TestSupport

typealias S = Scenario

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
        #expect(future.notes.contains { $0.contains("Age is missing") })
        let old = try InProcess.apply(S(birthDate: "1950-01-01"))
        #expect(old.stderr.contains("implausible") && old.notes.contains { $0.contains("Age is missing") })
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

@Suite(.serialized) struct ThyroidRuleTests {
    @Test func tshIsOrderedWithoutARecentResult() throws {
        #expect(try InProcess.apply(S()).activities.contains("thyroid-tsh"))
        var s = S(); s.add(S.tsh("2.1"))
        let out = try InProcess.apply(s)
        #expect(!out.fired.contains("RPL-TSH"))
        var old = S(); old.add(S.tsh("2.1", date: "2025-11-01"))  // 12 months and a day before: outside the window
        #expect(try InProcess.apply(old).fired.contains("RPL-TSH"))
        var inside = S(); inside.add(S.tsh("2.1", date: "2025-11-02"))  // exactly 12 months
        #expect(!(try InProcess.apply(inside).fired.contains("RPL-TSH")))
    }

    @Test func freeT4WhenTSHIsAbnormalBoundaryOnTheLimitIsNormal() throws {
        var onLimit = S(); onLimit.add(S.tsh("4.0", range: ("0.4", "4.0")))
        #expect(!(try InProcess.apply(onLimit).fired.contains("RPL-FT4")))
        var above = S(); above.add(S.tsh("4.01", range: ("0.4", "4.0")))
        #expect(try InProcess.apply(above).fired.contains("RPL-FT4"))
        var low = S(); low.add(S.tsh("0.39", range: ("0.4", "4.0")))
        #expect(try InProcess.apply(low).fired.contains("RPL-FT4"))
        var lowLimit = S(); lowLimit.add(S.tsh("0.4", range: ("0.4", "4.0")))
        #expect(!(try InProcess.apply(lowLimit).fired.contains("RPL-FT4")))
        // Default range without the result's own: 4.6 is high.
        var def = S(); def.add(S.tsh("4.6"))
        #expect(try InProcess.apply(def).fired.contains("RPL-FT4"))
        // Interpretation H without a range.
        var interp = S(); interp.add(S.tsh("3.0", interpretation: "H"))
        #expect(try InProcess.apply(interp).fired.contains("RPL-FT4"))
        // A free T4 on the same day answers it.
        var answered = S(); answered.add(S.tsh("4.6", date: "2026-10-20")); answered.add(S.freeT4("15", date: "2026-10-20"))
        #expect(!(try InProcess.apply(answered).fired.contains("RPL-FT4")))
        // A free T4 before the TSH does not.
        var before = S(); before.add(S.tsh("4.6", date: "2026-10-20")); before.add(S.freeT4("15", date: "2026-10-19"))
        #expect(try InProcess.apply(before).fired.contains("RPL-FT4"))
    }

    @Test func unitsAreConverted() throws {
        // TSH 4600 µIU/L? No: µIU/mL equals mU/L. 4.6 µIU/mL is high, 0.0046 mIU/mL is 4.6 mU/L.
        var micro = S(); micro.add(S.tsh("4.6", unit: "µIU/mL"))
        #expect(try InProcess.apply(micro).fired.contains("RPL-FT4"))
        var ucum = S(); ucum.add(S.observation("tsh", S.loinc, "3016-3", date: "2026-10-20", value: S.quantity("3.9", "mIU/L", code: "m[IU]/L")))
        #expect(!(try InProcess.apply(ucum).fired.contains("RPL-FT4")))
        // Free T4 0.7 ng/dL = 9.0 pmol/L: low → overt hypothyroidism with a high TSH.
        var ngdl = S(); ngdl.add(S.tsh("6.0")); ngdl.add(S.freeT4("0.7", unit: "ng/dL", code: "3024-7"))
        #expect(try InProcess.apply(ngdl).fired.contains("RPL-LEVOTHYROXINE"))
        // 0.8 ng/dL = 10.3 pmol/L: normal → subclinical.
        var ngdl2 = S(); ngdl2.add(S.tsh("6.0")); ngdl2.add(S.freeT4("0.8", unit: "ng/dL", code: "3024-7"))
        let sub = try InProcess.apply(ngdl2)
        #expect(sub.fired.contains("RPL-SUBCLINICAL") && !sub.fired.contains("RPL-LEVOTHYROXINE"))
    }

    @Test func unusableTSHIsWarnedAndTreatedAsMissing() throws {
        var noUnit = S(); noUnit.add(S.tsh("4.6", unit: nil))
        let out = try InProcess.apply(noUnit)
        #expect(out.stderr.contains("TSH has no unit; treated as missing"))
        #expect(out.notes.contains { $0.contains("TSH has no unit") })
        #expect(out.fired.contains("RPL-TSH"))
        var unknown = S(); unknown.add(S.tsh("4.6", unit: "furlongs"))
        #expect(try InProcess.apply(unknown).stderr.contains("unknown unit furlongs"))
        var future = S(); future.add(S.tsh("4.6", date: "2026-12-01"))
        let f = try InProcess.apply(future)
        #expect(f.stderr.contains("after the evaluation date"))
        #expect(f.fired.contains("RPL-TSH"))
    }

    /// guideline.md v2: what the input already requests is not ordered again.
    @Test func anOpenTSHRequestIsNotOrderedAgain() throws {
        var s = S()
        s.add(S.serviceRequest("tsh-req", S.loinc, "3016-3", extra: [.primitive("authoredOn", "2026-10-28")]))
        let out = try InProcess.apply(s)
        #expect(out.requests("thyroid-tsh").isEmpty)
        #expect(out.notes.contains { $0.hasPrefix("RPL-TSH") && $0.contains("Already requested on 2026-10-28: not ordered again") })
        // A completed or revoked request is not open: ordered.
        var done = S()
        done.add(S.serviceRequest("tsh-req", S.loinc, "3016-3", status: "revoked"))
        #expect(try InProcess.apply(done).requests("thyroid-tsh").count == 1)
        // One open antiphospholipid test: the other four are still ordered.
        var apl = S()
        apl.add(S.serviceRequest("acl", S.loinc, "3181-5"))
        let tests = try InProcess.apply(apl)
        #expect(tests.requests("apl-testing").count == 4)
    }

    @Test func levothyroxineForOvertHypothyroidismOrACondition() throws {
        var overt = S(); overt.add(S.tsh("8.0")); overt.add(S.freeT4("8"))
        let out = try InProcess.apply(overt)
        #expect(out.fired.contains("RPL-LEVOTHYROXINE"))
        let med = try #require(out.requests("levothyroxine").first)
        #expect(med.string("intent") == "proposal")
        // guideline.md v2: a recorded hypothyroidism with no levothyroxine on record is a note to
        // check the medication list, not a proposal (the results decide); with levothyroxine on record, nothing.
        var condition = S(); condition.add(S.tsh("2.0")); condition.add(S.condition("hypo", S.sct, "40930008", onset: "2020-01-01"))
        let recorded = try InProcess.apply(condition)
        #expect(recorded.requests("levothyroxine").isEmpty)
        #expect(recorded.notes.contains { $0.hasPrefix("RPL-LEVOTHYROXINE") && $0.contains("no levothyroxine on record: check the medication list") })
        condition.add(.resource("MedicationStatement", [.primitive("id", "ms-old"), .primitive("status", "completed"),
                                                        S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject]))
        #expect(!(try InProcess.apply(condition).fired.contains("RPL-LEVOTHYROXINE")))
        var already = S(); already.add(S.tsh("8.0")); already.add(S.freeT4("8"))
        already.add(.resource("MedicationStatement", [.primitive("id", "ms"), .primitive("status", "active"),
                                                      S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject]))
        // guideline.md v3: already taken, not proposed again: a note says so.
        let taken = try InProcess.apply(already)
        #expect(taken.requests("levothyroxine").isEmpty)
        #expect(taken.notes.contains { $0.hasPrefix("RPL-LEVOTHYROXINE") && $0.contains("already taken") })
        var normal = S(); normal.add(S.tsh("8.0")); normal.add(S.freeT4("15"))
        #expect(!(try InProcess.apply(normal).fired.contains("RPL-LEVOTHYROXINE")))
    }

    /// guideline.md v2 NR-LEVOTHYROXINE-EUTHYROID: flagged only where euthyroidism is shown.
    @Test func levothyroxineIsFlaggedOnlyWhenEuthyroidismIsShown() throws {
        let request = S.medicationRequest("levo-new", S.atc, "H03AA01")
        func flags(_ extra: [Element]) throws -> (Set<String>, [String]) {
            var s = S()
            for e in extra { s.add(e) }
            s.add(request)
            let out = try InProcess.apply(s)
            return (out.flags, out.notes)
        }
        // Normal TSH, nothing else: euthyroid → flagged.
        #expect(try flags([S.tsh("2.0")]).0 == ["NR-LEVOTHYROXINE-EUTHYROID"])
        // No thyroid data at all: unknown, not flagged, and said.
        let unknown = try flags([])
        #expect(unknown.0.isEmpty)
        #expect(unknown.1.contains { $0.contains("euthyroid status is unknown until the TSH ordered by RPL-TSH is back") })
        // Levothyroxine for years, a normal TSH on it: treated hypothyroidism, not flagged.
        let years = Element.resource("MedicationStatement", [.primitive("id", "ms"), .primitive("status", "active"),
                                                             S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject,
                                                             .primitive("effectiveDateTime", "2019-03-01")])
        let treated = try flags([S.tsh("2.0"), years])
        #expect(treated.0.isEmpty)
        #expect(treated.1.contains { $0.contains("treated hypothyroidism, not euthyroidism") })
        // Levothyroxine started after the normal TSH: that TSH was not on treatment → flagged.
        let later = Element.resource("MedicationStatement", [.primitive("id", "ms"), .primitive("status", "active"),
                                                             S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject,
                                                             .primitive("effectiveDateTime", "2026-10-25")])
        #expect(try flags([S.tsh("2.0"), later]).0 == ["NR-LEVOTHYROXINE-EUTHYROID"])
        // Thyroid antibodies alone (euthyroid with thyroid antibodies, 237526003) are not hypothyroidism:
        // with a normal TSH the card's "Bij euthyreoïdie behandelen met levothyroxine" → flagged.
        #expect(try flags([S.tsh("2.0"), S.condition("tpo", S.sct, "237526003", onset: "2024-01-01")]).0 == ["NR-LEVOTHYROXINE-EUTHYROID"])
        // Hashimoto with a normal TSH, coded in SNOMED (21983002) or ICD-10 (E06.3): the same.
        #expect(try flags([S.tsh("2.0"), S.condition("hashimoto", S.sct, "21983002", onset: "2024-01-01")]).0 == ["NR-LEVOTHYROXINE-EUTHYROID"])
        #expect(try flags([S.tsh("2.0"), S.condition("hashimoto", S.icd10, "E06.3", onset: "2024-01-01")]).0 == ["NR-LEVOTHYROXINE-EUTHYROID"])
        // An ICD-10 hypothyroidism (E03.9, E89.0 after a thyroidectomy) is not euthyroidism.
        #expect(try flags([S.tsh("2.0"), S.condition("hypo", S.icd10, "E03.9", onset: "2024-01-01")]).0.isEmpty)
        #expect(try flags([S.tsh("2.0"), S.condition("post", S.icd10, "E89.0", onset: "2024-01-01")]).0.isEmpty)
    }

    @Test func subclinicalIsADiscussionNotAProposal() throws {
        var s = S(); s.add(S.tsh("6.0")); s.add(S.freeT4("15"))
        let out = try InProcess.apply(s)
        #expect(out.fired.contains("RPL-SUBCLINICAL"))
        #expect(out.requests("levothyroxine").isEmpty)
        var normal = S(); normal.add(S.tsh("3.0")); normal.add(S.freeT4("15"))
        #expect(!(try InProcess.apply(normal).fired.contains("RPL-SUBCLINICAL")))
    }
}

@Suite(.serialized) struct AntiphospholipidRuleTests {
    @Test func eachMissingTestIsOrderedUnderOneRequisition() throws {
        let out = try InProcess.apply(S())
        let orders = out.requests("apl-testing")
        #expect(orders.count == 5)
        #expect(Set(orders.compactMap { $0.child("requisition")?.string("value") }).count == 1)
        #expect(Set(orders.flatMap { $0.all("code.coding").compactMap { $0.string("code") } }).isSuperset(of: ["75515-7", "3181-5", "3182-3", "44448-9", "44449-7"]))
        var s = S(); for r in S.allAPLNegative() { s.add(r) }
        #expect(!(try InProcess.apply(s).fired.contains("RPL-APL")))
        var four = S(); for r in S.allAPLNegative().dropFirst() { four.add(r) }
        let one = try InProcess.apply(four)
        #expect(one.requests("apl-testing").count == 1)
    }

    func scenario(first: String, second: String?, secondPositive: Bool) -> S {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "aclg-neg" }) { s.add(r) }
        s.add(S.apl("aclg-1", "3181-5", date: first, positive: true))
        if let second { s.add(S.apl("aclg-2", "3181-5", date: second, positive: secondPositive)) }
        return s
    }

    @Test func repeatAfter84DaysBoundary() throws {
        // A single positive: repeat, not before positive + 84 days.
        let single = try InProcess.apply(scenario(first: "2026-09-01", second: nil, secondPositive: false))
        let order = try #require(single.requests("apl-repeat").first)
        #expect(order.child("occurrencePeriod")?.string("start") == "2026-11-24")
        // Repeat done 83 days later: too early, still to repeat.
        let early = try InProcess.apply(scenario(first: "2026-06-01", second: "2026-08-23", secondPositive: true))
        #expect(early.fired.contains("RPL-APL-REPEAT"))
        #expect(!early.fired.contains("RPL-APL-TREAT"))
        // 84 days later and positive: persistent → treatment, no repeat.
        let persistent = try InProcess.apply(scenario(first: "2026-06-01", second: "2026-08-24", secondPositive: true))
        #expect(!persistent.fired.contains("RPL-APL-REPEAT"))
        #expect(persistent.requests("aspirin-low-dose").count == 1 && persistent.requests("lmwh").count == 1)
        // 84 days later and negative: transient → no treatment, said.
        let transient = try InProcess.apply(scenario(first: "2026-06-01", second: "2026-08-24", secondPositive: false))
        #expect(!transient.fired.contains("RPL-APL-REPEAT"))
        #expect(transient.requests("aspirin-low-dose").isEmpty)
        #expect(transient.notes.contains { $0.hasPrefix("RPL-APL-TREAT") && $0.contains("transient") })
        // Old positive: the repeat date is the evaluation date.
        let old = try InProcess.apply(scenario(first: "2026-01-05", second: nil, secondPositive: false))
        #expect(old.requests("apl-repeat").first?.child("occurrencePeriod")?.string("start") == "2026-11-02")
    }

    /// guideline.md v2: the repeat is timed from the first positive of the current run of
    /// positives (the positives since the last negative), not from the latest positive.
    @Test func repeatIsTimedFromTheFirstPositiveOfTheCurrentRun() throws {
        // Positives 83 days apart: due 2026-06-01 + 84 days = 2026-08-24, so the evaluation date;
        // timed from the latest positive it would be 2026-11-15, weeks too late.
        let two = try InProcess.apply(scenario(first: "2026-06-01", second: "2026-08-23", secondPositive: true))
        let order = try #require(two.requests("apl-repeat").first)
        #expect(order.child("occurrencePeriod")?.string("start") == "2026-11-02")
        #expect(order.child("note")?.string("text")?.contains("positive on 2026-06-01") == true)
        // A negative ends a run: positive 07-01, negative 08-01, then positives on 09-01 and 09-20
        // (no two positives 84 days apart) → from 09-01, not 07-01 and not 09-20.
        var s = scenario(first: "2026-07-01", second: "2026-08-01", secondPositive: false)
        s.add(S.apl("aclg-3", "3181-5", date: "2026-09-01", positive: true))
        s.add(S.apl("aclg-4", "3181-5", date: "2026-09-20", positive: true))
        let rerun = try InProcess.apply(s)
        let again = try #require(rerun.requests("apl-repeat").first)
        #expect(again.child("occurrencePeriod")?.string("start") == "2026-11-24")  // 2026-09-01 + 84 days
        // The newest result negative: no current run, nothing to repeat.
        var ended = scenario(first: "2026-09-01", second: nil, secondPositive: false)
        ended.add(S.apl("aclg-neg-late", "3181-5", date: "2026-10-15", positive: false))
        #expect(try InProcess.apply(ended).requests("apl-repeat").isEmpty)
    }

    /// guideline.md v2 `apsDiagnosed`: a confirmed antiphospholipid syndrome stands for confirmed
    /// persistence: no antibody tests again, aspirin and LMWH proposed, her heparin not flagged.
    @Test func aKnownAntiphospholipidSyndrome() throws {
        func aps(verification: String = "confirmed", code: String = "26843008", system: String = S.sct, extra: [Element] = []) -> S {
            var s = S()
            s.add(S.condition("aps", system, code, onset: "2020-04-01", verification: verification))
            for e in extra { s.add(e) }
            return s
        }
        let known = try InProcess.apply(aps())
        #expect(known.requests("apl-testing").isEmpty && known.requests("apl-repeat").isEmpty)
        #expect(known.requests("aspirin-low-dose").count == 1 && known.requests("lmwh").count == 1)
        let aspirin = try #require(known.requests("aspirin-low-dose").first?.child("note")?.string("text"))
        #expect(aspirin.contains("from before conception") && aspirin.contains("from a positive pregnancy test"))
        #expect(aspirin.contains("ESHRE advises this for 3 or more losses"))  // 2 losses
        // Her nadroparin is an APS treatment, not "LMWH for a thrombophilia factor"; not proposed again.
        let nadroparin = S.medicationRequest("nadro", S.atc, "B01AB06")
        let treated = try InProcess.apply(aps(extra: [nadroparin]))
        #expect(treated.flags.isEmpty)
        #expect(treated.requests("lmwh").isEmpty && treated.requests("aspirin-low-dose").count == 1)
        #expect(treated.notes.contains { $0.hasPrefix("RPL-APL-TREAT") && $0.contains("already taken or requested") })
        // Provisional, or only the non-specific ICD-10 D68.6: a warning, and the tests are ordered.
        let provisional = try InProcess.apply(aps(verification: "provisional"))
        #expect(provisional.requests("apl-testing").count == 5 && provisional.requests("lmwh").isEmpty)
        #expect(provisional.stderr.contains("antiphospholipid syndrome is not confirmed"))
        let nonspecific = try InProcess.apply(aps(code: "D68.6", system: "http://hl7.org/fhir/sid/icd-10"))
        #expect(nonspecific.requests("apl-testing").count == 5)
        #expect(nonspecific.stderr.contains("is not specific for antiphospholipid syndrome"))
    }

    /// guideline.md v2: anti-β2GPI has no default limit: a level with no range or interpretation
    /// is done for RPL-APL, neither positive nor negative, and the lab must interpret it.
    @Test func antiB2GPIHasNoDefaultLimit() throws {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "b2g-neg" }) { s.add(r) }
        s.add(S.observation("b2g", S.loinc, "44448-9", date: "2026-09-01", value: S.quantity("55", "U/mL")))
        let out = try InProcess.apply(s)
        #expect(out.requests("apl-testing").isEmpty)  // done
        #expect(out.requests("apl-repeat").isEmpty)   // not positive
        #expect(out.notes.contains { $0.hasPrefix("RPL-APL") && $0.contains("the lab's interpretation is needed") })
        // With the lab's range it is read as before.
        var ranged = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "b2g-neg" }) { ranged.add(r) }
        ranged.add(S.observation("b2g", S.loinc, "44448-9", date: "2026-09-01", value: S.quantity("55", "U/mL"), range: (nil, "20")))
        #expect(try InProcess.apply(ranged).requests("apl-repeat").count == 1)
        // Anticardiolipin keeps its default of 40 units.
        var acl = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "aclg-neg" }) { acl.add(r) }
        acl.add(S.observation("aclg", S.loinc, "3181-5", date: "2026-09-01", value: S.quantity("55", "[GPL'U]")))
        #expect(try InProcess.apply(acl).requests("apl-repeat").count == 1)
    }

    @Test func laFromRatioAndQuantityAgainstDefaults() throws {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "la-neg" && $0.string("id") != "aclm-neg" }) { s.add(r) }
        s.add(S.observation("drvvt", S.loinc, "50410-0", date: "2026-09-01", value: S.quantity("1.3", "{ratio}")))
        s.add(S.observation("aclm", S.loinc, "3182-3", date: "2026-09-01", value: S.quantity("40", "[MPL'U]/mL")))
        let out = try InProcess.apply(s)
        let repeats = out.requests("apl-repeat")
        #expect(repeats.count == 1)  // LA ratio 1.3 > 1.2; aCL IgM 40 is not above 40
        #expect(repeats.first?.all("code.coding").contains { $0.string("code") == "75515-7" } == true)
    }
}

@Suite(.serialized) struct GeneticsRuleTests {
    func family(_ relationship: String = "SIS") -> Element {
        .resource("FamilyMemberHistory", [
            .primitive("id", "fmh"), .primitive("status", "completed"), .complex("patient", [.primitive("reference", "PATIENT")]),
            S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", relationship),
            .complex("condition", [S.concept("code", S.sct, "102878001")]),
        ])
    }

    @Test func karyotypingOnlyWithAllRiskFactors() throws {
        let threeLosses = ["2024-01-10", "2025-03-10", "2026-01-22"]
        // Age 34 at 2026-11-02 (born 1991-11-03), 3 losses, sister with RPL: karyotyping.
        var yes = S(birthDate: "1991-11-03", losses: threeLosses); yes.add(family())
        #expect(try InProcess.apply(yes).requests("parental-karyotyping").count == 1)
        // Age 35 (born 1991-11-02): no.
        var age35 = S(birthDate: "1991-11-02", losses: threeLosses); age35.add(family())
        #expect(!(try InProcess.apply(age35).fired.contains("RPL-KARYOTYPE")))
        // 2 losses: no.
        var two = S(birthDate: "1991-11-03"); two.add(family())
        #expect(!(try InProcess.apply(two).fired.contains("RPL-KARYOTYPE")))
        // No family history: no. Mother-in-law: yes.
        #expect(!(try InProcess.apply(S(birthDate: "1991-11-03", losses: threeLosses)).fired.contains("RPL-KARYOTYPE")))
        var inLaw = S(birthDate: "1991-11-03", losses: threeLosses); inLaw.add(family("MTHINLAW"))
        #expect(try InProcess.apply(inLaw).fired.contains("RPL-KARYOTYPE"))
        // A cousin does not count.
        var cousin = S(birthDate: "1991-11-03", losses: threeLosses); cousin.add(family("COUSN"))
        #expect(!(try InProcess.apply(cousin).fired.contains("RPL-KARYOTYPE")))
    }

    @Test func counsellingAfterAnAbnormalParentalKaryotype() throws {
        var s = S()
        s.add(S.observation("kt", S.loinc, "29770-5", date: "2026-05-01", value: .primitive("valueString", "46,XX,t(11;22)(q23;q11)"), interpretation: "A"))
        #expect(try InProcess.apply(s).requests("genetic-counseling").count == 1)
        var normal = S()
        normal.add(S.observation("kt", S.loinc, "29770-5", date: "2026-05-01", value: .primitive("valueString", "46,XX"), interpretation: "N"))
        #expect(!(try InProcess.apply(normal).fired.contains("RPL-GENETIC-COUNSELING")))
    }

    /// guideline.md v2: a parental karyotype sent as ISCN text is read: anything but 46,XX / 46,XY
    /// (cell counts allowed, common heteromorphisms a note) is abnormal; interpretation N wins; free
    /// text that is not ISCN only warns.
    @Test func iscnKaryotypesAreRead() throws {
        func karyotype(_ text: String, interpretation: String? = nil) throws -> Outcome {
            var s = S()
            s.add(S.observation("kt", S.loinc, "29770-5", date: "2026-05-01", value: .primitive("valueString", text), interpretation: interpretation))
            return try InProcess.apply(s)
        }
        for abnormal in ["46,XX,t(11;22)(q23;q11.2)", "45,XX,rob(13;14)(q10;q10)", "47,XXY", "46,XX[15]/47,XX,+21[5]", "46, XY, inv(2)(p11q13)"] {
            #expect(try karyotype(abnormal).requests("genetic-counseling").count == 1, "\(abnormal)")
        }
        for normal in ["46,XX", "46,XY[20]", "46,XX [30]"] {
            let out = try karyotype(normal)
            #expect(!out.fired.contains("RPL-GENETIC-COUNSELING"), "\(normal)")
            #expect(!out.stderr.contains("text only"), "\(normal)")
        }
        let variant = try karyotype("46,XY,inv(9)(p12q13)[20]")
        #expect(variant.requests("genetic-counseling").isEmpty)
        #expect(variant.notes.contains { $0.hasPrefix("RPL-GENETIC-COUNSELING") && $0.contains("heteromorphism") })
        #expect(try karyotype("46,XX,9qh+").requests("genetic-counseling").isEmpty)
        // The lab's N wins over the text; free text is not read as a karyotype.
        #expect(try karyotype("46,XX,t(11;22)(q23;q11.2)", interpretation: "N").requests("genetic-counseling").isEmpty)
        let free = try karyotype("normaal vrouwelijk karyotype")
        #expect(free.requests("genetic-counseling").isEmpty)
        #expect(free.stderr.contains("a karyotype recorded as text only"))
    }

    @Test func aTissueKaryotypeWithoutATranslocationIsNoReferral() throws {
        func tissue(_ text: String) throws -> Outcome {
            var s = S()
            s.add(.resource("Specimen", [.primitive("id", "poc"), S.concept("type", S.sct, "440473005")]))
            s.add(S.observation("kt", S.loinc, "29770-5", date: "2026-05-01", value: .primitive("valueString", text),
                                extra: [.complex("specimen", [.primitive("reference", "Specimen/poc")])]))
            return try InProcess.apply(s)
        }
        #expect(try tissue("45,XX,rob(13;21)(q10;q10)").fired.contains("RPL-CLINICAL-GENETICS"))
        #expect(!(try tissue("47,XX,+16").fired.contains("RPL-CLINICAL-GENETICS")))  // a trisomy, not a translocation
        let noneFound = try tissue("no translocation found")
        #expect(!noneFound.fired.contains("RPL-CLINICAL-GENETICS"))
        #expect(noneFound.stderr.contains("text only"))
    }

    @Test func clinicalGeneticsForFamilyAnomaliesOrTissueTranslocation() throws {
        var s = S()
        s.add(.resource("FamilyMemberHistory", [
            .primitive("id", "fmh"), .primitive("status", "completed"), .complex("patient", [.primitive("reference", "PATIENT")]),
            S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "BRO"),
            .complex("condition", [.complex("code", [.primitive("text", "gebalanceerde translocatie")])]),
        ]))
        #expect(try InProcess.apply(s).requests("clinical-genetics-referral").count == 1)
        var tissue = S()
        tissue.add(.resource("Specimen", [.primitive("id", "poc"), S.concept("type", S.sct, "440473005")]))
        tissue.add(S.observation("kt", S.loinc, "29770-5", date: "2026-05-01", value: .primitive("valueString", "47,XX,+der(22)t(11;22)"),
                                 extra: [.complex("specimen", [.primitive("reference", "Specimen/poc")])]))
        let out = try InProcess.apply(tissue)
        #expect(out.fired.contains("RPL-CLINICAL-GENETICS"))
        #expect(!out.fired.contains("RPL-GENETIC-COUNSELING"))
        #expect(!(try InProcess.apply(S()).fired.contains("RPL-CLINICAL-GENETICS")))
    }
}

@Suite(.serialized) struct UterusLifestyleRuleTests {
    /// guideline.md v2 (card: "man en vrouw"): the partner's smoking and alcohol misuse count, named as his.
    @Test func thePartnersSmokingAndAlcohol() throws {
        var s = S()
        // guideline.md v3: the partner is a RelatedPerson coded as one (HUSB).
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB"),
                                          .primitive("gender", "male")]))
        let partner = Element.complex("subject", [.primitive("reference", "RelatedPerson/partner")])
        s.add(.resource("Observation", [.primitive("id", "smoke"), .primitive("status", "final"), S.concept("code", S.loinc, "72166-2"),
                                        partner, .primitive("effectiveDateTime", "2026-09-01"),
                                        S.concept("valueCodeableConcept", S.sct, "77176002")]))
        s.add(.resource("Condition", [.primitive("id", "alcohol"), S.concept("code", S.sct, "7200002"), partner]))
        s.fullUrls = "server"
        let out = try InProcess.apply(s)
        let order = try #require(out.requests("lifestyle-counseling").first?.child("note")?.string("text"))
        #expect(order.contains("partner smokes"))
        #expect(order.contains("partner: "), "\(order)")
    }

    @Test func uterineUltrasoundUnlessDone() throws {
        #expect(try InProcess.apply(S()).requests("uterine-ultrasound").count == 1)
        var done = S()
        done.add(.resource("DiagnosticReport", [.primitive("id", "tve"), .primitive("status", "final"),
                                                S.concept("code", "http://rpl-adapter.org/fhir/CodeSystem/rpl-activity", "uterine-ultrasound"), S.subject]))
        #expect(!(try InProcess.apply(done).fired.contains("RPL-UTERUS")))
    }

    @Test func urogenitalImagingWithAUterineMalformation() throws {
        var s = S(); s.add(S.condition("septum", S.sct, "37849005", onset: "2020-01-01"))
        #expect(try InProcess.apply(s).requests("urinary-tract-imaging").count == 1)
        #expect(!(try InProcess.apply(S()).fired.contains("RPL-UROGENITAL")))
    }

    @Test func lifestyleReferralNamesTheRisks() throws {
        var s = S()
        s.add(S.observation("smoke", S.loinc, "72166-2", date: "2026-09-01", value: S.concept("valueCodeableConcept", S.sct, "77176002")))
        s.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("30", "kg/m2", code: "kg/m2")))
        let out = try InProcess.apply(s)
        let note = try #require(out.requests("lifestyle-counseling").first?.child("note")?.string("text"))
        #expect(note.contains("smokes") && note.contains("BMI 30"))
        var ok = S(); ok.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("29.9", "kg/m2")))
        #expect(!(try InProcess.apply(ok).fired.contains("RPL-LIFESTYLE")))
        var thin = S(); thin.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("18.4", "kg/m2")))
        #expect(try InProcess.apply(thin).fired.contains("RPL-LIFESTYLE"))
        var lowLimit = S(); lowLimit.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("18.5", "kg/m2")))
        #expect(!(try InProcess.apply(lowLimit).fired.contains("RPL-LIFESTYLE")))
    }
}

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

@Suite(.serialized) struct NotRecommendedRuleTests {
    func flagged(_ request: Element, in scenario: S = S()) throws -> Outcome {
        var s = scenario
        s.add(request)
        return try InProcess.apply(s)
    }

    @Test(arguments: [
        ("NR-TISSUE-GENETICS", S.serviceRequest("sr", S.sct, "312948004")),
        ("NR-KARYOTYPE", S.serviceRequest("sr", S.sct, "444309000")),
        ("NR-THROMBOPHILIA", S.serviceRequest("sr", nil, nil, text: "Factor V Leiden mutatie")),
        ("NR-IMMUNOLOGY", S.serviceRequest("sr", nil, nil, text: "NK-cel activiteit")),
        ("NR-HORMONES", S.serviceRequest("sr", nil, nil, text: "Hormoonprofiel")),
        ("NR-PROLACTIN", S.serviceRequest("sr", S.loinc, "2842-3")),
        ("NR-OVARIAN-ENDOCRINE", S.serviceRequest("sr", S.loinc, "62292-8")),
        ("NR-HOMOCYSTEINE", S.serviceRequest("sr", nil, nil, text: "Homocysteïne")),
        ("NR-LEVOTHYROXINE-EUTHYROID", S.medicationRequest("mr", S.atc, "H03AA01")),
        ("NR-LMWH-THROMBOPHILIA", S.medicationRequest("mr", nil, nil, text: "Fraxiparine 2850 IE")),
        ("NR-UTERINE-SURGERY", S.serviceRequest("sr", nil, nil, text: "Hysteroscopische septumresectie")),
        ("NR-POLYP-MYOMA-ADHESION", S.serviceRequest("sr", nil, nil, text: "Adhesiolyse")),
        ("NR-SCRATCHING", S.serviceRequest("sr", nil, nil, text: "Endometrium scratching")),
        ("NR-SPERM-SELECTION", S.serviceRequest("sr", nil, nil, text: "IMSI")),
        ("NR-DRUGS", S.medicationRequest("mr", S.atc, "A10BA02")),
        ("NR-PREDNISONE", S.medicationRequest("mr", S.atc, "H02AB07")),
    ])
    func eachLineFlagsItsRequest(rule: String, request: Element) throws {
        // Levothyroxine is "treatment of euthyroidism" only where euthyroidism is shown (v2): a normal
        // TSH. LMWH is "for a thrombophilia factor" only with one recorded (v2): factor V Leiden, D68.5.
        var context = S()
        if rule == "NR-LEVOTHYROXINE-EUTHYROID" { context.add(S.tsh("2.0")) }
        if rule == "NR-LMWH-THROMBOPHILIA" { context.add(S.condition("fvl", S.icd10, "D68.51", onset: "2019-01-01")) }
        let out = try flagged(request, in: context)
        #expect(out.flags == [rule], "\(out.flags)")
        let issue = try #require(out.resources("DetectedIssue").first)
        #expect(issue.string("severity") == "moderate")
        #expect(issue.child("implicated") != nil)
        #expect(issue.string("detail")?.contains("NIET AANBEVOLEN") == true)
    }

    /// guideline.md v2: drugs are matched by ATC group, and each look-alike is left alone.
    @Test(arguments: [
        ("H02AB04", "NR-DRUGS"),     // methylprednisolone: a systemic glucocorticoid
        ("G03DB01", "NR-DRUGS"),     // dydrogesterone: a progestogen
        ("G03GA05", "NR-DRUGS"),     // follitropin alfa: ovulation induction
        ("G03GA01", "NR-DRUGS"),     // hCG
        ("J06BA02", "NR-DRUGS"),     // normal human immunoglobulin (IvIg)
        ("L03AA13", "NR-DRUGS"),     // pegfilgrastim (G-CSF)
        ("B01AB06", "NR-DRUGS"),     // nadroparin with no thrombophilia recorded: the card's "Heparine" (v2)
        ("H02AB07", "NR-PREDNISONE"),
        ("J06BB01", ""),             // anti-D immunoglobulin: a specific immunoglobulin, not IvIg
        ("R03BA02", ""),             // budesonide, inhaled
        ("D07AC01", ""),             // betamethasone on the skin
        ("H02AA02", ""),             // fludrocortisone, a mineralocorticoid
        ("R01AD05", ""),             // budesonide, nasal
    ])
    func drugsByATCGroup(code: String, rule: String) throws {
        let out = try flagged(S.medicationRequest("mr", S.atc, code))
        let expected: Set<String> = rule.isEmpty ? [] : [rule]
        #expect(out.flags == expected, "\(code): \(out.flags)")
    }

    @Test func antithrombinIsNoHeparinAndCodedRequestsAreNotReadAsText() throws {
        // B01AB02 antithrombin III sits under B01AB but is no heparin: neither heparin line flags it.
        #expect(try flagged(S.medicationRequest("mr", S.atc, "B01AB02")).flags.isEmpty)
        // A coded request is judged by its code only: anti-D with the text "immunoglobuline".
        #expect(try flagged(S.medicationRequest("mr", S.atc, "J06BB01", text: "Rhesus(D) immunoglobuline")).flags.isEmpty)
        // Keywords are whole words: "protein c" is not in "protein creatinine", "ana" not in "banana".
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Urine protein creatinine ratio")).flags.isEmpty)
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Banana allergy panel")).flags.isEmpty)
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Protein C activiteit")).flags == ["NR-THROMBOPHILIA"])
        // A stem (cytokine*) still takes its plural.
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Cytokines profiel")).flags == ["NR-IMMUNOLOGY"])
    }

    @Test func nothingIsFlaggedThatIsNotInTheInput() throws {
        #expect(try InProcess.apply(S()).flags.isEmpty)
        // A completed or revoked request is not an open request.
        #expect(try flagged(S.serviceRequest("sr", S.loinc, "2842-3", status: "completed")).flags.isEmpty)
        // Nor one the card does not mention.
        #expect(try flagged(S.serviceRequest("sr", S.loinc, "3016-3")).flags.isEmpty)
        // "ANA" matches as a word, not inside "banana".
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "banana split")).flags.isEmpty)
    }

    @Test func keywordMatchesAreSaid() throws {
        let out = try flagged(S.serviceRequest("sr", nil, nil, text: "Prolactine"))
        #expect(out.resources("DetectedIssue").first?.string("detail")?.contains("recognised by keyword") == true)
    }

    @Test func exceptionsHold() throws {
        // NR-TISSUE-GENETICS: structural anomalies of the most recent loss (within 8 weeks), here
        // named in text dated in that pregnancy (text may hold a flag back); undated, or of an old
        // loss, it does not.
        var anomaly = S(losses: ["2025-03-10", "2026-10-05"])
        anomaly.add(.resource("Condition", [.primitive("id", "sa"), .complex("code", [.primitive("text", "Structurele afwijking bij echo")]), S.subject,
                                            .primitive("onsetDateTime", "2026-09-20")]))
        #expect(try flagged(S.serviceRequest("sr", S.sct, "312948004"), in: anomaly).flags.isEmpty)
        var undated = S(losses: ["2025-03-10", "2026-10-05"])
        undated.add(.resource("Condition", [.primitive("id", "sa"), .complex("code", [.primitive("text", "Structurele afwijking bij echo")]), S.subject]))
        #expect(try flagged(S.serviceRequest("sr", S.sct, "312948004"), in: undated).flags == ["NR-TISSUE-GENETICS"])
        // NR-KARYOTYPE: the criteria of RPL-KARYOTYPE.
        var criteria = S(birthDate: "1995-01-01", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        criteria.add(.resource("FamilyMemberHistory", [.primitive("id", "f"), .primitive("status", "completed"),
                                                       .complex("patient", [.primitive("reference", "PATIENT")]),
                                                       S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH"),
                                                       .complex("condition", [S.concept("code", S.sct, "102878001")])]))
        #expect(try flagged(S.serviceRequest("sr", S.sct, "444309000"), in: criteria).flags.isEmpty)
        // NR-IMMUNOLOGY: ANA with symptoms of autoimmune disease; HLA is flagged regardless.
        var lupus = S(); lupus.add(S.condition("sle", S.sct, "200936003", onset: "2020-01-01"))
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "ANA"), in: lupus).flags.isEmpty)
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "ANA")).flags == ["NR-IMMUNOLOGY"])
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "HLA typering"), in: lupus).flags == ["NR-IMMUNOLOGY"])
        // NR-HORMONES / NR-PROLACTIN: a cycle disorder, amenorrhoea.
        var amen = S(); amen.add(S.condition("am", S.sct, "14302001", onset: "2026-01-01"))
        #expect(try flagged(S.serviceRequest("sr", S.loinc, "2842-3"), in: amen).flags.isEmpty)
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Hormoonprofiel"), in: amen).flags.isEmpty)
        var cycle = S(); cycle.add(.resource("Condition", [.primitive("id", "c"), .complex("code", [.primitive("text", "Cyclusstoornis")]), S.subject]))
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "Hormoonprofiel"), in: cycle).flags.isEmpty)
        #expect(try flagged(S.serviceRequest("sr", S.loinc, "2842-3"), in: cycle).flags == ["NR-PROLACTIN"])
        // NR-LEVOTHYROXINE-EUTHYROID: hypothyroidism established (subclinical counts).
        var sub = S(); sub.add(S.tsh("6.0")); sub.add(S.freeT4("15"))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "H03AA01"), in: sub).flags.isEmpty)
        // NR-LMWH-THROMBOPHILIA and heparin: persistent antiphospholipid antibodies.
        var aps = S(); aps.add(S.apl("a1", "3181-5", date: "2026-03-01", positive: true)); aps.add(S.apl("a2", "3181-5", date: "2026-06-01", positive: true))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "B01AB05"), in: aps).flags.isEmpty)
        aps.add(S.condition("fvl", S.icd10, "D68.5", onset: "2019-01-01"))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "B01AB05"), in: aps).flags.isEmpty)
        #expect(try flagged(S.medicationRequest("mr", S.atc, "B01AB05")).flags == ["NR-DRUGS"])
        // NR-DRUGS progesterone: RPL-PROGESTERONE holds.
        var preg = S(losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        preg.add(S.condition("preg", S.sct, "77386006", onset: "2026-08-24"))
        preg.add(S.observation("ga", S.loinc, "49051-6", date: "2026-11-02", value: S.quantity("10", "wk", code: "wk")))
        preg.add(S.condition("bleed", S.sct, "54048003", onset: "2026-10-30"))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "G03DA04"), in: preg).flags.isEmpty)
        #expect(try flagged(S.medicationRequest("mr", S.atc, "G03DA04")).flags == ["NR-DRUGS"])
        // NR-PREDNISONE: in a study; judged by its own line, not as a steroid.
        var study = S(); study.add(.resource("ResearchSubject", [.primitive("id", "rs"), .primitive("status", "on-study"),
                                                                 .complex("study", [.primitive("display", "trial")]),
                                                                 .complex("individual", [.primitive("reference", "PATIENT")])]))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "H02AB07"), in: study).flags.isEmpty)
        #expect(try flagged(S.medicationRequest("mr", nil, nil, text: "Prednisolon 5 mg")).flags == ["NR-PREDNISONE"])
    }

    @Test func oneFlagPerRequestTheMostSpecificLine() throws {
        // Enoxaparin for a thrombophilia factor is LMWH and heparin: NR-LMWH-THROMBOPHILIA decides.
        var fvl = S(); fvl.add(S.condition("fvl", S.icd10, "D68.5", onset: "2019-01-01"))
        let out = try flagged(S.medicationRequest("mr", S.atc, "B01AB05"), in: fvl)
        #expect(out.resources("DetectedIssue").count == 1)
        #expect(out.flags == ["NR-LMWH-THROMBOPHILIA"])
    }

    /// guideline.md v2: NR-LMWH-THROMBOPHILIA only for an LMWH request made for a thrombophilia
    /// factor: one recorded (coded), or named in the request's reason. Otherwise it is "Heparine".
    @Test func lmwhIsForAThrombophiliaFactorOnlyWhenOneIsRecordedOrNamed() throws {
        let enox = S.medicationRequest("mr", S.atc, "B01AB05")
        #expect(try flagged(enox).flags == ["NR-DRUGS"])
        var snomed = S(); snomed.add(S.condition("t", S.sct, "439698008", onset: "2019-01-01"))
        #expect(try flagged(enox, in: snomed).flags == ["NR-LMWH-THROMBOPHILIA"])
        let named = Element.resource("MedicationRequest", enox.children.filter { $0.name != "subject" } + [S.subject,
                                     .complex("reasonCode", [.primitive("text", "Factor V Leiden heterozygoot")])])
        #expect(try flagged(named).flags == ["NR-LMWH-THROMBOPHILIA"])
        // A refuted thrombophilia is none.
        var refuted = S(); refuted.add(S.condition("t", S.icd10, "D68.5", onset: "2019-01-01", verification: "refuted"))
        #expect(try flagged(enox, in: refuted).flags == ["NR-DRUGS"])
        // Text alone in a Condition does not make the LMWH line (codes decide): still "Heparine".
        var text = S(); text.add(.resource("Condition", [.primitive("id", "t"), .complex("code", [.primitive("text", "Trombofilie")]), S.subject]))
        #expect(try flagged(enox, in: text).flags == ["NR-DRUGS"])
    }

    /// guideline.md v2 §4: another recorded indication (a Condition, or the request's reason) lifts
    /// the drug flag, and the note says which; an indication for another item does not.
    @Test(arguments: [
        ("B01AB05", "I26.9", true),   // enoxaparin, pulmonary embolism
        ("B01AB06", "Z86.7", true),   // nadroparin, a past venous thromboembolism
        ("B01AB06", "Z95.2", true),   // nadroparin, a mechanical heart valve
        ("A10BA02", "O24.4", true),   // metformin, gestational diabetes
        ("A10BA02", "E28.2", false),  // metformin, PCOS: not an indication the card's line lists for it
        ("H02AB04", "J45.9", true),   // methylprednisolone, asthma
        ("H02AB02", "O60.0", true),   // dexamethasone, threatened preterm birth (fetal lung maturation)
        ("H02AB07", "M32.1", true),   // prednisone, lupus with organ involvement
        ("G02CB01", "E22.1", true),   // bromocriptine, hyperprolactinaemia
        ("G03GB02", "N97.0", true),   // clomifene, anovulatory infertility
        ("G03GB02", "E11.9", false),  // clomifene, diabetes: no
        ("L03AA02", "J45.9", false),  // filgrastim has no such exception
    ])
    func anotherIndicationLiftsTheDrugFlag(atc: String, icd10: String, lifted: Bool) throws {
        var s = S(); s.add(S.condition("ind", S.icd10, icd10, onset: "2020-01-01", clinical: "resolved"))
        let out = try flagged(S.medicationRequest("mr", S.atc, atc), in: s)
        #expect(out.flags.isEmpty == lifted, "\(atc) with \(icd10): \(out.flags)")
        if lifted { #expect(out.notes.contains { $0.contains("another indication is recorded (ICD-10 \(icd10))") }, "\(out.notes)") }
    }

    @Test func anIndicationNamedInTheReasonLiftsTheFlag() throws {
        let coded = Element.resource("MedicationRequest", [.primitive("id", "mr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                           S.concept("medicationCodeableConcept", S.atc, "H02AB06"), S.subject,
                                                           .complex("reasonReference", [.primitive("reference", "Condition/asthma")])])
        var s = S(); s.fullUrls = "server"
        s.add(S.condition("asthma", S.icd10, "J45.0", onset: "2010-01-01"))
        #expect(try flagged(coded, in: s).flags.isEmpty)
        let text = Element.resource("MedicationRequest", [.primitive("id", "mr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                          S.concept("medicationCodeableConcept", S.atc, "A10BA02"), S.subject,
                                                          .complex("reasonCode", [.primitive("text", "Diabetes mellitus type 2")])])
        #expect(try flagged(text).flags.isEmpty)
        // Not a word inside another: "prediabetes" is no diabetes.
        let inside = Element.resource("MedicationRequest", [.primitive("id", "mr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                            S.concept("medicationCodeableConcept", S.atc, "A10BA02"), S.subject,
                                                            .complex("reasonCode", [.primitive("text", "Prediabetes")])])
        #expect(try flagged(inside).flags == ["NR-DRUGS"])
    }

    /// guideline.md v2: only the patient's requests are judged against the drug list.
    @Test func thePartnersDrugsAreNotJudged() throws {
        var s = S()
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB"), .primitive("gender", "male")]))
        s.fullUrls = "server"
        let his = Element.resource("MedicationRequest", [.primitive("id", "mr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                         S.concept("medicationCodeableConcept", S.atc, "A10BA02"),
                                                         .complex("subject", [.primitive("reference", "RelatedPerson/partner")])])
        #expect(try flagged(his, in: s).flags.isEmpty)
        // His sperm selection is judged (a line about the couple's treatment, not her drugs).
        let imsi = Element.resource("ServiceRequest", [.primitive("id", "sr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                       .complex("code", [.primitive("text", "IMSI")]),
                                                       .complex("subject", [.primitive("reference", "RelatedPerson/partner")])])
        #expect(try flagged(imsi, in: s).flags == ["NR-SPERM-SELECTION"])
    }
}

/// guideline.md v2 §3a: RPL-PROLACTIN and RPL-HORMONE-PROFILE (Sources/RPLGuideline/Endocrine.swift).
@Suite(.serialized) struct EndocrineRuleTests {
    static let amenorrhoea = S.condition("amen", S.icd10, "N91.1", onset: "2026-05-01")

    func with(_ extra: Element...) -> S {
        var s = S()
        for e in extra { s.add(e) }
        return s
    }

    func delivery(_ date: String) -> Element {
        .resource("Procedure", [.primitive("id", "birth"), .primitive("status", "completed"), S.concept("code", S.sct, "236973005"),
                                S.subject, .primitive("performedDateTime", date)])
    }

    @Test func codedAmenorrhoeaOrdersProlactinAndTheProfileUnderOneRequisition() throws {
        let out = try InProcess.apply(with(Self.amenorrhoea))
        #expect(out.requests("prolactin").count == 1)
        let profile = out.requests("hormone-profile")
        #expect(profile.count == 3)
        let codes = Set(profile.flatMap { $0.child("code")?.children("coding") ?? [] }.compactMap { $0.string("code") })
        #expect(codes.isSuperset(of: ["15067-2", "10501-5", "2243-4"]), "\(codes)")
        // interface.md v2: all laboratory orders of one person in one run share one requisition.
        let requisitions = Set((profile + out.requests("prolactin") + out.requests("apl-testing")).compactMap { $0.child("requisition")?.string("value") })
        #expect(requisitions.count == 1)
        // The ICPC code and the SNOMED code do the same; so does the dotless ICD-10 a site may send.
        for (system, code) in [("http://hl7.org/fhir/sid/icpc-1-nl", "X05"), (S.sct, "14302001"), (S.icd10, "N911")] {
            let o = try InProcess.apply(with(S.condition("amen", system, code, onset: "2026-05-01")))
            #expect(o.requests("prolactin").count == 1, "\(system) \(code)")
        }
    }

    @Test func anIrregularCycleOrdersTheProfileNotProlactin() throws {
        let out = try InProcess.apply(with(S.condition("cyc", S.icd10, "N92.6", onset: "2026-05-01")))
        #expect(out.requests("hormone-profile").count == 3)
        #expect(out.requests("prolactin").isEmpty)
    }

    @Test func textAloneOrdersNothingButHoldsTheFlagBack() throws {
        let text = Element.resource("Condition", [.primitive("id", "c"), .complex("code", [.primitive("text", "Oligomenorroe")]), S.subject])
        var s = with(text)
        s.add(S.serviceRequest("prl", S.loinc, "2842-3"))
        let out = try InProcess.apply(s)
        #expect(out.requests("prolactin").isEmpty && out.requests("hormone-profile").isEmpty)
        #expect(out.flags.isEmpty)
    }

    @Test func notDuringAPregnancyNorWithinSixMonthsOfADelivery() throws {
        var pregnant = with(Self.amenorrhoea)
        pregnant.add(S.condition("preg", S.sct, "77386006", onset: "2026-09-01"))
        #expect(!(try InProcess.apply(pregnant).fired.contains("RPL-PROLACTIN")))
        // 183 days (the setting postpartumDays) after the delivery the cycle can be judged again.
        for (date, fires) in [("2026-05-04", false), ("2026-05-03", true), ("2026-01-10", true)] {
            let out = try InProcess.apply(with(Self.amenorrhoea, delivery(date)))
            #expect(out.fired.contains("RPL-PROLACTIN") == fires, "delivery \(date)")
            #expect(out.fired.contains("RPL-HORMONE-PROFILE") == fires, "delivery \(date)")
        }
        // A delivery recorded as a Condition (ICD-10 O80) counts the same.
        let o80 = try InProcess.apply(with(Self.amenorrhoea, S.condition("birth", S.icd10, "O80", onset: "2026-08-01", clinical: "resolved")))
        #expect(!o80.fired.contains("RPL-PROLACTIN"))
    }

    @Test func resultsInTheLookbackWindowCountAsDone() throws {
        let prl = S.observation("prl", S.loinc, "2842-3", date: "2026-09-01", value: S.quantity("12", "ug/L"))
        let fsh = S.observation("fsh", S.loinc, "15067-2", date: "2026-09-01", value: S.quantity("6", "IU/L", code: "[IU]/L"))
        let lh = S.observation("lh", S.loinc, "10501-5", date: "2026-09-01", value: S.quantity("5", "IU/L", code: "[IU]/L"))
        let e2 = S.observation("e2", S.loinc, "14715-7", date: "2026-09-01", value: S.quantity("150", "pmol/L"))
        let some = try InProcess.apply(with(Self.amenorrhoea, prl, fsh, lh))
        #expect(some.requests("prolactin").isEmpty)
        #expect(some.requests("hormone-profile").count == 1)
        #expect(some.requests("hormone-profile").first?.child("code")?.string("text")?.contains("Estradiol") == true)
        let all = try InProcess.apply(with(Self.amenorrhoea, prl, fsh, lh, e2))
        #expect(!all.fired.contains("RPL-HORMONE-PROFILE") && !all.fired.contains("RPL-PROLACTIN"))
        // Older than the lookback window (12 months): not done.
        let old = S.observation("prl", S.loinc, "2842-3", date: "2025-10-01", value: S.quantity("12", "ug/L"))
        #expect(try InProcess.apply(with(Self.amenorrhoea, old)).requests("prolactin").count == 1)
    }

    @Test func aResolvedAmenorrhoeaIsNoSymptom() throws {
        let resolved = S.condition("amen", S.icd10, "N91.1", onset: "2024-05-01", clinical: "resolved")
        let out = try InProcess.apply(with(resolved))
        #expect(!out.fired.contains("RPL-PROLACTIN") && !out.fired.contains("RPL-HORMONE-PROFILE"))
    }

    @Test func aTestOfTheProfileAlreadyRequestedIsNotOrderedAgain() throws {
        let out = try InProcess.apply(with(Self.amenorrhoea, S.serviceRequest("fsh-req", S.loinc, "15067-2")))
        #expect(out.requests("hormone-profile").count == 2)
        #expect(out.notes.contains { $0.hasPrefix("RPL-HORMONE-PROFILE") && $0.contains("not ordered again") })
        #expect(out.flags.isEmpty)  // FSH is NR-HORMONES, lifted by the amenorrhoea
    }
}

/// guideline.md v2 §3a: RPL-ANA (Sources/RPLGuideline/Immunology.swift).
@Suite(.serialized) struct ImmunologyRuleTests {
    func consider(_ extra: Element...) throws -> Outcome {
        var s = S()
        for e in extra { s.add(e) }
        return try InProcess.apply(s)
    }

    @Test(arguments: [("M32.9", true), ("M35.0", true), ("M06.9", true), ("M25.50", true), ("I73.0", true), ("M54.5", false), ("I73.9", false)])
    func codedSymptomsGiveConsiderANA(code: String, fires: Bool) throws {
        let out = try consider(S.condition("c", S.icd10, code, onset: "2021-06-01"))
        #expect(out.fired.contains("RPL-ANA") == fires, "\(code)")
        #expect(out.activities.filter { $0 == "ana-consider" }.isEmpty, "consider ANA is a plan activity, not an order")
        if fires {
            let plan = try #require(out.resources("CarePlan").first)
            let activity = plan.children("activity").first { $0.child("detail")?.string("description")?.hasPrefix("RPL-ANA") == true }
            #expect(activity?.child("detail")?.string("description")?.contains("ICD-10 \(code)") == true)
        }
    }

    @Test func anANAResultOrRequestAnswersIt() throws {
        let sle = S.condition("sle", S.icd10, "M32.9", onset: "2021-06-01")
        #expect(!(try consider(sle, S.observation("ana", S.loinc, "8061-4", date: "2019-02-01", interpretation: "NEG")).fired.contains("RPL-ANA")))
        let requested = try consider(sle, S.serviceRequest("ana-req", S.loinc, "5048-4"))
        #expect(!requested.planActivities.contains("RPL-ANA"))
        #expect(requested.notes.contains { $0.hasPrefix("RPL-ANA") && $0.contains("not ordered again") })
        #expect(requested.flags.isEmpty)
    }

    @Test func textAloneDoesNotGiveIt() throws {
        let text = Element.resource("Condition", [.primitive("id", "c"), .complex("code", [.primitive("text", "Raynaud")]), S.subject])
        #expect(!(try consider(text).fired.contains("RPL-ANA")))
    }
}

/// guideline.md v2 §3a: RPL-TISSUE-GENETICS (Sources/RPLGuideline/Genetics.swift).
@Suite(.serialized) struct TissueGeneticsRuleTests {
    func lastLoss(_ date: String, anomaly: Element?) throws -> Outcome {
        var s = S(losses: ["2025-03-10", date])
        if let anomaly { s.add(anomaly) }
        return try InProcess.apply(s)
    }

    @Test func theMostRecentLossWithinEightWeeksWithACodedAnomaly() throws {
        // 2026-09-07 is 56 days (the setting tissueGeneticsWithinDays) before 2026-11-02.
        for (date, fires) in [("2026-09-07", true), ("2026-09-06", false), ("2026-10-30", true)] {
            let anomaly = S.condition("echo", S.icd10, "O28.3", onset: "2026-08-20")
            #expect(try lastLoss(date, anomaly: anomaly).fired.contains("RPL-TISSUE-GENETICS") == fires, "loss \(date)")
        }
        #expect(!(try lastLoss("2026-10-05", anomaly: nil).fired.contains("RPL-TISSUE-GENETICS")))
    }

    @Test func theAnomalyMustBeOfThatPregnancy() throws {
        // Recorded on the loss Condition itself (its evidence), or dated within that pregnancy.
        var onTheLoss = S(losses: ["2025-03-10"])
        onTheLoss.add(S.condition("mc", S.sct, "17369002", onset: "2026-10-05",
                                  extra: [.complex("evidence", [S.concept("code", S.icd10, "O35.0")])]))
        #expect(try InProcess.apply(onTheLoss).fired.contains("RPL-TISSUE-GENETICS"))
        // An anomaly of the earlier (2025) pregnancy does not make the recent loss one.
        let earlier = S.condition("echo", S.icd10, "O28.3", onset: "2025-02-20")
        #expect(!(try lastLoss("2026-10-05", anomaly: earlier).fired.contains("RPL-TISSUE-GENETICS")))
        // Text only: no activity (it only holds the tissue flag back).
        let text = Element.resource("Condition", [.primitive("id", "t"), .complex("code", [.primitive("text", "Echoafwijking")]), S.subject,
                                                  .primitive("onsetDateTime", "2026-09-20")])
        #expect(!(try lastLoss("2026-10-05", anomaly: text).fired.contains("RPL-TISSUE-GENETICS")))
    }

    @Test func itIsAPlanActivityNamingTheLossAndTheAnomaly() throws {
        let out = try lastLoss("2026-10-05", anomaly: S.condition("echo", S.icd10, "O28.3", onset: "2026-09-20"))
        let plan = try #require(out.resources("CarePlan").first)
        let text = plan.children("activity").compactMap { $0.child("detail")?.string("description") }.first { $0.hasPrefix("RPL-TISSUE-GENETICS") }
        #expect(text?.contains("on 2026-10-05") == true && text?.contains("ICD-10 O28.3") == true, "\(text ?? "")")
        #expect(out.requests("tissue-genetics").isEmpty)
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
