import Foundation
import FHIR
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// interface.md v3, serve: `metadata`, `PlanDefinition/$apply`, `$rpl-transaction`.
@Suite struct FHIRRouteTests {
    typealias S = Scenario

    static func parameters(_ s: Scenario, subjects: [String] = ["Patient/anna"], extra: [Element] = []) throws -> [UInt8] {
        var s = s
        s.fullUrls = "server"
        let p = Element.resource("Parameters", subjects.map { .complex("parameter", [.primitive("name", "subject"), .primitive("valueString", $0)]) }
            + [.complex("parameter", [.primitive("name", "data"), .wrapping("resource", s.bundle())])] + extra)
        return try JSONWriter().write(p)
    }

    @Test func metadataIsACapabilityStatementInJSONAndXML() async throws {
        let app = Serve.app()
        let json = try await Serve.call(app, .get, "/fhir/metadata")
        #expect(json.status == 200)
        let statement = try JSONReader.read(json.body)
        #expect(statement.name == "CapabilityStatement" && statement.string("fhirVersion") == "4.0.1")
        #expect(statement.all("rest.resource.operation").contains { $0.string("name") == "apply" })
        Serve.keep(Data(json.body))
        let xml = try await Serve.call(app, .get, "/fhir/metadata?_format=xml")
        #expect(xml.headers[.contentType] == "application/fhir+xml")
        #expect(try JSONWriter().write(try XMLReader.read(xml.body)) == (try JSONWriter().write(statement)))
    }

    @Test func applyAnswersTheCarePlanWithItsResourcesContained() async throws {
        for uri in ["/fhir/PlanDefinition/rpl-card/$apply", "/fhir/PlanDefinition/rpl-guideline/$apply"] {
            let (status, body, headers) = try await Serve.call(Serve.app(), .post, uri, body: try Self.parameters(Serve.indicated),
                                                               headers: [.contentType: "application/fhir+json"])
            #expect(status == 200)
            #expect(headers[.contentType] == "application/fhir+json")
            Serve.keep(Data(body))
            let plan = try JSONReader.read(body)
            #expect(plan.name == "CarePlan" && plan.string("status") == "draft" && plan.string("intent") == "proposal")
            let contained = plan.children("contained").compactMap(\.resource)
            let group = try #require(contained.first { $0.name == "RequestGroup" })
            let requests = contained.filter { $0.name == "ServiceRequest" || $0.name == "MedicationRequest" }
            #expect(!requests.isEmpty)
            // dom-3: every contained resource is referenced from the CarePlan or its RequestGroup.
            let referenced = Set(plan.all("activity.reference").compactMap { $0.string("reference") } + plan.all("supportingInfo").compactMap { $0.string("reference") }
                + group.all("action.resource").compactMap { $0.string("reference") })
            for r in contained { #expect(referenced.contains("#" + (r.string("id") ?? "")), "\(r.name)") }
            // Draft proposals whatever the site's requester; no transaction urn:uuids inside.
            for r in requests {
                #expect(r.string("status") == "draft")
                #expect(r.child("basedOn")?.string("reference") == "#")
                #expect(r.child("subject")?.string("reference") == "Patient/anna")
            }
        }
    }

    @Test func applyAtTypeLevelNeedsTheCardsURLAndAnswersXML() async throws {
        let url = Element.complex("parameter", [.primitive("name", "url"), .primitive("valueUri", InProcess.profiles.planDefinitionURL)])
        let (status, body, headers) = try await Serve.call(Serve.app(), .post, "/fhir/PlanDefinition/$apply", body: try Self.parameters(Serve.indicated, extra: [url]),
                                                           headers: [.accept: "application/fhir+xml"])
        #expect(status == 200 && headers[.contentType] == "application/fhir+xml")
        #expect(try XMLReader.read(body).name == "CarePlan")
        let other = Element.complex("parameter", [.primitive("name", "url"), .primitive("valueUri", "http://example.org/PlanDefinition/other")])
        #expect(try await Serve.call(Serve.app(), .post, "/fhir/PlanDefinition/$apply", body: try Self.parameters(Serve.indicated, extra: [other])).status == 422)
        #expect(try await Serve.call(Serve.app(), .post, "/fhir/PlanDefinition/$apply", body: try Self.parameters(Serve.indicated)).status == 422)
    }

    @Test func applyRefusesWhatItCannotEvaluate() async throws {
        let app = Serve.app()
        for (body, expected) in [(try Self.parameters(Serve.indicated, subjects: []), 422), (try Self.parameters(Serve.indicated, subjects: ["Patient/anna", "Patient/anna"]), 422),
                                 (try Self.parameters(Serve.indicated, subjects: ["Patient/someone-else"]), 422), (Array("{\"resourceType\":\"Bundle\"".utf8), 400),
                                 (Array("{\"resourceType\":\"Patient\",\"id\":\"x\"}".utf8), 400)] {
            let (status, answer, _) = try await Serve.call(app, .post, "/fhir/PlanDefinition/rpl-card/$apply", body: body)
            #expect(status == expected)
            #expect(try JSONReader.read(answer).name == "OperationOutcome")
            Serve.keep(Data(answer))
        }
        #expect(try await Serve.call(app, .post, "/fhir/PlanDefinition/other/$apply", body: try Self.parameters(Serve.indicated)).status == 404)
        // A subject given as a Reference is read as its string would be (helper-39's trial: it was
        // counted as none); one that names nothing is refused, saying how to name her.
        func asReference(_ value: Element) throws -> [UInt8] {
            var p = try JSONReader.read(try Self.parameters(Serve.indicated))
            p.children = p.children.map { $0.child("name")?.value == "subject" ? .complex("parameter", [.primitive("name", "subject"), value]) : $0 }
            return try JSONWriter().write(p)
        }
        let byReference = try await Serve.call(app, .post, "/fhir/PlanDefinition/rpl-card/$apply", body: try asReference(.complex("valueReference", [.primitive("reference", "Patient/anna")])))
        #expect(byReference.status == 200)
        #expect(byReference.body == (try await Serve.call(app, .post, "/fhir/PlanDefinition/rpl-card/$apply", body: try Self.parameters(Serve.indicated))).body)
        let unnamed = try await Serve.call(app, .post, "/fhir/PlanDefinition/rpl-card/$apply", body: try asReference(.complex("valueReference", [.primitive("display", "Anna")])))
        #expect(unnamed.status == 422 && String(decoding: unnamed.body, as: UTF8.self).contains("must name the patient"))
    }

    @Test func applyForAPatientTheCardDoesNotReachIsACarePlanWithoutActivity() async throws {
        let (status, body, _) = try await Serve.call(Serve.app(), .post, "/fhir/PlanDefinition/rpl-card/$apply", body: try Self.parameters(S(losses: ["2026-01-22"])))
        #expect(status == 200)
        Serve.keep(Data(body))
        let plan = try JSONReader.read(body)
        #expect(plan.name == "CarePlan" && plan.children("activity").isEmpty && plan.children("contained").isEmpty)
        #expect(plan.children("note").first?.string("text")?.hasPrefix("No plan:") == true)
    }

    /// `$rpl-transaction` answers exactly the bytes `apply` writes, for every fixture.
    @Test func rplTransactionIsApplyByteForByte() async throws {
        let engine = Serve.engine()
        let fixtures = InProcess.projectRoot.appendingPathComponent("Fixtures")
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() {
            let input = fixtures.appendingPathComponent(name).appendingPathComponent("input.json")
            // Inputs that name themselves (an unnamed one is named by a digest of its bytes, which
            // scripts/test-serve.py compares against the command itself).
            guard let bytes = FileManager.default.contents(atPath: input.path),
                  let bundle = try? JSONReader.read(Array(bytes)), Adapter.namesItself(bundle) else { continue }
            let answer = engine.transaction(body: Array(bytes), format: nil, accept: nil)
            let applied = InProcess.apply(bytes: Array(bytes), format: .json, asOf: "2026-11-02")
            if applied.status == 0 {
                #expect(answer.status == 200 && answer.body == applied.stdout + [0x0A], "\(name)")
            } else {
                #expect(answer.status == 400, "\(name)")
            }
            compared += 1
        }
        #expect(compared > 50)
    }
}
