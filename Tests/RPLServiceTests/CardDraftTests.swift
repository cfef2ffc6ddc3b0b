import Foundation
import FHIR
import HummingbirdTesting
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// interface.md v3, serve, patient-view (helper-39's trial of serve): the card's own drafts,
/// once taken into the record, are not offered again (a create taken twice is two orders); one
/// the plan no longer makes is offered for withdrawal, as `apply` withdraws it; the partner's
/// order names him as R4 allows, with one id whether or not his own Patient is in the record.
@Suite struct CardDraftTests {
    /// Her record as the karyotype footnote needs it (under 35, three losses, a sister with
    /// recurrent miscarriage) with her husband as a RelatedPerson; `hisPatientToo`: and his own Patient.
    static func record(hisPatientToo: Bool = false) -> Scenario {
        var s = Scenario(birthDate: "1991-11-03", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        s.add(.resource("FamilyMemberHistory", [
            .primitive("id", "fmh"), .primitive("status", "completed"), .complex("patient", [.primitive("reference", "PATIENT")]),
            Scenario.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "SIS"),
            .complex("condition", [Scenario.concept("code", Scenario.sct, "102878001")]),
        ]))
        let partner = PartnerRecordsTests.record(hisPatientToo: hisPatientToo)
        for r in partner.resources where r.name == "RelatedPerson" || (r.name == "Patient" && r.string("id") == "piet") { s.add(r) }
        return s
    }

    static func view(_ record: Scenario, fhirServer: String? = nil) async throws -> [String: Any] {
        let extra = fhirServer.map { "\"fhirServer\":\"\($0)\"," } ?? ""
        let answer = await Serve.engine().hook("rpl-patient-view", body: Serve.request("patient-view", context: Serve.context(), prefetch: Serve.prefetch(record), extra: extra), client: nil)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        return try #require(try Serve.checkCards(try Serve.json(answer.body)).first)
    }

    static func created(_ card: [String: Any]) -> [[String: Any]] {
        ((card["suggestions"] as? [[String: Any]]) ?? []).flatMap { ($0["actions"] as? [[String: Any]]) ?? [] }
            .filter { $0["type"] as? String == "create" }.compactMap { $0["resource"] as? [String: Any] }
    }

    /// A suggestion's resource as the EHR stores it after a clinician took it: a server id and version.
    static func stored(_ resource: [String: Any], version: Bool = true) throws -> Element {
        var r = resource
        if version { r["meta"] = ["versionId": "1"] }
        return try JSONReader.read(Array(try JSONSerialization.data(withJSONObject: r)))
    }

    @Test func takenDraftsAreNotOfferedAgainAndStaleOnesAreWithdrawn() async throws {
        let record = Self.record()
        let first = try await Self.view(record)
        let offered = Self.created(first)
        #expect(offered.count >= 8, "\(offered.count)")
        // The partner's karyotype: a Patient by his identity, never a RelatedPerson (R4's subject).
        let subjects = offered.compactMap { $0["subject"] as? [String: Any] }
        #expect(subjects.count == offered.count)
        #expect(!subjects.contains { ($0["reference"] as? String)?.hasPrefix("RelatedPerson/") == true }, "\(subjects)")
        #expect(subjects.contains { $0["type"] as? String == "Patient" && ($0["identifier"] as? [String: Any])?["value"] as? String == "999911132" }, "\(subjects)")
        // His suggestion is labelled as his.
        let labels = ((first["suggestions"] as? [[String: Any]]) ?? []).compactMap { $0["label"] as? String }
        #expect(labels.filter { $0.hasPrefix("Propose for the partner: ") }.count == 1, "\(labels)")

        // Every suggestion taken: the card offers nothing to create again, and says so.
        var taken = record
        for r in offered { taken.add(try Self.stored(r)) }
        let second = try await Self.view(taken)
        #expect(Self.created(second).isEmpty, "\(Self.created(second).count) offered again")
        #expect((second["detail"] as? String)?.contains("Already in the record as drafts, not suggested again") == true)
        #expect((second["summary"] as? String)?.contains("\(offered.count) already drafted") == true, "\(second["summary"] ?? "")")

        // One of them no longer in the plan (a TSH result came): withdrawn by a delete suggestion.
        var changed = taken
        changed.add(Scenario.observation("tsh", Scenario.loinc, "11580-8", date: "2026-10-01", value: Scenario.quantity("2.1", "mIU/L")))
        let third = try await Self.view(changed)
        let tsh = try #require(offered.first { ($0["code"] as? [String: Any])?["text"] as? String == "TSH" })
        let deletes = ((third["suggestions"] as? [[String: Any]]) ?? []).flatMap { ($0["actions"] as? [[String: Any]]) ?? [] }.filter { $0["type"] as? String == "delete" }
        #expect(deletes.map { $0["resourceId"] as? String } == ["ServiceRequest/" + (tsh["id"] as? String ?? "")], "\(deletes)")
        #expect(Self.created(third).isEmpty)
    }

    /// His Patient found on the FHIR server (by his identifier) or not: one order, one id.
    @Test func thePartnersOrderHasOneIdWithOrWithoutHisPatient() async throws {
        let without = Self.partnerOrder(try await Self.view(Self.record()))
        let withoutId = without.id
        try await PartnerRecordsTests.server().test(.live) { client in
            let with = Self.partnerOrder(try await Self.view(Self.record(), fhirServer: "http://127.0.0.1:\(try #require(client.port))/fhir"))
            #expect(with.reference == "Patient/piet", "his own Patient named")
            #expect(withoutId != nil && withoutId == with.id, "\(withoutId ?? "-") \(with.id ?? "-")")
        }
    }

    /// Stale drafts a prefetch gives without `meta` are offered for deletion all the same (a delete
    /// needs no version), his as hers (helper-40's review: "withdraw by hand", and his never).
    @Test func staleDraftsWithoutAVersionAndHisAreOfferedForDeletion() async throws {
        let offered = Self.created(try await Self.view(Self.record()))
        var taken = Self.record()
        for r in offered { taken.add(try Self.stored(r, version: false)) }
        // Her sister's history gone: no karyotyping for either of them any more.
        taken.resources.removeAll { $0.name == "FamilyMemberHistory" }
        let card = try await Self.view(taken)
        let deletes = ((card["suggestions"] as? [[String: Any]]) ?? []).flatMap { ($0["actions"] as? [[String: Any]]) ?? [] }
            .filter { $0["type"] as? String == "delete" }.compactMap { $0["resourceId"] as? String }
        let karyotypes = offered.filter { ($0["code"] as? [String: Any])?["text"] as? String == "Karyotyping of both parents" }.compactMap { $0["id"] as? String }
        #expect(karyotypes.count == 2)
        #expect(deletes.sorted() == karyotypes.map { "ServiceRequest/" + $0 }.sorted(), "\(deletes)")
        #expect((card["detail"] as? String)?.contains("withdraw it by hand") == false)
    }

    /// An open request the card does not recommend is named, as `apply` flags it (helper-39's
    /// trial: an active homocysteine order went unmentioned on the patient-view card).
    @Test func anOpenRequestTheCardDoesNotRecommendIsNamed() async throws {
        var record = Serve.indicated
        record.add(Scenario.serviceRequest("hcy", Scenario.loinc, "13965-9", text: "Homocysteine", status: "active"))
        let card = try await Self.view(record)
        #expect((card["detail"] as? String)?.contains("**NR-HOMOCYSTEINE** — NIET AANBEVOLEN") == true, "\(card["detail"] ?? "")")
    }

    /// A UTF-8 byte order mark before the request is ignored, as `apply` ignores it (RFC 8259
    /// allows it; helper-39's trial got 400): the same answer, byte for byte.
    @Test func aByteOrderMarkIsIgnored() async throws {
        let body = Serve.request("patient-view", context: Serve.context(), prefetch: Serve.prefetch(Serve.indicated))
        let plain = await Serve.engine().hook("rpl-patient-view", body: body, client: nil)
        let marked = await Serve.engine().hook("rpl-patient-view", body: [0xEF, 0xBB, 0xBF] + body, client: nil)
        #expect(plain.status == 200 && marked.status == 200 && marked.body == plain.body)
    }

    /// The partner's order: its id and how its subject names him.
    static func partnerOrder(_ card: [String: Any]) -> (id: String?, reference: String?) {
        let r = created(card).first { ($0["subject"] as? [String: Any])?["reference"] as? String != "Patient/anna" }
        return (r?["id"] as? String, (r?["subject"] as? [String: Any])?["reference"] as? String)
    }
}
