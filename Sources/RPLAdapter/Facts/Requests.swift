import FHIR
import RPLGuideline

/// Card area: NIET AANBEVOLEN (`Sources/RPLGuideline/NotRecommended.swift`: the 16 NR-… rules).
/// Facts: `inputRequests` (the patient's or partner's draft, active or on-hold ServiceRequests and
/// MedicationRequests, each with the not-recommended items it matches: by code, through the
/// site's ConceptMap, else by whole-word keyword; with another indication the item treats, from
/// the request's reason or a recorded Condition, and whether its reason names a thrombophilia),
/// `onStudy`, `hereditaryThrombophilia`; `alreadyRequested` (open requests
/// of the patient for an activity of the catalogue: by its ActivityDefinition's codes or canonical,
/// or by the recognition ValueSets of the test it orders).
/// Codes: Parameters-rpl-not-recommended (items, codes, keywords, the `indication` ValueSets of each
/// item), ValueSets `productsOfConception`, `hereditaryThrombophilia`, `indication*`.
/// Tests: Tests/RPLAdapterTests/Facts/RequestsFactTests.swift, Tests/RPLAdapterTests/Rules/NotRecommendedRuleTests.swift, Fixtures `nr-*`.
enum Requests: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        // The recorded conditions the exceptions read: a hereditary thrombophilia (coded), and
        // the other indications a drug item treats (coded, any clinical status: a thrombosis in
        // the past still counts).
        var conditions: [RecordedCondition] = []
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            conditions.append(RecordedCondition(index: index, code: code))
            if c.terminology.matches(code, .hereditaryThrombophilia) { facts.hereditaryThrombophilia.append(Finding(record: c.text(code), Source(index))) }
        }
        // NR-THROMBOPHILIA v3: a first-degree relative's venous thromboembolism or hereditary
        // thrombophilia (her family history, not her partner's).
        for index in c.items(["FamilyMemberHistory"]) {
            let r = c.resource(index)
            guard r.string("status") != "entered-in-error", c.person(index, "patient") == .patient,
                  c.terminology.matches(r.child("relationship"), .firstDegreeRelative) else { continue }
            for condition in r.children("condition") {
                let code = condition.child("code")
                guard c.terminology.matchesCodeOrKeyword(code, .indicationVenousThromboembolism) || c.terminology.matchesCodeOrKeyword(code, .hereditaryThrombophilia) else { continue }
                facts.familyThrombosis.append(Finding("\(record: c.text(code)) in \(c.relative(r.child("relationship")))", Source(index)))
            }
        }
        // NR-DRUGS v3: an assisted reproduction treatment the record shows (a Procedure or an
        // EpisodeOfCare), for the 60 days around a request.
        var treatments: [(when: DayInterval, text: Phrase)] = []
        for index in c.items(["Procedure", "EpisodeOfCare"]) {
            let r = c.resource(index)
            guard c.person(index, r.name == "Procedure" ? "subject" : "patient") == .patient,
                  !["entered-in-error", "not-done", "cancelled"].contains(r.string("status") ?? "") else { continue }
            let concepts = r.name == "Procedure" ? [r.child("code")].compactMap { $0 } : r.children("type")
            guard let concept = concepts.first(where: { c.terminology.matches($0, .indicationAssistedReproduction) }) else { continue }
            let start = r.string("performedDateTime") ?? r.child(r.name == "Procedure" ? "performedPeriod" : "period")?.string("start")
            let end = r.child(r.name == "Procedure" ? "performedPeriod" : "period")?.string("end")
            guard let a = start.flatMap(DayInterval.init(fhir:)) else { continue }
            let b = end.flatMap(DayInterval.init(fhir:)) ?? (r.name == "EpisodeOfCare" ? DayInterval(start: c.date, end: c.date) : a)
            treatments.append((DayInterval(start: a.start, end: max(a.end, b.end)), "\(record: c.text(concept)) (\(record: r.name) from \(a.start))"))
        }
        // One pass in input order: requests and study participation.
        var catalogue: RequestCatalogue?
        for index in c.items(["MedicationRequest", "ServiceRequest", "ResearchSubject"]) {
            let r = c.resource(index)
            let status = r.string("status") ?? ""
            switch r.name {
            case "MedicationRequest":
                guard c.person(index) != .other else { continue }
                let medication = medicationCode(c, index)
                if ["draft", "active", "on-hold"].contains(status) { request(c, index, code: medication, type: "MedicationRequest", conditions: conditions, treatments: treatments, into: &facts) }
            case "ServiceRequest":
                // A closed earlier request makes a new order a new generation (interface.md v2).
                if c.person(index) == .patient, ["completed", "revoked", "entered-in-error"].contains(status) {
                    if catalogue == nil { catalogue = Self.catalogue(c) }
                    facts.closedRequests += requested(c, index, catalogue: catalogue!)
                }
                guard c.person(index) != .other, ["draft", "active", "on-hold"].contains(status) else { continue }
                request(c, index, code: r.child("code"), type: "ServiceRequest", conditions: conditions, treatments: treatments, into: &facts)
                if c.person(index) == .patient {
                    if catalogue == nil { catalogue = Self.catalogue(c) }
                    facts.alreadyRequested += requested(c, index, catalogue: catalogue!)
                }
            default:
                // In a study ("in studieverband"), not a candidate for one (guideline.md v3).
                if ["on-study", "on-study-intervention", "on-study-observation", "follow-up"].contains(status),
                   c.person(index, "individual") == .patient {
                    facts.onStudy.append(Source(index))
                }
            }
        }
        // The newest request first, ties by identity: a rule names the first that asks for its test,
        // never by the order of the entries (found by a new user's trial, helper-43's run of the
        // clinical audit's records: two open TSH requests named either date as the entries turned).
        func newest(_ a: RequestedActivity, _ b: RequestedActivity) -> Bool {
            let da = a.authoredOn.flatMap(DayInterval.init(fhir:))?.end, db = b.authoredOn.flatMap(DayInterval.init(fhir:))?.end
            switch (da, db) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: break
            }
            return a.source.index == b.source.index ? false : c.identities.tieBreak(a.source.index, b.source.index)
        }
        facts.alreadyRequested.sort(by: newest)
    }

    /// One way a request names a catalogue activity: the ActivityDefinition's canonical, its codes,
    /// or (for one test of a panel) an item's code.
    struct CatalogueEntry: Sendable {
        var activity: ActivityID
        var item: String?
        var canonical: String?
        var codes: Set<CodeKey>
        /// For one test of a panel: the ValueSet that recognises its results (`rpl-<item>`, where
        /// Profiles has one) also recognises its requests under another of its codes.
        var valueSet: ValueSetID? = nil
    }

    /// The order catalogue as requests name it: made once per Profiles, not per input.
    static func catalogue(_ c: FactContext) -> RequestCatalogue {
        if let made = c.profiles.requestCatalogue.load() { return made }
        return c.profiles.requestCatalogue.storeIfNil(RequestCatalogue(makeCatalogue(c.profiles)))
    }

    static func makeCatalogue(_ profiles: Profiles) -> [CatalogueEntry] {
        var entries: [CatalogueEntry] = []
        for activity in ActivityID.allCases {
            guard let ad = profiles.activityDefinition(activity) else { continue }
            entries.append(CatalogueEntry(activity: activity, item: nil, canonical: profiles.activityDefinitionURL(activity),
                                          codes: Set(profiles.terminology.codes(of: ad.child("code")))))
            for item in profiles.catalogue.items(of: activity) {
                guard let code = item.code else { continue }
                entries.append(CatalogueEntry(activity: activity, item: item.item, canonical: nil, codes: [code],
                                              valueSet: ValueSetID(rawValue: "rpl-" + item.item)))
            }
        }
        return entries
    }

    /// The catalogue activities an open ServiceRequest asks for.
    static func requested(_ c: FactContext, _ index: Int, catalogue: RequestCatalogue) -> [RequestedActivity] {
        let r = c.resource(index)
        let codes = c.terminology.codes(of: r.child("code"))
        let canonicals = r.children("instantiatesCanonical").compactMap(\.value)
        let authored = r.string("authoredOn")
        var found: [RequestedActivity] = []
        func add(_ a: ActivityID, _ item: String? = nil) {
            let new = RequestedActivity(activity: a, item: item, source: Source(index), authoredOn: authored)
            if !found.contains(new) { found.append(new) }
        }
        let concept = r.child("code")
        // The entries that name one of its canonicals or codes, or whose ValueSet recognises its
        // code: in the catalogue's order.
        var hits = Set<Int>()
        for canonical in canonicals { hits.formUnion(catalogue.byCanonical[canonical] ?? []) }
        for code in codes { hits.formUnion(catalogue.byCode[code] ?? []) }
        for i in catalogue.withValueSet where !hits.contains(i) && c.terminology.matches(concept, catalogue.entries[i].valueSet!) { hits.insert(i) }
        for i in hits.sorted() { add(catalogue.entries[i].activity, catalogue.entries[i].item) }
        // A test ordered under another of its codes: the ValueSets that recognise its results.
        if c.terminology.matches(concept, .tsh) { add(.thyroidTsh) }
        if c.terminology.matches(concept, .freeT4) { add(.thyroidFt4) }
        if c.terminology.matches(concept, .uterineImaging) { add(.uterineUltrasound) }
        if c.terminology.matches(concept, .prolactin) { add(.prolactin) }
        // An ANA test already requested answers RPL-ANA's "consider ANA".
        if c.terminology.matches(concept, .ana) { add(.anaConsider) }
        if c.terminology.matches(concept, .lupusAnticoagulant) || c.terminology.matches(concept, .lupusAnticoagulantPanel)
            || c.terminology.matches(concept, .lupusAnticoagulantRatio) {
            add(.aplTesting, AntiphospholipidTest.lupusAnticoagulant.rawValue)
        }
        return found
    }

    /// The code systems a route is judged by: a route coded only locally says nothing here.
    static let routeSystems: Set<String> = ["http://snomed.info/sct", "http://standardterms.edqm.eu"]

    /// Whether a medication request's (or statement's) dosage gives a route, coded in SNOMED CT or
    /// EDQM, and none of its routes is vaginal (terminology.md v2: only vaginal G03DA04 is the
    /// card's progesterone; found by a clinical audit, helper-42: an oral one was taken for it).
    /// No route, or only local codes: false (the product's code decides, as before).
    static func notVaginal(_ c: FactContext, _ index: Int) -> Bool {
        let r = c.resource(index)
        let dosages = r.children(r.name == "MedicationRequest" ? "dosageInstruction" : "dosage")
        var coded = false
        for dosage in dosages {
            guard let route = dosage.child("route") else { continue }
            if c.terminology.matches(route, .routeVaginal) { return false }
            if c.terminology.codes(of: route).contains(where: { routeSystems.contains($0.system) }) { coded = true }
        }
        return coded
    }

    /// A medication request's or statement's code: its CodeableConcept, or its Medication's code.
    static func medicationCode(_ c: FactContext, _ index: Int) -> Element? {
        let r = c.resource(index)
        if let concept = r.child("medicationCodeableConcept") { return concept }
        if let ref = r.child("medicationReference") {
            if let m = c.input.resolve(ref, from: index) { return c.resource(m).child("code") }
            if let s = ref.string("reference") { c.warn(index, .unresolved(field: "medication", reference: s, consequence: "treated as missing")) }
        }
        return nil
    }

    /// The concepts a request gives as its reason: `reasonCode`, and the code of each Condition
    /// (or Observation) `reasonReference` points to.
    static func reasons(_ c: FactContext, _ index: Int) -> [Element] {
        let r = c.resource(index)
        var out = r.children("reasonCode")
        for ref in r.children("reasonReference") {
            if let target = c.input.resolve(ref, from: index) {
                if let code = c.resource(target).child("code") { out.append(code) }
            } else if let s = ref.string("reference") {
                c.warn(index, .unresolved(field: "reasonReference", reference: s, consequence: "not read as a reason"))
            }
        }
        return out
    }

    /// Another indication the item treats (guideline.md v2 §4), in words: named in the request's
    /// reason (by code, or by keyword: text may hold back a flag), or a recorded Condition (coded).
    /// A Condition of the patient (not refuted, not entered in error) and its code.
    struct RecordedCondition {
        var index: Int
        var code: Element?
    }

    static func otherIndication(_ c: FactContext, _ item: Profiles.NotRecommendedItem, reasons: [Element], conditions: [RecordedCondition]) -> Phrase? {
        for valueSet in item.indications {
            if let reason = reasons.first(where: { c.terminology.matchesCodeOrKeyword($0, valueSet) }) { return "the request's reason: \(record: c.text(reason))" }
            if let condition = conditions.first(where: { c.terminology.matches($0.code, valueSet) }) { return .record(c.text(condition.code)) }
        }
        return nil
    }

    static func request(_ c: FactContext, _ index: Int, code: Element?, type: String, conditions: [RecordedCondition],
                        treatments: [(when: DayInterval, text: Phrase)], into facts: inout Facts) {
        let r = c.resource(index)
        if r.children("basedOn").contains(where: { ($0.string("reference") ?? "").hasPrefix("ResearchStudy/") || $0.string("type") == "ResearchStudy" })
            || r.children("extension").contains(where: { ($0.string("url") ?? "").hasSuffix("workflow-researchStudy") }) {
            facts.onStudy.append(Source(index))
        }
        let codes = c.terminology.codes(of: code)
        var matches: [InputRequest.Match] = []
        // By code (ATC by group); within a line the most specific item wins (G03DA04 progesterone,
        // not the G03D progestogens; G03GA01 hCG, not the G03GA gonadotropins).
        var best: [RuleID: (specificity: Int, match: InputRequest.Match)] = [:]
        for item in c.profiles.notRecommended where item.appliesTo == type {
            guard let specificity = item.specificity(of: codes) else { continue }
            if let known = best[item.ruleId], known.specificity >= specificity { continue }
            best[item.ruleId] = (specificity, InputRequest.Match(ruleId: item.ruleId, item: item.item, byKeyword: false))
        }
        for item in c.profiles.notRecommended where item.appliesTo == type {
            if let found = best[item.ruleId], !matches.contains(found.match) { matches.append(found.match) }
        }
        // Keywords only for a request that carries no recognised code (guideline.md v2): a coded
        // budesonide inhaler or a coded urine protein/creatinine ratio is never read as text.
        if matches.isEmpty && !c.terminology.hasRecognisedCode(code) {
            let texts = Terminology.texts(of: code)
            for item in c.profiles.notRecommended where item.appliesTo == type {
                // The keyword as Profiles lists it (normalised), said in the plan: the record's word.
                if let keyword = item.keywords.first(where: { k in texts.contains { Terminology.containsWord($0, k) } }),
                   !item.excludeKeywords.contains(where: { k in texts.contains { Terminology.containsWord($0, k) } }) {
                    var match = InputRequest.Match(ruleId: item.ruleId, item: item.item, byKeyword: true)
                    match.keyword = keyword
                    matches.append(match)
                }
            }
        }
        // A karyotype on pregnancy tissue is NR-TISSUE-GENETICS, not NR-KARYOTYPE.
        if matches.contains(where: { $0.ruleId == .nrKaryotype }), let s = c.input.resolve(r.child("specimen"), from: index),
           c.terminology.matches(c.resource(s).child("type"), .productsOfConception) {
            matches.append(InputRequest.Match(ruleId: .nrTissueGenetics, item: "pregnancy tissue genetics", byKeyword: false))
        }
        guard !matches.isEmpty else { return }
        // The route is read only for a progesterone match (every other request is judged without it).
        if matches.contains(where: { $0.item == "progesterone" }), notVaginal(c, index) {
            for i in matches.indices where matches[i].item == "progesterone" { matches[i].notVaginal = true }
        }
        let reasons = reasons(c, index)
        for i in matches.indices {
            guard let item = c.profiles.notRecommended.first(where: { $0.ruleId == matches[i].ruleId && $0.item == matches[i].item && $0.appliesTo == type }),
                  !item.indications.isEmpty else { continue }
            matches[i].otherIndication = otherIndication(c, item, reasons: reasons, conditions: conditions)
            // A request with no authoredOn is made now (the evaluation date).
            let authored = r.string("authoredOn").flatMap(DayInterval.init(fhir:)) ?? DayInterval(start: c.date, end: c.date)
            if matches[i].otherIndication == nil, item.indications.contains(.indicationAssistedReproduction),
               let treatment = treatments.filter({ $0.when.gap(to: authored) <= 60 }).min(by: { ($0.when.start, $0.text.description) < ($1.when.start, $1.text.description) }) {
                matches[i].otherIndication = "assisted reproduction: \(treatment.text), within 60 days of the request"
            }
        }
        let thrombophilia = reasons.contains { c.terminology.matchesCodeOrKeyword($0, .hereditaryThrombophilia) }
        facts.inputRequests.append(InputRequest(source: Source(index), description: type == "MedicationRequest" ? "MedicationRequest \(record: c.text(code))" : "ServiceRequest \(record: c.text(code))", matches: matches,
                                                reasonNamesThrombophilia: thrombophilia, forPatient: c.person(index) == .patient))
    }
}
