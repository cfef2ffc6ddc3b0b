import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3, "A coded answer is a result", and terminology.md v3 (qualitative answers,
/// currently pregnant, delivery ends a pregnancy): codes real exports carry.
@Suite(.serialized) struct CodedAnswerTests {
    static func answer(_ id: String, _ code: String, date: String, _ answer: String) -> Element {
        S.observation(id, S.loinc, code, date: date, value: S.concept("valueCodeableConcept", S.loinc, answer))
    }

    @Test func aLupusAnticoagulantAnsweredPositiveTwiceIsPersistent() throws {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "la-neg" }) { s.add(r) }
        s.add(Self.answer("la-1", "75514-0", date: "2026-06-01", "LA6576-8"))
        s.add(Self.answer("la-2", "75514-0", date: "2026-08-24", "LA6576-8"))
        let out = try InProcess.apply(s)
        #expect(out.fired.contains("RPL-APL-TREAT"))
        #expect(out.requests("apl-testing").isEmpty && !out.fired.contains("RPL-APL-REPEAT"))
        // Answered "Not detected" / "Negative": read as negative (nothing ordered, nothing treated).
        var negative = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "la-neg" }) { negative.add(r) }
        negative.add(Self.answer("la-1", "75514-0", date: "2026-06-01", "LA11883-8"))
        let n = try InProcess.apply(negative)
        #expect(!n.fired.contains("RPL-APL") && !n.fired.contains("RPL-APL-TREAT"))
    }

    @Test func pregnantAsALOINCAnswerIsAPregnancy() throws {
        var s = S(losses: ["2023-01-10", "2024-01-10", "2025-03-10"])
        s.add(Self.answer("status", "82810-3", date: "2026-10-20", "LA15173-0"))
        let out = try InProcess.apply(s)
        // During a pregnancy the uterus is imaged after it: no order now.
        #expect(out.requests("uterine-ultrasound").isEmpty)
        let details = try #require(out.resources("CarePlan").first).children("activity").compactMap { $0.child("detail") }
        #expect(details.contains { $0.child("code")?.string("text")?.hasPrefix("After this pregnancy: transvaginal 3D ultrasound") == true })
    }

    @Test func aCaesareanOrSyntheasChildbirthEndsThePregnancy() throws {
        for code in ["11466000", "66348005"] {
            var s = S(losses: ["2023-01-10", "2024-01-10", "2025-03-10"])
            s.add(S.condition("preg", S.sct, "77386006", onset: "2026-01-01"))
            s.add(.resource("Procedure", [.primitive("id", "birth"), .primitive("status", "completed"), S.concept("code", S.sct, code), S.subject,
                                          .primitive("performedDateTime", "2026-08-01")]))
            let out = try InProcess.apply(s)
            // Not pregnant any more: the uterus is imaged now.
            #expect(out.requests("uterine-ultrasound").count == 1, "SNOMED \(code)")
        }
    }

    /// A partial date on an antibody result is an interval, not a missing date: the test counts as
    /// done; persistence needs 84 days for every day both dates may mean (a positive in 2026-03
    /// and one on 2026-06-20: 81 days from 03-31, a repeat; on 06-25: 86 days, persistent).
    @Test func aPartialDateOnAnAntibodyResultKeepsIt() throws {
        func record(_ second: String?) -> S {
            var s = S()
            for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "la-neg" }) { s.add(r) }
            s.add(Self.answer("la-1", "75514-0", date: "2026-03", "LA6576-8"))
            if let second { s.add(Self.answer("la-2", "75514-0", date: second, "LA6576-8")) }
            return s
        }
        let alone = try InProcess.apply(record(nil))
        #expect(alone.requests("apl-testing").isEmpty)
        #expect(alone.requests("apl-repeat").count == 1)
        let early = try InProcess.apply(record("2026-06-20"))
        #expect(!early.fired.contains("RPL-APL-TREAT"))
        #expect(early.requests("apl-repeat").count == 1)
        let late = try InProcess.apply(record("2026-06-25"))
        #expect(late.fired.contains("RPL-APL-TREAT"))
        #expect(late.requests("apl-repeat").isEmpty)
    }

    /// guideline.md v3: an equivocal answer is indeterminate (counted as done, not ordered
    /// again); a value and an interpretation that disagree are indeterminate, with a warning.
    @Test func anEquivocalOrDisagreeingAnswerIsIndeterminate() throws {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ !["la-neg", "aclg-neg"].contains($0.string("id") ?? "") }) { s.add(r) }
        s.add(Self.answer("la-1", "75514-0", date: "2026-09-01", "LA11885-3"))
        s.add(S.observation("acl", S.loinc, "3181-5", date: "2026-09-01", value: S.concept("valueCodeableConcept", S.loinc, "LA6576-8"), interpretation: "N"))
        let out = try InProcess.apply(s)
        #expect(out.requests("apl-testing").isEmpty)
        #expect(out.requests("apl-repeat").isEmpty && !out.fired.contains("RPL-APL-TREAT"))
        #expect(out.stderr.contains("its value reads positive but its interpretation negative"))
    }
}
