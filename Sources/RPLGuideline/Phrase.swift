/// A text a clinician reads, in the output's language (issue 19). Written in Swift as an English
/// string literal, as gettext's msgid and Apple's string catalogues write theirs: the literal's
/// words with `{0}`, `{1}` … where its arguments stand are the key (`template`) of the wording
/// that Profiles holds in English and Dutch (`CodeSystem-rpl-text`: display and designation).
/// The arguments are the record's own words (`\(record:)`, never translated), dates, numbers,
/// gestational ages and other phrases. Interpolating a plain `String` does not compile: each
/// argument says whether it is record text or a phrase to translate.
public struct Phrase: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public indirect enum Argument: Sendable, Hashable {
        case phrase(Phrase)
        /// The record's words, a code, a number or a unit: the same in every language.
        case verbatim(String)
        case date(CalendarDate)
        case gestationalAge(GestationalAge)
        /// A number as `formatNumber` writes it (a point before its decimals, perhaps a
        /// comparator): Dutch writes a decimal comma.
        case number(String)
    }

    public indirect enum Form: Sendable, Hashable {
        /// A template of the catalogue and its arguments.
        case template(String, [Argument])
        /// Phrases side by side (language-neutral punctuation between them).
        case joined([Phrase], separator: String)
        /// A phrase that begins a sentence: its first letter upper case, in every language.
        case capitalised(Phrase)
    }

    public var form: Form

    public init(template: String, arguments: [Argument] = []) {
        form = .template(template, arguments)
    }

    public init(stringLiteral value: String) {
        form = .template(value, [])
    }

    public init(stringInterpolation: StringInterpolation) {
        form = .template(stringInterpolation.template, stringInterpolation.arguments)
    }

    /// Record words that are not translated, as a phrase of their own.
    public static func record(_ text: String) -> Phrase {
        Phrase(template: "{0}", arguments: [.verbatim(text)])
    }

    /// Phrases joined by `separator` ("; ", " "): each is translated on its own.
    public static func joined(_ phrases: [Phrase], separator: String) -> Phrase {
        Phrase(form: .joined(phrases, separator: separator))
    }

    init(form: Form) { self.form = form }

    public var capitalised: Phrase { Phrase(form: .capitalised(self)) }

    /// One sentence after the other.
    public static func + (a: Phrase, b: Phrase) -> Phrase {
        var parts: [Phrase] = []
        for p in [a, b] {
            if case .joined(let inner, separator: " ") = p.form { parts += inner } else { parts.append(p) }
        }
        return .joined(parts, separator: " ")
    }

    public var isEmpty: Bool {
        switch form {
        case .template(let t, let a): t.isEmpty && a.isEmpty
        case .joined(let parts, _): parts.allSatisfy(\.isEmpty)
        case .capitalised(let p): p.isEmpty
        }
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        public var template = ""
        public var arguments: [Argument] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            template.reserveCapacity(literalCapacity + 3 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { template += literal }

        mutating func add(_ argument: Argument) {
            let n = arguments.count
            template += n < Self.placeholders.count ? Self.placeholders[n] : "{\(n)}"
            arguments.append(argument)
        }

        /// `{0}` … `{15}` made once (issue 20: an interpolated placeholder was most of the cost of
        /// building a warning's phrase).
        static let placeholders = (0..<16).map { "{\($0)}" }

        public mutating func appendInterpolation(_ phrase: Phrase) { add(.phrase(phrase)) }
        /// The record's own words (a display, a code's text, a resource's name): never translated.
        public mutating func appendInterpolation(record text: String) { add(.verbatim(text)) }
        public mutating func appendInterpolation(_ number: Int) { add(.verbatim(String(number))) }
        public mutating func appendInterpolation(_ date: CalendarDate) { add(.date(date)) }
        public mutating func appendInterpolation(_ age: GestationalAge) { add(.gestationalAge(age)) }
        public mutating func appendInterpolation(_ rule: RuleID) { add(.verbatim(rule.rawValue)) }
        /// A measured value or limit, as `formatNumber` writes it.
        public mutating func appendInterpolation(number text: String) { add(.number(text)) }
    }

    /// In English as written in Swift, for operators' messages and tests.
    public var description: String { rendered(in: .builtInEnglish) }

    /// The templates this phrase and its arguments use.
    public var templates: [String] {
        switch form {
        case .template(let t, let args):
            // A template of placeholders and punctuation only ("{0}: {1}.") has no words to word.
            return (t.contains(where: \.isLetter) ? [t] : []) + args.flatMap { arg -> [String] in
                if case .phrase(let p) = arg { return p.templates }
                return []
            }
        case .joined(let parts, _): return parts.flatMap(\.templates)
        case .capitalised(let p): return p.templates
        }
    }

    public func rendered(in wording: Wording) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(in: wording, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The wording's bytes, appended: a phrase and the phrases inside it into one buffer, no
    /// String per part (issue 20: one Character at a time, a warning took 75,000 instructions to
    /// word, a third of a CDS request with 48 of them).
    func write(in wording: Wording, into out: inout [UInt8]) {
        switch form {
        case .joined(let parts, let separator):
            for (i, part) in parts.enumerated() {
                if i > 0 { out.append(contentsOf: separator.utf8) }
                part.write(in: wording, into: &out)
            }
        case .capitalised(let p):
            let text = p.rendered(in: wording)
            out.append(contentsOf: (text.prefix(1).uppercased() + text.dropFirst()).utf8)
        case .template(let template, let arguments):
            var text = template == "{0}" ? template : (wording.templates[template] ?? template)
            guard !arguments.isEmpty else { return out.append(contentsOf: text.utf8) }
            // Placeholders `{n}`, in whatever order the language puts them, found by their bytes
            // (the braces are ASCII); `n` read as `Int(_:)` reads it (a sign, leading zeros).
            text.withUTF8 { t in
                var copied = 0, i = 0
                while i < t.count {
                    guard t[i] == UInt8(ascii: "{") else { i += 1; continue }
                    var close = i + 1
                    while close < t.count && t[close] != UInt8(ascii: "}") { close += 1 }
                    guard close < t.count else { break }
                    if let n = Self.placeholder(UnsafeBufferPointer(rebasing: t[(i + 1)..<close])), n < arguments.count {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied..<i]))
                        wording.write(arguments[n], into: &out)
                        i = close + 1
                        copied = i
                    } else {
                        i += 1
                    }
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: t[copied...]))
            }
        }
    }

    /// The number between a placeholder's braces, as `Int(_:)` reads it (an optional sign, then
    /// digits, no overflow), when not negative.
    static func placeholder(_ digits: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0, negative = false
        if let first = digits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        guard i < digits.count else { return nil }
        var n = 0
        while i < digits.count {
            let d = digits[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (times, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(d))
            guard !o1 && !o2 else { return nil }
            n = sum
            i += 1
        }
        return negative && n != 0 ? nil : n
    }
}

/// The wording of one language: the catalogue's templates (English template → this language's),
/// and how dates and gestational ages are written.
public struct Wording: Sendable {
    public enum Language: String, Sendable, CaseIterable {
        case nl, en
    }

    public var language: Language
    public var templates: [String: String]
    /// Tests: the record's words between « and », so a check of the wording can leave them out.
    public var marksRecords = false

    public init(language: Language, templates: [String: String]) {
        self.language = language
        self.templates = templates
    }

    /// English as the Swift literals write it: no catalogue needed.
    public static let builtInEnglish = Wording(language: .en, templates: [:])

    func write(_ argument: Phrase.Argument, into out: inout [UInt8]) {
        switch argument {
        case .phrase(let p): p.write(in: self, into: &out)
        case .verbatim(let s) where !marksRecords: out.append(contentsOf: s.utf8)
        default: out.append(contentsOf: render(argument).utf8)
        }
    }

    func render(_ argument: Phrase.Argument) -> String {
        switch argument {
        case .phrase(let p): return p.rendered(in: self)
        case .verbatim(let s): return marksRecords ? "«" + s + "»" : s
        case .number(let text):
            guard language == .nl else { return text }
            return String(decoding: text.utf8.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: ",") : $0 }, as: UTF8.self)
        case .date(let d):
            // Dutch: dd-mm-jjjj, as Dutch clinical records write a date; English: ISO 8601.
            guard language == .nl else { return d.description }
            return (d.day < 10 ? "0" : "") + String(d.day) + "-" + (d.month < 10 ? "0" : "") + String(d.month) + "-" + String(d.year)
        case .gestationalAge(let ga):
            // Dutch obstetrics writes weeks+days ("12+0 weken").
            guard language == .nl else { return ga.description }
            return "\(ga.days / 7)+\(ga.days % 7) weken"
        }
    }

    /// Templates the phrase uses that this wording has no entry for.
    public func missing(_ phrase: Phrase) -> [String] {
        phrase.templates.filter { templates[$0] == nil }
    }
}
