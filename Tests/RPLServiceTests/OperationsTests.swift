import Foundation
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// interface.md v3, serve, Operations: health, readiness, metrics, CORS, the body limit.
@Suite struct OperationsTests {
    @Test func healthReadinessAndMetricsPerRouteAndRule() async throws {
        let engine = Serve.engine()
        let app = Serve.app(engine)
        #expect(try await Serve.call(app, .get, "/health").status == 200)
        #expect(try await Serve.call(app, .get, "/ready").status == 200)
        let drafts = [Scenario.replaceSubject(Scenario.serviceRequest("thrombophilia", nil, nil, text: "Factor V Leiden mutatie", status: "draft"), with: "Patient/anna")]
        _ = try await Serve.call(app, .post, "/cds-services/rpl-order-sign",
                                 body: Serve.request("order-sign", context: Serve.context(drafts: drafts), prefetch: Serve.prefetch(Serve.indicated)))
        let metrics = String(decoding: try await Serve.call(app, .get, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("rpl_http_requests_total{route=\"/cds-services/{id}\",method=\"POST\",status=\"200\"} 1"))
        #expect(metrics.contains("rpl_http_request_duration_seconds_count{route=\"/cds-services/{id}\"} 1"))
        #expect(metrics.contains("rpl_cds_cards_total{service=\"rpl-order-sign\",rule=\"NR-THROMBOPHILIA\"} 1"))
        // No patient data: the route pattern, never the path.
        #expect(!metrics.contains("anna"))
    }

    @Test func corsOnlyForTheOriginsGiven() async throws {
        let app = Serve.app(origins: ["https://ehr.example.org"])
        let allowed = try await Serve.call(app, .get, "/cds-services", headers: [.origin: "https://ehr.example.org"])
        #expect(allowed.headers[.accessControlAllowOrigin] == "https://ehr.example.org")
        #expect(allowed.headers[.accessControlExposeHeaders]?.contains("RPL-Withdrawals") == true)
        let preflight = try await Serve.call(app, .options, "/cds-services/rpl-patient-view", headers: [.origin: "https://ehr.example.org"])
        #expect(preflight.status == 204 && preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
        let other = try await Serve.call(app, .get, "/cds-services", headers: [.origin: "https://evil.example.org"])
        #expect(other.headers[.accessControlAllowOrigin] == nil)
        #expect(try await Serve.call(Serve.app(), .get, "/cds-services", headers: [.origin: "https://ehr.example.org"]).headers[.accessControlAllowOrigin] == nil)
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        var options = ServeOptions()
        options.bodyLimit = 1024
        let app = Server.application(engine: Serve.engine(), options: options)
        let status = try await Serve.call(app, .post, "/fhir/$rpl-transaction", body: Array(repeating: UInt8(ascii: " "), count: 4096)).status
        #expect(status == 413)
    }
}
