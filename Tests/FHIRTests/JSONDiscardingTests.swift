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

    /// Reads a copy starting `offset` bytes into a page (glibc's large blocks start 16 bytes in),
    /// giving pages back; also says how many of the copy's bytes read as zero afterwards that were
    /// not zero before (the pages given back).
    static func discarding(_ bytes: [UInt8], offset: Int = 16) -> (Result<Element, FHIRFormatError>, zeroed: Int) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + page, alignment: page)
        defer { copy.deallocate() }
        let start = copy.baseAddress! + offset % page
        start.copyMemory(from: bytes, byteCount: bytes.count)
        let buffer = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        let result = JSONReader.result { () throws(FHIRFormatError) in
            try JSONReader.read(discarding: buffer, materialise: { readTypes.contains($0) }, releaseEvery: page)
        }
        var zeroed = 0
        for i in 0..<bytes.count where buffer[i] == 0 && bytes[i] != 0 { zeroed += 1 }
        return (result, zeroed)
    }

    static func keeping(_ bytes: [UInt8]) -> Result<Element, FHIRFormatError> {
        bytes.withUnsafeBufferPointer { b in
            JSONReader.result { () throws(FHIRFormatError) in try JSONReader.read(b, materialise: { readTypes.contains($0) }) }
        }
    }

    static func same(_ a: Result<Element, FHIRFormatError>, _ b: Result<Element, FHIRFormatError>) -> Bool {
        JSONReader.difference(a, b, labels: ("", "")) == nil
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

    /// Offsets of the copy in its first page: aligned, glibc's, one byte short of a page.
    static let offsets = [0, 16, page - 1]

    /// Whether most of the bytes went (`madvise(MADV_DONTNEED)` zeroes private pages on Linux
    /// only): so that no test here compares two keeping readers.
    static func mostWent(_ zeroed: Int, of count: Int) -> Bool {
        #if os(Linux)
        return zeroed * 2 > count
        #else
        return true
        #endif
    }

    @Test func readsWhatTheKeepingReaderReads() throws {
        for compact in [false, true] {
            let bytes = try Self.bundle(entries: 400, compact: compact)
            let kept = Self.keeping(bytes)
            for offset in Self.offsets {
                let (read, zeroed) = Self.discarding(bytes, offset: offset)
                #expect(Self.same(read, kept), "compact: \(compact), offset \(offset)")
                #expect(Self.mostWent(zeroed, of: bytes.count), "\(zeroed) of \(bytes.count) bytes given back (compact: \(compact))")
            }
        }
    }

    /// One byte changed at a time, in the entries read after pages went and after the entries:
    /// the same error (message, location, line, column) or the same tree.
    @Test func errorsAfterPagesWentAreTheSame() throws {
        for compact in [false, true] {
            let bytes = try Self.bundle(entries: 150, compact: compact)
            let replacements: [UInt8] = [0x22, 0x7D, 0x5D, 0x2C, 0x78, 0xC3, 0x0A, 0x3A, 0x7B, 0x30]
            var errors = 0
            for n in 0..<60 {
                var mutated = bytes
                // The first mutations at the end (root keys after the entries), then in the second
                // half by a prime step (the same bytes every run).
                let at = n < 5 ? bytes.count - 1 - n * 3 : bytes.count / 2 + (n * 7919 + (compact ? 0 : 3)) % (bytes.count / 2)
                let replacement = replacements[(n * 7) % replacements.count]
                mutated[at] = replacement
                let (read, _) = Self.discarding(mutated, offset: Self.offsets[n % Self.offsets.count])
                let kept = Self.keeping(mutated)
                #expect(Self.same(read, kept), "byte \(at) of \(bytes.count) set to \(replacement) (compact: \(compact)): \(read) vs \(kept)")
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
            #expect(Self.mostWent(zeroed, of: bytes.count))
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

    /// The counts at their limits (helper-22's review): runs of line breaks and of four-byte
    /// characters long enough for every byte lane to reach 255 before it is summed, and a last
    /// line that starts inside a page that goes and holds characters that are not ASCII.
    @Test func countsAtTheirLimits() throws {
        let breaks = String(repeating: "\n", count: 3 * 2040 + 5)
        let wide = String(repeating: "😀", count: 3000)  // 12,000 bytes on one line
        var entries: [String] = []
        for i in 0..<12 {
            let text = i % 2 == 0 ? wide : "é€" + wide
            entries.append(#"{"fullUrl":"urn:uuid:00000000-0000-4000-8000-00000000000\#(i % 10)","resource":{"resourceType":"Basic","id":"b\#(i)","code":{"text":"\#(text)"}}}"#)
        }
        let document = #"{"resourceType":"Bundle","type":"collection","entry":["# + entries.joined(separator: "," + breaks) + "]}"
        let bytes = Array(document.utf8)
        for offset in Self.offsets {
            let (read, zeroed) = Self.discarding(bytes, offset: offset)
            #expect(Self.mostWent(zeroed, of: bytes.count))
            #expect(Self.same(read, Self.keeping(bytes)))
            // An error at the end, on the last line (its column counts the characters of a line
            // that began in pages that went) and after it.
            for tail in ["x", "\n x"] {
                let broken = Array((String(document.dropLast()) + tail).utf8)
                let (read, _) = Self.discarding(broken, offset: offset)
                let kept = Self.keeping(broken)
                guard case let .failure(error) = kept else { Issue.record("read"); continue }
                #expect((error.line ?? 0) > 3 * 2040 * 11, "\(error)")
                #expect(Self.same(read, kept), "offset \(offset), tail \(tail.debugDescription): \(read) vs \(kept)")
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
        #expect(Self.mostWent(zeroed, of: text.utf8.count))
        guard case let .failure(error) = read else { Issue.record("a duplicate key was read"); return }
        #expect(error.message.contains("duplicate property \"type\""), "\(error)")
        #expect(Self.same(read, Self.keeping(Array(text.utf8))))
    }
}
