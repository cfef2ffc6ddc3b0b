import FHIR
import Foundation
import Testing
@testable import RPLAdapter

/// `ConceptAnswers` (the fact sources' memo of the terminology) answers every question as the
/// terminology itself does: for codes listed, excluded, below an included or excluded category or
/// in a block, written with blanks or as an OID, mapped from a local code, or unknown; for
/// concepts of one and of two codings, a bare Coding and text alone; asked in either order, and
/// again through a copy that shares the concept's storage.
@Suite struct ConceptAnswersTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Profiles").standardizedFileURL

    /// (system, code, display) from every ValueSet's include and exclude (concepts and filter
    /// values) and the ConceptMap's local codes, as the Profiles write them.
    static func sourceCodes() throws -> [(String, String, String?)] {
        var out: [(String, String, String?)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() where name.hasSuffix(".json") {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(name))) as? [String: Any]
            if name.hasPrefix("ValueSet-"), let compose = object?["compose"] as? [String: Any] {
                for part in ((compose["include"] as? [[String: Any]]) ?? []) + ((compose["exclude"] as? [[String: Any]]) ?? []) {
                    guard let system = part["system"] as? String else { continue }
                    for c in (part["concept"] as? [[String: Any]]) ?? [] { out.append((system, c["code"] as! String, c["display"] as? String)) }
                    for f in (part["filter"] as? [[String: Any]]) ?? [] { out.append((system, f["value"] as! String, nil)) }
                }
            } else if name.hasPrefix("ConceptMap-") {
                for group in (object?["group"] as? [[String: Any]]) ?? [] {
                    guard let system = group["source"] as? String else { continue }
                    for e in (group["element"] as? [[String: Any]]) ?? [] { out.append((system, e["code"] as! String, e["display"] as? String)) }
                }
            }
        }
        return out
    }

    /// Each code as written, and its neighbours: a child, a code in and past a block's ends, blanks
    /// around it, lower case, the system as its OID, another system.
    static func variants(_ system: String, _ code: String) -> [(String, String)] {
        var codes = [code, code + ".9", code + "1", " " + code + "\n", code.lowercased()]
        if code.count == 7, code.contains("-") {
            let first = String(code.prefix(3)), last = String(code.suffix(3))
            codes += [first, first + ".1", last + ".9", String(last.prefix(2)) + "9"]
        }
        let oid = Terminology.oidSystems.first { $0.value == system }?.key
        var out = codes.map { (system, $0) }
        if let oid { out.append((oid, code)) }
        out.append(("http://example.org/other", code))
        return out
    }

    static func coding(_ system: String, _ code: String, _ display: String? = nil) -> Element {
        .complex("coding", [.primitive("system", system), .primitive("code", code)] + (display.map { [.primitive("display", $0)] } ?? []))
    }

    static func concepts() throws -> [Element] {
        let sources = try sourceCodes()
        var codings: [Element] = []
        for (system, code, display) in sources {
            for (s, c) in variants(system, code) { codings.append(coding(s, c, display)) }
        }
        var out: [Element] = []
        for (i, c) in codings.enumerated() {
            out.append(.complex("code", [c]))
            // Two codings: the second from elsewhere in the list.
            out.append(.complex("code", [c, codings[(i * 7 + 3) % codings.count]]))
            if i % 5 == 0 { out.append(.complex("coding", c.children)) }
        }
        // Text alone, and text beside a code nobody lists: the keyword fallback.
        for (system, code, display) in sources where display != nil {
            out.append(.complex("code", [.primitive("text", display!)]))
            out.append(.complex("code", [coding("http://example.org/local", code), .primitive("text", display!.uppercased())]))
        }
        out.append(.complex("code", [.primitive("text", "habitual abortion; recurrent miscarriage")]))
        return out
    }

    @Test func everyAnswerIsTheTerminologys() throws {
        let terminology = try Profiles.builtIn().terminology
        let concepts = try Self.concepts()
        #expect(concepts.count > 2000)
        print("ConceptAnswersTests: \(concepts.count) concepts × \(ValueSetID.allCases.count) ValueSets")
        let forward = ConceptAnswers(terminology), backward = ConceptAnswers(terminology)
        let valueSets = ValueSetID.allCases
        var matched = 0, byKeyword = 0, wrong: [String] = []
        for concept in concepts {
            let copy = concept
            #expect(forward.codes(of: concept) == terminology.codes(of: concept))
            for vs in valueSets {
                let expected = terminology.matches(concept, vs), expectedKeyword = terminology.matchesKeyword(concept, vs)
                if expected { matched += 1 }
                if expectedKeyword { byKeyword += 1 }
                if forward.matches(concept, vs) != expected || forward.matchesKeyword(concept, vs) != expectedKeyword {
                    wrong.append("\(vs) \(concept)")
                }
            }
            for vs in valueSets.reversed() {
                // Asked again through a copy (the same storage: the memo's answer).
                if forward.matches(copy, vs) != terminology.matches(concept, vs) { wrong.append("again \(vs) \(concept)") }
                if backward.matchesKeyword(concept, vs) != terminology.matchesKeyword(concept, vs)
                    || backward.matches(concept, vs) != terminology.matches(concept, vs) { wrong.append("backward \(vs) \(concept)") }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) answers differ, first: \(wrong.prefix(3))")
        // The cases above reach both answers of both questions.
        #expect(matched > 1000 && byKeyword > 100)
    }

    @Test func noConceptAndAnEmptyOneMatchNothing() throws {
        let answers = ConceptAnswers(try Profiles.builtIn().terminology)
        for vs in ValueSetID.allCases {
            #expect(!answers.matches(nil, vs) && !answers.matches(.complex("code", []), vs))
            #expect(!answers.matchesKeyword(nil, vs) && !answers.matchesKeyword(.complex("code", []), vs))
        }
        #expect(answers.codes(of: nil).isEmpty)
    }

    /// Hand-made ValueSets for what the built-in ones do not hold: a code both listed and
    /// excluded, a listed code below an excluded category, a block with an excluded code in it.
    @Test func exclusionsWinAsTheyDoInTheTerminology() throws {
        func valueSet(_ id: ValueSetID, _ compose: String) throws -> Element {
            try FHIRFormat.json.read(Array(#"{"resourceType": "ValueSet", "id": "\#(id.rawValue)", "status": "active", "compose": \#(compose)}"#.utf8))
        }
        let icd = "http://hl7.org/fhir/sid/icd-10", loinc = "http://loinc.org"
        let terminology = Terminology(resources: [
            "ValueSet/a": try valueSet(.delivery, #"{"include": [{"system": "\#(icd)", "concept": [{"code": "O03.1"}]}, {"system": "\#(icd)", "filter": [{"property": "concept", "op": "is-a", "value": "O02"}]}], "exclude": [{"system": "\#(icd)", "filter": [{"property": "concept", "op": "is-a", "value": "O03"}]}]}"#),
            "ValueSet/b": try valueSet(.tsh, #"{"include": [{"system": "\#(loinc)", "concept": [{"code": "3016-3"}, {"code": "11580-8"}]}], "exclude": [{"system": "\#(loinc)", "concept": [{"code": "3016-3"}]}]}"#),
            "ValueSet/c": try valueSet(.amenorrhoea, #"{"include": [{"system": "\#(icd)", "concept": [{"code": "N91.1"}, {"code": "Q05.4"}]}, {"system": "\#(icd)", "filter": [{"property": "concept", "op": "is-a", "value": "Q00-Q07"}]}], "exclude": [{"system": "\#(icd)", "concept": [{"code": "Q05.4"}]}]}"#),
        ])
        // By hand, from `Members.contains`: an exclusion wins over a listing and a category.
        let cases: [(ValueSetID, String, String, Bool)] = [
            (.delivery, icd, "O03.1", false), (.delivery, icd, "O02.1", true), (.delivery, icd, "O03", false),
            (.tsh, loinc, "3016-3", false), (.tsh, loinc, "11580-8", true),
            (.amenorrhoea, icd, "N91.1", true), (.amenorrhoea, icd, "Q03.1", true), (.amenorrhoea, icd, "Q05.4", false),
            (.amenorrhoea, icd, "Q08", false), (.amenorrhoea, icd, "Q00", true),
        ]
        let answers = ConceptAnswers(terminology)
        for (vs, system, code, expected) in cases {
            let concept = Element.complex("code", [Self.coding(system, code)])
            #expect(terminology.matches(concept, vs) == expected, "terminology: \(vs) \(code)")
            #expect(answers.matches(concept, vs) == expected, "memo: \(vs) \(code)")
            // With a second coding that is in none of them, and in the other order.
            let two = Element.complex("code", [Self.coding(loinc, "0000-0"), Self.coding(system, code)])
            #expect(answers.matches(two, vs) == expected, "memo, two codings: \(vs) \(code)")
        }
    }

    /// Concepts made, asked about and dropped one after another: their storage is freed and its
    /// address given to the next, which must not get the answers of the one before (each entry
    /// keeps its concept's storage, so no address is reused while the answers live).
    @Test func aDroppedConceptsAddressIsNeverAnotherConcepts() throws {
        let terminology = try Profiles.builtIn().terminology
        let answers = ConceptAnswers(terminology)
        let sources = try Self.sourceCodes()
        var wrong = 0
        for i in 0..<3000 {
            let (system, code, _) = sources[(i * 13) % sources.count]
            // A fresh array each time (built, not copied), dropped at the end of the iteration.
            let concept = Element.complex("code", [Self.coding(system, i % 3 == 0 ? code : code + ".\(i % 10)")])
            for vs in [ValueSetID.pregnancyLoss, .tsh, .delivery, .prolactin, .congenitalMalformation, .amenorrhoea] {
                if answers.matches(concept, vs) != terminology.matches(concept, vs) { wrong += 1 }
            }
            if answers.codes(of: concept) != terminology.codes(of: concept) { wrong += 1 }
        }
        #expect(wrong == 0)
    }
}
