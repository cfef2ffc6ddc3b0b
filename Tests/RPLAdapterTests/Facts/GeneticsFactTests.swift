import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

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

    /// The fourth clinical audit: a translocation karyotype with a specimen type the terminology
    /// does not know was read as hers. Still read as hers (the spec), but a Y chromosome on a
    /// woman's record is a warning; an XX one, or a pregnancy-tissue one, is not.
    @Test func aYChromosomeOnHerRecordIsAWarning() throws {
        func warnings(_ karyotype: String, specimenType: String? = nil) throws -> (Facts, [String]) {
            var s = S()
            var extra: [Element] = [.primitive("valueString", karyotype)]
            if let specimenType {
                s.add(.resource("Specimen", [.primitive("id", "spec"), S.concept("type", S.sct, specimenType), S.subject]))
                extra.append(.complex("specimen", [.primitive("reference", "Specimen/spec")]))
            }
            s.add(S.observation("kar", S.loinc, "29770-5", date: "2026-10-01", extra: extra))
            let (f, w) = try FactRun.read(s, [Genetics.self])
            return (f, w.filter { $0.contains("Y chromosome") })
        }
        let (f, w) = try warnings("46,XY,t(2;5)(q21;q31)", specimenType: "258292002")
        #expect(w.count == 1 && f.parentalKaryotypeAbnormal.count == 1)
        #expect(try warnings("46,XX,t(2;5)(q21;q31)").1.isEmpty)
        let (tissue, none) = try warnings("46,XY,t(2;5)(q21;q31)", specimenType: "440473005")
        #expect(none.isEmpty && tissue.parentalKaryotypeAbnormal.isEmpty && tissue.geneticsReferralReasons.count == 1)
        #expect(try warnings("karyotype 46,XY: normal male").1.isEmpty)
        // Cell counts and mosaics, as labs write them (helper-34's review).
        #expect(try warnings("46,XY[20]").1.count == 1)
        #expect(try warnings("mos 45,X[10]/46,XY[10]").1.count == 1)
        #expect(try warnings("46,XX[15]/46,XY[5]").1.count == 1)
        #expect(try warnings("46,XX[20]").1.isEmpty)
    }

    /// The Y warning is about her record: not a male patient's, nor the partner's karyotype.
    @Test func aYChromosomeIsNoWarningOnAMansRecord() throws {
        var male = S()
        male.add(S.observation("kar", S.loinc, "29770-5", date: "2026-10-01", extra: [.primitive("valueString", "46,XY")]))
        let bundle = male.bundle()
        var changed = bundle
        for i in changed.children.indices {
            guard var r = changed.children[i].child("resource")?.resource, r.name == "Patient" else { continue }
            r.children = r.children.map { $0.name == "gender" ? .primitive("gender", "male") : $0 }
            changed.children[i].children = changed.children[i].children.map { $0.name == "resource" ? .wrapping("resource", r) : $0 }
        }
        let c = try FactContext(input: InputBundle(changed), profiles: InProcess.profiles, date: FactRun.date)
        var f = Facts(evaluationDate: FactRun.date)
        Genetics.read(c, into: &f)
        #expect(!c.orderedWarnings.map(\.description).contains { $0.contains("Y chromosome") })
    }

    /// The partner's own karyotype (on his Patient, known as hers by a coded RelatedPerson with his
    /// identifier) is his, and may well have a Y; so may another person's: no warning for either.
    /// The same record on her Patient is the warning (the guard, not the text, decides).
    @Test func aYChromosomeIsNoWarningOnThePartnersKaryotype() throws {
        let bsn = Element.complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", "900000004")])
        func warnings(subject: String) throws -> [String] {
            var s = S()
            s.fullUrls = "server"
            s.add(.resource("RelatedPerson", [.primitive("id", "husband"), bsn, .complex("patient", [.primitive("reference", "PATIENT")]),
                                              S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "HUSB"),
                                              .primitive("gender", "male")]))
            s.add(.resource("Patient", [.primitive("id", "him"), bsn, .primitive("gender", "male")]))
            s.add(.resource("Patient", [.primitive("id", "someone"), .primitive("gender", "male")]))
            var kar = S.observation("kar", S.loinc, "29770-5", date: "2026-10-01", extra: [.primitive("valueString", "46,XY,t(2;5)(q21;q31)")])
            kar.children = kar.children.map { $0.name == "subject" ? .complex("subject", [.primitive("reference", subject)]) : $0 }
            s.add(kar)
            let (_, w) = try FactRun.read(s, [Genetics.self])
            return w.filter { $0.contains("Y chromosome") }
        }
        #expect(try warnings(subject: "Patient/him").isEmpty)
        #expect(try warnings(subject: "Patient/someone").isEmpty)
        #expect(try warnings(subject: "PATIENT").count == 1)
    }
}
