import Testing
@testable import RPLGuideline

/// The rules over plain facts, without FHIR.
@Suite struct GuidelineTests {
    let date = CalendarDate(year: 2026, month: 11, day: 2)!

    func facts(losses: Int = 2) -> Facts {
        var f = Facts(evaluationDate: date)
        f.ageYears = 33
        f.losses = (0..<losses).map { PregnancyLoss(date: date.adding(days: -100 * ($0 + 1)), secondTrimester: false, sources: [Source($0)]) }
        return f
    }

    @Test func theCardHas45RulesWithUniqueIds() {
        #expect(Card.lines.count == 45)
        #expect(Set(Card.lines.map(\.ruleId)).count == 45)
        #expect(Card.lines.filter { $0.ruleId.rawValue.hasPrefix("NR-") }.count == 16)
        #expect(Set(Card.lines.map(\.ruleId)) == Set(RuleID.allCases))
    }

    @Test func calendarArithmetic() {
        let d = CalendarDate(fhir: "2024-02-28T23:00:00+01:00")!
        #expect(d.adding(days: 1).description == "2024-02-29")
        #expect(d.adding(days: 2).description == "2024-03-01")
        #expect(CalendarDate(fhir: "2026-06-01")!.days(until: CalendarDate(fhir: "2026-08-24")!) == 84)
        #expect(CalendarDate(fhir: "1991-11-03")!.wholeYears(until: date) == 34)
        #expect(CalendarDate(fhir: "1991-11-02")!.wholeYears(until: date) == 35)
        #expect(CalendarDate(fhir: "2026-02") == nil)
        #expect(CalendarDate(fhir: "2026-02-30") == nil)
        #expect(CalendarDate(dayNumber: 0).description == "1970-01-01")
        #expect(GestationalAge(weeks: 12).description == "12w0d")
    }

    /// interface.md v3, serve: the partner's records unread (a CDS Hooks prefetch names only her):
    /// his rules give notes; read (apply, or a fhirServer): none of these notes.
    @Test func partnersRulesGiveNotesWhenHisRecordsAreNotChecked() {
        func notes(_ f: Facts) -> [Recommendation] { Guideline.evaluate(f).recommendations.filter { $0.reason.description.hasPrefix("Partner's records not checked") } }
        var f = facts(losses: 3)
        #expect(notes(f).isEmpty)
        f.partnerRecordsNotChecked = true
        // Age 33, three losses, no family history of hers: his could complete RPL-KARYOTYPE's footnote.
        #expect(notes(f).map(\.ruleId) == [.karyotype, .geneticCounseling, .clinicalGenetics, .lifestyle])
        #expect(notes(f).allSatisfy { $0.kind == .note })
        #expect(notes(f).first?.reason.description.contains("footnote") == true)
        // Her family history completes it: his open karyotype request is what cannot be seen.
        f.familyHistoryRPL = [Finding("mother: recurrent miscarriage", Source(5))]
        #expect(notes(f).first { $0.ruleId == .karyotype }?.reason.description.contains("open karyotype request") == true)
        // Older than 35 without family history: nothing of his changes RPL-KARYOTYPE.
        f.familyHistoryRPL = []
        f.ageYears = 36
        #expect(!notes(f).contains { $0.ruleId == .karyotype })
        // Counselling or referral already indicated: no note for them.
        f.parentalKaryotypeAbnormal = [Finding("46,XY,t(11;22)", Source(6))]
        f.geneticsReferralReasons = [Finding("child with a major anomaly", Source(8))]
        #expect(notes(f).map(\.ruleId) == [.lifestyle])
        // A female partner is not the genetic father: only the lifestyle note.
        f.parentalKaryotypeAbnormal = []; f.geneticsReferralReasons = []
        f.partner = Partner(source: Source(7), identifiable: true, female: true)
        #expect(notes(f).map(\.ruleId) == [.lifestyle])
        // Not indicated: no plan, no notes.
        var one = facts(losses: 1)
        one.partnerRecordsNotChecked = true
        #expect(Guideline.evaluate(one).recommendations.isEmpty)
    }

    @Test func noPlanBelowTwoLosses() {
        let plan = Guideline.evaluate(facts(losses: 1))
        #expect(!plan.indicated && plan.recommendations.isEmpty)
        #expect(Guideline.evaluate(facts(losses: 2)).indicated)
    }

    @Test func recommendationsFollowTheOrderOfTheCard() {
        var f = facts()
        f.tsh = ThyroidResult(value: 5, unit: "mU/L", date: date, classification: .high, basis: "test", source: Source(9))
        let ids = Guideline.evaluate(f).recommendations.map(\.ruleId)
        let order = ids.map(Card.order)
        #expect(order == order.sorted())
        #expect(ids.contains(.ft4) && !ids.contains(.tsh))
    }

    @Test func rejectedTermIsReplacedInAnyCase() {
        #expect(rplTerm("Habituele Abortus bij patiënte") == "Herhaalde miskramen bij patiënte")
        #expect(rplTerm("HABITUAL ABORTION") == "Recurrent pregnancy loss")
        // guideline.md v2: every spelling and word order, inflected as whole words.
        #expect(rplTerm("abortus habitualis") == "herhaalde miskramen")
        #expect(rplTerm("a habitual aborter") == "a recurrent pregnancy loss")
        #expect(rplTerm("habituele miskramen bij zus") == "herhaalde miskramen bij zus")
        #expect(rplTerm("habitueel-abortus") == "herhaalde miskramen")
        #expect(rplTerm("history of habitual abortions") == "history of recurrent pregnancy losses")
        #expect(rplTerm("recurrent abortion") == "recurrent pregnancy loss")
        #expect(!rplTerm("Habitual abortions, habitual miscarriage").contains("losss"))
        #expect(rplTerm("habitual smoker; abortion in 2019") == "habitual smoker; abortion in 2019")
        #expect(rplTerm("no change") == "no change")
    }

    @Test func persistenceNeedsTwoPositivesAtLeast84DaysApart() {
        let a = AntiphospholipidResult(date: date.adding(days: -200), positive: true, source: Source(1))
        let b83 = AntiphospholipidResult(date: date.adding(days: -117), positive: true, source: Source(2))
        let b84 = AntiphospholipidResult(date: date.adding(days: -116), positive: true, source: Source(3))
        #expect(persistence([a, b83], days: 84) == nil)
        #expect(persistence([a, b84], days: 84) != nil)
        // A later negative does not undo it.
        var f = facts()
        f.antiphospholipid[.antiB2GPIIgM] = [a, b84, AntiphospholipidResult(date: date, positive: false, source: Source(4))]
        #expect(rplAPLTreat(f, settings: GuidelineSettings()).map(\.activityId) == [.aspirinLowDose, .lmwh])
    }

    @Test func progesteroneEndDateIsWhenGestationalAgeReaches16Weeks() {
        var f = facts(losses: 3)
        f.currentPregnancy = CurrentPregnancy(gestationalAge: GestationalAge(weeks: 9, days: 3), sources: [Source(7)])
        f.bleedingInCurrentPregnancy = [Bleeding(gestationalAgeAtOnset: GestationalAge(weeks: 9), finding: Finding("bleeding", Source(8)))]
        let rec = rplProgesterone(f, settings: GuidelineSettings())
        // 16w0d − 9w3d = 46 days after 2026-11-02.
        guard case .medication(_, let until)? = rec?.action else { Issue.record("not a medication"); return }
        #expect(until?.description == "2026-12-18")
        f.currentPregnancy = CurrentPregnancy(gestationalAge: GestationalAge(weeks: 16), sources: [Source(7)])
        #expect(rplProgesterone(f, settings: GuidelineSettings())?.kind == .note)
    }

    /// interface.md v2: the generation counts closed earlier requests, not catalogue entries (a
    /// request for anticardiolipin IgG names both the first test and its repeat: it counts once).
    @Test func oneClosedRequestIsOneGeneration() {
        var f = facts()
        f.closedRequests = [RequestedActivity(activity: .aplTesting, item: "anticardiolipin-igg", source: Source(9), authoredOn: nil),
                            RequestedActivity(activity: .aplRepeat, item: "anticardiolipin-igg", source: Source(9), authoredOn: nil)]
        let rec = Recommendation.order(ruleId: .apl, activity: .aplTesting, sources: [], reason: "", item: "anticardiolipin-igg")
        #expect(Guideline.generation(rec, f).generation == 1)
        let other = Recommendation.order(ruleId: .apl, activity: .aplTesting, sources: [], reason: "", item: "anticardiolipin-igm")
        #expect(Guideline.generation(other, f).generation == 0)
    }
}
