import FHIR
import RPLGuideline
import Digests

/// interface.md v2/v3, Identity: what an input resource is, whatever message it arrives in and
/// however it is spelled. A person by her national identifier (BSN) wherever it stands, else her
/// identifier in the site's preferred systems; any other resource by its business identifier, else
/// its server id, else a hash of its decisive fields **normalised** (v3, "Identity from meaning"):
/// codes as the Profiles concepts they mean (displays never count), quantities by exact value and
/// canonical unit, instants in UTC, references as their target's identity. A `urn:uuid` full URL is
/// local to one message (engines mint new ones per send) and is never identity. Made on demand
/// and kept: most input resources never need one.
/// One per apply (the fact sources' warnings and the emitter's ids share it).
public final class Identities {
    let input: InputBundle
    let terminology: Terminology
    let preferredSystems: [String]
    private var known: [Int: String] = [:]
    /// Identifiers that claim to be a BSN but fail the 11-test: ignored, and said (index, value).
    private(set) var invalidBSNs: [(Int, String)] = []
    /// People with two different valid BSNs (one is wrong: the smallest is used, and said).
    private(set) var conflictingBSNs: [Int] = []

    init(_ input: InputBundle, terminology: Terminology, preferredSystems: [String] = []) {
        self.input = input
        self.terminology = terminology
        self.preferredSystems = preferredSystems
    }

    /// The order of resources by content, never by place in the Bundle: identity, then name (two
    /// copies of one meaning under different ids). Every "first of equals" goes by it.
    func order(_ index: Int) -> ContentOrder { ContentOrder(identity: of(index), name: name(index)) }

    /// `a` before `b` by content order: for the tie of another key, compared first, so that a
    /// resource's identity (a hash of its content) is made only for records that tie (a tuple
    /// with `order` in it makes both for every comparison: a Synthea record's BMI history cost 8%
    /// of its run).
    func tieBreak(_ a: Int, _ b: Int) -> Bool { order(a) < order(b) }

    struct ContentOrder: Comparable {
        let identity: String
        let name: String
        static func < (a: ContentOrder, b: ContentOrder) -> Bool { (a.identity, a.name) < (b.identity, b.name) }
    }

    func of(_ index: Int) -> String {
        if let id = known[index] { return id }
        known[index] = "…"  // a reference cycle ends here
        let id = make(index)
        known[index] = id
        return id
    }

    static let bsnSystem = "http://fhir.nl/fhir/NamingSystem/bsn"

    /// A business identifier as `system|value`, the system canonical (an OID as its URI), both
    /// trimmed; nil without both, or for one no longer in use (`use` old, an ended period).
    func identifierKey(_ e: Element) -> String? { Identities.identifierKey(e) }

    public static func identifierKey(_ e: Element) -> String? {
        guard let system = e.string("system").map(Terminology.canonicalSystem), let raw = e.string("value") else { return nil }
        let value = Terminology.trimmed(raw)
        guard !system.isEmpty, !value.isEmpty, e.string("use") != "old", e.child("period")?.string("end") == nil else { return nil }
        return system + "|" + value
    }

    /// Whether a person has a business identifier (an identifier with a system and a value):
    /// interface.md v3, only such a person may be ordered for. A BSN that fails the 11-test
    /// identifies nobody.
    static func hasBusinessIdentifier(_ p: Element) -> Bool {
        p.children("identifier").contains { i in
            guard let system = i.string("system"), let value = i.string("value") else { return false }
            return Terminology.canonicalSystem(system) != bsnSystem || passesElevenTest(Terminology.trimmed(value))
        }
    }

    /// Whether a BSN passes the 11-test (nine digits; 9·d1 + 8·d2 + … + 2·d8 − d9 divisible by 11).
    static func passesElevenTest(_ value: String) -> Bool {
        let digits = value.utf8.map { Int($0) - 48 }
        guard digits.count == 9, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        var sum = 0
        for i in 0..<8 { sum += (9 - i) * digits[i] }
        sum -= digits[8]
        return sum % 11 == 0 && digits.contains { $0 != 0 }
    }

    /// A person's identity (interface.md v3): her BSN wherever it stands; else her identifier in
    /// the first of the site's `patientIdentifierSystems` she has; else the smallest of her
    /// current identifiers (sorted, so their order in the record does not matter); never "the
    /// first one".
    func personIdentifier(_ index: Int) -> String? {
        let r = input.items[index].resource
        var keys: [String] = []
        var bsns: Set<String> = []
        for e in r.children("identifier") {
            guard let key = identifierKey(e) else { continue }
            if key.hasPrefix(Self.bsnSystem + "|") {
                let value = String(key.dropFirst(Self.bsnSystem.count + 1))
                if Self.passesElevenTest(value) { bsns.insert(key); continue }
                if !invalidBSNs.contains(where: { $0.0 == index && $0.1 == value }) { invalidBSNs.append((index, value)) }
                continue
            }
            keys.append(key)
        }
        // Two valid BSNs: the smallest (never the first by position), and said.
        if bsns.count > 1, !conflictingBSNs.contains(index) { conflictingBSNs.append(index) }
        if let bsn = bsns.min() { return bsn }
        for system in preferredSystems {
            if let key = keys.filter({ $0.hasPrefix(system + "|") }).min() { return key }
        }
        return keys.min()
    }

    private func make(_ index: Int) -> String {
        let item = input.items[index]
        if let container = item.container { return of(container) + "#" + (item.id ?? "?") }
        let r = item.resource
        if item.type == "Patient" || item.type == "RelatedPerson" {
            if let key = personIdentifier(index) { return item.type + "?identifier=" + key }
        } else if let key = r.children("identifier").compactMap(identifierKey).min() {
            // One accession number on a lab's TSH and free T4: two resources, told apart by code.
            let shared = input.sharedIdentifiers.contains { $0.0 == index || $0.1 == index }
            return item.type + "?identifier=" + key + (shared ? "&code=" + conceptKey(r.child("code") ?? .complex("code", [])) : "")
        }
        if let server = input.serverId(index) { return server }
        var text = item.type
        let type = TypeTable.r4.type(item.type)
        for child in Identities.inDefinitionOrder(r.children.filter { Identities.decisive.contains($0.name) }, of: type) {
            canonical(child, type: Identities.type(of: child, in: type), from: index, into: &text)
        }
        return item.type + "#" + SHA1.hex(Array(text.utf8))
    }

    /// The fields that say what a record is about: what it is (codes), whose (subject), when, and
    /// its value (with its interpretation and specimen).
    static let decisive: Set<String> = [
        "code", "medicationCodeableConcept", "medicationReference", "vaccineCode", "relationship", "condition",
        "subject", "patient", "individual",
        "effectiveDateTime", "effectivePeriod", "effectiveInstant", "onsetDateTime", "onsetPeriod", "onsetAge", "onsetString",
        "recordedDate", "authoredOn", "performedDateTime", "performedPeriod", "occurrenceDateTime", "occurrencePeriod",
        "dateAsserted", "birthDate", "gender", "name",
        "valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger", "valueDateTime", "valuePeriod",
        "valueRange", "valueRatio", "component", "interpretation", "specimen",
    ]

    /// Elements that hold a date or an instant.
    private static func isTemporal(_ v: String) -> Bool {
        let u = v.utf8
        return u.count >= 4 && u.prefix(4).allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (u.count == 4 || u.dropFirst(4).first == UInt8(ascii: "-"))
    }

    /// Children in their R4 definition order, names the definition does not know after them by
    /// name; siblings of one name keep their order. The order of JSON keys is spelling, not
    /// meaning (interface.md v3, found by a new user's trial: the same Condition with `subject`
    /// before `onsetDateTime` had another identity, and so its orders were sent again).
    static func inDefinitionOrder(_ children: [Element], of type: TypeTable.TypeInfo?) -> [Element] {
        children.enumerated().sorted { a, b in
            let ia = type?.element(a.element.name)?.index ?? Int.max, ib = type?.element(b.element.name)?.index ?? Int.max
            if ia != ib { return ia < ib }
            if ia == Int.max && a.element.name != b.element.name { return a.element.name < b.element.name }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// The complex type of a child of an element of type `parent`.
    static func type(of child: Element, in parent: TypeTable.TypeInfo?) -> TypeTable.TypeInfo? {
        parent?.element(child.name).flatMap { TypeTable.r4.type(number: $0.typeNumber) }
    }

    private func canonical(_ e: Element, type: TypeTable.TypeInfo?, from: Int, into text: inout String) {
        // An instant is a dateTime with seconds and a zone: `effectiveInstant` and
        // `effectiveDateTime` of one instant are one time (found by a new user's trial: the same
        // result sent with the other gave its order a new id, so a resend doubled it).
        text += "|" + (e.name == "effectiveInstant" ? "effectiveDateTime" : e.name)
        if e.name == "reference", let v = e.value {
            // A reference is the identity of what it points to; an unresolved urn:uuid is no name.
            if let target = input.resolve(v, from: from) { text += "=" + of(target) } else if !v.hasPrefix("urn:") { text += "=" + v }
            return
        }
        // A CodeableConcept (or a bare Coding): what it means, not how it is spelled.
        // (A Quantity also has a system and a code: its value tells it apart.)
        if e.value == nil, e.child("value") == nil, e.child("coding") != nil || (e.child("system") != nil && e.child("code") != nil) || (e.child("text") != nil && e.children.allSatisfy({ ["text", "id", "extension"].contains($0.name) })) {
            text += "=" + conceptKey(e)
            return
        }
        // A Quantity: its exact value in a canonical unit, with its comparator.
        if e.value == nil, let value = e.string("value"), e.child("unit") != nil || e.child("code") != nil || e.child("comparator") != nil {
            text += "=" + (e.string("comparator") ?? "") + Identities.decimal(value) + " " + Identities.unit(e)
            return
        }
        if let v = e.value { text += "=" + (Identities.isTemporal(v) ? Identities.instant(v) : v) }
        if !e.children.isEmpty {
            text += "{"
            for c in Identities.inDefinitionOrder(e.children.filter { $0.name != "id" && $0.name != "extension" && $0.name != "display" }, of: type) {
                canonical(c, type: Identities.type(of: c, in: type), from: from, into: &text)
            }
            text += "}"
        }
    }

    /// interface.md v3: the Profiles concepts its codings mean; only when none is recognised, the
    /// sorted `system|code` of all its codings; with no coding at all, its text folded (case,
    /// spaces). Never empty; displays never count.
    func conceptKey(_ e: Element) -> String {
        // Recognised: a code a ValueSet lists (as that concept), or one from a standard system.
        var recognised: Set<String> = []
        let keys = terminology.codes(of: e)
        for key in keys {
            let concepts = terminology.concepts(of: key)
            if !concepts.isEmpty { recognised.formUnion(concepts.map { "concept:" + $0 }) }
            else if Terminology.standardSystems.contains(key.system) { recognised.insert(key.system + "|" + key.code) }
        }
        if !recognised.isEmpty { return recognised.sorted().joined(separator: ",") }
        let codes = keys.map { $0.system + "|" + $0.code }
        if !codes.isEmpty { return "codes:" + Set(codes).sorted().joined(separator: ",") }
        if let t = e.string("text") {
            let folded = Terminology.normalise(t).split(separator: " ").joined(separator: " ")
            if !folded.isEmpty { return "text:" + folded }
        }
        return "none"
    }

    /// A decimal's exact value as one spelling: `4.60`, `+4.6`, `04.6`, `4.6E0` and `46e-1` are
    /// `4.6`; `-0` is `0`.
    static func decimal(_ s: String) -> String {
        var t = Substring(Terminology.trimmed(s))
        var negative = false
        if t.hasPrefix("+") { t = t.dropFirst() } else if t.hasPrefix("-") { negative = true; t = t.dropFirst() }
        // An exponent moves the point (JSON numbers may have one: found by a new user's trial).
        var exponent = 0
        if let e = t.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(t[t.index(after: e)...].drop { $0 == "+" }), abs(x) <= 400 else { return s }
            exponent = x
            t = t[..<e]
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), t.filter({ $0 == "." }).count <= 1 else { return s }
        var whole = t.split(separator: ".", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var fraction = t.contains(".") ? String(t.split(separator: ".", omittingEmptySubsequences: false)[1]) : ""
        if exponent > 0 {
            let moved = min(exponent, fraction.count)
            whole += fraction.prefix(moved) + String(repeating: "0", count: exponent - moved)
            fraction = String(fraction.dropFirst(moved))
        } else if exponent < 0 {
            let moved = min(-exponent, whole.count)
            fraction = String(repeating: "0", count: -exponent - moved) + whole.suffix(moved) + fraction
            whole = String(whole.dropLast(moved))
        }
        while whole.count > 1, whole.hasPrefix("0") { whole.removeFirst() }
        if whole.isEmpty { whole = "0" }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let value = whole + (fraction.isEmpty ? "" : "." + fraction)
        return (negative && value != "0" ? "-" : "") + value
    }

    /// The unit as UCUM writes it where the thyroid tables know it (mIU/L, µIU/mL and mU/L are one
    /// unit), else as written (lower case, µ as u).
    static func unit(_ q: Element) -> String {
        let written = (q.string("code") ?? q.string("unit") ?? "").replacingMicro().lowercased()
        if Units.tsh[written] == 1 { return "mu/l" }
        if Units.freeT4[written] == 1 { return "pmol/l" }
        if Units.tsh[written] == 1000 { return "mu/ml" }
        return written
    }

    /// A date at its own precision; a dateTime with a time as its UTC instant
    /// (`T10:00:00+01:00` = `T09:00:00Z`).
    static func instant(_ s: String) -> String {
        let u = Array(s.utf8)
        guard u.count >= 17, u[10] == UInt8(ascii: "T") else { return s }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16) else { return s }
        var end = 16
        while end < u.count, u[end] != UInt8(ascii: "Z"), u[end] != UInt8(ascii: "+"), u[end] != UInt8(ascii: "-") { end += 1 }
        // `:00.000` is `:00`: trailing zeros of a fraction of a second are spelling.
        var secondsEnd = end
        if let point = u[16..<end].firstIndex(of: UInt8(ascii: ".")) {
            while secondsEnd > point + 1, u[secondsEnd - 1] == UInt8(ascii: "0") { secondsEnd -= 1 }
            if secondsEnd == point + 1 { secondsEnd = point }
        }
        let seconds = String(decoding: u[16..<secondsEnd], as: UTF8.self)
        let zone = String(decoding: u[end...], as: UTF8.self)
        var offset = 0
        if zone != "Z" {
            let z = Array(zone.utf8)
            guard z.count == 6, let zh = Int(String(decoding: z[1..<3], as: UTF8.self)), let zm = Int(String(decoding: z[4..<6], as: UTF8.self)) else { return s }
            offset = (z[0] == UInt8(ascii: "-") ? -1 : 1) * (zh * 60 + zm)
        }
        guard let date = CalendarDate(year: y, month: mo, day: d) else { return s }
        var minutes = h * 60 + mi - offset
        var day = date
        while minutes < 0 { minutes += 1440; day = day.adding(days: -1) }
        while minutes >= 1440 { minutes -= 1440; day = day.adding(days: 1) }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(day)T\(two(minutes / 60)):\(two(minutes % 60))\(seconds)Z"
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
