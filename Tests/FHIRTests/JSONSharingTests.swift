import Foundation
import Testing
@testable import FHIR

/// The JSON reader shares the children of an object whose text recurs and passes over it
/// (`RecurringObjects`, also in skipped resources; issue 20). Read with and without that, every
/// document must give the same tree or the same error.
struct JSONSharingTests {
    static func jsonFiles() -> [URL] {
        var found: [URL] = []
        for folder in ["TestData", "Fixtures", "Fuzz/findings"] {
            let dir = Corpus.projectRoot.appendingPathComponent(folder)
            guard let walk = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walk where url.pathExtension == "json" && !url.path.contains("/schemas/") {
                found.append(url)
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    static let readTypes: Set<String> = ["Patient", "Condition", "Observation", "Procedure", "DiagnosticReport"]

    static func disagreement(_ text: String, materialise: ((String) -> Bool)? = nil) -> String? {
        Array(text.utf8).withUnsafeBufferPointer { JSONReader.sharingDisagrees($0, materialise: materialise) }
    }

    static func error(_ text: String) -> FHIRFormatError? {
        do { _ = try JSONReader.read(text); return nil } catch { return error }
    }

    @Test func agreesWithAnUnsharedReadingOnEveryJSONFile() throws {
        let files = Self.jsonFiles()
        #expect(files.count > 900)
        var sharing = 0
        for url in files {
            let bytes = try Corpus.bytes(url)
            bytes.withUnsafeBufferPointer { b in
                #expect(JSONReader.sharingDisagrees(b) == nil, "\(url.path)")
                #expect(JSONReader.sharingDisagrees(b, materialise: { Self.readTypes.contains($0) }) == nil, "\(url.path) (skipping)")
                var scanner = JSONScanner(b)
                if (try? scanner.readDocument()) != nil, scanner.sharedChildren.count > 0 { sharing += 1 }
            }
        }
        // Not a comparison of two identical readings: most documents repeat an object somewhere.
        #expect(sharing * 2 > files.count, "\(sharing) of \(files.count) documents shared an object")
        print("JSONSharingTests: \(sharing) of \(files.count) JSON documents shared an object")
    }

    @Test func recurringCodesShareOneArray() throws {
        let text = #"{"resourceType":"Bundle","type":"collection","entry":["#
            + #"{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]}}},"#
            + #"{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8302-2"}]}}}]}"#
        let bundle = try JSONReader.read(text)
        let codes = bundle.children("entry").compactMap { $0.child("resource")?.resource?.child("code") }
        #expect(codes.count == 2 && codes[0] == codes[1])
        let storage = codes.map { $0.children.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        #expect(storage[0] == storage[1], "the second code's children are the first's")
        #expect(Self.disagreement(text) == nil)
    }

    /// The same text read first shallow, then beyond the nesting limit: the second is refused as
    /// it would be unshared (and the other way round, it is read).
    @Test func theNestingLimitHoldsForATextReadBefore() throws {
        let x = #"{"url":"http://x","valueString":"v"}"#
        // Basic.extension[1] nests `levels` extensions, the innermost holding x.
        func document(levels: Int, xFirst: Bool) -> String {
            var inner = x
            for _ in 0..<levels { inner = #"{"url":"http://n","extension":["# + inner + "]}" }
            let items = xFirst ? [x, inner] : [inner, x]
            return #"{"resourceType":"Basic","code":{"text":"c"},"extension":["# + items.joined(separator: ",") + "]}"
        }
        // Depth: Basic 1, its extension array 2, an item 3; each level adds an object and an array.
        let tooDeep = document(levels: 49, xFirst: true)
        let error = try #require(Self.error(tooDeep))
        #expect(error.type == .tooLong, "\(error)")
        #expect(Self.disagreement(tooDeep) == nil)
        let deepFirst = document(levels: 48, xFirst: false)
        #expect(Self.error(deepFirst) == nil)
        #expect(Self.disagreement(deepFirst) == nil)
        // The same in a resource the reader skips.
        for d in [tooDeep, deepFirst] {
            let bundle = #"{"resourceType":"Bundle","type":"collection","entry":[{"resource":"# + d + "}]}"
            #expect(Self.disagreement(bundle, materialise: { _ in false }) == nil)
            #expect(Self.disagreement(bundle) == nil)
        }
    }

    /// One text under two names is two nodes of their own names, and an error found in one place
    /// is found in the next (never passed over as "seen").
    @Test func namesAndErrorsStayTheirOwn() throws {
        let cc = #"{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}"#
        let two = #"{"resourceType":"Observation","status":"final","code":"# + cc + #","valueCodeableConcept":"# + cc + "}"
        let read = try JSONReader.read(two)
        let code = try #require(read.child("code")), value = try #require(read.child("valueCodeableConcept"))
        #expect(code.name == "code" && value.name == "valueCodeableConcept")
        // One array under both names: a name names only its node.
        #expect(code.children.withUnsafeBufferPointer { $0.baseAddress } == value.children.withUnsafeBufferPointer { $0.baseAddress })
        #expect(Self.disagreement(two) == nil)
        // A text that failed is not kept: the same error at the first place, as unshared.
        let bad = #"{"coding":[{"system":"http://snomed.info/sct","code":"1","code":"2"}]}"#
        let twice = #"{"resourceType":"Observation","status":"final","code":"# + bad + #","valueCodeableConcept":"# + bad + "}"
        #expect(Self.error(twice)?.message.contains("duplicate property") == true)
        #expect(Self.disagreement(twice) == nil)
        // A text that passes as one type and not as another: CarePlan.activity.detail knows no
        // `sequence` (kept as unknown), Claim.item.detail's is a positiveInt, not a string.
        // The CarePlan's comes first and deeper (in a contained resource), so the Claim's is the
        // same array; the type check must still check it as the Claim's.
        let detail = #"{"sequence":"1","status":"completed"}"#
        let shared = #"{"resourceType":"Bundle","type":"collection","entry":["#
            + #"{"resource":{"resourceType":"Basic","code":{"text":"c"},"contained":[{"resourceType":"CarePlan","activity":[{"detail":"# + detail + "}]}]}},"
            + #"{"resource":{"resourceType":"Claim","item":[{"sequence":1,"detail":["# + detail + "]}]}}]}"
        let sharedCount = try Array(shared.utf8).withUnsafeBufferPointer { b in
            var scanner = JSONScanner(b)
            _ = try scanner.readDocument()
            return scanner.sharedChildren.count
        }
        #expect(sharedCount == 1)
        let refused = try #require(Self.error(shared))
        #expect(refused.location == "Bundle.entry[1].resource.ofType(Claim).item[0].detail[0].sequence", "\(refused)")
        #expect(Self.disagreement(shared) == nil)
        // The same text as a primitive's extensions (`_name`) and as an element.
        let ext = #"{"extension":[{"url":"http://x","valueString":"v"}]}"#
        let both = #"{"resourceType":"Patient","_gender":"# + ext + #","gender":"female","photo":[{"extension":[{"url":"http://x","valueString":"v"}]}],"_birthDate":"# + ext + "}"
        #expect(Self.disagreement(both) == nil)
    }
}
