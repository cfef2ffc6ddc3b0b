import FHIR
import RPLGuideline

import Digests
#if canImport(Glibc)
import Glibc
#endif

/// The whole job for one input Bundle: FHIR → facts → rules → plan → FHIR.
public struct Adapter: Sendable {
    public static let version = "0.1.0"

    public let profiles: Profiles
    /// The site settings in force: Profiles' `Parameters-rpl-site`, the requester overridden by
    /// `--requester`.
    public let site: SiteSettings
    /// The language of the texts a clinician reads (issue 19).
    public var wording: Wording

    /// `language`: the run's `--language`, else the site's setting (Dutch by default).
    public init(profiles: Profiles, requester: Element? = nil, language: Wording.Language? = nil) {
        self.profiles = profiles
        var site = profiles.site
        if let requester { site.requester = requester }
        if let language { site.language = language }
        self.site = site
        self.wording = profiles.wording(site.language)
    }

    /// The resource types the facts are made of; readers need not build the others (Encounters,
    /// Claims, … are most of a real record).
    public static let resourceTypesRead: Set<String> = [
        "Patient", "RelatedPerson", "Condition", "Observation", "FamilyMemberHistory", "DiagnosticReport", "ImagingStudy",
        "Procedure", "MedicationRequest", "MedicationStatement", "Medication", "ServiceRequest", "ResearchSubject", "Specimen",
        "CarePlan",  // an earlier plan of this program, withdrawn when replaced (interface.md v3)
        "EpisodeOfCare",  // assisted reproduction (NR-DRUGS v3; found by helper-31's trial: it was never built)
    ]

    /// Reads an input Bundle for `apply`, building only the resources the facts are made of.
    /// An entry whose resource type R4 does not know is refused: `convert` keeps one (a later
    /// version's, a local type), but `apply` would read nothing of it, and a misspelt
    /// "Conditon" holding a loss would change the plan unseen (found by a new user's trial).
    /// `discarding`: the caller gives the bytes up (see `FHIRFormat.read(discarding:…)`).
    /// `screen`: the Observations built whole only if they may matter (`Profiles.observationScreen`;
    /// JSON only): the others are skeletons, their members past the skeleton checked for syntax
    /// only, as a Claim's are.
    /// A skeleton that may be a copy of another Observation (one id or one fullUrl) sends the input
    /// to a full reading: which copy is newer, and whether copies differ, is told by their content
    /// (helper-46's review). Bytes given up (`discarding`) cannot be read again: they are read in
    /// full from the start.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, as format: FHIRFormat, discarding: Bool = false,
                            screen: ResourceScreen? = nil) throws(FHIRFormatError) -> Element {
        let screen = discarding || format != .json ? nil : screen
        var bundle = discarding
            ? try format.read(discarding: bytes, materialise: { resourceTypesRead.contains($0) })
            : try format.read(bytes, materialise: { resourceTypesRead.contains($0) }, screen: screen)
        if let screen, mayHoldCopiesOfSkeletons(bundle, screen) {
            bundle = try format.read(bytes, materialise: { resourceTypesRead.contains($0) })
        }
        var n = 0
        func unknown(_ type: String) -> Bool { !resourceTypesRead.contains(type) && !TypeTable.r4.isResourceType(type) }
        for entry in bundle.children where entry.name == "entry" {
            defer { n += 1 }
            guard let resource = entry.child("resource")?.resource else { continue }
            if unknown(resource.name) {
                throw FHIRFormatError(.invalid, "\"\(resource.name)\" is not an R4 resource type: the entry cannot be read (a misspelling, or another FHIR version's type)",
                                      location: "Bundle.entry[\(n)].resource")
            }
            // The contained resources of one that is read are read with it.
            var c = 0
            for contained in resource.children where contained.name == "contained" {
                defer { c += 1 }
                guard let inner = contained.resource, unknown(inner.name) else { continue }
                throw FHIRFormatError(.invalid, "\"\(inner.name)\" is not an R4 resource type: the contained resource cannot be read (a misspelling, or another FHIR version's type)",
                                      location: "Bundle.entry[\(n)].resource.ofType(\(resource.name)).contained[\(c)]")
            }
        }
        return bundle
    }

    /// Whether a screened resource kept as a skeleton (only `id` and `meta`) shares its id or its
    /// entry's fullUrl with another resource of its type: then they may be copies, which the
    /// skeleton's content cannot tell apart.
    static func mayHoldCopiesOfSkeletons(_ bundle: Element, _ screen: ResourceScreen) -> Bool {
        // Each fullUrl's and each id's first holder: its type and whether it is a skeleton (ids of
        // two types are no copies). Asked of every screened Bundle: no key made, one hash each.
        var fullUrls: [String: Bool] = [:], ids: [String: (type: String, skeleton: Bool)] = [:]
        fullUrls.reserveCapacity(bundle.children.count)
        ids.reserveCapacity(bundle.children.count)
        for entry in bundle.children where entry.name == "entry" {
            guard let r = entry.child("resource")?.resource, screen.types.contains(r.name) else { continue }
            let skeleton = r.children.allSatisfy { $0.name == "id" || $0.name == "meta" }
            if let url = entry.string("fullUrl"), let other = fullUrls.updateValue(skeleton, forKey: url), other || skeleton { return true }
            if let id = r.string("id"), let other = ids.updateValue((r.name, skeleton), forKey: id), other.type == r.name, other.skeleton || skeleton { return true }
        }
        return false
    }

    public struct Result: Sendable {
        /// The transaction Bundle (empty when not indicated); `$apply`'s CarePlan; for suggestions,
        /// an empty collection (what they create is `written`).
        public var output: Element
        /// The warnings about the input, as phrases (the plan's notes and the cards word them).
        public var warningPhrases: [Phrase]
        /// The same warnings in English, for operators (standard error).
        public var warnings: [String] { warningPhrases.map(\.operatorText) }
        /// When no plan was made: why (a line for standard error).
        public var notIndicated: String?
        public var plan: Plan?
        /// interface.md v3: the `batch` of earlier proposals withdrawn, written after `output`;
        /// nil when there is nothing to withdraw.
        public var withdrawals: Element? = nil
        /// The resources the plan's writers made, one per recommendation that has one (in the
        /// plan's order): what the CDS Hooks cards are written from.
        public var written: [Written] = []
        /// The open requests of the input for the card's activities.
        public var requested: [Requested] = []
        /// Suggestions (CDS Hooks): this program's earlier draft requests in the record that the
        /// plan no longer makes (to offer to delete), and the identifier values of those it makes
        /// again (not to offer twice: a create suggestion taken again doubles the order).
        public var staleDrafts: [StaleDraft] = []
        public var alreadyDrafted: Set<String> = []
        /// The plan's laboratory orders, typed, with the patient they are for (what the HL7 v2
        /// writer reads); empty when no plan was made.
        public var orderSet = OrderSet()
    }

    /// An earlier draft request of this program that the plan no longer makes: its server
    /// reference and what it asks for.
    public struct StaleDraft: Sendable, Equatable {
        public var reference: String
        public var what: String
    }

    /// Earlier proposals of this program that the new output no longer makes (interface.md v3):
    /// the batch, the new plan made to replace an earlier one, and what must be withdrawn by hand
    /// said in the plan and as a warning.
    func withdrawing(_ result: Result, input: InputBundle, extractor: FactExtractor, date: CalendarDate, wording: Wording) -> Result {
        var result = result
        let w = Withdrawals.find(input: input, identities: extractor.identities, patient: extractor.patient, partners: extractor.partners, profiles: profiles,
                                 output: result.output, date: date, correlation: result.output.child("identifier"), wording: wording)
        result.withdrawals = w.batch
        result.warningPhrases += w.byHand
        guard !w.replaced.isEmpty || !w.byHand.isEmpty else { return result }
        for e in result.output.children.indices where result.output.children[e].name == "entry" {
            guard let r = result.output.children[e].child("resource")?.resource, r.name == "CarePlan" else { continue }
            var plan = r
            // R4 order: replaces after identifier, instantiates* and basedOn.
            let at = (plan.children.lastIndex { ["id", "meta", "text", "contained", "extension", "identifier", "instantiatesCanonical", "instantiatesUri", "basedOn"].contains($0.name) } ?? -1) + 1
            plan.children.insert(contentsOf: w.replaced.map { .complex("replaces", [.primitive("reference", $0)]) }, at: at)
            for line in w.byHand { plan.children.append(.complex("note", [.primitive("text", wording.text(Wording.inputWarning(line)))])) }
            result.output.children[e].children = result.output.children[e].children.map { $0.name == "resource" ? .wrapping("resource", plan) : $0 }
        }
        return result
    }

    /// The HL7 v2.5.1 OML^O21 messages of a plan (interface.md v2, v3), and what was changed to
    /// fit HL7 v2 (warnings). None without an ordering provider with an AGB code (the caller
    /// refuses that case up front: `HL7v2.needsRequester`, `HL7v2.needsAGB`). A patient who cannot
    /// be identified in PID-3, or an identifier longer than HL7 v2 allows, is refused.
    public func hl7v2(_ result: Result) throws(HL7v2.Refusal) -> (messages: [String], warnings: [String]) {
        guard let patient = result.orderSet.patient else { return ([], []) }
        // interface.md v3: never an empty PID-3. Her orders stayed proposals (see `apply`), so there
        // are no signed orders to write; she is refused all the same, so the lab never waits for them.
        if !patient.hasBusinessIdentifier {
            throw HL7v2.Refusal(field: "PID-3", location: "Patient.identifier",
                                message: "HL7 v2 orders need the patient identified in PID-3: the patient has no business identifier (Patient.identifier with system and value); her requests are draft proposals and no message is written")
        }
        guard site.requester != nil else { return ([], []) }
        return try HL7v2.messages(result.orderSet, site: site)
    }

    /// What an output answers (interface.md v2: `Bundle.identifier` of every output): the input
    /// Bundle's identifier, else its id, else `fallback` (the caller's: an ndjson line number and
    /// a hash of the line, or a hash of the document).
    public static func inputName(_ bundle: Element, fallback: String?) -> String {
        if let i = bundle.child("identifier"), let v = i.string("value") { return (i.string("system").map { $0 + "|" } ?? "") + v }
        if let id = bundle.string("id") { return "Bundle/" + id }
        return fallback ?? "unnamed input"
    }

    /// Whether a Bundle names itself (an identifier or an id): then no hash of its bytes is needed.
    public static func namesItself(_ bundle: Element) -> Bool {
        bundle.child("identifier")?.string("value") != nil || bundle.string("id") != nil
    }

    /// How to name an input that has neither an identifier nor an id: a hash of its bytes, with
    /// its ndjson line number where it is one line of a stream.
    public static func inputFallback(_ bytes: UnsafeBufferPointer<UInt8>, line: Int? = nil) -> String {
        (line.map { "line \($0) " } ?? "") + "digest:" + Digest.fast128(bytes)
    }

    /// An OperationOutcome that names the input it answers (interface.md v2: every output does;
    /// R4 OperationOutcome has no identifier, so an extension carries it).
    public func namingInput(_ outcome: Element, _ inputName: String) -> Element {
        var o = outcome
        o.children.insert(.complex("extension", [.primitive("url", profiles.canonicalBase + "/StructureDefinition/input"),
                                                 .complex("valueIdentifier", outputIdentifier(inputName).children)]), at: 0)
        return o
    }

    /// The identifier every output carries, naming its input.
    public func outputIdentifier(_ inputName: String) -> Element {
        .complex("identifier", [.primitive("system", profiles.canonicalBase + "/input"), .primitive("value", inputName)])
    }

    /// `asOf`: the evaluation date; without it the Bundle's timestamp, else today (local time zone).
    /// `inputFallback`: how to name an input that has neither an identifier nor an id. `form`: a
    /// transaction (`apply`), or one CarePlan with its resources contained (`$apply`).
    /// `partnerRecordsChecked`: false where the partner's own records could not be read (a CDS
    /// Hooks prefetch): his rules give notes.
    public func apply(_ bundle: Element, asOf: CalendarDate?, inputFallback: String? = nil, form: PlanForm = .transaction,
                      partnerRecordsChecked: Bool = true) throws(FHIRFormatError) -> Result {
        let name = Adapter.inputName(bundle, fallback: inputFallback)
        let empty = Element.resource("Bundle", [outputIdentifier(name), .primitive("type", "transaction")])
        guard bundle.isResource, bundle.name == "Bundle" else {
            throw FHIRFormatError(.invalid, "expected a Bundle, got \(bundle.name)", location: bundle.name)
        }
        let date = asOf ?? bundle.string("timestamp").flatMap { CalendarDate(fhir: $0) } ?? Adapter.today()
        let input = InputBundle(bundle)
        try input.checkVersions()
        let extractor: FactExtractor
        do {
            extractor = try FactExtractor(input: input, profiles: profiles, evaluationDate: date)
        } catch let e as FactExtractor.Failure {
            throw FHIRFormatError(.invalid, e.message, location: "Bundle")
        } catch {
            throw FHIRFormatError(.invalid, "\(error)", location: "Bundle")
        }
        var emitter = PlanEmitter(input: input, identities: extractor.identities, profiles: profiles, site: site, patient: extractor.patient,
                                  date: date, version: Adapter.version, inputName: name)
        emitter.form = form
        emitter.wording = wording
        let warnings = extractor.warnings
        // guideline.md v2: a deceased patient gets no plan (as when not indicated: exit 0, the reason said).
        let patient = input.items[extractor.patient].resource
        if patient.string("deceasedBoolean") == "true" || patient.string("deceasedDateTime") != nil {
            let why: Phrase = patient.string("deceasedDateTime").map { "the patient is recorded as deceased (\(record: $0))" } ?? "the patient is recorded as deceased"
            return Result(output: form == .transaction ? empty : emitter.carePlanWithoutActivity(why, warnings: warnings),
                          warningPhrases: warnings, notIndicated: why.operatorText, plan: nil)
        }
        var facts = extractor.facts
        facts.partnerRecordsNotChecked = !partnerRecordsChecked
        let plan = Guideline.evaluate(facts, settings: guidelineSettings)
        return plan.indicated ? planned(plan, emitter, warnings: warnings, extractor: extractor)
            : notIndicated(plan, emitter, warnings: warnings, empty: empty, extractor: extractor)
    }

    /// The card's settings as this site's Profiles set them.
    var guidelineSettings: GuidelineSettings {
        var settings = GuidelineSettings()
        settings.antiphospholipidRepeatDays = profiles.defaults.antiphospholipidRepeatDays
        settings.postpartumDays = profiles.defaults.postpartumDays
        settings.tissueGeneticsWithinDays = profiles.defaults.tissueGeneticsWithinDays
        settings.progesteroneUntil = GestationalAge(days: profiles.defaults.progesteroneUntilDays)
        settings.earlyBleedingUntil = GestationalAge(days: profiles.defaults.earlyBleedingUntilDays)
        return settings
    }

    /// An indicated plan, written in the emitter's form (withdrawals only beside a transaction).
    func planned(_ plan: Plan, _ emitter: PlanEmitter, warnings: [Phrase], extractor: FactExtractor) -> Result {
        var emitter = emitter, warnings = warnings
        let patient = emitter.input.items[extractor.patient].resource
        switch emitter.form {
        case .transaction: break
        // interface.md v3, serve: $apply's CarePlan is draft/proposal whatever the site's requester.
        case .containedCarePlan: emitter.site.requester = nil
        // The clinician in the hook's context signs what a suggestion creates.
        case .suggestions(let requester): emitter.site.requester = requester
        }
        // interface.md v3, who may be ordered for: only a patient with a business identifier.
        if emitter.site.requester != nil && !Identities.hasBusinessIdentifier(patient) {
            warnings.append("the patient has no business identifier (Patient.identifier with system and value): no order is signed for her; every request stays a draft proposal for a clinician")
            emitter.site.requester = nil
        }
        let (output, orderSet, written, order) = emitter.emit(plan, warnings: warnings)
        // The plan as written (a CDS card lists it in the same order, whatever the entries' order).
        var asWritten = plan
        asWritten.recommendations = order
        var result = Result(output: output, warningPhrases: warnings, notIndicated: nil, plan: asWritten)
        result.orderSet = orderSet
        result.written = written
        result.requested = extractor.facts.alreadyRequested.map {
            Requested(reference: emitter.input.serverId($0.source.index), activity: $0.activity, item: $0.item)
        }
        if emitter.form.isSuggestion {
            // What a card must not create twice, and what it may withdraw (helper-39's trial: the
            // card's own drafts, taken once, were offered again; one a new result made stale was
            // not named). The same judgement as the transaction's withdrawals.
            let made = Element.resource("Bundle", written.map { .complex("entry", [.wrapping("resource", $0.resource)]) })
            let w = Withdrawals.find(input: emitter.input, identities: extractor.identities, patient: extractor.patient, partners: extractor.partners,
                                     profiles: profiles, output: made, date: emitter.date, correlation: nil, wording: emitter.wording, forCard: true)
            result.staleDrafts = w.stale
            result.alreadyDrafted = w.present
            result.warningPhrases += w.unnamed
        }
        guard emitter.form == .transaction else { return result }
        return withdrawing(result, input: emitter.input, extractor: extractor, date: emitter.date, wording: emitter.wording)
    }

    func notIndicated(_ plan: Plan, _ emitter: PlanEmitter, warnings: [Phrase], empty: Element, extractor: FactExtractor) -> Result {
        let why = plan.indication.operatorText
        guard emitter.form == .transaction else {
            return Result(output: emitter.carePlanWithoutActivity(plan.indication, warnings: warnings), warningPhrases: warnings, notIndicated: why, plan: plan)
        }
        return withdrawing(Result(output: empty, warningPhrases: warnings, notIndicated: why, plan: plan),
                           input: emitter.input, extractor: extractor, date: emitter.date, wording: emitter.wording)
    }

    /// Today in the local time zone (`TZ`): interface.md v2.
    static func today() -> CalendarDate {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        return CalendarDate(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday))!
    }
}
