import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

/// One suite per fact source (Sources/RPLAdapter/Facts/<Area>.swift): the source alone (and the
/// sources it builds on) over a Scenario, checked on the facts it fills and the warnings it gives.
/// Evaluation date 2026-11-02.
enum FactRun {
    static let date = CalendarDate(year: 2026, month: 11, day: 2)!

    static func read(_ s: Scenario, _ sources: [any FactSource.Type]) throws -> (facts: Facts, warnings: [String]) {
        let c = try FactContext(input: InputBundle(s.bundle()), profiles: InProcess.profiles, date: date)
        var facts = Facts(evaluationDate: date)
        for source in sources { source.read(c, into: &facts) }
        return (facts, c.orderedWarnings.map(\.description))
    }

    static func condition(text: String, onset: String? = nil) -> Element {
        .resource("Condition", [.primitive("id", "t-\(abs(text.hashValue))"), .complex("code", [.primitive("text", text)]), S.subject]
                  + (onset.map { [.primitive("onsetDateTime", $0)] } ?? []))
    }
}
