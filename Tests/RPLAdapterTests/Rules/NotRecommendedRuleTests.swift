import FHIR
import Foundation
import Testing
import TestSupport

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
