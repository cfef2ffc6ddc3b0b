/// Element trees compiled into a program, read at start-up without parsing JSON (issue 20: the
/// built-in Profiles were most of a cold start). Written by `scripts/embed-profiles.py`, which
/// maps JSON to nodes as `JSONReader` does; a test reads the same documents with `JSONReader` and
/// compares the trees.
///
/// Two texts: `strings`, every distinct name and value, one a line (none is empty or holds a line
/// break); `nodes`, numbers in base-32 digits, lowest first (`'0'+d` ends a number, `'P'+d` goes
/// on; line breaks are skipped). The numbers: the document count, then per document its name
/// (a string index) and its tree: per node in document order its name (index), its value
/// (index + 1, 0 for none), its flags (value kind | resource << 2 | in an array << 3) and its
/// child count. The archive is the program's own text: a malformed one is a build error, so it
/// traps instead of throwing.
public enum ElementArchive {
    public static func decode(strings: StaticString, nodes: StaticString) -> [(name: String, element: Element)] {
        let table = strings.withUTF8Buffer { buffer -> [String] in
            var out: [String] = []
            var start = 0
            for i in 0...buffer.count where i == buffer.count || buffer[i] == 0x0A {
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self))
                start = i + 1
            }
            return out
        }
        return nodes.withUTF8Buffer { buffer in
            var reader = Reader(bytes: buffer, strings: table)
            let count = reader.number()
            var out: [(name: String, element: Element)] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                let name = table[reader.number()]
                out.append((name, reader.node()))
            }
            precondition(reader.pos == buffer.count, "element archive: content after the last document")
            return out
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let strings: [String]
        var pos = 0

        mutating func number() -> Int {
            var value = 0
            var shift = 0
            while true {
                precondition(pos < bytes.count, "element archive: truncated")
                let b = bytes[pos]
                pos += 1
                switch b {
                case 0x0A: continue
                case 0x30..<0x50: return value | Int(b - 0x30) << shift
                case 0x50..<0x70: value |= Int(b - 0x50) << shift; shift += 5
                default: preconditionFailure("element archive: byte \(b)")
                }
            }
        }

        mutating func node() -> Element {
            let name = strings[number()]
            let value = number()
            let flags = number()
            let count = number()
            // Reserved, then each child appended as made: no copy, no growth (reserving is the
            // specialised path; `Array(unsafeUninitializedCapacity:)` looks up the array's type at
            // run time on every call).
            var children: [Element] = []
            if count > 0 {
                children.reserveCapacity(count)
                for _ in 0..<count { children.append(node()) }
            }
            guard let kind = Element.ValueKind(rawValue: UInt8(flags & 3)) else { preconditionFailure("element archive: flags \(flags)") }
            return Element(name: name, value: value == 0 ? nil : strings[value - 1], valueKind: kind,
                           isResource: flags & 4 != 0, wasArray: flags & 8 != 0, children: children)
        }
    }
}
