import Foundation
import FHIR
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RPLAdapter
import RPLGuideline
@testable import RPLService
import Testing
import TestSupport

/// The service in the test's process (HummingbirdTesting's router client), evaluating as of
/// 2026-11-02 so that no answer depends on the day the test runs.
enum Serve {
    static let asOf = CalendarDate(fhir: "2026-11-02")

    static func engine(profiles: Profiles = InProcess.profiles, trusting: Bool = false) -> Engine {
        var logger = Logger(label: "rpl-serve-test")
        logger.logLevel = .critical
        // No test waits for the fetch deadline to pass: a generous one, so that a loaded machine
        // (the whole suite runs at once) never turns a read into a 412.
        return Engine(adapter: Adapter(profiles: profiles, language: .en), metrics: ServiceMetrics(), logger: logger, trusting: trusting, asOf: asOf,
                      fetchDeadline: .seconds(600))
    }

    static func app(_ engine: Engine = engine(), trust: Trust? = nil, origins: [String] = []) -> some ApplicationProtocol {
        var options = ServeOptions()
        options.port = 0
        options.trust = trust
        options.allowedOrigins = origins
        return Server.application(engine: engine, options: options)
    }

    /// A request and its answer, in the router.
    static func call(_ app: some ApplicationProtocol, _ method: HTTPRequest.Method, _ uri: String, body: [UInt8] = [],
                     headers: HTTPFields = [:]) async throws -> (status: Int, body: [UInt8], headers: HTTPFields) {
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: method, headers: headers, body: body.isEmpty ? nil : ByteBuffer(bytes: body)) { response in
                (Int(response.status.code), Array(response.body.readableBytesView), response.headers)
            }
        }
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// A FHIR resource as JSON text.
    static func text(_ r: Element) -> String { (try? JSONWriter().string(r)) ?? "null" }

    /// A scenario's record as a hook request's prefetch: the patient, and one searchset per
    /// template; keys with nothing are `null` (the client has no such data).
    static func prefetch(_ s: Scenario) -> String {
        var s = s
        s.fullUrls = "none"
        let resources = s.bundle().children("entry").compactMap { $0.child("resource")?.resource }
        var members: [String] = []
        for (key, template) in Prefetch.templates {
            if key == "patient" { members.append("\"patient\":" + text(resources.first { $0.name == "Patient" }!)); continue }
            let type = String(template.prefix { $0 != "?" })
            let found = resources.filter { $0.name == type }
            if found.isEmpty { members.append("\"\(key)\":null"); continue }
            let bundle = Element.resource("Bundle", [.primitive("type", "searchset")] + found.map { .complex("entry", [.wrapping("resource", $0)]) })
            members.append("\"\(key)\":" + text(bundle))
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A hook request (`context` given as JSON text, `prefetch` as JSON text or left out).
    static func request(_ hook: String, context: String, prefetch: String?, extra: String = "") -> [UInt8] {
        Array(("{\"hook\":\"\(hook)\",\"hookInstance\":\"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\",\(extra)\"context\":\(context)"
            + (prefetch.map { ",\"prefetch\":" + $0 } ?? "") + "}").utf8)
    }

    static func context(patient: String = "anna", user: String = "Practitioner/dr-jansen", drafts: [Element]? = nil, selections: [String]? = nil) -> String {
        var c = "{\"userId\":\"\(user)\",\"patientId\":\"\(patient)\""
        if let drafts {
            let bundle = Element.resource("Bundle", [.primitive("type", "collection")] + drafts.map { .complex("entry", [.wrapping("resource", $0)]) })
            c += ",\"draftOrders\":" + text(bundle)
        }
        if let selections { c += ",\"selections\":[" + selections.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return c + "}"
    }

    /// Every card as CDS Hooks 2.0 requires ("Card Attributes", "Suggestion", "Action"), and each
    /// resource a suggestion creates kept for the schema check (scripts/validate-output.sh).
    static func checkCards(_ answer: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let cards = try #require(answer["cards"] as? [[String: Any]], sourceLocation: sourceLocation)
        for card in cards {
            let summary = try #require(card["summary"] as? String, sourceLocation: sourceLocation)
            #expect(summary.count < 140 && !summary.isEmpty, sourceLocation: sourceLocation)
            #expect(["info", "warning", "critical"].contains(card["indicator"] as? String ?? ""), sourceLocation: sourceLocation)
            let source = try #require(card["source"] as? [String: Any], sourceLocation: sourceLocation)
            #expect((source["label"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
            #expect(card["uuid"] is String, sourceLocation: sourceLocation)
            if let suggestions = card["suggestions"] as? [[String: Any]] {
                #expect(["at-most-one", "any"].contains(card["selectionBehavior"] as? String ?? ""), sourceLocation: sourceLocation)
                for s in suggestions {
                    #expect((s["label"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
                    for a in s["actions"] as? [[String: Any]] ?? [] {
                        let type = a["type"] as? String ?? ""
                        #expect(["create", "update", "delete"].contains(type), sourceLocation: sourceLocation)
                        #expect(a["description"] is String, sourceLocation: sourceLocation)
                        if type == "delete" { #expect(a["resourceId"] is String && a["resource"] == nil, sourceLocation: sourceLocation) }
                        if type == "create", let r = a["resource"] {
                            keep(try JSONSerialization.data(withJSONObject: r))
                        }
                    }
                }
            }
            for reason in card["overrideReasons"] as? [[String: Any]] ?? [] {
                #expect(reason["display"] is String && reason["code"] is String && reason["system"] is String, sourceLocation: sourceLocation)
            }
        }
        return cards
    }

    nonisolated(unsafe) static var kept = 0
    static let lock = NSLock()

    /// A FHIR resource the service wrote, kept for the schema check.
    static func keep(_ data: Data) {
        lock.lock(); kept += 1; let n = kept; lock.unlock()
        try? FileManager.default.createDirectory(at: InProcess.outputs, withIntermediateDirectories: true)
        try? data.write(to: InProcess.outputs.appendingPathComponent("serve-\(ProcessInfo.processInfo.processIdentifier)-\(n).json"))
    }

    /// A record the card applies to: two losses, nothing else (TSH, antiphospholipid tests, …
    /// still to do).
    static var indicated: Scenario { Scenario() }
}
