import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// interface.md v3, "Who may be ordered for": orders are signed only for a patient with a business
/// identifier; HL7 v2 carries each identifier with its assigning authority and type, the
/// requester's AGB code, and never cuts an identifier. In-process (exit codes: EndToEndTests).
@Suite(.serialized) struct WhoMayBeOrderedForTests {
    static let agb = "http://fhir.nl/fhir/NamingSystem/agb-z|01234567"
    static let mrn = "http://hospital.example.nl/fhir/NamingSystem/mrn"

    /// Two losses and a high TSH: free T4 and the antiphospholipid tests are laboratory orders.
    func typical(identifiers: [(String, String)]? = nil, family: String? = nil) -> S {
        var s = S()
        s.add(S.tsh("4.6"))
        if let identifiers {
            s.patient.children.removeAll { $0.name == "identifier" }
            for (system, value) in identifiers.reversed() {
                s.patient.children.insert(.complex("identifier", [.primitive("system", system), .primitive("value", value)]), at: 1)
            }
        }
        if let family { s.patient.children.append(.complex("name", [.primitive("family", family), .primitive("given", "Anna")])) }
        return s
    }

    func pid(_ messages: [String]) -> [Substring] {
        messages.first?.split(separator: "\r").first { $0.hasPrefix("PID|") }?.split(separator: "|", omittingEmptySubsequences: false) ?? []
    }

    func site(_ authorities: String) throws -> Profiles {
        try InProcess.profiles(changing: "Parameters-rpl-site.json") {
            $0.replacingOccurrences(of: #""parameter": ["#, with: #""parameter": ["# + authorities + ",")
        }
    }

    static let mrnAuthority = #"{"name": "hl7v2AssigningAuthorities", "part": [{"name": "system", "valueUri": "http://hospital.example.nl/fhir/NamingSystem/mrn"}, {"name": "authority", "valueString": "UMCU"}, {"name": "type", "valueCode": "MR"}]}"#

    @Test func aPatientWithoutAnIdentifierGetsDraftProposalsAndAWarning() throws {
        let out = try InProcess.apply(typical(identifiers: []), requester: Self.agb)
        let requests = out.resources("ServiceRequest")
        #expect(!requests.isEmpty)
        for r in requests {
            #expect(r.string("status") == "draft" && r.string("intent") == "proposal", "\(r.string("id") ?? "")")
            #expect(r.child("requester") == nil)
        }
        #expect(out.stderr.contains("has no business identifier"), "\(out.stderr)")
        #expect(out.notes.contains { $0.contains("Input warning: the patient has no business identifier") })
        // With an identifier the same requester signs them.
        #expect(try InProcess.apply(typical(), requester: Self.agb).resources("ServiceRequest").contains { $0.string("intent") == "order" })
    }

    @Test func aPatientWithoutAnIdentifierIsRefusedInHL7() throws {
        #expect {
            try InProcess.hl7v2(typical(identifiers: []), requester: Self.agb)
        } throws: { ($0 as? HL7v2.Refusal)?.field == "PID-3" && ($0 as? HL7v2.Refusal)?.location == "Patient.identifier" }
    }

    @Test func anMRNWithAConfiguredAuthorityIsInPID3() throws {
        let profiles = try site(Self.mrnAuthority)
        let out = try InProcess.hl7v2(typical(identifiers: [(Self.mrn, "H123456"), ("http://fhir.nl/fhir/NamingSystem/bsn", "999911120")]),
                                      profiles: profiles, requester: Self.agb)
        // The BSN first, then sorted: not the order of the record (the new user's trial).
        #expect(pid(out.messages)[3] == "999911120^^^NLMINBIZA^NNNLD~H123456^^^UMCU^MR")
        #expect(out.warnings.isEmpty, "\(out.warnings)")
        // Type PI unless given; the BSN by its OID.
        let pi = try site(Self.mrnAuthority.replacingOccurrences(of: #", {"name": "type", "valueCode": "MR"}"#, with: ""))
        let byOID = try InProcess.hl7v2(typical(identifiers: [("urn:oid:2.16.840.1.113883.2.4.6.3", "999911120"), (Self.mrn, "H123456")]),
                                        profiles: pi, requester: Self.agb)
        #expect(pid(byOID.messages)[3] == "999911120^^^NLMINBIZA^NNNLD~H123456^^^UMCU^PI")
    }

    /// The new user's trial: PID-3 followed the record's order, kept padding, sent an old MRN and
    /// the BSN twice (by URI and by OID); two valid BSNs made the identity follow the first.
    @Test func pid3IsOneSpellingWhateverTheRecord() throws {
        let profiles = try site(Self.mrnAuthority)
        let messy = try InProcess.hl7v2(typical(identifiers: [(Self.mrn, " H123456"), ("urn:oid:2.16.840.1.113883.2.4.6.3", "999911120 "),
                                                               ("http://fhir.nl/fhir/NamingSystem/bsn", "999911120")]), profiles: profiles, requester: Self.agb)
        #expect(pid(messy.messages)[3] == "999911120^^^NLMINBIZA^NNNLD~H123456^^^UMCU^MR")
        var old = typical(identifiers: [("http://fhir.nl/fhir/NamingSystem/bsn", "999911120")])
        old.patient.children.insert(.complex("identifier", [.primitive("use", "old"), .primitive("system", Self.mrn), .primitive("value", "H000001")]), at: 1)
        #expect(pid(try InProcess.hl7v2(old, profiles: profiles, requester: Self.agb).messages)[3] == "999911120^^^NLMINBIZA^NNNLD")
    }

    @Test func twoValidBSNsGiveTheSameIdentityInEitherOrderAndAWarning() throws {
        let ab = try InProcess.apply(typical(identifiers: [("http://fhir.nl/fhir/NamingSystem/bsn", "999911132"), ("http://fhir.nl/fhir/NamingSystem/bsn", "999911120")]))
        let ba = try InProcess.apply(typical(identifiers: [("http://fhir.nl/fhir/NamingSystem/bsn", "999911120"), ("http://fhir.nl/fhir/NamingSystem/bsn", "999911132")]))
        #expect(Set(ab.resources("ServiceRequest").compactMap { $0.string("id") }) == Set(ba.resources("ServiceRequest").compactMap { $0.string("id") }))
        #expect(ab.stderr.contains("two different valid BSNs"))
    }

    @Test func anAGBCodeIsDigits() throws {
        #expect(SiteSettings.requester("http://fhir.nl/fhir/NamingSystem/agb-z|0123^45|6").map(OrderSet.Requester.init)?.agb == nil)
        #expect(SiteSettings.requester("urn:oid:2.16.840.1.113883.2.4.6.1| 01234567").map(OrderSet.Requester.init)?.agb == "01234567")
    }

    @Test func anIdentifierWithoutAnAuthorityIsLeftOutOrRefusedWhenNoneRemain() throws {
        let out = try InProcess.hl7v2(typical(identifiers: [(Self.mrn, "H123456"), ("http://fhir.nl/fhir/NamingSystem/bsn", "999911120")]), requester: Self.agb)
        #expect(pid(out.messages)[3] == "999911120^^^NLMINBIZA^NNNLD")
        #expect(out.warnings.contains { $0.contains("PID-3") && $0.contains(Self.mrn) && $0.contains("left out") }, "\(out.warnings)")
        #expect {
            try InProcess.hl7v2(typical(identifiers: [(Self.mrn, "H123456")]), requester: Self.agb)
        } throws: { ($0 as? HL7v2.Refusal)?.field == "PID-3" }
    }

    @Test func anIdentifierTooLongForItsFieldRefusesTheMessage() throws {
        let profiles = try site(Self.mrnAuthority)
        #expect {
            try InProcess.hl7v2(typical(identifiers: [(Self.mrn, "H1234567890123456")]), profiles: profiles, requester: Self.agb)
        } throws: { error in
            guard let r = error as? HL7v2.Refusal else { return false }
            return r.field.hasPrefix("PID-3") && r.location == "Patient.identifier[0]" && r.message.contains("never cut")
        }
        #expect {
            try InProcess.hl7v2(typical(), requester: "http://fhir.nl/fhir/NamingSystem/agb-z|0123456789012345")
        } throws: { ($0 as? HL7v2.Refusal)?.field.hasPrefix("ORC-12") == true }
    }

    @Test func anAGBByOIDLandsInORC12AndOBR16() throws {
        let out = try InProcess.hl7v2(typical(), requester: "urn:oid:2.16.840.1.113883.2.4.6.1|01234567")
        let segments = try #require(out.messages.first).split(separator: "\r")
        let orc = try #require(segments.first { $0.hasPrefix("ORC|") }).split(separator: "|", omittingEmptySubsequences: false)
        let obr = try #require(segments.first { $0.hasPrefix("OBR|") }).split(separator: "|", omittingEmptySubsequences: false)
        #expect(orc[12] == "01234567^^^^^^^^VEKTIS")
        #expect(obr[16] == orc[12])
        #expect(SiteSettings.requester("urn:oid:2.16.528.1.1007.3.1|012345678").map(OrderSet.Requester.init)?.agb == nil)
        #expect(HL7v2.needsAGB(SiteSettings.requester("urn:oid:2.16.528.1.1007.3.1|012345678").map(OrderSet.Requester.init)).contains("a UZI number is not an AGB code"))
    }

    @Test func aLongNameIsCutWithAWarning() throws {
        let family = String(repeating: "van Oldenbarnevelt-", count: 4)  // 76 characters
        let out = try InProcess.hl7v2(typical(family: family), requester: Self.agb)
        let pid5 = pid(out.messages)[5]
        #expect(pid5 == String(family.prefix(HL7v2.Length.surname)) + "^Anna")
        #expect(out.warnings.contains { $0.contains("PID-5.1") && $0.contains("cut to 50") }, "\(out.warnings)")
        // Every message of the patient, one warning.
        #expect(out.warnings.filter { $0.contains("PID-5.1") }.count == 1)
    }
}
