import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3, "The date of an event is its clinical date": never when it was typed in.
@Suite(.serialized) struct ClinicalDateTests {
    static func recorded(_ r: Element, _ date: String) -> Element {
        var r = r
        r.children.append(.primitive("recordedDate", date))
        return r
    }

    static func onsetString(_ r: Element, _ text: String) -> Element {
        var r = r
        r.children.append(.primitive("onsetString", text))
        return r
    }

    @Test func twoLossesEnteredAtOneIntakeWithoutOnsetsAreTwo() throws {
        var s = S(losses: [])
        s.add(Self.recorded(S.condition("loss-a", S.sct, "17369002", onset: nil), "2026-10-01"))
        s.add(Self.recorded(S.condition("loss-b", S.sct, "17369002", onset: nil), "2026-10-01"))
        let out = try InProcess.apply(s)
        #expect(out.resources("CarePlan").first?.children("addresses").count == 2)
    }

    @Test func anOnsetStringIsADateOnlyWhenItIsOne() throws {
        // "2024-03" dates the loss (far from the other: two pregnancies); "maart 2024" does not
        // (undated: counts on its own), so both give two losses, and two onsets 10 days apart one.
        var dated = S(losses: ["2024-03-20"])
        dated.add(Self.onsetString(S.condition("loss-x", S.sct, "17369002", onset: nil), " 2024-03 "))
        let sameMonth = try InProcess.apply(dated)
        // The partial onset overlaps March 20: one pregnancy recorded twice, no plan.
        #expect(sameMonth.resources("CarePlan").isEmpty)
        var words = S(losses: ["2024-03-20"])
        words.add(Self.onsetString(S.condition("loss-x", S.sct, "17369002", onset: nil), "maart 2024"))
        #expect(try InProcess.apply(words).resources("CarePlan").first?.children("addresses").count == 2)
    }
}
