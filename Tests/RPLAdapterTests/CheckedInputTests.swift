import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// Issue 15: input that R4 forbids (bdl-7) is refused; two versions of one resource are read once,
/// the newest; a record dated before the patient's birth is implausible and not used. In-process.
@Suite(.serialized) struct CheckedInputTests {
    /// A Scenario entry's resource with `meta` (versionId, lastUpdated) after its id.
    static func versioned(_ r: Element, _ version: String?, lastUpdated: String? = nil) -> Element {
        var r = r
        var meta: [Element] = []
        if let version { meta.append(.primitive("versionId", version)) }
        if let lastUpdated { meta.append(.primitive("lastUpdated", lastUpdated)) }
        if !meta.isEmpty { r.children.insert(.complex("meta", meta), at: 1) }
        return r
    }

    @Test func twoEntriesWithOneFullUrlAndNoDistinctVersionsAreRefused() throws {
        for versions in [(nil, nil), ("1", "1"), ("1", nil)] as [(String?, String?)] {
            var s = S()
            s.add(Self.versioned(S.tsh("4.6"), versions.0))
            s.add(Self.versioned(S.tsh("2.0"), versions.1))
            let out = try InProcess.apply(s)
            #expect(out.status == 65)
            let fullUrl = "urn:uuid:" + S.uuid("Observation/tsh")
            #expect(out.stderr.contains(fullUrl) && out.stderr.contains("bdl-7"), "\(out.stderr)")
        }
    }

    @Test func twoVersionsOfOneResourceAreReadOnceTheNewest() throws {
        // TSH 4.6 (high: free T4 is ordered) superseded by 2.0 (normal: nothing ordered), in either order.
        for order in [["2", "10"], ["10", "2"]] {
            var s = S()
            for v in order { s.add(Self.versioned(S.tsh(v == "10" ? "2.0" : "4.6"), v)) }
            let out = try InProcess.apply(s)
            #expect(out.status == 0, "\(out.stderr)")
            #expect(out.requests("thyroid-ft4").isEmpty, "version 10 (TSH 2.0) is the newest")
        }
        // lastUpdated decides before an opaque versionId.
        var s = S()
        s.add(Self.versioned(S.tsh("2.0"), "b", lastUpdated: "2026-10-21T09:00:00+02:00"))
        s.add(Self.versioned(S.tsh("4.6"), "a", lastUpdated: "2026-10-21T08:00:00Z"))
        #expect(!(try InProcess.apply(s)).requests("thyroid-ft4").isEmpty, "08:00Z is after 09:00+02:00")
    }

    @Test func aLossBeforeThePatientsBirthIsNotCounted() throws {
        let out = try InProcess.apply(S(birthDate: "1993-05-14", losses: ["1990-03-10", "2026-01-22"]))
        #expect(out.stderr.contains("onset 1990-03-10 is before the patient's birth date 1993-05-14: implausible; not used"), "\(out.stderr)")
        #expect(out.stderr.contains("no plan"), "one loss left: \(out.stderr)")
    }

    @Test func aResultBeforeThePatientsBirthIsNotUsed() throws {
        // Persistent anticardiolipin IgG would mean RPL-APL-TREAT; dated before her birth it is not used.
        var s = S(birthDate: "1993-05-14")
        s.add(S.apl("a1", "3181-5", date: "1990-03-01", positive: true)); s.add(S.apl("a2", "3181-5", date: "1990-06-01", positive: true))
        let out = try InProcess.apply(s)
        #expect(out.stderr.contains("date 1990-03-01 is before the patient's birth date 1993-05-14: implausible; not used"), "\(out.stderr)")
        #expect(out.notes.contains { $0.contains("before the patient's birth date") })
        #expect(!out.fired.contains("RPL-APL-TREAT"))
        // The same results after her birth are used.
        var after = S(birthDate: "1993-05-14")
        after.add(S.apl("a1", "3181-5", date: "2026-03-01", positive: true)); after.add(S.apl("a2", "3181-5", date: "2026-06-01", positive: true))
        #expect(try InProcess.apply(after).fired.contains("RPL-APL-TREAT"))
    }
}
