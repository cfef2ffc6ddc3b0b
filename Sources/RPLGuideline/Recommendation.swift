/// One output of a rule: an order, a medication proposal, advice, a flag on an input request, or
/// the prognosis. It carries the rule id, the activity id of the order catalogue, the facts it
/// used, and any date it computed.
public struct Recommendation: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// A ServiceRequest.
        case order
        /// A MedicationRequest with intent proposal.
        case medication
        /// A CarePlan activity with a detail, no request.
        case advice
        /// A DetectedIssue on a request already in the input.
        case flag
        /// The prognosis (RiskAssessment, or a CarePlan note where no figure exists).
        case prognosis
        /// Something the plan should say that is not an activity (a CarePlan note).
        case note
    }

    public var ruleId: RuleID
    public var activityId: ActivityID?
    public var kind: Kind
    /// The input resources behind it (for `reasonReference`, `implicated`, `basis`).
    public var sources: [Source]
    /// What the rule found, in English, for the note next to the card line.
    public var reason: String
    /// Distinguishes several recommendations of one rule (the antiphospholipid test).
    public var item: String?
    /// RPL-APL-REPEAT: not before this date. RPL-PROGESTERONE: the day gestational age reaches 16w0d.
    public var date: CalendarDate?
    /// RPL-PROGNOSIS: chance of a further miscarriage, as a decimal text ("0.25"); nil: no figure.
    public var probability: String?
    /// For the partner, not the patient (his karyotyping): the emitter names him as the subject.
    public var forPartner = false
    /// How many earlier requests for the same activity (and item) the input holds closed: a new
    /// order after a cancelled or completed one is a new generation, with a new identity.
    public var generation = 0
    /// The activity's name in this plan where it differs from the catalogue's (during a pregnancy:
    /// "this pregnancy", not "the next").
    public var title: String?

    public init(
        ruleId: RuleID, activityId: ActivityID?, kind: Kind, sources: [Source], reason: String,
        item: String? = nil, date: CalendarDate? = nil, probability: String? = nil,
        title: String? = nil
    ) {
        self.ruleId = ruleId
        self.activityId = activityId
        self.kind = kind
        self.sources = sources.uniqueSorted()
        self.reason = reason
        self.item = item
        self.date = date
        self.probability = probability
        self.title = title
    }

    public var cardLine: CardLine { Card.line(ruleId) }
}

/// The outcome of one evaluation.
public struct Plan: Sendable {
    /// RPL-INDICATION: whether there is a plan at all.
    public var indicated: Bool
    /// Why (or why not), in one sentence.
    public var indication: String
    /// In the order of guideline.md.
    public var recommendations: [Recommendation]
    /// Things the rules could not decide for lack of data (e.g. age missing).
    public var notes: [String]
    /// What the plan is about: the losses that make the indication (the CarePlan's `addresses`).
    public var addresses: [Source] = []
    /// The card's risk factors and which of them the record shows (guideline.md §5).
    public var riskFactors: String = ""
}

// Ids are written as the card and Profiles spell them ("RPL-TSH", "thyroid-tsh"), also in text.
extension RuleID: CustomStringConvertible {
    public var description: String { rawValue }
}

extension ActivityID: CustomStringConvertible {
    public var description: String { rawValue }
}
