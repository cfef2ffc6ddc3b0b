import FHIR
import Foundation
import Testing
import TestSupport

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
