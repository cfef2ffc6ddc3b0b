import FHIR
@testable import RPLService

/// The envelope scanner as it was before issue 20's one-pass reading (2026-12-05, 4472dc2),
/// kept unchanged as the oracle of `JSONSlicesTests` (the parts the envelope's reading uses): the
/// prefetch skipped whole, then read again for its members; strings one byte at a time.
struct FormerJSONSlices {
    let bytes: UnsafeBufferPointer<UInt8>

    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        let message: String
        var description: String { "\(message) at byte \(offset)" }
    }

    /// The members of the object at `range`, in order: each key and the range of its value
    /// (whitespace trimmed). Refuses a duplicate key and anything but an object.
    func members(_ range: Range<Int>) throws(Malformed) -> [(key: String, value: Range<Int>)] {
        var pos = skipSpace(range.lowerBound, range.upperBound)
        guard pos < range.upperBound, bytes[pos] == UInt8(ascii: "{") else { throw Malformed(offset: pos, message: "expected an object") }
        pos = skipSpace(pos + 1, range.upperBound)
        var out: [(key: String, value: Range<Int>)] = []
        var seen = Set<String>()
        if pos < range.upperBound, bytes[pos] == UInt8(ascii: "}") { return out }
        while true {
            guard pos < range.upperBound, bytes[pos] == UInt8(ascii: "\"") else { throw Malformed(offset: pos, message: "expected a key") }
            let keyEnd = try skipString(pos, range.upperBound)
            let key = try string(pos..<keyEnd)
            guard seen.insert(key).inserted else { throw Malformed(offset: pos, message: "duplicate key \"\(key)\"") }
            pos = skipSpace(keyEnd, range.upperBound)
            guard pos < range.upperBound, bytes[pos] == UInt8(ascii: ":") else { throw Malformed(offset: pos, message: "expected ':'") }
            let start = skipSpace(pos + 1, range.upperBound)
            let end = try skipValue(start, range.upperBound)
            out.append((key, start..<end))
            pos = skipSpace(end, range.upperBound)
            guard pos < range.upperBound else { throw Malformed(offset: pos, message: "unterminated object") }
            if bytes[pos] == UInt8(ascii: "}") {
                guard skipSpace(pos + 1, range.upperBound) == range.upperBound else { throw Malformed(offset: pos + 1, message: "content after the object") }
                return out
            }
            guard bytes[pos] == UInt8(ascii: ",") else { throw Malformed(offset: pos, message: "expected ',' or '}'") }
            pos = skipSpace(pos + 1, range.upperBound)
        }
    }

    func isObject(_ range: Range<Int>) -> Bool {
        !range.isEmpty && bytes[range.lowerBound] == UInt8(ascii: "{")
    }

    /// The JSON string at `range`, unescaped (the FHIR reader's rules); refuses anything else.
    func string(_ range: Range<Int>) throws(Malformed) -> String {
        do {
            return try JSONReader.string(UnsafeBufferPointer(rebasing: bytes[range]))
        } catch {
            throw Malformed(offset: range.lowerBound, message: error.message)
        }
    }

    // MARK: scanning

    func skipSpace(_ from: Int, _ end: Int) -> Int {
        var i = from
        while i < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        return i
    }

    /// The end of the string starting at `from` (one past its closing quote).
    func skipString(_ from: Int, _ end: Int) throws(Malformed) -> Int {
        var i = from + 1
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\\"): i += 2
            case 0..<0x20: throw Malformed(offset: i, message: "control character in a string")
            default: i += 1
            }
        }
        throw Malformed(offset: from, message: "unterminated string")
    }

    /// The end of the value starting at `from`.
    func skipValue(_ from: Int, _ end: Int) throws(Malformed) -> Int {
        guard from < end else { throw Malformed(offset: from, message: "expected a value") }
        switch bytes[from] {
        case UInt8(ascii: "\""):
            return try skipString(from, end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var stack: [UInt8] = [bytes[from]]
            var i = from + 1
            while i < end {
                switch bytes[i] {
                case UInt8(ascii: "\""): i = try skipString(i, end); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    stack.append(bytes[i])
                    guard stack.count <= JSONReader.maxDepth else { throw Malformed(offset: i, message: "nested too deeply") }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    let open = bytes[i] == UInt8(ascii: "}") ? UInt8(ascii: "{") : UInt8(ascii: "[")
                    guard stack.popLast() == open else { throw Malformed(offset: i, message: "unbalanced brackets") }
                    if stack.isEmpty { return i + 1 }
                default: break
                }
                i += 1
            }
            throw Malformed(offset: from, message: "unterminated value")
        default:
            // A number or a literal: up to the next delimiter.
            var i = from
            while i < end, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
            let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self)
            guard word == "null" || word == "true" || word == "false" || Double(word) != nil else {
                throw Malformed(offset: from, message: "unexpected \(word.prefix(20))")
            }
            return i
        }
    }
}
