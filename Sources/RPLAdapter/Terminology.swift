import FHIR

/// A code in its system.
public struct CodeKey: Sendable, Hashable {
    public let system: String
    public let code: String
    public init(system: String, code: String) {
        self.system = system
        self.code = code
    }

    /// Hashed by the code alone: equal keys have equal codes, few codes recur across systems, and
    /// the system URIs are most of the bytes SipHash would read (issue 20: fact sources look codes
    /// up in the ValueSets all the time).
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// Which codes mean what: the ValueSets of Profiles/ (expanded from `compose.include.concept`), the
/// site's ConceptMap of local codes, and text keywords where codes are unknown. Matching is on
/// system + code, never on display text, except the keyword fallback (which says so).
public struct Terminology: Sendable {
    /// The members of one ValueSet: its listed concepts, and for the hierarchical code systems
    /// (ICD-10, ICPC) the categories it includes or excludes with `filter` concept is-a.
    struct Members: Sendable {
        var codes: Set<CodeKey> = []
        var categories: Set<CodeKey> = []
        var excluded: Set<CodeKey> = []
        var excludedCategories: Set<CodeKey> = []
        /// ICD-10 blocks (`Q00-Q07`): every category from the first to the last, and below.
        var blocks: [Block] = []

        func contains(_ key: CodeKey) -> Bool {
            // An empty set is asked nothing: a lookup hashes the key first.
            if !excluded.isEmpty && excluded.contains(key) { return false }
            // SNOMED, LOINC, ATC: listed codes only (the common case, no allocation).
            if (categories.isEmpty && excludedCategories.isEmpty && blocks.isEmpty) || !Terminology.isHierarchical(key.system) {
                return codes.contains(key)
            }
            let ancestors = Terminology.categories(of: key)
            if ancestors.contains(where: excludedCategories.contains) { return false }
            if codes.contains(key) || ancestors.contains(where: categories.contains) { return true }
            guard let category = ancestors.last else { return false }
            return blocks.contains { $0.system == category.system && $0.first <= category.code && category.code <= $0.last }
        }
    }

    /// A block of ICD-10 categories, `Q00-Q07`.
    struct Block: Sendable {
        var system: String
        var first: String
        var last: String

        /// `Q00-Q07` → Q00…Q07; nil for anything else.
        init?(system: String, _ value: String) {
            let parts = value.uppercased().split(separator: "-")
            guard Terminology.hierarchicalSystems.contains(system), parts.count == 2, parts[0].count == 3, parts[1].count == 3, parts[0] <= parts[1] else { return nil }
            self.system = system
            first = String(parts[0])
            last = String(parts[1])
        }
    }

    /// Each ValueSet's members, boxed: a lookup copies one reference, not five sets (issue 20).
    private var valueSets: [String: Boxed] = [:]
    final class Boxed: Sendable {
        let members: Members
        init(_ members: Members) { self.members = members }
    }
    /// The same, by `ValueSetID.ordinal`: what the fact sources ask, without hashing the id.
    private var byOrdinal: [Boxed?] = []
    /// For each listed code, the ValueSets (by ordinal) that list it, and those that exclude it.
    private var listedIn: [CodeKey: ValueSetBits] = [:]
    private var excludedIn: [CodeKey: ValueSetBits] = [:]
    /// The ValueSets that include or exclude categories or blocks (ICD-10, ICPC).
    private var withCategories = ValueSetBits()
    /// Keywords by `ValueSetID.ordinal`.
    private var keywordsByOrdinal: [[String]] = []
    /// The Profiles' display of each code its ValueSets list: how the plan names a recognised code.
    public private(set) var displays: [CodeKey: String] = [:]
    /// Local code → the standard codes it maps to.
    private var localCodes: [CodeKey: [CodeKey]] = [:]
    /// The ConceptMaps' source systems: a code of another system is not looked up (issue 20: a
    /// record's codes are read thousands of times, and hashing a CodeKey is most of it).
    private var localSystems: [String] = []

    /// Code systems whose codes nest by prefix: `O03.4` (or `O034`) is under `O03`.
    static let hierarchicalSystems: Set<String> = [icd10, icpc]
    static let icd10 = "http://hl7.org/fhir/sid/icd-10", icpc = "http://hl7.org/fhir/sid/icpc-1-nl"

    /// Whether a system is one of `hierarchicalSystems`, by comparison (no hashing of a URI that is
    /// most often SNOMED's: issue 20).
    static func isHierarchical(_ system: String) -> Bool {
        let n = system.utf8.count
        return (n == icd10.utf8.count && system == icd10) || (n == icpc.utf8.count && system == icpc)
    }

    /// A hierarchical code and the categories above it, each written with the dot after the third
    /// character (`D68.51` → `D68.51`, `D68.5`, `D68`); for other systems, none.
    static func categories(of key: CodeKey) -> [CodeKey] {
        guard isHierarchical(key.system) else { return [] }
        let plain = Array(key.code.uppercased().utf8.filter { $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: " ") })
        guard plain.count >= 3 else { return [key] }
        var out: [CodeKey] = []
        for length in stride(from: plain.count, through: 3, by: -1) {
            var code = String(decoding: plain[0..<3], as: UTF8.self)
            if length > 3 { code += "." + String(decoding: plain[3..<length], as: UTF8.self) }
            out.append(CodeKey(system: key.system, code: code))
        }
        return out
    }

    init(resources: [String: Element]) {
        var keywords: [String: [String]] = [:]
        for (key, r) in resources {
            if r.name == "ValueSet", let id = r.string("id") {
                var members = Members()
                // One pass over compose (issue 20: every start builds these sets); an include and
                // an exclude fill different sets, so their order does not matter.
                for entry in r.child("compose")?.children ?? [] {
                    let isExclude: Bool
                    switch entry.name {
                    case "include": isExclude = false
                    case "exclude": isExclude = true
                    default: continue
                    }
                    guard let system = entry.string("system") else { continue }
                    for concept in entry.children where concept.name == "concept" {
                        guard let code = concept.string("code") else { continue }
                        if !isExclude, let d = concept.string("display") { displays[CodeKey(system: system, code: code)] = Terminology.withoutVerificationMark(d) }
                        if isExclude { members.excluded.insert(CodeKey(system: system, code: code)) }
                        else { members.codes.insert(CodeKey(system: system, code: code)) }
                    }
                    for filter in entry.children where filter.name == "filter" && filter.string("op") == "is-a" {
                        guard let value = filter.string("value") else { continue }
                        if let block = Block(system: system, value), !isExclude {
                            members.blocks.append(block)
                            continue
                        }
                        guard let category = Terminology.categories(of: CodeKey(system: system, code: value)).first else { continue }
                        if isExclude { members.excludedCategories.insert(category) } else { members.categories.insert(category) }
                    }
                }
                valueSets[id] = Boxed(members)
            } else if r.name == "ConceptMap" {
                for group in r.children("group") {
                    guard let source = group.string("source"), let target = group.string("target") else { continue }
                    for element in group.children("element") {
                        guard let code = element.string("code") else { continue }
                        for t in element.children("target") {
                            let eq = t.string("equivalence") ?? "equivalent"
                            guard ["equivalent", "equal", "wider", "subsumes", "relatedto"].contains(eq), let tc = t.string("code") else { continue }
                            localCodes[CodeKey(system: source, code: code), default: []].append(CodeKey(system: target, code: tc))
                        }
                    }
                }
            } else if key == "Parameters/rpl-recognition-keywords" {
                for p in r.children("parameter") {
                    guard let name = p.string("name") else { continue }
                    keywords[name] = p.children("part").compactMap { $0.string("valueString") }.map(Terminology.normalise)
                }
            }
        }
        localSystems = Array(Set(localCodes.keys.map(\.system))).sorted()
        byOrdinal = ValueSetID.allCases.map { valueSets[$0.rawValue] }
        keywordsByOrdinal = ValueSetID.allCases.map { keywords[$0.rawValue] ?? [] }
        if ValueSetBits.fits {
            for (ordinal, boxed) in byOrdinal.enumerated() {
                guard let m = boxed?.members else { continue }
                for key in m.codes { listedIn[key, default: ValueSetBits()][ordinal] = true }
                for key in m.excluded { excludedIn[key, default: ValueSetBits()][ordinal] = true }
                if !(m.categories.isEmpty && m.excludedCategories.isEmpty && m.blocks.isEmpty) { withCategories[ordinal] = true }
            }
        }
    }

    /// The ValueSets a code is in, all at once (`Members.contains` for each): complete unless the
    /// code is of a hierarchical system, when the ValueSets with categories or blocks are left to
    /// be asked (`hasCategories`, `matches(codes:_:)`).
    func memberships(_ key: CodeKey) -> (bits: ValueSetBits, complete: Bool) {
        var bits = listedIn[key] ?? ValueSetBits()
        if let excluded = excludedIn[key] { bits = bits.subtracting(excluded) }
        guard Terminology.isHierarchical(key.system) else { return (bits, true) }
        return (bits.subtracting(withCategories), false)
    }

    /// Whether the ValueSet of this ordinal includes or excludes categories or blocks.
    func hasCategories(_ ordinal: Int) -> Bool { withCategories[ordinal] }

    /// The keywords of a ValueSet (normalised).
    func keywords(_ valueSet: ValueSetID) -> [String] { keywordsByOrdinal[valueSet.ordinal] }

    /// Everything a code or a text is matched against, whatever the ValueSet or system, for a
    /// `ResourceScreen`: the codes listed (and excluded: a superset costs only a build), the
    /// categories and blocks of the hierarchical systems, the local codes the site's ConceptMap
    /// translates, every ValueSet's keywords.
    func screenTerms() -> (codes: [String], categories: [String], blocks: [(first: String, last: String)], keywords: [String]) {
        var codes: [String] = [], categories: [String] = [], blocks: [(first: String, last: String)] = []
        for boxed in valueSets.values {
            let m = boxed.members
            codes += m.codes.map(\.code)
            codes += m.excluded.map(\.code)
            categories += m.categories.map(\.code)
            blocks += m.blocks.map { ($0.first, $0.last) }
            // A listed code of a hierarchical system holds its subcodes only through categories;
            // its own code is a category too (conservative: it may be read as one).
            categories += m.codes.filter { Terminology.isHierarchical($0.system) }.map(\.code)
        }
        for (source, targets) in localCodes {
            codes.append(source.code)
            codes += targets.map(\.code)
        }
        return (codes, categories, blocks, keywordsByOrdinal.flatMap { $0 })
    }

    /// The codes of a CodeableConcept (or Coding list), local codes translated through the ConceptMap.
    public func codes(of concept: Element?) -> [CodeKey] {
        var out: [CodeKey] = []
        _ = forEachCode(of: concept) { out.append($0); return false }
        return out
    }

    /// Calls `body` with each code of a CodeableConcept (or of a single Coding), each followed by
    /// the local codes it maps to, until `body` returns true; whether it did. The codings are read
    /// in place (issue 20: the fact sources ask this thousands of times a record).
    func forEachCode(of concept: Element?, _ body: (CodeKey) -> Bool) -> Bool {
        guard let concept else { return false }
        return concept.children.withUnsafeBufferPointer { kids in
            var hasCodings = false
            for i in kids.indices where kids[i].name == "coding" { hasCodings = true; break }
            if !hasCodings { return visit(concept, body) }
            for i in kids.indices where kids[i].name == "coding" {
                if visit(kids[i], body) { return true }
            }
            return false
        }
    }

    /// One Coding's key, then its local codes.
    private func visit(_ coding: Element, _ body: (CodeKey) -> Bool) -> Bool {
        guard let system = coding.string("system"), let raw = coding.string("code") else { return false }
        // interface.md v3: codes trimmed, a code system written as its OID read as its URI.
        let code = Terminology.trimmed(raw)
        guard !code.isEmpty else { return false }
        let key = CodeKey(system: Terminology.canonicalSystem(system), code: code)
        if body(key) { return true }
        if !localSystems.isEmpty, localSystems.contains(key.system), let local = localCodes[key] {
            for l in local where body(l) { return true }
        }
        return false
    }

    /// The Profiles concepts (ValueSet ids) a CodeableConcept's codes belong to, sorted: what it
    /// means to this program (interface.md v3: an extra recognised coding changes nothing).
    public func concepts(of concept: Element?) -> [String] {
        let keys = codes(of: concept)
        guard !keys.isEmpty else { return [] }
        var out: Set<String> = []
        for key in keys { out.formUnion(concepts(of: key)) }
        return out.sorted()
    }

    /// The ValueSet ids one code belongs to.
    public func concepts(of key: CodeKey) -> [String] {
        valueSets.compactMap { $0.value.members.contains(key) ? $0.key : nil }
    }

    /// Code systems whose codes identify a concept on their own (a code from them is recognised
    /// even where no ValueSet lists it: a not-recommended request, an ATC group).
    public static let standardSystems: Set<String> = [
        "http://loinc.org", "http://snomed.info/sct", "http://www.whocc.no/atc", "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icpc-1-nl", "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    ]

    /// Code systems written as their OID (HL7's OID registry; each checked against a published
    /// CodeSystem or NamingSystem) → the canonical URI the Profiles use.
    static let oidSystems: [String: String] = [
        "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
        "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
        "urn:oid:2.16.840.1.113883.6.73": "http://www.whocc.no/atc",
        "urn:oid:2.16.840.1.113883.6.3": "http://hl7.org/fhir/sid/icd-10",
        "urn:oid:2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
        "urn:oid:2.16.840.1.113883.2.4.4.31.1": "http://hl7.org/fhir/sid/icpc-1-nl",
        "urn:oid:2.16.840.1.113883.6.8": "http://unitsofmeasure.org",
        "urn:oid:2.16.840.1.113883.5.83": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "urn:oid:2.16.840.1.113883.5.111": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
        "urn:oid:2.16.840.1.113883.2.4.6.3": "http://fhir.nl/fhir/NamingSystem/bsn",
        "urn:oid:2.16.840.1.113883.2.4.6.1": "http://fhir.nl/fhir/NamingSystem/agb-z",
    ]

    /// A system URI as the Profiles write it: trimmed, an OID mapped to its URI.
    public static func canonicalSystem(_ system: String) -> String {
        let s = trimmed(system)
        // Most systems are http URIs: the first byte tells them apart without a prefix compare.
        guard s.utf8.first == UInt8(ascii: "u"), s.hasPrefix("urn:oid:") else { return s }
        return oidSystems[s] ?? s
    }

    /// A display as a clinician reads it: without the " (?)" that marks a code not confirmed
    /// against a terminology server (terminology.md: kept in the Profiles and the rule book, for
    /// those who maintain the lists; the fifth clinical audit read "Alcohol abuse (?)" in a plan).
    /// Taken off once, as the Profiles' displays are read.
    public static func withoutVerificationMark(_ display: String) -> String {
        display.hasSuffix(" (?)") ? String(display.dropLast(4)) : display
    }

    /// Without leading and trailing blanks: spaces, tabs, line feeds and carriage returns (a code
    /// pasted with a blank, or a line break before it, is the same code; interface.md v3). By
    /// bytes: a "\r\n" is one Character, which a Character test would not match (found by a new
    /// user's trial: "\nO03.9" was not counted).
    public static func trimmed(_ s: String) -> String {
        @inline(__always) func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        // The first and last bytes read in place (the collection's `first` and `last` were most of
        // the cost: issue 20); a string without contiguous bytes takes the general path.
        let plain = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
            guard let first = u.first, let last = u.last else { return true }
            return !blank(first) && !blank(last)
        }
        if plain == true { return s }
        let u = Array(s.utf8)
        var start = 0, end = u.count
        while start < end, blank(u[start]) { start += 1 }
        while end > start, blank(u[end - 1]) { end -= 1 }
        return String(decoding: u[start..<end], as: UTF8.self)
    }

    /// The codes a ValueSet lists by name (its concepts; not the categories of a filter).
    public func listedCodes(_ valueSet: ValueSetID) -> Set<CodeKey> {
        byOrdinal[valueSet.ordinal]?.members.codes ?? []
    }

    /// Whether the Profiles in force define this ValueSet.
    func holds(_ valueSet: ValueSetID) -> Bool { byOrdinal[valueSet.ordinal] != nil }

    public func contains(_ valueSet: ValueSetID, _ key: CodeKey) -> Bool {
        byOrdinal[valueSet.ordinal]?.members.contains(key) ?? false
    }

    /// Whether a CodeableConcept has a code in the ValueSet (directly or through a local code).
    public func matches(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        guard let boxed = byOrdinal[valueSet.ordinal] else { return false }
        return forEachCode(of: concept) { boxed.members.contains($0) }
    }

    /// The same, for codes already read (`codes(of:)`).
    func matches(codes: [CodeKey], _ valueSet: ValueSetID) -> Bool {
        guard let boxed = byOrdinal[valueSet.ordinal] else { return false }
        return codes.contains { boxed.members.contains($0) }
    }

    /// Keyword fallback on `text` and `coding.display` (case and accent insensitive).
    public func matchesKeyword(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        let words = keywords(valueSet)
        return !words.isEmpty && Terminology.holdsKeyword(Terminology.texts(of: concept), words)
    }

    /// Keyword match on a plain text (a `valueString`).
    public func matchesKeyword(text: String, _ valueSet: ValueSetID) -> Bool {
        let words = keywords(valueSet)
        return !words.isEmpty && Terminology.holdsKeyword([Terminology.normalise(text)], words)
    }

    /// Whether a normalised text holds one of the keywords.
    static func holdsKeyword(_ texts: [String], _ words: [String]) -> Bool {
        texts.contains { text in words.contains { containsWord(text, $0) } }
    }

    public func matchesCodeOrKeyword(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        matches(concept, valueSet) || matchesKeyword(concept, valueSet)
    }

    static func texts(of concept: Element?) -> [String] {
        guard let concept else { return [] }
        var out: [String] = []
        if let t = concept.string("text") { out.append(normalise(t)) }
        for c in concept.children("coding") { if let d = c.string("display") { out.append(normalise(d)) } }
        return out
    }

    /// Lower case, accents removed (é → e, ï → i), for keyword matching.
    public static func normalise(_ s: String) -> String {
        // ASCII (nearly every display): lower case byte by byte, nothing else to change.
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
        var out = ""
        for scalar in s.lowercased().unicodeScalars {
            switch scalar {
            case "à", "á", "â", "ä", "ã", "å": out.append("a")
            case "è", "é", "ê", "ë": out.append("e")
            case "ì", "í", "î", "ï": out.append("i")
            case "ò", "ó", "ô", "ö", "õ": out.append("o")
            case "ù", "ú", "û", "ü": out.append("u")
            case "ç": out.append("c")
            case "ñ": out.append("n")
            case "β": out.append("b")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `keyword` occurs in `text` starting at a word boundary (so "ana" does not match "banana",
    /// but "cytokine" matches "cytokines").
    /// Whether `text` holds `keyword` as whole words (guideline.md v2: never inside a longer word:
    /// "protein c" is not in "protein creatinine", "ana" not in "banana"). A keyword ending in `*`
    /// is a stem: it must start a word and may go on ("cytokine*" matches "cytokines").
    static func containsWord(_ text: String, _ keyword: String) -> Bool {
        // Compared in the strings' own bytes: no array made per call or per place (issue 20).
        var text = text, keyword = keyword
        return text.withUTF8 { t in
            keyword.withUTF8 { k in
                var n = k.count
                let stem = n > 0 && k[n - 1] == UInt8(ascii: "*")
                if stem { n -= 1 }
                guard n > 0, t.count >= n else { return false }
                func isWordByte(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 }
                var i = 0
                while i + n <= t.count {
                    if (i == 0 || !isWordByte(t[i - 1])) && t[i] == k[0] && (1..<n).allSatisfy({ t[i + $0] == k[$0] }) {
                        let end = i + n
                        if stem || end == t.count || !isWordByte(t[end]) { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// The code systems a request is recognised by (guideline.md v2): keywords are tried only for a
    /// request that carries no code from these (nor a local code the site's ConceptMap maps).
    static let recognisedSystems: Set<String> = ["http://loinc.org", "http://snomed.info/sct", "http://www.whocc.no/atc"]

    /// Whether a concept carries a recognised code.
    public func hasRecognisedCode(_ concept: Element?) -> Bool {
        Terminology.holdsRecognised(codes(of: concept))
    }

    static func holdsRecognised(_ codes: [CodeKey]) -> Bool {
        codes.contains { recognisedSystems.contains($0.system) }
    }
}

extension ValueSetID: CustomStringConvertible {
    public var description: String { rawValue }
}

/// The terminology as one plan's fact sources ask it, each concept's answers worked out once
/// (issue 20: the sources ask about the same concepts thousands of times a record, and each
/// question walked the codings, trimmed and mapped their systems and hashed each code once per
/// ValueSet asked).
///
/// A concept is known by the storage of its children: what every question asks depends on its
/// children alone, and the reader gives concepts of the same text one shared storage. Each entry
/// keeps that storage alive, so no other contents can take its address while the answers live.
/// On first sight a concept's codes are read and looked up once in `Terminology.memberships`,
/// which answers every ValueSet at once except a hierarchical code's place in a ValueSet that
/// includes categories or blocks: those are asked when asked, and kept.
final class ConceptAnswers {
    let terminology: Terminology
    // Checked for exclusive access at every question otherwise (a class's properties): one
    // thread asks, and no question reenters another.
    @exclusivity(unchecked) private var entries: [Entry] = []
    @exclusivity(unchecked) private var index = AddressIndex()

    private struct Entry {
        let children: [Element]
        /// The codes, local codes after theirs (`Terminology.codes(of:)`).
        let codes: [CodeKey]
        /// The ValueSets a code is known to be in.
        var matched: ValueSetBits
        /// Some code is hierarchical: ValueSets with categories or blocks are asked one by one.
        let undecided: Bool
        var asked = ValueSetBits()
        /// The concept's texts, normalised (`Terminology.texts(of:)`), once keywords are asked.
        var texts: [String]?
        var keywordAsked = ValueSetBits(), keywordMatched = ValueSetBits()
    }

    init(_ terminology: Terminology) {
        self.terminology = terminology
    }

    /// The concept's entry, made on first sight; nil for no concept or one without children
    /// (which has no code and no text).
    private func entry(_ concept: Element?) -> Int? {
        guard let concept, !concept.children.isEmpty else { return nil }
        let key = concept.children.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        if let i = index.find(key) { return i }
        let codes = terminology.codes(of: concept)
        var matched = ValueSetBits(), undecided = false
        for code in codes {
            let m = terminology.memberships(code)
            matched.formUnion(m.bits)
            undecided = undecided || !m.complete
        }
        entries.append(Entry(children: concept.children, codes: codes, matched: matched, undecided: undecided))
        index.insert(key, entries.count - 1)
        return entries.count - 1
    }

    func matches(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        guard ValueSetBits.fits else { return terminology.matches(concept, valueSet) }
        guard let i = entry(concept) else { return false }
        let ordinal = valueSet.ordinal
        if entries[i].matched[ordinal] { return true }
        guard entries[i].undecided, terminology.hasCategories(ordinal), !entries[i].asked[ordinal] else { return false }
        entries[i].asked[ordinal] = true
        let answer = terminology.matches(codes: entries[i].codes, valueSet)
        entries[i].matched[ordinal] = answer
        return answer
    }

    func matchesKeyword(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        guard ValueSetBits.fits else { return terminology.matchesKeyword(concept, valueSet) }
        guard let i = entry(concept) else { return false }
        let ordinal = valueSet.ordinal
        if entries[i].keywordAsked[ordinal] { return entries[i].keywordMatched[ordinal] }
        let words = terminology.keywords(valueSet)
        var answer = false
        if !words.isEmpty {
            if entries[i].texts == nil { entries[i].texts = Terminology.texts(of: concept) }
            answer = Terminology.holdsKeyword(entries[i].texts!, words)
        }
        entries[i].keywordAsked[ordinal] = true
        entries[i].keywordMatched[ordinal] = answer
        return answer
    }

    func matchesCodeOrKeyword(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        matches(concept, valueSet) || matchesKeyword(concept, valueSet)
    }

    func codes(of concept: Element?) -> [CodeKey] {
        guard let i = entry(concept) else { return [] }
        return entries[i].codes
    }

    func hasRecognisedCode(_ concept: Element?) -> Bool {
        Terminology.holdsRecognised(codes(of: concept))
    }

    func matchesKeyword(text: String, _ valueSet: ValueSetID) -> Bool { terminology.matchesKeyword(text: text, valueSet) }
    var displays: [CodeKey: String] { terminology.displays }

    /// Entry numbers by the address of a concept's children: open addressing with a
    /// multiplicative hash (the standard one is SipHash, most of what a memo would save).
    private struct AddressIndex {
        private var keys = [UInt](repeating: 0, count: 256)
        private var values = [Int](repeating: 0, count: 256)
        private var count = 0

        private func slot(_ key: UInt) -> Int {
            Int(truncatingIfNeeded: ((UInt64(key) >> 4) &* 0x9E37_79B9_7F4A_7C15) >> 32) & (keys.count - 1)
        }

        func find(_ key: UInt) -> Int? {
            var i = slot(key)
            while true {
                if keys[i] == key { return values[i] }
                if keys[i] == 0 { return nil }
                i = (i + 1) & (keys.count - 1)
            }
        }

        /// A key not yet in (addresses are never 0, the empty mark).
        mutating func insert(_ key: UInt, _ value: Int) {
            if 2 * (count + 1) > keys.count {
                let old = zip(keys, values).filter { $0.0 != 0 }
                keys = [UInt](repeating: 0, count: keys.count * 2)
                values = [Int](repeating: 0, count: keys.count)
                count = 0
                for (k, v) in old { insert(k, v) }
            }
            var i = slot(key)
            while keys[i] != 0 { i = (i + 1) & (keys.count - 1) }
            keys[i] = key
            values[i] = value
            count += 1
        }
    }
}

/// One bit per ValueSet, by `ValueSetID.ordinal`.
struct ValueSetBits: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// Whether every generated ValueSet id has a bit (else the terminology is asked directly).
    static let fits = ValueSetID.allCases.count <= 256

    subscript(_ ordinal: Int) -> Bool {
        get {
            let bit = UInt64(1) << UInt64(ordinal & 63)
            switch ordinal >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }
        set {
            let bit = UInt64(1) << UInt64(ordinal & 63)
            func set(_ w: inout UInt64) { if newValue { w |= bit } else { w &= ~bit } }
            switch ordinal >> 6 {
            case 0: set(&words.0)
            case 1: set(&words.1)
            case 2: set(&words.2)
            default: set(&words.3)
            }
        }
    }

    mutating func formUnion(_ other: ValueSetBits) {
        words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
    }

    func subtracting(_ other: ValueSetBits) -> ValueSetBits {
        var out = self
        out.words = (words.0 & ~other.words.0, words.1 & ~other.words.1, words.2 & ~other.words.2, words.3 & ~other.words.3)
        return out
    }
}
