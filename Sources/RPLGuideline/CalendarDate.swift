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

    /// From the date part of a FHIR date or dateTime (`2026-03-10`, `2026-03-10T08:00:00+01:00`).
    /// Partial dates (`2026`, `2026-03`) give nil: a rule cannot count days from them.
    public init?(fhir text: String) {
        // YYYY-MM-DD in ASCII, the date of nearly every FHIR date and dateTime: read from the
        // bytes (issue 20: counting characters and splitting took 7,900 instructions a date).
        // Anything else (or a tenth byte followed by a character that may join it) as before.
        let utf8 = text.utf8
        if utf8.count >= 10 {
            let parsed: (Int, Int, Int)? = utf8.withContiguousStorageIfAvailable { b in
                guard b.count == 10 || b[10] < 0x80, b[4] == 0x2D, b[7] == 0x2D else { return nil }
                func digits(_ from: Int, _ n: Int) -> Int? {
                    var v = 0
                    for i in from..<(from + n) {
                        let d = b[i] &- 0x30
                        guard d <= 9 else { return nil }
                        v = v * 10 + Int(d)
                    }
                    return v
                }
                guard let y = digits(0, 4), let m = digits(5, 2), let d = digits(8, 2) else { return nil }
                return (y, m, d)
            } ?? nil
            if let (y, m, d) = parsed {
                self.init(year: y, month: m, day: d)
                return
            }
        }
        let parts = text.prefix(10).split(separator: "-")
        guard text.count >= 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
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
