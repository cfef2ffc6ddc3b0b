import Foundation
import Testing
import FHIR

/// `apply` on a JSON input of 4 MB or more gives the pages of the entries it has read back
/// while it reads (issue 20, memory). Through the built executable: the plan, an error's line and
/// column, and the ndjson hint are what they are for an input read whole.
@Suite(.serialized) struct LargeInputTests {
    /// Misty Bradtke's Synthea Bundle with 2,500 copies of her Observations (ids and fullUrls of
    /// their own) and an identifier (so the output is named by it, not by a digest of the bytes),
    /// indented: about 6 MB, on one line about 3 MB.
    static let bundle: Element = {
        let url = ConvertCommandTests.corpus.appendingPathComponent("synthea/bundles/Misty_Bradtke_100ddb60-fb28-4663-a8f2-af93cdc4294e.json")
        var bundle = try! JSONReader.read(Array(try! Data(contentsOf: url)))
        // Alive (she is recorded as deceased in 2012), so that a plan is made.
        bundle.children = bundle.children.map { entry in
            guard entry.child("resource")?.resource?.name == "Patient" else { return entry }
            var entry = entry
            for i in entry.children.indices where entry.children[i].name == "resource" {
                entry.children[i].children[0].children.removeAll { $0.name == "deceasedDateTime" }
            }
            return entry
        }
        let observations = bundle.children.filter { $0.name == "entry" && $0.child("resource")?.resource?.name == "Observation" }
        for i in 0..<2500 {
            var entry = observations[i % observations.count]
            let n = String(format: "%012d", i)
            entry.children = entry.children.map { child in
                var child = child
                if child.name == "fullUrl" { child.value = "urn:uuid:00000000-0000-4000-8000-" + n }
                if child.name == "resource" {
                    child.children[0].children = child.children[0].children.map { e in
                        var e = e
                        if e.name == "id" { e.value = "copy-\(i)" }
                        return e
                    }
                }
                return child
            }
            bundle.children.append(entry)
        }
        let identifier = Element.complex("identifier", [.primitive("system", "urn:ietf:rfc:3986"), .primitive("value", "urn:uuid:5b2f0f0e-7d3c-4a52-9d0e-3f1c2a6b7e11")])
        bundle.children.insert(identifier, at: 1)
        return bundle
    }()

    static func file(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rpl-large-\(UUID().uuidString).json")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func thePlanIsTheSameAsForTheInputReadWhole() throws {
        let pretty = try FHIRFormat.json.write(Self.bundle, pretty: true)
        try #require(pretty.count >= 4 << 20)
        let url = try Self.file(pretty)
        defer { try? FileManager.default.removeItem(at: url) }
        let large = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", url.path])
        // The same Bundle as one ndjson line: each line is read whole.
        let line = try FHIRFormat.json.write(Self.bundle, pretty: false) + [0x0A]
        let whole = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "--input-format", "ndjson"], stdin: Data(line))
        #expect(large.status == whole.status, "\(large.stderr)")
        #expect(large.stdout == whole.stdout)
        #expect(large.stdout.count > 1000)
        #expect(large.stderr.replacingOccurrences(of: url.path, with: "") == whole.stderr.replacingOccurrences(of: "<stdin>:1", with: ""), "\(large.stderr)\n\(whole.stderr)")
    }

    @Test func anErrorNearTheEndHasItsLineAndColumn() throws {
        var text = String(decoding: try FHIRFormat.json.write(Self.bundle, pretty: true), as: UTF8.self)
        // The last entry's `"method": "POST"` with a semicolon for its colon.
        let method = try #require(text.range(of: #""method": "POST""#, options: .backwards))
        let colon = text.index(method.lowerBound, offsetBy: 8)
        #expect(text[colon] == ":")
        text.replaceSubrange(colon...colon, with: ";")
        let bytes = Array(text.utf8)
        let offset = text.utf8.distance(from: text.startIndex, to: colon)
        let line = bytes[..<offset].filter { $0 == 0x0A }.count + 1
        let lineStart = (bytes[..<offset].lastIndex(of: 0x0A) ?? -1) + 1
        let column = offset - lineStart + 1
        #expect(line > 100_000)
        try #require(bytes.count >= 4 << 20)
        let url = try Self.file(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", url.path])
        #expect(r.status == 65)
        #expect(r.stderr.contains("expected ':' after the property name \"method\""), "\(r.stderr)")
        #expect(r.stderr.contains("line \(line), column \(column)"), "expected line \(line), column \(column): \(r.stderr)")
    }

    @Test func largeNDJSONWithoutTheFlagSaysWhatToDo() throws {
        let line = try FHIRFormat.json.write(Self.bundle, pretty: false) + [0x0A]
        try #require(2 * line.count >= 4 << 20)
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02"], stdin: Data(line + line))
        #expect(r.status == 65)
        #expect(r.stderr.contains("looks like ndjson (one Bundle per line): use --input-format ndjson"), "\(r.stderr)")
        #expect(r.stderr.contains("line 2, column 1"), "\(r.stderr)")
    }
}
