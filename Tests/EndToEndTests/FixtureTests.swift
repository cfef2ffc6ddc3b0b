import FHIR
import RPLGuideline
import Foundation
import Testing
import TestSupport

/// Fixtures/: every expected output fires exactly what its README declares (the README is written
/// by hand from the spec; the expected output is the program's, so this is the check that it was
/// not taken blindly), and `replay` behaves as the interface says.
@Suite(.serialized) struct FixtureTests {
    static let fixtures = Runner.projectRoot.appendingPathComponent("Fixtures")

    static let scenarios: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: fixtures.appendingPathComponent($0 + "/README.md").path) }.sorted()
    }()

    /// R4 fixes what a reasonReference may point at: a MedicationRequest's a Condition or an
    /// Observation, a ServiceRequest's and a CarePlan activity's those or a DiagnosticReport or
    /// DocumentReference (helper-34's review: a stale MedicationStatement, and family histories,
    /// procedures and the partner's Patient, were written there). Every expected output, by the
    /// type its reference names (a `Type/id` or a typed identifier).
    @Test func everyReasonReferenceNamesATypeR4Allows() throws {
        let wide: Set<String> = ["Condition", "Observation", "DiagnosticReport", "DocumentReference"]
        var checked = 0
        var wrong: [String] = []
        for scenario in Self.scenarios {
            guard let data = try? Data(contentsOf: Self.fixtures.appendingPathComponent(scenario + "/expected.json")),
                  let bundle = try? data.withUnsafeBytes({ (b) throws(FHIRFormatError) -> Element in try FHIRFormat.json.read(b.bindMemory(to: UInt8.self), materialise: { _ in true }) })
            else { continue }
            for entry in bundle.children("entry") {
                guard let r = entry.child("resource")?.resource else { continue }
                var places: [(String, Set<String>)] = []
                switch r.name {
                case "MedicationRequest": places = r.children("reasonReference").map { _ in ("MedicationRequest", ["Condition", "Observation"]) }
                case "ServiceRequest": places = r.children("reasonReference").map { _ in ("ServiceRequest", wide) }
                default: break
                }
                var references = r.children("reasonReference")
                if r.name == "CarePlan" {
                    references = r.children("activity").flatMap { $0.child("detail")?.children("reasonReference") ?? [] }
                    places = references.map { _ in ("CarePlan", wide) }
                }
                for (reference, place) in zip(references, places) {
                    let type = reference.string("type") ?? reference.string("reference").flatMap { $0.hasPrefix("urn:") || $0.hasPrefix("#") ? nil : $0.split(separator: "/").dropLast().last.map(String.init) }
                    guard let type else { continue }
                    checked += 1
                    if !place.1.contains(type) { wrong.append("\(scenario): \(place.0).reasonReference → \(type)") }
                }
            }
        }
        #expect(checked > 200)
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
    }

    static func declared(_ scenario: String) throws -> (fires: Set<String>, quiet: Set<String>) {
        let text = try String(contentsOf: fixtures.appendingPathComponent(scenario + "/README.md"), encoding: .utf8)
        func list(_ label: String) -> Set<String> {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return [] }
            return Set(line.dropFirst(label.count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("RPL-") || $0.hasPrefix("NR-") })
        }
        return (list("Fires:"), list("Quiet:"))
    }

    /// The rules an output shows: requests, advice and flags by their rule id; the prognosis; a
    /// plan at all (RPL-INDICATION); none of the rejected words (RPL-TERM, when declared).
    static func fired(_ bundle: Element, raw: String) -> Set<String> {
        var out = Set<String>()
        for entry in bundle.children("entry") {
            guard let r = entry.child("resource")?.resource else { continue }
            switch r.name {
            case "CarePlan":
                out.insert("RPL-INDICATION")
                for a in r.children("activity") {
                    if let d = a.child("detail")?.string("description") { out.insert(Runner.ruleId(d)) }
                }
                for n in r.children("note") where (n.string("text") ?? "").hasPrefix("RPL-PROGNOSIS") { out.insert("RPL-PROGNOSIS") }
            case "ServiceRequest", "MedicationRequest":
                if let t = r.child("note")?.string("text") { out.insert(Runner.ruleId(t)) }
            case "RiskAssessment": out.insert("RPL-PROGNOSIS")
            case "DetectedIssue":
                if let c = r.child("code")?.child("coding")?.string("code") { out.insert(c) }
            default: break
            }
        }
        let lower = raw.lowercased()
        if !["habitual abortion", "habitual aborter", "habituele abortus"].contains(where: lower.contains) { out.insert("RPL-TERM") }
        return out
    }

    /// A transaction names each entry once (FHIR: `fullUrl` unique in a Bundle; a server refuses
    /// the transaction or reads two resources as one). Two flags of requests of one meaning once
    /// shared an id (Fixtures/audit20-45b-…).
    @Test(arguments: scenarios)
    func everyEntryOfTheExpectedOutputHasItsOwnFullUrl(scenario: String) throws {
        let bundle = try JSONReader.read(try String(contentsOf: Self.fixtures.appendingPathComponent(scenario + "/expected.json"), encoding: .utf8))
        var seen = Set<String>(), twice: [String] = []
        for entry in bundle.children("entry") {
            if let url = entry.string("fullUrl"), !seen.insert(url).inserted { twice.append(url) }
        }
        #expect(twice.isEmpty, "\(scenario): fullUrl more than once: \(twice)")
    }

    @Test func thereAreAtLeast40Scenarios() {
        #expect(Self.scenarios.count >= 40)
    }

    @Test(arguments: scenarios)
    func expectedOutputFiresWhatTheREADMEDeclares(scenario: String) throws {
        let (fires, quiet) = try Self.declared(scenario)
        let url = Self.fixtures.appendingPathComponent(scenario + "/expected.json")
        let raw = try String(contentsOf: url, encoding: .utf8)
        let bundle = try JSONReader.read(raw)
        let fired = Self.fired(bundle, raw: raw)
        #expect(fires.isSubset(of: fired), "\(scenario): declared to fire but did not: \(fires.subtracting(fired).sorted())")
        #expect(quiet.isDisjoint(with: fired), "\(scenario): declared quiet but fired: \(quiet.intersection(fired).sorted())")
    }

    /// Every rule id fires in some scenario and stays quiet in another (the table in Fixtures/README.md).
    @Test func everyRuleIdFiresAndStaysQuietSomewhere() throws {
        var fires = Set<String>(), quiet = Set<String>()
        for s in Self.scenarios {
            let d = try Self.declared(s)
            fires.formUnion(d.fires)
            quiet.formUnion(d.quiet)
        }
        let readme = try String(contentsOf: Self.fixtures.appendingPathComponent("README.md"), encoding: .utf8)
        for id in Self.ruleIds {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| \(id) |") }
            #expect(row != nil, "\(id) missing from the table in Fixtures/README.md")
            #expect(fires.contains(id), "\(id) never fires")
            #expect(quiet.contains(id) || row?.contains("(reason)") == true, "\(id) never declared quiet, and no reason given")
        }
    }

    /// Every rule id of the card (CodeSystem rpl-rule, generated into `RuleID`): none can be left
    /// out of the table by forgetting it here.
    static let ruleIds = RuleID.allCases.map(\.rawValue)

    // MARK: replay itself

    /// A copy of some scenarios in a temporary folder to change.
    func workspace(_ names: [String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in names { try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(n), to: dir.appendingPathComponent(n)) }
        return dir
    }

    func replay(_ args: [String]) throws -> (Int32, String) {
        let r = try ConvertCommandTests.run(["replay"] + args)
        return (r.status, String(decoding: r.stdout, as: UTF8.self))
    }

    @Test func replayOverFixturesPasses() throws {
        let (status, out) = try replay([Self.fixtures.path])
        #expect(status == 0)
        #expect(out.hasSuffix("\(Self.scenarios.count) passed, 0 failed\n"))
    }

    @Test func aChangedExpectedValueFailsWithItsFHIRPath() throws {
        let dir = try workspace(["thyroid-tsh-above-limit"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("thyroid-tsh-above-limit/expected.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"intent\": \"proposal\"", with: "\"intent\": \"plan\"")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let (status, out) = try replay([dir.path])
        #expect(status == 1)
        #expect(out.contains("✘ thyroid-tsh-above-limit"))
        #expect(out.contains(".resource.ofType(ServiceRequest).intent: expected \"plan\", got \"proposal\""))
        #expect(out.hasSuffix("0 passed, 1 failed\n"))
        // --update rewrites it, says what changed, and then replay passes.
        let (u, changed) = try replay(["--update", dir.path])
        #expect(u == 0 && changed.contains("updated thyroid-tsh-above-limit"))
        #expect(try replay([dir.path]).0 == 0)
    }

    @Test func aReorderedButEqualOutputPasses() throws {
        let dir = try workspace(["apl-one-missing"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("apl-one-missing/expected.json")
        var bundle = try JSONReader.read(Array(Data(contentsOf: file)))
        let entries = bundle.children("entry")
        bundle.children.removeAll { $0.name == "entry" }
        bundle.children += entries.reversed()
        try Data(JSONWriter(pretty: true).write(bundle)).write(to: file)
        #expect(try replay([dir.path]).0 == 0)
    }

    @Test func brokenScenarioExits65AndFilterAndJUnitWork() throws {
        let dir = try workspace(["apl-one-missing", "thyroid-tsh-low"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try "{ not json".write(to: dir.appendingPathComponent("thyroid-tsh-low/parameters.json"), atomically: true, encoding: .utf8)
        let (status, out) = try replay([dir.path])
        #expect(status == 65)
        #expect(out.contains("broken thyroid-tsh-low"))
        let (filtered, fout) = try replay(["--filter", "apl", dir.path])
        #expect(filtered == 0 && fout.hasSuffix("1 passed, 0 failed\n"))
        let junit = dir.appendingPathComponent("report.xml")
        _ = try replay(["--junit", junit.path, dir.path])
        // Well-formed XML (xmllint parses it) with one testcase per scenario.
        func xpath(_ expr: String) throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["xmllint", "--xpath", expr, junit.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try xpath("count(//testcase)") == "2")
        #expect(try xpath("count(//testcase/error)") == "1")
    }
}
