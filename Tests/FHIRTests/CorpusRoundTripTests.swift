import Foundation
import Testing
@testable import FHIR

/// The HL7 R4 examples: reading the official XML and writing JSON gives the official JSON.
@Suite struct HL7PairTests {
    /// Where HL7's two official files differ in content (checked by hand in both files): the
    /// element and what each file says. Everything else must match exactly.
    static let officialDisagreements: [String: [String: String]] = [
        // JSON sigFormat "image/jpg", XML "image/jpeg".
        "Bundle-father.json": ["Bundle.signature.sigFormat": "image/jpg vs image/jpeg"],
        // JSON performer Encounter/example, XML Organization/example.
        "Observation-clinical-gender.json": ["Observation.performer[0].reference": "Encounter/example vs Organization/example"],
        // Same numbers, different spelling: JSON 1.0 / 1E-22 / 1.000000000000000000E-245 /
        // -1.000000000000000000E+245, XML 1.0e0 / 0.0000000000000000000001 / ...e-245 / ...e245.
        // We keep each file's own spelling; the values are compared as numbers below.
        "Observation-decimal.json": [
            "Observation.component[2].valueQuantity.value": "number",
            "Observation.component[3].valueQuantity.value": "number",
            "Observation.component[5].valueQuantity.value": "number",
            "Observation.component[6].valueQuantity.value": "number",
        ],
    ]

    @Test func thereAre167Pairs() {
        #expect(Corpus.pairs.count == 167)
    }

    @Test(arguments: Corpus.pairs)
    func xmlToJSONMatchesTheOfficialJSON(pair: Corpus.Pair) throws {
        let xml = try XMLReader.read(Corpus.bytes(Corpus.hl7.appendingPathComponent("xml/" + pair.xml)))
        let written = try JSONWriter().write(xml)
        var ours = try JSONReader.read(written)
        var official = try JSONReader.read(Corpus.bytes(Corpus.hl7.appendingPathComponent("json/" + pair.json)))
        // Documented in corpus/SOURCES.md: the XML lost its root narrative; the JSON lacks the
        // HTEST security label.
        ours.children.removeAll { $0.name == "text" }
        official.children.removeAll { $0.name == "text" }
        removeHTEST(&ours)
        removeHTEST(&official)
        let allowed = Self.officialDisagreements[pair.json] ?? [:]
        var unexpected: [String] = []
        for d in ElementDiff.compare(expected: official, actual: ours) {
            if let why = allowed[d.path] {
                if why == "number" {
                    #expect(Double(d.expected ?? "") == Double(d.actual ?? ""), "\(d)")
                }
                continue
            }
            if let e = d.expected, let a = d.actual, e.hasPrefix("<div"), a.hasPrefix("<div"),
               try XHTML.canonical(e) == XHTML.canonical(a) {
                continue  // the same XHTML, serialised differently
            }
            unexpected.append(d.description)
        }
        #expect(unexpected.isEmpty, "\(pair.xml) → JSON differs from \(pair.json):\n\(unexpected.joined(separator: "\n"))")
    }

    @Test(arguments: Corpus.pairs)
    func jsonToXMLToJSONIsIdentical(pair: Corpus.Pair) throws {
        let bytes = try Corpus.bytes(Corpus.hl7.appendingPathComponent("json/" + pair.json))
        let start = try JSONReader.read(bytes)
        let xml = try XMLWriter().write(start)
        let back = try XMLReader.read(xml)
        let diffs = ElementDiff.compare(expected: start, actual: back)
        #expect(diffs.isEmpty, "\(diffs.prefix(5))")
        // And the JSON written from both is byte-identical.
        #expect(try JSONWriter().write(start) == JSONWriter().write(back))
    }

    @Test(arguments: Corpus.pairs)
    func xmlToJSONToXMLIsIdentical(pair: Corpus.Pair) throws {
        let start = try XMLReader.read(Corpus.bytes(Corpus.hl7.appendingPathComponent("xml/" + pair.xml)))
        let json = try JSONWriter().write(start)
        let back = try JSONReader.read(json)
        let diffs = ElementDiff.compare(expected: start, actual: back)
        #expect(diffs.isEmpty, "\(diffs.prefix(5))")
        #expect(try XMLWriter().write(start) == XMLWriter().write(back))
    }

    func removeHTEST(_ resource: inout Element) {
        guard let m = resource.children.firstIndex(where: { $0.name == "meta" }) else { return }
        resource.children[m].children.removeAll { $0.name == "security" && $0.string("code") == "HTEST" }
        if resource.children[m].children.isEmpty { resource.children.remove(at: m) }
    }
}

/// Synthea bundles (JSON) and the Dutch and German lab examples: read without error, written
/// back unchanged, and through the other format and back unchanged.
@Suite struct OtherCorpusTests {
    static let files = Corpus.files("synthea/bundles", ext: "json") + Corpus.files("lab-ig/mii-labor-json", ext: "json")
        + Corpus.files("lab-ig/nictiz-zib2020-xml", ext: "xml")

    @Test func allFilesAreThere() {
        #expect(Self.files.count == 13 + 6 + 18)
    }

    @Test(arguments: files)
    func writtenBackUnchanged(file: String) throws {
        let bytes = try Corpus.bytes(Corpus.root.appendingPathComponent(file))
        let format = try #require(FHIRFormat.sniff(bytes))
        let other: FHIRFormat = format == .json ? .xml : .json
        let start = try format.read(bytes)
        let same = try format.read(format.write(start))
        #expect(ElementDiff.compare(expected: start, actual: same).isEmpty)
        let through = try format.read(format.write(other.read(other.write(start))))
        let diffs = ElementDiff.compare(expected: start, actual: through)
        #expect(diffs.isEmpty, "\(diffs.prefix(5))")
    }

    /// Independent check of "written back unchanged" for JSON: Foundation's parser sees the same
    /// value in the original and in our output (numbers compared as numbers).
    @Test(arguments: files.filter { $0.hasSuffix(".json") })
    func foundationSeesTheSameJSON(file: String) throws {
        let data = try Data(contentsOf: Corpus.root.appendingPathComponent(file))
        let ours = try JSONWriter(pretty: true).write(JSONReader.read(Array(data)))
        let a = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: Data(ours)) as? NSDictionary
        #expect(a != nil && a == b)
    }
}
