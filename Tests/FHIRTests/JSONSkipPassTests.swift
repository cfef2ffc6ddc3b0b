import Foundation
import Testing
@testable import FHIR

/// The values the JSON reader does not build (the resources a caller skips) are passed over by a
/// C pass, sixteen bytes at a time (issue 20), which leaves to the Swift pass whatever it cannot
/// vouch for. What it accepts, the Swift pass must accept, ending at the same byte; and every
/// document must read the same, tree or error, with it and without it.
struct JSONSkipPassTests {
    static func cEnd(_ text: [UInt8], depth: Int = 0) -> Int {
        text.withUnsafeBufferPointer { JSONReader.fastSkipEnd($0, depth: depth) }
    }

    static func disagreement(_ text: [UInt8], depth: Int = 0) -> String? {
        text.withUnsafeBufferPointer { JSONReader.skipPassesDisagree($0, depth: depth) }
    }

    /// The Swift pass alone: where the value ends, or its error.
    static func swiftEnd(_ text: [UInt8], depth: Int = 0) -> Result<Int, FHIRFormatError> {
        text.withUnsafeBufferPointer { b in
            var scanner = JSONScanner(b)
            scanner.depth = depth
            scanner.fastSkip = false
            do throws(FHIRFormatError) {
                try scanner.skipValueHere()
                return .success(scanner.pos)
            } catch {
                return .failure(error)
            }
        }
    }

    /// Each rule of the Swift pass, written out: what it refuses the C pass refuses too; what it
    /// accepts the C pass accepts to the same byte, except the few values it leaves to Swift.
    @Test func eachRuleHoldsInTheCPass() {
        let refused: [[UInt8]] = [
            // strings
            Array(#""""#.utf8), Array(#""a\u0000""#.utf8), Array(#""\b""#.utf8), Array(#""\f""#.utf8),
            Array(#""\ud800""#.utf8), Array(#""\udc00x""#.utf8), Array(#""\ud83dx""#.utf8), Array(#""\ud83d\u0041""#.utf8),
            Array(#""\x""#.utf8), Array(#""\u12G4""#.utf8), Array(#""\u12"#.utf8), Array(#""abc"#.utf8), Array(#""a\"#.utf8),
            [0x22, 0x61, 0x01, 0x22], [0x22, 0x61, 0x0A, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0x80, 0x22], [0x22, 0xFF, 0x22],
            [0x22, 0xC3],
            // numbers and literals
            Array("01".utf8), Array("-01".utf8), Array("1.".utf8), Array("1.e5".utf8), Array("1e".utf8), Array("1e+".utf8),
            Array("-".utf8), Array("+1".utf8), Array(".5".utf8), Array("tru".utf8), Array("fals".utf8), Array("null".utf8),
            Array("nul".utf8), Array("]".utf8), Array("}".utf8), Array(",".utf8), Array("x".utf8),
            // objects
            Array("{}".utf8), Array("{ }".utf8), Array(#"{"a":1,"a":2}"#.utf8), Array(#"{"a":null}"#.utf8), Array(#"{"a":1,}"#.utf8),
            Array(#"{"a" 1}"#.utf8), Array(#"{"a":1"#.utf8), Array(#"{"a":1 "b":2}"#.utf8), Array(#"{a:1}"#.utf8), Array(#"{"a":}"#.utf8),
            Array(#"{"a":[]}"#.utf8), Array(#"{"a":[[1]]}"#.utf8), Array(#"{"a":[1,]}"#.utf8), Array(#"{"a":[1 2]}"#.utf8),
            Array(#"{"\u0061":1,"a":2}"#.utf8), Array(#"{"a":{"b":""}}"#.utf8), Array(#"{"a":"#.utf8), Array("{".utf8),
            // arrays
            Array("[]".utf8), Array("[ ]".utf8), Array("[null,]".utf8), Array("[nul]".utf8), Array("[[]]".utf8), Array("[1".utf8),
        ]
        for text in refused {
            let shown = String(decoding: text, as: UTF8.self)
            guard case .failure = Self.swiftEnd(text) else {
                Issue.record("the Swift pass accepts \(shown): not a refusal to test")
                continue
            }
            #expect(Self.cEnd(text) == -1, "the C pass accepted \(shown)")
        }
        let accepted: [[UInt8]] = [
            Array(#""abc""#.utf8), Array(#""a\u0009\n\r\t\/\\\"""#.utf8), Array(#""\ud83d\ude00""#.utf8), Array("\"é and 😀 and 中\"".utf8),
            Array(#""a longer string of plain text, well past sixteen bytes, to end in the wide loop""#.utf8),
            Array("0".utf8), Array("-0".utf8), Array("12.50".utf8), Array("1e+5".utf8), Array("-1.5E-3".utf8), Array("10".utf8),
            Array("1x".utf8), Array("true".utf8), Array("false".utf8),
            Array(#"{"a":1}"#.utf8), Array("{\n \"a\" :\t[ 1 , null , {\"b\":true} ] ,\"c\":\"d\"\r}".utf8),
            Array(#"{"a":[null,{"b":"c"}],"_a":[{"id":"x"},null]}"#.utf8), Array(#"{"a":"b","ab":"c","ba":"d","":"e"}"#.utf8),
            Array(#"[1,"two",{"three":3},true]"#.utf8),
        ]
        for text in accepted {
            let shown = String(decoding: text, as: UTF8.self)
            guard case .success(let end) = Self.swiftEnd(text) else {
                Issue.record("the Swift pass refuses \(shown)")
                continue
            }
            #expect(Self.cEnd(text) == end, "\(shown)")
        }
        // Left to the Swift pass, which accepts them: keys with escapes or beyond ASCII (Unicode
        // decides their equality), an object of more than 32 keys.
        let many = "{" + (0..<33).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        for text in [#"{"\u0061":1}"#, #"{"é":1}"#, many] {
            #expect(Self.cEnd(Array(text.utf8)) == -1, "\(text)")
            #expect((try? Self.swiftEnd(Array(text.utf8)).get()) == text.utf8.count, "\(text)")
        }
        let thirtyTwo = "{" + (0..<32).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        #expect(Self.cEnd(Array(thirtyTwo.utf8)) == thirtyTwo.utf8.count)
    }

    /// Runs of whitespace of every length from 0 to 40 (the C pass takes them sixteen at a time)
    /// between every two tokens, of each kind and mixed; and a byte that is no JSON whitespace
    /// (vertical tab, form feed, NUL) after such a run, refused by both.
    @Test func whitespaceRunsOfEveryLength() {
        for kind in [" ", "\n", "\t", "\r", " \n\t\r"] {
            for n in 0...40 {
                let run = String(String(repeating: kind, count: n).prefix(n))
                let tokens = ["{", #""a""#, ":", "[", "1", ",", #""b""#, ",", "{", #""c""#, ":", "true", "}", "]", "}"]
                let text = Array(tokens.joined(separator: run).utf8)
                #expect(Self.cEnd(text) == text.count, "\(n) × \(kind.debugDescription)")
                #expect(Self.disagreement(text) == nil)
                for other: UInt8 in [0x0B, 0x0C, 0x00] {
                    let bad = Array(("{" + run).utf8) + [other] + Array(#""a":1}"#.utf8)
                    #expect(Self.cEnd(bad) == -1, "\(n) × \(kind.debugDescription), then 0x\(String(other, radix: 16))")
                    #expect((try? Self.swiftEnd(bad).get()) == nil)
                }
            }
        }
    }

    /// The nesting limit, counted from the depth the reader is at.
    @Test func theNestingLimitIsTheReadersOwn() {
        func nested(_ levels: Int) -> [UInt8] {
            Array((String(repeating: #"{"a":"#, count: levels) + "1" + String(repeating: "}", count: levels)).utf8)
        }
        for (levels, depth) in [(100, 0), (101, 0), (99, 1), (100, 1), (1, 99), (1, 100), (2, 99)] {
            let text = nested(levels)
            #expect(Self.disagreement(text, depth: depth) == nil, "\(levels) levels at depth \(depth)")
            let swiftAccepts = (try? Self.swiftEnd(text, depth: depth).get()) != nil
            #expect(swiftAccepts == (levels + depth <= JSONReader.maxDepth))
            #expect((Self.cEnd(text, depth: depth) >= 0) == swiftAccepts, "\(levels) levels at depth \(depth)")
        }
    }

    /// Every JSON document of the repository reads alike, tree or error, with the C pass and
    /// without, every nested resource passed over and the adapter's choice; and the C pass
    /// vouches for Synthea's resources itself (it is not leaving them all to Swift).
    @Test func everyDocumentReadsAlike() throws {
        let files = JSONSharingTests.jsonFiles()
        #expect(files.count > 900)
        var vouched = 0, synthea = 0
        for url in files {
            let bytes = try Corpus.bytes(url)
            bytes.withUnsafeBufferPointer { b in
                #expect(JSONReader.fastSkipDisagrees(b) == nil, "\(url.path)")
                #expect(JSONReader.fastSkipDisagrees(b, materialise: { JSONSharingTests.readTypes.contains($0) }) == nil, "\(url.path) (the adapter's types)")
            }
            if url.path.contains("/synthea/bundles/") {
                synthea += 1
                let start = bytes.firstIndex(of: UInt8(ascii: "{")) ?? 0
                if Self.cEnd(Array(bytes[start...])) > 0 { vouched += 1 }
            }
        }
        #expect(synthea > 0 && vouched == synthea, "the C pass vouched for \(vouched) of \(synthea) Synthea Bundles")
    }

    /// Real resources with one byte changed (a quote, a backslash, a brace, a control character,
    /// a byte that is no UTF-8, …) at spread-out places: each pass ends where the other does or
    /// the C pass leaves the value to Swift. Deterministic, a few thousand values.
    @Test func changedBytesFindTheSameEnd() throws {
        let dir = Corpus.root.appendingPathComponent("synthea/bundles")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }.prefix(2)
        let replacements: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x6E, 0x01, 0x20, 0xC3, 0xFF, 0x75]
        var checked = 0
        for url in files {
            let bytes = try Corpus.bytes(url)
            // The first entries' resources, each a value of its own.
            let text = String(decoding: bytes, as: UTF8.self)
            let root = try JSONReader.read(text)
            for entry in root.children("entry").prefix(6) {
                guard let resource = entry.child("resource")?.resource else { continue }
                let original = try JSONWriter().write(resource)
                let stride = max(1, original.count / 60)
                for at in Swift.stride(from: 0, to: original.count, by: stride) {
                    for r in replacements where r != original[at] {
                        var changed = original
                        changed[at] = r
                        #expect(Self.disagreement(changed) == nil, "\(url.lastPathComponent): byte \(at) → 0x\(String(r, radix: 16))")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 5000)
    }
}
