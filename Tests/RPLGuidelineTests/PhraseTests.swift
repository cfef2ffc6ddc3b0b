import Foundation
import Testing
@testable import RPLGuideline

/// The wording of a phrase: placeholders found by their bytes (issue 20) must word every template
/// as the former reading, one Character at a time, did (kept here as the oracle).
@Suite struct PhraseTests {
    /// The former `Phrase.rendered`'s template step, as it was before it read bytes (with `n >= 0`
    /// added: `{-1}` would have trapped; no template of the catalogue has one).
    static func oracle(_ text: String, _ arguments: [String]) -> String {
        guard !arguments.isEmpty else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "{", let close = text[i...].firstIndex(of: "}"), let n = Int(text[text.index(after: i)..<close]), n >= 0, n < arguments.count {
                out += arguments[n]
                i = text.index(after: close)
            } else {
                out.append(c)
                i = text.index(after: i)
            }
        }
        return out
    }

    static func word(_ template: String, _ arguments: [String], language: Wording.Language = .en, templates: [String: String] = [:]) -> String {
        Phrase(template: template, arguments: arguments.map { .verbatim($0) }).rendered(in: Wording(language: language, templates: templates))
    }

    @Test func placeholdersAsTheyWereWorded() {
        let cases: [(String, [String])] = [
            ("{0} positive on {1}; repeat no earlier than {2} (12 weeks).", ["LA", "2026-01-02", "2026-03-27"]),
            ("{1} before {0}", ["a", "b"]),
            ("{0}{0}{0}", ["x"]),
            ("no placeholder", ["x"]),
            ("{", ["x"]), ("}", ["x"]), ("{}", ["x"]), ("{{0}}", ["x"]), ("{0", ["x"]), ("0}", ["x"]),
            ("{5} out of range", ["x"]), ("{-1} negative", ["x"]), ("{a} not a number", ["x"]), ("{ 0} space", ["x"]),
            ("{+0} a sign", ["x"]), ("{00} leading zero", ["x"]),
            ("zwangerschap ≥ 12+0 weken: {0} — échographie {1}", ["één", "twee"]),
            ("{0} 👩‍⚕️ {1}", ["🇳🇱", "é"]),
            ("", ["x"]), ("{0}", ["«record» {1} {0}"]),
        ]
        for (template, arguments) in cases {
            #expect(Self.word(template, arguments) == Self.oracle(template, arguments), "\(template)")
        }
        // A generated set: every template of 5 characters over an alphabet of braces,
        // digits, a sign, a letter and a multi-byte character.
        let alphabet: [Character] = ["{", "}", "0", "1", "9", "-", "a", "é", " "]
        var templates = [""]
        for _ in 0..<5 { templates = templates.flatMap { t in alphabet.map { t + String($0) } } }
        var checked = 0
        for template in templates where template.contains("{") {
            #expect(Self.word(template, ["A", "Bé"]) == Self.oracle(template, ["A", "Bé"]), "\(template)")
            checked += 1
        }
        #expect(checked == 26_281)  // 9^5 templates, those with a brace-open
    }

    /// Every template of the catalogue, English and Dutch, worded as before. The one place the
    /// two readings can differ is a brace that forms one Character with what follows or precedes
    /// it (`}` with a combining accent, an Arabic sign before `{`): bytes see the brace, Characters
    /// did not. No text of the catalogue has one (helper-36's review), and this holds it.
    @Test func everyTemplateOfTheCatalogueAsItWasWorded() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Profiles/CodeSystem-rpl-text.json")
        let catalogue = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let concepts = catalogue?["concept"] as? [[String: Any]] ?? []
        var templates: [String] = []
        for concept in concepts {
            if let display = concept["display"] as? String { templates.append(display) }
            for d in concept["designation"] as? [[String: Any]] ?? [] { if let v = d["value"] as? String { templates.append(v) } }
        }
        #expect(templates.count > 700)
        let arguments = ["A", "Bé", "C", "D", "E", "F"]
        for template in templates {
            #expect(Self.word(template, arguments) == Self.oracle(template, arguments), "\(template)")
        }
        // The difference, as meant: the byte reading takes the brace before a combining accent.
        #expect(Self.word("{0}\u{301}", ["x"]) == "x\u{301}" && Self.oracle("{0}\u{301}", ["x"]) == "{0}\u{301}")
    }

    @Test func theLanguagesTemplateAndItsOrder() {
        let dutch = ["{0} positive on {1}": "Uitslag {0} positief op {1}", "on {0} and {1}": "{1} en {0}"]
        #expect(Self.word("{0} positive on {1}", ["LA", "x"], language: .nl, templates: dutch) == "Uitslag LA positief op x")
        #expect(Self.word("on {0} and {1}", ["a", "b"], language: .nl, templates: dutch) == "b en a")
        let number = Phrase(template: "{0} mU/L", arguments: [.number("4.52")])
        #expect(number.rendered(in: Wording(language: .nl, templates: [:])) == "4,52 mU/L")
        #expect(number.rendered(in: .builtInEnglish) == "4.52 mU/L")
    }

    /// RPL-TERM's first look, one pass: the same answer as searching the ASCII-lowered bytes for
    /// either term, over texts made of the terms' pieces, case changes and other bytes.
    @Test func theRejectedTermsFirstLookAsASearch() {
        func oracle(_ text: String) -> Bool {
            let lowered = String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
            return lowered.contains("habitu") || lowered.contains("recurrent abort")
        }
        let pieces = ["habitu", "HABITU", "Habit", "u", "recurrent", "RECURRENT", " ", "abort", "ABORT", "hh", "r", "é", "\u{0130}", "x"]
        // Every text of up to 4 pieces (38,415 texts), so each term is also made across pieces.
        var texts = [""], all = [""]
        for _ in 0..<4 {
            texts = texts.flatMap { t in pieces.map { t + $0 } }
            all += texts
        }
        for text in all where mayHoldRejectedTerm(text) != oracle(text) {
            Issue.record("\(text)")
        }
        #expect(all.count == 1 + 14 + 196 + 2_744 + 38_416)
        #expect(mayHoldRejectedTerm("Herhaalde miskramen (HABITUELE abortus)") && mayHoldRejectedTerm("recurrent Abortion"))
        #expect(!mayHoldRejectedTerm("recurrent  abortion") && !mayHoldRejectedTerm("habit") && !mayHoldRejectedTerm(""))
    }
}
