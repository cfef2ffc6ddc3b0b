import FHIR
import Foundation
import Testing
import TestSupport

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
