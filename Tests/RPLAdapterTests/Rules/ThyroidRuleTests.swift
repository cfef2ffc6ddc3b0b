import FHIR
import Foundation
import Testing
import TestSupport

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
