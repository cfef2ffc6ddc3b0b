import FHIR
import RPLGuideline

/// Card area: thyroid (`Sources/RPLGuideline/Thyroid.swift`: RPL-TSH, RPL-FT4,
/// RPL-LEVOTHYROXINE, RPL-SUBCLINICAL; the exception of NR-LEVOTHYROXINE-EUTHYROID).
/// Facts: `tsh`, `freeT4` (newest in the lookback window, converted with UCUM, classified against
/// the result's range, its interpretation, else the default range), `hypothyroidismConditions`,
/// `subclinicalHypothyroidismConditions`, `levothyroxine` (every levothyroxine record, with its
/// start and whether it is taken now).
/// Codes: ValueSets `tsh`, `freeT4`, `hypothyroidism`, `subclinicalHypothyroidism`, `levothyroxine`;
/// settings `tshLow/High`, `freeT4Low/High`, `lookbackMonths`, `plausibleTSH`, `plausibleFreeT4`.
/// Tests: Tests/RPLAdapterTests/Facts/ThyroidFactTests.swift, Tests/RPLAdapterTests/Rules/ThyroidRuleTests.swift, Fixtures `thyroid-*`.
enum Thyroid: FactSource {
    static func read(_ c: FactContext, into facts: inout Facts) {
        var tsh: [ThyroidResult] = []
        var ft4: [ThyroidResult] = []
        var older: DatedFinding?
        var tshInWords: [Int] = [], ft4InWords: [Int] = []
        for index in c.items(["Observation"]) {
            let r = c.resource(index)
            guard c.usableObservation(r), c.person(index) == .patient else { continue }
            let code = r.child("code")
            let isTSH = c.terminology.matches(code, .tsh), isFreeT4 = c.terminology.matches(code, .freeT4)
            if isTSH {
                if let t = result(c, index, table: Units.tsh, unit: "mU/L", range: c.defaults.tshRange, plausible: c.defaults.plausibleTSH, what: "TSH") {
                    tsh.append(t)
                } else if let d = c.observationDateText(r).flatMap(CalendarDate.init(fhir:)), d < c.lookbackStart, older.map({ d > $0.date }) ?? true {
                    // Too old to count: the order it leads to rests on it (interface.md v2, Identity).
                    older = DatedFinding(date: d, finding: Finding("TSH", Source(index)))
                }
            }
            if isFreeT4,
               let t = result(c, index, table: Units.freeT4, unit: "pmol/L", range: c.defaults.freeT4Range, plausible: c.defaults.plausibleFreeT4, what: "free T4") {
                ft4.append(t)
            }
            // guideline.md v2, codes decide and text only warns: a TSH or free T4 named in words
            // alone ("vrij T4", a local code's display) is not a result, and is said where no coded
            // result of that test was read (helper-45's audit: a free T4 was ordered again without
            // a word).
            if !isTSH, !isFreeT4, !c.terminology.hasRecognisedCode(code) {
                if c.terminology.matchesKeyword(code, .freeT4) { ft4InWords.append(index) }
                else if c.terminology.matchesKeyword(code, .tsh) { tshInWords.append(index) }
            }
        }
        if tsh.isEmpty { for index in tshInWords { c.warn(index, .textOnly(what: "a TSH result", text: c.text(c.resource(index).child("code")))) } }
        if ft4.isEmpty { for index in ft4InWords { c.warn(index, .textOnly(what: "a free T4 result", text: c.text(c.resource(index).child("code")))) } }
        facts.tsh = newest(c, tsh, what: "TSH")
        facts.tshBeforeWindow = older
        facts.freeT4 = newest(c, ft4, what: "free T4")
        for index in c.patientConditions() {
            let r = c.resource(index)
            let code = r.child("code")
            if c.terminology.matches(code, .hypothyroidism) && c.currentCondition(index) {
                facts.hypothyroidismConditions.append(Finding(record: c.text(code), Source(index)))
            }
            if c.terminology.matches(code, .subclinicalHypothyroidism) && c.currentCondition(index) {
                facts.subclinicalHypothyroidismConditions.append(Finding(record: c.text(code), Source(index)))
            }
        }
        for index in c.items(["MedicationRequest", "MedicationStatement"]) {
            let r = c.resource(index)
            let status = r.string("status") ?? ""
            let onRecord = r.name == "MedicationStatement" ? ["active", "completed", "stopped"].contains(status) : ["active", "completed"].contains(status)
            guard onRecord, c.person(index) == .patient, c.terminology.matches(Requests.medicationCode(c, index), .levothyroxine) else { continue }
            let startText = r.string("effectiveDateTime") ?? r.child("effectivePeriod")?.string("start") ?? r.string("authoredOn") ?? r.string("dateAsserted")
            let start = startText.flatMap(DayInterval.init(fhir:))?.start
            let stale = status == "active" ? c.useStale(index) : nil
            var use = MedicationUse(source: Source(index), start: start, current: status == "active" && !c.useEnded(index) && stale == nil,
                                    end: c.useEnd(index), stale: stale)
            use.text = .record(c.text(Requests.medicationCode(c, index)))
            facts.levothyroxine.append(use)
        }
        // Named in the texts in an order of their own (by content), never the entries'
        // (interface.md v3; helper-36's review: two hypothyroidism codes swapped places).
        func byContent(_ a: Source, _ b: Source) -> Bool { c.identities.order(a.index) < c.identities.order(b.index) }
        facts.hypothyroidismConditions.sort { byContent($0.source, $1.source) }
        facts.subclinicalHypothyroidismConditions.sort { byContent($0.source, $1.source) }
        facts.levothyroxine.sort { byContent($0.source, $1.source) }
    }

    /// The newest result by its moment (guideline.md v2: newest by `effective[x]`), never by
    /// entry order (found by a new user's trial: of two free T4 at one moment the later entry
    /// decided the plan, and a TSH at 09:31 lost to one at 09:30 entered after it). Two times
    /// compare as instants; a result with no time is at one moment with every instant of its day
    /// read as a UTC day, so the zone an instant is written in changes nothing.
    /// Results at the newest moment that classify alike are one (the latest in UTC, then the first
    /// by content); when they disagree each is a warning and none is used, as an indeterminate
    /// result is not.
    static func newest(_ c: FactContext, _ results: [ThyroidResult], what: Phrase) -> ThyroidResult? {
        guard results.count > 1 else { return results.first }
        let moments = results.map { Moment(c.observationDateText(c.resource($0.source.index)), day: $0.date) }
        let newest = results.indices.filter { i in !moments.contains { $0.isAfter(moments[i]) } }
        // Of results that tie, the latest in UTC (a day with no time at its start; RPL-FT4 asks
        // for a free T4 on or after it), then the first by content: never the zone's spelling.
        func later(_ a: Int, _ b: Int) -> Bool {
            let ta = moments[a].instant ?? moments[a].earliestInstant, tb = moments[b].instant ?? moments[b].earliestInstant
            return ta != tb ? ta > tb : c.identities.order(results[a].source.index) < c.identities.order(results[b].source.index)
        }
        let first = newest.min(by: later)!
        guard let other = newest.first(where: { results[$0].classification != results[first].classification }) else { return results[first] }
        func reading(_ t: ThyroidResult) -> Phrase { "\(number: t.valueText) \(record: t.unit), \(t.classification.phrase)" }
        for i in newest {
            let j = results[i].classification != results[first].classification ? first : other
            c.warn(results[i].source.index, .sameMomentDisagree(what: what, reading: reading(results[i]), other: c.identities.name(results[j].source.index),
                                                                 otherReading: reading(results[j])))
        }
        return nil
    }

    /// When a result was taken: its day, and its UTC instant when it has a time.
    struct Moment {
        let day: CalendarDate
        let instant: String?

        init(_ text: String?, day: CalendarDate) {
            self.day = day
            // Without the zone's `Z`: `09:30:00` sorts before `09:30:00.5`.
            instant = text.flatMap { text in
                guard text.utf8.count > 10 else { return nil }
                let utc = Identities.instant(text)
                return utc.hasSuffix("Z") ? String(utc.dropLast()) : utc
            }
        }

        func isAfter(_ other: Moment) -> Bool {
            switch (instant, other.instant) {
            case let (a?, b?): return a > b
            case let (a?, nil): return a >= other.latestInstant
            case let (nil, b?): return b < earliestInstant
            case (nil, nil): return day > other.day
            }
        }

        /// A day with no time, read as a UTC day: the zone an instant is written in changes
        /// nothing, and a result of the next morning is newer (a window of 24 hours, not the 50
        /// of every zone's day; a review found the next Dutch morning tied).
        var earliestInstant: String { "\(day)T00:00" }
        var latestInstant: String { "\(day.adding(days: 1))T00:00" }
    }

    /// A TSH or free T4 result in the lookback window, converted and classified; nil (with a
    /// warning where the data is unusable) otherwise.
    static func result(_ c: FactContext, _ index: Int, table: [String: Double], unit: String, range: (low: Double, high: Double),
                       plausible: ClosedRange<Double>, what: Phrase) -> ThyroidResult? {
        let r = c.resource(index)
        guard let d = c.datedResult(index, c.observationDateText(r), what: "date") else {
            if c.observationDateText(r) == nil { c.warn(index, .noDate(what: what)) }
            return nil
        }
        // Outside the lookback window: not a current result (not a warning).
        guard d >= c.lookbackStart else { return nil }
        let converted: Double
        do {
            converted = try Units.convert(r.child("valueQuantity"), table: table)
        } catch {
            switch error {
            case .missing: c.warn(index, .noUnit(what: what))
            case .unknown(let u): c.warn(index, .unknownUnit(what: what, unit: u))
            case .noValue: c.warn(index, .noUsableValue(what: what))
            }
            return nil
        }
        let quantity = r.child("valueQuantity")!
        guard let value = c.plausible(index, converted, plausible, what: what, text: quantity.string("value") ?? "", unit: unit) else { return nil }
        let bound = Bound(quantity.string("comparator"))
        func result(_ classification: LabClassification?, basis: Phrase) -> ThyroidResult? {
            guard let classification else {
                c.warn(index, .straddlesLimit(what: what, value: bound.text + formatNumber(value), unit: unit, basis: basis))
                return nil
            }
            var t = ThyroidResult(value: value, unit: unit, date: d, classification: classification, basis: basis, source: Source(index))
            t.comparator = bound.text
            // A partial date (`2026-10`) is read as its last day, and said as recorded.
            if let text = c.observationDateText(r), let interval = DayInterval(fhir: text), !interval.isDay {
                t.partialDate = text
                t.earliestDate = interval.start
            }
            return t
        }
        let factor = (try? Units.factor(quantity, table: table)) ?? 1
        // The Observation's own reference range, in the result's own unit unless it gives one.
        for rr in r.children("referenceRange") {
            func limit(_ name: String) -> Double? {
                guard let q = rr.child(name), let v = q.string("value").flatMap(Double.init), v.isFinite else { return nil }
                if q.string("code") != nil || q.string("unit") != nil, let f = try? Units.factor(q, table: table) { return v * f }
                return v * factor
            }
            let low = limit("low"), high = limit("high")
            guard low != nil || high != nil else { continue }
            return result(bound.classify(value, low: low, high: high), basis: "reference range of the result")
        }
        let interpretation = r.children("interpretation").flatMap { c.terminology.codes(of: $0) }
            .filter { $0.system == "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation" }.map(\.code)
        if interpretation.contains(where: { ["H", "HH", "HU"].contains($0) }) { return result(.high, basis: "interpretation") }
        if interpretation.contains(where: { ["L", "LL", "LU"].contains($0) }) { return result(.low, basis: "interpretation") }
        if interpretation.contains("N") { return result(.normal, basis: "interpretation") }
        let basis: Phrase = "default range \(number: formatNumber(range.low))–\(number: formatNumber(range.high)) \(record: unit)"
        let classification = bound.classify(value, low: range.low, high: range.high)
        if interpretation.contains("A") && classification == .normal {
            // Abnormal without a direction, inside the default range: the direction is the nearer limit.
            return result(value - range.low < range.high - value ? .low : .high, basis: "interpretation A")
        }
        return result(classification, basis: basis)
    }
}
