/// One output of a rule: an order, a medication proposal, advice, a flag on an input request, a
/// note, or the prognosis (issue 17: an enum with payloads; no optional ids, no date with two
/// meanings). It carries the rule id, the facts it used, and what the rule found.
public struct Recommendation: Sendable, Hashable {
    /// What the plan does with it, with what only that kind has.
    public enum Action: Sendable, Hashable {
        /// A ServiceRequest of the catalogue; `item` names one test of the activity (the
        /// antiphospholipid test); `notBefore`: RPL-APL-REPEAT, not before this date.
        case order(activity: ActivityID, item: String?, notBefore: CalendarDate?)
        /// A MedicationRequest with intent proposal; `until`: RPL-PROGESTERONE, the day gestational
        /// age reaches 16w0d.
        case medication(activity: ActivityID, until: CalendarDate?)
        /// A CarePlan activity with a detail, no request.
        case advice(activity: ActivityID, item: String?)
        /// A DetectedIssue on a request already in the input (`item`: the line's item it matched).
        case flag(item: String?)
        /// The prognosis: the chance of a further miscarriage as a decimal text ("0.25"), or nil
        /// where the sources give no figure (a CarePlan note then).
        case prognosis(probability: String?)
        /// Something the plan should say that is not an activity (a CarePlan note).
        case note(item: String?)
    }

    /// The kind of an action, without its payload (for ordering and matching).
    public enum Kind: String, Sendable {
        case order, medication, advice, flag, prognosis, note
    }

    public var ruleId: RuleID
    public var action: Action
    /// The input resources behind it (for `reasonReference`, `implicated`, `basis`).
    public var sources: [Source]
    /// What the rule found, for the note next to the card line (in the output's language).
    public var reason: Phrase
    /// For the partner, not the patient (his karyotyping): the emitter names him as the subject.
    public var forPartner = false
    /// How many earlier requests for the same activity (and item) the input holds closed: a new
    /// order after a cancelled or completed one is a new generation, with a new identity.
    public var generation = 0
    /// The activity's name in this plan where it differs from the catalogue's (during a pregnancy:
    /// "this pregnancy", not "the next").
    public var title: Phrase?

    public init(ruleId: RuleID, action: Action, sources: [Source], reason: Phrase, title: Phrase? = nil) {
        self.ruleId = ruleId
        self.action = action
        self.sources = sources.uniqueSorted()
        self.reason = reason
        self.title = title
    }

    public static func order(ruleId: RuleID, activity: ActivityID, sources: [Source], reason: Phrase, item: String? = nil,
                             notBefore: CalendarDate? = nil, title: Phrase? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .order(activity: activity, item: item, notBefore: notBefore), sources: sources, reason: reason, title: title)
    }

    public static func medication(ruleId: RuleID, activity: ActivityID, sources: [Source], reason: Phrase, until: CalendarDate? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .medication(activity: activity, until: until), sources: sources, reason: reason)
    }

    public static func advice(ruleId: RuleID, activity: ActivityID, sources: [Source], reason: Phrase, item: String? = nil, title: Phrase? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .advice(activity: activity, item: item), sources: sources, reason: reason, title: title)
    }

    public static func flag(ruleId: RuleID, sources: [Source], reason: Phrase, item: String? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .flag(item: item), sources: sources, reason: reason)
    }

    public static func prognosis(ruleId: RuleID, sources: [Source], reason: Phrase, probability: String? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .prognosis(probability: probability), sources: sources, reason: reason)
    }

    public static func note(ruleId: RuleID, sources: [Source], reason: Phrase, item: String? = nil, title: Phrase? = nil) -> Recommendation {
        Recommendation(ruleId: ruleId, action: .note(item: item), sources: sources, reason: reason, title: title)
    }

    public var kind: Kind {
        switch action {
        case .order: .order
        case .medication: .medication
        case .advice: .advice
        case .flag: .flag
        case .prognosis: .prognosis
        case .note: .note
        }
    }

    /// The catalogue activity of an order, a medication or advice.
    public var activityId: ActivityID? {
        switch action {
        case .order(let a, _, _), .medication(let a, _), .advice(let a, _): a
        default: nil
        }
    }

    /// Which of several recommendations of one rule this is (the antiphospholipid test).
    public var item: String? {
        switch action {
        case .order(_, let item, _), .advice(_, let item), .flag(let item), .note(let item): item
        default: nil
        }
    }

    public var cardLine: CardLine { Card.line(ruleId) }
}

/// The outcome of one evaluation.
public struct Plan: Sendable {
    /// RPL-INDICATION: whether there is a plan at all.
    public var indicated: Bool
    /// Why (or why not), in one sentence.
    public var indication: Phrase
    /// In the order of guideline.md.
    public var recommendations: [Recommendation]
    /// Things the rules could not decide for lack of data (e.g. age missing).
    public var notes: [Phrase]
    /// What the plan is about: the losses that make the indication (the CarePlan's `addresses`).
    public var addresses: [Source] = []
    /// The card's risk factors and which of them the record shows (guideline.md §5).
    public var riskFactors: Phrase = ""
}

// Ids are written as the card and Profiles spell them ("RPL-TSH", "thyroid-tsh"), also in text.
extension RuleID: CustomStringConvertible {
    public var description: String { rawValue }
}

extension ActivityID: CustomStringConvertible {
    public var description: String { rawValue }
}
