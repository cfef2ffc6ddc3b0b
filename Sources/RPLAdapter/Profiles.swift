import FHIR

#if canImport(Glibc)
import Glibc
#endif

/// The conformance resources the program is driven by (Profiles/): the order catalogue, the
/// recognition ValueSets and ConceptMap, keywords, project defaults. Built in, or a site's own
/// copy from `--profiles DIR`.
public final class Profiles: Sendable {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every resource by "Type/id".
    public let resources: [String: Element]
    public let canonicalBase: String
    public let defaults: Defaults
    public let terminology: Terminology
    public let notRecommended: [NotRecommendedItem]

    public struct Defaults: Sendable {
        public var lookbackMonths = 12
        public var tshRange = (low: 0.4, high: 4.0)
        public var freeT4Range = (low: 10.0, high: 23.0)
        public var lupusAnticoagulantRatioCutoff = 1.2
        public var antibodyPositiveAbove = 40.0
        public var bmiHigh = 30.0
        public var bmiLow = 18.5
        public var secondTrimesterFromDays = 84
        public var secondTrimesterBeforeDays = 168
        public var antiphospholipidRepeatDays = 84
        public var ectopicAfterMiscarriageDays = 14
        /// Values outside these are implausible: a warning, and the value is not used.
        public var plausibleTSH: ClosedRange<Double> = 0...1000
        public var plausibleFreeT4: ClosedRange<Double> = 0...200
        public var plausibleBMI: ClosedRange<Double> = 10...150
        public var plausibleAntibody: ClosedRange<Double> = 0...10000
        public var plausibleLupusAnticoagulantRatio: ClosedRange<Double> = 0...20
        public var plausibleMiscarriageCount: ClosedRange<Double> = 0...30
        public var plausibleGestationalAgeDays: ClosedRange<Double> = 0...308
    }

    /// One item of a not-recommended line (Parameters rpl-not-recommended).
    public struct NotRecommendedItem: Sendable {
        public var ruleId: String
        public var item: String
        /// "ServiceRequest" or "MedicationRequest".
        public var appliesTo: String
        public var codes: Set<CodeKey>
        /// Normalised (lower case, no accents).
        public var keywords: [String]
    }

    /// The built-in copy, compiled into the binary from Profiles/.
    public static func builtIn() throws -> Profiles {
        try Profiles(files: embeddedProfiles.map { ($0.name, Array($0.json.utf8)) })
    }

    /// A site's own copy: every `*.json` in the folder.
    public static func load(directory: String) throws -> Profiles {
        guard let dir = opendir(directory) else { throw LoadError(description: "cannot read the Profiles folder \(directory)") }
        closedir(dir)
        let names = listDirectory(directory).filter { $0.hasSuffix(".json") }
        var files: [(String, [UInt8])] = []
        for name in names.sorted() {
            guard let bytes = readFile(directory + "/" + name) else { throw LoadError(description: "cannot read \(directory)/\(name)") }
            files.append((name, bytes))
        }
        return try Profiles(files: files)
    }

    init(files: [(String, [UInt8])]) throws {
        var resources: [String: Element] = [:]
        for (name, bytes) in files {
            do {
                let r = try JSONReader.read(bytes)
                guard let id = r.string("id") else { throw LoadError(description: "\(name): no id") }
                resources[r.name + "/" + id] = r
            } catch let e as FHIRFormatError {
                throw LoadError(description: "Profiles file \(name): \(e)")
            }
        }
        self.resources = resources
        var d = Defaults()
        var base = "http://rpl-adapter.org/fhir"
        guard let p = resources["Parameters/rpl-defaults"] else {
            throw LoadError(description: "Profiles: Parameters/rpl-defaults is missing")
        }
        for param in p.children("parameter") {
            guard let name = param.string("name") else { continue }
            let value = param.children.first { $0.name.hasPrefix("value") }
            let text = value?.value ?? ""
            /// A setting must be a number in a sane range: a site's typo must not reach the rules
            /// (a lookback of 10^18 months would overflow the date arithmetic).
            func number(_ allowed: ClosedRange<Double>) throws -> Double {
                guard let n = Double(text), n.isFinite, allowed.contains(n) else {
                    throw LoadError(description: "Profiles: Parameters/rpl-defaults \(name) is \(text.isEmpty ? "missing" : text); expected a number in \(allowed.lowerBound)...\(allowed.upperBound)")
                }
                return n
            }
            func whole(_ allowed: ClosedRange<Int>) throws -> Int {
                guard let n = Int(text), allowed.contains(n) else {
                    throw LoadError(description: "Profiles: Parameters/rpl-defaults \(name) is \(text.isEmpty ? "missing" : text); expected a whole number in \(allowed.lowerBound)...\(allowed.upperBound)")
                }
                return n
            }
            func range() throws -> ClosedRange<Double> {
                let low = value?.child("low")?.string("value").flatMap(Double.init), high = value?.child("high")?.string("value").flatMap(Double.init)
                guard value?.name == "valueRange", let low, let high, low.isFinite, high.isFinite, low <= high else {
                    throw LoadError(description: "Profiles: Parameters/rpl-defaults \(name) must be a valueRange with finite low <= high")
                }
                return low...high
            }
            switch name {
            case "canonicalBase": base = text
            case "lookbackMonths": d.lookbackMonths = try whole(1...1200)
            case "tshLow": d.tshRange.low = try number(0...1000)
            case "tshHigh": d.tshRange.high = try number(0...1000)
            case "freeT4Low": d.freeT4Range.low = try number(0...1000)
            case "freeT4High": d.freeT4Range.high = try number(0...1000)
            case "lupusAnticoagulantRatioCutoff": d.lupusAnticoagulantRatioCutoff = try number(0...100)
            case "antibodyPositiveAbove": d.antibodyPositiveAbove = try number(0...100000)
            case "bmiHigh": d.bmiHigh = try number(0...1000)
            case "bmiLow": d.bmiLow = try number(0...1000)
            case "secondTrimesterFromDays": d.secondTrimesterFromDays = try whole(0...400)
            case "secondTrimesterBeforeDays": d.secondTrimesterBeforeDays = try whole(0...400)
            case "antiphospholipidRepeatDays": d.antiphospholipidRepeatDays = try whole(0...3650)
            case "ectopicAfterMiscarriageDays": d.ectopicAfterMiscarriageDays = try whole(0...365)
            case "plausibleTSH": d.plausibleTSH = try range()
            case "plausibleFreeT4": d.plausibleFreeT4 = try range()
            case "plausibleBMI": d.plausibleBMI = try range()
            case "plausibleAntibody": d.plausibleAntibody = try range()
            case "plausibleLupusAnticoagulantRatio": d.plausibleLupusAnticoagulantRatio = try range()
            case "plausibleMiscarriageCount": d.plausibleMiscarriageCount = try range()
            case "plausibleGestationalAgeDays": d.plausibleGestationalAgeDays = try range()
            default: break
            }
        }
        self.defaults = d
        self.canonicalBase = base
        self.terminology = Terminology(resources: resources)
        var items: [NotRecommendedItem] = []
        for param in resources["Parameters/rpl-not-recommended"]?.children("parameter") ?? [] {
            var item = NotRecommendedItem(ruleId: "", item: "", appliesTo: "", codes: [], keywords: [])
            for part in param.children("part") {
                switch part.string("name") {
                case "rule": item.ruleId = part.string("valueCode") ?? ""
                case "item": item.item = part.string("valueString") ?? ""
                case "appliesTo": item.appliesTo = part.string("valueCode") ?? ""
                case "code":
                    if let c = part.child("valueCoding"), let s = c.string("system"), let code = c.string("code") {
                        item.codes.insert(CodeKey(system: s, code: code))
                    }
                case "keyword": if let k = part.string("valueString") { item.keywords.append(Terminology.normalise(k)) }
                default: break
                }
            }
            items.append(item)
        }
        self.notRecommended = items
    }

    public var planDefinitionURL: String { canonicalBase + "/PlanDefinition/rpl-guideline" }

    public func activityDefinitionURL(_ id: String) -> String { canonicalBase + "/ActivityDefinition/" + id }

    public func activityDefinition(_ id: String) -> Element? { resources["ActivityDefinition/" + id] }

    public var ruleSystem: String { canonicalBase + "/CodeSystem/rpl-rule" }
    public var activitySystem: String { canonicalBase + "/CodeSystem/rpl-activity" }
    public var identifierSystem: String { canonicalBase + "/identifier" }
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n > 0 { out.append(contentsOf: buffer[0..<n]) }
        if n < buffer.count { break }
    }
    return out
}
