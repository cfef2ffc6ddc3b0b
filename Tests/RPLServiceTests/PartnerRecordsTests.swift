import Foundation
import FHIR
import Hummingbird
import HummingbirdTesting
import NIOCore
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// interface.md v3, serve: the partner's records, read from `fhirServer` (a real HTTP server on
/// loopback here, answering as a careless server might), or said to be unchecked.
@Suite struct PartnerRecordsTests {
    static let bsnOID = "urn:oid:2.16.840.1.113883.2.4.6.3", bsnURI = "http://fhir.nl/fhir/NamingSystem/bsn"

    /// Her record with a RelatedPerson coded as her husband (his BSN spelled as an OID).
    static func record(hisPatientToo: Bool = false) -> Scenario {
        var record = Serve.indicated
        record.add(.resource("RelatedPerson", [
            .primitive("id", "rp-piet"),
            .complex("identifier", [.primitive("system", bsnOID), .primitive("value", "999911132")]),
            .complex("patient", [.primitive("reference", "PATIENT")]),
            .complex("relationship", [.complex("coding", [.primitive("system", "http://terminology.hl7.org/CodeSystem/v3-RoleCode"), .primitive("code", "HUSB")])]),
        ]))
        if hisPatientToo { record.add(him) }
        return record
    }

    static let him = Element.resource("Patient", [
        .primitive("id", "piet"), .complex("identifier", [.primitive("system", bsnURI), .primitive("value", "999911132")]),
        .primitive("gender", "male"), .primitive("birthDate", "1990-02-01"),
    ])

    /// A server that answers any Patient search with a woman who is not him and with him, and
    /// holds his smoking status; `failing`: his Observations answer 500.
    static func server(failing: Bool = false) -> some ApplicationProtocol {
        let stranger = Element.resource("Patient", [
            .primitive("id", "stranger"), .complex("identifier", [.primitive("system", bsnURI), .primitive("value", "111222333")]),
            .primitive("gender", "female"), .primitive("birthDate", "1991-01-01"),
        ])
        let smokes = Element.resource("Observation", [
            .primitive("id", "piet-smoking"), .primitive("status", "final"),
            .complex("code", [.complex("coding", [.primitive("system", "http://loinc.org"), .primitive("code", "72166-2")])]),
            .complex("subject", [.primitive("reference", "Patient/piet")]), .primitive("effectiveDateTime", "2026-10-01"),
            .complex("valueCodeableConcept", [.complex("coding", [.primitive("system", "http://snomed.info/sct"), .primitive("code", "449868002")])]),
        ])
        @Sendable func searchset(_ rs: [Element]) -> Response {
            let b = Element.resource("Bundle", [.primitive("type", "searchset")] + rs.map { .complex("entry", [.wrapping("resource", $0)]) })
            return Response(status: .ok, headers: [.contentType: "application/fhir+json"], body: .init(byteBuffer: ByteBuffer(bytes: (try? JSONWriter().write(b)) ?? [])))
        }
        let router = Router()
        router.get("fhir/:type") { request, context -> Response in
            switch context.parameters.get("type") ?? "" {
            case "Patient": return searchset([stranger, him])  // it ignores the identifier
            case "Observation" where failing: return Response(status: .internalServerError)
            case "Observation" where request.uri.queryParameters["patient"] == "piet": return searchset([smokes])
            default: return searchset([])
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func view(_ record: Scenario, fhirServer: String?) async throws -> (status: Int, detail: String) {
        let extra = fhirServer.map { "\"fhirServer\":\"\($0)\"," } ?? ""
        let answer = await Serve.engine().hook("rpl-patient-view", body: Serve.request("patient-view", context: Serve.context(), prefetch: Serve.prefetch(record), extra: extra), client: nil)
        let cards = (try? Serve.json(answer.body))?["cards"] as? [[String: Any]] ?? []
        return (answer.status, cards.first?["detail"] as? String ?? "")
    }

    @Test func hisRecordsAreReadFromTheServerAndOnlyHis() async throws {
        try await Self.server().test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))/fhir"
            // The server answers a stranger too: she is not added to the record (two women: 422).
            let found = try await Self.view(Self.record(), fhirServer: base)
            #expect(found.status == 200 && found.detail.contains("partner smokes") && !found.detail.contains("Partner's records not checked"), "\(found)")
            // His Patient already in the prefetch: his records are still read (no prefetch holds them).
            let present = try await Self.view(Self.record(hisPatientToo: true), fhirServer: base)
            #expect(present.status == 200 && present.detail.contains("partner smokes"), "\(present)")
            // Without the server: not checked, said.
            let without = try await Self.view(Self.record(), fhirServer: nil)
            #expect(without.status == 200 && without.detail.contains("Partner's records not checked") && !without.detail.contains("partner smokes"))
        }
        try await Self.server(failing: true).test(.live) { client in
            let failed = try await Self.view(Self.record(), fhirServer: "http://127.0.0.1:\(try #require(client.port))/fhir")
            // His records failing is not her request failing: the card, saying they were not checked.
            #expect(failed.status == 200 && failed.detail.contains("Partner's records not checked"), "\(failed)")
        }
    }

    @Test func aKaryotypeWarningSaysHisRecordsWereNotChecked() async throws {
        let draft = Scenario.replaceSubject(Scenario.serviceRequest("karyo", Scenario.loinc, "29770-5", text: "Karyotype", status: "draft"), with: "Patient/anna")
        let answer = await Serve.engine().hook("rpl-order-sign", body: Serve.request("order-sign", context: Serve.context(drafts: [draft]), prefetch: Serve.prefetch(Self.record())), client: nil)
        let cards = try Serve.checkCards(try Serve.json(answer.body))
        let warning = try #require(cards.first { ($0["detail"] as? String)?.contains("**NR-KARYOTYPE**") == true })
        #expect((warning["detail"] as? String)?.contains("Partner's records not checked") == true)
    }
}
