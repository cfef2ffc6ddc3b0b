import FHIR

/// A CDS Hooks request is a small JSON envelope around large FHIR resources (`prefetch`,
/// `context.draftOrders`). This reads the envelope's objects as byte ranges, so each FHIR resource
/// is read once, straight from the request body, by the project's strict FHIR reader (never
/// parsed into a dictionary and written out again). Values it only skips are checked for balance
/// and string syntax; the values that are used are read strictly (`string`, `resource`).
struct JSONSlices {
    let bytes: UnsafeBufferPointer<UInt8>

    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        let message: String
        var description: String { "\(message) at byte \(offset)" }
    }

    /// Objects already read by `members(_:expanding:)`, by where they start.
    final class Memo {
        var objects: [Int: (members: [(key: String, value: Range<Int>)], end: Int)] = [:]
    }
    let memo = Memo()

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The members of the object at `range`, in order: each key and the range of its value
    /// (whitespace trimmed). Refuses a duplicate key and anything but an object.
    /// `expanding`: keys whose object values are read in the same pass and kept, so asking for
    /// their members later scans nothing again (issue 20: the prefetch, nearly all of a request,
    /// was scanned once to find its end and once more for its members).
    func members(_ range: Range<Int>, expanding: Set<String> = []) throws(Malformed) -> [(key: String, value: Range<Int>)] {
        let (out, end) = try object(at: skipSpace(range.lowerBound, range.upperBound), limit: range.upperBound, expanding: expanding, depth: 0)
        guard skipSpace(end, range.upperBound) == range.upperBound else { throw Malformed(offset: end, message: "content after the object") }
        return out
    }

    /// The object starting at `start`: its members, and where it ends (one past its `}`).
    /// `depth`: the objects it is inside of that count towards the nesting limit (an expanded
    /// object's own brace counts, as when it was skipped whole).
    func object(at start: Int, limit: Int, expanding: Set<String>, depth: Int) throws(Malformed) -> (members: [(key: String, value: Range<Int>)], end: Int) {
        if let known = memo.objects[start], known.end <= limit { return known }
        var pos = start
        guard pos < limit, bytes[pos] == UInt8(ascii: "{") else { throw Malformed(offset: pos, message: "expected an object") }
        pos = skipSpace(pos + 1, limit)
        var out: [(key: String, value: Range<Int>)] = []
        var seen = Set<String>()
        if pos < limit, bytes[pos] == UInt8(ascii: "}") { return (out, pos + 1) }
        while true {
            guard pos < limit, bytes[pos] == UInt8(ascii: "\"") else { throw Malformed(offset: pos, message: "expected a key") }
            let keyEnd = try skipString(pos, limit)
            let key = try string(pos..<keyEnd)
            guard seen.insert(key).inserted else { throw Malformed(offset: pos, message: "duplicate key \"\(key)\"") }
            pos = skipSpace(keyEnd, limit)
            guard pos < limit, bytes[pos] == UInt8(ascii: ":") else { throw Malformed(offset: pos, message: "expected ':'") }
            let valueStart = skipSpace(pos + 1, limit)
            let valueEnd: Int
            if expanding.contains(key), valueStart < limit, bytes[valueStart] == UInt8(ascii: "{") {
                let inner = try object(at: valueStart, limit: limit, expanding: [], depth: depth + 1)
                memo.objects[valueStart] = inner
                valueEnd = inner.end
            } else {
                valueEnd = try skipValue(valueStart, limit, outer: depth)
            }
            out.append((key, valueStart..<valueEnd))
            pos = skipSpace(valueEnd, limit)
            guard pos < limit else { throw Malformed(offset: pos, message: "unterminated object") }
            if bytes[pos] == UInt8(ascii: "}") { return (out, pos + 1) }
            guard bytes[pos] == UInt8(ascii: ",") else { throw Malformed(offset: pos, message: "expected ',' or '}'") }
            pos = skipSpace(pos + 1, limit)
        }
    }

    /// The elements of the array at `range`, as ranges.
    func elements(_ range: Range<Int>) throws(Malformed) -> [Range<Int>] {
        var pos = skipSpace(range.lowerBound, range.upperBound)
        guard pos < range.upperBound, bytes[pos] == UInt8(ascii: "[") else { throw Malformed(offset: pos, message: "expected an array") }
        pos = skipSpace(pos + 1, range.upperBound)
        var out: [Range<Int>] = []
        if pos < range.upperBound, bytes[pos] == UInt8(ascii: "]") { return out }
        while true {
            let end = try skipValue(pos, range.upperBound)
            out.append(pos..<end)
            pos = skipSpace(end, range.upperBound)
            guard pos < range.upperBound else { throw Malformed(offset: pos, message: "unterminated array") }
            if bytes[pos] == UInt8(ascii: "]") { return out }
            guard bytes[pos] == UInt8(ascii: ",") else { throw Malformed(offset: pos, message: "expected ',' or ']'") }
            pos = skipSpace(pos + 1, range.upperBound)
        }
    }

    func isNull(_ range: Range<Int>) -> Bool {
        range.count == 4 && bytes[range.lowerBound] == UInt8(ascii: "n")
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

    /// A FHIR resource at `range`, read strictly.
    func resource(_ range: Range<Int>) throws(FHIRFormatError) -> Element {
        try JSONReader.read(UnsafeBufferPointer(rebasing: bytes[range]))
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
        guard let base = bytes.baseAddress else { throw Malformed(offset: from, message: "unterminated string") }
        while i < end {
            // Eight bytes at a time while none is a quote, a backslash or a control character
            // (issue 20: the envelope's scan was a twentieth of a patient-view request).
            while i + 8 <= end {
                let flags = Self.specialBytes(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self).littleEndian)
                if flags != 0 { i += flags.trailingZeroBitCount / 8; break }
                i += 8
            }
            guard i < end else { break }
            switch bytes[i] {
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\\"): i += 2
            case 0..<0x20: throw Malformed(offset: i, message: "control character in a string")
            default: i += 1
            }
        }
        throw Malformed(offset: from, message: "unterminated string")
    }

    /// A high bit in each byte of `word` (little-endian) that may be a quote, a backslash or below
    /// 0x20: exact for the lowest such byte (a borrow only flags bytes above a true one), which
    /// `skipString` then reads itself.
    @inline(__always) static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func below(_ x: UInt64, _ n: UInt64) -> UInt64 { (x &- n &* ones) & ~x & high }
        return below(word ^ (0x22 &* ones), 1) | below(word ^ (0x5C &* ones), 1) | below(word, 0x20)
    }

    /// The end of the value starting at `from`, inside `outer` objects that count towards the
    /// nesting limit.
    func skipValue(_ from: Int, _ end: Int, outer: Int = 0) throws(Malformed) -> Int {
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
                    guard stack.count + outer <= JSONReader.maxDepth else { throw Malformed(offset: i, message: "nested too deeply") }
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
