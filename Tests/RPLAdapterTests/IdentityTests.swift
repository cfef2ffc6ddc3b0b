import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// interface.md v3, "Identity from meaning": the findings of the new user's trial, each at its
/// boundary (the metamorphic suite runs the same relations over every fixture).
@Suite(.serialized) struct IdentityTests {
    static let bsn = "http://fhir.nl/fhir/NamingSystem/bsn"
    static let mrnA = "urn:oid:2.16.840.1.113883.2.4.3.11.999.1", mrnB = "urn:oid:2.16.840.1.113883.2.4.3.11.888.1"

    /// Two losses and a high TSH: free T4, the antiphospholipid tests and the uterus are ordered.
    func typical(identifiers: [(String, String)]? = nil, tsh: Element = S.tsh("4.6")) -> S {
        var s = S()
        if let identifiers {
            s.patient.children.removeAll { $0.name == "identifier" }
            let at = s.patient.children.firstIndex { $0.name == "id" }.map { $0 + 1 } ?? 0
            s.patient.children.insert(contentsOf: identifiers.map { .complex("identifier", [.primitive("system", $0.0), .primitive("value", $0.1)]) }, at: at)
        }
        s.add(tsh)
        return s
    }

    /// The output without its correlation echo (`Bundle.identifier`).
    func bytes(_ out: Outcome) throws -> [UInt8] {
        var b = try #require(out.bundle)
        b.children.removeAll { $0.name == "identifier" }
        return try JSONWriter().write(b)
    }

    func patientCondition(_ out: Outcome) -> String? {
        out.bundle?.children("entry").compactMap { $0.child("request")?.string("ifNoneExist") }.first { $0.hasPrefix("identifier=") }
    }

    @Test func anMRNListedBeforeTheBSNChangesNothing() throws {
        let plain = try InProcess.apply(typical())
        let mrnFirst = try InProcess.apply(typical(identifiers: [(Self.mrnA, "12345"), (Self.bsn, "999911120")]))
        let mrnLast = try InProcess.apply(typical(identifiers: [(Self.bsn, "999911120"), (Self.mrnA, "12345")]))
        #expect(patientCondition(mrnFirst) == "identifier=\(Self.bsn)|999911120")
        #expect(try bytes(mrnFirst) == bytes(mrnLast))
        // The orders are the same orders as without the MRN (only the Patient copy differs).
        #expect(Set(plain.resources("ServiceRequest").compactMap { $0.string("id") }) == Set(mrnFirst.resources("ServiceRequest").compactMap { $0.string("id") }))
    }

    @Test func theBSNAsItsOIDIsTheBSN() throws {
        let url = try InProcess.apply(typical())
        let oid = try InProcess.apply(typical(identifiers: [("urn:oid:2.16.840.1.113883.2.4.6.3", "999911120 ")]))
        #expect(try bytes(url) == bytes(oid))
    }

    @Test func aBSNThatFailsTheElevenTestIsNoIdentity() throws {
        let out = try InProcess.apply(typical(identifiers: [(Self.bsn, "123456789"), (Self.mrnA, "12345")]))
        #expect(out.stderr.contains("BSN 123456789 fails the 11-test"))
        #expect(patientCondition(out) == "identifier=\(Self.mrnA)|12345")
    }

    @Test func aPatientKnownOnlyByAFailingBSNIsNotOrderedFor() throws {
        let out = try InProcess.apply(typical(identifiers: [(Self.bsn, "900000001")]), requester: "http://fhir.nl/fhir/NamingSystem/agb-z|01234567")
        #expect(!out.resources("ServiceRequest").isEmpty)
        #expect(out.resources("ServiceRequest").allSatisfy { $0.string("status") == "draft" && $0.child("requester") == nil })
        #expect(out.stderr.contains("fails the 11-test"))
    }

    @Test func withoutABSNTheSitesPreferredSystemWinsWhateverTheOrder() throws {
        let profiles = try InProcess.profiles(changing: "Parameters-rpl-site.json") { text in
            text.replacingOccurrences(of: "\"parameter\": [", with: "\"parameter\": [{\"name\": \"patientIdentifierSystems\", \"valueUri\": \"\(Self.mrnB)\"},")
        }
        let ab = InProcess.apply(bytes: try JSONWriter().write(typical(identifiers: [(Self.mrnA, "1"), (Self.mrnB, "2")]).bundle()), format: .json, asOf: "2026-11-02", profiles: profiles)
        let ba = InProcess.apply(bytes: try JSONWriter().write(typical(identifiers: [(Self.mrnB, "2"), (Self.mrnA, "1")]).bundle()), format: .json, asOf: "2026-11-02", profiles: profiles)
        #expect(patientCondition(ab) == "identifier=\(Self.mrnB)|2")
        #expect(try bytes(ab) == bytes(ba))
        // A second MRN in another system changes nothing either.
        let one = InProcess.apply(bytes: try JSONWriter().write(typical(identifiers: [(Self.mrnB, "2")]).bundle()), format: .json, asOf: "2026-11-02", profiles: profiles)
        #expect(Set(one.resources("ServiceRequest").compactMap { $0.string("id") }) == Set(ab.resources("ServiceRequest").compactMap { $0.string("id") }))
    }

    @Test func aDecimalAUnitSpellingAndATimeZoneFormChangeNothing() throws {
        // The TSH is the resource the free T4 order rests on: its identity is in that order's id.
        let a = try InProcess.apply(typical(tsh: S.tsh("4.6", unit: "mIU/L", date: "2026-10-20T10:00:00+01:00")))
        let b = try InProcess.apply(typical(tsh: S.tsh("4.60", unit: "m[IU]/L", date: "2026-10-20T09:00:00Z")))
        let c = try InProcess.apply(typical(tsh: S.tsh("4.7", unit: "mIU/L", date: "2026-10-20T09:00:00Z")))
        #expect(a.fired.contains("RPL-FT4"))
        #expect(try bytes(a) == bytes(b))
        // A different value is a different result: its order is another order.
        let ids = { (o: Outcome) in Set(o.resources("ServiceRequest").compactMap { $0.string("id") }) }
        #expect(!ids(a).isEmpty && ids(a) != ids(c))
    }
}
