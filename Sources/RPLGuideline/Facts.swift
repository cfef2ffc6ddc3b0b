/// What the rules read: plain Swift facts about one patient, made from FHIR by the adapter
/// (guideline.md §0). No FHIR types: a `Source` is an opaque handle the adapter gives each input
/// resource so that a recommendation can point back at the data that triggered it.
public struct Source: Sendable, Hashable, Comparable {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Source, b: Source) -> Bool { a.index < b.index }
}

public struct PregnancyLoss: Sendable, Hashable {
    public var date: CalendarDate?
    public var secondTrimester: Bool
    public var sources: [Source]
    public init(date: CalendarDate?, secondTrimester: Bool, sources: [Source]) {
        self.date = date
        self.secondTrimester = secondTrimester
        self.sources = sources
    }
}

public enum LabClassification: String, Sendable {
    case low, normal, high
}

/// A thyroid result converted to the unit the card's defaults use (TSH mU/L, free T4 pmol/L).
public struct ThyroidResult: Sendable, Hashable {
    public var value: Double
    /// The Quantity's comparator ("<", "<=", ">=", ">") when the value is a bound, else "".
    public var comparator = ""
    public var unit: String
    public var date: CalendarDate
    public var classification: LabClassification
    /// How the classification was made: "reference range", "interpretation", "default range".
    public var basis: String
    public var source: Source
    public init(value: Double, unit: String, date: CalendarDate, classification: LabClassification, basis: String, source: Source) {
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

    public var display: String {
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
    public var date: CalendarDate
    public var positive: Bool
    public var source: Source
    public init(date: CalendarDate, positive: Bool, source: Source) {
        self.date = date
        self.positive = positive
        self.source = source
    }
}

public struct Finding: Sendable, Hashable {
    /// What was found, in words (for the plan text).
    public var text: String
    public var source: Source
    public init(_ text: String, _ source: Source) {
        self.text = text
        self.source = source
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
    /// Taken now: a MedicationStatement active, or a MedicationRequest active.
    public var current: Bool
    public init(source: Source, start: CalendarDate?, current: Bool) {
        self.source = source
        self.start = start
        self.current = current
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
        public init(ruleId: RuleID, item: String, byKeyword: Bool) {
            self.ruleId = ruleId
            self.item = item
            self.byKeyword = byKeyword
        }
    }

    public var source: Source
    public var description: String
    public var matches: [Match]
    public init(source: Source, description: String, matches: [Match]) {
        self.source = source
        self.description = description
        self.matches = matches
    }
}

/// Every fact of guideline.md §0 for one patient at the evaluation date.
public struct Facts: Sendable {
    public var evaluationDate: CalendarDate
    public var losses: [PregnancyLoss] = []
    /// The loss count where the input says more than it lists (a "recurrent miscarriage"
    /// Condition means ≥ 2; an Observation of the number of previous miscarriages).
    public var statedLossCount: (count: Int, sources: [Source])?
    public var ageYears: Int?
    public var tsh: ThyroidResult?
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
    public var familyHistoryRPL: [Finding] = []
    public var geneticsReferralReasons: [Finding] = []
    public var parentalKaryotypeAbnormal: [Finding] = []
    /// Parental karyotypes normal apart from a common heteromorphism: said, not acted on.
    public var karyotypeNotes: [Finding] = []
    public var uterineImaging: [Source] = []
    public var uterineMalformations: [Finding] = []
    public var adenomyosis: [Finding] = []
    public var lifestyleRisks: [Finding] = []
    public var currentPregnancy: CurrentPregnancy?
    /// Vaginal bleeding / threatened miscarriage in the current pregnancy, with the gestational
    /// age at its onset where the input allows computing it.
    public var bleedingInCurrentPregnancy: [(gestationalAgeAtOnset: GestationalAge?, finding: Finding)] = []
    public var cervicalInsufficiencySuspected: [Finding] = []
    public var onStudy: [Source] = []
    public var structuralAnomaliesInPregnancy: [Finding] = []
    public var autoimmuneSymptoms: [Finding] = []
    public var cycleDisorder: [Finding] = []
    public var oligoOrAmenorrhoea: [Finding] = []
    public var inputRequests: [InputRequest] = []
    public var alreadyRequested: [RequestedActivity] = []

    public init(evaluationDate: CalendarDate) { self.evaluationDate = evaluationDate }

    /// `losses` of guideline.md: the listed losses, or the stated count where that is higher.
    public var lossCount: Int { max(losses.count, statedLossCount?.count ?? 0) }

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
    public init() {}
}

extension Array where Element == Source {
    func uniqueSorted() -> [Source] { Array(Set(self)).sorted() }
}
