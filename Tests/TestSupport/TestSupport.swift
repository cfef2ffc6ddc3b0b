import FHIR
import Foundation
import RPLAdapter
import RPLGuideline

// The test support shared by the test targets: input Bundles built from the pieces the rules read
// (`Scenario`), what an output shows (`Outcome`), and `InProcess`, which runs the adapter in this
// process (rule and fact tests); EndToEndTests runs the built executable where the process matters
// (exit codes, hostile input, streaming).

/// Builds input Bundles for `apply` tests out of the pieces the rules read.
public struct Scenario {
    public static let loinc = "http://loinc.org", sct = "http://snomed.info/sct", atc = "http://www.whocc.no/atc"
    public static let icd10 = "http://hl7.org/fhir/sid/icd-10"
    public static let interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    public static let ucum = "http://unitsofmeasure.org"

    public var type = "collection"
    public var timestamp: String?
    public var patient: Element
    public var resources: [Element] = []
    /// How entries get their fullUrl: "urn" (urn:uuid), "server" (http://server/fhir/Type/id), "none".
    public var fullUrls = "urn"
    /// Mixed into the urn:uuids, as an engine that mints new ones per message would.
    public var urnSalt = ""

    public init(birthDate: String? = "1993-05-14", losses: [String] = ["2025-03-10", "2026-01-22"], patientId: String = "anna") {
        var p: [Element] = [.primitive("id", patientId),
                            .complex("identifier", [.primitive("system", "http://fhir.nl/fhir/NamingSystem/bsn"), .primitive("value", "999911120")]),
                            .primitive("gender", "female")]
        if let birthDate { p.append(.primitive("birthDate", birthDate)) }
        patient = .resource("Patient", p)
        for (i, d) in losses.enumerated() { add(Self.condition("loss-\(i + 1)", Self.sct, "17369002", onset: d)) }
    }

    public mutating func add(_ r: Element) { resources.append(r) }

    public var subjectReference: String { fullUrls == "urn" ? "urn:uuid:" + Self.uuid(urnSalt + "Patient/" + (patient.string("id") ?? "")) : "Patient/" + (patient.string("id") ?? "") }

    public static func uuid(_ key: String) -> String {
        // Stable fake UUIDs for test inputs (not the program's algorithm).
        var h: UInt64 = 1469598103934665603
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        let hex = String(h, radix: 16)
        let s = String(repeating: "0", count: 16 - hex.count) + hex
        let a = Array(s)
        return "\(String(a[0..<8]))-\(String(a[8..<12]))-4\(String(a[13..<16]))-8\(String(a[1..<4]))-\(String(a[4..<16]))"
    }

    public func bundle() -> Element {
        var entries: [Element] = []
        for r in [patient] + resources {
            var r = r
            // Point subjects (written as "PATIENT") at the patient the way this Bundle type does.
            r = Self.replaceSubject(r, with: subjectReference)
            let key = r.name + "/" + (r.string("id") ?? "")
            var entry: [Element] = []
            switch fullUrls {
            case "urn": entry.append(.primitive("fullUrl", "urn:uuid:" + Self.uuid(urnSalt + key)))
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

    public static func replaceSubject(_ e: Element, with ref: String) -> Element {
        var e = e
        if e.name == "reference" && e.value == "PATIENT" { e.value = ref }
        e.children = e.children.map { replaceSubject($0, with: ref) }
        return e
    }

    // MARK: pieces

    public static func coding(_ system: String, _ code: String, _ display: String? = nil) -> Element {
        .complex("coding", [.primitive("system", system), .primitive("code", code)] + (display.map { [.primitive("display", $0)] } ?? []))
    }

    public static func concept(_ name: String, _ system: String, _ code: String, text: String? = nil) -> Element {
        .complex(name, [coding(system, code)] + (text.map { [.primitive("text", $0)] } ?? []))
    }

    public static var subject: Element { .complex("subject", [.primitive("reference", "PATIENT")]) }

    public static func condition(_ id: String, _ system: String, _ code: String, onset: String?, verification: String = "confirmed",
                          clinical: String = "active", extra: [Element] = []) -> Element {
        var c: [Element] = [.primitive("id", id),
                            .complex("clinicalStatus", [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical)]),
                            .complex("verificationStatus", [coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)]),
                            concept("code", system, code), subject]
        if let onset { c.append(.primitive("onsetDateTime", onset)) }
        return .resource("Condition", c + extra)
    }

    public static func observation(_ id: String, _ system: String = loinc, _ code: String, date: String?, value: Element? = nil,
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

    public static func quantity(_ value: String, _ unit: String?, code: String? = nil) -> Element {
        var q: [Element] = [.primitive("value", value, kind: .number)]
        if let unit { q.append(.primitive("unit", unit)) }
        if let c = code ?? unit { q += [.primitive("system", ucum), .primitive("code", c)] }
        return .complex("valueQuantity", q)
    }

    public static func tsh(_ value: String, id: String = "tsh", unit: String? = "mIU/L", date: String = "2026-10-20", range: (String?, String?)? = nil, interpretation: String? = nil) -> Element {
        observation(id, loinc, "3016-3", date: date, value: quantity(value, unit), interpretation: interpretation, range: range)
    }

    public static func freeT4(_ value: String, id: String = "ft4", unit: String = "pmol/L", date: String = "2026-10-21", code: String = "14920-3") -> Element {
        observation(id, loinc, code, date: date, value: quantity(value, unit))
    }

    /// An antiphospholipid antibody result by interpretation.
    public static func apl(_ id: String, _ code: String, date: String, positive: Bool) -> Element {
        observation(id, loinc, code, date: date, interpretation: positive ? "POS" : "NEG")
    }

    /// All five antiphospholipid tests negative (so RPL-APL stays quiet).
    public static func allAPLNegative(date: String = "2026-06-01") -> [Element] {
        [("la", "75514-0"), ("aclg", "3181-5"), ("aclm", "3182-3"), ("b2g", "44448-9"), ("b2m", "44449-7")].map {
            apl("\($0.0)-neg", $0.1, date: date, positive: false)
        }
    }

    public static func serviceRequest(_ id: String, _ system: String?, _ code: String?, text: String? = nil, status: String = "active", extra: [Element] = []) -> Element {
        var c: [Element] = []
        if let system, let code { c.append(coding(system, code)) }
        if let text { c.append(.primitive("text", text)) }
        return .resource("ServiceRequest", [.primitive("id", id), .primitive("status", status), .primitive("intent", "order"), .complex("code", c), subject] + extra)
    }

    public static func medicationRequest(_ id: String, _ system: String?, _ code: String?, text: String? = nil, status: String = "active") -> Element {
        var c: [Element] = []
        if let system, let code { c.append(coding(system, code)) }
        if let text { c.append(.primitive("text", text)) }
        return .resource("MedicationRequest", [.primitive("id", id), .primitive("status", status), .primitive("intent", "order"),
                                               .complex("medicationCodeableConcept", c), subject])
    }
}

/// What `apply` made of a scenario.
public struct Outcome {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String
    public var bundle: Element?

    /// Rule ids behind requests, advice, the prognosis and notes (not flags).
    public var fired: Set<String> = []
    /// NR-… rule ids of DetectedIssues.
    public var flags: Set<String> = []
    /// Activity ids of generated requests.
    public var activities: [String] = []
    public var notes: [String] = []

    public func resources(_ type: String) -> [Element] {
        (bundle?.children("entry") ?? []).compactMap { $0.child("resource")?.resource }.filter { $0.name == type }
    }

    public func requests(_ activityId: String) -> [Element] {
        (resources("ServiceRequest") + resources("MedicationRequest")).filter {
            $0.string("instantiatesCanonical")?.hasSuffix("/ActivityDefinition/" + activityId) == true
        }
    }

    /// The rule ids of the CarePlan's activities (advice, and the activity of every request).
    public var planActivities: [String] = []
    /// Every ActivityDefinition id the output names (requests and plan activities).
    public var activitiesNamed: [String] = []

    public init(status: Int32, stdout: [UInt8], stderr: String, bundle: Element? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.bundle = bundle
    }

    /// Reads which rules an output Bundle shows.
    public mutating func read(_ bundle: Element) {
        self.bundle = bundle
    for entry in bundle.children("entry") {
        guard let r = entry.child("resource")?.resource else { continue }
        switch r.name {
        case "ServiceRequest", "MedicationRequest":
            if let text = r.child("note")?.string("text") { fired.insert(Outcome.ruleId(text)) }
            if let canonical = r.string("instantiatesCanonical") {
                let id = String(canonical.split(separator: "/").last!)
                activities.append(id)
                activitiesNamed.append(id)
            }
        case "DetectedIssue":
            if let code = r.child("code")?.child("coding")?.string("code") { flags.insert(code) }
        case "RiskAssessment":
            fired.insert("RPL-PROGNOSIS")
        case "CarePlan":
            for a in r.children("activity") {
                if let d = a.child("detail")?.string("description") {
                    fired.insert(Outcome.ruleId(d))
                    planActivities.append(Outcome.ruleId(d))
                }
                if let c = a.child("detail")?.string("instantiatesCanonical") { activitiesNamed.append(String(c.split(separator: "/").last!)) }
            }
            for n in r.children("note") {
                let text = n.string("text") ?? ""
                notes.append(text)
                if text.hasPrefix("RPL-") || text.hasPrefix("NR-") { fired.insert(Outcome.ruleId(text)) }
            }
        default: break
        }
    }
    }

    public static func ruleId(_ text: String) -> String { String(text.prefix { $0 != " " }) }
}

/// `apply` in this process: the Scenario written as JSON (or XML) and read back by the readers the
/// command uses, then the adapter with the built-in Profiles. Standard error is rendered as the
/// command renders it (a warning or "no plan" per line); a bad input is status 65.
public enum InProcess {
    public static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Every output is kept for the schema check (scripts/validate-output.sh).
    public static let outputs = projectRoot.appendingPathComponent(".build/test-outputs")
    public static let profiles: Profiles = try! Profiles.builtIn()
    nonisolated(unsafe) static var counter = 0
    static let lock = NSLock()

    /// `language`: the rule and fact tests read the plan's texts in English (their words are the
    /// phrases' keys); the Dutch is tested on its own (`LanguageTests`).
    public static func apply(_ scenario: Scenario, asOf: String? = "2026-11-02", format: String = "json",
                             profiles: Profiles? = nil, requester: String? = nil, language: Wording.Language = .en) throws -> Outcome {
        let bundle = scenario.bundle()
        let bytes = format == "json" ? try JSONWriter().write(bundle) : try XMLWriter().write(bundle)
        return apply(bytes: bytes, format: format == "json" ? .json : .xml, asOf: asOf, profiles: profiles, requester: requester, language: language)
    }

    public static func apply(bytes: [UInt8], format: FHIRFormat, asOf: String?, profiles: Profiles? = nil, requester: String? = nil,
                             language: Wording.Language = .en) -> Outcome {
        do {
            let input = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in
                try Adapter.read(b, as: format, screen: (profiles ?? Self.profiles).observationScreen)
            }
            let adapter = Adapter(profiles: profiles ?? Self.profiles, requester: requester.flatMap(SiteSettings.requester), language: language)
            let result = try adapter.apply(input, asOf: asOf.flatMap(CalendarDate.init(fhir:)))
            var stderr = result.warnings.map { "warning: \($0)\n" }.joined()
            if let why = result.notIndicated { stderr += "no plan: \(why)\n" }
            let stdout = try JSONWriter().write(result.output)
            var out = Outcome(status: 0, stdout: stdout, stderr: stderr)
            out.read(result.output)
            lock.lock(); counter += 1; let n = counter; lock.unlock()
            try? FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
            try? Data(stdout).write(to: outputs.appendingPathComponent("inprocess-\(ProcessInfo.processInfo.processIdentifier)-\(n).json"))
            return out
        } catch {
            return Outcome(status: 65, stdout: [], stderr: "\(error)\n")
        }
    }

    /// `apply --output-format hl7v2` in this process: the messages and the HL7 v2 warnings, or the
    /// refusal (HL7v2.Refusal: exit 65 in the command).
    public static func hl7v2(_ scenario: Scenario, asOf: String = "2026-11-02", profiles: Profiles? = nil,
                             requester: String? = nil) throws -> (messages: [String], warnings: [String]) {
        let bytes = try JSONWriter().write(scenario.bundle())
        let input = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in try Adapter.read(b, as: .json) }
        let adapter = Adapter(profiles: profiles ?? Self.profiles, requester: requester.flatMap(SiteSettings.requester))
        let result = try adapter.apply(input, asOf: CalendarDate(fhir: asOf))
        return try adapter.hl7v2(result)
    }

    /// A copy of Profiles/ with one file's text changed (a site's own settings), loaded.
    public static func profiles(changing file: String, _ change: (String) -> String) throws -> Profiles {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-profiles-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(at: projectRoot.appendingPathComponent("Profiles"), to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(file)
        try change(try String(contentsOf: path, encoding: .utf8)).write(to: path, atomically: true, encoding: .utf8)
        return try Profiles.load(directory: dir.path)
    }

    /// The ActivityDefinition ids of Profiles/.
    public static let activityDefinitions: Set<String> = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: projectRoot.appendingPathComponent("Profiles").path)) ?? []
        return Set(names.filter { $0.hasPrefix("ActivityDefinition-") }.map { String($0.dropFirst("ActivityDefinition-".count).dropLast(5)) })
    }()
}
