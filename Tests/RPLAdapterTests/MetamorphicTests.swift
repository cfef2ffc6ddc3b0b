import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// Metamorphic relations over every stored scenario (interface.md v3, "Identity from meaning";
/// guideline.md v3): what must not change the output (spelling, order, format, duplicates, code
/// systems as OIDs) and what must (a new loss, a closed earlier order), and date shifts that keep
/// every decision. The inputs are the fixtures of `Fixtures/`, written by others and by us; the
/// relations are the spec's, so a relation that fails is a finding whatever fixture shows it.
@Suite(.serialized) struct MetamorphicTests {
    struct Fixture {
        let name: String
        let bundle: Element
        let asOf: String
        /// Its expected output is a refusal (an OperationOutcome: two women in one Bundle).
        var refused = false
    }

    static let fixtures: [Fixture] = {
        let root = InProcess.projectRoot.appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var out: [Fixture] = []
        for name in names.sorted() {
            let dir = root.appendingPathComponent(name)
            guard let params = try? Data(contentsOf: dir.appendingPathComponent("parameters.json")),
                  let p = try? JSONSerialization.jsonObject(with: params) as? [String: Any],
                  let asOf = (p["parameter"] as? [[String: Any]])?.first(where: { $0["name"] as? String == "asOf" })?["valueDate"] as? String
            else { continue }
            for (file, format) in [("input.json", FHIRFormat.json), ("input.xml", .xml)] {
                guard let data = try? Data(contentsOf: dir.appendingPathComponent(file)) else { continue }
                let bytes = [UInt8](data)
                guard let bundle = try? bytes.withUnsafeBufferPointer({ (b) throws(FHIRFormatError) -> Element in try format.read(b, materialise: { _ in true }) }) else { continue }
                let expected = (try? Data(contentsOf: dir.appendingPathComponent("expected.json"))).map { [UInt8]($0.prefix(64)) } ?? []
                let refused = String(decoding: expected, as: UTF8.self).contains("\"OperationOutcome\"")
                out.append(Fixture(name: name, bundle: bundle, asOf: asOf, refused: refused))
            }
        }
        return out
    }()

    /// The output as bytes, without `Bundle.identifier` (the correlation echo of the input, which
    /// may differ: interface.md v3).
    static func run(_ bundle: Element, asOf: String, format: FHIRFormat = .json) -> (bytes: [UInt8], out: Outcome) {
        run(json: format == .json ? try! JSONWriter().write(bundle) : try! XMLWriter().write(bundle), format: format, asOf: asOf)
    }

    static func run(json bytes: [UInt8], format: FHIRFormat = .json, asOf: String) -> (bytes: [UInt8], out: Outcome) {
        let out = InProcess.apply(bytes: bytes, format: format, asOf: asOf)
        guard out.status == 0, let stdout = try? Adapter.read(out.stdout.withUnsafeBufferPointer { $0 }, as: .json) else { return (out.stdout + Array(out.stderr.utf8), out) }
        var output = stdout
        output.children.removeAll { $0.name == "identifier" }
        return (try! JSONWriter().write(output), out)
    }

    // MARK: relations that must change nothing

    typealias Relation = (name: String, transform: @Sendable (Element) -> Element)

    static let invariant: [Relation] = [
        ("displays and texts reworded", rewordDisplays),
        ("decimals rewritten (4.6 as 4.60)", rewriteDecimals),
        ("decimals with an exponent (4.6 as 46E-1)", exponentDecimals),
        ("seconds with a zero fraction (:00 as :00.000)", zeroFractionSeconds),
        ("time-zone forms (Z as +01:00, offsets as Z)", rewriteTimeZones),
        ("far time-zone forms (every instant at -05:00 and at +09:00)", rewriteFarZones),
        ("an extra coding from another system", addExtraCoding),
        ("identifiers in reverse order", reverseIdentifiers),
        ("entries in reverse order", reverseEntries),
        ("new urn:uuids", renameURNs),
        ("code systems as OIDs", systemsAsOIDs),
        ("codes with a trailing space", padCodes),
        ("a searchset with the patient _included", asSearchset),
        ("each clinical resource also as an earlier version", withEarlierVersions),
    ]

    @Test func relationsThatMustChangeNothing() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            let base = Self.run(f.bundle, asOf: f.asOf)
            for r in Self.invariant {
                pairs += 1
                let other = Self.run(r.transform(f.bundle), asOf: f.asOf)
                if other.bytes != base.bytes { failures.append("\(f.name): \(r.name): \(Self.firstDifference(base.bytes, other.bytes))") }
            }
            // XML instead of JSON.
            pairs += 1
            let xml = Self.run(f.bundle, asOf: f.asOf, format: .xml)
            if xml.bytes != base.bytes { failures.append("\(f.name): XML instead of JSON: \(Self.firstDifference(base.bytes, xml.bytes))") }
            // Every object's keys in reverse order (the writers above always give R4's order).
            pairs += 1
            let reversed = Self.run(json: Self.keysReversed(f.bundle), asOf: f.asOf)
            if reversed.bytes != base.bytes { failures.append("\(f.name): JSON keys in reverse order: \(Self.firstDifference(base.bytes, reversed.bytes))") }
        }
        print("metamorphic: \(Self.invariant.count + 1) invariant relations × \(Self.fixtures.count) fixtures = \(pairs) pairs, \(failures.count) failed")
        var byRelation: [String: Int] = [:]
        for f in failures { byRelation[String(f.split(separator: ":")[1]), default: 0] += 1 }
        for (r, n) in byRelation.sorted(by: { $0.key < $1.key }) { print("  \(n) failed:\(r)") }
        for f in failures.prefix(40) { print("  FAIL \(f)") }
        #expect(failures.isEmpty, "\(failures.count) of \(pairs) pairs changed the output")
    }

    // MARK: relations that must change the output, exactly as the spec says

    /// The patient's reference as the fixture's entries make it.
    static func patientReference(_ b: Element) -> String? {
        for e in b.children("entry") {
            guard let r = e.child("resource")?.resource, r.name == "Patient" else { continue }
            if let url = e.string("fullUrl") { return url }
            if let id = r.string("id") { return "Patient/" + id }
        }
        return nil
    }

    static func adding(_ b: Element, _ r: Element, fullUrl: String) -> Element {
        var b = b
        b.children.append(.complex("entry", [.primitive("fullUrl", fullUrl), .wrapping("resource", r)]))
        return b
    }

    static func ids(_ out: Outcome, _ type: String) -> Set<String> { Set(out.resources(type).compactMap { $0.string("id") }) }

    /// interface.md v2/v3: the episode (the counted losses) is part of every id, so a new loss
    /// gives a new plan and new orders; the Patient stays who she is.
    @Test func aNewLossGivesANewEpisode() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            let base = Self.run(f.bundle, asOf: f.asOf)
            guard let plan = Self.ids(base.out, "CarePlan").first, let subject = Self.patientReference(f.bundle),
                  let asOf = CalendarDate(fhir: f.asOf) else { continue }
            pairs += 1
            let loss = Element.resource("Condition", [
                .complex("clinicalStatus", [.complex("coding", [.primitive("system", "http://terminology.hl7.org/CodeSystem/condition-clinical"), .primitive("code", "resolved")])]),
                .complex("code", [.complex("coding", [.primitive("system", "http://snomed.info/sct"), .primitive("code", "17369002")])]),
                .complex("subject", [.primitive("reference", subject)]),
                .primitive("onsetDateTime", asOf.adding(days: -20).description),
            ])
            let other = Self.run(Self.adding(f.bundle, loss, fullUrl: "urn:uuid:0b8c2f1e-7d1a-4c55-9e0f-5a5a5a5a5a01"), asOf: f.asOf)
            let newPlan = Self.ids(other.out, "CarePlan")
            let requests = Self.ids(base.out, "ServiceRequest"), newRequests = Self.ids(other.out, "ServiceRequest")
            if newPlan.contains(plan) || newPlan.isEmpty { failures.append("\(f.name): the CarePlan id did not change") }
            if !requests.isDisjoint(with: newRequests) { failures.append("\(f.name): orders kept their ids: \(requests.intersection(newRequests).sorted())") }
            // Hers stays; his may be added, when the new loss makes his karyotyping indicated.
            if !Self.ids(base.out, "Patient").isSubset(of: Self.ids(other.out, "Patient")) { failures.append("\(f.name): the Patient's id changed") }
        }
        print("metamorphic: a new loss × \(pairs) fixtures with a plan, \(failures.count) failed")
        for f in failures { print("  FAIL \(f)") }
        #expect(pairs > 30)
        #expect(failures.isEmpty)
    }

    /// guideline.md v2, what must change with a new result: where a plan orders a TSH (none in the
    /// lookback window), a TSH result the day before the evaluation date means it is not ordered
    /// again; a normal one orders nothing more, a high one orders a free T4 (RPL-FT4: a high TSH
    /// with no free T4 on or after it). The result carries its lab's range, as a lab sends it.
    @Test func aNewTSHResultChangesTheThyroidOrders() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            let base = Self.run(f.bundle, asOf: f.asOf)
            guard base.out.activities.contains("thyroid-tsh"), let subject = Self.patientReference(f.bundle),
                  let asOf = CalendarDate(fhir: f.asOf) else { continue }
            pairs += 1
            func tsh(_ value: String) -> Element {
                .resource("Observation", [
                    .primitive("status", "final"),
                    .complex("code", [.complex("coding", [.primitive("system", "http://loinc.org"), .primitive("code", "3016-3")])]),
                    .complex("subject", [.primitive("reference", subject)]),
                    .primitive("effectiveDateTime", asOf.adding(days: -1).description),
                    .complex("valueQuantity", [.primitive("value", value, kind: .number), .primitive("unit", "mIU/L"),
                                               .primitive("system", "http://unitsofmeasure.org"), .primitive("code", "m[IU]/L")]),
                    .complex("referenceRange", [
                        .complex("low", [.primitive("value", "0.4", kind: .number), .primitive("unit", "mIU/L"), .primitive("system", "http://unitsofmeasure.org"), .primitive("code", "m[IU]/L")]),
                        .complex("high", [.primitive("value", "4.0", kind: .number), .primitive("unit", "mIU/L"), .primitive("system", "http://unitsofmeasure.org"), .primitive("code", "m[IU]/L")]),
                    ]),
                ])
            }
            let normal = Self.run(Self.adding(f.bundle, tsh("2.1"), fullUrl: "urn:uuid:0b8c2f1e-7d1a-4c55-9e0f-5a5a5a5a5a03"), asOf: f.asOf).out
            let high = Self.run(Self.adding(f.bundle, tsh("6.5"), fullUrl: "urn:uuid:0b8c2f1e-7d1a-4c55-9e0f-5a5a5a5a5a04"), asOf: f.asOf).out
            if normal.activities.contains("thyroid-tsh") { failures.append("\(f.name): a normal TSH of yesterday, and the TSH is still ordered") }
            if normal.activities.contains("thyroid-ft4") && !base.out.activities.contains("thyroid-ft4") { failures.append("\(f.name): a normal TSH ordered a free T4") }
            if high.activities.contains("thyroid-tsh") { failures.append("\(f.name): a high TSH of yesterday, and the TSH is still ordered") }
            if !high.activities.contains("thyroid-ft4") { failures.append("\(f.name): a high TSH of yesterday, and no free T4 ordered") }
        }
        print("metamorphic: a new TSH result × \(pairs) fixtures that order a TSH, \(failures.count) failed")
        for f in failures { print("  FAIL \(f)") }
        #expect(pairs > 30)
        #expect(failures.isEmpty)
    }

    /// interface.md v2, Identity: the generation. An earlier order for the same test, revoked,
    /// gives that order a new id; every other id stays.
    @Test func aClosedEarlierOrderChangesOnlyItsOwnId() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            let base = Self.run(f.bundle, asOf: f.asOf)
            guard let subject = Self.patientReference(f.bundle), let asOf = CalendarDate(fhir: f.asOf),
                  let order = base.out.resources("ServiceRequest").first(where: { r in
                      r.string("intent") != nil && r.child("code")?.children("coding").contains { $0.string("system") == "http://loinc.org" } == true
                  }),
                  let coding = order.child("code")?.children("coding").first(where: { $0.string("system") == "http://loinc.org" }) else { continue }
            pairs += 1
            let sameCode = Set(base.out.resources("ServiceRequest").filter { r in
                r.child("code")?.children("coding").contains { $0.string("system") == "http://loinc.org" && $0.string("code") == coding.string("code") } == true
            }.compactMap { $0.string("id") })
            let revoked = Element.resource("ServiceRequest", [
                .primitive("status", "revoked"), .primitive("intent", "order"),
                .complex("code", [.complex("coding", [.primitive("system", "http://loinc.org"), .primitive("code", coding.string("code")!)])]),
                .complex("subject", [.primitive("reference", subject)]),
                .primitive("authoredOn", asOf.adding(days: -30).description),
            ])
            let other = Self.run(Self.adding(f.bundle, revoked, fullUrl: "urn:uuid:0b8c2f1e-7d1a-4c55-9e0f-5a5a5a5a5a02"), asOf: f.asOf)
            let before = Self.ids(base.out, "ServiceRequest"), after = Self.ids(other.out, "ServiceRequest")
            if !sameCode.isDisjoint(with: after) { failures.append("\(f.name): LOINC \(coding.string("code")!) kept its id") }
            let others = before.subtracting(sameCode)
            if !others.isSubset(of: after) { failures.append("\(f.name): other orders changed: \(others.subtracting(after).count)") }
            if Self.ids(base.out, "CarePlan") != Self.ids(other.out, "CarePlan") { failures.append("\(f.name): the CarePlan id changed") }
        }
        print("metamorphic: a closed earlier order × \(pairs) fixtures with a LOINC order, \(failures.count) failed")
        for f in failures { print("  FAIL \(f)") }
        #expect(pairs > 20)
        #expect(failures.isEmpty)
    }

    /// guideline.md v3 (issue 16): every date and the evaluation date 28 years later (the
    /// Gregorian calendar repeats its leap years and weekdays every 28 years between 1901 and
    /// 2099, so every interval keeps its length): the same decisions, every rule id of every
    /// request, flag, activity and note, as often.
    @Test func shiftingEveryDateKeepsEveryDecision() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            guard let year = Int(f.asOf.prefix(4)) else { continue }
            pairs += 1
            let base = Self.run(f.bundle, asOf: f.asOf)
            let shifted = Self.map(f.bundle) { e in
                var e = e
                if let v = e.value, Self.isDate(v), let y = Int(v.prefix(4)) { e.value = String(y + 28) + v.dropFirst(4) }
                return e
            }
            if let d = Self.otherDecisions(base.bytes, Self.run(shifted, asOf: String(year + 28) + f.asOf.dropFirst(4)).bytes) {
                failures.append("\(f.name): \(d)")
            }
        }
        let withRules = Self.fixtures.filter { f in Self.decisions(Self.run(f.bundle, asOf: f.asOf).bytes).keys.contains { $0.hasPrefix("RPL-") } }.count
        #expect(withRules > 40, "the decisions are read from the output (\(withRules) fixtures name a rule)")
        print("metamorphic: dates 28 years later × \(pairs) fixtures (\(withRules) with rule ids), \(failures.count) failed")
        for f in failures.prefix(20) { print("  FAIL \(f)") }
        #expect(failures.isEmpty)
    }

    /// Issue 16: resources that say nothing the card reads (an allergy, a body height, an
    /// immunization, a practitioner, a viral sinusitis) added to the patient's record: the
    /// same decisions (rule ids of every request, flag, activity and note, as often).
    @Test func unrelatedResourcesChangeNoDecision() throws {
        var pairs = 0
        var failures: [String] = []
        for f in Self.fixtures {
            guard let subject = Self.patientReference(f.bundle) else { continue }
            pairs += 1
            let ref = [Element.primitive("reference", subject)]
            let unrelated: [Element] = [
                .resource("AllergyIntolerance", [.primitive("id", "unrelated-allergy"), S.concept("code", S.sct, "91936005"),
                                                 .complex("patient", ref)]),
                .resource("Observation", [.primitive("id", "unrelated-height"), .primitive("status", "final"), S.concept("code", S.loinc, "8302-2"),
                                          .complex("subject", ref), .primitive("effectiveDateTime", f.asOf),
                                          .complex("valueQuantity", [.primitive("value", "168", kind: .number), .primitive("unit", "cm"),
                                                                     .primitive("system", S.ucum), .primitive("code", "cm")])]),
                .resource("Immunization", [.primitive("id", "unrelated-vaccine"), .primitive("status", "completed"),
                                           S.concept("vaccineCode", "http://hl7.org/fhir/sid/cvx", "140"), .complex("patient", ref),
                                           .primitive("occurrenceDateTime", f.asOf)]),
                .resource("Practitioner", [.primitive("id", "unrelated-gp"), .complex("name", [.primitive("family", "Jansen")])]),
                .resource("Condition", [.primitive("id", "unrelated-condition"), S.concept("code", S.sct, "444814009"), .complex("subject", ref),
                                        .primitive("onsetDateTime", "2015-03-01")]),
            ]
            var added = f.bundle
            for (i, r) in unrelated.enumerated() { added = Self.adding(added, r, fullUrl: "urn:uuid:0000000\(i)-1111-4222-8333-444455556666") }
            if let d = Self.otherDecisions(Self.run(f.bundle, asOf: f.asOf).bytes, Self.run(added, asOf: f.asOf).bytes) {
                failures.append("\(f.name): \(d)")
            }
        }
        print("metamorphic: unrelated resources added × \(pairs) fixtures, \(failures.count) failed")
        for f in failures.prefix(20) { print("  FAIL \(f)") }
        #expect(pairs > 60)
        #expect(failures.isEmpty)
    }

    /// helper-31's trial: a loss `contained` in an Encounter was not counted (the reader built no
    /// Encounter, nor what it held). Every Condition no other resource refers to, moved into an
    /// Encounter of its own as `contained` (the Encounter naming it as its diagnosis, `#id`):
    /// the same decisions; and with each such Encounter sent twice.
    @Test func conditionsContainedInEncountersChangeNoDecision() throws {
        var pairs = 0, moved = 0
        var failures: [String] = []
        for f in Self.fixtures {
            guard let subject = Self.patientReference(f.bundle) else { continue }
            let entries = f.bundle.children("entry")
            // Each entry's resource as text, to find the references to a Condition.
            let texts = entries.map { e in e.child("resource").flatMap { try? JSONWriter().string($0.resource ?? $0) } ?? "" }
            let conditionIds = entries.compactMap { $0.child("resource")?.resource }.filter { $0.name == "Condition" }.compactMap { $0.string("id") }
            var bundle = f.bundle
            var count = 0
            bundle.children = bundle.children.map { child in
                // A Condition that holds resources stays: a contained resource holds none (R4 dom-2;
                // helper-45's audit has a loss holding its gestational age).
                guard child.name == "entry", let r = child.child("resource")?.resource, r.name == "Condition", let id = r.string("id"),
                      conditionIds.filter({ $0 == id }).count == 1, r.child("contained") == nil else { return child }
                let names = ["Condition/\(id)\""] + (child.string("fullUrl").map { ["\"\($0)\""] } ?? [])
                let index = entries.firstIndex { $0.child("resource")?.resource?.string("id") == id && $0.child("resource")?.resource?.name == "Condition" }
                let referred = texts.indices.contains { i in i != index && names.contains(where: texts[i].contains) }
                guard !referred else { return child }
                count += 1
                let encounter = Element.resource("Encounter", [
                    .primitive("id", "holding-\(id)"),
                    .complex("contained", [r]),
                    .primitive("status", "finished"),
                    .complex("class", [.primitive("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"), .primitive("code", "AMB")]),
                    .complex("subject", [.primitive("reference", subject)]),
                    .complex("diagnosis", [.complex("condition", [.primitive("reference", "#" + id)])]),
                ])
                let number = String(count)
                let uuid = "urn:uuid:5e1f0000-0000-4000-8000-" + String(repeating: "0", count: 12 - number.count) + number
                return .complex("entry", [.primitive("fullUrl", uuid), .wrapping("resource", encounter)])
            }
            guard count > 0 else { continue }
            pairs += 1
            moved += count
            // And each holding Encounter sent twice (a resend under a new urn:uuid: helper-32's
            // review found its contained loss counted twice).
            var resent = bundle
            for entry in bundle.children where entry.name == "entry" && entry.child("resource")?.resource?.name == "Encounter" {
                guard let url = entry.string("fullUrl"), url.hasPrefix("urn:uuid:5e1f0000-"), let r = entry.child("resource")?.resource else { continue }
                resent = Self.adding(resent, r, fullUrl: url.replacingOccurrences(of: "5e1f0000-", with: "5e1f0001-"))
            }
            let base = Self.run(f.bundle, asOf: f.asOf)
            for (format, variant, name) in [(FHIRFormat.json, bundle, "moved"), (.xml, bundle, "moved, XML"), (.json, resent, "moved and resent")] {
                if let d = Self.otherDecisions(base.bytes, Self.run(variant, asOf: f.asOf, format: format).bytes) {
                    failures.append("\(f.name) (\(name)): \(d)")
                }
            }
        }
        print("metamorphic: Conditions contained in Encounters × \(pairs) fixtures (\(moved) moved), \(failures.count) failed")
        for f in failures.prefix(20) { print("  FAIL \(f)") }
        #expect(pairs > 60)
        #expect(failures.isEmpty)
    }

    static func isDate(_ v: String) -> Bool {
        let u = Array(v.utf8)
        guard u.count >= 4, u[0..<4].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), u[0] == UInt8(ascii: "1") || u[0] == UInt8(ascii: "2") else { return false }
        return u.count == 4 || (u.count >= 7 && u[4] == UInt8(ascii: "-") && u[5...6].allSatisfy { $0 >= 0x30 && $0 <= 0x39 })
    }

    /// How two outputs' decisions differ, or nil.
    static func otherDecisions(_ a: [UInt8], _ b: [UInt8]) -> String? {
        let (x, y) = (decisions(a), decisions(b))
        return x == y ? nil : "\(x) vs \(y)"
    }

    /// Every rule id in an output, with how often it occurs, and the count of each resource type.
    static func decisions(_ bytes: [UInt8]) -> [String: Int] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [String: Int] = [:]
        var i = text.startIndex
        while let r = text.range(of: "-", range: i..<text.endIndex) {
            i = r.upperBound
            let before = text[..<r.lowerBound].suffix(3)
            guard before == "RPL" || before.suffix(2) == "NR" else { continue }
            let start = text.index(r.lowerBound, offsetBy: before == "RPL" ? -3 : -2)
            if start > text.startIndex, let p = text[..<start].last, p.isLetter || p.isNumber || p == "-" { continue }
            var end = r.upperBound
            while end < text.endIndex, text[end].isUppercase || text[end].isNumber || (text[end] == "-" && text.index(after: end) < text.endIndex && text[text.index(after: end)].isUppercase) { end = text.index(after: end) }
            out[String(text[start..<end]), default: 0] += 1
        }
        for t in ["ServiceRequest", "MedicationRequest", "DetectedIssue", "CarePlan", "RiskAssessment"] {
            out["resource:" + t] = text.components(separatedBy: "\"resourceType\":\"\(t)\"").count - 1
        }
        return out
    }

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        let n = zip(a, b).prefix { $0 == $1 }.count
        let lo = max(0, n - 120)
        func slice(_ x: [UInt8]) -> String { String(decoding: x[min(lo, x.count)..<min(n + 80, x.count)], as: UTF8.self) }
        return "at byte \(n): «\(slice(a))» vs «\(slice(b))»"
    }

    // MARK: the transformations

    /// The Bundle as JSON with every object's keys in reverse order of their first appearance
    /// (`resourceType` still first, siblings of one name in their order): what a system that
    /// writes its keys in another order sends. Written here, as the writers always use R4's order.
    static func keysReversed(_ root: Element) -> [UInt8] {
        func quoted(_ s: String) -> String {
            var r = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": r += "\\\""
                case "\\": r += "\\\\"
                case "\n": r += "\\n"
                case "\r": r += "\\r"
                case "\t": r += "\\t"
                default: if u.value < 0x20 { r += String(format: "\\u%04x", u.value) } else { r.unicodeScalars.append(u) }
                }
            }
            return r + "\""
        }
        func object(_ children: [Element], type: TypeTable.TypeInfo?, resourceType: String?) -> String {
            var groups: [(name: String, items: [Element])] = []
            for c in children {
                if let i = groups.firstIndex(where: { $0.name == c.name }) { groups[i].items.append(c) } else { groups.append((c.name, [c])) }
            }
            var members = resourceType.map { ["\"resourceType\":" + quoted($0)] } ?? []
            for (name, items) in groups.reversed() {
                let info = type?.element(name)
                // R4 says what repeats (a tree read from XML has no arrays to remember).
                let isArray = info?.repeats ?? (items.count > 1 || items[0].wasArray)
                func list(_ parts: [String]) -> String { isArray ? "[" + parts.joined(separator: ",") + "]" : parts[0] }
                if info?.primitiveKind != nil || items.contains(where: { $0.value != nil }) {
                    if items.contains(where: { $0.value != nil }) {
                        // The JSON kind from R4 (a tree read from XML holds every value as text).
                        func isText(_ e: Element) -> Bool {
                            switch info?.primitiveKind {
                            case .number?, .boolean?: return false
                            case .string?, .xhtml?: return true
                            case nil: return e.valueKind == .string
                            }
                        }
                        members.append(quoted(name) + ":" + list(items.map { e in e.value.map { isText(e) ? quoted($0) : $0 } ?? "null" }))
                    }
                    if items.contains(where: { !$0.children.isEmpty }) {
                        members.append(quoted("_" + name) + ":" + list(items.map { $0.children.isEmpty ? "null" : object($0.children, type: TypeTable.r4.type("Element"), resourceType: nil) }))
                    }
                } else {
                    members.append(quoted(name) + ":" + list(items.map { item in
                        if !item.isResource, let r = item.resource { return object(r.children, type: TypeTable.r4.type(r.name), resourceType: r.name) }
                        return object(item.children, type: info.flatMap { TypeTable.r4.type(number: $0.typeNumber) }, resourceType: nil)
                    }))
                }
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        return Array(object(root.children, type: TypeTable.r4.type(root.name), resourceType: root.name).utf8)
    }

    /// Every element of the tree, bottom up.
    static func map(_ e: Element, _ f: (Element) -> Element) -> Element {
        var e = e
        e.children = e.children.map { map($0, f) }
        return f(e)
    }

    static func rewordDisplays(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if e.children.contains(where: { $0.name == "coding" }) {
                // A text beside codes is a display of the same meaning.
                for i in e.children.indices where e.children[i].name == "text" && e.children[i].value != nil {
                    e.children[i].value = "Reworded: " + e.children[i].value!
                }
            } else if e.name == "coding" && e.child("code") != nil && e.child("system") != nil {
                for i in e.children.indices where e.children[i].name == "display" && e.children[i].value != nil {
                    e.children[i].value = e.children[i].value!.uppercased() + " (as the sender words it)"
                }
            }
            return e
        }
    }

    static func rewriteDecimals(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if e.valueKind == .number, let v = e.value, v.contains("."), !v.contains("e"), !v.contains("E") { e.value = v + "0" }
            return e
        }
    }

    /// `4.60` → `460E-2`, `-0.5` → `-5E-1` (JSON's exponent form; R4 decimals allow it).
    static func exponentDecimals(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if e.valueKind == .number, let v = e.value, let point = v.firstIndex(of: "."), !v.contains("e"), !v.contains("E") {
                let negative = v.hasPrefix("-")
                var digits = String((negative ? v.dropFirst() : v[...]).filter { $0 != "." })
                while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst() }
                e.value = (negative ? "-" : "") + digits + "E-" + String(v.distance(from: point, to: v.endIndex) - 1)
            }
            return e
        }
    }

    /// `T09:30:00Z` → `T09:30:00.000Z`, with any zone.
    static func zeroFractionSeconds(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if let v = e.value {
                let u = Array(v.utf8)
                if u.count >= 20, u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
                   [UInt8(ascii: "Z"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(u[19]) {
                    e.value = String(decoding: u[..<19], as: UTF8.self) + ".000" + String(decoding: u[19...], as: UTF8.self)
                }
            }
            return e
        }
    }

    static func rewriteTimeZones(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if let v = e.value, let moved = Self.otherZone(v) { e.value = moved }
            return e
        }
    }

    /// Every instant in a zone far from the Netherlands, alternately west and east, so that many
    /// evening and morning times are written on another day (helper-43's trial: a TSH at
    /// 23:30-02:00 and the same moment in Z were two days).
    static func rewriteFarZones(_ b: Element) -> Element {
        var n = 0
        return map(b) { e in
            var e = e
            if let v = e.value, let moved = Self.otherZone(v, to: n % 2 == 0 ? -300 : 540) { e.value = moved; n += 1 }
            return e
        }
    }

    /// `2025-03-10T09:00:00Z` → `2025-03-10T10:00:00+01:00`; `…+02:00` → the same instant in `Z`;
    /// with `to`, the same instant at that offset (minutes east of UTC).
    static func otherZone(_ s: String, to fixed: Int? = nil) -> String? {
        let u = Array(s.utf8)
        guard u.count >= 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":") else { return nil }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16) else { return nil }
        var end = 16
        var seconds = ""
        if u.count > 16, u[16] == UInt8(ascii: ":") {
            end = 19
            while end < u.count, u[end] != UInt8(ascii: "Z"), u[end] != UInt8(ascii: "+"), u[end] != UInt8(ascii: "-") { end += 1 }
            seconds = String(decoding: u[16..<end], as: UTF8.self)
        }
        let zone = String(decoding: u[end...], as: UTF8.self)
        let offset: Int  // minutes east of UTC
        if zone == "Z" { offset = 0 } else if zone.count == 6, let zh = Int(zone.dropFirst().prefix(2)), let zm = Int(zone.suffix(2)) {
            offset = (zone.first == "-" ? -1 : 1) * (zh * 60 + zm)
        } else { return nil }
        let target = fixed ?? (zone == "Z" ? 60 : 0)
        guard let start = CalendarDate(year: y, month: mo, day: d) else { return nil }
        var minutes = start.dayNumber * 1440 + h * 60 + mi - offset + target
        let day = Int((Double(minutes) / 1440).rounded(.down))
        minutes -= day * 1440
        let date = CalendarDate(dayNumber: day).description + String(format: "T%02d:%02d", minutes / 60, minutes % 60)
        let zoneText = target == 0 ? "Z" : (target < 0 ? "-" : "+") + String(format: "%02d:%02d", abs(target) / 60, abs(target) % 60)
        return date + seconds + zoneText
    }

    /// A local code first, as hospital exports often put it (not the statuses, whose first
    /// coding is the FHIR one).
    /// A local coding beside a concept's codings. Only where one of them is in a standard system:
    /// a concept coded in local systems alone is named by all its codings (interface.md v3: "only
    /// when no coding is recognised, the sorted system|code of all its codings"), so an extra one
    /// is another name, not the same concept (the fifth clinical audit's local requests).
    static func addExtraCoding(_ b: Element) -> Element {
        let standard = ["http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10", "http://www.whocc.no/atc",
                        "http://hl7.org/fhir/sid/icpc-1-nl", "http://terminology.hl7.org/CodeSystem/", "urn:oid:"]
        return map(b) { e in
            var e = e
            let statuses: Set<String> = ["clinicalStatus", "verificationStatus"]
            let codedInAStandard = e.children.contains { c in c.name == "coding" && standard.contains { c.string("system")?.hasPrefix($0) == true } }
            if !statuses.contains(e.name), codedInAStandard, let first = e.children.firstIndex(where: { $0.name == "coding" }) {
                let code = e.children[first].string("code") ?? "x"
                e.children.insert(.complex("coding", [.primitive("system", "http://example.org/fhir/CodeSystem/local-hix"), .primitive("code", "L-" + code),
                                                      .primitive("display", "local")]), at: first)
            }
            return e
        }
    }

    static func reverseIdentifiers(_ b: Element) -> Element {
        map(b) { e in
            guard e.isResource else { return e }
            var e = e
            let ids = e.children.filter { $0.name == "identifier" }
            guard ids.count > 1, let first = e.children.firstIndex(where: { $0.name == "identifier" }) else { return e }
            e.children.removeAll { $0.name == "identifier" }
            e.children.insert(contentsOf: ids.reversed(), at: first)
            return e
        }
    }

    static func reverseEntries(_ b: Element) -> Element {
        var b = b
        let entries = b.children.filter { $0.name == "entry" }
        guard let first = b.children.firstIndex(where: { $0.name == "entry" }) else { return b }
        b.children.removeAll { $0.name == "entry" }
        b.children.insert(contentsOf: entries.reversed(), at: first)
        return b
    }

    static func renameURNs(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if let v = e.value, v.hasPrefix("urn:uuid:") {
                // A different, stable uuid per original one.
                var h: UInt64 = 0xcbf29ce484222325
                for c in v.utf8 { h = (h ^ UInt64(c)) &* 0x100000001b3 }
                let hex = String(h, radix: 16).padding(toLength: 16, withPad: "0", startingAt: 0)
                let a = Array(hex)
                e.value = "urn:uuid:\(String(a[0..<8]))-\(String(a[8..<12]))-4\(String(a[12..<15]))-9\(String(a[0..<3]))-\(String(a[3..<15]))a"
            }
            return e
        }
    }

    static let oids: [String: String] = [
        "http://loinc.org": "urn:oid:2.16.840.1.113883.6.1",
        "http://snomed.info/sct": "urn:oid:2.16.840.1.113883.6.96",
        "http://www.whocc.no/atc": "urn:oid:2.16.840.1.113883.6.73",
        "http://hl7.org/fhir/sid/icd-10": "urn:oid:2.16.840.1.113883.6.3",
        "http://fhir.nl/fhir/NamingSystem/bsn": "urn:oid:2.16.840.1.113883.2.4.6.3",
        "http://unitsofmeasure.org": "urn:oid:2.16.840.1.113883.6.8",
    ]

    static func systemsAsOIDs(_ b: Element) -> Element {
        map(b) { e in
            var e = e
            if e.name == "system", let v = e.value, let oid = oids[v] { e.value = oid }
            return e
        }
    }

    static func padCodes(_ b: Element) -> Element {
        map(b) { e in
            guard e.name == "coding" else { return e }
            var e = e
            for i in e.children.indices where e.children[i].name == "code" && e.children[i].value != nil { e.children[i].value! += " " }
            return e
        }
    }

    /// `Condition?patient=…&_include=Condition:subject`-style: the patient `include`, the rest
    /// `match`.
    static func asSearchset(_ b: Element) -> Element {
        var b = b
        guard b.string("type") == "collection" else { return b }
        for i in b.children.indices {
            if b.children[i].name == "type" { b.children[i].value = "searchset" }
            guard b.children[i].name == "entry", let r = b.children[i].child("resource")?.resource else { continue }
            let mode = r.name == "Patient" ? "include" : "match"
            b.children[i].children.append(.complex("search", [.primitive("mode", mode)]))
        }
        return b
    }

    /// Each Condition and Observation that has an id also sent as an earlier version (versionId 1,
    /// its status still preliminary or provisional), the record itself as version 2.
    static func withEarlierVersions(_ b: Element) -> Element {
        var b = b
        var out: [Element] = []
        for c in b.children {
            guard c.name == "entry", let r = c.child("resource")?.resource, ["Condition", "Observation"].contains(r.name), r.child("id") != nil, r.child("meta") == nil else {
                out.append(c)
                continue
            }
            func versioned(_ r: Element, _ v: String) -> Element {
                var r = r
                let at = r.children.firstIndex { $0.name == "id" }.map { $0 + 1 } ?? 0
                r.children.insert(.complex("meta", [.primitive("versionId", v)]), at: at)
                return r
            }
            var old = c
            var earlier = versioned(r, "1")
            for i in earlier.children.indices where earlier.children[i].name == "status" { earlier.children[i].value = "preliminary" }
            old.children = old.children.map { $0.name == "resource" ? .wrapping("resource", earlier) : $0 }
            var new = c
            new.children = new.children.map { $0.name == "resource" ? .wrapping("resource", versioned(r, "2")) : $0 }
            out.append(old)
            out.append(new)
        }
        b.children = out
        return b
    }
}
