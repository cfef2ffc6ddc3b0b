import FHIR
import RPLGuideline

/// Card area: the "wel bij" lines of prolactin and the hormone profile
/// (`Sources/RPLGuideline/Endocrine.swift`: RPL-PROLACTIN, RPL-HORMONE-PROFILE; the exceptions of
/// NR-PROLACTIN, NR-HORMONES, NR-OVARIAN-ENDOCRINE's LH). Facts: `oligoOrAmenorrhoea` and
/// `cycleDisorder` (active Conditions; by code, or by keyword marked `byText`: text only holds back
/// a flag), `prolactinResult` and `hormoneProfile` (results in the lookback window), `lastDelivery`.
/// Codes: ValueSets `amenorrhoea`, `cycleDisorder`, `prolactin`, `delivery`, and for each test of the
/// profile (the `activity-item`s of ActivityDefinition-hormone-profile) the ValueSet `rpl-<item>`
/// (`fsh`, `lh`, `estradiol`) or else the item's own code; settings `lookbackMonths`, `postpartumDays`.
/// Tests: Tests/RPLAdapterTests/Facts/EndocrineFactTests.swift, Tests/RPLAdapterTests/Rules/EndocrineRuleTests.swift, Fixtures `endocrine-*`.
enum Endocrine: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        var deliveries: [DatedFinding] = []
        for index in c.patientConditions() {
            let r = c.resource(index)
            let code = r.child("code")
            if c.terminology.matches(code, .delivery), let d = c.dated(index, c.conditionDateText(r), what: "onset") {
                deliveries.append(DatedFinding(date: d, finding: Finding(record: c.text(code), Source(index))))
            }
            guard c.currentCondition(index) else { continue }
            if let finding = finding(c, index, code, .amenorrhoea) { facts.oligoOrAmenorrhoea.append(finding) }
            if let finding = finding(c, index, code, .cycleDisorder) { facts.cycleDisorder.append(finding) }
        }
        for index in c.items(["Procedure"]) {
            let r = c.resource(index)
            guard c.person(index) == .patient, !["entered-in-error", "not-done"].contains(r.string("status") ?? ""),
                  c.terminology.matches(r.child("code"), .delivery),
                  let d = c.dated(index, performedText(r), what: "performed") else { continue }
            deliveries.append(DatedFinding(date: d, finding: Finding(record: c.text(r.child("code")), Source(index))))
        }
        // Two of one day: by content, never by entry order.
        facts.lastDelivery = deliveries.max { $0.date != $1.date ? $0.date < $1.date : c.identities.tieBreak($0.finding.source.index, $1.finding.source.index) }

        // The profile's tests, as the order catalogue names them (a setting: a site may change them).
        let tests = profileTests(c)
        var results: [String: (date: CalendarDate, index: Int)] = [:]
        var prolactin: (date: CalendarDate, index: Int)?
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient else { continue }
            let code = r.child("code")
            let isProlactin = c.terminology.matches(code, .prolactin)
            let items = tests.filter { $0.matches(c, code) }.map(\.item)
            guard isProlactin || !items.isEmpty, let d = c.inLookbackWindow(index) else { continue }
            if isProlactin, prolactin.map({ d >= $0.date }) ?? true { prolactin = (d, index) }
            for item in items where results[item].map({ d >= $0.date }) ?? true { results[item] = (d, index) }
        }
        facts.prolactinResult = prolactin.map { Source($0.index) }
        facts.hormoneProfile = tests.map { ProfileTest(item: $0.item, text: $0.text, result: results[$0.item].map { Source($0.index) }) }
    }

    /// A Condition of this ValueSet: by code, else by keyword (marked as text).
    static func finding(_ c: FactContext, _ index: Int, _ code: Element?, _ valueSet: ValueSetID) -> Finding? {
        if c.terminology.matches(code, valueSet) { return Finding(record: c.text(code), Source(index)) }
        if c.terminology.matchesKeyword(code, valueSet) { return Finding(record: c.text(code), Source(index), byText: true) }
        return nil
    }

    static func performedText(_ r: Element) -> String? {
        r.string("performedDateTime") ?? r.child("performedPeriod")?.string("start")
    }

    /// One test of the hormone profile: its item code, its name, and how its results are recognised.
    struct Test {
        var item: String
        var text: String
        var valueSet: ValueSetID?
        var code: CodeKey?

        func matches(_ c: FactContext, _ concept: Element?) -> Bool {
            if let valueSet { return c.terminology.matches(concept, valueSet) }
            guard let code else { return false }
            return c.terminology.codes(of: concept).contains(code)
        }
    }

    static func profileTests(_ c: FactContext) -> [Test] {
        guard c.profiles.activityDefinition(.hormoneProfile) != nil else { return [] }
        return c.profiles.catalogue.items(of: .hormoneProfile).map { item in
            Test(item: item.item, text: item.text, valueSet: ValueSetID(rawValue: "rpl-" + item.item), code: item.code)
        }
    }
}
