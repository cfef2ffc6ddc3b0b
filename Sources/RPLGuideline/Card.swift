/// The card lines behind the rules (guideline.md), in Dutch as printed and in English. The
/// PlanDefinition in Profiles/ carries the same quotes; a test keeps the two equal.
public struct CardLine: Sendable, Hashable {
    public let ruleId: String
    public let dutch: String
    public let english: String
}

public enum Card {
    /// In the order of guideline.md: the order of the plan's activities.
    public static let lines: [CardLine] = [
        CardLine(ruleId: "RPL-INDICATION", dutch: "2 of meer miskramen = herhaalde miskramen.", english: "2 or more miscarriages = recurrent pregnancy loss."),
        CardLine(ruleId: "RPL-TERM", dutch: "Vermijd de term habituele abortus.", english: "Avoid the term for recurrent miscarriage that the card rejects."),
        CardLine(ruleId: "RPL-PRECONCEPTION", dutch: "Verricht een preconceptioneel advies consult o.b.v. aanbevelingen, aandacht voor zowel mannelijke als vrouwelijke factoren.", english: "Hold a preconception advice consultation based on the recommendations, attending to both male and female factors."),
        CardLine(ruleId: "RPL-SUPPLEMENTS", dutch: "Adviseer standaard vitamine D en foliumzuur.", english: "Advise vitamin D and folic acid as standard."),
        CardLine(ruleId: "RPL-EXPERT-CENTRE", dutch: "Overweeg verwijzing naar centrum met expertise in herhaalde miskramen.", english: "Consider referral to a centre with expertise in recurrent pregnancy loss."),
        CardLine(ruleId: "RPL-SUPPORTIVE-CARE", dutch: "Bied bij nieuwe zwangerschap ondersteunende zorg aan, met vroege vitaliteitecho's.", english: "In a new pregnancy, offer supportive care with early viability ultrasounds."),
        CardLine(ruleId: "RPL-FREYA", dutch: "Wijs op informatie van patiëntenvereniging Freya.", english: "Point to the information of the patient association Freya."),
        CardLine(ruleId: "RPL-HISTORY", dutch: "(Obstetrische) anamnese afnemen", english: "Take the (obstetric) history."),
        CardLine(ruleId: "RPL-LIFESTYLE-HISTORY", dutch: "Leefstijl anamnese man en vrouw", english: "Take the lifestyle history of man and woman."),
        CardLine(ruleId: "RPL-PROGNOSIS", dutch: "Schets prognose o.b.v. anamnese en leeftijd", english: "Outline the prognosis based on history and age."),
        CardLine(ruleId: "RPL-TSH", dutch: "TSH waarde", english: "TSH value."),
        CardLine(ruleId: "RPL-FT4", dutch: "Bij abnormale waarden: vrijT4 bepalen", english: "If abnormal: measure free T4."),
        CardLine(ruleId: "RPL-LEVOTHYROXINE", dutch: "Indien sprake is van hypothyreoïdie: behandel met levothyroxine", english: "In hypothyroidism: treat with levothyroxine."),
        CardLine(ruleId: "RPL-SUBCLINICAL", dutch: "Indien sprake is van hypothyreoïdie: behandel met levothyroxine", english: "In hypothyroidism: treat with levothyroxine (evidence for subclinical hypothyroidism is conflicting: a clinician's decision)."),
        CardLine(ruleId: "RPL-APL", dutch: "Antifosfolipidenantistoffen (Lupus Anticoagulans, anticardiolipine IgG en IgM, β2 glycoproteïne IgG en IgM)", english: "Antiphospholipid antibodies (lupus anticoagulant, anticardiolipin IgG and IgM, β2-glycoprotein IgG and IgM)."),
        CardLine(ruleId: "RPL-APL-REPEAT", dutch: "Indien verhoogd: herhalen na 12 weken", english: "If raised: repeat after 12 weeks."),
        CardLine(ruleId: "RPL-APL-TREAT", dutch: "Indien persisterend verhoogd: lage dosis aspirine i.c.m. LMWH", english: "If persistently raised: low-dose aspirin with LMWH."),
        CardLine(ruleId: "RPL-KARYOTYPE", dutch: "Karyotypering ouders alléén bij risicofactoren*", english: "Karyotyping of the parents only with risk factors* (younger than 35, 3 or more miscarriages and a family history of recurrent miscarriage)."),
        CardLine(ruleId: "RPL-GENETIC-COUNSELING", dutch: "Indien afwijkend: genetische counseling", english: "If abnormal: genetic counselling."),
        CardLine(ruleId: "RPL-CLINICAL-GENETICS", dutch: "Bij eerdere geboorte van een kind met structurele afwijkingen, een familielid met een (on)gebalanceerde chromosoomafwijking of een (ongebalanceerde) translocatie in miskraamweefsel: verwijzing klinische genetica", english: "After the birth of a child with structural anomalies, a family member with a (un)balanced chromosomal abnormality, or an (unbalanced) translocation in pregnancy tissue: referral to clinical genetics."),
        CardLine(ruleId: "RPL-UTERUS", dutch: "Onderzoek anatomie van de uterus, bij voorkeur TVE: 3D-echo (congenitale uterine afwijkingen) en 2D-echo (adenomyosis)", english: "Examine the anatomy of the uterus, preferably by transvaginal ultrasound: 3D (congenital uterine anomalies) and 2D (adenomyosis)."),
        CardLine(ruleId: "RPL-UROGENITAL", dutch: "Bij uterine vormafwijking: diagnostiek naar afwijkingen in de tractus urogenitalis", english: "With a uterine malformation: look for anomalies of the urogenital tract."),
        CardLine(ruleId: "RPL-LIFESTYLE", dutch: "Counseling/ verwijzing bij leefstijlaanpassingen", english: "Counselling or referral for lifestyle changes."),
        CardLine(ruleId: "RPL-PROGESTERONE", dutch: "Bij ≥3 miskramen + bloedverlies ≤ AD 12 weken: 2dd 400mg progesteron vaginaal tot AD 16wk", english: "With 3 or more miscarriages and bleeding up to 12 weeks' gestation: progesterone 400 mg vaginally twice daily until 16 weeks."),
        CardLine(ruleId: "RPL-CERVIX", dutch: "Bij tweede trimester miskramen en verdenking op een cervixinsufficiëntie: Herhaalde echoscopische follow-up van de cervix; Cerclage alleen in selecte casus", english: "With second-trimester miscarriages and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases."),
        CardLine(ruleId: "NR-TISSUE-GENETICS", dutch: "Routinematig genetische analyse miskraamweefsel, tenzij sprake van structurele afwijkingen/echoafwijkingen", english: "Not recommended: routine genetic analysis of pregnancy tissue, unless there are structural or ultrasound abnormalities."),
        CardLine(ruleId: "NR-KARYOTYPE", dutch: "Karyotypering ouders zonder VG of +familieanamnese*", english: "Not recommended: karyotyping of the parents without the history or family history*."),
        CardLine(ruleId: "NR-THROMBOPHILIA", dutch: "Trombofilie-onderzoek", english: "Not recommended: thrombophilia testing."),
        CardLine(ruleId: "NR-IMMUNOLOGY", dutch: "Immunologische testen als: HLA typering, HLA antistoffen, Anti HY, Cytokines, ANA (overweeg bij klinische symptomen), NK-cel, Sperma-DNA-fragmentatie", english: "Not recommended: immunological tests such as HLA typing, HLA antibodies, anti-HY, cytokines, ANA (consider with clinical symptoms), NK cells, sperm DNA fragmentation."),
        CardLine(ruleId: "NR-HORMONES", dutch: "Hormoonprofiel (wel bij symptomen van cyclusstoornis)", english: "Not recommended: hormone profile (do test with symptoms of a cycle disorder)."),
        CardLine(ruleId: "NR-PROLACTIN", dutch: "Prolactine (wel bij symptomen van prolactineafwijkingen (oligo/amenorroe))", english: "Not recommended: prolactin (do test with symptoms of prolactin disorders: oligo/amenorrhoea)."),
        CardLine(ruleId: "NR-OVARIAN-ENDOCRINE", dutch: "Ovariële reservetesten, Luteale insufficiëntietesten, LH-serumtest, Androgeenbepaling, Vitamine D-deficiëntie", english: "Not recommended: ovarian reserve tests, luteal insufficiency tests, serum LH, androgens, vitamin D deficiency."),
        CardLine(ruleId: "NR-HOMOCYSTEINE", dutch: "Homocysteïne", english: "Not recommended: homocysteine."),
        CardLine(ruleId: "NR-LEVOTHYROXINE-EUTHYROID", dutch: "Bij euthyreoïdie behandelen met levothyroxine", english: "Not recommended: levothyroxine in euthyroid women."),
        CardLine(ruleId: "NR-LMWH-THROMBOPHILIA", dutch: "Bij trombofiliefactor behandelen met LMWH", english: "Not recommended: LMWH for a thrombophilia factor."),
        CardLine(ruleId: "NR-UTERINE-SURGERY", dutch: "Chirurgische correctie van uterine vormafwijkingen", english: "Not recommended: surgical correction of uterine malformations."),
        CardLine(ruleId: "NR-POLYP-MYOMA-ADHESION", dutch: "Poliep, myoom of adhesieverwijdering", english: "Not recommended: removal of polyps, myomas or adhesions."),
        CardLine(ruleId: "NR-SCRATCHING", dutch: "Endometrium scratching", english: "Not recommended: endometrial scratching."),
        CardLine(ruleId: "NR-SPERM-SELECTION", dutch: "Spermaselectie", english: "Not recommended: sperm selection."),
        CardLine(ruleId: "NR-DRUGS", dutch: "Bromocriptine, Progesteron, hCG, Metformine, Ovulatie inductie, Antioxidanten, Lymfocyten-immunisatie, IvIg, Steroïden, Heparine, Intralipiden, G-CSF", english: "Not recommended: bromocriptine, progesterone, hCG, metformin, ovulation induction, antioxidants, lymphocyte immunisation, IVIg, steroids, heparin, intralipids, G-CSF."),
        CardLine(ruleId: "NR-PREDNISONE", dutch: "Prednison (wel in studieverband)", english: "Not recommended: prednisone (only within a study)."),
    ]

    public static let byRuleId: [String: CardLine] = Dictionary(uniqueKeysWithValues: lines.map { ($0.ruleId, $0) })

    public static func line(_ ruleId: String) -> CardLine { byRuleId[ruleId]! }

    /// Position in guideline.md.
    public static func order(_ ruleId: String) -> Int { lines.firstIndex { $0.ruleId == ruleId } ?? lines.count }
}
