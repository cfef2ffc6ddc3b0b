import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3, "People are who the record says they are": the partner is only a person whose
/// relationship to the patient is coded as a partner, whatever the order of entries.
@Suite(.serialized) struct PartnerTests {
    static let roleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

    static func person(_ id: String, _ code: String?, bsn: String, gender: String) -> Element {
        var c: [Element] = [.primitive("id", id),
                            .complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", bsn)]),
                            .complex("patient", [.primitive("reference", "PATIENT")])]
        if let code { c.append(S.concept("relationship", roleCode, code)) }
        c.append(.primitive("gender", gender))
        return .resource("RelatedPerson", c)
    }

    /// Three losses, age 34, a sister with recurrent miscarriage: both parents karyotyped.
    func karyotypeScenario(_ people: [Element]) -> S {
        var s = S(birthDate: "1992-05-01", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        s.add(.resource("FamilyMemberHistory", [.primitive("id", "sis"), .primitive("status", "completed"),
                                                .complex("patient", [.primitive("reference", "PATIENT")]),
                                                S.concept("relationship", Self.roleCode, "SIS"),
                                                .complex("condition", [S.concept("code", S.sct, "102878001")])]))
        for p in people { s.add(p) }
        return s
    }

    func karyotypeSubjects(_ out: Outcome) -> [String] {
        out.requests("karyotyping").compactMap { $0.child("subject")?.string("reference") }
    }

    @Test func herMotherListedBeforeHerHusbandIsNotThePartner() throws {
        let mother = Self.person("mother", "MTH", bsn: "999911132", gender: "female")
        let husband = Self.person("husband", "HUSB", bsn: "900000004", gender: "male")
        let motherFirst = try InProcess.apply(karyotypeScenario([mother, husband]))
        let husbandFirst = try InProcess.apply(karyotypeScenario([husband, mother]))
        #expect(motherFirst.fired.contains("RPL-KARYOTYPE"))
        // The partner's order names him, by his BSN, whichever comes first; no Patient for her mother.
        let patients = motherFirst.resources("Patient").flatMap { $0.children("identifier").compactMap { $0.string("value") } }
        #expect(patients.contains("900000004") && !patients.contains("999911132"), "\(patients)")
        #expect(Set(karyotypeSubjects(motherFirst)) == Set(karyotypeSubjects(husbandFirst)))
    }

    @Test func anUncodedOrFormerSpouseIsNoPartner() throws {
        for code in [nil, "FMRSPS", "C"] as [String?] {
            let out = try InProcess.apply(karyotypeScenario([Self.person("someone", code, bsn: "900000004", gender: "male")]))
            // No identifiable partner: his karyotyping is a plan activity, never an order for someone else.
            #expect(!out.resources("Patient").contains { $0.children("identifier").contains { $0.string("value") == "900000004" } }, "\(code ?? "uncoded")")
            let details = try #require(out.resources("CarePlan").first).children("activity").compactMap { $0.child("detail") }
            #expect(details.contains { $0.child("code")?.string("text")?.lowercased().contains("partner") == true }, "\(code ?? "uncoded")")
        }
    }
}
