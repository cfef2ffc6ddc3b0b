import Foundation
import Testing
@testable import FHIR

/// `JSONReader.read(discarding:…)` gives the pages of a Bundle's entries back while it reads
/// (issue 20, memory). It must read exactly what the reader that keeps them reads: the same tree,
/// or the same error with the same location, line and column. Here pages go after every page of
/// entries read, on page-aligned copies, and some of the tests' bytes are checked to be gone.
struct JSONDiscardingTests {
    static let readTypes: Set<String> = ["Patient", "Condition", "Observation", "Procedure", "DiagnosticReport"]
    static let page = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Reads a page-aligned copy, giving pages back; also says how many of the copy's bytes read
    /// as zero afterwards that were not zero before (the pages given back).
    static func discarding(_ bytes: [UInt8]) -> (Result<Element, FHIRFormatError>, zeroed: Int) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: page)
        defer { copy.deallocate() }
        copy.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
        let buffer = UnsafeBufferPointer(start: copy.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        let result: Result<Element, FHIRFormatError>
        do {
            result = .success(try JSONReader.read(discarding: buffer, materialise: { readTypes.contains($0) }, releaseEvery: page))
        } catch {
            result = .failure(error)
        }
        var zeroed = 0
        for i in 0..<bytes.count where buffer[i] == 0 && bytes[i] != 0 { zeroed += 1 }
        return (result, zeroed)
    }

    static func keeping(_ bytes: [UInt8]) -> Result<Element, FHIRFormatError> {
        do {
            return .success(try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b, materialise: { readTypes.contains($0) }) })
        } catch {
            return .failure(error)
        }
    }

    static func same(_ a: Result<Element, FHIRFormatError>, _ b: Result<Element, FHIRFormatError>) -> Bool {
        switch (a, b) {
        case let (.success(x), .success(y)): return x == y
        case let (.failure(x), .failure(y)): return x == y
        default: return false
        }
    }

    /// Misty Bradtke's Synthea Bundle, cut to its first `entries` entries, written indented or on
    /// one line (resourceType first in each resource, so that the reader skips those it does not
    /// build).
    static func bundle(entries: Int, compact: Bool) throws -> [UInt8] {
        let url = Corpus.root.appendingPathComponent("synthea/bundles/Misty_Bradtke_100ddb60-fb28-4663-a8f2-af93cdc4294e.json")
        var bundle = try JSONReader.read(try Corpus.bytes(url))
        var kept = 0
        bundle.children = bundle.children.filter { child in
            guard child.name == "entry" else { return true }
            kept += 1
            return kept <= entries
        }
        return try FHIRFormat.json.write(bundle, pretty: !compact)
    }

    @Test func readsWhatTheKeepingReaderReads() throws {
        for compact in [false, true] {
            let bytes = try Self.bundle(entries: 400, compact: compact)
            let (read, zeroed) = Self.discarding(bytes)
            #expect(Self.same(read, Self.keeping(bytes)), "compact: \(compact)")
            // Not a comparison of two keeping readers: most of the entries' bytes went.
            #expect(zeroed * 2 > bytes.count, "\(zeroed) of \(bytes.count) bytes given back (compact: \(compact))")
        }
    }

    /// One byte changed at a time, in the entries read after pages went and after the entries:
    /// the same error (message, location, line, column) or the same tree.
    @Test func errorsAfterPagesWentAreTheSame() throws {
        for compact in [false, true] {
            let bytes = try Self.bundle(entries: 150, compact: compact)
            var generator = SystemRandomNumberGenerator()
            let replacements: [UInt8] = [0x22, 0x7D, 0x5D, 0x2C, 0x78, 0xC3, 0x0A, 0x3A, 0x7B, 0x30]
            var errors = 0
            for n in 0..<60 {
                var mutated = bytes
                // The first mutations at the end (root keys after the entries), then anywhere in
                // the second half.
                let at = n < 5 ? bytes.count - 1 - n * 3 : Int.random(in: (bytes.count / 2)..<bytes.count, using: &generator)
                mutated[at] = replacements.randomElement(using: &generator)!
                let (read, _) = Self.discarding(mutated)
                let kept = Self.keeping(mutated)
                #expect(Self.same(read, kept), "byte \(at) of \(bytes.count) (compact: \(compact)): \(read) vs \(kept)")
                if case .failure = kept { errors += 1 }
            }
            #expect(errors > 20, "\(errors) of 60 mutations refused")
        }
    }

    /// Text that is not ASCII in the entries that go (a column counts characters, not bytes),
    /// then an error late on the same line or a later one.
    @Test func columnsCountCharactersInPagesThatWent() throws {
        for compact in [true, false] {
            var text = String(decoding: try Self.bundle(entries: 300, compact: compact), as: UTF8.self)
            // Two, three and four bytes a character, in every reference to a Synthea code system.
            text = text.replacingOccurrences(of: "http://snomed.info/sct", with: "http://snomed.info/sct#é€😀")
            let bytes = Array(text.utf8)
            let (read, zeroed) = Self.discarding(bytes)
            #expect(zeroed * 2 > bytes.count)
            #expect(Self.same(read, Self.keeping(bytes)))
            for back in [2, 40, 700] {
                var mutated = bytes
                mutated[bytes.count - back] = 0x01  // refused inside a string and outside
                let (read, _) = Self.discarding(mutated)
                let kept = Self.keeping(mutated)
                guard case let .failure(error) = kept else { Issue.record("read: \(back)"); continue }
                if compact { #expect((error.column ?? 0) > 100_000, "\(error)") }
                #expect(Self.same(read, kept), "\(back) (compact: \(compact)): \(read) vs \(kept)")
            }
        }
    }

    /// The repository's JSON files, read alike (few have entries beyond a page).
    @Test func everyJSONFileIsReadAlike() throws {
        for url in JSONSharingTests.jsonFiles() {
            let bytes = try Corpus.bytes(url)
            bytes.withUnsafeBufferPointer { b in
                #expect(JSONReader.discardingDisagrees(b, materialise: { Self.readTypes.contains($0) }) == nil, "\(url.path)")
            }
        }
    }

    /// The root's keys before `entry` are kept: a duplicate of one after the entries is found.
    @Test func theRootsKeysAreKept() throws {
        var text = String(decoding: try Self.bundle(entries: 200, compact: true), as: UTF8.self)
        let start = #"{"resourceType":"Bundle","type":"transaction","entry":["#
        #expect(text.hasPrefix(start), "\(text.prefix(80))")
        text = String(text.dropLast()) + #","type":"searchset"}"#
        let (read, zeroed) = Self.discarding(Array(text.utf8))
        #expect(zeroed > 0)
        guard case let .failure(error) = read else { Issue.record("a duplicate key was read"); return }
        #expect(error.message.contains("duplicate property \"type\""), "\(error)")
        #expect(Self.same(read, Self.keeping(Array(text.utf8))))
    }
}
