import FHIR

/// interface.md v2, Identity: what an input resource is, whatever message it arrives in. Its
/// business identifier, else its server id, else a hash of its decisive fields (type, code,
/// subject, dates, value; not its status, meta, narrative or anything a later edit may change),
/// with every reference replaced by the identity of what it points to. A `urn:uuid` full URL is
/// local to one message (engines mint new ones per send) and is never identity. Made on demand and
/// kept: most input resources never need one.
/// One per apply (the fact sources' warnings and the emitter's ids share it).
final class Identities {
    let input: InputBundle
    private var known: [Int: String] = [:]

    init(_ input: InputBundle) { self.input = input }

    func of(_ index: Int) -> String {
        if let id = known[index] { return id }
        known[index] = "…"  // a reference cycle ends here
        let id = make(index)
        known[index] = id
        return id
    }

    private func make(_ index: Int) -> String {
        let item = input.items[index]
        if let container = item.container { return of(container) + "#" + (item.id ?? "?") }
        let r = item.resource
        if let identifier = r.children("identifier").first(where: { $0.string("system") != nil && $0.string("value") != nil }) {
            return item.type + "?identifier=" + identifier.string("system")! + "|" + identifier.string("value")!
        }
        if let server = input.serverId(index) { return server }
        var text = item.type
        for child in r.children where Identities.decisive.contains(child.name) { canonical(child, from: index, into: &text) }
        return item.type + "#" + SHA1.hex(Array(text.utf8))
    }

    /// The fields that say what a record is about: what it is (codes), whose (subject), when, and
    /// its value.
    static let decisive: Set<String> = [
        "code", "medicationCodeableConcept", "medicationReference", "vaccineCode", "relationship", "condition",
        "subject", "patient", "individual",
        "effectiveDateTime", "effectivePeriod", "effectiveInstant", "onsetDateTime", "onsetPeriod", "onsetAge", "onsetString",
        "recordedDate", "authoredOn", "performedDateTime", "performedPeriod", "occurrenceDateTime", "occurrencePeriod",
        "dateAsserted", "birthDate", "gender", "name",
        "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger", "valueDateTime", "valuePeriod",
        "valueRange", "valueRatio", "component",
    ]

    private func canonical(_ e: Element, from: Int, into text: inout String) {
        text += "|" + e.name
        if e.name == "reference", let v = e.value {
            // A reference is the identity of what it points to; an unresolved urn:uuid is no name.
            if let target = input.resolve(v, from: from) { text += "=" + of(target) } else if !v.hasPrefix("urn:") { text += "=" + v }
            return
        }
        if let v = e.value { text += "=" + v }
        if !e.children.isEmpty {
            text += "{"
            for c in e.children where c.name != "id" && c.name != "extension" { canonical(c, from: from, into: &text) }
            text += "}"
        }
    }

    /// A stable short name for a resource in text (warnings, notes): `Type/id`, its http full URL,
    /// else the type and the start of its identity's hash (never a `urn:uuid`, never its place in
    /// the Bundle).
    func name(_ index: Int) -> String {
        let item = input.items[index]
        if let container = item.container { return name(container) + "#" + (item.id ?? "?") }
        if let id = item.id { return item.type + "/" + id }
        if let url = item.fullUrl, url.hasPrefix("http") { return url }
        let identity = of(index)
        if let hash = identity.split(separator: "#").last, identity.hasPrefix(item.type + "#") { return item.type + " #" + hash.prefix(8) }
        return identity
    }
}

extension SHA1 {
    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        for b in hash(bytes) {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }
}

/// Digests for names (not for security).
public enum Digest {
    /// SHA-1 in hex: `deliver` keys its outbox with it.
    public static func sha1Hex(_ bytes: [UInt8]) -> String { SHA1.hex(bytes) }

    /// A 128-bit digest in hex, eight bytes at a time (about a byte per instruction: an input that
    /// names itself nowhere is named by the digest of its bytes, which may be megabytes; SHA-1
    /// cost a third of `apply` on a 2.6 MB Bundle). Two multiply-rotate lanes, murmur3's finaliser;
    /// little-endian loads, so the same bytes give the same name on every platform we build for.
    public static func fast128(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var h1: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var h2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        let words = bytes.count / 8
        if let base = bytes.baseAddress, words > 0 {
            let raw = UnsafeRawPointer(base)
            for i in 0..<words {
                let k = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                h1 = ((h1 ^ k) &* 0x8765_4321_0FED_CBA9).rotateLeft(31)
                h2 = ((h2 &+ k) &* 0x9E37_79B9_7F4A_7C15).rotateLeft(27) ^ h1
            }
        }
        var tail: UInt64 = 0
        for i in (words * 8)..<bytes.count { tail |= UInt64(bytes[i]) << (UInt64(i - words * 8) * 8) }
        h1 ^= tail &* 0xFF51_AFD7_ED55_8CCD
        h2 ^= h1
        func fmix(_ k: UInt64) -> UInt64 {
            var k = k
            k ^= k >> 33; k = k &* 0xFF51_AFD7_ED55_8CCD
            k ^= k >> 33; k = k &* 0xC4CE_B9FE_1A85_EC53
            k ^= k >> 33
            return k
        }
        let a = fmix(h1 &+ h2), b = fmix(h2 &+ a)
        let hexA = String(a, radix: 16), hexB = String(b, radix: 16)
        return String(repeating: "0", count: 16 - hexA.count) + hexA + String(repeating: "0", count: 16 - hexB.count) + hexB
    }
}

extension UInt64 {
    @inline(__always) func rotateLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
