import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3 rows, each at its boundary (issue 16).
@Suite(.serialized) struct VersionThreeRowTests {
    /// `apsDiagnosed` v3: verificationStatus confirmed **or absent** (optional in R4 and the zib);
    /// a GP's closed (inactive) episode is still APS; resolved is a warning, not APS.
    @Test func anAPSWithoutVerificationStatusIsADiagnosis() throws {
        func aps(clinical: String) -> S {
            var s = S()
            var c = S.condition("aps", S.sct, "26843008", onset: "2020-04-01", clinical: clinical)
            c.children.removeAll { $0.name == "verificationStatus" }
            s.add(c)
            return s
        }
        for clinical in ["active", "inactive"] {
            let known = try InProcess.apply(aps(clinical: clinical))
            #expect(known.requests("apl-testing").isEmpty, "\(clinical)")
            #expect(known.requests("aspirin-low-dose").count == 1 && known.requests("lmwh").count == 1, "\(clinical)")
        }
        let resolved = try InProcess.apply(aps(clinical: "resolved"))
        #expect(resolved.requests("apl-testing").count == 5)
        #expect(resolved.stderr.contains("resolved"))
    }

    /// `familyHistoryRPL`: siblings include twins (TWINSIS …), as guideline.md lists.
    @Test func aTwinSisterWithRecurrentMiscarriageIsFamilyHistory() throws {
        var s = S(birthDate: "1992-05-01", losses: ["2024-01-10", "2025-03-10", "2026-01-22"])
        s.add(.resource("FamilyMemberHistory", [.primitive("id", "twin"), .primitive("status", "completed"),
                                                .complex("patient", [.primitive("reference", "PATIENT")]),
                                                S.concept("relationship", "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "TWINSIS"),
                                                .complex("condition", [S.concept("code", S.sct, "102878001")])]))
        #expect(try InProcess.apply(s).fired.contains("RPL-KARYOTYPE"))
    }
}
