import FHIR
import Testing

/// What R4 allows once: a non-repeating element (JSON cannot repeat a key, XML can repeat any
/// element) and the types of one choice element (`deceasedBoolean` or `deceasedDateTime`, never
/// both). Found by a new user's trial: XML `apply` read the first of two `gender`s, two `code`s of
/// a Coding or two `resource`s of an entry, and both readers took the first of two value[x]s.
@Suite struct RepetitionAndChoiceTests {
    func xmlError(_ s: String) -> FHIRFormatError? {
        do { _ = try XMLReader.read(s); return nil } catch { return error }
    }

    func jsonError(_ s: String) -> FHIRFormatError? {
        do { _ = try JSONReader.read(s); return nil } catch { return error }
    }

    @Test func xmlRefusesANonRepeatingElementTwice() throws {
        let patient = #"<Patient xmlns="http://hl7.org/fhir"><gender value="female"/><gender value="male"/></Patient>"#
        let e = try #require(xmlError(patient))
        #expect(e.message.contains("\"gender\" occurs more than once but does not repeat") && e.location == "Patient.gender", "\(e)")
        // Apart, with another element between them, too.
        #expect(xmlError(#"<Patient xmlns="http://hl7.org/fhir"><gender value="female"/><birthDate value="1990-01-01"/><gender value="female"/></Patient>"#) != nil)
        // Deep: two codes of one Coding, two resources of one entry, two Bundle types.
        let coding = #"<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><coding><system value="http://loinc.org"/><code value="3016-3"/><code value="14920-3"/></coding></code></Observation>"#
        #expect(xmlError(coding)?.location == "Observation.code.coding[0].code")
        let entry = #"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Patient/></resource><resource><Observation/></resource></entry></Bundle>"#
        #expect(xmlError(entry)?.location == "Bundle.entry[0].resource")
        #expect(xmlError(#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><type value="batch"/></Bundle>"#)?.location == "Bundle.type")
        // Resources a caller does not build still count: the entry's second resource element.
        let skipped = try #require({ () -> FHIRFormatError? in
            do {
                _ = try Array(entry.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try XMLReader.read(b, materialise: { _ in false }) }
                return nil
            } catch let error as FHIRFormatError { return error } catch { return nil }
        }())
        #expect(skipped.message.contains("does not repeat"), "\(skipped)")
        // Repeating elements repeat.
        #expect(xmlError(#"<Patient xmlns="http://hl7.org/fhir"><name><given value="A"/><given value="B"/></name><name><family value="C"/></name></Patient>"#) == nil)
        // An element beyond its type's 64th place (ElementDefinition.mustSupport) is checked too.
        let info = try #require(TypeTable.r4.type("ElementDefinition")?.element("mustSupport"))
        #expect(info.index >= 64)
        let element = #"<StructureDefinition xmlns="http://hl7.org/fhir"><snapshot><element><path value="Patient"/><mustSupport value="true"/><mustSupport value="false"/></element></snapshot></StructureDefinition>"#
        #expect(xmlError(element)?.location == "StructureDefinition.snapshot.element[0].mustSupport")
    }

    @Test func bothReadersRefuseTwoTypesOfOneChoiceElement() throws {
        let json = #"{"resourceType":"Patient","deceasedBoolean":false,"deceasedDateTime":"2020-01-01"}"#
        let e = try #require(jsonError(json))
        #expect(e.message.contains("\"deceasedDateTime\" and \"deceasedBoolean\" are two types of one choice element, deceased[x]"), "\(e)")
        #expect(e.location == "Patient.deceasedDateTime")
        let xml = #"<Patient xmlns="http://hl7.org/fhir"><deceasedBoolean value="false"/><deceasedDateTime value="2020-01-01"/></Patient>"#
        #expect(xmlError(xml)?.message.contains("deceased[x]") == true)
        // One type twice is a repeat, not two types.
        let twice = #"<Patient xmlns="http://hl7.org/fhir"><deceasedBoolean value="false"/><deceasedBoolean value="true"/></Patient>"#
        #expect(xmlError(twice)?.message.contains("occurs more than once") == true)
        // In a nested type: an Observation's value[x], a component's value[x].
        let value = #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":5},"valueString":"5"}"#
        #expect(jsonError(value)?.message.contains("value[x]") == true)
        let component = #"{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"code":{"text":"y"},"valueString":"a","valueInteger":1}]}"#
        #expect(jsonError(component)?.location == "Observation.component[0].valueInteger")
        // Two different choice elements are two: onset[x] and abatement[x].
        #expect(jsonError(#"{"resourceType":"Condition","subject":{"reference":"Patient/p"},"onsetDateTime":"2020-01-01","abatementDateTime":"2020-02-01"}"#) == nil)
        // A choice element's type and a primitive's extension ("_deceasedBoolean") are one element.
        #expect(jsonError(#"{"resourceType":"Patient","deceasedBoolean":false,"_deceasedBoolean":{"id":"a"}}"#) == nil)
    }

    @Test func theTypeTableKnowsTheChoiceGroups() throws {
        let patient = try #require(TypeTable.r4.type("Patient"))
        let a = try #require(patient.element("deceasedBoolean")), b = try #require(patient.element("deceasedDateTime"))
        let c = try #require(patient.element("multipleBirthInteger"))
        #expect(a.choiceGroup >= 0 && a.choiceGroup == b.choiceGroup && c.choiceGroup >= 0 && c.choiceGroup != a.choiceGroup)
        #expect(patient.element("birthDate")?.choiceGroup == -1 && patient.element("gender")?.choiceGroup == -1)
        // Extension.value[x]: its 50 types are one group.
        let ext = try #require(TypeTable.r4.type("Extension"))
        let values = ext.elements.filter { $0.key.hasPrefix("value") }
        #expect(values.count == 50 && Set(values.values.map(\.choiceGroup)).count == 1 && values.values.first!.choiceGroup >= 0)
    }
}

/// A resource the caller does not build is bounded in depth as a built one is (found by a new
/// user's trial: an XML resource 100,000 levels deep was accepted when skipped).
@Suite struct SkippedResourceDepthTests {
    static func bundle(depth: Int, pretty: Bool) -> String {
        let open = String(repeating: pretty ? "<extension url=\"x\">\n " : "<extension url=\"x\">", count: depth)
        let close = String(repeating: "</extension>", count: depth)
        return #"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Basic>"#
            + open + (pretty ? "<valueString value=\"a\">\n</valueString>" : "<valueString value=\"a\"/>") + close + "</Basic></resource></entry></Bundle>"
    }

    static func accepted(_ xml: String, build: Bool) -> Bool {
        do {
            _ = try Array(xml.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try XMLReader.read(b, materialise: { _ in build }) }
            return true
        } catch {
            return false
        }
    }

    @Test func builtAndSkippedResourcesNestEquallyDeep() throws {
        // Bundle, entry, resource, Basic: 4 levels, then the extensions and the value.
        let deepest = XMLReader.maxDepth - 5
        for pretty in [false, true] {
            #expect(Self.accepted(Self.bundle(depth: deepest, pretty: pretty), build: true))
            #expect(!Self.accepted(Self.bundle(depth: deepest + 1, pretty: pretty), build: true))
            for depth in [deepest - 1, deepest, deepest + 1, 5_000] {
                let xml = Self.bundle(depth: depth, pretty: pretty)
                #expect(Self.accepted(xml, build: false) == Self.accepted(xml, build: true), "depth \(depth), pretty \(pretty)")
            }
        }
        let e = try #require({ () -> FHIRFormatError? in
            do {
                _ = try Array(Self.bundle(depth: 100_000, pretty: false).utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try XMLReader.read(b, materialise: { _ in false }) }
                return nil
            } catch let error as FHIRFormatError { return error } catch { return nil }
        }())
        #expect(e.type == .tooLong && e.message.contains("nesting deeper than"), "\(e)")
        // A narrative's XHTML is text to a built resource: deep XHTML is no reason to refuse a skipped one.
        let div = String(repeating: "<div>", count: 120) + "x" + String(repeating: "</div>", count: 120)
        let narrative = #"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Basic><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">"#
            + div + "</div></text></Basic></resource></entry></Bundle>"
        #expect(Self.accepted(narrative, build: false) == Self.accepted(narrative, build: true))
        // Nor MathML (another namespace) inside the div.
        let math = String(repeating: #"<m:mrow xmlns:m="http://www.w3.org/1998/Math/MathML">"#, count: 120) + "x" + String(repeating: "</m:mrow>", count: 120)
        let mathml = #"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Basic><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">"#
            + math + "</div></text></Basic></resource></entry></Bundle>"
        #expect(Self.accepted(mathml, build: true) && Self.accepted(mathml, build: false))
    }
}
