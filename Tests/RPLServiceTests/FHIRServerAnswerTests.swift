import Foundation
import FHIR
import Hummingbird
import HummingbirdTesting
import NIOCore
import RPLAdapter
@testable import RPLService
import Synchronization
import Testing
import TestSupport

/// interface.md v3, serve: a prefetch key that is missing is read from `fhirServer`, and an answer
/// that is not the search's results is incomplete (412), never "no data". Helper-39's trial found
/// a Patient answered to a Condition search, a 404 with an OperationOutcome, a batch-response and
/// a redirect to a server the auth file does not name each read as no conditions: no card for a
/// woman with three losses. A real HTTP server on loopback answers here as those servers did.
@Suite struct FHIRServerAnswerTests {
    enum Answer: Sendable { case results, patient, notFound, batchResponse, redirect, totalBeyondEntries, pagedByPath, otherPatient }

    /// Her Conditions as the prefetch gives them (references by type and id).
    static let losses: [Element] = {
        var s = Serve.indicated
        s.fullUrls = "none"
        return s.bundle().children("entry").compactMap { $0.child("resource")?.resource }.filter { $0.name == "Condition" }
    }()

    static func body(_ e: Element) -> ResponseBody { .init(byteBuffer: ByteBuffer(bytes: (try? JSONWriter().write(e)) ?? [])) }

    /// A server answering every Condition search as `answer` says; `elsewhere` counts the requests
    /// that reach the path a redirect points to.
    final class Hits: Sendable {
        let count = Mutex(0)
    }

    static func server(_ answer: Answer, elsewhere: Hits) -> some ApplicationProtocol {
        let fhir: HTTPFields = [.contentType: "application/fhir+json"]
        let router = Router()
        router.get("elsewhere/fhir/Condition") { _, _ -> Response in
            elsewhere.count.withLock { $0 += 1 }
            return Response(status: .ok, headers: fhir, body: body(.resource("Bundle", [.primitive("type", "searchset")])))
        }
        router.get("fhir/page/2") { _, _ -> Response in
            Response(status: .ok, headers: fhir, body: body(.resource("Bundle", [.primitive("type", "searchset")] + losses.map { .complex("entry", [.wrapping("resource", $0)]) })))
        }
        router.get("fhir/Patient/:id") { _, context -> Response in
            // Asked for her, another Patient (with `otherPatient`), else her.
            let id = answer == .otherPatient ? "someone-else" : (context.parameters.get("id") ?? "")
            return Response(status: .ok, headers: fhir, body: body(.resource("Patient", [.primitive("id", id), .primitive("gender", "female"), .primitive("birthDate", "1990-01-01")])))
        }
        router.get("fhir/Condition") { request, _ -> Response in
            switch answer {
            case .pagedByPath, .otherPatient:
                // A next link with no query string (paging links are opaque).
                let next = "http://\(request.head.authority ?? "")/fhir/page/2"
                return Response(status: .ok, headers: fhir, body: body(.resource("Bundle", [.primitive("type", "searchset"),
                    .complex("link", [.primitive("relation", "next"), .primitive("url", next)])])))
            case .results, .totalBeyondEntries:
                let entries = losses.map { Element.complex("entry", [.wrapping("resource", $0)]) }
                let total = answer == .results ? entries.count : entries.count + 2
                return Response(status: .ok, headers: fhir, body: body(.resource("Bundle", [.primitive("type", "searchset"), .primitive("total", "\(total)", kind: .number)] + entries)))
            case .patient:
                return Response(status: .ok, headers: fhir, body: body(.resource("Patient", [.primitive("id", "anna")])))
            case .notFound:
                return Response(status: .notFound, headers: fhir, body: body(OperationOutcome.make([FHIRFormatError(.notFound, "no such search")])))
            case .batchResponse:
                return Response(status: .ok, headers: fhir, body: body(.resource("Bundle", [.primitive("type", "batch-response")])))
            case .redirect:
                return Response(status: .found, headers: [.location: "/elsewhere/fhir/Condition?" + (request.uri.query ?? "")])
            }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// A patient-view whose prefetch has no `conditions` (read from the server) or the given value;
    /// `withoutPatient`: no `patient` either (read from the server).
    static func view(conditions: String?, fhirServer: String?, withoutPatient: Bool = false) async throws -> (status: Int, body: String) {
        var prefetch = try #require(try JSONSerialization.jsonObject(with: Data(Serve.prefetch(Serve.indicated).utf8)) as? [String: Any])
        prefetch["conditions"] = nil
        if withoutPatient { prefetch["patient"] = nil }
        var text = String(decoding: try JSONSerialization.data(withJSONObject: prefetch), as: UTF8.self)
        if let conditions { text = "{\"conditions\":" + conditions + "," + text.dropFirst() }
        let extra = fhirServer.map { "\"fhirServer\":\"\($0)\"," } ?? ""
        let answer = await Serve.engine().hook("rpl-patient-view", body: Serve.request("patient-view", context: Serve.context(), prefetch: text, extra: extra), client: nil)
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    @Test(arguments: [Answer.results, .patient, .notFound, .batchResponse, .redirect, .totalBeyondEntries, .pagedByPath, .otherPatient])
    func onlyTheSearchsResultsAreRead(answer: Answer) async throws {
        let elsewhere = Hits()
        try await Self.server(answer, elsewhere: elsewhere).test(.live) { client in
            let got = try await Self.view(conditions: nil, fhirServer: "http://127.0.0.1:\(try #require(client.port))/fhir", withoutPatient: answer == .otherPatient)
            if answer == .results || answer == .pagedByPath {
                #expect(got.status == 200 && got.body.contains("pregnancy losses counted"), "\(got)")
            } else {
                #expect(got.status == 412, "\(answer): \(got)")
            }
        }
        // A redirect is not followed: the server it points to is never asked.
        #expect(elsewhere.count.withLock { $0 } == 0)
    }

    /// The prefetch itself: a key of the wrong kind is the client's error (400); a searchset that
    /// holds fewer results than its total, with no next page, is incomplete (412 without a server).
    @Test func aPrefetchOfTheWrongKindOrShortOfItsTotal() async throws {
        let patient = try await Self.view(conditions: "{\"resourceType\":\"Patient\",\"id\":\"anna\"}", fhirServer: nil)
        #expect(patient.status == 400 && patient.body.contains("must be a searchset Bundle"), "\(patient)")
        let short = try await Self.view(conditions: "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":5}", fhirServer: nil)
        #expect(short.status == 412, "\(short)")
        let empty = try await Self.view(conditions: "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}", fhirServer: nil)
        #expect(empty.status == 200, "\(empty)")
        // A Bundle that is not the search's results (helper-40's review: read as none, no card).
        let batch = try await Self.view(conditions: "{\"resourceType\":\"Bundle\",\"type\":\"batch-response\"}", fhirServer: nil)
        #expect(batch.status == 400, "\(batch)")
    }
}
