import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3 rows, each at its boundary (issue 16).
@Suite(.serialized) struct VersionThreeRowTests {
    /// `apsDiagnosed` v3: verificationStatus confirmed **or absent** (optional in R4 and the zib);
    /// a GP's closed (inactive) episode is still APS; resolved is a warning, not APS.
    @Test func anAPSWithoutVerificationStatusIsADiagnosis() throws {
        func aps(clinical: String) -> S {
            var s = S()
            var c = S.condition("aps", S.sct, "26843008", onset: "2020-04-01", clinical: clinical)
            c.children.removeAll { $0.name == "verificationStatus" }
            s.add(c)
            return s
        }
        for clinical in ["active", "inactive"] {
            let known = try InProcess.apply(aps(clinical: clinical))
            #expect(known.requests("apl-testing").isEmpty, "\(clinical)")
            #expect(known.requests("aspirin-low-dose").count == 1 && known.requests("lmwh").count == 1, "\(clinical)")
        }
        let resolved = try InProcess.apply(aps(clinical: "resolved"))
        #expect(resolved.requests("apl-testing").count == 5)
        #expect(resolved.stderr.contains("resolved"))
    }

    /// `lifestyleRisk` v3: the newest smoking status wins; a period of smoking that ended is not
    /// current; the zib TobaccoUse concept is read.
    @Test func anExSmokerTodayIsNoSmoker() throws {
        func status(_ id: String, _ code: String, _ value: String, date: Element) -> Element {
            .resource("Observation", [.primitive("id", id), .primitive("status", "final"), S.concept("code", code == "72166-2" ? S.loinc : S.sct, code),
                                      S.subject, date, S.concept("valueCodeableConcept", S.sct, value)])
        }
        let smoker2019 = status("s1", "72166-2", "77176002", date: .primitive("effectiveDateTime", "2019-03-01"))
        let exNow = status("s2", "72166-2", "8517006", date: .primitive("effectiveDateTime", "2026-10-01"))
        for order in [[smoker2019, exNow], [exNow, smoker2019]] {
            var s = S()
            for r in order { s.add(r) }
            #expect(!(try InProcess.apply(s).fired.contains("RPL-LIFESTYLE")))
        }
        var smokes = S()
        smokes.add(smoker2019)
        #expect(try InProcess.apply(smokes).fired.contains("RPL-LIFESTYLE"))
        // zib TobaccoUse, smoking from 2015 to 2020: not current.
        var ended = S()
        ended.add(status("t", "365980008", "449868002", date: .complex("effectivePeriod", [.primitive("start", "2015-01-01"), .primitive("end", "2020-06-30")])))
        #expect(!(try InProcess.apply(ended).fired.contains("RPL-LIFESTYLE")))
        var zib = S()
        zib.add(status("t", "365980008", "230059006", date: .complex("effectivePeriod", [.primitive("start", "2015-01-01")])))
        #expect(try InProcess.apply(zib).fired.contains("RPL-LIFESTYLE"))
    }

    /// "Current means current on the evaluation date": an aspirin statement still `active` but
    /// ended years ago is not taken now: aspirin is proposed (with a warning); one still running is.
    @Test func anActiveStatementThatEndedYearsAgoIsNotTakenNow() throws {
        func withAspirin(_ period: Element) -> S {
            var s = S()
            s.add(S.condition("aps", S.sct, "26843008", onset: "2020-04-01"))
            s.add(.resource("MedicationStatement", [.primitive("id", "asa"), .primitive("status", "active"),
                                                    S.concept("medicationCodeableConcept", S.atc, "B01AC06"), S.subject, period]))
            return s
        }
        let ended = try InProcess.apply(withAspirin(.complex("effectivePeriod", [.primitive("start", "2018-01-01"), .primitive("end", "2019-06-30")])))
        #expect(ended.requests("aspirin-low-dose").count == 1)
        #expect(ended.stderr.contains("status active, ended on 2019-06-30"))
        let running = try InProcess.apply(withAspirin(.complex("effectivePeriod", [.primitive("start", "2026-01-01")])))
        #expect(running.requests("aspirin-low-dose").isEmpty)
    }

    /// `losses` v3: a history code beside dated losses adds nothing (max, never +); alone it says
    /// at least one.
    @Test func aHistoryOfMiscarriageCodeNeverAddsALoss() throws {
        var one = S(losses: ["2025-03-10"])
        one.add(S.condition("hist", S.sct, "161744009", onset: nil))
        #expect(try InProcess.apply(one).resources("CarePlan").isEmpty)
        var two = S(losses: ["2025-03-10", "2026-01-10"])
        two.add(S.condition("hist", S.sct, "161744009", onset: nil))
        let out = try InProcess.apply(two)
        #expect(out.resources("RiskAssessment").first?.all("prediction.rationale").first?.value?.hasPrefix("After 2 miscarriages") == true)
    }

    /// `losses` v3: the evacuation of a missed miscarriage coded as ICD-10 O04 three days later is
    /// that miscarriage's management, never a cancellation; a GP's W82 relabelled W80 (ectopic)
    /// ten days later is the ectopic pregnancy.
    @Test func anEvacuationDoesNotCancelTheMiscarriageAndARelabelledEctopicDoes() throws {
        var evacuated = S(losses: ["2026-01-10"])
        evacuated.add(S.condition("missed", S.sct, "16607004", onset: "2025-03-10"))
        evacuated.add(S.condition("evac", S.icd10, "O04", onset: "2025-03-13"))
        #expect(try InProcess.apply(evacuated).resources("CarePlan").first?.children("addresses").count == 2)
        let icpc = "http://hl7.org/fhir/sid/icpc-1-nl"
        var relabelled = S(losses: ["2026-01-10"])
        relabelled.add(S.condition("w82", icpc, "W82", onset: "2025-03-10"))
        relabelled.add(S.condition("w80", icpc, "W80", onset: "2025-03-20"))
        #expect(try InProcess.apply(relabelled).resources("CarePlan").isEmpty)
    }

    func flagged(_ request: Element, in scenario: S = S()) throws -> Outcome {
        var s = scenario
        s.add(request)
        return try InProcess.apply(s)
    }

    /// NR-THROMBOPHILIA v3 recognises thrombophilia orders by their LOINC codes (keywords are
    /// tried only for requests with no recognised code); NR-TISSUE-GENETICS no longer takes a
    /// point-of-care hCG ("POC hCG") for products of conception; prednisone for a trial
    /// *candidate* is not "in studieverband".
    @Test func flagsByCodeAndNotByAnAmbiguousWord() throws {
        for code in ["24475-6", "21668-9", "27811-9", "13590-5"] {
            #expect(try flagged(S.serviceRequest("sr", S.loinc, code)).flags == ["NR-THROMBOPHILIA"], "\(code)")
        }
        #expect(try flagged(S.serviceRequest("sr", nil, nil, text: "POC hCG")).flags.isEmpty)
        var candidate = S()
        candidate.add(.resource("ResearchSubject", [.primitive("id", "rs"), .primitive("status", "candidate"),
                                                    .complex("study", [.primitive("display", "trial")]),
                                                    .complex("individual", [.primitive("reference", "PATIENT")])]))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "H02AB07"), in: candidate).flags == ["NR-PREDNISONE"])
    }

    /// `losses` v3: an active pregnancy of unknown location is not (yet) a loss; resolved it is.
    @Test func anActivePregnancyOfUnknownLocationIsNoLoss() throws {
        for (clinical, plan) in [("active", false), ("resolved", true)] {
            var s = S(losses: ["2025-03-10"])
            s.add(S.condition("pul", S.sct, "858901000000108", onset: "2026-10-20", clinical: clinical))
            #expect(try InProcess.apply(s).resources("CarePlan").isEmpty != plan, "\(clinical)")
        }
    }

    /// `losses` v3: a second loss known only from its curettage (a Procedure whose reason is a
    /// miscarriage) counts; the curettage of a recorded miscarriage does not count twice.
    @Test func aLossKnownOnlyFromItsCurettageCounts() throws {
        func curettage(_ id: String, on date: String, reason: Element) -> Element {
            .resource("Procedure", [.primitive("id", id), .primitive("status", "completed"), S.concept("code", S.sct, "391997001"),
                                    S.subject, .primitive("performedDateTime", date), reason])
        }
        var s = S(losses: ["2025-03-10"])
        s.add(curettage("cur", on: "2026-01-22", reason: S.concept("reasonCode", S.sct, "17369002")))
        // Two losses (a plan); CarePlan.addresses lists the loss Condition only (R4: Reference(Condition)).
        let plan = try #require(try InProcess.apply(s).resources("CarePlan").first)
        #expect(plan.string("description")?.hasPrefix("2 pregnancy losses counted") == true)
        #expect(plan.children("addresses").count == 1)
        // The curettage of the recorded loss (ten days later, or naming it): still one loss.
        var same = S(losses: ["2025-03-10"])
        same.add(curettage("cur", on: "2025-03-20", reason: S.concept("reasonCode", S.sct, "17369002")))
        #expect(try InProcess.apply(same).resources("CarePlan").isEmpty)
        var named = S(losses: ["2025-03-10"])
        named.add(curettage("cur", on: "2026-01-22", reason: .complex("reasonReference", [.primitive("reference", "Condition/loss-1")])))
        named.fullUrls = "server"
        #expect(try InProcess.apply(named).resources("CarePlan").isEmpty)
    }

    /// `parentalKaryotypeAbnormal` v3: the partner known as a translocation carrier (a Condition,
    /// ICD-10 Q95.0) gets genetic counselling, and a karyotype order in the input is not flagged.
    @Test func aPartnerKnownAsACarrierIsAnAbnormalParentalKaryotype() throws {
        var s = S()
        s.fullUrls = "server"
        s.add(.resource("RelatedPerson", [.primitive("id", "partner"), .complex("patient", [.primitive("reference", "PATIENT")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB")]))
        s.add(.resource("Condition", [.primitive("id", "t"), S.concept("code", S.icd10, "Q95.0"),
                                      .complex("subject", [.primitive("reference", "RelatedPerson/partner")])]))
        let out = try flagged(S.serviceRequest("sr", S.sct, "444309000"), in: s)
        #expect(out.fired.contains("RPL-GENETIC-COUNSELING"))
        #expect(!out.flags.contains("NR-KARYOTYPE"))
    }

    /// `tsh` v2/v3: a month-only date wholly inside the lookback window is a result (no TSH
    /// ordered again); one that straddles the window's start is a warning and not used.
    @Test func aTSHWithAMonthOnlyDateInsideTheWindowCounts() throws {
        var inside = S()
        inside.add(S.tsh("2.1", date: "2026-06"))
        #expect(!(try InProcess.apply(inside).fired.contains("RPL-TSH")))
        var straddles = S()
        straddles.add(S.tsh("2.1", date: "2025"))
        let out = try InProcess.apply(straddles)
        #expect(out.fired.contains("RPL-TSH"))
        #expect(out.stderr.contains("may be before or after the start of the lookback window"))
    }

    /// "One code list per concept": ANA ordered under either LOINC code of ValueSet rpl-ana is
    /// flagged alike (it was flagged by 8061-4 only).
    @Test func anaIsRecognisedByEveryCodeOfItsList() throws {
        for code in ["8061-4", "5048-4"] {
            #expect(try flagged(S.serviceRequest("sr", S.loinc, code)).flags == ["NR-IMMUNOLOGY"], "\(code)")
        }
    }

    /// guideline.md v3: vaginal progesterone already prescribed is not proposed again (a note).
    @Test func progesteroneAlreadyPrescribedIsNotProposedAgain() throws {
        var s = S(losses: ["2023-01-10", "2024-01-10", "2025-03-10"])
        s.add(S.condition("preg", S.sct, "77386006", onset: "2026-08-24"))
        s.add(S.observation("ga", S.loinc, "49051-6", date: "2026-11-02", value: S.quantity("10", "wk", code: "wk")))
        s.add(S.condition("bleed", S.sct, "54048003", onset: "2026-10-30"))
        #expect(try InProcess.apply(s).requests("progesterone-vaginal").count == 1)
        s.add(S.medicationRequest("prog", S.atc, "G03DA04"))
        let out = try InProcess.apply(s)
        #expect(out.requests("progesterone-vaginal").isEmpty)
        #expect(out.notes.contains { $0.hasPrefix("RPL-PROGESTERONE") && $0.contains("already taken or requested") })
    }

    /// NR-DRUGS v3, assisted reproduction: hCG (the trigger) or progesterone (luteal support)
    /// requested for infertility treatment (the reason, or a recorded N97/Z31) is not an RPL
    /// treatment: no flag, a note; without it, flagged.
    @Test func assistedReproductionIsAnotherIndication() throws {
        for atc in ["G03GA01", "G03DA04"] {
            #expect(try flagged(S.medicationRequest("mr", S.atc, atc)).flags == ["NR-DRUGS"], "\(atc)")
            let ivf = Element.resource("MedicationRequest", [.primitive("id", "mr"), .primitive("status", "active"), .primitive("intent", "order"),
                                                             S.concept("medicationCodeableConcept", S.atc, atc), S.subject,
                                                             .complex("reasonCode", [.complex("coding", [.primitive("system", S.icd10), .primitive("code", "Z31.2")])])])
            let out = try flagged(ivf)
            #expect(out.flags.isEmpty, "\(atc): \(out.flags)")
            #expect(out.notes.contains { $0.contains("another indication") }, "\(atc)")
        }
        var infertile = S()
        infertile.add(S.condition("n97", S.icd10, "N97.9", onset: "2024-01-01"))
        #expect(try flagged(S.medicationRequest("mr", S.atc, "G03GA01"), in: infertile).flags.isEmpty)
    }

    /// `familyHistoryRPL`: siblings include twins (TWINSIS …), as guideline.md lists.
    @Test func aTwinSisterWithRecurrentMiscarriageIsFamilyHistory() throws {
        var s = S(birthDate: "1992-05-01", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        s.add(.resource("FamilyMemberHistory", [.primitive("id", "twin"), .primitive("status", "completed"),
                                                .complex("patient", [.primitive("reference", "PATIENT")]),
                                                S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "TWINSIS"),
                                                .complex("condition", [S.concept("code", S.sct, "102878001")])]))
        #expect(try InProcess.apply(s).fired.contains("RPL-KARYOTYPE"))
    }
}
