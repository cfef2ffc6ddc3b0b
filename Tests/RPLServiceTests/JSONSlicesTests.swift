@testable import RPLService
import TestSupport
import Testing

/// The request envelope's scanner (`JSONSlices`): its string skip reads eight bytes at a time,
/// held here to the byte-at-a-time reading it replaced.
@Suite struct JSONSlicesTests {
    /// The former `skipString`, one byte at a time: the end, or the offset and message of the refusal.
    static func oracle(_ b: [UInt8], _ from: Int, _ end: Int) -> Result<Int, JSONSlices.Malformed> {
        var i = from + 1
        while i < end {
            switch b[i] {
            case UInt8(ascii: "\""): return .success(i + 1)
            case UInt8(ascii: "\\"): i += 2
            case 0..<0x20: return .failure(.init(offset: i, message: "control character in a string"))
            default: i += 1
            }
        }
        return .failure(.init(offset: from, message: "unterminated string"))
    }

    static func skip(_ b: [UInt8], _ from: Int, _ end: Int) -> Result<Int, JSONSlices.Malformed> {
        b.withUnsafeBufferPointer { p in
            do throws(JSONSlices.Malformed) { return .success(try JSONSlices(bytes: p).skipString(from, end)) } catch { return .failure(error) }
        }
    }

    static func same(_ a: Result<Int, JSONSlices.Malformed>, _ b: Result<Int, JSONSlices.Malformed>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): return x == y
        case (.failure(let x), .failure(let y)): return x.offset == y.offset && x.message == y.message
        default: return false
        }
    }

    @Test func stringSkipMatchesTheByteAtATimeReading() {
        // Every byte that matters, its neighbours, and bytes with the high bit set (UTF-8), at every
        // place in and across an eight-byte word, with the scan's end cut anywhere.
        let alphabet: [UInt8] = [0x22, 0x5C, 0x00, 0x1F, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xC3, 0xE2, 0x61, 0x41]
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for length in 0..<40 {
            for _ in 0..<400 {
                let body = (0..<length).map { _ in
                    // Mostly plain letters, so long runs reach the eight-byte reads.
                    Int.random(in: 0..<4, using: &generator) == 0 ? alphabet.randomElement(using: &generator)! : UInt8(ascii: "x")
                }
                let bytes = [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\""), UInt8(ascii: "x")]
                for end in [bytes.count, bytes.count - 1, max(1, bytes.count / 2)] {
                    #expect(Self.same(Self.skip(bytes, 0, end), Self.oracle(bytes, 0, end)), "\(bytes) up to \(end)")
                    checked += 1
                }
            }
        }
        #expect(checked == 40 * 400 * 3)
        // Hand-picked: a quote in each byte of a word after the opening quote, an escaped quote, a
        // control character after a run of plain bytes.
        for k in 0..<16 {
            let bytes = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "a"), count: k) + [UInt8(ascii: "\"")]
            #expect(Self.same(Self.skip(bytes, 0, bytes.count), .success(k + 2)))
        }
        let escaped = Array(#""abcdefgh\"ijklmnop" "#.utf8)
        #expect(Self.same(Self.skip(escaped, 0, escaped.count), .success(escaped.count - 1)))
        let control = Array("\"abcdefghijkl\tm\"".utf8)
        #expect(Self.same(Self.skip(control, 0, control.count), .failure(.init(offset: 13, message: "control character in a string"))))
    }
}

extension JSONSlicesTests {
    /// The envelope as `CDSHooks.parse` reads it (the top's members, then the prefetch's): by the
    /// former scanner, two passes, and by this one, one pass; each a list of keys and ranges, or
    /// nil where refused.
    static func former(_ p: UnsafeBufferPointer<UInt8>) -> [String]? {
        let body = FormerJSONSlices(bytes: p)
        do {
            let top = try body.members(0..<p.count)
            guard let inner = top.first(where: { $0.key == "prefetch" })?.value, body.isObject(inner) else { return top.map { "\($0.key)@\($0.value)" } }
            return top.map { "\($0.key)@\($0.value)" } + (try body.members(inner)).map { "\($0.key)@\($0.value)" }
        } catch { return nil }
    }

    static func onePass(_ p: UnsafeBufferPointer<UInt8>) -> [String]? {
        let body = JSONSlices(bytes: p)
        do {
            let top = try body.members(0..<p.count, expanding: ["prefetch"])
            guard let inner = top.first(where: { $0.key == "prefetch" })?.value, body.isObject(inner) else { return top.map { "\($0.key)@\($0.value)" } }
            guard body.memo.objects[inner.lowerBound] != nil else { return ["not kept"] }
            return top.map { "\($0.key)@\($0.value)" } + (try body.members(inner)).map { "\($0.key)@\($0.value)" }
        } catch { return nil }
    }

    /// The one intended difference: content after an empty top-level object (`{} x`), which the
    /// former scanner let through unread, is refused.
    static func emptyThenMore(_ bytes: [UInt8]) -> Bool {
        let text = bytes.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return text.count > 2 && text[0] == UInt8(ascii: "{") && text[1] == UInt8(ascii: "}")
    }

    static func agree(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { p in
            let (a, b) = (former(p), onePass(p))
            return a == b || (a != nil && b == nil && emptyThenMore(bytes))
        }
    }

    @Test func onePassReadsWhatTheFormerTwoPassesRead() {
        let deep = { (n: Int) in String(repeating: "[", count: n) + "1" + String(repeating: "]", count: n) }
        let documents = [
            #"{"hook":"patient-view","prefetch":{"patient":{"resourceType":"Patient","id":"a"},"conditions":null},"context":{}}"#,
            #"{ "prefetch" : { "a" : [1, {"b": "}"}] , "c":"\"" } }"#,
            #"{"prefetch":{}}"#, #"{"prefetch":"not an object"}"#, #"{"prefetch":{"a":1,"a":2}}"#, #"{"prefetch":{"a":1}}}"#,
            #"{"prefetch":{"a":1 "b":2}}"#, #"{"prefetch":{"a":1},"prefetch":{}}"#, #"{"prefetch":{"a":"#, #"{"prefetch":{"a":1}"#,
            // The nesting limit counts the prefetch's own brace, as when it was skipped whole.
            #"{"prefetch":{"extra":"# + deep(99) + "}}", #"{"prefetch":{"extra":"# + deep(100) + "}}",
            #"{"other":"# + deep(100) + "}", #"{"other":"# + deep(101) + "}",
            "{}", "{}  x", "{} }",
        ]
        for text in documents { #expect(Self.agree(Array(text.utf8)), "\(text.prefix(60))") }
        let read = documents.filter { t in Array(t.utf8).withUnsafeBufferPointer { Self.onePass($0) != nil } }.count
        #expect(read == 7)  // the first four, a prefetch nested to the limit, another key to it, {}
        // Envelopes changed a byte or three at a time (seeded: the same ones every run).
        let seeds = documents.prefix(2).map { Array($0.utf8) }
        let alphabet = Array(#"{}[]",: \:0a1"#.utf8)
        var generator = SplitMix(seed: 37)
        var disagreements: [String] = []
        for _ in 0..<40_000 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !bytes.isEmpty {
                let i = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: i)
                default: bytes[i] = alphabet.randomElement(using: &generator)!
                }
            }
            if !Self.agree(bytes) { disagreements.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
