import FHIR
import Foundation
import Testing

/// Builds input Bundles for `apply` tests out of the pieces the rules read, runs the built
/// executable on them, and reads back which rules fired.
struct Scenario {
    static let loinc = "http://loinc.org", sct = "http://snomed.info/sct", atc = "http://www.whocc.no/atc"
    static let interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    static let ucum = "http://unitsofmeasure.org"

    var type = "collection"
    var timestamp: String?
    var patient: Element
    var resources: [Element] = []
    /// How entries get their fullUrl: "urn" (urn:uuid), "server" (http://server/fhir/Type/id), "none".
    var fullUrls = "urn"

    init(birthDate: String? = "1993-05-14", losses: [String] = ["2025-03-10", "2026-01-22"], patientId: String = "anna") {
        var p: [Element] = [.primitive("id", patientId),
                            .complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", "999911120")]),
                            .primitive("gender", "female")]
        if let birthDate { p.append(.primitive("birthDate", birthDate)) }
        patient = .resource("Patient", p)
        for (i, d) in losses.enumerated() { add(Self.condition("loss-\(i + 1)", Self.sct, "17369002", onset: d)) }
    }

    mutating func add(_ r: Element) { resources.append(r) }

    var subjectReference: String { fullUrls == "urn" ? "urn:uuid:" + Self.uuid("Patient/" + (patient.string("id") ?? "")) : "Patient/" + (patient.string("id") ?? "") }

    static func uuid(_ key: String) -> String {
        // Stable fake UUIDs for test inputs (not the program's algorithm).
        var h: UInt64 = 1469598103934665603
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let hex = String(h, radix: 16)
        let s = String(repeating: "0", count: 16 - hex.count) + hex
        let a = Array(s)
        return "\(String(a[0..<8]))-\(String(a[8..<12]))-4\(String(a[13..<16]))-8\(String(a[1..<4]))-\(String(a[4..<16]))"
    }

    func bundle() -> Element {
        var entries: [Element] = []
        for r in [patient] + resources {
            var r = r
            // Point subjects (written as "PATIENT") at the patient the way this Bundle type does.
            r = Self.replaceSubject(r, with: subjectReference)
            let key = r.name + "/" + (r.string("id") ?? "")
            var entry: [Element] = []
            switch fullUrls {
            case "urn": entry.append(.primitive("fullUrl", "urn:uuid:" + Self.uuid(key)))
            case "server": entry.append(.primitive("fullUrl", "http://server.example.nl/fhir/" + key))
            default: break
            }
            entry.append(.wrapping("resource", r))
            if type == "transaction" {
                entry.append(.complex("request", [.primitive("method", "POST"), .primitive("url", r.name)]))
            }
            if type == "searchset" { entry.append(.complex("search", [.primitive("mode", "match")])) }
            entries.append(.complex("entry", entry))
        }
        var b: [Element] = [.primitive("id", "test"), .primitive("type", type)]
        if let timestamp { b.append(.primitive("timestamp", timestamp)) }
        return .resource("Bundle", b + entries)
    }

    static func replaceSubject(_ e: Element, with ref: String) -> Element {
        var e = e
        if e.name == "reference" && e.value == "PATIENT" { e.value = ref }
        e.children = e.children.map { replaceSubject($0, with: ref) }
        return e
    }

    // MARK: pieces

    static func coding(_ system: String, _ code: String, _ display: String? = nil) -> Element {
        .complex("coding", [.primitive("system", system), .primitive("code", code)] + (display.map { [.primitive("display", $0)] } ?? []))
    }

    static func concept(_ name: String, _ system: String, _ code: String, text: String? = nil) -> Element {
        .complex(name, [coding(system, code)] + (text.map { [.primitive("text", $0)] } ?? []))
    }

    static var subject: Element { .complex("subject", [.primitive("reference", "PATIENT")]) }

    static func condition(_ id: String, _ system: String, _ code: String, onset: String?, verification: String = "confirmed",
                          clinical: String = "active", extra: [Element] = []) -> Element {
        var c: [Element] = [.primitive("id", id),
                            .complex("clinicalStatus", [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical)]),
                            .complex("verificationStatus", [coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)]),
                            concept("code", system, code), subject]
        if let onset { c.append(.primitive("onsetDateTime", onset)) }
        return .resource("Condition", c + extra)
    }

    static func observation(_ id: String, _ system: String = loinc, _ code: String, date: String?, value: Element? = nil,
                            interpretation: String? = nil, range: (String?, String?)? = nil, status: String = "final", extra: [Element] = []) -> Element {
        var o: [Element] = [.primitive("id", id), .primitive("status", status), concept("code", system, code), subject]
        if let date { o.append(.primitive("effectiveDateTime", date)) }
        if let value { o.append(value) }
        if let interpretation { o.append(concept("interpretation", Self.interpretation, interpretation)) }
        if let range {
            var rr: [Element] = []
            if let low = range.0 { rr.append(.complex("low", [.primitive("value", low, kind: .number)])) }
            if let high = range.1 { rr.append(.complex("high", [.primitive("value", high, kind: .number)])) }
            o.append(.complex("referenceRange", rr))
        }
        return .resource("Observation", o + extra)
    }

    static func quantity(_ value: String, _ unit: String?, code: String? = nil) -> Element {
        var q: [Element] = [.primitive("value", value, kind: .number)]
        if let unit { q.append(.primitive("unit", unit)) }
        if let c = code ?? unit { q += [.primitive("system", ucum), .primitive("code", c)] }
        return .complex("valueQuantity", q)
    }

    static func tsh(_ value: String, id: String = "tsh", unit: String? = "mIU/L", date: String = "2026-10-20", range: (String?, String?)? = nil, interpretation: String? = nil) -> Element {
        observation(id, loinc, "3016-3", date: date, value: quantity(value, unit), interpretation: interpretation, range: range)
    }

    static func freeT4(_ value: String, id: String = "ft4", unit: String = "pmol/L", date: String = "2026-10-21", code: String = "14920-3") -> Element {
        observation(id, loinc, code, date: date, value: quantity(value, unit))
    }

    /// An antiphospholipid antibody result by interpretation.
    static func apl(_ id: String, _ code: String, date: String, positive: Bool) -> Element {
        observation(id, loinc, code, date: date, interpretation: positive ? "POS" : "NEG")
    }

    /// All five antiphospholipid tests negative (so RPL-APL stays quiet).
    static func allAPLNegative(date: String = "2026-06-01") -> [Element] {
        [("la", "75514-0"), ("aclg", "3181-5"), ("aclm", "3182-3"), ("b2g", "44448-9"), ("b2m", "44449-7")].map {
            apl("\($0.0)-neg", $0.1, date: date, positive: false)
        }
    }

    static func serviceRequest(_ id: String, _ system: String?, _ code: String?, text: String? = nil, status: String = "active", extra: [Element] = []) -> Element {
        var c: [Element] = []
        if let system, let code { c.append(coding(system, code)) }
        if let text { c.append(.primitive("text", text)) }
        return .resource("ServiceRequest", [.primitive("id", id), .primitive("status", status), .primitive("intent", "order"), .complex("code", c), subject] + extra)
    }

    static func medicationRequest(_ id: String, _ system: String?, _ code: String?, text: String? = nil, status: String = "active") -> Element {
        var c: [Element] = []
        if let system, let code { c.append(coding(system, code)) }
        if let text { c.append(.primitive("text", text)) }
        return .resource("MedicationRequest", [.primitive("id", id), .primitive("status", status), .primitive("intent", "order"),
                                               .complex("medicationCodeableConcept", c), subject])
    }
}

/// What `apply` made of a scenario.
struct Outcome {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var bundle: Element?

    /// Rule ids behind requests, advice, the prognosis and notes (not flags).
    var fired: Set<String> = []
    /// NR-… rule ids of DetectedIssues.
    var flags: Set<String> = []
    /// Activity ids of generated requests.
    var activities: [String] = []
    var notes: [String] = []

    func resources(_ type: String) -> [Element] {
        (bundle?.children("entry") ?? []).compactMap { $0.child("resource")?.resource }.filter { $0.name == type }
    }

    func requests(_ activityId: String) -> [Element] {
        (resources("ServiceRequest") + resources("MedicationRequest")).filter {
            $0.string("instantiatesCanonical")?.hasSuffix("/ActivityDefinition/" + activityId) == true
        }
    }
}

enum Runner {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let outputs = projectRoot.appendingPathComponent(".build/test-outputs")
    nonisolated(unsafe) static var counter = 0
    static let lock = NSLock()

    static let activityDefinitions: Set<String> = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: projectRoot.appendingPathComponent("Profiles").path)) ?? []
        return Set(names.filter { $0.hasPrefix("ActivityDefinition-") }.map { String($0.dropFirst("ActivityDefinition-".count).dropLast(5)) })
    }()

    static func apply(_ scenario: Scenario, asOf: String? = "2026-11-02", format: String = "json", extra: [String] = []) throws -> Outcome {
        let input = format == "json" ? try JSONWriter().write(scenario.bundle()) : try XMLWriter().write(scenario.bundle())
        var args = ["apply"] + extra
        if let asOf { args += ["--as-of", asOf] }
        return try apply(bytes: input, arguments: args)
    }

    static func apply(bytes: [UInt8], arguments: [String]) throws -> Outcome {
        let run = try ConvertCommandTests.run(arguments, stdin: Data(bytes))
        var out = Outcome(status: run.status, stdout: Array(run.stdout), stderr: run.stderr)
        guard run.status == 0 else { return out }
        let format = FHIRFormat.sniff(out.stdout) ?? .json
        let bundle = try format.read(out.stdout)
        out.bundle = bundle
        // Keep every output for the schema check (scripts/validate-output.sh).
        lock.lock(); counter += 1; let n = counter; lock.unlock()
        try? FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        try? Data(JSONWriter().write(bundle)).write(to: outputs.appendingPathComponent("apply-\(ProcessInfo.processInfo.processIdentifier)-\(n).json"))

        for entry in bundle.children("entry") {
            guard let r = entry.child("resource")?.resource else { continue }
            switch r.name {
            case "ServiceRequest", "MedicationRequest":
                if let text = r.child("note")?.string("text") { out.fired.insert(ruleId(text)) }
                if let canonical = r.string("instantiatesCanonical") {
                    let id = String(canonical.split(separator: "/").last!)
                    out.activities.append(id)
                    #expect(activityDefinitions.contains(id), "no ActivityDefinition \(id) in Profiles/")
                }
            case "DetectedIssue":
                if let code = r.child("code")?.child("coding")?.string("code") { out.flags.insert(code) }
            case "RiskAssessment":
                out.fired.insert("RPL-PROGNOSIS")
            case "CarePlan":
                for a in r.children("activity") {
                    if let d = a.child("detail")?.string("description") { out.fired.insert(ruleId(d)) }
                    if let c = a.child("detail")?.string("instantiatesCanonical") {
                        #expect(activityDefinitions.contains(String(c.split(separator: "/").last!)))
                    }
                }
                for n in r.children("note") {
                    let text = n.string("text") ?? ""
                    out.notes.append(text)
                    if text.hasPrefix("RPL-") || text.hasPrefix("NR-") { out.fired.insert(ruleId(text)) }
                }
            default: break
            }
        }
        return out
    }

    static func ruleId(_ text: String) -> String { String(text.prefix { $0 != " " }) }
}
