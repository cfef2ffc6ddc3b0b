import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// Issue 20: JSON Observations that cannot matter are kept as skeletons (`ResourceScreen`,
/// `Profiles.observationScreen`). The screen must change nothing a user sees: every plan, every
/// warning, every refusal the same as a full reading gives.
@Suite struct ObservationScreenTests {
    static let screen = InProcess.profiles.observationScreen

    /// The whole pipeline on one input, read with or without the screen: the output's bytes, the
    /// warnings, why no plan was made, or the error.
    static func run(_ bytes: [UInt8], format: FHIRFormat, asOf: CalendarDate?, screened: Bool) -> String {
        do {
            let input = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in
                try Adapter.read(b, as: format, screen: screened ? screen : nil)
            }
            let result = try Adapter(profiles: InProcess.profiles).apply(input, asOf: asOf)
            let out = try JSONWriter().write(result.output)
            return String(decoding: out, as: UTF8.self) + "\n" + result.warnings.joined(separator: "\n") + "\n" + (result.notIndicated ?? "")
        } catch {
            return "error: \(error)"
        }
    }

    static func asOf(_ folder: URL) -> CalendarDate? {
        guard let p = try? Data(contentsOf: folder.appendingPathComponent("parameters.json")),
              let params = try? JSONReader.read([UInt8](p)) else { return nil }
        return params.children("parameter").first { $0.string("name") == "asOf" }?.string("valueDate").flatMap(CalendarDate.init(fhir:))
    }

    /// Every fixture (XML ones as JSON), and the Synthea records: the same plan, warnings and
    /// errors with the screen as without.
    @Test func theScreenChangesNothingOnAnyFixtureOrSyntheaRecord() throws {
        let fixtures = InProcess.projectRoot.appendingPathComponent("Fixtures")
        var inputs: [(name: String, bytes: [UInt8], asOf: CalendarDate?)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() {
            let folder = fixtures.appendingPathComponent(name)
            if let json = try? Data(contentsOf: folder.appendingPathComponent("input.json")) {
                inputs.append((name, [UInt8](json), Self.asOf(folder)))
            } else if let xml = try? Data(contentsOf: folder.appendingPathComponent("input.xml")),
                      let tree = try? XMLReader.read([UInt8](xml)), let json = try? JSONWriter().write(tree) {
                inputs.append((name, json, Self.asOf(folder)))
            }
        }
        let synthea = InProcess.projectRoot.appendingPathComponent("TestData/corpus/synthea/bundles")
        for name in try FileManager.default.contentsOfDirectory(atPath: synthea.path).sorted() where name.hasSuffix(".json") {
            inputs.append((name, [UInt8](try Data(contentsOf: synthea.appendingPathComponent(name))), CalendarDate(fhir: "2026-11-02")))
        }
        #expect(inputs.count > 500)
        var differing: [String] = []
        for input in inputs {
            let full = Self.run(input.bytes, format: .json, asOf: input.asOf, screened: false)
            let screened = Self.run(input.bytes, format: .json, asOf: input.asOf, screened: true)
            if full != screened { differing.append(input.name) }
        }
        #expect(differing.isEmpty, "\(differing)")
    }

    static func observation(_ members: String) -> String {
        """
        {"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:0b4e3c9a-1f7e-4c1e-9a53-2f1d7d0c1a01","resource":{"resourceType":"Observation","id":"o1",\(members)}}]}
        """
    }

    /// The Observation as read with the screen.
    static func read(_ members: String) throws -> Element {
        let bundle = try Array(observation(members).utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in
            try Adapter.read(b, as: .json, screen: screen)
        }
        return try #require(bundle.child("entry")?.child("resource")?.resource)
    }

    static let subject = #""subject":{"reference":"Patient/p"}"#

    /// Built whole: a code a ValueSet lists (with blanks, in lower case), a keyword of one in a text
    /// or a display, a category's descendant, a block's category, an escape, a byte beyond ASCII.
    @Test func anObservationThatMayMatterIsBuiltWhole() throws {
        for members in [
            #""status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156-5"}]},"valueQuantity":{"value":31}"#,
            #""status":"final","code":{"coding":[{"system":"http://loinc.org","code":" 39156-5 "}]},"valueQuantity":{"value":31}"#,
            #""status":"final","code":{"text":"Trombofilie"}"#,
            #""status":"final","code":{"coding":[{"system":"http://example.org","code":"x","display":"Vaginal bleeding, first trimester"}]}"#,
            #""status":"final","code":{"coding":[{"system":"http://example.org","code":"x"}]},"valueString":"twijfelachtig""#,
            #""status":"final","code":{"coding":[{"system":"http://example.org","code":"x"}]},"valueCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"q05.4"}]}"#,
            #""status":"final","code":{"coding":[{"system":"http://example.org","code":"x"}]},"valueCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"O03.9"}]}"#,
            #""status":"final","code":{"coding":[{"system":"http://loinc.org","code":"39156\u002d5"}]}"#,
            #""status":"final","code":{"text":"Gewicht ná de bevalling"}"#,
        ] {
            let r = try Self.read(members + "," + Self.subject)
            #expect(r.string("status") == "final", "\(members)")
        }
    }

    /// A skeleton: its id and meta, nothing else (a reference to it resolves, a newer version
    /// replaces it).
    @Test func anObservationThatCannotMatterIsASkeleton() throws {
        let r = try Self.read(#""meta":{"versionId":"2"},"status":"final","#
            + #""category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"#
            + #""code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart rate"},"#
            + Self.subject + #","effectiveDateTime":"2026-01-01","valueQuantity":{"value":72,"unit":"/min"}"#)
        #expect(r.children.map(\.name) == ["id", "meta"])
        #expect(r.string("status") == nil)
    }

    /// An Observation that holds resources is built whole: a loss contained in a heart rate
    /// counts (a contained resource is read as any resource).
    @Test func anObservationHoldingResourcesIsBuiltWhole() throws {
        let loss = #"{"resourceType":"Condition","id":"l1","code":{"coding":[{"system":"http://snomed.info/sct","code":"17369002"}]},"subject":{"reference":"Patient/p"}}"#
        let r = try Self.read(#""contained":["# + loss + #"],"status":"final","code":{"text":"Heart rate"},"# + Self.subject)
        #expect(r.string("status") == "final")
        #expect(r.child("contained")?.resource?.name == "Condition")
    }

    /// What the screen gives up, as for any resource not read: an Observation that cannot matter
    /// has its FHIR types unchecked (a number written as a string is read by the screened reading,
    /// refused by a full one, as `convert` refuses it).
    @Test func aSkeletonsTypesAreNotChecked() throws {
        let text = Self.observation(#""status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":"72"},"# + Self.subject)
        let bytes = Array(text.utf8)
        #expect(throws: FHIRFormatError.self) { try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try Adapter.read(b, as: .json) } }
        let r = try Self.read(#""status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":"72"},"# + Self.subject)
        #expect(r.children.map(\.name) == ["id"])
    }

    /// The fuzz target's checks, on every JSON input of the fixtures and the corpus: the screened
    /// reading refuses nothing the full one reads and differs only in skeletons; the C pass that
    /// screens ends each resource where the C pass over values not built does.
    @Test func screenedAndFullReadingsAgreeOnEveryJSONInput() throws {
        var files: [URL] = []
        for root in ["Fixtures", "TestData/corpus"] {
            let url = InProcess.projectRoot.appendingPathComponent(root)
            let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
            while let f = walker?.nextObject() as? URL { if f.pathExtension == "json" { files.append(f) } }
        }
        #expect(files.count > 1000)
        var disagreements: [String] = []
        for f in files {
            let bytes = [UInt8](try Data(contentsOf: f))
            let difference = bytes.withUnsafeBufferPointer { b in
                JSONReader.screenDisagrees(b, screen: Self.screen, materialise: { Adapter.resourceTypesRead.contains($0) })
                    ?? JSONReader.screenPassDisagrees(b, screen: Self.screen)
            }
            if let difference { disagreements.append("\(f.lastPathComponent): \(difference)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    /// Checked as strictly for syntax: a duplicate key or a bad number in a skipped member is
    /// still refused, where it is.
    @Test func aSkeletonsSkippedMembersAreStillCheckedForSyntax() throws {
        for members in [
            #""status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":72,"value":73}"#,
            #""status":"final","code":{"text":"Heart rate"},"valueQuantity":{"value":07}"#,
            #""status":"final","status":"final","code":{"text":"Heart rate"}"#,
        ] {
            #expect(throws: FHIRFormatError.self, "\(members)") { try Self.read(members) }
        }
    }

    /// An Observation known by its words alone still counts where words count: named as a
    /// heparin request's reason ("diepe veneuze trombose"), it is another indication and the
    /// heparin is not flagged (NR-DRUGS), with and without the screen. Held by the screen's
    /// keyword branch and by the skeleton's code, each alone; no fixture had such a record (cutting
    /// both failed no other test).
    @Test func anObservationNamedByItsWordsAsAReasonIsStillRead() throws {
        var s = S(losses: ["2024-03-10", "2025-01-22", "2026-01-22"])
        var vte = S.observation("vte", "http://example.org/local-codes", "DVT-1", date: "2025-06-01")
        vte.children = vte.children.map { $0.name == "code" ? .complex("code", [.complex("coding", [.primitive("system", "http://example.org/local-codes"), .primitive("code", "DVT-1")]),
                                                                               .primitive("text", "Diepe veneuze trombose")]) : $0 }
        s.add(vte)
        var heparin = S.medicationRequest("frax", nil, nil, text: "Fraxiparine 2850 IE sc")
        heparin.children.append(.complex("reasonReference", [.primitive("reference", "Observation/vte")]))
        s.add(heparin)
        let bytes = try JSONWriter().write(s.bundle())
        let asOf = CalendarDate(fhir: "2026-11-02")
        #expect(Self.run(bytes, format: .json, asOf: asOf, screened: true) == Self.run(bytes, format: .json, asOf: asOf, screened: false))
        let out = try InProcess.apply(s)
        #expect(out.flags.isEmpty)
        #expect(out.notes.contains { $0.hasPrefix("NR-DRUGS") && $0.contains("Diepe veneuze trombose") })
    }

    // MARK: helper-46's review: copies and identifiers

    /// A record of three losses and a high TSH (`obs4`), with more entries: (fullUrl, resource JSON).
    static func record(_ more: [(String?, String)], tshIdentifier: String? = nil, tshFullUrl: String? = nil) -> [UInt8] {
        let subject = #""subject":{"reference":"Patient/p1"}"#
        var entries: [(String?, String)] = [(nil, #"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1992-04-01"}"#)]
        for (i, onset) in ["2024-03-10", "2025-01-22", "2026-01-22"].enumerated() {
            entries.append((nil, #"{"resourceType":"Condition","id":"loss\#(i)","code":{"coding":[{"system":"http://snomed.info/sct","code":"17369002"}]},"onsetDateTime":"\#(onset)",\#(subject)}"#))
        }
        let identifier = tshIdentifier.map { #""identifier":[{"system":"urn:lab:accession","value":"\#($0)"}],"# } ?? ""
        entries.append((tshFullUrl, #"{"resourceType":"Observation","id":"obs4",\#(identifier)"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"3016-3"}]},\#(subject),"effectiveDateTime":"2026-09-01","valueQuantity":{"value":6.0,"unit":"mU/L","system":"http://unitsofmeasure.org","code":"mU/L"},"referenceRange":[{"low":{"value":0.4},"high":{"value":4.0}}]}"#))
        entries += more
        let body = entries.map { e in (e.0.map { #"{"fullUrl":"\#($0)","resource":"# } ?? #"{"resource":"#) + e.1 + "}" }.joined(separator: ",")
        return Array((#"{"resourceType":"Bundle","type":"collection","entry":["# + body + "]}").utf8)
    }

    static func heartRate(id: String, value: Int, identifier: String? = nil) -> String {
        let i = identifier.map { #""identifier":[{"system":"urn:lab:accession","value":"\#($0)"}],"# } ?? ""
        return #"{"resourceType":"Observation","id":"\#(id)",\#(i)"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-09-01","valueQuantity":{"value":\#(value),"unit":"/min"}}"#
    }

    static func same(_ bytes: [UInt8]) -> Bool {
        let asOf = CalendarDate(fhir: "2026-11-02")
        return run(bytes, format: .json, asOf: asOf, screened: true) == run(bytes, format: .json, asOf: asOf, screened: false)
    }

    /// A heart rate sharing the TSH's accession number: the pair is warned about and the TSH's
    /// identity names its code, screened or not (before, a skeleton dropped its identifier and the
    /// plan's ids changed).
    @Test func anObservationWithIdentifiersIsBuiltWhole() throws {
        let bytes = Self.record([(nil, Self.heartRate(id: "hr1", value: 72, identifier: "A123"))], tshIdentifier: "A123")
        #expect(Self.same(bytes))
        // The shared identifier is said (Observation/hr1 names Observation/obs4's).
        #expect(Self.run(bytes, format: .json, asOf: CalendarDate(fhir: "2026-11-02"), screened: true).contains("Observation/hr1: "))
    }

    /// A heart rate with the TSH's id under another urn, no meta: which copy is newer is told by
    /// content, so the input is read in full (before, the choice flipped for some values).
    @Test func aSkeletonCopyOfAReadObservationSendsTheInputToAFullReading() throws {
        for value in 60...69 {
            let bytes = Self.record([("urn:uuid:7d1c2f3e-0000-4000-8000-0000000000\(value)", Self.heartRate(id: "obs4", value: value))],
                                    tshFullUrl: "urn:uuid:7d1c2f3e-0000-4000-8000-000000000001")
            #expect(Self.same(bytes), "\(value)")
        }
    }

    /// Two copies of a heart rate that differ, no meta: the warning that nothing tells which is
    /// newer, screened or not.
    @Test func skeletonCopiesThatDifferAreStillWarned() throws {
        let bytes = Self.record([("urn:uuid:7d1c2f3e-0000-4000-8000-000000000072", Self.heartRate(id: "hr1", value: 72)),
                                 ("urn:uuid:7d1c2f3e-0000-4000-8000-000000000080", Self.heartRate(id: "hr1", value: 80))])
        #expect(Self.same(bytes))
        #expect(Self.run(bytes, format: .json, asOf: CalendarDate(fhir: "2026-11-02"), screened: true).contains("Observation/hr1"))
    }

    /// A code shorter than a category where Profiles have blocks (`Q4` sits between Q38 and Q45 as
    /// a string, as the terminology compares it); `_meta` (read with meta).
    @Test func shortCodesAndMetaPaddingAreBuiltWhole() throws {
        #expect(Self.screen.matters(code: "Q4"))
        // Units are codes too (`valueQuantity.code`): `kg`, `cm`, `%` fall in no block.
        for unit in ["kg", "cm", "%", "mm", "g"] { #expect(!Self.screen.matters(code: unit), "\(unit)") }
        let r = try Self.read(#""_meta":{"extension":[{"url":"http://example.org/x","valueString":"y"}]},"status":"final","code":{"text":"Heart rate"},"# + Self.subject)
        #expect(r.string("status") == "final")
    }

    /// The keywords are read as `Terminology.containsWord` reads them: whole first words, stems.
    @Test func keywordsAreFirstWordsAndStems() throws {
        let screen = ResourceScreen(types: ["Observation"], codes: ["ABC-1"], categories: ["F10.1"], blocks: [(first: "Q00", last: "Q07")],
                                    keywords: ["anti-d", "miskra*", "lupus anticoagulans"])
        func matters(_ members: String) throws -> Bool {
            let text = Self.observation(members + "," + Self.subject)
            let bundle = try Array(text.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in
                try JSONReader.read(b, materialise: { _ in true }, screen: screen)
            }
            return bundle.child("entry")?.child("resource")?.resource?.string("status") != nil
        }
        #expect(try matters(#""status":"final","code":{"text":"Anti D"}"#))
        #expect(try !matters(#""status":"final","code":{"text":"Antibody D"}"#))
        #expect(try matters(#""status":"final","code":{"text":"Miskramen"}"#))
        #expect(try !matters(#""status":"final","code":{"text":"Vroege miskr"}"#))
        #expect(try matters(#""status":"final","code":{"text":"LUPUS"}"#))
        #expect(try !matters(#""status":"final","code":{"text":"lupusachtig"}"#))
        #expect(try matters(#""status":"final","code":{"coding":[{"code":"abc-1"}]}"#))
        #expect(try matters(#""status":"final","code":{"coding":[{"code":"F10.12"}]}"#))
        #expect(try !matters(#""status":"final","code":{"coding":[{"code":"F11.12"}]}"#))
        #expect(try matters(#""status":"final","code":{"coding":[{"code":"Q04"}]}"#))
        #expect(try !matters(#""status":"final","code":{"coding":[{"code":"Q08"}]}"#))
        // A keyword's word in a member that is no text (a unit) does not count.
        #expect(try !matters(#""status":"final","code":{"text":"x"},"valueQuantity":{"unit":"lupus"}"#))
    }
}
