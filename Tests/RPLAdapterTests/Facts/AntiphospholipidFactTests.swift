import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

@Suite struct AntiphospholipidFactTests {
    @Test func onlyAConfirmedSpecificCodeIsAPS() throws {
        var confirmed = S(); confirmed.add(S.condition("aps", S.sct, "26843008", onset: "2022-01-01"))
        #expect(try FactRun.read(confirmed, [Antiphospholipid.self]).facts.apsDiagnosed.count == 1)
        var d686 = S(); d686.add(S.condition("aps", S.icd10, "D68.6", onset: "2022-01-01"))
        let (f, w) = try FactRun.read(d686, [Antiphospholipid.self])
        #expect(f.apsDiagnosed.isEmpty)
        #expect(w.contains { $0.contains("not specific for antiphospholipid syndrome") })
    }
}
