@testable import RPLService
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
            #expect(Self.skip(bytes, 0, bytes.count) == .success(k + 2))
        }
        let escaped = Array(#""abcdefgh\"ijklmnop" "#.utf8)
        #expect(Self.skip(escaped, 0, escaped.count) == .success(escaped.count - 1))
        let control = Array("\"abcdefghijkl\tm\"".utf8)
        #expect(Self.same(Self.skip(control, 0, control.count), .failure(.init(offset: 13, message: "control character in a string"))))
    }
}

extension JSONSlicesTests {
    /// `members(_:expanding:)` reads the expanded object in the same pass: the members it gives
    /// later are those a second reading gives, and what either reading refuses, the other does.
    @Test func expandedObjectsAreReadOnceAsASecondReadingWould() {
        let documents = [
            #"{"hook":"patient-view","prefetch":{"patient":{"resourceType":"Patient","id":"a"},"conditions":null},"context":{}}"#,
            #"{ "prefetch" : { "a" : [1, {"b": "}"}] , "c":"\"" } }"#,
            #"{"prefetch":{}}"#,
            #"{"prefetch":"not an object"}"#,
            #"{"prefetch":{"a":1,"a":2}}"#,
            #"{"prefetch":{"a":1}}}"#,
            #"{"prefetch":{"a":1 "b":2}}"#,
            #"{"prefetch":{"a":1},"prefetch":{}}"#,
            #"{"prefetch":{"a":"#,
            #"{"prefetch":{"a":1}"#,
        ]
        var read = 0
        for text in documents {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { p in
                func twoPasses() throws(JSONSlices.Malformed) -> [String] {
                    let body = JSONSlices(bytes: p)
                    let top = try body.members(0..<p.count)
                    guard let inner = top.first(where: { $0.key == "prefetch" })?.value, body.isObject(inner) else { return top.map(\.key) }
                    return top.map(\.key) + (try body.members(inner)).map { "\($0.key)@\($0.value)" }
                }
                func onePass() throws(JSONSlices.Malformed) -> [String] {
                    let body = JSONSlices(bytes: p)
                    let top = try body.members(0..<p.count, expanding: ["prefetch"])
                    guard let inner = top.first(where: { $0.key == "prefetch" })?.value, body.isObject(inner) else { return top.map(\.key) }
                    #expect(body.memo.objects[inner.lowerBound] != nil)
                    return top.map(\.key) + (try body.members(inner)).map { "\($0.key)@\($0.value)" }
                }
                let a = Result { () throws(JSONSlices.Malformed) in try twoPasses() }
                let b = Result { () throws(JSONSlices.Malformed) in try onePass() }
                switch (a, b) {
                case (.success(let x), .success(let y)): #expect(x == y, "\(text)"); read += 1
                case (.failure, .failure): break
                default: Issue.record("\(text): \(a) against \(b)")
                }
            }
        }
        #expect(read == 4)  // the first four are read, the rest refused by both
    }
}

extension Result: @retroactive Equatable where Success == Int, Failure == JSONSlices.Malformed {
    public static func == (a: Self, b: Self) -> Bool { JSONSlicesTests.same(a, b) }
}
