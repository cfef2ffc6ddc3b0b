import CJSONSkip
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which resources of some types a JSON reader need not build whole (issue 20): a Synthea
/// record's Observations are a quarter of its bytes, and one in seven carries a code the caller
/// reads. Before building a screened resource the reader passes over it once with the C pass
/// that checks what it does not build (`rpl_json_screen_resource`), which screens it on the way:
/// the resource is built whole if anything in it may matter to the caller, if it holds
/// resources (`contained`) or business identifiers, or if the pass cannot vouch for it; else it is
/// read as a resource of a type not read is (checked for syntax only, its FHIR types not checked),
/// keeping its `id` and `meta`: a reference still reaches it. (Copies of a skeleton are the
/// caller's to notice: `Adapter.read` reads such an input again in full.)
///
/// What may matter, decided without building (never less than the caller could match, often
/// more: a false alarm only costs a build):
/// - a `code` string whose value, trimmed, upper case, without dots and spaces, is one of the
///   caller's codes, or starts with one of its categories (ICD-10 and ICPC: `F10.1` holds
///   `F10.10`), or whose first three characters fall in one of its blocks (`Q00-Q07`), or
///   shorter than three when there are blocks (compared with a block's ends as a string);
/// - a `text`, `display` or `valueString` string holding one of the caller's keywords as whole
///   words (the first word of each, in lower case; a keyword ending in `*` a stem);
/// - such a string with an escape or a byte beyond ASCII (only a reading can tell what it says),
///   or a resource the C pass cannot vouch for (an error, a key with an escape, a long object).
/// Codes and words are compared by a 64-bit hash (FNV-1a): two strings with one hash only build
/// more.
public final class ResourceScreen: @unchecked Sendable {
    // Unchecked: the tables are written once, in `init`, and only read after (by any thread).

    /// The resource types screened.
    public let types: Set<String>
    /// The C pass's view of the tables below.
    let table: UnsafeMutablePointer<rpl_screen>
    private let hashes: UnsafeMutableBufferPointer<UInt64>
    private let blockPairs: UnsafeMutableBufferPointer<UInt32>

    /// `codes`: as the caller compares them (system ignored); `categories`: the hierarchical
    /// codes whose descendants it reads; `blocks`: `first`…`last` three-character categories;
    /// `keywords`: as the caller matches them on lower-case text (`*` at the end: a stem).
    public init(types: Set<String>, codes: some Sequence<String>, categories: some Sequence<String>,
                blocks: some Sequence<(first: String, last: String)>, keywords: some Sequence<String>) {
        self.types = types
        // Hashed from each string's own bytes (no arrays made: this runs at the first reading of a
        // cold start).
        let codeHashes = codes.map { Self.codeHash($0).hash }
        var categoryHashes: [UInt64] = [], categoryLengths: UInt64 = 0
        for category in categories {
            let (hash, length) = Self.codeHash(category)
            guard length >= 1 && length < 64 else { continue }
            categoryHashes.append(hash)
            categoryLengths |= 1 << UInt64(length)
        }
        var pairs: [UInt32] = []
        for b in blocks {
            guard let f = Self.packed(b.first), let l = Self.packed(b.last) else { continue }
            pairs += [f, l]
        }
        var words: [UInt64] = [], stems: [UInt64] = [], stemLengths: UInt64 = 0, anyText = false
        for keyword in keywords {
            // The first word: a run of word bytes from the start, in lower case.
            var hash = Self.fnvBasis, n = 0, ascii = true
            var after: UInt8?
            var rest = 0
            for b in keyword.utf8 {
                if after != nil { rest += 1; continue }
                let l = Self.lower(b)
                if Self.isWordByte(l) {
                    hash = (hash ^ UInt64(l)) &* Self.fnvPrime
                    n += 1
                    if l >= 0x80 { ascii = false }
                } else {
                    after = l
                }
            }
            if n == 0 { if after != nil { anyText = true }; continue }
            // A first word beyond ASCII only matches text beyond ASCII: always built.
            if !ascii { continue }
            if after == UInt8(ascii: "*") && rest == 0 {
                if n < 64 { stems.append(hash); stemLengths |= 1 << UInt64(n) } else { anyText = true }
            } else {
                words.append(hash)
            }
        }
        // Four open-addressed tables, one allocation: each at least twice its count, a power of two.
        let sets = [codeHashes, categoryHashes, words, stems]
        let sizes = sets.map { hashes -> Int in var size = 4; while size < 2 * hashes.count + 1 { size <<= 1 }; return size }
        hashes = .allocate(capacity: sizes.reduce(0, +))
        hashes.initialize(repeating: 0)
        var starts: [Int] = []
        var offset = 0
        for (set, size) in zip(sets, sizes) {
            starts.append(offset)
            for hash in set { Self.insert(hash, into: UnsafeMutableBufferPointer(rebasing: hashes[offset..<offset + size])) }
            offset += size
        }
        blockPairs = .allocate(capacity: max(pairs.count, 1))
        _ = blockPairs.initialize(from: pairs)
        let base = hashes.baseAddress!
        table = .allocate(capacity: 1)
        table.initialize(to: rpl_screen(codes: base + starts[0], codes_mask: sizes[0] - 1,
                                        categories: base + starts[1], categories_mask: sizes[1] - 1, category_lengths: categoryLengths,
                                        blocks: blockPairs.baseAddress, block_count: pairs.count / 2,
                                        words: base + starts[2], words_mask: sizes[2] - 1,
                                        stems: base + starts[3], stems_mask: sizes[3] - 1, stem_lengths: stemLengths,
                                        any_text: anyText ? 1 : 0))
    }

    deinit {
        table.deallocate()
        hashes.deallocate()
        blockPairs.deallocate()
    }

    /// The C pass's probe (`in_set`): a hash of 0 is stored as 1.
    static func insert(_ hash: UInt64, into table: UnsafeMutableBufferPointer<UInt64>) {
        let h = hash == 0 ? 1 : hash
        let mask = table.count - 1
        var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while table[slot] != 0 && table[slot] != h { slot = (slot + 1) & mask }
        table[slot] = h
    }

    /// Whether one string may matter as a `code` or as a text (for tests).
    public func matters(code: String) -> Bool { matters(code, kind: 1) }
    public func matters(text: String) -> Bool { matters(text, kind: 2) }
    func matters(_ s: String, kind: Int32) -> Bool {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { b in rpl_json_screen_string(table, kind, b.baseAddress, b.count) != 0 }
    }

    /// The C pass over the resource object opening at `start` (the reader `depth` deep there):
    /// where it ends and where its skeleton's members are, if it cannot matter; else nil.
    func skeleton(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, depth: Int) -> (end: Int, kept: [Int])? {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Int(RPL_JSON_MAX_KEPT)) { kept -> (end: Int, kept: [Int])? in
            var count: Int32 = 0
            let end = rpl_json_screen_resource(bytes.baseAddress, bytes.count, start, Int32(depth), Int32(JSONReader.maxDepth),
                                               table, kept.baseAddress, &count)
            guard end >= 0 else { return nil }
            return (end, (0..<Int(count)).map { Int(kept[$0]) })
        }
    }

    // MARK: normal forms

    static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01b3

    /// A code's hash in its normal form (upper case, without dots and blanks), and its length there.
    static func codeHash(_ code: String) -> (hash: UInt64, length: Int) {
        var hash = fnvBasis, length = 0
        for b in code.utf8 {
            if b == UInt8(ascii: ".") || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { continue }
            hash = (hash ^ UInt64(upper(b))) &* fnvPrime
            length += 1
        }
        return (hash, length)
    }

    /// A block's end (`Q00`): its first three bytes in the normal form, packed big-endian.
    static func packed(_ code: String) -> UInt32? {
        var value: UInt32 = 0, length = 0
        for b in code.utf8 where !(b == UInt8(ascii: ".") || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D) {
            value = value << 8 | UInt32(upper(b))
            length += 1
            if length == 3 { return value }
        }
        return nil
    }

    static func upper(_ b: UInt8) -> UInt8 { b >= 0x61 && b <= 0x7A ? b & ~0x20 : b }
    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
    /// As `Terminology.containsWord` reads a word.
    static func isWordByte(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 }
}
