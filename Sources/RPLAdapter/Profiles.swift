import FHIR
import RPLGuideline
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The conformance resources the program is driven by (Profiles/): the order catalogue, the
/// recognition ValueSets and ConceptMap, keywords, project defaults. Built in, or a site's own
/// copy from `--profiles DIR`.
public final class Profiles: Sendable {
    public struct LoadError: Error, CustomStringConvertible {
        /// Every problem found, each naming its file.
        public let problems: [String]
        /// The folder or a file in it could not be read at all (as opposed to read and found wrong).
        public let unreadable: Bool

        public init(description: String, unreadable: Bool = false) {
            problems = [description]
            self.unreadable = unreadable
        }

        public init(problems: [String], unreadable: Bool) {
            self.problems = problems
            self.unreadable = unreadable
        }

        public var description: String { problems.joined(separator: "; ") }
    }

    /// A Profiles file larger than this is refused unread (the largest built-in file is 28 kB).
    public static let maxFileBytes = 4 << 20

    /// Every resource by "Type/id".
    public let resources: [String: Element]
    public let canonicalBase: String
    public let defaults: Defaults
    public let terminology: Terminology
    public let notRecommended: [NotRecommendedItem]
    public let site: SiteSettings
    /// The ActivityDefinitions' items, read once (`OrderCatalogue`).
    public let catalogue: OrderCatalogue
    /// The order catalogue as requests name it (`Requests.catalogue`): the same for every input,
    /// made at its first use (issue 20: made per input, it was a seventh of a Synthea run's facts
    /// once the requests their claims hold came to be read).
    let requestCatalogue = AtomicLazyReference<RequestCatalogue>()
    /// The screen over input Observations (`observationScreen`), made at its first use.
    let observationScreenStore = AtomicLazyReference<ScreenBox>()
    final class ScreenBox: Sendable {
        let screen: ResourceScreen
        init(_ screen: ResourceScreen) { self.screen = screen }
    }

    /// Which input Observations a JSON reading builds whole (issue 20): those with a code, a
    /// category or a keyword this program reads anywhere (every ValueSet, the site's local
    /// codes, the order catalogue), or that only a full reading can tell. The others, most of
    /// a real record (vital signs, laboratory panels), are kept as skeletons: a fact source reads
    /// an Observation only once its code matches one of these (or, through a reason, its code's
    /// words a keyword), which is what the screen looks for.
    public var observationScreen: ResourceScreen {
        if let made = observationScreenStore.load() { return made.screen }
        let terms = terminology.screenTerms()
        let catalogueCodes = catalogue.items.values.flatMap { $0.compactMap { $0.code?.code } }
        let screen = ResourceScreen(types: ["Observation"], codes: terms.codes + catalogueCodes, categories: terms.categories,
                                    blocks: terms.blocks, keywords: terms.keywords)
        return observationScreenStore.storeIfNil(ScreenBox(screen)).screen
    }
    /// The wording of each language (issue 19): `CodeSystem-rpl-text`'s displays (English) and
    /// its designations in Dutch, by the English template.
    public let wordings: [Wording.Language: Wording]

    public struct Defaults: Sendable {
        public var lookbackMonths = 12
        /// guideline.md v3 `levothyroxineTaken`: a medication record with no known end older
        /// than this is not taken now (project default).
        public var medicationWithoutEndMonths = 12
        public var tshRange = (low: 0.4, high: 4.0)
        public var freeT4Range = (low: 10.0, high: 23.0)
        public var lupusAnticoagulantRatioCutoff = 1.2
        public var antibodyPositiveAbove = 40.0
        public var bmiHigh = 30.0
        public var bmiLow = 18.5
        public var secondTrimesterFromDays = 84
        public var secondTrimesterBeforeDays = 168
        public var antiphospholipidRepeatDays = 84
        /// guideline.md v2: loss records whose onsets lie less than this apart are one pregnancy
        /// recorded several times; a loss within this of an ectopic or molar record is that pregnancy.
        public var samePregnancyDays = 28
        /// guideline.md v2: a pregnancy projected past 42w6d (300 days) has ended.
        public var pregnancyEndsAfterDays = 300
        /// RPL-PROLACTIN, RPL-HORMONE-PROFILE: no cycle assessment this long after a delivery.
        public var postpartumDays = 183
        /// RPL-TISSUE-GENETICS: the most recent loss within this many days.
        public var tissueGeneticsWithinDays = 56
        /// RPL-PROGESTERONE: "tot AD 16wk" (112 days) and "bloedverlies ≤ AD 12 weken" (84 days).
        public var progesteroneUntilDays = 112
        public var earlyBleedingUntilDays = 84
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
        public var ruleId: RuleID
        public var item: String
        /// "ServiceRequest" or "MedicationRequest".
        public var appliesTo: String
        /// ATC codes are groups: `H02AB` stands for every code under it (guideline.md v2).
        public var codes: Set<CodeKey>
        /// Codes under a group that are not this item (B01AB02 antithrombin III is no heparin).
        public var excludes: Set<CodeKey> = []
        /// Normalised (lower case, no accents); whole words, or a stem when ending in `*`.
        public var keywords: [String]
        /// Words that make a text another item though a keyword matches ("anti-D immunoglobuline
        /// iv" is a specific immunoglobulin, not IVIg: helper-44's review).
        public var excludeKeywords: [String] = []
        /// Other indications this item treats (guideline.md v2 §4): a recorded one lifts the flag.
        public var indications: [ValueSetID] = []

        /// How specifically one of the request's codes falls under this item: the length of the
        /// item code it matches (an exact code beats its group), or nil.
        public func specificity(of requestCodes: [CodeKey]) -> Int? {
            func covers(_ itemCode: CodeKey, _ code: CodeKey) -> Bool {
                itemCode.system == code.system
                    && (itemCode.code == code.code || (code.system == "http://www.whocc.no/atc" && code.code.hasPrefix(itemCode.code)))
            }
            if requestCodes.contains(where: { code in excludes.contains { covers($0, code) } }) { return nil }
            return codes.filter { itemCode in requestCodes.contains { covers(itemCode, $0) } }.map(\.code.count).max()
        }
    }

    /// The settings of Parameters rpl-defaults: each exactly once.
    static let defaultsNames: Set<String> = [
        "canonicalBase", "lookbackMonths", "medicationWithoutEndMonths", "tshLow", "tshHigh", "freeT4Low", "freeT4High", "lupusAnticoagulantRatioCutoff",
        "antibodyPositiveAbove", "bmiHigh", "bmiLow", "secondTrimesterFromDays", "secondTrimesterBeforeDays", "antiphospholipidRepeatDays",
        "samePregnancyDays", "pregnancyEndsAfterDays", "postpartumDays", "tissueGeneticsWithinDays", "progesteroneUntilDays",
        "earlyBleedingUntilDays", "plausibleTSH", "plausibleFreeT4", "plausibleBMI", "plausibleAntibody", "plausibleLupusAnticoagulantRatio",
        "plausibleMiscarriageCount", "plausibleGestationalAgeDays",
    ]

    /// The built-in copy's resources by file name, decoded once from the binary.
    static let builtInResources = ElementArchive.decode(strings: embeddedProfileStrings, nodes: embeddedProfileNodes)

    /// The built-in copy, compiled into the binary from Profiles/.
    public static func builtIn() throws -> Profiles {
        // Compiled, not parsed (issue 20); checked strictly by the tests (and `profiles check
        // Profiles`), not again at every start.
        try Profiles(read: builtInResources.map { ($0.name, $0.element) })
    }

    /// The built-in copy whole, by "Type/id" (the texts `builtIn()` leaves out: descriptions,
    /// displays, what each rule checks), for the rule book.
    public static func builtInSources() throws(FHIRFormatError) -> [String: Element] {
        var out: [String: Element] = [:]
        for (_, json) in embeddedProfileSources {
            let r = try JSONReader.read(Array(json.utf8))
            out[r.name + "/" + (r.string("id") ?? "")] = r
        }
        return out
    }

    /// A site's own copy: every `*.json` in the folder. Checked as it is loaded: only regular files
    /// (a FIFO or a device is refused without reading it), each at most `maxFileBytes`, each a
    /// FHIR JSON resource named `Type-id.json` after what it holds, and every resource of the
    /// built-in copy present with its type (a deleted ValueSet would otherwise quietly change the
    /// plan). Throws with every problem found.
    public static func load(directory: String) throws(LoadError) -> Profiles {
        guard directoryExists(directory) else {
            throw LoadError(description: "cannot read the Profiles folder \(directory): not a folder", unreadable: true)
        }
        let names = listDirectory(directory).filter { $0.hasSuffix(".json") }.sorted()
        var files: [(String, [UInt8])] = []
        var problems: [String] = []
        var unreadable = false
        for name in names {
            switch readBounded(directory + "/" + name, limit: maxFileBytes) {
            case .success(let bytes): files.append((name, bytes))
            case .failure(let problem):
                problems.append("\(name): \(problem.message)")
                unreadable = unreadable || problem.unreadable
            }
        }
        let required = Set(embeddedProfileNames)
        let present = Set(names)
        for missing in required.subtracting(present).sorted() {
            problems.append("\(missing): missing (every file of the built-in Profiles is required; copy it and change its content)")
        }
        var loaded: Profiles?
        do {
            loaded = try Profiles(files: files)
        } catch let e as LoadError {
            problems += e.problems
        } catch {
            problems.append("\(error)")
        }
        guard problems.isEmpty, let loaded else { throw LoadError(problems: problems, unreadable: unreadable) }
        return loaded
    }

    struct FileProblem: Error {
        let message: String
        let unreadable: Bool
    }

    /// A regular file's bytes, at most `limit` of them. Opened non-blocking, so a FIFO does not
    /// hang the open; checked with fstat on the open descriptor, so a symlink to /dev/zero is
    /// refused as the device it is.
    static func readBounded(_ path: String, limit: Int) -> Result<[UInt8], FileProblem> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(FileProblem(message: "cannot read: \(String(cString: strerror(errno)))", unreadable: true)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(FileProblem(message: "cannot read: \(String(cString: strerror(errno)))", unreadable: true)) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            return .failure(FileProblem(message: "not a regular file (a device, FIFO, socket or folder); refused", unreadable: false))
        }
        guard Int(st.st_size) <= limit else {
            return .failure(FileProblem(message: "\(st.st_size) bytes, over the limit of \(limit) bytes; refused", unreadable: false))
        }
        var out: [UInt8] = []
        out.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(FileProblem(message: "cannot read: \(String(cString: strerror(errno)))", unreadable: true))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            // The file may grow while it is read: still bounded.
            if out.count > limit { return .failure(FileProblem(message: "over the limit of \(limit) bytes; refused", unreadable: false)) }
        }
        return .success(out)
    }

    /// Files as JSON (a site's copy, read strictly).
    convenience init(files: [(String, [UInt8])]) throws {
        var read: [(String, Element)] = []
        var problems: [String] = []
        for (name, bytes) in files {
            do {
                read.append((name, try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try JSONReader.read(b) }))
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        try self.init(read: read, problems: problems)
    }

    /// Resources already read, by file name.
    init(read: [(String, Element)], problems readProblems: [String] = []) throws {
        var resources: [String: Element] = [:]
        var problems = readProblems
        for (name, r) in read {
            guard let id = r.string("id") else { problems.append("\(name): the \(r.name) has no id"); continue }
            // The file name says what it holds: a ValueSet renamed or replaced by another
            // resource is caught here, not by a plan that quietly changes.
            let expected = r.name + "-" + id + ".json"
            if name != expected { problems.append("\(name): holds \(r.name)/\(id), so it must be named \(expected)") }
            if resources[r.name + "/" + id] != nil { problems.append("\(name): \(r.name)/\(id) is defined twice") }
            if r.name == "ValueSet" && !(r.child("compose")?.children ?? []).contains(where: { $0.name == "include" && ($0.child("concept") != nil || $0.child("filter") != nil) }) {
                problems.append("\(name): ValueSet/\(id) lists no codes (compose.include.concept or .filter); it would match nothing")
            }
            resources[r.name + "/" + id] = r
        }
        self.resources = resources
        var d = Defaults()
        var base = "http://rpl-adapter.org/fhir"
        guard let p = resources["Parameters/rpl-defaults"] else {
            throw LoadError(description: "Parameters-rpl-defaults.json: missing")
        }
        // Every setting named once, none unknown, none missing (a missing one would silently fall
        // back to the program's own literal): a site's copy is refused with every problem at once.
        var given: [String: Int] = [:]
        for param in p.children("parameter") {
            guard let name = param.string("name"), Self.defaultsNames.contains(name) else {
                problems.append("Parameters-rpl-defaults.json: unknown parameter \(param.string("name") ?? "(no name)"); expected one of \(Self.defaultsNames.sorted().joined(separator: ", "))")
                continue
            }
            given[name, default: 0] += 1
            if given[name] == 2 { problems.append("Parameters-rpl-defaults.json: \(name) is given more than once") }
            let value = param.children.first { $0.name.hasPrefix("value") }
            let text = value?.value ?? ""
            /// A setting must be a number in a sane range: a site's typo must not reach the rules
            /// (a lookback of 10^18 months would overflow the date arithmetic).
            func number(_ allowed: ClosedRange<Double>) throws -> Double {
                guard let n = Double(text), n.isFinite, allowed.contains(n) else {
                    throw LoadError(description: "Parameters-rpl-defaults.json: \(name) is \(text.isEmpty ? "missing" : text); expected a number in \(allowed.lowerBound)...\(allowed.upperBound)")
                }
                return n
            }
            func whole(_ allowed: ClosedRange<Int>) throws -> Int {
                guard let n = Int(text), allowed.contains(n) else {
                    throw LoadError(description: "Parameters-rpl-defaults.json: \(name) is \(text.isEmpty ? "missing" : text); expected a whole number in \(allowed.lowerBound)...\(allowed.upperBound)")
                }
                return n
            }
            func range() throws -> ClosedRange<Double> {
                let low = value?.child("low")?.string("value").flatMap(Double.init), high = value?.child("high")?.string("value").flatMap(Double.init)
                guard value?.name == "valueRange", let low, let high, low.isFinite, high.isFinite, low < high else {
                    throw LoadError(description: "Parameters-rpl-defaults.json: \(name) must be a valueRange with finite low below high")
                }
                return low...high
            }
            do {
                switch name {
                case "canonicalBase": base = text
                case "lookbackMonths": d.lookbackMonths = try whole(1...1200)
                case "medicationWithoutEndMonths": d.medicationWithoutEndMonths = try whole(1...1200)
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
                case "samePregnancyDays": d.samePregnancyDays = try whole(0...365)
                case "pregnancyEndsAfterDays": d.pregnancyEndsAfterDays = try whole(1...400)
                case "postpartumDays": d.postpartumDays = try whole(0...3650)
                case "tissueGeneticsWithinDays": d.tissueGeneticsWithinDays = try whole(0...3650)
                case "progesteroneUntilDays": d.progesteroneUntilDays = try whole(0...300)
                case "earlyBleedingUntilDays": d.earlyBleedingUntilDays = try whole(0...300)
                case "plausibleTSH": d.plausibleTSH = try range()
                case "plausibleFreeT4": d.plausibleFreeT4 = try range()
                case "plausibleBMI": d.plausibleBMI = try range()
                case "plausibleAntibody": d.plausibleAntibody = try range()
                case "plausibleLupusAnticoagulantRatio": d.plausibleLupusAnticoagulantRatio = try range()
                case "plausibleMiscarriageCount": d.plausibleMiscarriageCount = try range()
                case "plausibleGestationalAgeDays": d.plausibleGestationalAgeDays = try range()
                default: break
                }
            } catch let e as LoadError {
                problems += e.problems
            }
        }
        for missing in Self.defaultsNames.subtracting(given.keys).sorted() {
            problems.append("Parameters-rpl-defaults.json: \(missing) is missing")
        }
        // A low limit at or above its high limit classifies every value wrongly.
        for (low, high) in [("tshLow", "tshHigh"), ("freeT4Low", "freeT4High"), ("bmiLow", "bmiHigh"),
                            ("secondTrimesterFromDays", "secondTrimesterBeforeDays")] where given[low] != nil && given[high] != nil {
            let values: [String: Double] = ["tshLow": d.tshRange.low, "tshHigh": d.tshRange.high, "freeT4Low": d.freeT4Range.low, "freeT4High": d.freeT4Range.high,
                                            "bmiLow": d.bmiLow, "bmiHigh": d.bmiHigh,
                                            "secondTrimesterFromDays": Double(d.secondTrimesterFromDays), "secondTrimesterBeforeDays": Double(d.secondTrimesterBeforeDays)]
            if values[low]! >= values[high]! {
                problems.append("Parameters-rpl-defaults.json: \(low) \(formatNumber(values[low]!)) is not below \(high) \(formatNumber(values[high]!))")
            }
        }
        let (site, siteProblems) = SiteSettings.read(resources["Parameters/rpl-site"])
        problems += siteProblems
        let (wordings, textProblems) = Self.wordings(resources["CodeSystem/rpl-text"])
        problems += textProblems
        // Every problem of every file at once: a site fixes its copy in one round.
        if !problems.isEmpty { throw LoadError(problems: problems, unreadable: false) }
        self.site = site
        self.wordings = wordings
        self.defaults = d
        self.canonicalBase = base
        self.terminology = Terminology(resources: resources)
        self.catalogue = OrderCatalogue(resources: resources)
        var items: [NotRecommendedItem] = []
        for param in resources["Parameters/rpl-not-recommended"]?.children("parameter") ?? [] {
            var item = NotRecommendedItem(ruleId: .nrDrugs, item: "", appliesTo: "", codes: [], keywords: [])
            var rule: RuleID?
            for part in param.children("part") {
                switch part.string("name") {
                case "rule":
                    rule = part.string("valueCode").flatMap(RuleID.init(rawValue:))
                case "item": item.item = part.string("valueString") ?? ""
                case "appliesTo": item.appliesTo = part.string("valueCode") ?? ""
                case "code":
                    if let c = part.child("valueCoding"), let s = c.string("system"), let code = c.string("code") {
                        item.codes.insert(CodeKey(system: s, code: code))
                    }
                case "excludeCode":
                    if let c = part.child("valueCoding"), let s = c.string("system"), let code = c.string("code") {
                        item.excludes.insert(CodeKey(system: s, code: code))
                    }
                case "valueSet":
                    // guideline.md v3, one code list per concept: the test's ValueSet, the same
                    // list the rules read (ANA, karyotyping, the thrombophilia tests).
                    guard let id = part.string("valueCode"), let valueSet = ValueSetID(rawValue: id), resources["ValueSet/" + id] != nil else {
                        throw LoadError(description: "Parameters-rpl-not-recommended.json: item \(item.item): valueSet \(part.string("valueCode") ?? "?") is not a ValueSet of Profiles")
                    }
                    item.codes.formUnion(terminology.listedCodes(valueSet))
                case "keyword": if let k = part.string("valueString") { item.keywords.append(Terminology.normalise(k)) }
                case "excludeKeyword": if let k = part.string("valueString") { item.excludeKeywords.append(Terminology.normalise(k)) }
                case "indication":
                    // A ValueSet id the program does not know would lift nothing: refused.
                    guard let id = part.string("valueCode"), let valueSet = ValueSetID(rawValue: id), resources["ValueSet/" + id] != nil else {
                        throw LoadError(description: "Parameters-rpl-not-recommended.json: item \(item.item): indication \(part.string("valueCode") ?? "?") is not a ValueSet of Profiles")
                    }
                    item.indications.append(valueSet)
                default: break
                }
            }
            // A rule id the program does not know would flag nothing: refused, not ignored.
            guard let rule, rule.rawValue.hasPrefix("NR-") else {
                throw LoadError(description: "Parameters-rpl-not-recommended.json: item \(item.item.isEmpty ? "?" : item.item) has no NR-… rule id of CodeSystem rpl-rule")
            }
            item.ruleId = rule
            items.append(item)
        }
        self.notRecommended = items
    }

    public var planDefinitionURL: String { canonicalBase + "/PlanDefinition/rpl-guideline" }

    /// The texts of one language.
    public func wording(_ language: Wording.Language) -> Wording {
        wordings[language] ?? Wording(language: language, templates: [:])
    }

    /// CodeSystem rpl-text: each concept's display is its English wording and key, its
    /// designation with language `nl` the Dutch; both must be there, with the same placeholders
    /// (a site's copy that drops a language is refused, not shown half in English).
    static func wordings(_ cs: Element?) -> ([Wording.Language: Wording], [String]) {
        guard let cs else { return ([:], ["CodeSystem-rpl-text.json: missing"]) }
        var en: [String: String] = [:], nl: [String: String] = [:]
        var problems: [String] = []
        // Over UTF-8 bytes, not Characters: grapheme breaking made this most of a cold start.
        func placeholders(_ s: String) -> [String] {
            var s = s
            return s.withUTF8 { bytes in
                var out: [String] = []
                var open = -1
                for i in bytes.indices {
                    if bytes[i] == UInt8(ascii: "{") && open < 0 { open = i }
                    if bytes[i] == UInt8(ascii: "}") && open >= 0 {
                        out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[open...i]), as: UTF8.self))
                        open = -1
                    }
                }
                return out.count < 2 ? out : out.sorted()
            }
        }
        en.reserveCapacity(cs.children.count)
        nl.reserveCapacity(cs.children.count)
        // One pass over each concept's members (issue 20: every start reads all of them).
        for concept in cs.children where concept.name == "concept" {
            var code = "?", display: String?, dutch: String??, english: String??
            for member in concept.children {
                switch member.name {
                case "code" where code == "?": code = member.value ?? "?"
                case "display" where display == nil: display = member.value
                case "designation":
                    let language = member.string("language")
                    if language == "nl" && dutch == nil { dutch = .some(member.string("value")) }
                    if language == "en" && english == nil { english = .some(member.string("value")) }
                default: break
                }
            }
            guard let display, !display.isEmpty else {
                problems.append("CodeSystem-rpl-text.json: concept \(code) has no display (its English wording)")
                continue
            }
            guard let dutch = dutch ?? nil, !dutch.isEmpty else {
                problems.append("CodeSystem-rpl-text.json: concept \(code) has no designation in language nl")
                continue
            }
            if placeholders(dutch) != placeholders(display) {
                problems.append("CodeSystem-rpl-text.json: concept \(code): the Dutch has other placeholders than the English")
            }
            en[display] = (english ?? nil) ?? display
            nl[display] = dutch
        }
        return ([.en: Wording(language: .en, templates: en), .nl: Wording(language: .nl, templates: nl)], problems)
    }

    public func activityDefinitionURL(_ id: ActivityID) -> String { canonicalBase + "/ActivityDefinition/" + id.rawValue }

    public func activityDefinition(_ id: ActivityID) -> Element? { resources["ActivityDefinition/" + id.rawValue] }

    public var ruleSystem: String { canonicalBase + "/CodeSystem/rpl-rule" }
    public var activitySystem: String { canonicalBase + "/CodeSystem/rpl-activity" }
    public var identifierSystem: String { canonicalBase + "/identifier" }

    /// The identifier this program gave a resource it wrote (`identifierSystem`), if it has one.
    public func ownIdentifier(of r: Element) -> String? {
        r.children("identifier").first { $0.string("system") == identifierSystem }?.string("value")
    }
}

/// A regular file's bytes, at most the document bound; nil when it cannot be read or is not a
/// regular file (a FIFO named `input.json` must not hang a replay).
func readFile(_ path: String) -> [UInt8]? {
    try? Profiles.readBounded(path, limit: FHIRFormat.maxDocumentBytes).get()
}

/// `Profiles.requestCatalogue`'s value: the entries, and where each code, canonical and
/// ValueSet is among them (a request is matched by its own few codes, not against every entry:
/// issue 20, each of Synthea's requests was held against the whole catalogue).
final class RequestCatalogue: Sendable {
    let entries: [Requests.CatalogueEntry]
    let byCode: [CodeKey: [Int]]
    let byCanonical: [String: [Int]]
    let withValueSet: [Int]
    init(_ entries: [Requests.CatalogueEntry]) {
        self.entries = entries
        var byCode: [CodeKey: [Int]] = [:], byCanonical: [String: [Int]] = [:]
        for (i, e) in entries.enumerated() {
            for code in e.codes { byCode[code, default: []].append(i) }
            if let canonical = e.canonical { byCanonical[canonical, default: []].append(i) }
        }
        self.byCode = byCode
        self.byCanonical = byCanonical
        withValueSet = entries.indices.filter { entries[$0].valueSet != nil }
    }
}
