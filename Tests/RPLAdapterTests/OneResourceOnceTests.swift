import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3, "One resource is read once": grouped by type + business identifier, else
/// fullUrl, else id; the newest wins by lastUpdated, then a numeric versionId, never entry order;
/// one identifier on two different results keeps them two.
@Suite(.serialized) struct OneResourceOnceTests {
    static func withIdentifier(_ r: Element, _ value: String, lastUpdated: String? = nil) -> Element {
        var r = r
        let at = r.children.firstIndex { $0.name == "id" }.map { $0 + 1 } ?? 0
        r.children.insert(.complex("identifier", [.primitive("system", "urn:oid:2.16.840.1.113883.2.4.3.11.999.7"), .primitive("value", value)]), at: at)
        if let lastUpdated { r.children.insert(.complex("meta", [.primitive("lastUpdated", lastUpdated)]), at: at) }
        return r
    }

    @Test func theSameLossSentTwiceIsOneLoss() throws {
        // One undated loss, recorded at intake and sent again under another id (a searchset with
        // two versions): one loss, not two (an undated loss counts on its own).
        var s = S(losses: [])
        s.add(Self.withIdentifier(S.condition("loss-a", S.sct, "17369002", onset: nil), "C-1"))
        s.add(Self.withIdentifier(S.condition("loss-b", S.sct, "17369002", onset: nil), "C-1"))
        s.add(S.condition("loss-c", S.sct, "17369002", onset: "2026-01-22"))
        let out = try InProcess.apply(s)
        let plan = try #require(out.resources("CarePlan").first)
        #expect(plan.children("addresses").count == 2)
    }

    @Test func theNewestVersionWinsWhateverTheEntryOrder() throws {
        // The same TSH result, corrected: 5.1 on the first version, 2.0 on the newest.
        for order in [false, true] {
            var s = S()
            let old = Self.withIdentifier(S.tsh("5.1"), "LAB-9", lastUpdated: "2026-10-20T10:00:00+01:00")
            let new = Self.withIdentifier(S.tsh("2.0", id: "tsh-2"), "LAB-9", lastUpdated: "2026-10-20T09:30:00Z")
            for r in order ? [new, old] : [old, new] { s.add(r) }
            let out = try InProcess.apply(s)
            // The corrected TSH is normal: no free T4.
            #expect(!out.fired.contains("RPL-FT4"), "entries reversed: \(order)")
        }
    }

    @Test func oneAccessionNumberOnTwoResultsKeepsThemTwo() throws {
        var s = S()
        s.add(Self.withIdentifier(S.tsh("6.0"), "ACC-1"))
        s.add(Self.withIdentifier(S.freeT4("8.0"), "ACC-1"))
        let out = try InProcess.apply(s)
        // High TSH and low free T4 both read: overt hypothyroidism, levothyroxine proposed.
        #expect(out.fired.contains("RPL-LEVOTHYROXINE"))
        #expect(out.stderr.contains("has the identifier of"))
    }
}
