import FHIR
import RPLGuideline

#if canImport(Glibc)
import Glibc
#endif

/// The whole job for one input Bundle: FHIR → facts → rules → plan → FHIR.
public struct Adapter: Sendable {
    public static let version = "0.1.0"

    public let profiles: Profiles

    public init(profiles: Profiles) { self.profiles = profiles }

    /// The resource types the facts are made of; readers need not build the others (Encounters,
    /// Claims, … are most of a real record).
    public static let resourceTypesRead: Set<String> = [
        "Patient", "RelatedPerson", "Condition", "Observation", "FamilyMemberHistory", "DiagnosticReport", "ImagingStudy",
        "Procedure", "MedicationRequest", "MedicationStatement", "Medication", "ServiceRequest", "ResearchSubject", "Specimen",
    ]

    /// Reads an input Bundle for `apply`, building only the resources the facts are made of.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, as format: FHIRFormat) throws(FHIRFormatError) -> Element {
        try format.read(bytes, materialise: { resourceTypesRead.contains($0) })
    }

    public struct Result: Sendable {
        /// The transaction Bundle (empty when not indicated).
        public var output: Element
        public var warnings: [String]
        /// When no plan was made: why (a line for standard error).
        public var notIndicated: String?
        public var plan: Plan?
    }

    /// `asOf`: the evaluation date; without it the Bundle's timestamp, else today (UTC).
    public func apply(_ bundle: Element, asOf: CalendarDate?) throws(FHIRFormatError) -> Result {
        guard bundle.isResource, bundle.name == "Bundle" else {
            throw FHIRFormatError(.invalid, "expected a Bundle, got \(bundle.name)", location: bundle.name)
        }
        let date = asOf ?? bundle.string("timestamp").flatMap { CalendarDate(fhir: $0) } ?? Adapter.today()
        let input = InputBundle(bundle)
        let extractor: FactExtractor
        do {
            extractor = try FactExtractor(input: input, profiles: profiles, evaluationDate: date)
        } catch let e as FactExtractor.Failure {
            throw FHIRFormatError(.invalid, e.message, location: "Bundle")
        } catch {
            throw FHIRFormatError(.invalid, "\(error)", location: "Bundle")
        }
        // guideline.md v2: a deceased patient gets no plan (as when not indicated: exit 0, the reason said).
        let patient = input.items[extractor.patient].resource
        if patient.string("deceasedBoolean") == "true" || patient.string("deceasedDateTime") != nil {
            let when = patient.string("deceasedDateTime").map { " (\($0))" } ?? ""
            return Result(output: .resource("Bundle", [.primitive("type", "transaction")]), warnings: extractor.warnings.map(rplTerm),
                          notIndicated: "the patient is recorded as deceased\(when)", plan: nil)
        }
        var settings = GuidelineSettings()
        settings.antiphospholipidRepeatDays = profiles.defaults.antiphospholipidRepeatDays
        settings.postpartumDays = profiles.defaults.postpartumDays
        settings.tissueGeneticsWithinDays = profiles.defaults.tissueGeneticsWithinDays
        settings.progesteroneUntil = GestationalAge(days: profiles.defaults.progesteroneUntilDays)
        settings.earlyBleedingUntil = GestationalAge(days: profiles.defaults.earlyBleedingUntilDays)
        let plan = Guideline.evaluate(extractor.facts, settings: settings)
        let warnings = extractor.warnings.map(rplTerm)
        guard plan.indicated else {
            return Result(output: .resource("Bundle", [.primitive("type", "transaction")]), warnings: warnings,
                          notIndicated: rplTerm(plan.indication), plan: plan)
        }
        let emitter = PlanEmitter(input: input, profiles: profiles, patient: extractor.patient, date: date, version: Adapter.version)
        return Result(output: emitter.emit(plan, warnings: warnings), warnings: warnings, notIndicated: nil, plan: plan)
    }

    static func today() -> CalendarDate {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        return CalendarDate(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday))!
    }
}
