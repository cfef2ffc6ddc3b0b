/// The card as a function: facts in, plan out. Each rule is a function named by its rule id in
/// the file of its area of the card; this runs them in the order of guideline.md.
public enum Guideline {
    public static func evaluate(_ facts: Facts, settings: GuidelineSettings = GuidelineSettings()) -> Plan {
        let indication = rplIndication(facts)
        guard indication.holds else {
            return Plan(indicated: false, indication: indication.reason, recommendations: [], notes: [])
        }
        var notes: [Phrase] = []
        if facts.ageYears == nil {
            // A birthDate that gives no usable age is not a missing one (found by a clinical audit,
            // helper-42: an age of 61 was said to have no birthDate).
            notes.append(facts.birthDateUnusable
                ? "Age is not known: Patient.birthDate gives no usable age (see the input warnings); the prognosis and RPL-KARYOTYPE could not take it into account."
                : "Age is missing (no Patient.birthDate): the prognosis and RPL-KARYOTYPE could not take it into account.")
        }
        if facts.lossCount < facts.lossCountMaximum {
            let counts: Phrase = "RPL-INDICATION counts \(facts.lossCountMaximum); the rules that need 3 losses and the prognosis count \(facts.lossCount)."
            notes.append(facts.undatedLossesPossiblyDated.count == 1
                ? "Number of losses uncertain (\(facts.lossCount)–\(facts.lossCountMaximum)): a loss recorded without a date may be one of the dated losses: check." + counts
                : "Number of losses uncertain (\(facts.lossCount)–\(facts.lossCountMaximum)): losses recorded without a date may be some of the dated losses: check." + counts)
        }
        var out: [Recommendation] = []
        out += generalAdvice(facts)
        out += thyroid(facts)
        out += antiphospholipid(facts, settings: settings)
        out += genetics(facts, settings: settings)
        out += uterus(facts)
        out += lifestyle(facts)
        out += pregnancy(facts, settings: settings)
        out += indicatedAfterAll(facts, settings: settings)
        out += notRecommended(facts, settings: settings)
        out = out.map { notOrderedAgain($0, facts) }.map { generation($0, facts) }
        // Stable: the order of guideline.md, then the order each rule gave.
        let ordered = out.enumerated().sorted { a, b in
            let oa = Card.order(a.element.ruleId), ob = Card.order(b.element.ruleId)
            return oa != ob ? oa < ob : a.offset < b.offset
        }.map(\.element)
        var plan = Plan(indicated: true, indication: indication.reason, recommendations: ordered, notes: notes)
        plan.addresses = facts.lossSources
        plan.riskFactors = riskFactorNote(facts, settings: settings)
        return plan
    }

    /// guideline.md v2: an order (or a plan activity) whose test or activity the input already
    /// requests (an open request) is satisfied: no new order, a note instead. A first
    /// antiphospholipid test and its repeat are the same test; an ANA test requested answers
    /// "consider ANA".
    static func notOrderedAgain(_ rec: Recommendation, _ f: Facts) -> Recommendation {
        guard rec.kind == .order || rec.kind == .advice, rec.activityId != nil,
              // An open karyotyping request of the patient is hers; the partner's is judged as his.
              !rec.forPartner, let open = f.alreadyRequested.first(where: { sameTest($0, rec) })
        else { return rec }
        // Its day (a dateTime's instant in Dutch civil time, as every date: helper-44's review), in
        // the language's date form; a partial date as written.
        let already: Phrase = open.authoredOn.map { text in
            CalendarDate(fhir: text).map { "Already requested on \($0): not ordered again." } ?? "Already requested on \(record: text): not ordered again."
        } ?? "Already requested: not ordered again."
        return Recommendation.note(ruleId: rec.ruleId, sources: rec.sources + [open.source],
                              reason: rec.reason + already, item: rec.item)
    }

    /// Whether a request in the input asks for what a recommendation orders: the same activity (a
    /// first antiphospholipid test and its repeat are the same test) and, where both name one, the
    /// same item.
    static func sameTest(_ requested: RequestedActivity, _ rec: Recommendation) -> Bool {
        guard let activity = rec.activityId else { return false }
        let family: Set<ActivityID> = [.aplTesting, .aplRepeat].contains(activity) ? [.aplTesting, .aplRepeat] : [activity]
        return family.contains(requested.activity) && (requested.item == nil || rec.item == nil || requested.item == rec.item)
    }

    /// interface.md v2, Identity: the number of closed earlier requests for the same test (one
    /// request that names both a first test and its repeat counts once).
    static func generation(_ rec: Recommendation, _ f: Facts) -> Recommendation {
        guard rec.activityId != nil else { return rec }
        var r = rec
        r.generation = Set(f.closedRequests.filter { sameTest($0, rec) }.map(\.source)).count
        return r
    }

    /// guideline.md §5 (v2): the card's "DD - Risicofactoren" quoted, and which of them this record
    /// shows; where it shows none, that is said. (The patient page's "a cause is found in about one
    /// in five" is another source and is not merged into the card's figure.)
    static func riskFactorNote(_ f: Facts, settings: GuidelineSettings) -> Phrase {
        var shown: [Phrase] = []
        if let age = f.ageYears { shown.append("age \(age)") }
        if !f.lifestyleRisks.isEmpty { shown.append("lifestyle (\(f.lifestyleRisks.listed))") }
        if antiphospholipidTreatmentHolds(f, settings: settings) {
            shown.append(f.apsDiagnosed.isEmpty ? "persistent antiphospholipid antibodies" : "antiphospholipid syndrome")
        }
        if let tsh = f.tsh, tsh.classification != .normal { shown.append("thyroid dysfunction (TSH \(tsh.classification.phrase))") }
        else if !f.hypothyroidismConditions.isEmpty { shown.append("thyroid dysfunction (\(f.hypothyroidismConditions.listed))") }
        if !f.uterineMalformations.isEmpty { shown.append("uterine malformation") }
        if !f.adenomyosis.isEmpty { shown.append("adenomyosis") }
        if !f.cervicalInsufficiencySuspected.isEmpty { shown.append("suspected cervical insufficiency") }
        if !f.parentalKaryotypeAbnormal.isEmpty { shown.append("an abnormal karyotype") }
        let card: Phrase = "Card, DD - Risicofactoren: \(record: Card.riskFactors.joined(separator: "; "))."
        return card + (shown.isEmpty ? "This record shows none of them." : "This record shows: \(Phrase.joined(shown, separator: "; ")).")
    }

    static func generalAdvice(_ f: Facts) -> [Recommendation] {
        [rplPreconception(f), rplSupplements(f), rplExpertCentre(f), rplSupportiveCare(f), rplFreya(f),
         rplHistory(f), rplLifestyleHistory(f), rplPrognosis(f)]
    }

    static func thyroid(_ f: Facts) -> [Recommendation] {
        [rplTSH(f), rplFT4(f), rplLevothyroxine(f), rplSubclinical(f)].compactMap { $0 }
    }

    static func antiphospholipid(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
        rplAPL(f) + rplAPLRepeat(f, settings: settings) + rplAPLTreat(f, settings: settings)
    }

    static func genetics(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
        rplKaryotype(f) + [rplGeneticCounseling(f), rplClinicalGenetics(f)].compactMap { $0 } + partnersGeneticsNotChecked(f)
    }

    /// §3a: the card's "wel bij", "overweeg" and "tenzij" lines.
    static func indicatedAfterAll(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
        [rplProlactin(f, settings: settings)].compactMap { $0 } + rplHormoneProfile(f, settings: settings)
            + [rplANA(f), rplTissueGenetics(f, settings: settings)].compactMap { $0 }
    }

    static func uterus(_ f: Facts) -> [Recommendation] {
        [rplUterus(f), rplUrogenital(f)].compactMap { $0 }
    }

    static func lifestyle(_ f: Facts) -> [Recommendation] {
        [rplLifestyle(f), partnersLifestyleNotChecked(f)].compactMap { $0 }
    }

    static func pregnancy(_ f: Facts, settings: GuidelineSettings) -> [Recommendation] {
        [rplProgesterone(f, settings: settings), rplCervix(f)].compactMap { $0 }
    }
}
