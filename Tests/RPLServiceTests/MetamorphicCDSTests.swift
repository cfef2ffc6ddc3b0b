import Foundation
import FHIR
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// Metamorphic checks of the CDS Hooks routes over every fixture: what a client may change
/// without meaning anything (the order of a searchset's entries, the order of the prefetch keys,
/// whitespace, a resource sent twice) gives the same answer byte for byte; a new loss changes it.
@Suite struct MetamorphicCDSTests {
    /// A fixture's record as a patient-view prefetch: references by fullUrl rewritten to
    /// `Type/id` (a searchset has no fullUrls to resolve), one searchset per template.
    struct Record {
        var patient: Element
        var byKey: [(key: String, resources: [Element])]

        init?(_ bundle: Element) {
            var resources = bundle.children("entry").compactMap { e -> (String?, Element)? in
                e.child("resource")?.resource.map { (e.string("fullUrl"), $0) }
            }
            var names: [String: String] = [:]
            for n in resources.indices {
                if resources[n].1.string("id") == nil { resources[n].1.children.insert(.primitive("id", "entry-\(n)"), at: 0) }
                if let url = resources[n].0 { names[url] = resources[n].1.name + "/" + resources[n].1.string("id")! }
            }
            func rewrite(_ e: Element) -> Element {
                var e = e
                if e.name == "reference", let v = e.value, let name = names[v] { e.value = name }
                e.children = e.children.map(rewrite)
                return e
            }
            let all = resources.map { rewrite($0.1) }
            guard let patient = all.first(where: { $0.name == "Patient" && $0.string("gender") == "female" }) ?? all.first(where: { $0.name == "Patient" }) else { return nil }
            self.patient = patient
            byKey = Prefetch.templates.dropFirst().map { key, template in
                let type = String(template.prefix { $0 != "?" })
                return (key, all.filter { $0.name == type })
            }
        }

        var patientId: String { patient.string("id")! }

        func request(reversed: Bool = false, keysReversed: Bool = false, spaced: Bool = false, twice: Bool = false) -> [UInt8] {
            var members = [("patient", Serve.text(patient))]
            for (key, found) in byKey {
                var found = reversed ? found.reversed() : found
                if twice, let first = found.first { found.append(first) }
                if found.isEmpty { members.append((key, "null")); continue }
                members.append((key, Serve.text(.resource("Bundle", [.primitive("type", "searchset")] + found.map { .complex("entry", [.wrapping("resource", $0)]) }))))
            }
            if keysReversed { members.reverse() }
            let sep = spaced ? " ,\n  " : ","
            let prefetch = "{" + members.map { "\"\($0.0)\"" + (spaced ? " : " : ":") + $0.1 }.joined(separator: sep) + "}"
            return Serve.request("patient-view", context: Serve.context(patient: patientId), prefetch: prefetch)
        }
    }

    static func records() throws -> [(String, Record)] {
        let fixtures = InProcess.projectRoot.appendingPathComponent("Fixtures")
        return try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted().compactMap { name in
            guard let bytes = FileManager.default.contents(atPath: fixtures.appendingPathComponent(name).appendingPathComponent("input.json").path),
                  let bundle = try? JSONReader.read(Array(bytes)), bundle.name == "Bundle", let record = Record(bundle) else { return nil }
            return (name, record)
        }
    }

    @Test func spellingOrderAndDuplicatesChangeNoCard() async throws {
        let engine = Serve.engine()
        var compared = 0, withCards = 0
        for (name, record) in try Self.records() {
            let plain = await engine.hook("rpl-patient-view", body: record.request(), client: nil)
            guard plain.status == 200 else { continue }
            compared += 1
            if (try Serve.json(plain.body)["cards"] as? [Any])?.isEmpty == false { withCards += 1 }
            for (variant, body) in [("entries reversed", record.request(reversed: true)), ("keys reversed", record.request(keysReversed: true)),
                                    ("whitespace", record.request(spaced: true)), ("a resource twice", record.request(twice: true))] {
                let answer = await engine.hook("rpl-patient-view", body: body, client: nil)
                #expect(answer.status == 200 && answer.body == plain.body, "\(name): \(variant)")
                if answer.body != plain.body, ProcessInfo.processInfo.environment["RPL_KEEP_DIFF"] != nil {
                    try Data(plain.body).write(to: URL(fileURLWithPath: "/tmp/diff-\(name)-a.json"))
                    try Data(answer.body).write(to: URL(fileURLWithPath: "/tmp/diff-\(name)-b.json"))
                }
            }
        }
        // Most fixtures become a request; many of them are indicated.
        #expect(compared > 80 && withCards > 40, "\(compared) compared, \(withCards) with cards")
    }

    @Test func aNewLossChangesTheCard() async throws {
        let engine = Serve.engine()
        var changed = 0
        for (name, record) in try Self.records() {
            let before = await engine.hook("rpl-patient-view", body: record.request(), client: nil)
            guard before.status == 200, let card = (try Serve.json(before.body)["cards"] as? [[String: Any]])?.first,
                  let summary = card["summary"] as? String, let match = summary.firstMatch(of: /: (\d+) pregnancy loss/), let n = Int(match.1) else { continue }
            // Eight new dated losses, a year apart and years before the fixtures' own (a loss within
            // 28 days of another is that pregnancy): more than any history or count code's minimum,
            // which a single new loss may be one of (guideline.md `losses`: max, never +).
            var more = record
            let losses = ["2009-03-01", "2010-03-01", "2011-03-01", "2012-03-01", "2013-03-01", "2014-03-01", "2015-03-01", "2016-03-01"].enumerated().map { n, date in
                Element.resource("Condition", [
                    .primitive("id", "metamorphic-loss-\(n)"),
                    .complex("clinicalStatus", [.complex("coding", [.primitive("system", "http://terminology.hl7.org/CodeSystem/condition-clinical"), .primitive("code", "resolved")])]),
                    .complex("code", [.complex("coding", [.primitive("system", "http://snomed.info/sct"), .primitive("code", "17369002"), .primitive("display", "Miscarriage")])]),
                    .complex("subject", [.primitive("reference", "Patient/" + record.patientId)]),
                    .primitive("onsetDateTime", date),
                ])
            }
            more.byKey = more.byKey.map { $0.key == "conditions" ? ($0.key, $0.resources + losses) : $0 }
            let after = await engine.hook("rpl-patient-view", body: more.request(), client: nil)
            let summaryAfter = (try Serve.json(after.body)["cards"] as? [[String: Any]])?.first?["summary"] as? String ?? ""
            // A range (undated losses that may be these): its maximum.
            let m = summaryAfter.firstMatch(of: /: (\d+)(?:–(\d+))? pregnancy loss/).flatMap { Int($0.2 ?? $0.1) } ?? 0
            #expect(m > n, "\(name): \(summary) → \(summaryAfter)")
            changed += 1
        }
        #expect(changed > 40, "\(changed) changed")
    }
}
