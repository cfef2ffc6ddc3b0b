import Testing
@testable import FHIR

/// Inputs the fuzz targets (Sources/rpl-fuzz, scripts/fuzz) found, minimised by hand: each broke
/// the rule that what a writer writes, the matching reader reads. Every later finding goes here.
struct FuzzFindingTests {
    /// Whatever is read is written in both formats and read back, or refused by the writer.
    func roundTrips(_ r: Element) throws {
        for format in FHIRFormat.allCases {
            guard let written = try? format.write(r) else { continue }
            _ = try format.read(written)
        }
    }

    @Test func aKeyThatIsNoXMLNameIsRefused() throws {
        // Found by `json`: an unknown element "effectiveDateTi%me" was kept and written as an XML tag.
        #expect(throws: FHIRFormatError.self) {
            try JSONReader.read(#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTi%me":"2018"}"#)
        }
        #expect(throws: FHIRFormatError.self) { try JSONReader.read(#"{"resourceType":"Patient","_1x":{"id":"a"}}"#) }
    }

    @Test func anUpperCaseKeyIsRefused() throws {
        // Found by `json`: an unknown element "MMMcode" inside a Coding became <MMMcode> in XML, which
        // XML reads as a resource ("<coding> holds more than one resource").
        #expect(throws: FHIRFormatError.self) {
            try JSONReader.read(#"{"resourceType":"Condition","subject":{"reference":"Patient/1"},"code":{"coding":[{"system":"http://snomed.info/sct","MMMcode":"18099001"}]}}"#)
        }
        #expect(throws: FHIRFormatError.self) {
            try XMLReader.read(#"<Patient xmlns="http://hl7.org/fhir"><na-me value="x"/></Patient>"#)
        }
    }

    @Test func anUnknownElementAfterTheNarrativeReadsBackFromXML() throws {
        // Found by `json`: the XML writer puts unknown elements last, after <div>, and the XML reader
        // refused any element after a narrative.
        let r = try JSONReader.read(#"{"resourceType":"Basic","code":{"text":"x"},"text":{"status":"generated","stFatus":"additional","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"}}"#)
        try roundTrips(r)
        let back = try XMLReader.read(XMLWriter().write(r))
        #expect(back.child("text")?.string("stFatus") == "additional")
        #expect(back.child("text")?.child("div")?.value?.contains("<p>x</p>") == true)
    }

    @Test func anXMLIntegerJSONWouldRefuseIsRefusedByTheXMLReader() throws {
        // Found by `xml`: the XML reader took positiveInt 0 as text, and the JSON writer then
        // refused to write it. The XML reader now checks numbers as the JSON reader does (a new
        // user's trial: a decimal written "5,8" was read as no value), so it refuses it itself.
        let xml = #"<CarePlan xmlns="http://hl7.org/fhir"><status value="active"/><intent value="plan"/><subject><reference value="Patient/1"/></subject><activity><detail><status value="scheduled"/><scheduledTiming><repeat><frequency value="0"/></repeat></scheduledTiming></detail></activity></CarePlan>"#
        let e = #expect(throws: FHIRFormatError.self) { try XMLReader.read(xml) }
        #expect(e?.location == "CarePlan.activity[0].detail.scheduledTiming.repeat.frequency" && e?.message.contains("not positive") == true)
        let one = try XMLReader.read(xml.replacingOccurrences(of: #"<frequency value="0"/>"#, with: #"<frequency value="1"/>"#))
        try roundTrips(one)
    }

    @Test func anUnknownResourceTypeStillHasFHIRElementNames() throws {
        // Found by `json` in CI: "ServiceRequestt" (no R4 type) was not checked at all, so an
        // element name with a stray byte inside it reached the XML writer.
        #expect(throws: FHIRFormatError.self) {
            try JSONReader.read(#"{"resourceType":"ServiceRequestt","code":{"coding":[{"sys%tem":"x"}]}}"#)
        }
        let kept = try JSONReader.read(#"{"resourceType":"Foo","bar":{"baz":"x"},"contained":[{"resourceType":"Patient","active":true}]}"#)
        try roundTrips(kept)
        #expect(throws: FHIRFormatError.self) {
            try JSONReader.read(#"{"resourceType":"Foo","contained":[{"resourceType":"Patient","active":"true"}]}"#)
        }
    }

    @Test func anXMLResourceTypeElementIsRefused() throws {
        // Found by `xml` in CI (seed 1 there, 48 here): <resourceType value="…"/> inside a
        // Condition was kept as an unknown element and written as a second JSON "resourceType".
        let e = #expect(throws: FHIRFormatError.self) {
            try XMLReader.read(#"<Condition xmlns="http://hl7.org/fhir"><id value="f201"/><resourceType value="2013-04-04"/></Condition>"#)
        }
        #expect(e?.message.contains("<resourceType>") == true)
        #expect(throws: FHIRFormatError.self) {
            try XMLReader.read(#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Patient><resourceType value="Patient"/></Patient></resource></entry></Bundle>"#)
        }
        // Inside a data type it is an unknown element as in JSON, and both formats read it back.
        let inCode = try XMLReader.read(#"<Patient xmlns="http://hl7.org/fhir"><maritalStatus><resourceType value="x"/></maritalStatus></Patient>"#)
        try roundTrips(inCode)
        try roundTrips(JSONReader.read(#"{"resourceType":"Patient","maritalStatus":{"resourceType":"x"}}"#))
    }

    @Test func anElementAfterAResourceIsRefused() throws {
        // Found by the `xml` campaign: <coding><Observation>…</Observation><code …/></coding> was read
        // (a resource may only stand first), and JSON has no place for the resource beside <code>.
        let e = #expect(throws: FHIRFormatError.self) {
            try XMLReader.read(#"<Condition xmlns="http://hl7.org/fhir"><code><coding><Observation><status value="final"/></Observation> <code value="O04.9"/></coding></code></Condition>"#)
        }
        #expect(e?.message.contains("<coding> holds a resource and more") == true)
        #expect(throws: FHIRFormatError.self) {
            try XMLReader.read(#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Patient/><div xmlns="http://www.w3.org/1999/xhtml">x</div></resource></entry></Bundle>"#)
        }
        // Alone in its element it is read, and reads back from both formats.
        try roundTrips(XMLReader.read(#"<Condition xmlns="http://hl7.org/fhir"><code><coding><Observation><status value="final"/></Observation></coding></code></Condition>"#))
    }

    @Test func nulBytesAfterTheRootAreRefused() throws {
        // Found by the `xml` campaign's check of the two XML paths: libxml2's memory parser stops
        // at a NUL byte, so the SAX path read a document the streaming reader refuses.
        var bytes = Array(#"<Patient xmlns="http://hl7.org/fhir"><gender value="female"/></Patient>"#.utf8) + [0x0A]
        bytes += [UInt8](repeating: 0, count: 40)
        #expect(bytes.withUnsafeBufferPointer { XMLSAXBuilder.read($0, materialise: nil) } == nil)
        #expect(throws: FHIRFormatError.self) { try XMLReader.read(bytes) }
    }
}
