import FHIR
import RPLGuideline

/// Card area: genetics (`Sources/RPLGuideline/Genetics.swift`: RPL-KARYOTYPE,
/// RPL-GENETIC-COUNSELING, RPL-CLINICAL-GENETICS; the exceptions of NR-KARYOTYPE and
/// NR-TISSUE-GENETICS). Facts: `familyHistoryRPL`, `geneticsReferralReasons`,
/// `parentalKaryotypeAbnormal`, and each loss's `structuralAnomalies` (RPL-TISSUE-GENETICS).
/// Codes: ValueSets `karyotype`, `productsOfConception`, `abnormal`, `familyRelationship`,
/// `recurrentMiscarriage`, `pregnancyLoss`, `congenitalMalformation`, `chromosomalAbnormality`,
/// `fetalStructuralAnomaly` (keywords for family history: Parameters-rpl-recognition-keywords).
/// Tests: Tests/RPLAdapterTests/Facts/GeneticsFactTests.swift, Tests/RPLAdapterTests/Rules/GeneticsRuleTests.swift, Fixtures `genetics-*`.
enum Genetics: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        // One pass in input order: karyotypes and family histories both give referral reasons.
        for index in c.items(["Observation", "FamilyMemberHistory"]) {
            let r = c.resource(index)
            if r.name == "Observation" {
                guard c.usableObservation(r), c.person(index) != .other, c.terminology.matches(r.child("code"), .karyotype) else { continue }
                karyotype(c, index, into: &facts)
            } else {
                guard r.string("status") != "entered-in-error", c.person(index, "patient") != .other else { continue }
                familyHistory(c, index, into: &facts)
            }
        }
        // guideline.md v3: a parent known as a balanced rearrangement carrier (a Condition of hers
        // or her partner's) is a known abnormal parental karyotype: genetic counselling, and a
        // karyotype order is not flagged.
        for index in c.items(["Condition"]) {
            let r = c.resource(index)
            guard c.person(index) != .other, !c.refutedOrError(r) else { continue }
            let code = r.child("code")
            let partner = c.person(index) == .partner
            if c.terminology.matches(code, .balancedRearrangement) {
                facts.parentalKaryotypeAbnormal.append(Finding(partner ? "partner: \(record: c.text(code))" : .record(c.text(code)), Source(index)))
            } else if c.terminology.matches(code, .karyotypeNormalVariant) {
                // Q95.4, Q95.5: normal variants (a note, as a heteromorphism in a karyotype).
                facts.karyotypeNotes.append(Finding(partner ? "partner: \(record: c.text(code)) is a normal variant, not abnormal" : "\(record: c.text(code)) is a normal variant, not abnormal", Source(index)))
            } else if c.terminology.matches(code, .rearrangementUnspecified) {
                // Q95.1 counts when its text shows an inversion other than the inv(9)
                // heteromorphism; Q95.1 without it, Q95.8 and Q95.9: the karyotype decides.
                let words = ([code?.string("text")] + r.children("note").map { $0.string("text") }).compactMap { $0 }.joined(separator: " ")
                let other = words.indices.contains { i in
                    let tail = words[i...]
                    return tail.hasPrefix("inv(") && !tail.hasPrefix("inv(9)(p11q13)") && !tail.hasPrefix("inv(9)(p12q13)")
                }
                if other && c.terminology.codes(of: code).contains(where: { $0.code.hasPrefix("Q95.1") }) {
                    facts.parentalKaryotypeAbnormal.append(Finding(partner ? "partner: \(record: c.text(code)) (\(record: words))" : "\(record: c.text(code)) (\(record: words))", Source(index)))
                } else {
                    c.warn(index, .notSpecific(what: "a balanced chromosomal rearrangement", text: c.text(code),
                                               consequence: "not read as an abnormal parental karyotype; the karyotype (ISCN) decides: check"))
                }
            }
        }
        linkAnomaliesToLosses(c, into: &facts)
        // The partner (RPL-KARYOTYPE orders his test under his own name where he can be named).
        // His Patient where he has one, else the RelatedPerson (by identity and name, not entry order).
        if let p = c.partners.min(by: { a, b in
            let ka = c.resource(a).name == "Patient" ? 0 : 1, kb = c.resource(b).name == "Patient" ? 0 : 1
            return ka != kb ? ka < kb : c.identities.tieBreak(a, b)
        }) {
            let r = c.resource(p)
            let identified = r.children("identifier").contains { $0.string("system") != nil && $0.string("value") != nil }
            // A female partner: her gender on any of her records, or coded as his wife (WIFE).
            let female = c.partners.contains { i in
                c.resource(i).string("gender") == "female"
                    || c.resource(i).children("relationship").contains { rel in c.terminology.codes(of: rel).contains { $0.code == "WIFE" && $0.system.hasSuffix("v3-RoleCode") } }
            }
            facts.partner = Partner(source: Source(p), identifiable: identified || (r.name == "Patient" && c.input.serverId(p) != nil), female: female)
        }
        facts.partnersRecorded = c.partnersRecorded
    }

    /// A record of fetal structural or ultrasound anomalies, with the days it may be dated on.
    struct Anomaly {
        var finding: Finding
        var when: DayInterval?
    }

    /// guideline.md v2 `lossWithStructuralAnomaly`: a lost pregnancy's fetal structural or ultrasound
    /// anomalies, recorded on the loss Condition itself (a second code, or its evidence), or in a
    /// Condition, Observation or DiagnosticReport of that pregnancy: dated from 24 weeks
    /// (`secondTrimesterBeforeDays`) before the loss to `samePregnancyDays` after it (histology
    /// comes weeks after the evacuation). By code, or on a Condition by keyword (marked as text).
    static func linkAnomaliesToLosses(_ c: FactContext, into facts: inout Facts) {
        guard !facts.losses.isEmpty else { return }
        var anomalies: [Anomaly] = []
        for index in c.items(["Condition", "Observation", "DiagnosticReport"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient else { continue }
            if r.name == "Condition" ? c.refutedOrError(r) : !c.usableObservation(r) { continue }
            let concepts = [r.child("code"), r.child("valueCodeableConcept")].compactMap { $0 }
                + r.children("evidence").flatMap { $0.children("code") } + r.children("conclusionCode")
            var finding: Finding?
            if let coded = concepts.first(where: { c.terminology.matches($0, .fetalStructuralAnomaly) }) {
                finding = Finding(record: c.text(coded), Source(index))
            } else if r.name == "Condition", let text = concepts.first(where: { c.terminology.matchesKeyword($0, .fetalStructuralAnomaly) }) {
                // Text is read on Conditions only (a clinician's diagnosis line), never on results.
                finding = Finding(record: c.text(text), Source(index), byText: true)
            }
            guard let finding else { continue }
            let dateText = r.name == "Condition" ? c.conditionDateText(r) : c.observationDateText(r)
            anomalies.append(Anomaly(finding: finding, when: dateText.flatMap(DayInterval.init(fhir:))))
        }
        let before = c.defaults.secondTrimesterBeforeDays, after = c.defaults.samePregnancyDays
        for anomaly in anomalies {
            var linked = false
            for i in facts.losses.indices {
                let loss = facts.losses[i]
                let same = loss.sources.contains(anomaly.finding.source)
                let inPregnancy = anomaly.when.map { when in
                    guard let first = loss.earliestDate, let last = loss.latestDate else { return false }
                    return when.end >= first.adding(days: -before) && when.start <= last.adding(days: after)
                } ?? false
                if same || inPregnancy {
                    facts.losses[i].structuralAnomalies.append(anomaly.finding)
                    linked = true
                }
            }
            if !linked && anomaly.when == nil && !anomaly.finding.byText {
                c.warn(anomaly.finding.source.index, .noDate(what: "a fetal structural anomaly (not linked to a loss)"))
            }
        }
    }

    static func karyotype(_ c: FactContext, _ index: Int, into facts: inout Facts) {
        let r = c.resource(index)
        var pregnancyTissue = false
        if let s = c.input.resolve(r.child("specimen"), from: index) {
            pregnancyTissue = c.terminology.matches(c.resource(s).child("type"), .productsOfConception)
        } else if let ref = r.child("specimen")?.string("reference") {
            c.warn(index, .unresolved(field: "specimen", reference: ref, consequence: "karyotype taken as parental"))
        }
        let value = [r.string("valueString"), r.child("valueCodeableConcept").map { c.text($0) }].compactMap { $0 }.joined(separator: " ")
        let iscn = r.string("valueString").map(Karyotype.read)
        if pregnancyTissue {
            // guideline.md v2: a translocation read from the ISCN text (t(, der(, rob(); "no
            // translocation found" or a normal ISCN is not one; free text that is not ISCN: check.
            if let text = r.string("valueString"), iscn == .notISCN {
                if Terminology.normalise(text).contains("translocat") { c.warn(index, .textOnly(what: "a pregnancy-tissue karyotype", text: text)) }
                return
            }
            if let text = r.string("valueString"), Karyotype.hasTranslocation(text) {
                facts.geneticsReferralReasons.append(Finding("translocation in pregnancy tissue (\(record: text))", Source(index)))
            }
            return
        }
        // Where the spec is silent (the fourth clinical audit: a pregnancy-tissue karyotype with a
        // specimen type the terminology does not know was read as hers): a Y chromosome on a woman's
        // record may be the pregnancy's or someone else's. Read as hers, as the spec says, with a
        // warning to check.
        if let text = r.string("valueString"), Karyotype.sexChromosomes(text).contains(where: { $0.contains("Y") }),
           c.person(index) == .patient, c.resource(c.patient).string("gender") == "female" {
            c.warn(index, .karyotypeOfAnother(text: text))
        }
        // Interpretation N wins over the text; A or a coded abnormal answer makes it abnormal.
        let interpretations = r.children("interpretation")
        if interpretations.contains(where: { c.terminology.codes(of: $0).contains { $0.code == "N" } }) { return }
        var abnormal = interpretations.contains { c.terminology.matches($0, .abnormal) }
            || c.terminology.matches(r.child("valueCodeableConcept"), .abnormal)
        switch iscn {
        case .abnormal?: abnormal = true
        case .normalVariant(let variants)?:
            if !abnormal { facts.karyotypeNotes.append(Finding("karyotype \(record: value): \(record: variants.joined(separator: ", ")) is a common heteromorphism (a normal variant), not abnormal", Source(index))) }
        case .notISCN?:
            if !abnormal { c.warn(index, .textOnly(what: "a karyotype", text: value)) }
        case .normal?, nil: break
        }
        if abnormal {
            facts.parentalKaryotypeAbnormal.append(Finding(value.isEmpty ? "abnormal karyotype" : "abnormal karyotype (\(record: value))", Source(index)))
        }
    }

    static func familyHistory(_ c: FactContext, _ index: Int, into facts: inout Facts) {
        let r = c.resource(index)
        let relationship = r.child("relationship")
        // The partner's own history names his relatives (the fourth clinical audit: "a sister"
        // read as hers).
        let who: Phrase = c.person(index, "patient") == .partner ? "\(c.relative(relationship)) of the partner" : c.relative(relationship)
        let conditions = r.children("condition").map { $0.child("code") }
        let rpl = conditions.contains { c.terminology.matchesCodeOrKeyword($0, .recurrentMiscarriage) }
        let lossEntries = conditions.filter { c.terminology.matches($0, .pregnancyLoss) }.count
        if rpl || lossEntries >= 2 {
            if c.terminology.matches(relationship, .familyRelationship) {
                facts.familyHistoryRPL.append(Finding("recurrent miscarriage in \(who)", Source(index)))
            } else if c.terminology.matches(relationship, .familyRelationshipAmbiguous) {
                // guideline.md v3: SISINLAW, BROINLAW may be no blood relative (a sibling's spouse):
                // a warning, not counted (the third clinical audit found them counted).
                c.warn(index, .ambiguousRelative(relative: who))
            }
        }
        // Her record's history of her partner (HUSB, WIFE, SPS, DOMPART) as a carrier: his karyotype.
        if c.terminology.matches(relationship, .partner), conditions.contains(where: { c.terminology.matches($0, .balancedRearrangement) }) {
            facts.parentalKaryotypeAbnormal.append(Finding("partner: balanced rearrangement carrier", Source(index)))
        }
        for condition in conditions {
            if c.terminology.matchesCodeOrKeyword(condition, .congenitalMalformation) || c.terminology.matchesCodeOrKeyword(condition, .chromosomalAbnormality) {
                facts.geneticsReferralReasons.append(Finding("\(record: c.text(condition)) in \(who)", Source(index)))
            }
        }
    }
}
