import FHIR
import Foundation
import Testing
import TestSupport

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
