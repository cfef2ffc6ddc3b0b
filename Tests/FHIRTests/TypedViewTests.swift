import Testing
@testable import FHIR

/// The typed views read HL7's own examples correctly.
@Suite struct TypedViewTests {
    @Test func observationFromTheGlucoseExample() throws {
        let element = try JSONReader.read(Corpus.bytes(Corpus.hl7.appendingPathComponent("json/Observation-f001.json")))
        let obs = try #require(Observation(element))
        #expect(obs.id == "f001")
        #expect(obs.status == "final")
        #expect(obs.code?.contains(system: "http://loinc.org", code: "15074-8") == true)
        #expect(obs.effective == "2013-04-02T09:30:10+01:00")
        #expect(obs.valueQuantity?.value?.text == "6.3")
        #expect(obs.valueQuantity?.code == "mmol/L")
        #expect(obs.interpretation.first?.contains(system: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", code: "H") == true)
        #expect(obs.referenceRanges.first?.low?.value?.text == "3.1")
        #expect(obs.referenceRanges.first?.high?.value?.text == "6.2")
        #expect(Condition(element) == nil)
    }

    @Test func bundleEntriesFromSynthea() throws {
        let file = Corpus.files("synthea/bundles", ext: "json").first { $0.contains("Shasta_Towne") }!
        let bundle = try #require(Bundle(JSONReader.read(Corpus.bytes(Corpus.root.appendingPathComponent(file)))))
        #expect(bundle.type == "transaction")
        let conditions = bundle.entries.compactMap { $0.resource.flatMap(Condition.init) }
        let losses = conditions.filter { $0.code?.contains(system: "http://snomed.info/sct", code: "19169002") == true }
        #expect(losses.map(\.onsetDateTime) == ["2018-09-13T03:17:17+00:00"])
        let patient = try #require(bundle.entries.compactMap { $0.resource.flatMap(Patient.init) }.first)
        #expect(patient.gender == "female")
        #expect(patient.birthDate?.hasPrefix("1995") == true)
        #expect(bundle.entries.first?.requestMethod == "POST")
    }
}
