import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// The review of the v3 change (issue 16): each finding at its boundary, through the public API.
@Suite(.serialized) struct ReviewFindingsTests {
    /// An onset that cannot be dated (an age with no birth date) is undated: the loss counts.
    @Test func anUndatableOnsetIsUndatedNotDropped() throws {
        var s = S(birthDate: nil, losses: ["2024-05-01"])
        s.add(S.condition("age", S.sct, "17369002", onset: nil, extra: [
            .complex("onsetAge", [.primitive("value", "30", kind: .number), .primitive("code", "a")])]))
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").count == 1)
        #expect(out.stderr.contains("cannot be dated; read as undated"))
    }

    /// A lab's H on an anticardiolipin level with no reference range is positive: the project's
    /// default limit applies only with no range and no interpretation.
    @Test func anInterpretationWithoutARangeDecides() throws {
        var s = S()
        for r in S.allAPLNegative(date: "2026-01-01").filter({ $0.string("id") != "aclg-neg" }) { s.add(r) }
        s.add(S.observation("acl", S.loinc, "3181-5", date: "2026-09-01", value: S.quantity("25", "GPL"), interpretation: "H"))
        let out = try InProcess.apply(s)
        #expect(out.requests("apl-repeat").count == 1)
        #expect(!out.stderr.contains("disagree") && !out.stderr.contains("its value reads"))
    }

    /// A request's `boundsDuration` ends its use: levothyroxine for 30 days from March is not
    /// taken in November; overt hypothyroidism gets the proposal.
    @Test func boundsDurationEndsUse() throws {
        var s = S()
        s.add(S.tsh("12.0")); s.add(S.freeT4("5"))
        s.add(.resource("MedicationRequest", [.primitive("id", "levo"), .primitive("status", "active"), .primitive("intent", "order"),
                                              S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject,
                                              .primitive("authoredOn", "2026-03-01"),
                                              .complex("dosageInstruction", [.complex("timing", [.complex("repeat", [
                                                  .complex("boundsDuration", [.primitive("value", "30", kind: .number), .primitive("code", "d")])])])])]))
        #expect(try InProcess.apply(s).requests("levothyroxine").count == 1)
    }

    /// A positive hCG more than 42w6d ago is no current pregnancy; a high hCG against its own
    /// range is read (not as an antibody level).
    @Test func hCGIsReadAsHCG() throws {
        var old = S(losses: ["2023-02-01", "2025-01-10"])
        old.add(S.observation("hcg", S.loinc, "2106-3", date: "2025-04-10", value: S.concept("valueCodeableConcept", S.loinc, "LA6576-8")))
        let o = try InProcess.apply(old)
        #expect(o.requests("uterine-ultrasound").count == 1)
        var high = S(losses: ["2023-02-01", "2025-01-10"])
        high.add(S.observation("hcg", S.loinc, "2110-5", date: "2026-10-25", value: S.quantity("52000", "[IU]/L"), range: (nil, "5")))
        let h = try InProcess.apply(high)
        #expect(h.requests("uterine-ultrasound").isEmpty)
        #expect(!h.stderr.contains("implausible"))
    }

    /// A resolved pregnancy of unknown location treated as an ectopic (a salpingectomy for it) is
    /// that ectopic pregnancy, not a loss.
    @Test func anEctopicProcedureCancelsAPUL() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("pul", S.sct, "858901000000108", onset: "2026-03-01", clinical: "resolved"))
        s.add(.resource("Procedure", [.primitive("id", "salp"), .primitive("status", "completed"), S.concept("code", S.sct, "67421004"),
                                      S.subject, .primitive("performedDateTime", "2026-03-10"),
                                      S.concept("reasonCode", "http://hl7.org/fhir/sid/icd-10", "O00.1")]))
        #expect(try InProcess.apply(s).resources("CarePlan").isEmpty)
    }

    /// A RelatedPerson of the husband naming her as his wife does not make him the patient.
    @Test func herHusbandsRecordOfHerDoesNotMakeHimThePatient() throws {
        var s = S()
        s.add(.resource("Patient", [.primitive("id", "bob"), .complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", "999912290")]),
                                    .primitive("gender", "male")]))
        s.add(.resource("RelatedPerson", [.primitive("id", "wife"), .complex("patient", [.primitive("reference", "Patient/bob")]),
                                          S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "WIFE"),
                                          .complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", "999911120")])]))
        s.fullUrls = "server"
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").count == 1)
        #expect(!out.stderr.contains("not a woman"))
    }

    /// A long-term drug confirmed last month (`dateAsserted`) is taken now, whenever it started.
    @Test func aRecentlyConfirmedLongTermDrugIsCurrent() throws {
        var s = S()
        s.add(S.tsh("12.0")); s.add(S.freeT4("5"))
        s.add(.resource("MedicationStatement", [.primitive("id", "levo"), .primitive("status", "active"),
                                                S.concept("medicationCodeableConcept", S.atc, "H03AA01"), S.subject,
                                                .complex("effectivePeriod", [.primitive("start", "2018-01-01")]), .primitive("dateAsserted", "2026-10-15")]))
        #expect(try InProcess.apply(s).requests("levothyroxine").isEmpty)
    }

    /// What names a resource in a note or warning never depends on entry order: two treatments,
    /// two locating results, two falling hCG values on one day.
    @Test func namesDoNotDependOnEntryOrder() throws {
        var s = S(losses: ["2025-03-10"])
        s.add(S.condition("pul", S.sct, "858901000000108", onset: "2026-03-01", clinical: "resolved"))
        s.add(S.observation("ga1", S.loinc, "11884-4", date: "2026-03-10", value: S.quantity("6", "wk", code: "wk")))
        s.add(S.observation("ga2", S.loinc, "11884-4", date: "2026-03-12", value: S.quantity("6", "wk", code: "wk")))
        s.add(S.observation("h1", S.loinc, "2110-5", date: "2026-09-01", value: S.quantity("100", "[IU]/L")))
        s.add(S.observation("h2", S.loinc, "2110-5", date: "2026-09-03", value: S.quantity("40", "[IU]/L")))
        s.add(S.observation("h3", S.loinc, "2110-5", date: "2026-09-03", value: S.quantity("60", "[IU]/L")))
        var reversed = s
        reversed.resources.reverse()
        let a = try InProcess.apply(s), b = try InProcess.apply(reversed)
        #expect(a.stderr == b.stderr)
        #expect(a.stdout == b.stdout)
    }
}
