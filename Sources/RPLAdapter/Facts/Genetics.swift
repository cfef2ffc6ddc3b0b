import FHIR
import RPLGuideline

/// Card area: genetics (`Sources/RPLGuideline/Genetics.swift`: RPL-KARYOTYPE,
/// RPL-GENETIC-COUNSELING, RPL-CLINICAL-GENETICS; the exceptions of NR-KARYOTYPE and
/// NR-TISSUE-GENETICS). Facts: `familyHistoryRPL`, `geneticsReferralReasons`,
/// `parentalKaryotypeAbnormal`, `structuralAnomaliesInPregnancy`.
/// Codes: ValueSets `karyotype`, `productsOfConception`, `abnormal`, `familyRelationship`,
/// `recurrentMiscarriage`, `pregnancyLoss`, `congenitalMalformation`, `chromosomalAbnormality`,
/// `fetalStructuralAnomaly` (keywords for family history: Parameters-rpl-recognition-keywords).
/// Tests: Tests/EndToEndTests/RuleTests.swift (GeneticsRuleTests), Fixtures `genetics-*`.
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
        for index in c.patientConditions() {
            let code = c.resource(index).child("code")
            if c.terminology.matchesCodeOrKeyword(code, .fetalStructuralAnomaly) {
                facts.structuralAnomaliesInPregnancy.append(Finding(c.text(code), Source(index)))
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
        if pregnancyTissue {
            let v = Terminology.normalise(value)
            if v.contains("translocat") || v.contains("t(") {
                facts.geneticsReferralReasons.append(Finding("translocation in pregnancy tissue (\(value))", Source(index)))
            }
            return
        }
        let abnormal = r.children("interpretation").contains { c.terminology.matches($0, .abnormal) }
            || c.terminology.matches(r.child("valueCodeableConcept"), .abnormal)
        if abnormal {
            facts.parentalKaryotypeAbnormal.append(Finding("abnormal karyotype\(value.isEmpty ? "" : " (\(value))")", Source(index)))
        }
    }

    static func familyHistory(_ c: FactContext, _ index: Int, into facts: inout Facts) {
        let r = c.resource(index)
        let relationship = r.child("relationship")
        let who = c.text(relationship)
        let conditions = r.children("condition").map { $0.child("code") }
        if c.terminology.matches(relationship, .familyRelationship) {
            let rpl = conditions.contains { c.terminology.matchesCodeOrKeyword($0, .recurrentMiscarriage) }
            let lossEntries = conditions.filter { c.terminology.matches($0, .pregnancyLoss) }.count
            if rpl || lossEntries >= 2 {
                facts.familyHistoryRPL.append(Finding("recurrent miscarriage in \(who)", Source(index)))
            }
        }
        for condition in conditions {
            if c.terminology.matchesCodeOrKeyword(condition, .congenitalMalformation) || c.terminology.matchesCodeOrKeyword(condition, .chromosomalAbnormality) {
                facts.geneticsReferralReasons.append(Finding("\(c.text(condition)) in \(who)", Source(index)))
            }
        }
    }
}
