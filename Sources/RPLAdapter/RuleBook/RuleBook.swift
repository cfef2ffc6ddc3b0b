import FHIR
import RPLGuideline
import Digests

/// The rule book (issue 19): every rule of the card as a hospital's clinical decision-support
/// committee reviews it before switching the adapter on: the card line (Dutch as printed, the
/// English rendering), what the program checks in words, the code lists it reads (each code's
/// display and where it comes from), the settings with the values this site runs, and the
/// fixtures where it fires and where it stays quiet. Generated from Profiles (the built-in copy,
/// or the site's own folder) and the fixtures' READMEs; written by `RuleBook.markdown` and
/// `RuleBook.html`.
public struct RuleBook: Sendable {
    /// The plan's languages (issue 19).
    public typealias Language = Wording.Language

    /// One code of a code list, with where it comes from (ValueSet concept extension
    /// `code-source`): the spec's terminology.md or guideline.md, marked unconfirmed there, or
    /// added by the project.
    public struct Concept: Sendable {
        public let system: String
        public let code: String
        public let display: String?
        public let source: String
        public let excluded: Bool
    }

    public struct CodeList: Sendable {
        public let id: String
        public let title: String
        public let concepts: [Concept]
        /// `compose.include.filter`s in words (an ICD-10 category for its subcategories).
        public let filters: [String]
    }

    /// A NIET AANBEVOLEN item (Parameters rpl-not-recommended): what a request must carry to be
    /// judged by the rule, and the indications that lift its flag.
    public struct Item: Sendable {
        public let name: String
        public let appliesTo: [String]
        public let codes: [String]
        public let valueSets: [String]
        public let keywords: [String]
        public let indications: [String]
    }

    public struct Setting: Sendable {
        public let name: String
        public let value: String
    }

    public struct Rule: Sendable {
        public let id: String
        public let area: String
        public let quotes: [String]
        public let english: String
        public let checks: [Language: String]
        public let codeLists: [CodeList]
        public let settings: [Setting]
        public let items: [Item]
        public let fires: [String]
        public let quiet: [String]

        /// One line for the contents: the card's words in Dutch, the English rendering in English.
        public func summary(_ language: Language) -> String {
            language == .nl ? quotes.map { "\"\($0)\"" }.joined(separator: " … ") : english
        }
    }

    public struct Area: Sendable {
        public let code: String
        public let title: [Language: String]
        public let rules: [Rule]
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public let areas: [Area]
    /// The guideline's version (PlanDefinition.version) and the card's source line.
    public let version: String
    /// The site settings every order carries (Parameters rpl-site).
    public let siteSettings: [Setting]
    /// The fixtures read (nil: none given, the book says so).
    public let fixtures: String?
    /// What the committee signs off: a SHA-1 of every Profiles resource as the program reads it
    /// (sorted by type and id), so a book names exactly the Profiles it was made from.
    public let fingerprint: String

    static let base = "http://rpl-adapter.org/fhir"
    static let translation = "http://hl7.org/fhir/StructureDefinition/translation"

    /// `resources`: every Profiles resource by "Type/id", whole (descriptions and displays kept).
    /// `fixtures`: a folder of fixtures whose READMEs say `Fires:` and `Quiet:`.
    public init(resources: [String: Element], fixtures: String?) throws(Problem) {
        guard let plan = resources["PlanDefinition/rpl-guideline"] else { throw Problem(description: "Profiles has no PlanDefinition/rpl-guideline") }
        guard let areaSystem = resources["CodeSystem/rpl-card-area"] else { throw Problem(description: "Profiles has no CodeSystem/rpl-card-area") }
        let valueSets = Dictionary(resources.values.filter { $0.name == "ValueSet" }.compactMap { v in v.string("url").map { ($0, v) } },
                                   uniquingKeysWith: { a, _ in a })
        let parameters = Self.parameters(resources["Parameters/rpl-defaults"])
        let items = Self.items(resources["Parameters/rpl-not-recommended"])
        let (fires, quiet) = try Self.fixtureOutcomes(fixtures)

        var rulesByArea: [String: [Rule]] = [:]
        for action in plan.children("action") {
            guard let id = action.string("id") else { continue }
            func fail(_ what: String) -> Problem { Problem(description: "PlanDefinition/rpl-guideline action \(id): \(what)") }
            guard let area = action.children("code").flatMap({ $0.children("coding") }).first(where: { $0.string("system") == Self.base + "/CodeSystem/rpl-card-area" })?.string("code")
            else { throw fail("no card area (code from CodeSystem rpl-card-area)") }
            guard let english = action.string("textEquivalent"), let dutch = Self.translation(action, "textEquivalent", "nl") else {
                throw fail("no textEquivalent in English and Dutch (what the program checks)")
            }
            var lists: [CodeList] = []
            for artifact in action.children("documentation") where artifact.string("type") == "depends-on" {
                guard let url = artifact.string("resource") else { continue }
                guard let vs = valueSets[url] else { throw fail("depends on \(url), which Profiles does not hold") }
                lists.append(Self.codeList(vs))
            }
            let settings = try action.children("extension").filter { $0.string("url") == Self.base + "/StructureDefinition/rule-setting" }.map { e throws(Problem) -> Setting in
                guard let name = e.string("valueString") else { throw fail("a rule-setting extension without a name") }
                guard let value = parameters[name] else { throw fail("the setting \(name) is not in Parameters-rpl-defaults") }
                return Setting(name: name, value: value)
            }
            let quotes = action.children("documentation").filter { $0.string("type") == "citation" }.compactMap { $0.string("display") }
            let rule = Rule(id: id, area: area, quotes: quotes, english: action.string("description") ?? "",
                            checks: [.en: english, .nl: dutch], codeLists: lists, settings: settings,
                            items: items.filter { $0.rule == id }.map(\.item), fires: fires[id] ?? [], quiet: quiet[id] ?? [])
            rulesByArea[area, default: []].append(rule)
        }
        var areas: [Area] = []
        for concept in areaSystem.children("concept") {
            guard let code = concept.string("code") else { continue }
            let nl = concept.children("designation").first { $0.string("language") == "nl" }?.string("value")
            areas.append(Area(code: code, title: [.en: concept.string("display") ?? code, .nl: nl ?? concept.string("display") ?? code],
                              rules: rulesByArea.removeValue(forKey: code) ?? []))
        }
        if let stray = rulesByArea.keys.sorted().first { throw Problem(description: "card area \(stray) is not in CodeSystem rpl-card-area") }
        // Every rule the program runs is in the book: one missing from the PlanDefinition is an
        // error, not a silent gap (the rules run from the code, not from the PlanDefinition).
        let written = Set(areas.flatMap(\.rules).map(\.id))
        if let missing = RuleID.allCases.map(\.rawValue).first(where: { !written.contains($0) }) {
            throw Problem(description: "PlanDefinition/rpl-guideline has no action for \(missing), a rule the program runs")
        }
        self.areas = areas
        version = plan.string("version") ?? ""
        siteSettings = (resources["Parameters/rpl-site"]?.children("parameter") ?? []).compactMap { p in
            p.string("name").map { Setting(name: $0, value: Self.value(p)) }
        }
        self.fixtures = fixtures
        var all: [UInt8] = []
        for key in resources.keys.sorted() { all += Array(key.utf8) + [0] + ((try? JSONWriter().write(resources[key]!)) ?? []) + [0] }
        fingerprint = Digest.sha1Hex(all)
    }

    /// Whether `path` is a folder (the command's default fixtures).
    public static func isFolder(_ path: String) -> Bool { directoryExists(path) }

    /// The rules in the book's order (by area, then as the PlanDefinition lists them).
    public var rules: [Rule] { areas.flatMap(\.rules) }

    static func translation(_ element: Element, _ name: String, _ language: String) -> String? {
        // `_name.extension` (the FHIR reader keeps a primitive's extensions under its name).
        let primitive = element.children.first { $0.name == name }
        let extensions = primitive?.children.filter { $0.name == "extension" && $0.string("url") == translation } ?? []
        for e in extensions {
            let parts = e.children("extension")
            if parts.first(where: { $0.string("url") == "lang" })?.string("valueCode") == language {
                return parts.first { $0.string("url") == "content" }?.string("valueString")
            }
        }
        return nil
    }

    /// A Parameters value in words (a number as written, a range, a coding, a string).
    static func value(_ p: Element) -> String {
        for child in p.children where child.name.hasPrefix("value") {
            if let v = child.value { return v }
            if child.name == "valueRange" {
                return (child.child("low")?.string("value") ?? "") + "–" + (child.child("high")?.string("value") ?? "")
            }
            if child.name == "valueCoding" { return (child.string("system") ?? "") + "|" + (child.string("code") ?? "") }
            if child.name == "valueQuantity" { return (child.string("value") ?? "") + " " + (child.string("unit") ?? child.string("code") ?? "") }
            if child.name == "valueReference" { return child.string("reference") ?? child.child("identifier").map { ($0.string("system") ?? "") + "|" + ($0.string("value") ?? "") } ?? "" }
        }
        if !p.children("part").isEmpty {
            return p.children("part").map { ($0.string("name") ?? "") + " " + value($0) }.joined(separator: "; ")
        }
        return ""
    }

    static func parameters(_ resource: Element?) -> [String: String] {
        var out: [String: String] = [:]
        for p in resource?.children("parameter") ?? [] {
            if let name = p.string("name") { out[name] = value(p) }
        }
        return out
    }

    static func items(_ resource: Element?) -> [(rule: String, item: Item)] {
        (resource?.children("parameter") ?? []).compactMap { p in
            let parts = p.children("part")
            func all(_ name: String) -> [String] { parts.filter { $0.string("name") == name }.map(value) }
            guard let rule = all("rule").first else { return nil }
            return (rule, Item(name: all("item").first ?? rule, appliesTo: all("appliesTo"), codes: all("code"), valueSets: all("valueSet"),
                               keywords: all("keyword"), indications: all("indication")))
        }
    }

    static func codeList(_ vs: Element) -> CodeList {
        var concepts: [Concept] = []
        var filters: [String] = []
        for (part, excluded) in [("include", false), ("exclude", true)] {
            for inc in vs.child("compose")?.children(part) ?? [] {
                let system = inc.string("system") ?? ""
                for c in inc.children("concept") {
                    let source = c.children("extension").first { $0.string("url") == Self.base + "/StructureDefinition/code-source" }?.string("valueCode")
                    // A site's own code, or a ValueSet from before the rule book: said, not guessed.
                    concepts.append(Concept(system: system, code: c.string("code") ?? "", display: c.string("display"), source: source ?? "unrecorded", excluded: excluded))
                }
                for f in inc.children("filter") {
                    filters.append("\(excluded ? "not " : "")\(system) \(f.string("property") ?? "") \(f.string("op") ?? "") \(f.string("value") ?? "")")
                }
            }
        }
        return CodeList(id: vs.string("id") ?? "", title: vs.string("title") ?? vs.string("name") ?? "", concepts: concepts, filters: filters)
    }

    /// Each rule's fixtures: where it fires and where it is held quiet (the `Fires:` and `Quiet:`
    /// lines of each fixture's README, which the end-to-end tests check against the program:
    /// `FixtureTests`).
    static func fixtureOutcomes(_ folder: String?) throws(Problem) -> (fires: [String: [String]], quiet: [String: [String]]) {
        guard let folder else { return ([:], [:]) }
        guard directoryExists(folder) else { throw Problem(description: "cannot read the fixtures folder \(folder)") }
        var fires: [String: [String]] = [:], quiet: [String: [String]] = [:]
        for name in listDirectory(folder).sorted() {
            guard case .success(let bytes) = Profiles.readBounded(folder + "/" + name + "/README.md", limit: 1 << 20) else { continue }
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                for (prefix, into) in [("Fires: ", 0), ("Quiet: ", 1)] where line.hasPrefix(prefix) {
                    for part in line.dropFirst(prefix.count).split(separator: ",") {
                        let id = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                        guard id.hasPrefix("RPL-") || id.hasPrefix("NR-") else { continue }
                        if into == 0 { fires[id, default: []].append(name) } else { quiet[id, default: []].append(name) }
                    }
                }
            }
        }
        return (fires, quiet)
    }
}
