import Testing
@testable import FHIR

@Suite struct JSONReaderTests {
    func read(_ s: String) throws -> Element { try JSONReader.read(s) }

    func error(_ s: String) -> FHIRFormatError? {
        do { _ = try JSONReader.read(s); return nil } catch { return error }
    }

    @Test func decimalsKeepTheirExactText() throws {
        let json = #"{"resourceType":"Observation","valueQuantity":{"value":1.50},"component":[{"valueQuantity":{"value":1e2}},{"valueQuantity":{"value":-0.000}}]}"#
        let obs = try read(json)
        #expect(obs.child("valueQuantity")?.string("value") == "1.50")
        #expect(obs.all("component.valueQuantity").map { $0.string("value") } == ["1e2", "-0.000"])
        let out = try JSONWriter().string(obs)
        #expect(out.contains(#""value":1.50"#))
        #expect(out.contains(#""value":1e2"#))
        #expect(out.contains(#""value":-0.000"#))
        let xml = try XMLWriter().string(obs)
        #expect(xml.contains(#"<value value="1.50"/>"#))
        #expect(try JSONWriter().string(XMLReader.read(xml)) == out)
    }

    @Test func aTenThousandDigitNumberIsKeptExactly() throws {
        let digits = String(repeating: "7", count: 10_000)
        let obs = try read(#"{"resourceType":"Observation","valueQuantity":{"value":\#(digits).5}}"#)
        #expect(obs.child("valueQuantity")?.string("value") == digits + ".5")
        #expect(try JSONWriter().string(obs).contains(digits + ".5"))
    }

    @Test func primitiveExtensionsMergeWithTheirValue() throws {
        let json = #"{"resourceType":"Patient","birthDate":"1970-03-30","_birthDate":{"id":"b1","extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-03-30T14:35:45-05:00"}]}}"#
        let patient = try read(json)
        let birthDate = try #require(patient.child("birthDate"))
        #expect(birthDate.value == "1970-03-30")
        #expect(birthDate.string("id") == "b1")
        #expect(birthDate.child("extension")?.string("url") == "http://hl7.org/fhir/StructureDefinition/patient-birthTime")
        #expect(try JSONWriter().string(patient) == json)
        let xml = try XMLWriter().string(patient)
        #expect(xml.contains(#"<birthDate id="b1" value="1970-03-30"><extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime"><valueDateTime value="1970-03-30T14:35:45-05:00"/></extension></birthDate>"#))
    }

    @Test func underscoreBeforeValueWorksToo() throws {
        let json = #"{"resourceType":"Patient","_gender":{"id":"g"},"gender":"female"}"#
        let patient = try read(json)
        #expect(patient.children.count == 1)
        #expect(patient.child("gender")?.value == "female")
        #expect(try JSONWriter().string(patient) == #"{"resourceType":"Patient","gender":"female","_gender":{"id":"g"}}"#)
    }

    @Test func repeatingPrimitivesArePaddedWithNull() throws {
        // The second given name has an extension and no value; the first has a value only.
        let json = #"{"resourceType":"Patient","name":[{"given":["Jim",null,"Pete"],"_given":[null,{"extension":[{"url":"http://example.org/x","valueString":"y"}]},{"id":"p"}]}]}"#
        let patient = try read(json)
        let given = patient.all("name.given")
        #expect(given.map(\.value) == ["Jim", nil, "Pete"])
        #expect(given[1].child("extension")?.string("url") == "http://example.org/x")
        #expect(given[2].string("id") == "p")
        #expect(try JSONWriter().string(patient) == json)
        let back = try XMLReader.read(XMLWriter().write(patient))
        #expect(try JSONWriter().string(back) == json)
    }

    @Test func unknownElementsAreKept() throws {
        let json = #"{"resourceType":"Observation","status":"final","madeUp":[{"deeper":true}],"alsoMadeUp":1.0}"#
        let obs = try read(json)
        #expect(try JSONWriter().string(obs) == json)
    }

    @Test func containedAndEntryResources() throws {
        let json = #"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation","contained":[{"resourceType":"Patient","id":"p"}],"status":"final"}}]}"#
        let bundle = try read(json)
        let obs = try #require(Bundle(bundle)?.entries.first?.resource)
        #expect(obs.name == "Observation")
        #expect(Observation(obs)?.contained.first?.name == "Patient")
        #expect(try JSONWriter().string(bundle) == json)
    }

    @Test func resourceTypeIsWrittenFirstAndElementsInDefinitionOrder() throws {
        let patient = try read(#"{"gender":"male","id":"x","resourceType":"Patient"}"#)
        #expect(try JSONWriter().string(patient) == #"{"resourceType":"Patient","id":"x","gender":"male"}"#)
    }

    @Test func escapesRoundTrip() throws {
        let json = #"{"resourceType":"Patient","id":"a","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">\u00e9 \ud83d\ude00 \"q\" \\ /</div>"}}"#
        let patient = try read(json)
        #expect(patient.child("text")?.string("div") == "<div xmlns=\"http://www.w3.org/1999/xhtml\">é 😀 \"q\" \\ /</div>")
    }

    @Test func syntaxErrorsSayWhereTheyAre() throws {
        let e = try #require(error("{\n  \"resourceType\": \"Patient\",\n  \"gender\": male\n}"))
        #expect(e.type == .structure)
        #expect(e.line == 3)
        #expect(e.column == 13)
        #expect(e.location == "Patient.gender")
    }

    /// A resource type written with escapes is named as read, and an array item's type is its own
    /// (helper-22's review: the root's was taken from the wrong bytes, a contained resource
    /// named the type of the one before it).
    @Test func locationsNameResourceTypesAsRead() throws {
        let escaped = try #require(error(#"{"resourceType":"\u0042undle","type":"collection","entry":[{"fullUrl":1x}]}"#))
        #expect(escaped.location == "Bundle.entry[0]", "\(escaped)")  // the error is after the value: in the entry
        let nested = try #require(error(#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Pat\u0069ent","birthDate":1x}}]}"#))
        #expect(nested.location == "Bundle.entry[0].resource.ofType(Patient)", "\(nested)")
        let second = try #require(error(#"{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"a"},{"id":"b","name":1x}]}"#))
        #expect(second.location == "Patient.contained[1]", "\(second)")
    }

    @Test func locationsAreFHIRPaths() throws {
        let e = try #require(error(#"{"resourceType":"Bundle","entry":[{"fullUrl":"a"},{"resource":{"resourceType":"Patient","name":[{"given":[null]}]}}]}"#))
        #expect(e.location == "Bundle.entry[1].resource.ofType(Patient).name[0].given[0]")
    }

    @Test(arguments: [
        (#"{"resourceType":"Patient","id":"a","id":"b"}"#, "duplicate property"),
        (#"{"resourceType":"Patient","id":"a","\u0069d":"b"}"#, "duplicate property"),
        (#"{"resourceType":"Patient","\u0069d":"a","id":"b"}"#, "duplicate property"),
        ("{\"resourceType\":\"Basic\",\"\u{E9}\":1,\"e\u{301}\":2}", "duplicate property"),
        ("{\"resourceType\":\"Basic\",\"K\":1,\"\u{212A}\":2}", "duplicate property"),
        (#"{"resourceType":"Patient","gender":null}"#, "null is not allowed"),
        (#"{"resourceType":"Patient","name":[]}"#, "empty array"),
        (#"{"resourceType":"Patient","meta":{}}"#, "empty object"),
        (#"{"resourceType":"Patient","id":""}"#, "empty string"),
        (#"{"resourceType":"Patient","id":"\ud800"}"#, "lone surrogate"),
        (#"{"resourceType":"Patient","id":"\udc00x"}"#, "lone surrogate"),
        (#"{"resourceType":"Patient","id":"\ud800\u0041"}"#, "low surrogate"),
        (#"{"resourceType":"Patient","id":"a"} x"#, "after the end"),
        (#"{"resourceType":"Patient","id":"a""#, "end of input"),
        (#"{"resourceType":"Patient","id":"a"#, "unterminated string"),
        (#"{"resourceType":"Patient","multipleBirthInteger":01}"#, "leading zero"),
        (#"{"resourceType":"Patient","multipleBirthInteger":1.}"#, "no digits"),
        (#"{"resourceType":"Patient","active":tru}"#, "invalid literal"),
        (#"{"id":"a"}"#, "no resourceType"),
        (#"{"resourceType":"patient"}"#, "not a resource type"),
        (#"[1]"#, "expected a JSON object"),
        (#""#, "empty input"),
        (#"{"resourceType":"Patient","name":[{"given":["a"],"_given":[{"id":"x"},{"id":"y"}]}]}"#, "different lengths"),
        (#"{"resourceType":"Patient","name":[{"given":["a"]}],"_name":[{"id":"x"}]}"#, "not a primitive"),
        (#"{"resourceType":"Patient","name":[[1]]}"#, "arrays of arrays"),
        ("{\"resourceType\":\"Patient\",\"id\":\"a\tb\"}", "control character"),
    ])
    func refused(json: String, message: String) throws {
        let e = try #require(error(json), "accepted: \(json)")
        #expect(e.message.contains(message), "\(e.message)")
    }

    @Test(arguments: [
        [0xC0, 0xAF],  // overlong '/'
        [0xED, 0xA0, 0x80],  // encoded surrogate
        [0xF5, 0x80, 0x80, 0x80],  // above U+10FFFF
        [0xE2, 0x82],  // truncated
        [0xFF],
    ] as [[UInt8]])
    func invalidUTF8IsRefused(bytes: [UInt8]) throws {
        let input = Array(#"{"resourceType":"Patient","id":""#.utf8) + bytes + Array(#""}"#.utf8)
        #expect(throws: FHIRFormatError.self) { try JSONReader.read(input) }
        do { _ = try JSONReader.read(input) } catch { #expect(error.message.contains("UTF-8")) }
    }

    @Test func deepNestingIsRefusedWithoutCrashing() throws {
        for opener in ["[", "{\"a\":"] {
            let json = "{\"resourceType\":\"Basic\",\"x\":" + String(repeating: opener, count: 200_000)
            let e = try #require(error(json))
            #expect(e.type == .tooLong || e.type == .invalid)
        }
    }

    /// 100,000 distinct unknown keys in one object: kept, in order, both ways (the duplicate-key
    /// check and the writer's grouping switch to hashing, so this stays linear).
    @Test func wideObjectsAreKept() throws {
        let keys = (0..<100_000).map { "k\($0)" }
        let json = #"{"resourceType":"Basic","# + keys.map { #""\#($0)":"v""# }.joined(separator: ",") + "}"
        let basic = try read(json)
        #expect(basic.children.count == keys.count)
        #expect(try JSONWriter().string(basic) == json)
    }

    /// Strings are scanned eight bytes at a time (issue 20): a quote, an escape, a control
    /// character or a non-ASCII byte is found at every offset of the eight, in a built resource
    /// and in a skipped one alike.
    @Test func everyOffsetOfTheWordScanIsChecked() throws {
        func read(_ id: [UInt8], materialise: Bool) throws(FHIRFormatError) -> String? {
            let json = Array(#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","id":""#.utf8) + id + Array(#""}}]}"#.utf8)
            let bundle = try json.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b, materialise: { _ in materialise }) }
            return bundle.child("entry")?.child("resource")?.resource?.string("id")
        }
        for before in 0..<20 {
            let lead = [UInt8](repeating: UInt8(ascii: "a"), count: before), tail = [UInt8](repeating: UInt8(ascii: "b"), count: 11)
            for materialise in [true, false] {
                #expect(throws: FHIRFormatError.self) { try read(lead + [0x01] + tail, materialise: materialise) }
                #expect(throws: FHIRFormatError.self) { try read(lead + [0x1F] + tail, materialise: materialise) }
                #expect(throws: FHIRFormatError.self) { try read(lead + [0xC3] + tail, materialise: materialise) }
                #expect(throws: FHIRFormatError.self) { try read(lead + [0x5C, 0x71] + tail, materialise: materialise) }  // \q
            }
            let text = String(repeating: "a", count: before)
            #expect(try read(lead + Array(#"\""#.utf8) + tail, materialise: true) == text + "\"" + String(repeating: "b", count: 11))
            #expect(try read(lead + Array("é ~".utf8) + tail, materialise: true) == text + "é ~" + String(repeating: "b", count: 11))
            #expect(try read(lead + [0x20, 0x21, 0x7E, 0x7F] + tail, materialise: true) == text + " !~\u{7F}" + String(repeating: "b", count: 11))
            // A quote ends the string wherever it falls: what follows is refused as JSON.
            #expect(throws: FHIRFormatError.self) { try read(lead + [0x22] + tail, materialise: false) }
        }
    }

    /// Whitespace is skipped eight bytes at a time, a run's end found by a trailing-zero count
    /// (issue 20): runs of every length from 0 to 40, of spaces, tabs, line breaks and a mix,
    /// between every two tokens and around the document, read as the compact document does, in a
    /// built resource and in a skipped one; a byte that is not JSON whitespace is refused wherever
    /// a run puts it.
    @Test func whitespaceRunsOfEveryLengthChangeNothing() throws {
        let tokens = [#"{"#, #""resourceType""#, ":", #""Bundle""#, ",", #""type""#, ":", #""collection""#, ",", #""entry""#, ":", "[",
                      "{", #""resource""#, ":", "{", #""resourceType""#, ":", #""Patient""#, ",", #""active""#, ":", "true", ",",
                      #""name""#, ":", "[", "{", #""given""#, ":", "[", #""Anna""#, ",", #""Maria""#, "]", "}", "]", ",",
                      #""multipleBirthInteger""#, ":", "2", "}", "}", ",", "{", #""resource""#, ":", "{", #""resourceType""#, ":",
                      #""Encounter""#, ",", #""status""#, ":", #""finished""#, ",", #""length""#, ":", "{", #""value""#, ":", "1.50",
                      "}", "}", "}", "]", "}"]
        func read(_ text: String, materialise: Bool) throws(FHIRFormatError) -> Element {
            try Array(text.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b, materialise: { $0 == "Patient" || materialise }) }
        }
        let compact = tokens.joined()
        for materialise in [true, false] {
            let expected = try read(compact, materialise: materialise)
            for run in 0...40 {
                for unit in [" ", "\t", "\n", "\r\n", " \t \n  "] {
                    let blank = String(String(repeating: unit, count: run).prefix(run))
                    let text = blank + tokens.joined(separator: blank) + blank
                    #expect(try read(text, materialise: materialise) == expected, "run \(run) of \(unit.debugDescription)")
                }
                // A non-breaking space or a form feed is not JSON whitespace, wherever it falls.
                for stray in ["\u{A0}", "\u{0C}"] {
                    let blank = String(repeating: " ", count: run)
                    #expect(throws: FHIRFormatError.self) { try read(tokens.joined(separator: blank + stray), materialise: materialise) }
                }
            }
        }
    }

    /// A resource the caller does not build is checked as strictly (issue 20: its keys are
    /// compared as bytes, not made): a duplicate key, also one spelled with an escape, also after
    /// the 24 keys where the check switches to hashing, is refused; distinct keys are not.
    @Test func skippedResourcesRefuseDuplicateKeys() throws {
        func skipped(_ members: String) -> FHIRFormatError? {
            let json = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter","# + members + "}}]}"
            do {
                _ = try Array(json.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b, materialise: { $0 == "Patient" }) }
                return nil
            } catch { return error }
        }
        let many = (0..<30).map { #""k\#($0)":1"# }.joined(separator: ",")
        for members in [#""id":"a","id":"b""#, #""id":"a","\u0069d":"b""#, #""\u0069d":"a","id":"b""#, #""\u0069d":"a","i\u0064":"b""#,
                        #""meta":{"versionId":"1","versionId":"2"}"#, many + #","k3":2"#, many + #","k\u0033":2"#, #""k3":2,"# + many,
                        // Canonically equivalent keys are one key, as Swift's strings compare them
                        // (é composed and decomposed, also escaped; the Kelvin sign and K).
                        "\"\u{E9}\":1,\"e\u{301}\":2", "\"\u{E9}\":1,\"e\\u0301\":2", "\"\u{212A}\":1,\"K\":2", "\"K\":1,\"\u{212A}\":2"] {
            let e = try #require(skipped(members), "accepted: \(members)")
            #expect(e.message.contains("duplicate property"), "\(e.message)")
        }
        for members in [#""id":"a","ib":"b","idx":"c""#, #""\u0069d":"a","i":"b""#, many, "\"\u{E9}\":1,\"e\":2"] {
            #expect(skipped(members) == nil, "refused: \(members)")
        }
    }

    @Test func truncatedInputIsRefusedAtEveryLength() throws {
        let json = Array(#"{"resourceType":"Patient","name":[{"given":["a","b"]}],"_active":{"id":"x"},"active":true,"multipleBirthInteger":12}"#.utf8)
        for length in 0..<json.count {
            #expect(throws: FHIRFormatError.self) { try JSONReader.read(Array(json[..<length])) }
        }
        #expect(throws: Never.self) { try JSONReader.read(json) }
    }

    /// The reader makes a long string once per document where it recurs (issue 20): a slot taken
    /// by another string, or by a canonically equivalent one with other bytes, must never give
    /// back anything but the bytes read.
    @Test func recurringStringsAreTheBytesRead() throws {
        let cache = StringCache(inputSize: 0)  // 256 slots: 3,000 strings share them
        let texts = (0..<3_000).map { "urn:uuid:00000000-0000-0000-0000-\($0 * 7919 % 100_000)" }
            + ["Caf\u{E9} au lait, en terrasse", "Cafe\u{301} au lait, en terrasse", "\u{212A}elvin temperature scale", "Kelvin temperature scale"]
        for round in 0..<2 {
            for text in texts + texts.reversed() {
                let bytes = Array(text.utf8)
                let made = bytes.withUnsafeBufferPointer { cache.string($0) }
                #expect(made.utf8.elementsEqual(bytes), "round \(round): \(text) came back as \(made)")
            }
        }
        // Through the reader: the same long value many times, and its equivalent spellings.
        let values = ["http://snomed.info/sct", "Caf\u{E9} au lait, en terrasse", "Cafe\u{301} au lait, en terrasse", "http://snomed.info/sct"]
        let json = #"{"resourceType":"Patient","name":["# + (0..<200).map { #"{"text":""# + values[$0 % values.count] + #""}"# }.joined(separator: ",") + "]}"
        let names = try JSONReader.read(json).children("name")
        #expect(names.count == 200)
        for (i, name) in names.enumerated() {
            #expect(name.string("text")?.utf8.elementsEqual(values[i % values.count].utf8) == true)
        }
    }
}
