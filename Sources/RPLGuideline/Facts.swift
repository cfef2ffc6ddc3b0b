/// What the rules read: plain Swift facts about one patient, made from FHIR by the adapter
/// (guideline.md §0). No FHIR types: a `Source` is an opaque handle the adapter gives each input
/// resource so that a recommendation can point back at the data that triggered it.
public struct Source: Sendable, Hashable, Comparable {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Source, b: Source) -> Bool { a.index < b.index }
}

public struct PregnancyLoss: Sendable, Hashable {
    /// The onset, when it is a full date.
    public var date: CalendarDate?
    /// The first and last day the onsets of its records may mean (`2021-05` → 2021-05-01 and
    /// 2021-05-31); nil when no onset is recorded.
    public var earliestDate: CalendarDate?
    public var latestDate: CalendarDate?
    public var secondTrimester: Bool
    public var sources: [Source]
    /// Fetal structural or ultrasound anomalies recorded for this pregnancy (`lossWithStructuralAnomaly`:
    /// RPL-TISSUE-GENETICS); `byText` ones only hold back NR-TISSUE-GENETICS.
    public var structuralAnomalies: [Finding] = []
    /// An undated loss's recording date (never its date; guideline.md v3 range of the count).
    public var recordedOn: CalendarDate?
    public init(date: CalendarDate?, earliestDate: CalendarDate? = nil, latestDate: CalendarDate? = nil, secondTrimester: Bool, sources: [Source]) {
        self.date = date
        self.earliestDate = earliestDate ?? date
        self.latestDate = latestDate ?? date
        self.secondTrimester = secondTrimester
        self.sources = sources
    }
}

/// The input says at least this many losses (a "recurrent miscarriage" Condition means ≥ 2; an
/// Observation of the number of previous miscarriages).
public struct StatedLossCount: Sendable, Hashable {
    public var count: Int
    public var sources: [Source]
    public init(count: Int, sources: [Source]) {
        self.count = count
        self.sources = sources
    }
}

public enum LabClassification: String, Sendable {
    case low, normal, high

    public var phrase: Phrase {
        switch self {
        case .low: "low"
        case .normal: "normal"
        case .high: "high"
        }
    }
}

/// A thyroid result converted to the unit the card's defaults use (TSH mU/L, free T4 pmol/L).
public struct ThyroidResult: Sendable, Hashable {
    public var value: Double
    /// The Quantity's comparator ("<", "<=", ">=", ">") when the value is a bound, else "".
    public var comparator = ""
    public var unit: String
    /// The day it is read as: for a partial date (`2026-10`) the last day it may mean.
    public var date: CalendarDate
    /// A partial date (`2026-10`) as recorded, and the first day it may mean; nil for a full date.
    public var partialDate: String?
    public var earliestDate: CalendarDate?
    /// "on 2026-10-15", or for a partial date "in 2026-10" (never a day the record does not give:
    /// found by a clinical audit, helper-42).
    public var when: Phrase { partialDate.map { "in \(record: $0)" } ?? "on \(date)" }
    public var classification: LabClassification
    /// How the classification was made: "reference range", "interpretation", "default range".
    public var basis: Phrase
    public var source: Source
    public init(value: Double, unit: String, date: CalendarDate, classification: LabClassification, basis: Phrase, source: Source) {
        self.value = value
        self.unit = unit
        self.date = date
        self.classification = classification
        self.basis = basis
        self.source = source
    }

    /// The value as the plan text shows it, with its comparator (`<0.1`).
    public var valueText: String { comparator + formatNumber(value) }
}

/// The five antiphospholipid tests of the card.
public enum AntiphospholipidTest: String, Sendable, CaseIterable, Comparable {
    case lupusAnticoagulant = "lupus-anticoagulant"
    case anticardiolipinIgG = "anticardiolipin-igg"
    case anticardiolipinIgM = "anticardiolipin-igm"
    case antiB2GPIIgG = "anti-b2gpi-igg"
    case antiB2GPIIgM = "anti-b2gpi-igm"

    public var display: Phrase {
        switch self {
        case .lupusAnticoagulant: return "lupus anticoagulant"
        case .anticardiolipinIgG: return "anticardiolipin IgG"
        case .anticardiolipinIgM: return "anticardiolipin IgM"
        case .antiB2GPIIgG: return "anti-β2-glycoprotein-I IgG"
        case .antiB2GPIIgM: return "anti-β2-glycoprotein-I IgM"
        }
    }

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

public struct AntiphospholipidResult: Sendable, Hashable {
    /// Its day; for a partial date (`2026-05`, guideline.md v2/v3: an interval) the last day it
    /// may mean, so a repeat is never timed too early.
    public var date: CalendarDate
    /// The first day it may mean (the same day for a full date): a later result is "at least 12
    /// weeks after" only when it is for every day both may mean.
    public var earliest: CalendarDate
    public var positive: Bool
    public var source: Source
    /// Why an indeterminate result is neither positive nor negative (guideline.md v3: equivocal,
    /// or a value and an interpretation that disagree); nil: a level with no limit (v2).
    public var indeterminate: Phrase?
    public init(date: CalendarDate, earliest: CalendarDate? = nil, positive: Bool, source: Source, indeterminate: Phrase? = nil) {
        self.date = date
        self.earliest = earliest ?? date
        self.positive = positive
        self.source = source
        self.indeterminate = indeterminate
    }
}

public struct Finding: Sendable, Hashable {
    /// What was found, in words (for the plan text): the record's words, or the adapter's phrase.
    public var text: Phrase
    public var source: Source
    /// Recognised by a keyword in free text, not by a code (guideline.md v2: text may hold back a
    /// not-recommended flag, never create an order or an activity).
    public var byText: Bool
    public init(_ text: Phrase, _ source: Source, byText: Bool = false) {
        self.text = text
        self.source = source
        self.byText = byText
    }

    /// The record's own words (a code's display or text), never translated.
    public init(record text: String, _ source: Source, byText: Bool = false) {
        self.init(.record(text), source, byText: byText)
    }
}

extension Array where Element == Finding {
    /// The findings' words, "; " between them.
    public var listed: Phrase { .joined(map(\.text), separator: "; ") }
}

extension Array where Element == Finding {
    /// The findings recognised by a code.
    public var coded: [Finding] { filter { !$0.byText } }
}

/// The partner in the input (a RelatedPerson, or a second, non-female Patient).
public struct Partner: Sendable, Hashable {
    public var source: Source
    /// An order can name him: a Patient with a server id, or anyone with an identifier (interface.md
    /// v2: conditionally created as a Patient). Else his orders are plan activities.
    public var identifiable: Bool
    /// A female partner (guideline.md v3): not the genetic father; no karyotype order for her.
    public var female = false
    public init(source: Source, identifiable: Bool, female: Bool = false) {
        self.source = source
        self.identifiable = identifiable
        self.female = female
    }
}

/// A finding with the day it happened (a delivery, a bleeding with no pregnancy found).
public struct DatedFinding: Sendable, Hashable {
    public var date: CalendarDate
    public var finding: Finding
    public init(date: CalendarDate, finding: Finding) {
        self.date = date
        self.finding = finding
    }
}

/// Vaginal bleeding or threatened miscarriage in the current pregnancy.
public struct Bleeding: Sendable, Hashable {
    /// Gestational age at its onset, where the input allows computing it.
    public var gestationalAgeAtOnset: GestationalAge?
    public var finding: Finding
    public init(gestationalAgeAtOnset: GestationalAge?, finding: Finding) {
        self.gestationalAgeAtOnset = gestationalAgeAtOnset
        self.finding = finding
    }
}

/// One test of an ordered profile (RPL-HORMONE-PROFILE; the tests are a setting in Profiles) and
/// its result in the lookback window, if any.
public struct ProfileTest: Sendable, Hashable {
    /// The item code of the order catalogue ("fsh").
    public var item: String
    public var text: String
    public var result: Source?
    public init(item: String, text: String, result: Source?) {
        self.item = item
        self.text = text
        self.result = result
    }
}

public struct CurrentPregnancy: Sendable, Hashable {
    /// Gestational age at the evaluation date; nil when the input says pregnant but gives no dating.
    public var gestationalAge: GestationalAge?
    public var sources: [Source]
    public init(gestationalAge: GestationalAge?, sources: [Source]) {
        self.gestationalAge = gestationalAge
        self.sources = sources
    }
}

/// A medicine on record: a MedicationStatement (active, completed or stopped) or a
/// MedicationRequest (active or completed), with its start where recorded.
public struct MedicationUse: Sendable, Hashable {
    public var source: Source
    /// `effective[x]`, `authoredOn`, else `dateAsserted`: the first day it may have started.
    public var start: CalendarDate?
    /// Taken now: a MedicationStatement active, or a MedicationRequest active, not ended before
    /// the evaluation date and not stale (guideline.md v3).
    public var current: Bool
    /// The last day of use, where recorded (v3: a course that ended before a TSH was not taken then).
    public var end: CalendarDate?
    /// Active, but with no known end and started (or asserted) longer ago than the setting
    /// `medicationWithoutEndMonths` (12 months by default): not taken now.
    public var stale: Stale?
    public var text: Phrase = "levothyroxine"
    public init(source: Source, start: CalendarDate?, current: Bool, end: CalendarDate? = nil, stale: Stale? = nil) {
        self.source = source
        self.start = start
        self.current = current
        self.end = end
        self.stale = stale
    }

    /// A record's latest date, and the months after which a record with no known end is not
    /// taken now (the note names the site's setting, not the default's 12).
    public struct Stale: Sendable, Hashable {
        public var since: CalendarDate
        public var afterMonths: Int
        public init(since: CalendarDate, afterMonths: Int) {
            self.since = since
            self.afterMonths = afterMonths
        }
    }

    /// guideline.md v3: a record with no known end older than 12 months (the setting) is not taken
    /// now: a note beside the proposal it does not stop.
    public var staleNote: Phrase? {
        guard let stale else { return nil }
        return stale.afterMonths == 1
            ? "\(text) is recorded active since \(stale.since) with no known end (older than 1 month): not taken as current; check whether she still takes it."
            : "\(text) is recorded active since \(stale.since) with no known end (older than \(stale.afterMonths) months): not taken as current; check whether she still takes it."
    }
}

/// An activity of the catalogue already requested in the input (an open ServiceRequest: draft,
/// active or on-hold): guideline.md v2, "what is already ordered is not ordered again".
public struct RequestedActivity: Sendable, Hashable {
    public var activity: ActivityID
    /// For one test of a panel activity (the antiphospholipid tests): which.
    public var item: String?
    public var source: Source
    public var authoredOn: String?
    public init(activity: ActivityID, item: String?, source: Source, authoredOn: String?) {
        self.activity = activity
        self.item = item
        self.source = source
        self.authoredOn = authoredOn
    }
}

/// A request already in the input, with the not-recommended items it matches.
public struct InputRequest: Sendable, Hashable {
    public struct Match: Sendable, Hashable {
        /// NR-… rule id.
        public var ruleId: RuleID
        /// The item of that line, e.g. "ANA", "progesterone", "heparin".
        public var item: String
        /// Matched by keyword on the text (the request had no recognised code).
        public var byKeyword: Bool
        /// Another recorded indication that this item treats (guideline.md v2 §4: metformin for
        /// diabetes, heparin for thrombosis, …), in words; nil when none is recorded.
        public var otherIndication: Phrase?
        /// The keyword that recognised it (as Profiles lists it), when `byKeyword`.
        public var keyword: String?
        /// Its dosage route is coded and is not vaginal (the card's progesterone is vaginal only).
        public var notVaginal = false
        public init(ruleId: RuleID, item: String, byKeyword: Bool, otherIndication: Phrase? = nil) {
            self.ruleId = ruleId
            self.item = item
            self.byKeyword = byKeyword
            self.otherIndication = otherIndication
        }
    }

    public var source: Source
    /// What is requested, in words (its kind and the code's text).
    public var description: Phrase
    public var matches: [Match]
    /// The request's reason names a hereditary thrombophilia (NR-LMWH-THROMBOPHILIA).
    public var reasonNamesThrombophilia: Bool
    /// The patient's own request (the drug list judges only hers, not the partner's).
    public var forPatient: Bool
    public init(source: Source, description: Phrase, matches: [Match], reasonNamesThrombophilia: Bool = false, forPatient: Bool = true) {
        self.source = source
        self.description = description
        self.matches = matches
        self.reasonNamesThrombophilia = reasonNamesThrombophilia
        self.forPatient = forPatient
    }
}

/// Every fact of guideline.md §0 for one patient at the evaluation date.
public struct Facts: Sendable {
    public var evaluationDate: CalendarDate
    public var losses: [PregnancyLoss] = []
    /// The loss count where the input says more than it lists.
    public var statedLossCount: StatedLossCount?
    /// guideline.md v3: the undated losses that may be one of the dated losses (recorded on or
    /// after its onset): the count is a range.
    public var undatedLossesPossiblyDated: [Source] = []
    public var ageYears: Int?
    /// A birthDate is recorded but gives no age (not a full date, after the evaluation date, or an
    /// age over 60: each has its input warning).
    public var birthDateUnusable = false
    public var tsh: ThyroidResult?
    /// The newest TSH older than the lookback window (RPL-TSH's order rests on it).
    public var tshBeforeWindow: DatedFinding?
    public var freeT4: ThyroidResult?
    public var hypothyroidismConditions: [Finding] = []
    public var subclinicalHypothyroidismConditions: [Finding] = []
    /// Levothyroxine of the patient on record (guideline.md v2 `levothyroxineTaken`).
    public var levothyroxine: [MedicationUse] = []
    public var antiphospholipid: [AntiphospholipidTest: [AntiphospholipidResult]] = [:]
    /// Results that are neither positive nor negative (guideline.md v2: an anti-β2GPI level with no
    /// range and no interpretation; Sydney: above the lab's 99th percentile, which only the lab
    /// knows): the test counts as done for RPL-APL, and the plan says the lab must interpret it.
    public var antiphospholipidIndeterminate: [AntiphospholipidTest: [AntiphospholipidResult]] = [:]
    /// A confirmed antiphospholipid syndrome (guideline.md v2 `apsDiagnosed`): stands for confirmed
    /// persistence (RPL-APL, RPL-APL-REPEAT, RPL-APL-TREAT, the LMWH/heparin exceptions).
    public var apsDiagnosed: [Finding] = []
    /// Low-dose aspirin / a heparin already taken (active) or requested (draft, active, on-hold) for
    /// the patient: RPL-APL-TREAT does not propose it again.
    public var aspirinTakenOrRequested: [Source] = []
    public var heparinTakenOrRequested: [Source] = []
    /// Progesterone already taken (active, not ended) or requested for the patient: RPL-PROGESTERONE
    /// does not propose it again (guideline.md v3).
    public var progesteroneTakenOrRequested: [Source] = []
    /// Aspirin, a heparin or progesterone of the patient recorded active with no known end and
    /// older than 12 months (guideline.md v3 `levothyroxineTaken`: "the same holds for every
    /// medication a rule reads"): not taken now, so proposed where a rule proposes it, with a note
    /// naming the record (found by the fourth clinical audit: the aspirin was proposed silently).
    public var aspirinStale: [MedicationUse] = []
    public var heparinStale: [MedicationUse] = []
    public var progesteroneStale: [MedicationUse] = []
    public var familyHistoryRPL: [Finding] = []
    public var partner: Partner?
    /// How many people the record names as her partner: two or more, and none is `partner`.
    public var partnersRecorded = 0
    /// The partner's own records could not be read (interface.md v3, serve: a CDS Hooks prefetch
    /// names only her, and no FHIR server was given to find him in): his rules give notes.
    public var partnerRecordsNotChecked = false
    public var geneticsReferralReasons: [Finding] = []
    public var parentalKaryotypeAbnormal: [Finding] = []
    /// Parental karyotypes normal apart from a common heteromorphism: said, not acted on.
    public var karyotypeNotes: [Finding] = []
    public var uterineImaging: [Source] = []
    public var uterineMalformations: [Finding] = []
    public var adenomyosis: [Finding] = []
    public var lifestyleRisks: [Finding] = []
    public var currentPregnancy: CurrentPregnancy?
    public var bleedingInCurrentPregnancy: [Bleeding] = []
    /// A coded bleeding in early pregnancy in the last 12 weeks while no pregnancy is found and
    /// nothing after it ends one (RPL-PROGESTERONE's note; the fifth clinical audit).
    public var bleedingWithNoPregnancy: DatedFinding?
    public var cervicalInsufficiencySuspected: [Finding] = []
    public var onStudy: [Source] = []
    /// Systemic autoimmune disease or its clinical signs (RPL-ANA; `byText` ones only hold back
    /// NR-IMMUNOLOGY's ANA).
    public var autoimmuneSymptoms: [Finding] = []
    /// The newest ANA result, at any date (RPL-ANA: "no ANA result").
    public var anaResult: Source?
    /// Active cycle disorders, oligo- and amenorrhoea included (RPL-HORMONE-PROFILE, NR-HORMONES).
    public var cycleDisorder: [Finding] = []
    /// Active oligo- or amenorrhoea (RPL-PROLACTIN, NR-PROLACTIN).
    public var oligoOrAmenorrhoea: [Finding] = []
    /// The newest prolactin result in the lookback window.
    public var prolactinResult: Source?
    /// The tests of the hormone profile, each with its result in the lookback window.
    public var hormoneProfile: [ProfileTest] = []
    /// The most recent delivery (a pregnancy that ended in a birth).
    public var lastDelivery: DatedFinding?
    /// A hereditary thrombophilia recorded for the patient (NR-LMWH-THROMBOPHILIA).
    public var hereditaryThrombophilia: [Finding] = []
    /// Venous thromboembolism or a hereditary thrombophilia in a first-degree relative
    /// (FamilyMemberHistory): another indication for thrombophilia testing (NR-THROMBOPHILIA v3).
    public var familyThrombosis: [Finding] = []
    public var inputRequests: [InputRequest] = []
    public var alreadyRequested: [RequestedActivity] = []
    /// The patient's earlier requests for an activity of the catalogue that are closed (completed,
    /// revoked, entered in error): a new order for it is a new generation (interface.md v2).
    public var closedRequests: [RequestedActivity] = []

    public init(evaluationDate: CalendarDate) { self.evaluationDate = evaluationDate }

    /// `losses` of guideline.md, its minimum (v3): the listed losses less the undated ones that
    /// may be a dated one, or the stated count where that is higher. The rules that need ≥ 3
    /// losses (RPL-KARYOTYPE, RPL-PROGESTERONE, the RPL-APL-TREAT note) and the prognosis use it.
    public var lossCount: Int { max(losses.count - undatedLossesPossiblyDated.count, statedLossCount?.count ?? 0) }

    /// The maximum (v3): every listed loss a pregnancy of its own. RPL-INDICATION uses it.
    public var lossCountMaximum: Int { max(losses.count, statedLossCount?.count ?? 0) }

    public var lossSources: [Source] {
        (losses.flatMap(\.sources) + (statedLossCount?.sources ?? [])).uniqueSorted()
    }
}

/// Numbers the rules use that the card leaves to the project (Profiles/, Parameters rpl-defaults).
public struct GuidelineSettings: Sendable {
    /// RPL-APL-REPEAT / RPL-APL-TREAT: "herhalen na 12 weken".
    public var antiphospholipidRepeatDays = 84
    /// RPL-PROGESTERONE: "tot AD 16wk".
    public var progesteroneUntil = GestationalAge(weeks: 16)
    /// RPL-PROGESTERONE: "bloedverlies ≤ AD 12 weken".
    public var earlyBleedingUntil = GestationalAge(weeks: 12)
    /// RPL-PROLACTIN, RPL-HORMONE-PROFILE: amenorrhoea is expected this long after a delivery
    /// (project default: 6 months).
    public var postpartumDays = 183
    /// RPL-TISSUE-GENETICS: tissue must have been secured at the evacuation (project default: 8 weeks).
    public var tissueGeneticsWithinDays = 56
    public init() {}
}

extension Array where Element == Source {
    func uniqueSorted() -> [Source] { Array(Set(self)).sorted() }
}
