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
        for text in texts {
            let same = CalendarDate(fhir: text) == Self.byCharacters(text)
            #expect(same, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }
}
