import FHIR

/// A code in its system.
public struct CodeKey: Sendable, Hashable {
    public let system: String
    public let code: String
    public init(system: String, code: String) {
        self.system = system
        self.code = code
    }
}

/// Which codes mean what: the ValueSets of Profiles/ (expanded from `compose.include.concept`), the
/// site's ConceptMap of local codes, and text keywords where codes are unknown. Matching is on
/// system + code, never on display text, except the keyword fallback (which says so).
public struct Terminology: Sendable {
    private var valueSets: [String: Set<CodeKey>] = [:]
    private var keywords: [String: [String]] = [:]
    /// Local code → the standard codes it maps to.
    private var localCodes: [CodeKey: [CodeKey]] = [:]

    init(resources: [String: Element]) {
        for (key, r) in resources {
            if key.hasPrefix("ValueSet/"), let id = r.string("id") {
                var codes = Set<CodeKey>()
                for include in r.all("compose.include") {
                    guard let system = include.string("system") else { continue }
                    for concept in include.children("concept") {
                        if let code = concept.string("code") { codes.insert(CodeKey(system: system, code: code)) }
                    }
                }
                valueSets[id] = codes
            } else if key.hasPrefix("ConceptMap/") {
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
    }

    /// The codes of a CodeableConcept (or Coding list), local codes translated through the ConceptMap.
    public func codes(of concept: Element?) -> [CodeKey] {
        guard let concept else { return [] }
        // A CodeableConcept, or a single Coding.
        let codings = concept.child("coding") != nil ? concept.children("coding") : [concept]
        var out: [CodeKey] = []
        for c in codings {
            guard let system = c.string("system"), let code = c.string("code") else { continue }
            let key = CodeKey(system: system, code: code)
            out.append(key)
            out += localCodes[key] ?? []
        }
        return out
    }

    public func contains(_ valueSet: ValueSetID, _ key: CodeKey) -> Bool {
        valueSets[valueSet.rawValue]?.contains(key) ?? false
    }

    /// Whether a CodeableConcept has a code in the ValueSet (directly or through a local code).
    public func matches(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        guard let set = valueSets[valueSet.rawValue] else { return false }
        return codes(of: concept).contains { set.contains($0) }
    }

    /// Keyword fallback on `text` and `coding.display` (case and accent insensitive).
    public func matchesKeyword(_ concept: Element?, _ valueSet: ValueSetID) -> Bool {
        guard let words = keywords[valueSet.rawValue], !words.isEmpty else { return false }
        return Terminology.texts(of: concept).contains { text in words.contains { Terminology.containsWord(text, $0) } }
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
        let t = Array(text.utf8)
        var k = Array(keyword.utf8)
        let stem = k.last == UInt8(ascii: "*")
        if stem { k.removeLast() }
        guard !k.isEmpty, t.count >= k.count else { return false }
        func isWordByte(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 }
        var i = 0
        while i + k.count <= t.count {
            if (i == 0 || !isWordByte(t[i - 1])) && Array(t[i..<(i + k.count)]) == k {
                let end = i + k.count
                if stem || end == t.count || !isWordByte(t[end]) { return true }
            }
            i += 1
        }
        return false
    }

    /// The code systems a request is recognised by (guideline.md v2): keywords are tried only for a
    /// request that carries no code from these (nor a local code the site's ConceptMap maps).
    static let recognisedSystems: Set<String> = ["http://loinc.org", "http://snomed.info/sct", "http://www.whocc.no/atc"]

    /// Whether a concept carries a recognised code.
    public func hasRecognisedCode(_ concept: Element?) -> Bool {
        codes(of: concept).contains { Terminology.recognisedSystems.contains($0.system) }
    }
}

extension ValueSetID: CustomStringConvertible {
    public var description: String { rawValue }
}
