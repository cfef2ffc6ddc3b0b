import Foundation
import Testing
@testable import FHIR

/// A resource the caller does not read (`materialise`) may hold one it does (found by helper-31's
/// trial: a loss contained in an Encounter was not counted), and XML can repeat an element that
/// does not repeat in it, which JSON cannot (a duplicate key). Both readers keep a skipped
/// resource's `contained` resources, and refuse such a repeat in it.
struct ContainedInSkippedResourceTests {
    static let readTypes: @Sendable (String) -> Bool = { $0 == "Condition" }

    /// An Encounter (not read) holding a Condition and an Encounter that holds a Condition.
    static let json = #"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"http://x/Encounter/e1","resource":"#
        + #"{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"#
        + #""contained":[{"resourceType":"Condition","id":"l2","code":{"text":"miskraam"},"subject":{"reference":"Patient/p"}},"#
        + #"{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"AMB"},"contained":[{"resourceType":"Condition","id":"l3","code":{"text":"miskraam"}}]}],"#
        + ##""diagnosis":[{"condition":{"reference":"#l2"}}]}}]}"##

    static func jsonBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func xml(_ text: String) throws -> [UInt8] {
        let tree = try JSONReader.read(text)
        return try XMLWriter().write(tree)
    }

    static func readXML(_ bytes: [UInt8], materialise: @escaping (String) -> Bool = readTypes) throws(FHIRFormatError) -> Element {
        try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try XMLReader.read(b, materialise: materialise) }
    }

    static func readJSON(_ bytes: [UInt8], materialise: @escaping (String) -> Bool = readTypes) throws(FHIRFormatError) -> Element {
        try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b, materialise: materialise) }
    }

    /// What a reader kept of the entry's Encounter: its type, its id (by which a resend is known:
    /// helper-32's review) and its contained resources, nothing else.
    static func check(_ bundle: Element) throws {
        let encounter = try #require(bundle.child("entry")?.child("resource")?.resource)
        #expect(encounter.name == "Encounter" && encounter.children.map(\.name) == ["id", "contained", "contained"])
        #expect(encounter.string("id") == "e1")
        let held = encounter.children("contained").compactMap(\.resource)
        try #require(held.count == 2)
        #expect(held[0].name == "Condition" && held[0].string("id") == "l2" && held[0].child("code")?.string("text") == "miskraam")
        // The inner Encounter is not read either: its Condition is.
        #expect(held[1].name == "Encounter" && held[1].children.map(\.name) == ["id", "contained"])
        #expect(held[1].child("contained")?.resource?.string("id") == "l3")
    }

    /// A skipped resource that holds none keeps nothing, whatever it has.
    @Test func aSkippedResourceWithoutContainedKeepsNothing() throws {
        let text = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","id":"e1","meta":{"versionId":"2"},"status":"finished","class":{"code":"AMB"}}}]}"#
        let fromJSON = try Self.readJSON(Self.jsonBytes(text))
        let fromXML = try Self.readXML(try Self.xml(text))
        for bundle in [fromJSON, fromXML] {
            let encounter = try #require(bundle.child("entry")?.child("resource")?.resource)
            #expect(encounter.name == "Encounter" && encounter.children.isEmpty)
        }
    }

    /// helper-32's review: a skipped resource that holds resources is read no stricter than one
    /// that does not (an impossible date, an unknown attribute, text in an element: the skipping
    /// readers pass over them), in JSON and XML alike; but two narrative divs, or `_contained`,
    /// are refused as in a resource read.
    @Test func whatASkippedResourceHoldsChangesNotHowItIsChecked() throws {
        let contained = #"<contained><Condition><id value="l2"/><code><text value="miskraam"/></code></Condition></contained>"#
        func encounter(_ inner: String) -> [UInt8] {
            Array((#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Encounter>"# + inner
                + "</Encounter></resource></entry></Bundle>").utf8)
        }
        let tolerated = [
            #"<status value="finished"/><period><start value="yesterday"/></period>"#,
            #"<status value="finished" odd="1"/>"#,
            #"<status value="finished">text</status>"#,
        ]
        for inner in tolerated {
            for withContained in [false, true] {
                let bytes = encounter((withContained ? contained : "") + inner)
                #expect(throws: Never.self, "\(inner), contained: \(withContained)") { _ = try Self.readXML(bytes) }
                bytes.withUnsafeBufferPointer { b in #expect(XMLReader.pathsDisagree(b, materialise: Self.readTypes) == nil) }
            }
        }
        let json = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","contained":[{"resourceType":"Condition","id":"l2","code":{"text":"miskraam"}}],"status":"finished","class":{"code":"AMB"},"period":{"start":"yesterday"}}}]}"#
        #expect(throws: Never.self) { _ = try Self.readJSON(Self.jsonBytes(json)) }
        // Two divs of one narrative.
        let twoDivs = encounter(#"<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">a</div><div xmlns="http://www.w3.org/1999/xhtml">b</div></text>"#)
        #expect(throws: FHIRFormatError.self) { _ = try Self.readXML(twoDivs) }
        // `_contained`, as when the resource is read.
        let underscored = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","status":"finished","_contained":[{"id":"x"}]}}]}"#
        #expect(throws: FHIRFormatError.self) { _ = try Self.readJSON(Self.jsonBytes(underscored)) }
        #expect(throws: FHIRFormatError.self) { _ = try JSONReader.read(underscored) }
    }

    @Test func bothReadersKeepTheContainedResourcesOfOneTheyDoNotRead() throws {
        let json = Self.jsonBytes(Self.json)
        let fromJSON = try Self.readJSON(json)
        try Self.check(fromJSON)
        let xml = try Self.xml(Self.json)
        let fromXML = try Self.readXML(xml)
        try Self.check(fromXML)
        // The same resources from both: written out, the same bytes.
        #expect(try JSONWriter().write(fromJSON) == JSONWriter().write(fromXML))
        // The other readings of JSON agree (recurring objects, the C pass, giving pages back).
        json.withUnsafeBufferPointer { b in
            #expect(JSONReader.sharingDisagrees(b, materialise: Self.readTypes) == nil)
            #expect(JSONReader.fastSkipDisagrees(b, materialise: Self.readTypes) == nil)
            #expect(JSONReader.discardingDisagrees(b, materialise: Self.readTypes) == nil)
        }
        // XMLTreeBuilder, met on its own: it asks for the whole reading too.
        var parser = XMLTreeBuilder()
        parser.materialise = Self.readTypes
        #expect(throws: FHIRFormatError.self) { try xml.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in _ = try parser.parse(b) } }
        #expect(parser.wholeReadingNeeded)
        // Nothing changes where every resource is built.
        #expect(try Self.readXML(xml, materialise: { _ in true }) == XMLReader.read(xml))
    }

    /// A Claim (not read) that gives a non-repeating element twice, at its top and deeper.
    static func claim(_ inner: String) -> String {
        #"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Claim>"# + inner + "</Claim></resource></entry></Bundle>"
    }

    @Test func xmlRefusesARepeatInAResourceItDoesNotRead() throws {
        let cases: [(String, String)] = [
            (#"<status value="active"/><status value="draft"/>"#, "Bundle.entry[0].resource.ofType(Claim).status"),
            (#"<status value="active"/><use value="claim"/><status value="draft"/>"#, "Bundle.entry[0].resource.ofType(Claim).status"),
            (#"<item><sequence value="1"/><sequence value="2"/></item>"#, "Bundle.entry[0].resource.ofType(Claim).item[0].sequence"),
            (#"<item><sequence value="1"/></item><item><sequence value="2"/><detail><sequence value="1"/><sequence value="3"/></detail></item>"#,
             "Bundle.entry[0].resource.ofType(Claim).item[1].detail[0].sequence"),
            (#"<status value="active"><extension url="http://x"><valueString value="a"/><valueString value="b"/></extension></status>"#,
             "Bundle.entry[0].resource.ofType(Claim).status.extension[0].valueString"),
        ]
        for (inner, location) in cases {
            let bytes = Array(Self.claim(inner).utf8)
            do {
                _ = try Self.readXML(bytes)
                Issue.record("accepted: \(inner)")
            } catch {
                #expect(error.message.contains("occurs more than once but does not repeat") && error.location == location, "\(error)")
            }
            // As when the Claim is built.
            #expect((try? XMLReader.read(bytes)) == nil)
            var parser = XMLTreeBuilder()
            parser.materialise = Self.readTypes
            _ = try? bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try parser.parse(b) }
            #expect(parser.wholeReadingNeeded, "\(inner)")
        }
        // What repeats may repeat; unknown elements and a narrative's XHTML are not R4's to count.
        let accepted = [
            #"<identifier><value value="a"/></identifier><identifier><value value="b"/></identifier><status value="active"/>"#,
            #"<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>a</p><p>b</p><id>1</id><id>2</id></div></text><status value="active"/>"#,
            #"<item><sequence value="1"/></item><item><sequence value="2"/></item>"#,
        ]
        for inner in accepted {
            let bytes = Array(Self.claim(inner).utf8)
            #expect(throws: Never.self, "\(inner)") { _ = try Self.readXML(bytes) }
            bytes.withUnsafeBufferPointer { b in #expect(XMLReader.pathsDisagree(b, materialise: Self.readTypes) == nil) }
        }
    }
}
