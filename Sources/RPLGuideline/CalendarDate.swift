/// A day in the proleptic Gregorian calendar, without time or zone: the unit every rule of the card
/// counts in (days between results, whole years of age, gestational weeks).
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CalendarDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// From a FHIR date or dateTime (`2026-03-10`, `2026-03-10T08:00:00+01:00`). A dateTime with a
    /// time and a zone is the day its instant falls on in Dutch civil time (`dutchDay`), so one
    /// moment written in any zone is one day (interface.md v3: "another time-zone form" changes
    /// nothing; found by a new user's trial, helper-43: 23:30-02:00 and 01:30Z the next day were
    /// two days). Partial dates (`2026`, `2026-03`) give nil: a rule cannot count days from them.
    public init?(fhir text: String) {
        // YYYY-MM-DD in ASCII, the date of nearly every FHIR date and dateTime: read from the
        // bytes, with the time and zone in the same pass (issue 20: counting characters and
        // splitting took 7,900 instructions a date). Anything else (or a tenth byte followed by a
        // character that may join it) by characters, as before.
        let utf8 = text.utf8
        if utf8.count >= 10 {
            let parsed: CalendarDate?? = utf8.withContiguousStorageIfAvailable { b in
                guard b.count == 10 || b[10] < 0x80, b[4] == 0x2D, b[7] == 0x2D,
                      let y = Self.digits(b, 0, 4), let m = Self.digits(b, 5, 2), let d = Self.digits(b, 8, 2) else { return nil }
                guard let written = CalendarDate(year: y, month: m, day: d) else { return .some(nil) }
                return Self.dutchDay(of: b, written: written) ?? written
            } ?? nil
            if let parsed {
                guard let parsed else { return nil }
                self = parsed
                return
            }
        }
        guard let written = CalendarDate(writtenByCharacters: text) else { return nil }
        var text = text
        self = text.withUTF8 { Self.dutchDay(of: $0, written: written) } ?? written
    }

    /// The date part as written, read by characters (what the byte reading falls back to).
    init?(writtenByCharacters text: String) {
        let parts = text.prefix(10).split(separator: "-")
        guard text.count >= 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// `n` ASCII digits at `from` as a number; nil if any is no digit or the text ends first.
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ n: Int) -> Int? {
        guard from + n <= b.count else { return nil }
        var v = 0
        for i in from..<(from + n) {
            let d = b[i] &- 0x30
            guard d <= 9 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// The day of a dateTime's instant in Dutch civil time: CET (UTC+1), and CEST (UTC+2) in summer
    /// time, from and to 01:00 UTC: since 1996 the last Sundays of March and October; 1981–1995 the
    /// last Sundays of March and September; 1977–1980 the first Sunday of April to the last of
    /// September (1978: to 1 October); none before 1977. The card is Dutch: a record of the Netherlands keeps its own
    /// days; a record written in another zone gets the day a Dutch clinician reading it would say.
    /// Nil when the text has no time with a zone (a date, or no zone: the written date stands).
    static func dutchDay(of b: UnsafeBufferPointer<UInt8>, written: CalendarDate) -> CalendarDate? {
        guard b.count >= 17, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":") else { return nil }
        func digits(_ from: Int, _ n: Int) -> Int? { Self.digits(b, from, n) }
        guard let hour = digits(11, 2), let minute = digits(14, 2), hour < 24, minute < 60 else { return nil }
        // Seconds, if any, then their fraction; then the zone (helper-44's review: nothing else).
        var z = 16
        if z < b.count, b[z] == UInt8(ascii: ":") {
            guard let second = digits(17, 2), second <= 60 else { return nil }
            z = 19
            if z < b.count, b[z] == UInt8(ascii: ".") {
                z += 1
                while z < b.count, b[z] &- 0x30 <= 9 { z += 1 }
            }
        }
        guard z < b.count, b[z] == UInt8(ascii: "Z") || b[z] == UInt8(ascii: "+") || b[z] == UInt8(ascii: "-") else { return nil }
        var offset = 0  // minutes east of UTC
        if b[z] != UInt8(ascii: "Z") {
            guard z + 6 == b.count, b[z + 3] == UInt8(ascii: ":"), let zh = digits(z + 1, 2), let zm = digits(z + 4, 2), zh <= 14, zm < 60 else { return nil }
            offset = (b[z] == UInt8(ascii: "-") ? -1 : 1) * (zh * 60 + zm)
        } else {
            guard z + 1 == b.count else { return nil }
        }
        let utc = written.dayNumber * 1440 + hour * 60 + minute - offset
        let local = utc + 60 + (summerTime(utc) ? 60 : 0)
        let day = CalendarDate(dayNumber: dayOf(minutes: local))
        // A day FHIR cannot write (past 9999-12-31): the written one.
        return (1...9999).contains(day.year) ? day : nil
    }

    /// The day number of a minute since 1970 (rounded down, also before 1970).
    static func dayOf(minutes m: Int) -> Int { m >= 0 ? m / 1440 : -((-m + 1439) / 1440) }

    /// Whether a UTC instant (minutes since 1970) is in Dutch summer time.
    static func summerTime(_ utc: Int) -> Bool {
        let year = CalendarDate(dayNumber: dayOf(minutes: utc)).year
        // The Sunday on or before a day (1970-01-01 was a Thursday).
        func sundayOnOrBefore(_ d: CalendarDate) -> Int { d.dayNumber - ((d.dayNumber + 4) % 7 + 7) % 7 }
        func lastSunday(_ month: Int) -> Int { sundayOnOrBefore(CalendarDate(year: year, month: month, day: daysIn(month: month, year: year))!) }
        let start: Int, end: Int
        switch year {
        case 1996...: (start, end) = (lastSunday(3), lastSunday(10))
        case 1981...1995: (start, end) = (lastSunday(3), lastSunday(9))
        case 1978: (start, end) = (sundayOnOrBefore(CalendarDate(year: year, month: 4, day: 7)!), CalendarDate(year: 1978, month: 10, day: 1)!.dayNumber)
        case 1977...1980: (start, end) = (sundayOnOrBefore(CalendarDate(year: year, month: 4, day: 7)!), lastSunday(9))
        default: return false
        }
        return utc >= start * 1440 + 60 && utc < end * 1440 + 60
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init(dayNumber z0: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> CalendarDate { CalendarDate(dayNumber: dayNumber + days) }

    public func days(until other: CalendarDate) -> Int { other.dayNumber - dayNumber }

    /// The same day `months` calendar months later (or earlier), or that month's last day.
    public func adding(months: Int) -> CalendarDate {
        let total = year * 12 + (month - 1) + months
        let y = total >= 0 ? total / 12 : (total - 11) / 12
        let m = total - y * 12 + 1
        return CalendarDate(year: y, month: m, day: min(day, CalendarDate.daysIn(month: m, year: y)))!
    }

    /// Whole years from `self` (a birth date) to `date`.
    public func wholeYears(until date: CalendarDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { a.dayNumber < b.dayNumber }

    public var description: String {
        func pad(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// Gestational age in days, shown as the card writes it (`12w0d`).
public struct GestationalAge: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let days: Int
    public init(days: Int) { self.days = days }
    public init(weeks: Int, days: Int = 0) { self.days = weeks * 7 + days }
    public static func < (a: GestationalAge, b: GestationalAge) -> Bool { a.days < b.days }
    public var description: String { "\(days / 7)w\(days % 7)d" }
}
