/// The card lines behind the rules (guideline.md), in Dutch as printed and in English. The
/// PlanDefinition in Profiles/ carries the same quotes; a test keeps the two equal.
public struct CardLine: Sendable, Hashable {
    public let ruleId: RuleID
    /// The card's words, each a verbatim stretch of the card (guideline.md v3: line breaks and
    /// hyphenation aside); a rule that rests on two card lines quotes them as two quotes.
    public let quotes: [String]
    public let english: String

    public init(ruleId: RuleID, dutch: String..., english: String) {
        self.ruleId = ruleId
        self.quotes = dutch
        self.english = english
    }

    /// The quotes as the output writes them: `"…"`, or `"…" … "…"` for two.
    public var quoted: String { quotes.map { "\"\($0)\"" }.joined(separator: " … ") }
}

public enum Card {
    /// The card's source line and disclaimer, as printed (guideline.md §5: in every plan).
    public static let source = "Adaptatie internationale richtlijn Recurrent Pregnancy Loss (ESHRE Early Pregnancy Guideline Development Group, 2018,  Updates 2022). Zie voor uitgebreide aanbevelingen en overwegingen de complete richtlijn. Aan deze samenvattingskaart kunnen geen rechten worden ontleend."

    /// "DD - Risicofactoren", as printed (context, not a rule).
    public static let riskFactors = ["± 50% is onverklaard (groot deel wel verklaard door aneuploidie)", "Leeftijd", "Leefstijl",
                                     "Antifosfolipidensyndroom", "Schildklierfunctiestoornis", "Uterine vormafwijkingen", "Adenomyosis",
                                     "Cervixinsufficiëntie", "Chromosomen"]

    /// In the order of guideline.md: the order of the plan's activities.
    public static let lines: [CardLine] = [
        CardLine(ruleId: .indication, dutch: "2 of meer miskramen = herhaalde miskramen.", english: "2 or more miscarriages = recurrent pregnancy loss."),
        CardLine(ruleId: .term, dutch: "Vermijd de term habituele abortus.", english: "Avoid the term for recurrent miscarriage that the card rejects."),
        CardLine(ruleId: .preconception, dutch: "Verricht een preconceptioneel advies consult o.b.v. aanbevelingen, aandacht voor zowel mannelijke als vrouwelijke factoren.", english: "Hold a preconception advice consultation based on the recommendations, attending to both male and female factors."),
        CardLine(ruleId: .supplements, dutch: "Adviseer standaard vitamine D en foliumzuur.", english: "Advise vitamin D and folic acid as standard."),
        CardLine(ruleId: .expertCentre, dutch: "Overweeg verwijzing naar centrum met expertise in herhaalde miskramen.", english: "Consider referral to a centre with expertise in recurrent pregnancy loss."),
        CardLine(ruleId: .supportiveCare, dutch: "Bied bij nieuwe zwangerschap ondersteunende zorg aan, met vroege vitaliteitecho’s.", english: "In a new pregnancy, offer supportive care with early viability ultrasounds."),
        CardLine(ruleId: .freya, dutch: "Wijs op informatie van patiëntenvereniging Freya.", english: "Point to the information of the patient association Freya."),
        CardLine(ruleId: .history, dutch: "(Obstetrische) anamnese afnemen", english: "Take the (obstetric) history."),
        CardLine(ruleId: .lifestyleHistory, dutch: "Leefstijl anamnese man en vrouw", english: "Take the lifestyle history of man and woman."),
        CardLine(ruleId: .prognosis, dutch: "Schets prognose o.b.v. anamnese en leeftijd", english: "Outline the prognosis based on history and age."),
        CardLine(ruleId: .tsh, dutch: "TSH waarde", english: "TSH value."),
        CardLine(ruleId: .ft4, dutch: "Bij abnormale waarden: vrijT4 bepalen", english: "If abnormal: measure free T4."),
        CardLine(ruleId: .levothyroxine, dutch: "Indien sprake is van hypothyreoïdie: behandel met levothyroxine", english: "In hypothyroidism: treat with levothyroxine."),
        CardLine(ruleId: .subclinical, dutch: "Indien sprake is van hypothyreoïdie: behandel met levothyroxine", english: "In hypothyroidism: treat with levothyroxine (evidence for subclinical hypothyroidism is conflicting: a clinician's decision)."),
        CardLine(ruleId: .apl, dutch: "Antifosfolipidenantistoffen (Lupus Anticoagulans, anticardiolipine IgG en IgM, β2 glycoproteïne IgG en IgM)", english: "Antiphospholipid antibodies (lupus anticoagulant, anticardiolipin IgG and IgM, β2-glycoprotein IgG and IgM)."),
        CardLine(ruleId: .aplRepeat, dutch: "Indien verhoogd: herhalen na 12 weken", english: "If raised: repeat after 12 weeks."),
        CardLine(ruleId: .aplTreat, dutch: "Indien persisterend verhoogd: lage dosis aspirine i.c.m. LMWH", english: "If persistently raised: low-dose aspirin with LMWH."),
        CardLine(ruleId: .karyotype, dutch: "Karyotypering ouders alléén bij risicofactoren*", english: "Karyotyping of the parents only with risk factors* (younger than 35, 3 or more miscarriages and a family history of recurrent miscarriage)."),
        CardLine(ruleId: .geneticCounseling, dutch: "Indien afwijkend: genetische counseling", english: "If abnormal: genetic counselling."),
        CardLine(ruleId: .clinicalGenetics, dutch: "In het geval van een eerdere geboorte van een kind met structurele afwijkingen (in de familie), een familielid met een (on)gebalanceerde chromosoomafwijking, of de detectie van een (ongebalanceerde) translocatie in zwangerschapsweefsel is een verwijzing naar een afdeling klinische genetica geïndiceerd.", english: "After the earlier birth of a child with structural anomalies (in the family), a family member with a (un)balanced chromosomal abnormality, or the detection of an (unbalanced) translocation in pregnancy tissue, referral to a clinical genetics department is indicated."),
        CardLine(ruleId: .uterus, dutch: "Onderzoek anatomie van de uterus, bij voorkeur TVE: -3D-echo (congenitale uterine afwijkingen) en; -2D-echo (adenomyosis)", english: "Examine the anatomy of the uterus, preferably by transvaginal ultrasound: 3D (congenital uterine anomalies) and 2D (adenomyosis)."),
        CardLine(ruleId: .urogenital, dutch: "Bij uterine vormafwijking: diagnostiek naar afwijkingen in de tractus urogenitalis", english: "With a uterine malformation: look for anomalies of the urogenital tract."),
        CardLine(ruleId: .lifestyle, dutch: "Counseling/ verwijzing bij leefstijlaanpassingen", english: "Counselling or referral for lifestyle changes."),
        CardLine(ruleId: .progesterone, dutch: "Bij ≥3 miskramen + bloedverlies ≤ AD 12 weken", "2dd 400mg progesteron vaginaal tot AD 16wk", english: "With 3 or more miscarriages and bleeding up to 12 weeks' gestation: progesterone 400 mg vaginally twice daily until 16 weeks."),
        CardLine(ruleId: .cervix, dutch: "Bij tweede trimester miskramen en verdenking op een cervixinsufficiëntie", "Herhaalde echoscopische follow-up van de cervix", "Cerclage alleen in selecte casus", english: "With second-trimester miscarriages and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases."),
        CardLine(ruleId: .prolactin, dutch: "Prolactine (wel bij symptomen van prolactineafwijkingen (oligo/amenorroe))", english: "Prolactin: do test with symptoms of prolactin disorders (oligo/amenorrhoea)."),
        CardLine(ruleId: .hormoneProfile, dutch: "Hormoonprofiel (wel bij symptomen van cyclusstoornis)", english: "Hormone profile: do test with symptoms of a cycle disorder."),
        CardLine(ruleId: .ana, dutch: "ANA (overweeg bij klinische symptomen)", english: "ANA: consider with clinical symptoms."),
        CardLine(ruleId: .tissueGenetics, dutch: "Routinematig genetische analyse miskraamweefsel, tenzij sprake van structurele afwijkingen/echoafwijkingen", english: "Routine genetic analysis of pregnancy tissue is not recommended, unless there are structural or ultrasound abnormalities: then it may be considered."),
        CardLine(ruleId: .nrTissueGenetics, dutch: "Routinematig genetische analyse miskraamweefsel, tenzij sprake van structurele afwijkingen/echoafwijkingen", english: "Not recommended: routine genetic analysis of pregnancy tissue, unless there are structural or ultrasound abnormalities."),
        CardLine(ruleId: .nrKaryotype, dutch: "Karyotypering ouders zonder VG of +familieanamnese*", english: "Not recommended: karyotyping of the parents without the history or family history*."),
        CardLine(ruleId: .nrThrombophilia, dutch: "Trombofilie-onderzoek", english: "Not recommended: thrombophilia testing."),
        CardLine(ruleId: .nrImmunology, dutch: "Immunologische testen als: HLA typering, HLA antistoffen, Anti HY, Cytokines, ANA (overweeg bij klinische symptomen), NK-cel, Sperma-DNA-fragmentatie", english: "Not recommended: immunological tests such as HLA typing, HLA antibodies, anti-HY, cytokines, ANA (consider with clinical symptoms), NK cells, sperm DNA fragmentation."),
        CardLine(ruleId: .nrHormones, dutch: "Hormoonprofiel (wel bij symptomen van cyclusstoornis)", english: "Not recommended: hormone profile (do test with symptoms of a cycle disorder)."),
        CardLine(ruleId: .nrProlactin, dutch: "Prolactine (wel bij symptomen van prolactineafwijkingen (oligo/amenorroe))", english: "Not recommended: prolactin (do test with symptoms of prolactin disorders: oligo/amenorrhoea)."),
        CardLine(ruleId: .nrOvarianEndocrine, dutch: "Ovariële reservetesten, Luteale insufficiëntietesten, LH-serumtest, Androgeenbepaling, Vitamine D-deficiëntie", english: "Not recommended: ovarian reserve tests, luteal insufficiency tests, serum LH, androgens, vitamin D deficiency."),
        CardLine(ruleId: .nrHomocysteine, dutch: "Homocysteïne", english: "Not recommended: homocysteine."),
        CardLine(ruleId: .nrLevothyroxineEuthyroid, dutch: "Bij euthyreoïdie behandelen met levothyroxine", english: "Not recommended: levothyroxine in euthyroid women."),
        CardLine(ruleId: .nrLmwhThrombophilia, dutch: "Bij trombofiliefactor behandelen met LMWH", english: "Not recommended: LMWH for a thrombophilia factor."),
        CardLine(ruleId: .nrUterineSurgery, dutch: "Chirurgische correctie van uterine vormafwijkingen", english: "Not recommended: surgical correction of uterine malformations."),
        CardLine(ruleId: .nrPolypMyomaAdhesion, dutch: "Poliep, myoom of adhesieverwijdering", english: "Not recommended: removal of polyps, myomas or adhesions."),
        CardLine(ruleId: .nrScratching, dutch: "Endometrium scratching", english: "Not recommended: endometrial scratching."),
        CardLine(ruleId: .nrSpermSelection, dutch: "Spermaselectie", english: "Not recommended: sperm selection."),
        CardLine(ruleId: .nrDrugs, dutch: "Bromocriptine, Progesteron, hCG, Metformine, Ovulatie inductie, Antioxidanten, Lymfocyten-immunisatie, IvIg, Steroïden, Heparine, Intralipiden, G-CSF", english: "Not recommended: bromocriptine, progesterone, hCG, metformin, ovulation induction, antioxidants, lymphocyte immunisation, IVIg, steroids, heparin, intralipids, G-CSF."),
        CardLine(ruleId: .nrPrednisone, dutch: "Prednison (wel in studieverband)", english: "Not recommended: prednisone (only within a study)."),
    ]

    public static let byRuleId: [RuleID: CardLine] = Dictionary(uniqueKeysWithValues: lines.map { ($0.ruleId, $0) })

    public static func line(_ ruleId: RuleID) -> CardLine { byRuleId[ruleId]! }

    /// Position in guideline.md.
    public static func order(_ ruleId: RuleID) -> Int { lines.firstIndex { $0.ruleId == ruleId } ?? lines.count }
}
