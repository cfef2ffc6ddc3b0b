import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// interface.md v2, Orders and Identity: who signs, what a lab needs on a ServiceRequest, one
/// order per person, and ids that survive a resend. In-process.
@Suite(.serialized) struct OrderTests {
    static let agb = "http://fhir.nl/fhir/NamingSystem/agb-z|01234567"

    /// Two losses and a high TSH: free T4, the antiphospholipid tests and the uterus are ordered.
    func typical() -> S {
        var s = S()
        s.add(S.tsh("4.6"))
        return s
    }

    func requests(_ out: Outcome) -> [Element] { out.resources("ServiceRequest") + out.resources("MedicationRequest") }

    @Test func withoutARequesterEveryRequestIsAProposal() throws {
        var s = typical()
        s.add(S.apl("a1", "3181-5", date: "2026-03-01", positive: true)); s.add(S.apl("a2", "3181-5", date: "2026-06-01", positive: true))
        let out = try InProcess.apply(s)
        #expect(!requests(out).isEmpty)
        for r in requests(out) {
            #expect(r.string("status") == "draft" && r.string("intent") == "proposal", "\(r.string("id") ?? "")")
            #expect(r.child("requester") == nil)
        }
        #expect(out.resources("CarePlan").first?.string("status") == "active")
    }

    @Test func aRequesterSignsLaboratoryAndImagingOrdersForThePatientOnly() throws {
        var s = S(birthDate: "1995-01-01", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        s.add(S.tsh("4.6"))
        s.add(.resource("FamilyMemberHistory", [.primitive("id", "f"), .primitive("status", "completed"),
                                                .complex("patient", [.primitive("reference", "PATIENT")]),
                                                S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH"),
                                                .complex("condition", [S.concept("code", S.sct, "102878001")])]))
        s.add(S.apl("a1", "3181-5", date: "2026-03-01", positive: true)); s.add(S.apl("a2", "3181-5", date: "2026-06-01", positive: true))
        let out = try InProcess.apply(s, requester: Self.agb)
        for r in out.resources("ServiceRequest") {
            let activity = String(r.string("instantiatesCanonical")?.split(separator: "/").last ?? "")
            let signed = ["thyroid-ft4", "apl-testing", "uterine-ultrasound"].contains(activity)
            #expect(r.string("status") == (signed ? "active" : "draft") && r.string("intent") == (signed ? "order" : "proposal"), "\(activity)")
            #expect((r.child("requester")?.child("identifier")?.string("value") == "01234567") == signed, "\(activity)")
        }
        // Karyotyping needs consent: a proposal even with a requester; so is every medication.
        #expect(out.requests("parental-karyotyping").allSatisfy { $0.string("intent") == "proposal" })
        #expect(!out.resources("MedicationRequest").isEmpty)
        #expect(out.resources("MedicationRequest").allSatisfy { $0.string("status") == "draft" && $0.string("intent") == "proposal" })
    }

    @Test func whatALabNeedsIsOnTheOrder() throws {
        var s = typical(); s.fullUrls = "server"
        let out = try InProcess.apply(s, requester: Self.agb)
        let ft4 = try #require(out.requests("thyroid-ft4").first)
        let loinc = try #require(ft4.child("code")?.children("coding").first { $0.string("system") == "http://loinc.org" })
        #expect(loinc.string("code") == "14920-3" && loinc.string("display") == "Thyroxine (T4) free [Moles/volume] in Serum or Plasma")
        #expect(ft4.string("priority") == "routine")
        #expect(ft4.child("category")?.child("coding")?.string("code") == "108252007")
        #expect(ft4.child("reasonCode")?.child("coding")?.string("code") == "102878001")
        #expect(ft4.child("reasonCode")?.child("coding")?.string("display") == "Recurrent miscarriage")
        #expect(ft4.child("reasonReference")?.string("reference") == "Observation/tsh")
        // Every antiphospholipid test names its LOINC display; the lupus anticoagulant's specimen is citrated plasma.
        let apl = out.requests("apl-testing")
        #expect(apl.count == 5)
        for r in apl where r.child("code")?.children("coding").contains(where: { $0.string("code") == "3181-5" }) == true {
            #expect(r.child("code")?.children("coding").first { $0.string("code") == "3181-5" }?.string("display") == "Cardiolipin IgG Ab [Units/volume] in Serum by Immunoassay")
        }
        let requisitions = Set((apl + [ft4]).compactMap { $0.child("requisition")?.string("value") })
        #expect(requisitions.count == 1)
    }

    @Test func performersAndRequestStyleComeFromTheSiteSettings() throws {
        let site = try InProcess.profiles(changing: "Parameters-rpl-site.json") { text in
            text.replacingOccurrences(of: #""valueCode": "conditional""#, with: #""valueCode": "put""#)
                .replacingOccurrences(of: #""valueBoolean": true"#, with: #""valueBoolean": false"#)
                .replacingOccurrences(of: #"  "parameter": ["#, with: #"""
                  "parameter": [
                    {"name": "requester", "valueReference": {"type": "Practitioner", "identifier": {"system": "http://fhir.nl/fhir/NamingSystem/agb-z", "value": "07654321"}, "display": "Dr. A. de Vries"}},
                    {"name": "performer", "part": [{"name": "category", "valueCode": "108252007"}, {"name": "performer", "valueReference": {"type": "Organization", "identifier": {"system": "http://fhir.nl/fhir/NamingSystem/agb-z", "value": "98765432"}, "display": "Klinisch chemisch lab"}}]},
                """#)
        }
        #expect(site.site.requestStyle == .put && !site.site.provenance)
        let out = try InProcess.apply(typical(), profiles: site)
        let ft4 = try #require(out.requests("thyroid-ft4").first)
        #expect(ft4.child("requester")?.child("identifier")?.string("value") == "07654321")
        #expect(ft4.child("performer")?.child("identifier")?.string("value") == "98765432")
        #expect(out.requests("uterine-ultrasound").first?.child("performer") == nil)  // imaging: none configured
        #expect(out.resources("Provenance").isEmpty)
        for entry in out.bundle!.children("entry") {
            let r = try #require(entry.child("resource")?.resource)
            #expect(entry.child("request")?.string("method") == "PUT")
            #expect(entry.child("request")?.string("url") == r.name + "/" + (r.string("id") ?? "?"))
        }
        // --requester overrides the site's.
        #expect(try InProcess.apply(typical(), profiles: site, requester: Self.agb).requests("thyroid-ft4").first?
            .child("requester")?.child("identifier")?.string("value") == "01234567")
    }

    @Test func aWrongSiteSettingIsRefusedWhenLoaded() throws {
        #expect(throws: Profiles.LoadError.self) {
            try InProcess.profiles(changing: "Parameters-rpl-site.json") { $0.replacingOccurrences(of: #""valueCode": "conditional""#, with: #""valueCode": "sometimes""#) }
        }
    }

    /// interface.md v2: new urn:uuids and another entry order give the same bytes.
    @Test func aResendWithNewUrnUuidsAndAnotherOrderGivesTheSameBytes() throws {
        var s = typical()
        s.add(S.apl("a1", "3181-5", date: "2026-03-01", positive: true))
        s.add(S.medicationRequest("metformin", S.atc, "A10BA02"))
        s.add(S.condition("bleed", S.sct, "54048003", onset: "2026-10-30"))
        let first = try InProcess.apply(s)
        var again = s
        again.urnSalt = "second send"
        again.resources.reverse()
        let second = try InProcess.apply(again)
        #expect(first.stdout == second.stdout)
        // A new loss is a new episode: new ids throughout.
        var newLoss = s
        newLoss.add(S.condition("loss-3", S.sct, "17369002", onset: "2026-06-01"))
        let third = try InProcess.apply(newLoss)
        let ids = { (o: Outcome) in Set(o.bundle!.children("entry").compactMap { $0.string("fullUrl") }) }
        #expect(ids(first).subtracting(ids(third)).count == ids(first).count - 1)  // only the Patient stays
    }

    @Test func aClosedEarlierOrderOrAStaleResultMakesANewGeneration() throws {
        let plain = try InProcess.apply(S())
        let tshId = { (o: Outcome) in o.requests("thyroid-tsh").first?.string("id") }
        var revoked = S(); revoked.add(S.serviceRequest("old", S.loinc, "3016-3", status: "revoked"))
        #expect(tshId(try InProcess.apply(revoked)) != tshId(plain))
        #expect(tshId(try InProcess.apply(revoked)) == tshId(try InProcess.apply(revoked)))
        var stale = S(); stale.add(S.tsh("2.0", date: "2025-06-01"))
        let staleOut = try InProcess.apply(stale)
        #expect(tshId(staleOut) != tshId(plain))
        #expect(staleOut.requests("thyroid-tsh").first?.child("note")?.string("text")?.contains("The newest, on 2025-06-01, is older than the window.") == true)
    }

    @Test func everyOutputNamesItsInput() throws {
        let notIndicated = try InProcess.apply(S(losses: ["2025-03-10"]))
        #expect(notIndicated.bundle?.child("identifier")?.string("value") == "Bundle/test")
        #expect(notIndicated.bundle?.child("identifier")?.string("system") == "http://rpl-adapter.org/fhir/input")
        #expect(try InProcess.apply(S()).bundle?.child("identifier")?.string("value") == "Bundle/test")
    }
}
