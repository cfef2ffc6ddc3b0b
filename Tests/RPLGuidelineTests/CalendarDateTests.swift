import Testing
@testable import RPLGuideline

/// `CalendarDate(fhir:)` reads ASCII `YYYY-MM-DD…` from its bytes and anything else by characters:
/// both ways give the same date, or none, for every text.
@Suite struct CalendarDateTests {
    /// The reading by characters (the only one before issue 20): the first ten characters, split
    /// at `-` into three numbers.
    static func byCharacters(_ text: String) -> CalendarDate? {
        let parts = text.prefix(10).split(separator: "-")
        guard text.count >= 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        return CalendarDate(year: y, month: m, day: d)
    }

    @Test func datesAndDateTimes() {
        #expect(CalendarDate(fhir: "2026-03-10") == CalendarDate(year: 2026, month: 3, day: 10))
        #expect(CalendarDate(fhir: "2026-03-10T08:00:00+01:00") == CalendarDate(year: 2026, month: 3, day: 10))
        #expect(CalendarDate(fhir: "2024-02-29") == CalendarDate(year: 2024, month: 2, day: 29))
        #expect(CalendarDate(fhir: "2026-02-29") == nil)
        #expect(CalendarDate(fhir: "2026-13-01") == nil)
        #expect(CalendarDate(fhir: "2026-03-1") == nil)
        #expect(CalendarDate(fhir: "2026-03") == nil)
        // A mark that joins the tenth character makes it no digit.
        #expect(CalendarDate(fhir: "2026-03-10\u{301}") == nil)
        #expect(CalendarDate(fhir: "2026-03-10\u{301}T08:00:00Z") == nil)
    }

    /// One instant is one day, in whatever zone it is written: the day in Dutch civil time (CET,
    /// CEST in summer time), found by a new user's trial (helper-43): 23:30-02:00 and 01:30Z.
    @Test func aDateTimeIsItsDutchDay() {
        func day(_ t: String) -> String? { CalendarDate(fhir: t)?.description }
        #expect(day("2026-10-01T23:30:00-02:00") == "2026-10-02")
        #expect(day("2026-10-02T01:30:00Z") == "2026-10-02")
        #expect(day("2026-10-01T23:30:00.000-02:00") == "2026-10-02")
        // A Dutch record keeps its own day, just after midnight and just before.
        #expect(day("2026-03-10T00:30:00+01:00") == "2026-03-10")
        #expect(day("2026-07-10T00:30:00+02:00") == "2026-07-10")
        #expect(day("2026-03-10T23:59:59+01:00") == "2026-03-10")
        // UTC: an hour ahead in winter, two in summer.
        #expect(day("2026-03-09T22:59:00Z") == "2026-03-09")
        #expect(day("2026-03-09T23:00:00Z") == "2026-03-10")
        #expect(day("2026-07-01T21:59:00Z") == "2026-07-01")
        #expect(day("2026-07-01T22:00:00Z") == "2026-07-02")
        // The changes of 2026: summer time from 2026-03-29 01:00 UTC to 2026-10-25 01:00 UTC.
        #expect(day("2026-03-28T22:30:00Z") == "2026-03-28")
        #expect(day("2026-03-29T22:30:00Z") == "2026-03-30")
        #expect(day("2026-10-24T22:30:00Z") == "2026-10-25")
        #expect(day("2026-10-25T22:30:00Z") == "2026-10-25")
        // Before 1996 summer time ended in September; before 1977 there was none.
        #expect(day("1990-10-10T22:30:00Z") == "1990-10-10")
        #expect(day("1970-07-01T22:30:00Z") == "1970-07-01")
        // A Synthea evening in the United States is the next morning here.
        #expect(day("2019-01-12T21:23:45-05:00") == "2019-01-13")
        // 1978 ended on 1 October, 1981–1995 in September; none before 1977.
        #expect(day("1978-09-30T22:30:00Z") == "1978-10-01")
        #expect(day("1978-10-01T22:30:00Z") == "1978-10-01")
        #expect(day("1981-09-26T22:30:00Z") == "1981-09-27")
        #expect(day("1981-09-27T22:30:00Z") == "1981-09-27")
        #expect(day("1969-07-01T23:30:00Z") == "1969-07-02")
        #expect(day("1969-07-01T22:30:00Z") == "1969-07-01")
        // The widest zones.
        #expect(day("2026-01-01T05:00:00+14:00") == "2025-12-31")
        #expect(day("2026-01-01T20:00:00-12:00") == "2026-01-02")
        // No zone, no time, a zone that is no zone, a day FHIR cannot write, or anything between
        // the seconds and the zone: the date as written.
        #expect(day("9999-12-31T23:30:00Z") == "9999-12-31")
        #expect(day("2026-10-01T23:30:00+25:99") == "2026-10-01")
        #expect(day("2026-10-01T23:30:00 XYZ") == "2026-10-01")
        #expect(day("2026-10-01T23:30:00xZ") == "2026-10-01")
        #expect(day("2026-10-01T23:30:00") == "2026-10-01")
        #expect(day("2026-10-01") == "2026-10-01")
        #expect(day("2026-10-01T23:30:00+0200") == "2026-10-01")
        #expect(day("2026-10-01T25:30:00Z") == "2026-10-01")
    }

    @Test func bytesAndCharactersAgree() {
        let pieces = ["0", "1", "2", "9", "-", "T", ":", "+", "Z", "é", "\u{301}", "\u{200D}", "\r", "\n", " ", "٣"]
        let seeds = ["2026-03-10", "1999-12-31T23:59:59+14:00", "2024-02-29", "0000-01-01", "9999-12-31", "+026-03-10",
                     "2026--03-10", "2026-3-10xx", "2026-03-10\u{301}", "２０２６-03-10"]
        // Every seed with each piece put in place of, and before, each of its characters, and
        // with each character taken out: the same texts every run.
        var texts = seeds
        for seed in seeds {
            let chars = Array(seed)
            for k in 0...chars.count {
                for piece in pieces.map(Character.init) {
                    if k < chars.count { var c = chars; c[k] = piece; texts.append(String(c)) }
                    var c = chars; c.insert(piece, at: k); texts.append(String(c))
                }
                if k < chars.count { var c = chars; c.remove(at: k); texts.append(String(c)) }
            }
        }
        // The date as written, then the same day of an instant on both sides (that day is
        // `aDateTimeIsItsDutchDay`'s).
        for text in texts {
            var t = text
            let byCharacters = Self.byCharacters(text).map { w in t.withUTF8 { CalendarDate.dutchDay(of: $0, written: w) } ?? w }
            let same = CalendarDate(fhir: text) == byCharacters
            #expect(same, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
