import FHIR
import RPLGuideline

/// One area of the card, read from the input (guideline.md §0): what its rules need, and nothing
/// else. Each area has one chain: `Profiles/ValueSet-*` (its codes, as `ValueSetID`s) → its source
/// here (`Facts/<Area>.swift`) → its rules (`Sources/RPLGuideline/<Area>.swift`).
protocol FactSource: SendableMetatype {
    /// Reads this area's facts into `facts`; data that is present but unusable becomes a warning
    /// in the context, never a silent drop.
    static func read(_ context: FactContext, into facts: inout Facts)
}

/// Every fact source, in the order of the card's areas. A new area is one more type here.
let factSources: [any FactSource.Type] = [
    Losses.self, Thyroid.self, Antiphospholipid.self, Genetics.self, Uterus.self, Lifestyle.self, Pregnancy.self,
    Endocrine.self, Immunology.self, Requests.self,
]

/// What the fact sources share: the input, the terminology and settings, the evaluation date,
/// whose data each resource is, and the warnings.
final class FactContext {
    let input: InputBundle
    /// What each input resource is, whatever message it came in (interface.md v2, Identity).
    let identities: Identities
    let profiles: Profiles
    let date: CalendarDate
    /// The patient's index in `input.items`.
    let patient: Int
    let partners: Set<Int>
    /// How many people are recorded as her partner (two or more: none is identifiable).
    let partnersRecorded: Int
    /// Her other Patient records, joined to hers by `Patient.link` (guideline.md v3: one person).
    let linkedRecords: Set<Int>
    private(set) var warnings: [Warning] = []
    /// `person(index, field)` answers, so a reference that does not resolve is warned about once.
    private var people: [PersonKey: Person] = [:]
    /// The same answers for the field nearly every question names, `subject`, by index (issue 20:
    /// 16,000 questions a run, each hashing its key).
    private var subjects: [Person?]
    /// The resources of each type, in input order (each source reads a few types).
    private let byType: [String: [Int]]
    private var cachedPatientConditions: [Int]?

    private struct PersonKey: Hashable {
        var index: Int
        var field: String
    }

    /// The terminology, each concept's answers worked out once for this plan.
    let terminology: ConceptAnswers
    var defaults: Profiles.Defaults { profiles.defaults }

    struct Failure: Error {
        let message: String
    }

    /// The patient is the one woman; a partner is a RelatedPerson, or a second (non-female)
    /// Patient. No Patient, or two women, is not usable input.
    init(input: InputBundle, profiles: Profiles, date: CalendarDate) throws(Failure) {
        self.input = input
        subjects = Array(repeating: nil, count: input.items.count)
        let identities = Identities(input, terminology: profiles.terminology, preferredSystems: profiles.site.patientIdentifierSystems)
        self.identities = identities
        self.profiles = profiles
        terminology = ConceptAnswers(profiles.terminology)
        self.date = date
        let patients = input.items.indices.filter { input.items[$0].type == "Patient" && input.items[$0].container == nil && !input.superseded.contains($0) }
        guard !patients.isEmpty else { throw Failure(message: "the Bundle has no Patient") }
        let relatedPeople = input.items.indices.filter { input.items[$0].type == "RelatedPerson" && input.items[$0].container == nil && !input.superseded.contains($0) }
        // guideline.md v3: Patients joined by `Patient.link` are one person (R4), her records
        // merged; a Patient that shares an identifier with a RelatedPerson coded as a partner is
        // that partner, never the patient (a female partner is not a second patient).
        var group = Dictionary(uniqueKeysWithValues: patients.map { ($0, $0) })
        func root(_ p: Int) -> Int { var p = p; while group[p]! != p { p = group[p]! }; return p }
        for p in patients {
            for link in input.items[p].resource.children("link") {
                guard let other = link.child("other"), let target = input.resolve(other, from: p), group[target] != nil else { continue }
                let a = root(p), b = root(target)
                if a != b { group[max(a, b)] = min(a, b) }
            }
        }
        let partnerKeys = Set(relatedPeople.filter { i in
            input.items[i].resource.children("relationship").contains { profiles.terminology.matches($0, .partner) }
        }.flatMap { input.items[$0].resource.children("identifier").compactMap(identities.identifierKey) })
        let partnersByIdentifier = Set(patients.filter { p in
            input.items[p].resource.children("identifier").contains { identities.identifierKey($0).map(partnerKeys.contains) == true }
        })
        // Only where that leaves her: a RelatedPerson of his that names her as his wife must not
        // make him the patient (the card is about the woman).
        let isWoman = { (p: Int) in input.items[p].resource.string("gender") == "female" }
        let others = patients.filter { !partnersByIdentifier.contains($0) }
        let candidates = patients.count > 1 && !others.isEmpty && (others.contains(where: isWoman) || !patients.contains(where: isWoman)) ? others : patients
        var people = Dictionary(grouping: candidates, by: root)
        if people.count > 1 {
            let women = people.filter { $0.value.contains { input.items[$0].resource.string("gender") == "female" } }
            guard women.count == 1 else {
                throw Failure(message: women.isEmpty
                    ? "the Bundle has \(people.count) Patients and none is female: cannot tell who the patient is"
                    : "the Bundle has \(women.count) female Patients, not linked to each other (Patient.link): one Bundle holds one patient")
            }
            people = women
        }
        let hers = people.values.first!
        if hers.count == 1 {
            patient = hers[0]
        } else {
            // Her current record: the one the input refers to most, then the one that links to
            // the others, then by identity (never by entry order).
            var referred: [Int: Int] = [:]
            for i in input.items.indices where !input.superseded.contains(i) {
                let r = input.items[i].resource
                guard let ref = r.child("subject") ?? r.child("patient"), let t = input.resolve(ref, from: i), hers.contains(t) else { continue }
                referred[t, default: 0] += 1
            }
            patient = hers.max { a, b in
                let ka = (referred[a] ?? 0, input.items[a].resource.children("link").isEmpty ? 0 : 1), kb = (referred[b] ?? 0, input.items[b].resource.children("link").isEmpty ? 0 : 1)
                return ka != kb ? ka < kb : identities.of(a) > identities.of(b)
            }!
        }
        linkedRecords = Set(hers).subtracting([patient])
        // guideline.md v3 `partner`: a RelatedPerson of hers, current, whose relationship is
        // exactly a partner code (a mother, a sister, a contact or an uncoded relation never is,
        // whatever the order of entries); his Patient is the one that shares an identifier with
        // him. Exactly one such person is the partner; two or more: none identifiable.
        var partnerPeople: [String: [Int]] = [:]
        for i in relatedPeople {
            let r = input.items[i].resource
            guard r.string("active") != "false",
                  r.child("period")?.string("end").flatMap(DayInterval.init(fhir:)).map({ $0.end >= date }) ?? true,
                  r.children("relationship").contains(where: { profiles.terminology.matches($0, .partner) }) else { continue }
            if let ref = r.child("patient"), let target = input.resolve(ref, from: i), target != patient, !hers.contains(target) { continue }
            partnerPeople[identities.of(i), default: []].append(i)
        }
        var partners = Set<Int>()
        if partnerPeople.count == 1, let related = partnerPeople.values.first {
            partners.formUnion(related)
            let keys = Set(related.flatMap { i in input.items[i].resource.children("identifier").compactMap(identities.identifierKey) })
            partners.formUnion(patients.filter { p in !hers.contains(p) && input.items[p].resource.children("identifier").contains { identities.identifierKey($0).map(keys.contains) == true } })
        }
        self.partners = partners
        partnersRecorded = partnerPeople.count
        var byType: [String: [Int]] = [:]
        // This program's own earlier draft proposals are not part of the record: the evaluation
        // makes them again (the same ids) or withdraws them (interface.md v3); as "already
        // requested" they would withdraw themselves.
        func ownDraft(_ i: Int) -> Bool {
            let r = input.items[i].resource
            return r.string("status") == "draft" && ["ServiceRequest", "MedicationRequest"].contains(r.name)
                && profiles.ownIdentifier(of: r) != nil
        }
        for i in input.items.indices where !input.superseded.contains(i) && !ownDraft(i) { byType[input.items[i].type, default: []].append(i) }
        self.byType = byType
        if patients.count == 1, let g = input.items[patient].resource.string("gender"), g != "female" {
            warn(patient, .notAWoman(gender: g))
        }
        // interface.md v3: a BSN that fails the 11-test is no identity.
        for person in [patient] + partners.sorted() { _ = identities.of(person) }
        for (index, value) in identities.invalidBSNs { warn(index, .invalidBSN(value: value)) }
        for index in identities.conflictingBSNs { warn(index, .conflictingBSNs) }
        for (first, second) in input.sharedIdentifiers { warn(second, .sharedIdentifier(other: identities.name(first))) }
        for (superseded, kept) in input.undecidedVersions { warn(kept, .versionUndecided(other: identities.name(superseded))) }
        if partnerPeople.count > 1 { warn(patient, .severalPartners(count: partnerPeople.count)) }
        for other in linkedRecords.sorted() { warn(other, .linkedRecord(of: identities.name(patient))) }
    }

    func warn(_ index: Int, _ kind: Warning.Kind) {
        warnings.append(Warning(index: index, resource: identities.name(index), kind: kind))
    }

    /// The warnings in the order of the resources they are about (each once), whatever the order
    /// of the sources that found them.
    var orderedWarnings: [Warning] {
        // By the resource's identity, not its place in the Bundle (interface.md v3: the order of
        // entries changes nothing); the patient's own first. Each key made once.
        // Issue 20, a record with fifty warnings: the warnings' places sorted, not the warnings
        // (large values moved by the sort), and ASCII keys compared as bytes (the same order as
        // Strings' for ASCII, without their comparison's cost); any other key as a String.
        let keys = warnings.map { $0.index == patient ? "" : identities.of($0.index) }
        let ascii = keys.map { k in k.utf8.allSatisfy { $0 < 0x80 } ? Array(k.utf8) : nil }
        func order(_ a: Int, _ b: Int) -> Int {
            if let x = ascii[a], let y = ascii[b] { return x == y ? 0 : x.lexicographicallyPrecedes(y) ? -1 : 1 }
            return keys[a] == keys[b] ? 0 : keys[a] < keys[b] ? -1 : 1
        }
        let places = warnings.indices.sorted { a, b in
            let c = order(a, b)
            return c != 0 ? c < 0 : a < b
        }
        // Each warning once, where it first came (the lowest place of its key): a repeat is about
        // the same resource, so it is compared only with the warnings kept for that resource
        // (not hashed: a record with fifty warnings hashed each one's phrases).
        var unique: [Warning] = []
        var kept: [Int: [Int]] = [:]
        for i in places where !(kept[warnings[i].index] ?? []).contains(where: { unique[$0] == warnings[i] }) {
            kept[warnings[i].index, default: []].append(unique.count)
            unique.append(warnings[i])
        }
        return unique
    }

    // MARK: people

    enum Person { case patient, partner, other }

    /// Whose data a resource is, by its subject / patient / individual reference.
    func person(_ index: Int, _ field: String = "subject") -> Person {
        if field == "subject" {
            if let known = subjects[index] { return known }
            let answer = findPerson(index, field)
            subjects[index] = answer
            return answer
        }
        let key = PersonKey(index: index, field: field)
        if let known = people[key] { return known }
        let answer = findPerson(index, field)
        people[key] = answer
        return answer
    }

    private func findPerson(_ index: Int, _ field: String) -> Person {
        let resource = input.items[index].resource
        guard let ref = resource.child(field) ?? resource.child("patient") ?? resource.child("individual") else { return .patient }
        if let r = ref.string("reference") {
            guard let target = input.resolve(r, from: index) else {
                warn(index, .unresolved(field: field, reference: r, consequence: "treated as missing"))
                return .other
            }
            if target == patient || linkedRecords.contains(target) { return .patient }
            if partners.contains(target) { return .partner }
            return .other
        }
        if let id = ref.child("identifier"), let v = id.string("value") {
            let mine = input.items[patient].resource.children("identifier").contains { $0.string("value") == v && $0.string("system") == id.string("system") }
            return mine ? .patient : .other
        }
        return .patient
    }

    // MARK: resources

    /// The indices of the resources of these types, in input order.
    func items(_ types: [String]) -> [Int] {
        // A type the reader does not build would be found empty, every time, unseen (EpisodeOfCare
        // was: helper-31's trial); the tests run every fact source.
        assert(types.allSatisfy(Adapter.resourceTypesRead.contains))
        if types.count == 1 { return byType[types[0]] ?? [] }
        return types.flatMap { byType[$0] ?? [] }.sorted()
    }

    func resource(_ index: Int) -> Element { input.items[index].resource }

    /// An Observation whose result may be used (final, amended, corrected or preliminary).
    func usableObservation(_ r: Element) -> Bool {
        // A switch, not a list made at each call (every fact source asks it of every Observation).
        switch r.string("status") {
        case "final", "amended", "corrected", "preliminary": return true
        default: return false
        }
    }

    // MARK: dates

    /// The clinically relevant date of a resource, warning when it is after the evaluation date.
    func dated(_ index: Int, _ text: String?, what: Phrase) -> CalendarDate? {
        guard let text else { return nil }
        guard let d = CalendarDate(fhir: text) else {
            warn(index, .notAFullDate(what: what, text: text))
            return nil
        }
        if d > date {
            warn(index, .afterEvaluationDate(what: what, text: text, date: date))
            return nil
        }
        if beforeBirth(index, DayInterval(start: d, end: d), what: what, text: text) { return nil }
        return d
    }

    /// The days the patient's birth date may mean, when it is a date on or before the evaluation
    /// date (a birth date after it is itself implausible, warned about, and judges nothing).
    lazy var birth: DayInterval? = resource(patient).string("birthDate").flatMap { DayInterval(fhir: $0) }.flatMap { $0.end > date ? nil : $0 }

    /// The patient's record dated wholly before her birth (before the first day her birth date may
    /// mean) is implausible: a warning, and the caller does not use it.
    func beforeBirth(_ index: Int, _ interval: DayInterval, what: Phrase, text: String) -> Bool {
        guard let birth, interval.end < birth.start, index != patient, person(index) == .patient else { return false }
        warn(index, .beforeBirth(what: what, text: text, birthDate: resource(patient).string("birthDate") ?? ""))
        return true
    }

    func observationDateText(_ r: Element) -> String? {
        r.string("effectiveDateTime") ?? r.string("effectiveInstant") ?? r.child("effectivePeriod")?.string("start") ?? r.string("issued")
    }

    /// guideline.md v3, "current means current on the evaluation date": a medication statement's
    /// or request's period of use that ended before the evaluation date (MedicationStatement
    /// `effectivePeriod.end`; on a request the zib/MP9 period-of-use extension, else the dosage's
    /// `boundsPeriod.end`) is not current, whatever its status says (a warning says so).
    /// `dispenseRequest.validityPeriod` is dispensing validity and never ends use.
    func useEnded(_ index: Int) -> Bool {
        guard let end = useEnd(index), end < date else { return false }
        if resource(index).string("status") == "active" { warn(index, .endedButActive(end: end)) }
        return true
    }

    /// The last day of use a medication record gives (the latest of its periods), or nil.
    func useEnd(_ index: Int) -> CalendarDate? {
        let r = resource(index)
        var ends: [String] = []
        if let end = r.child("effectivePeriod")?.string("end") { ends.append(end) }
        for ext in r.children("extension") where ext.string("url")?.hasSuffix("ext-TimeInterval.Period") == true {
            if let end = ext.child("valuePeriod")?.string("end") { ends.append(end) }
        }
        if ends.isEmpty {
            for d in r.children("dosageInstruction") {
                guard let rep = d.child("timing")?.child("repeat") else { continue }
                if let end = rep.child("boundsPeriod")?.string("end") { ends.append(end) }
                // Start plus `boundsDuration` (guideline.md v3): from the period's start, else authoredOn.
                else if let duration = rep.child("boundsDuration"), let v = duration.string("value").flatMap(Int.init), v >= 0,
                        let start = (rep.child("boundsPeriod")?.string("start") ?? r.string("authoredOn")).flatMap(DayInterval.init(fhir:))?.start {
                    let unit = duration.string("code") ?? duration.string("unit") ?? ""
                    let end: CalendarDate? = switch unit {
                    case "d", "day", "days": start.adding(days: v)
                    case "wk", "week", "weeks": start.adding(days: 7 * v)
                    case "mo", "month", "months": start.adding(months: v)
                    case "a", "year", "years": start.adding(months: 12 * v)
                    default: nil
                    }
                    if let end { ends.append(end.description) }
                }
            }
        }
        return ends.compactMap(DayInterval.init(fhir:)).map(\.end).max()
    }

    /// guideline.md v3: an active medication record with no known end whose start (else
    /// `dateAsserted`) is older than `medicationWithoutEndMonths`: not taken now.
    func useStale(_ index: Int) -> MedicationUse.Stale? {
        let r = resource(index)
        guard useEnd(index) == nil else { return nil }
        // The record's latest word: its start, or a later `dateAsserted` (a long-term drug the
        // patient confirmed last month is current).
        let texts = [r.string("effectiveDateTime") ?? r.child("effectivePeriod")?.string("start") ?? r.string("authoredOn"), r.string("dateAsserted")]
        guard let latest = texts.compactMap({ $0.flatMap(DayInterval.init(fhir:))?.end }).max() else { return nil }
        let months = defaults.medicationWithoutEndMonths
        return latest < date.adding(months: -months) ? MedicationUse.Stale(since: latest, afterMonths: months) : nil
    }

    /// guideline.md v3, the date of an event is its clinical date: the onset, never `recordedDate`
    /// (an intake records a life's history in one afternoon); `onsetString` only when, trimmed,
    /// it is exactly `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    func conditionDateText(_ r: Element) -> String? {
        if let d = r.string("onsetDateTime") ?? r.child("onsetPeriod")?.string("start") { return d }
        guard let s = r.string("onsetString").map(Terminology.trimmed) else { return nil }
        let u = Array(s.utf8)
        let digit = { (i: Int) in u[i] >= 0x30 && u[i] <= 0x39 }
        let dash = UInt8(ascii: "-")
        switch u.count {
        case 4 where (0..<4).allSatisfy(digit): return s
        case 7 where (0..<4).allSatisfy(digit) && u[4] == dash && (5..<7).allSatisfy(digit): return s
        case 10 where (0..<4).allSatisfy(digit) && u[4] == dash && (5..<7).allSatisfy(digit) && u[7] == dash && (8..<10).allSatisfy(digit): return s
        default: return nil
        }
    }

    /// guideline.md v3: a Condition's onset as the days it may mean. `onsetPeriod` is its start
    /// to its end; `onsetAge` and `onsetRange` (ages, UCUM a, mo, wk, d) are intervals from the
    /// birth date (`onsetAge` 28 a: from her 28th birthday to the day before her 29th); the rest
    /// as `conditionDateText`. nil: no onset recorded; an interval of nil: recorded, not usable.
    func conditionOnset(_ r: Element) -> (text: String, interval: DayInterval?)? {
        if let period = r.child("onsetPeriod"), let start = period.string("start") {
            guard let a = DayInterval(fhir: start) else { return (start, nil) }
            if let end = period.string("end"), let b = DayInterval(fhir: end), b.end >= a.start {
                return ("\(start)/\(end)", DayInterval(start: a.start, end: b.end))
            }
            return (start, a)
        }
        func ageBound(_ q: Element?) -> (value: Double, text: String, months: Int?, days: Int?)? {
            guard let q, let text = q.string("value"), let v = Double(text), v.isFinite, v >= 0, v < 200 else { return nil }
            let unit = q.string("code") ?? q.string("unit") ?? "a"
            switch unit {
            case "a", "yr", "year", "years", "jaar": return v == v.rounded() ? (v, "\(text) a", Int(v) * 12, nil) : nil
            case "mo", "month", "months", "maand", "maanden": return v == v.rounded() ? (v, "\(text) mo", Int(v), nil) : nil
            case "wk", "week", "weeks": return v == v.rounded() ? (v, "\(text) wk", nil, Int(v) * 7) : nil
            case "d", "day", "days": return v == v.rounded() ? (v, "\(text) d", nil, Int(v)) : nil
            default: return nil
            }
        }
        func interval(low: (value: Double, text: String, months: Int?, days: Int?), high: (value: Double, text: String, months: Int?, days: Int?)) -> DayInterval? {
            guard let birth else { return nil }
            // From the first day she may have reached the lower age to the last day before she may
            // have passed the higher one.
            let start = low.months.map { birth.start.adding(months: $0) } ?? birth.start.adding(days: low.days!)
            let end = high.months.map { birth.end.adding(months: $0 + (high.text.hasSuffix(" a") ? 12 : 1)).adding(days: -1) }
                ?? birth.end.adding(days: high.days! + (high.text.hasSuffix(" wk") ? 6 : 0))
            return end >= start ? DayInterval(start: start, end: end) : nil
        }
        if let age = r.child("onsetAge") {
            let text = "age " + (age.string("value") ?? "?") + " " + (age.string("code") ?? age.string("unit") ?? "")
            guard let a = ageBound(age) else { return (text, nil) }
            return ("age \(a.text)", interval(low: a, high: a))
        }
        if let range = r.child("onsetRange") {
            let low = ageBound(range.child("low")), high = ageBound(range.child("high"))
            let text = "age \(low?.text ?? "?")–\(high?.text ?? "?")"
            guard let low, let high else { return (text, nil) }
            return (text, interval(low: low, high: high))
        }
        guard let text = conditionDateText(r) else {
            // An onsetString that is not a date: recorded, not usable (guideline.md v3: undated).
            return nil
        }
        return (text, DayInterval(fhir: text))
    }

    /// The first day of the lookback window: the evaluation date minus the lookback in calendar
    /// months (the same day of the month, or the month's last day), included.
    var lookbackStart: CalendarDate {
        let total = date.year * 12 + (date.month - 1) - defaults.lookbackMonths
        let year = total / 12, month = total % 12 + 1
        var day = date.day
        while CalendarDate(year: year, month: month, day: day) == nil { day -= 1 }
        return CalendarDate(year: year, month: month, day: day)!
    }

    /// The day of a result when it lies in the lookback window (a partial date only when its whole
    /// interval does: `dated` refuses partial dates with a warning).
    /// A result's date where a partial date may stand (guideline.md v2/v3: a month-only date is an
    /// interval): a full date as `dated`; a partial one wholly on or before the evaluation date
    /// is its last day when the whole interval lies in the lookback window; one that straddles
    /// the window's start is a warning and not used; one wholly before it is an old result
    /// (its last day, for the caller's window check).
    func datedResult(_ index: Int, _ text: String?, what: Phrase) -> CalendarDate? {
        guard let text else { return nil }
        if CalendarDate(fhir: text) != nil { return dated(index, text, what: what) }
        guard let interval = DayInterval(fhir: text) else { return dated(index, text, what: what) }
        if interval.end > date {
            warn(index, .afterEvaluationDate(what: what, text: text, date: date))
            return nil
        }
        if beforeBirth(index, interval, what: what, text: text) { return nil }
        if interval.start < lookbackStart && interval.end >= lookbackStart {
            warn(index, .straddlesWindow(what: what, text: text, start: lookbackStart))
            return nil
        }
        return interval.end
    }

    func inLookbackWindow(_ index: Int) -> CalendarDate? {
        let r = resource(index)
        guard let d = dated(index, observationDateText(r), what: "date"), d >= lookbackStart else { return nil }
        return d
    }

    // MARK: conditions

    func refutedOrError(_ r: Element) -> Bool {
        let codes = terminology.codes(of: r.child("verificationStatus")).map(\.code)
        return codes.contains("refuted") || codes.contains("entered-in-error")
    }

    /// The clinical statuses that say a condition goes on, in the order a warning names them.
    static let ongoingStatuses = ["active", "recurrence", "relapse"]

    /// The first of `ongoingStatuses` a condition's clinical status holds (in any coding, any
    /// order), or nil.
    func ongoingStatus(_ r: Element) -> String? {
        let codes = Set(terminology.codes(of: r.child("clinicalStatus")).map(\.code))
        return Self.ongoingStatuses.first(where: codes.contains)
    }

    func activeCondition(_ r: Element) -> Bool {
        guard !refutedOrError(r) else { return false }
        if abatement(r) != nil { return false }
        if terminology.codes(of: r.child("clinicalStatus")).isEmpty {
            return r.child("abatementDateTime") == nil && r.child("abatementPeriod") == nil && r.child("abatementString") == nil
        }
        return ongoingStatus(r) != nil
    }

    /// guideline.md v3, "current means current on the evaluation date": the day a Condition
    /// abated when that lies wholly on or before the evaluation date (`abatementDateTime`,
    /// `abatementPeriod.end`, else its start, a dated `abatementString`), else nil.
    func abatement(_ r: Element) -> CalendarDate? {
        let text = r.string("abatementDateTime") ?? r.child("abatementPeriod").flatMap { $0.string("end") ?? $0.string("start") }
            ?? r.string("abatementString").map(Terminology.trimmed)
        guard let text, let interval = DayInterval(fhir: text), interval.end <= date else { return nil }
        return interval.end
    }

    /// `activeCondition`, saying so when a status `active` is contradicted by an abatement before
    /// the evaluation date (a symptom resolved years ago is not a clinical symptom now).
    func currentCondition(_ index: Int) -> Bool {
        let r = resource(index)
        if let end = abatement(r), !refutedOrError(r), ongoingStatus(r) != nil {
            warn(index, .abatedButActive(end: end))
        }
        return activeCondition(r)
    }

    /// The patient's Conditions that are not refuted or entered in error, in input order.
    func patientConditions() -> [Int] {
        if let known = cachedPatientConditions { return known }
        let found = items(["Condition"]).filter { person($0) == .patient && !refutedOrError(resource($0)) }
        cachedPatientConditions = found
        return found
    }

    // MARK: text and numbers

    /// A concept as the plan text names it. A code this program knows, by its system and code
    /// (`SNOMED 17369002`): the same however the sender spelled, worded or ordered its codings
    /// (interface.md v3); else the sender's text, else a display, else system and code.
    /// A family relationship as the plan says it: a v3 RoleCode in words (its meaning, whatever
    /// the sender's display), else the concept as `text` writes it.
    func relative(_ concept: Element?) -> Phrase {
        let words: [String: Phrase] = [
            "MTH": "the mother", "NMTH": "the mother", "FTH": "the father", "NFTH": "the father", "PRN": "a parent", "NPRN": "a parent",
            "SIS": "a sister", "NSIS": "a sister", "HSIS": "a half-sister", "BRO": "a brother", "NBRO": "a brother", "HBRO": "a half-brother",
            "SIB": "a sibling", "NSIB": "a sibling", "DAU": "a daughter", "DAUC": "a daughter", "SON": "a son", "SONC": "a son",
            "CHILD": "a child", "NCHILD": "a child", "GRMTH": "a grandmother", "GRFTH": "a grandfather", "AUNT": "an aunt", "UNCLE": "an uncle",
            "COUSN": "a cousin", "HUSB": "the husband", "WIFE": "the wife", "SPS": "the spouse", "DOMPART": "the partner",
            "MTHINLAW": "the mother-in-law", "FTHINLAW": "the father-in-law", "SISINLAW": "a sister-in-law", "BROINLAW": "a brother-in-law",
        ]
        let roles = terminology.codes(of: concept).filter { $0.system == "http://terminology.hl7.org/CodeSystem/v3-RoleCode" }
        if let phrase = roles.compactMap({ words[$0.code] }).first { return phrase }
        return .record(text(concept))
    }

    func text(_ concept: Element?) -> String {
        guard let concept else { return "?" }
        let short = ["http://loinc.org": "LOINC", "http://snomed.info/sct": "SNOMED", "http://www.whocc.no/atc": "ATC",
                     "http://hl7.org/fhir/sid/icd-10": "ICD-10", "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
                     "http://hl7.org/fhir/sid/icpc-1-nl": "ICPC", "http://terminology.hl7.org/CodeSystem/v3-RoleCode": ""]
        let known = terminology.codes(of: concept).filter { short[$0.system] != nil }
        // The Profiles' own name for it first, then by system and code.
        if let key = known.min(by: { a, b in
            ((terminology.displays[a] == nil ? 1 : 0), a.system, a.code) < ((terminology.displays[b] == nil ? 1 : 0), b.system, b.code)
        }) {
            if let display = terminology.displays[key] { return rplTerm(display) }
            // A family relationship reads best as its code (SIS, MTH).
            let name = short[key.system]!
            // Not the sender's words: a resend with reworded displays gives the same bytes
            // (interface.md v3), so a code the Profiles do not name is named by system and code.
            return name.isEmpty ? key.code : name + " " + key.code
        }
        if let t = concept.string("text") { return rplTerm(t) }
        if let c = concept.children("coding").first {
            if let d = c.string("display") { return rplTerm(d) }
            return "\(c.string("system").map(Terminology.canonicalSystem) ?? "") \(c.string("code").map(Terminology.trimmed) ?? "?")"
        }
        return "?"
    }

    /// A number a rule reads: finite and inside its plausible range (Profiles), else a warning and nil.
    func plausible(_ index: Int, _ value: Double, _ range: ClosedRange<Double>, what: Phrase, text: String, unit: String) -> Double? {
        guard value.isFinite, range.contains(value) else {
            warn(index, .implausible(what: what, text: text, range: range, unit: .record(unit)))
            return nil
        }
        return value
    }
}

/// Data that is present but cannot be used, said once per resource on standard error and in the
/// CarePlan's notes: the rule that needed it sees it as missing.
struct Warning: Hashable, CustomStringConvertible {
    enum Kind: Hashable {
        case notAWoman(gender: String)
        case invalidBSN(value: String)
        case sharedIdentifier(other: String)
        case versionUndecided(other: String)
        case severalPartners(count: Int)
        case linkedRecord(of: String)
        case conflictingBSNs
        case endedButActive(end: CalendarDate)
        case abatedButActive(end: CalendarDate)
        case straddlesWindow(what: Phrase, text: String, start: CalendarDate)
        case unresolved(field: String, reference: String, consequence: Phrase)
        case notAFullDate(what: Phrase, text: String)
        case afterEvaluationDate(what: Phrase, text: String, date: CalendarDate)
        case noDate(what: Phrase)
        case noUnit(what: Phrase)
        case unknownUnit(what: Phrase, unit: String)
        case noUsableValue(what: Phrase)
        case notWhole(what: Phrase, text: String)
        case implausible(what: Phrase, text: String, range: ClosedRange<Double>, unit: Phrase)
        case straddlesLimit(what: Phrase, value: String, unit: String, basis: Phrase)
        case sameMomentDisagree(what: Phrase, reading: Phrase, other: String, otherReading: Phrase)
        case positiveAndNegativeOfOneDay(test: Phrase, date: CalendarDate)
        case neitherPositiveNorNegative(what: Phrase)
        case valueAndInterpretationDisagree(value: Phrase, interpretation: Phrase)
        case noPlausibleGestationalAge(range: ClosedRange<Double>)
        case gestationalAgeBeyondPregnancy(gestationalAge: GestationalAge, date: CalendarDate)
        case datingBeforePregnancy(date: CalendarDate)
        case textOnly(what: Phrase, text: String)
        /// A medication recognised by its name alone, read as already taken or requested.
        case textOnlyHoldsBack(what: Phrase, text: String)
        case karyotypeOfAnother(text: String)
        case reachesPastEvaluationDate(what: Phrase, text: String, date: CalendarDate)
        /// `through`: the group's first record, when `other` (the nearest) is not it.
        case samePregnancy(other: String, days: Int, through: String? = nil)
        case possiblyOtherPregnancy(other: String)
        case undatable(what: Phrase, text: String)
        case locatedInUterus(by: String)
        case endsPregnancy(after: CalendarDate)
        case pregnancyTooLongAgo(since: CalendarDate, days: Int)
        case possibleBiochemicalLoss(from: String, on: CalendarDate, to: String, at: CalendarDate)
        case possibleBiochemicalLossByReading(on: CalendarDate, at: CalendarDate)
        case notConfirmed(what: Phrase, status: Phrase, consequence: Phrase)
        /// A clinical status (not a verification status) that keeps the record from being read.
        case clinicalStatus(what: Phrase, status: Phrase?, consequence: Phrase)
        case notSpecific(what: Phrase, text: String, consequence: Phrase)
        case ageUncertain(birthDate: String, age: Int)
        case beforeBirth(what: Phrase, text: String, birthDate: String)
        case ambiguousRelative(relative: Phrase)
    }

    /// The resource's index in the input (for ordering).
    let index: Int
    /// The input's name for the resource.
    let resource: String
    let kind: Kind

    var description: String { phrase.description }

    /// The resource's name and what is wrong with it, in the output's language.
    var phrase: Phrase {
        let what: Phrase
        switch kind {
        case .notAWoman(let g): what = "gender is \(record: g); the card is about women"
        case .invalidBSN(let v): what = "BSN \(record: v) fails the 11-test; not used as an identifier"
        case .sharedIdentifier(let other): what = "has the identifier of \(record: other) but another code or subject; read as another resource"
        case .versionUndecided(let other):
            what = "another copy of this resource (\(record: other)) differs in content, and no meta.lastUpdated or numeric versionId tells which is newer: this one is read; check"
        case .straddlesWindow(let w, let text, let start): what = "\(w) \(record: text) may be before or after the start of the lookback window (\(start)); not used"
        case .endedButActive(let end): what = "status active, ended on \(end); not taken now"
        case .abatedButActive(let end): what = "status active, abated on \(end); not current"
        case .conflictingBSNs: what = "two different valid BSNs: the smallest is used as her identity; check which is hers"
        case .linkedRecord(let her): what = "is linked to \(record: her) (Patient.link): the same person; its records are read as hers"
        case .severalPartners(let n): what = "\(n) people are recorded as her partner: no partner can be identified (his orders become a plan activity)"
        case .unresolved(let field, let reference, let consequence): what = "\(record: field) \(record: reference) does not resolve; \(consequence)"
        case .notAFullDate(let w, let text): what = "\(w) \(record: text) is not a full date; treated as missing"
        case .afterEvaluationDate(let w, let text, let date): what = "\(w) \(record: text) is after the evaluation date \(date); treated as missing"
        case .noDate(let w): what = "\(w) has no date; treated as missing"
        case .noUnit(let w): what = "\(w) has no unit; treated as missing"
        case .unknownUnit(let w, let unit): what = "\(w) has an unknown unit \(record: unit); treated as missing"
        case .noUsableValue(let w): what = "\(w) has no usable value; treated as missing"
        case .notWhole(let w, let text): what = "\(w) \(record: text) is not a whole number; not used"
        case .implausible(let w, let text, let range, let unit):
            what = "\(w) \(record: text) is implausible (plausible range \(number: formatNumber(range.lowerBound))–\(number: formatNumber(range.upperBound)) \(unit)); not used"
        case .straddlesLimit(let w, let value, let unit, let basis):
            what = "\(w) \(record: value) \(record: unit) cannot be classified against \(basis): the bound straddles a limit; treated as missing"
        case .sameMomentDisagree(let w, let reading, let other, let otherReading):
            what = "\(w) \(reading) disagrees with \(record: other) of the same moment (\(otherReading)): neither is used; treated as missing"
        case .positiveAndNegativeOfOneDay(let test, let date):
            what = "\(test) positive and negative on \(date): read as a negative, then a positive that begins a new run (not a persistence through that day); check with the lab"
        case .valueAndInterpretationDisagree(let v, let i): what = "its value reads \(v) but its interpretation \(i): indeterminate (counted as done, neither positive nor negative); check with the lab"
        case .neitherPositiveNorNegative(let w): what = "\(w) result cannot be read as positive or negative; treated as missing"
        case .noPlausibleGestationalAge(let range):
            what = "gestational age has no plausible value in weeks or days (\(number: formatNumber(range.lowerBound))–\(number: formatNumber(range.upperBound)) days); treated as missing"
        case .gestationalAgeBeyondPregnancy(let ga, let date): what = "implies a gestational age of \(ga) on \(date): not a current pregnancy"
        case .datingBeforePregnancy(let date): what = "dates the pregnancy as beginning after \(date); its gestational age is not used"
        case .reachesPastEvaluationDate(let w, let text, let date):
            what = "\(w) \(record: text) reaches past the evaluation date \(date); counted, as it may lie before it"
        case .samePregnancy(let other, let days, let first?):
            what = "counted as one loss with \(record: other) (onsets less than \(days) days apart, a partial date counted as any of its days), and so with \(record: first): one pregnancy recorded more than once"
        case .samePregnancy(let other, let days, nil):
            what = "counted as one loss with \(record: other) (onsets less than \(days) days apart, a partial date counted as any of its days: one pregnancy recorded more than once)"
        case .locatedInUterus(let by):
            what = "a pregnancy of unknown location that \(record: by) locates in the uterus (soon after it, or a delivery within 44 weeks): an intrauterine pregnancy, not counted as a loss"
        case .undatable(let w, let text): what = "\(w) \(record: text) cannot be dated; read as undated"
        case .possiblyOtherPregnancy(let other):
            what = "possibly the ectopic (or molar) pregnancy of \(record: other) (its date is partial: it may lie within the same-pregnancy window of it); counted as a loss: check"
        case .ageUncertain(let birthDate, let age):
            what = "birthDate \(record: birthDate) does not settle the age: the lower age, \(age), is used"
        case .clinicalStatus(let w, let status?, let consequence):
            what = "\(w): clinical status \(status) in the record; \(consequence)"
        case .clinicalStatus(let w, nil, let consequence):
            what = "\(w): no clinical status and no abatement in the record, read as ongoing; \(consequence)"
        case .notConfirmed(let w, let status, let consequence):
            what = "\(w) is not confirmed (verification status \(status)): \(consequence)"
        case .notSpecific(let w, let text, let consequence):
            what = "\"\(record: text)\" is not specific for \(w): \(consequence)"
        case .pregnancyTooLongAgo(let since, let days):
            what = "pregnant since \(since) at the latest, more than \(days) days (42w6d) before the evaluation date: that pregnancy has ended; not a current pregnancy"
        case .possibleBiochemicalLoss(let from, let on, let to, let at):
            what = "hCG fell from \(record: from) on \(on) to \(record: to) on \(at) with no coded loss: possible biochemical pregnancy loss: check, and record it (not counted as a loss)"
        case .possibleBiochemicalLossByReading(let on, let at):
            what = "hCG positive on \(on) and negative on \(at) with no coded loss: possible biochemical pregnancy loss: check, and record it (not counted as a loss)"
        case .endsPregnancy(let after):
            what = "ends the pregnancy recorded up to \(after): no current pregnancy"
        case .beforeBirth(let w, let text, let birthDate):
            what = "\(w) \(record: text) is before the patient's birth date \(record: birthDate): implausible; not used"
        case .ambiguousRelative(let relative):
            what = "recurrent miscarriage in \(relative): a sister- or brother-in-law may be a sibling of the partner or the spouse of her own sibling (no blood relative): not counted as family history; check"
        case .textOnly(let w, let text): what = "\(w) recorded as text only (\"\(record: text)\"), no recognised code: check; not counted"
        case .textOnlyHoldsBack(let w, let text):
            what = "\(w) recorded as text only (\"\(record: text)\"), no recognised code: check; read as already taken or requested, so not proposed again"
        case .karyotypeOfAnother(let text):
            what = "karyotype \(record: text) has a Y chromosome on a woman's record: possibly of pregnancy tissue (its specimen is not recognised as such) or of another person; read as hers: check"
        }
        return "\(record: resource): \(what)"
    }
}

/// A FHIR date as the days it may mean (guideline.md v2: "dates are intervals"): `2021` is the
/// whole year, `2021-05` the month, a full date or dateTime its day.
struct DayInterval: Hashable {
    var start: CalendarDate
    var end: CalendarDate

    init(start: CalendarDate, end: CalendarDate) {
        self.start = start
        self.end = end
    }

    init?(fhir text: String) {
        if let day = CalendarDate(fhir: text) {
            self.init(start: day, end: day)
            return
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (parts.count == 1 || parts.count == 2), parts[0].count == 4, let year = Int(parts[0]) else { return nil }
        if parts.count == 1 {
            guard let a = CalendarDate(year: year, month: 1, day: 1), let b = CalendarDate(year: year, month: 12, day: 31) else { return nil }
            self.init(start: a, end: b)
            return
        }
        guard parts[1].count == 2, let month = Int(parts[1]), let a = CalendarDate(year: year, month: month, day: 1) else { return nil }
        var last = 31
        while CalendarDate(year: year, month: month, day: last) == nil { last -= 1 }
        self.init(start: a, end: CalendarDate(year: year, month: month, day: last)!)
    }

    var isDay: Bool { start == end }

    /// Days from the end of the earlier interval to the start of the later one; 0 when they overlap.
    func gap(to other: DayInterval) -> Int {
        if other.start > end { return end.days(until: other.start) }
        if start > other.end { return other.end.days(until: start) }
        return 0
    }

    var description: String { isDay ? start.description : "\(start)…\(end)" }
}

/// A Quantity's comparator: the value is then a bound, and a classification holds only when it
/// holds for every value the bound allows (guideline.md v2: `>3.0` against a limit of 4.0 is
/// indeterminate).
struct Bound {
    enum Kind { case exact, below, atMost, atLeast, above }
    let kind: Kind
    let text: String

    init(_ comparator: String?) {
        text = comparator ?? ""
        switch comparator {
        case "<": kind = .below
        case "<=": kind = .atMost
        case ">=": kind = .atLeast
        case ">": kind = .above
        default: kind = .exact
        }
    }

    /// Low, normal or high against the limits a range gives; nil when the bound straddles a limit.
    func classify(_ v: Double, low: Double?, high: Double?) -> LabClassification? {
        switch kind {
        case .exact:
            if let high, v > high { return .high }
            if let low, v < low { return .low }
            return .normal
        case .below, .atMost:
            // Every allowed value is below (or at) v.
            if let low, kind == .below ? v <= low : v < low { return .low }
            if low == nil, high.map({ v <= $0 }) ?? true { return .normal }
            return nil
        case .above, .atLeast:
            if let high, kind == .above ? v >= high : v > high { return .high }
            if high == nil, low.map({ v >= $0 }) ?? true { return .normal }
            return nil
        }
    }

    /// Above the limit (positive), not above it (negative), or nil when the bound straddles it.
    func above(_ v: Double, limit: Double) -> Bool? {
        switch kind {
        case .exact: return v > limit
        case .below, .atMost: return v <= limit ? false : nil
        case .above: return v >= limit ? true : nil
        case .atLeast: return v > limit ? true : nil
        }
    }
}
