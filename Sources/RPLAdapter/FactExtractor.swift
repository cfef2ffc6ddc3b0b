import FHIR
import RPLGuideline

/// FHIR → facts (guideline.md §0): every fact source of `factSources` (one per card area, in
/// `Facts/`) reads its area from the same context. Data that is present but unusable (no unit,
/// unknown unit, unparseable or implausible value, unresolved reference, a date after the
/// evaluation date) is never dropped silently: it becomes a warning, and the rule that needed it
/// sees it as missing.
public struct FactExtractor {
    public struct Failure: Error {
        public let message: String
    }

    public let patient: Int
    public let warnings: [Phrase]
    public let facts: Facts
    /// The input resources' identities (the emitter's ids are made of them).
    let identities: Identities
    /// Her partner's RelatedPerson and Patient (an order for him is of her plan too).
    let partners: Set<Int>

    public init(input: InputBundle, profiles: Profiles, evaluationDate: CalendarDate) throws(Failure) {
        let context: FactContext
        do {
            context = try FactContext(input: input, profiles: profiles, date: evaluationDate)
        } catch {
            throw Failure(message: error.message)
        }
        var facts = Facts(evaluationDate: evaluationDate)
        for source in factSources { source.read(context, into: &facts) }
        self.patient = context.patient
        self.identities = context.identities
        self.partners = context.partners
        self.facts = facts
        self.warnings = context.orderedWarnings.map(\.phrase)
    }
}
