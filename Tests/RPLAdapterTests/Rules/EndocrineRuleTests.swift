import FHIR
import Foundation
import Testing
import TestSupport

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
