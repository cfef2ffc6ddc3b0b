import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct AntiphospholipidFactTests {
    @Test func onlyAConfirmedSpecificCodeIsAPS() throws {
        var confirmed = S(); confirmed.add(S.condition("aps", S.sct, "26843008", onset: "2022-01-01"))
        #expect(try FactRun.read(confirmed, [Antiphospholipid.self]).facts.apsDiagnosed.count == 1)
        var d686 = S(); d686.add(S.condition("aps", S.icd10, "D68.6", onset: "2022-01-01"))
        let (f, w) = try FactRun.read(d686, [Antiphospholipid.self])
        #expect(f.apsDiagnosed.isEmpty)
        #expect(w.contains { $0.contains("not specific for antiphospholipid syndrome") })
    }

    /// guideline.md v3 (the fourth clinical audit): aspirin recorded active with no known end and
    /// older than 12 months is not taken now: proposed, with a note naming the record; a recent one
    /// is taken (not proposed again).
    @Test func aStaleAspirinRecordIsProposedWithANote() throws {
        func scenario(since: String) -> S {
            var s = S(losses: ["2024-03-10", "2025-01-22", "2026-01-22"])
            s.add(S.condition("aps", S.sct, "26843008", onset: "2022-01-01"))
            s.add(.resource("MedicationStatement", [.primitive("id", "asa"), .primitive("status", "active"),
                                                    S.concept("medicationCodeableConcept", S.atc, "B01AC06", text: "acetylsalicylzuur 80 mg"),
                                                    S.subject, .primitive("effectiveDateTime", since)]))
            return s
        }
        let stale = try FactRun.read(scenario(since: "2024-01-10"), [Antiphospholipid.self]).facts
        #expect(stale.aspirinTakenOrRequested.isEmpty && stale.aspirinStale.count == 1)
        let recent = try FactRun.read(scenario(since: "2026-06-01"), [Antiphospholipid.self]).facts
        #expect(recent.aspirinTakenOrRequested.count == 1 && recent.aspirinStale.isEmpty)

        let out = try InProcess.apply(scenario(since: "2024-01-10"), asOf: "2026-11-02")
        let text = String(decoding: out.stdout, as: UTF8.self)
        // The drug named as the terminology names its code (the README), the record in the sources.
        #expect(text.contains("low-dose aspirin from before conception, with LMWH from a positive pregnancy test. acetylsalicylic acid is recorded active since 2024-01-10 with no known end (older than 12 months)"))
        // R4 lets a MedicationRequest's reasonReference name a Condition or an Observation only:
        // the record is named in the note instead (helper-34's review).
        #expect(text.contains("Also based on: MedicationStatement/asa."))
        #expect(!out.resources("MedicationRequest").contains { $0.children("reasonReference").contains { $0.string("reference") == "MedicationStatement/asa" } })
        let proposed = try InProcess.apply(scenario(since: "2026-06-01"), asOf: "2026-11-02")
        #expect(!String(decoding: proposed.stdout, as: UTF8.self).contains("no known end"))
    }

    /// The months are a setting (`medicationWithoutEndMonths`): the note names the site's, not the
    /// default's 12, and a record younger than the site's months is taken.
    @Test func theStaleNoteNamesTheSitesMonths() throws {
        var s = S(losses: ["2024-03-10", "2025-01-22", "2026-01-22"])
        s.add(S.condition("aps", S.sct, "26843008", onset: "2022-01-01"))
        s.add(.resource("MedicationStatement", [.primitive("id", "asa"), .primitive("status", "active"),
                                                S.concept("medicationCodeableConcept", S.atc, "B01AC06"),
                                                S.subject, .primitive("effectiveDateTime", "2024-01-10")]))
        func months(_ n: Int) throws -> Profiles {
            try InProcess.profiles(changing: "Parameters-rpl-defaults.json") {
                $0.replacingOccurrences(of: "\"name\": \"medicationWithoutEndMonths\",\n      \"valueInteger\": 12",
                                        with: "\"name\": \"medicationWithoutEndMonths\",\n      \"valueInteger\": \(n)")
            }
        }
        // 2024-01-10 to the evaluation date 2026-11-02: 33 months.
        let two = try months(24), one = try months(1), three = try months(36)
        #expect(two.defaults.medicationWithoutEndMonths == 24 && three.defaults.medicationWithoutEndMonths == 36)
        let text = { (p: Profiles) throws -> String in String(decoding: try InProcess.apply(s, asOf: "2026-11-02", profiles: p).stdout, as: UTF8.self) }
        #expect(try text(two).contains("acetylsalicylic acid is recorded active since 2024-01-10 with no known end (older than 24 months): not taken as current"))
        #expect(try text(one).contains("with no known end (older than 1 month): not taken as current"))
        let taken = try text(three)
        #expect(!taken.contains("no known end") && taken.contains("is already taken or requested; not proposed again"))
    }

    /// The same for a heparin and for vaginal progesterone (the note itself: the rules' tests).
    @Test func staleHeparinAndProgesteroneRecordsAreNotTaken() throws {
        func facts(_ atc: String, since: String) throws -> Facts {
            var s = S(losses: ["2024-03-10", "2025-01-22", "2026-01-22"])
            s.add(.resource("MedicationStatement", [.primitive("id", "med"), .primitive("status", "active"),
                                                    S.concept("medicationCodeableConcept", S.atc, atc), S.subject, .primitive("effectiveDateTime", since)]))
            return try FactRun.read(s, [Antiphospholipid.self]).facts
        }
        let heparin = try facts("B01AB05", since: "2024-01-10"), heparinNow = try facts("B01AB05", since: "2026-06-01")
        #expect(heparin.heparinStale.count == 1 && heparin.heparinTakenOrRequested.isEmpty)
        #expect(heparinNow.heparinStale.isEmpty && heparinNow.heparinTakenOrRequested.count == 1)
        let progesterone = try facts("G03DA04", since: "2024-01-10"), progesteroneNow = try facts("G03DA04", since: "2026-06-01")
        #expect(progesterone.progesteroneStale.count == 1 && progesterone.progesteroneTakenOrRequested.isEmpty)
        #expect(progesteroneNow.progesteroneStale.isEmpty && progesteroneNow.progesteroneTakenOrRequested.count == 1)
    }
}
