import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

/// One suite per fact source (Sources/RPLAdapter/Facts/<Area>.swift): the source alone (and the
/// sources it builds on) over a Scenario, checked on the facts it fills and the warnings it gives.
/// Evaluation date 2026-11-02.
enum FactRun {
    static let date = CalendarDate(year: 2026, month: 11, day: 2)!

    static func read(_ s: Scenario, _ sources: [any FactSource.Type]) throws -> (facts: Facts, warnings: [String]) {
        let c = try FactContext(input: InputBundle(s.bundle()), profiles: InProcess.profiles, date: date)
        var facts = Facts(evaluationDate: date)
        for source in sources { source.read(c, into: &facts) }
        return (facts, c.orderedWarnings.map(\.description))
    }

    static func condition(text: String, onset: String? = nil) -> Element {
        .resource("Condition", [.primitive("id", "t-\(abs(text.hashValue))"), .complex("code", [.primitive("text", text)]), S.subject]
                  + (onset.map { [.primitive("onsetDateTime", $0)] } ?? []))
    }
}

@Suite struct LossesFactTests {
    @Test func icd10AndIcpcLossesCountAndPartialDatesAreIntervals() throws {
        var s = S(losses: [])
        s.add(S.condition("a", S.icd10, "O03.9", onset: "2019"))
        s.add(S.condition("b", "http://hl7.org/fhir/sid/icpc-1-nl", "W82", onset: "2021-05"))
        s.add(S.condition("c", S.icd10, "O021", onset: "2025-03-10"))  // missed abortion, written without the dot
        let (f, _) = try FactRun.read(s, [Losses.self])
        #expect(f.losses.count == 3)
        let y2019 = try #require(f.losses.first { $0.latestDate?.year == 2019 })
        #expect(y2019.date == nil && y2019.earliestDate == CalendarDate(year: 2019, month: 1, day: 1) && y2019.latestDate == CalendarDate(year: 2019, month: 12, day: 31))
    }

    @Test func historyCodesSetAMinimumAndNotALossIsNotCounted() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("n96", S.icd10, "N96", onset: nil))
        s.add(S.condition("ect", S.icd10, "O00.1", onset: "2026-02-01"))
        s.add(S.condition("mc", S.icd10, "O03.4", onset: "2026-02-10"))  // 9 days after the ectopic: that pregnancy
        let (f, _) = try FactRun.read(s, [Losses.self])
        #expect(f.losses.count == 1)
        #expect(f.statedLossCount?.count == 2)
        #expect(f.lossCount == 2)
    }

    @Test func textAloneWarns() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(FactRun.condition(text: "herhaalde miskramen bij zus"))
        let (f, w) = try FactRun.read(s, [Losses.self])
        #expect(f.lossCount == 1)
        #expect(w.contains { $0.contains("recorded as text only") })
    }
}

@Suite struct ThyroidFactTests {
    @Test func hypothyroidismByICD10ButNotAutoimmuneThyroiditisAlone() throws {
        var s = S()
        s.add(S.condition("e03", S.icd10, "E03.9", onset: "2020-01-01"))
        s.add(S.condition("e063", S.icd10, "E06.3", onset: "2020-01-01"))
        s.add(S.condition("e890", S.icd10, "E89.0", onset: "2021-01-01"))
        let (f, _) = try FactRun.read(s, [Thyroid.self])
        #expect(f.hypothyroidismConditions.map(\.source.index).count == 2)
        #expect(!f.hypothyroidismConditions.contains { $0.text.contains("E06.3") })
    }

    @Test func theNewestTSHInTheWindowWithItsClassification() throws {
        var s = S()
        s.add(S.tsh("6.1", id: "new", date: "2026-10-20"))
        s.add(S.tsh("1.0", id: "old", date: "2025-10-01"))  // before the 12-month window
        let (f, _) = try FactRun.read(s, [Thyroid.self])
        #expect(f.tsh?.value == 6.1 && f.tsh?.classification == .high)
    }
}

@Suite struct AntiphospholipidFactTests {
    @Test func onlyAConfirmedSpecificCodeIsAPS() throws {
        var confirmed = S(); confirmed.add(S.condition("aps", S.sct, "26843008", onset: "2022-01-01"))
        #expect(try FactRun.read(confirmed, [Antiphospholipid.self]).facts.apsDiagnosed.count == 1)
        var d686 = S(); d686.add(S.condition("aps", S.icd10, "D68.6", onset: "2022-01-01"))
        let (f, w) = try FactRun.read(d686, [Antiphospholipid.self])
        #expect(f.apsDiagnosed.isEmpty)
        #expect(w.contains { $0.contains("not specific for antiphospholipid syndrome") })
    }
}

@Suite struct GeneticsFactTests {
    @Test func anomaliesAreLinkedToTheirPregnancy() throws {
        var s = S(losses: ["2025-03-10", "2026-10-05"])
        s.add(S.condition("echo", S.icd10, "O28.3", onset: "2026-09-20"))
        s.add(FactRun.condition(text: "Echoafwijking", onset: "2025-02-01"))
        let (f, _) = try FactRun.read(s, [Losses.self, Genetics.self])
        let recent = try #require(f.losses.first { $0.date == CalendarDate(year: 2026, month: 10, day: 5) })
        let earlier = try #require(f.losses.first { $0.date == CalendarDate(year: 2025, month: 3, day: 10) })
        #expect(recent.structuralAnomalies.map(\.byText) == [false])
        #expect(earlier.structuralAnomalies.map(\.byText) == [true])
    }

    @Test func majorAnomaliesInTheFamilyButNotTheMinorOnes() throws {
        func family(_ code: String) throws -> [Finding] {
            var s = S()
            s.add(.resource("FamilyMemberHistory", [.primitive("id", "f"), .primitive("status", "completed"),
                                                    .complex("patient", [.primitive("reference", "PATIENT")]),
                                                    S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "SON"),
                                                    .complex("condition", [S.concept("code", S.icd10, code)])]))
            return try FactRun.read(s, [Genetics.self]).facts.geneticsReferralReasons
        }
        #expect(try family("Q21.0").count == 1)   // ventricular septal defect
        #expect(try family("Q05.9").count == 1)   // spina bifida
        #expect(try family("Q17.0").isEmpty)      // accessory auricle (ear tag): minor
        #expect(try family("Q82.5").isEmpty)      // naevus: minor
        #expect(try family("Q38.1").isEmpty)      // tongue-tie: minor
    }
}

@Suite struct UterusFactTests {
    @Test func q51IsAMalformationButAnArcuateUterusIsNot() throws {
        var s = S()
        s.add(S.condition("sept", S.icd10, "Q51.2", onset: nil))
        let (f, _) = try FactRun.read(s, [Uterus.self])
        #expect(f.uterineMalformations.count == 1)
        var arcuate = S()
        arcuate.add(.resource("Condition", [.primitive("id", "arc"), .complex("code", [S.coding(S.icd10, "Q51.9"), .primitive("text", "Uterus arcuatus")]), S.subject]))
        arcuate.add(S.condition("cm", "http://hl7.org/fhir/sid/icd-10-cm", "Q51.810", onset: nil))
        #expect(try FactRun.read(arcuate, [Uterus.self]).facts.uterineMalformations.isEmpty)
    }
}

@Suite struct LifestyleFactTests {
    @Test func thePartnersSmokingIsNamedAsHis() throws {
        var s = S()
        s.fullUrls = "server"
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB"), .primitive("gender", "male")]))
        s.add(.resource("Observation", [.primitive("id", "smoke"), .primitive("status", "final"), S.concept("code", S.loinc, "72166-2"),
                                        .complex("subject", [.primitive("reference", "RelatedPerson/partner")]),
                                        .primitive("effectiveDateTime", "2026-10-01"), S.concept("valueCodeableConcept", S.sct, "449868002")]))
        let (f, _) = try FactRun.read(s, [Lifestyle.self])
        #expect(f.lifestyleRisks.map(\.text) == ["partner smokes"], "\(f.lifestyleRisks)")
    }
}

@Suite struct PregnancyFactTests {
    @Test func o26_2SaysPregnantAndADeliveryEndsIt() throws {
        var s = S(losses: ["2024-03-10", "2025-01-22"])
        s.add(S.condition("o262", S.icd10, "O26.2", onset: "2026-09-01"))
        s.add(S.condition("bleed", S.icd10, "O20.0", onset: "2026-10-01"))
        #expect(try FactRun.read(s, [Pregnancy.self]).facts.currentPregnancy != nil)
        #expect(try FactRun.read(s, [Pregnancy.self]).facts.bleedingInCurrentPregnancy.count == 1)
        s.add(S.condition("birth", S.icd10, "O80", onset: "2026-10-25", clinical: "resolved"))
        let (f, w) = try FactRun.read(s, [Pregnancy.self])
        #expect(f.currentPregnancy == nil)
        #expect(w.contains { $0.contains("ends the pregnancy") })
    }
}

@Suite struct EndocrineFactTests {
    @Test func codedAndTextFindingsTheProfileAndTheLastDelivery() throws {
        var s = S()
        s.add(S.condition("amen", S.icd10, "N91.1", onset: "2026-05-01"))
        s.add(FactRun.condition(text: "Cyclusstoornis"))
        s.add(S.observation("fsh", S.loinc, "15067-2", date: "2026-09-01", value: S.quantity("6", "IU/L", code: "[IU]/L")))
        s.add(S.condition("d1", S.icd10, "O80", onset: "2024-02-01", clinical: "resolved"))
        s.add(.resource("Procedure", [.primitive("id", "d2"), .primitive("status", "completed"), S.concept("code", S.sct, "236973005"),
                                      S.subject, .primitive("performedDateTime", "2025-06-01")]))
        let (f, _) = try FactRun.read(s, [Endocrine.self])
        #expect(f.oligoOrAmenorrhoea.map(\.byText) == [false])
        #expect(f.cycleDisorder.map(\.byText) == [true])
        #expect(f.hormoneProfile.map(\.item) == ["fsh", "lh", "estradiol"])
        #expect(f.hormoneProfile.map { $0.result != nil } == [true, false, false])
        #expect(f.lastDelivery?.date == CalendarDate(year: 2025, month: 6, day: 1))
        #expect(f.prolactinResult == nil)
    }
}

@Suite struct ImmunologyFactTests {
    @Test func symptomsByCodeOrTextAndAnyANAResult() throws {
        var s = S()
        s.add(S.condition("sle", S.icd10, "M32.9", onset: "2021-01-01"))
        s.add(FactRun.condition(text: "Raynaud"))
        s.add(S.observation("ana", S.loinc, "8061-4", date: "2015-01-01", interpretation: "NEG"))
        let (f, _) = try FactRun.read(s, [Immunology.self])
        #expect(f.autoimmuneSymptoms.map(\.byText) == [false])
        #expect(f.anaResult != nil)
    }
}

@Suite struct RequestsFactTests {
    @Test func reasonsIndicationsAndWhose() throws {
        var s = S()
        s.fullUrls = "server"
        s.add(S.condition("fvl", S.icd10, "D68.5", onset: "2019-01-01"))
        s.add(S.condition("dm", S.icd10, "E11.9", onset: "2019-01-01"))
        s.add(S.medicationRequest("met", S.atc, "A10BA02"))
        s.add(.resource("MedicationRequest", [.primitive("id", "enox"), .primitive("status", "active"), .primitive("intent", "order"),
                                              S.concept("medicationCodeableConcept", S.atc, "B01AB05"), S.subject,
                                              .complex("reasonCode", [.primitive("text", "Factor V Leiden")])]))
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB")]))
        s.add(.resource("MedicationRequest", [.primitive("id", "his"), .primitive("status", "active"), .primitive("intent", "order"),
                                              S.concept("medicationCodeableConcept", S.atc, "A10BA02"),
                                              .complex("subject", [.primitive("reference", "RelatedPerson/partner")])]))
        let (f, _) = try FactRun.read(s, [Requests.self])
        #expect(f.hereditaryThrombophilia.count == 1)
        #expect(f.inputRequests.count == 3)
        let met = f.inputRequests[0], enox = f.inputRequests[1], his = f.inputRequests[2]
        #expect(met.matches.map(\.otherIndication) == ["ICD-10 E11.9"])
        #expect(enox.reasonNamesThrombophilia && enox.matches.allSatisfy { $0.otherIndication == nil })
        #expect(met.forPatient && !his.forPatient)
    }
}
