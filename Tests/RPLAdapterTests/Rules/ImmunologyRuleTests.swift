import FHIR
import Foundation
import Testing
import TestSupport

/// guideline.md v2 §3a: RPL-ANA (Sources/RPLGuideline/Immunology.swift).
@Suite(.serialized) struct ImmunologyRuleTests {
    func consider(_ extra: Element...) throws -> Outcome {
        var s = S()
        for e in extra { s.add(e) }
        return try InProcess.apply(s)
    }

    @Test(arguments: [("M32.9", true), ("M35.0", true), ("M06.9", true), ("M25.50", true), ("I73.0", true), ("M54.5", false), ("I73.9", false)])
    func codedSymptomsGiveConsiderANA(code: String, fires: Bool) throws {
        let out = try consider(S.condition("c", S.icd10, code, onset: "2021-06-01"))
        #expect(out.fired.contains("RPL-ANA") == fires, "\(code)")
        #expect(out.activities.filter { $0 == "ana-consider" }.isEmpty, "consider ANA is a plan activity, not an order")
        if fires {
            let plan = try #require(out.resources("CarePlan").first)
            let activity = plan.children("activity").first { $0.child("detail")?.string("description")?.hasPrefix("RPL-ANA") == true }
            #expect(activity?.child("detail")?.string("description")?.contains("ICD-10 \(code)") == true)
        }
    }

    @Test func anANAResultOrRequestAnswersIt() throws {
        let sle = S.condition("sle", S.icd10, "M32.9", onset: "2021-06-01")
        #expect(!(try consider(sle, S.observation("ana", S.loinc, "8061-4", date: "2019-02-01", interpretation: "NEG")).fired.contains("RPL-ANA")))
        let requested = try consider(sle, S.serviceRequest("ana-req", S.loinc, "5048-4"))
        #expect(!requested.planActivities.contains("RPL-ANA"))
        #expect(requested.notes.contains { $0.hasPrefix("RPL-ANA") && $0.contains("not ordered again") })
        #expect(requested.flags.isEmpty)
    }

    @Test func textAloneDoesNotGiveIt() throws {
        let text = Element.resource("Condition", [.primitive("id", "c"), .complex("code", [.primitive("text", "Raynaud")]), S.subject])
        #expect(!(try consider(text).fired.contains("RPL-ANA")))
    }
}
