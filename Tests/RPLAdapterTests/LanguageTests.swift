import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// Issue 19: every text a clinician reads in the chosen language. Over every stored scenario, in
/// Dutch and in English: no phrase without a wording, no English sentence left in the Dutch, and
/// nothing but the texts changes with the language (decisions, ids, references, codes).
@Suite(.serialized) struct LanguageTests {
    /// The elements that hold words a clinician reads (displays are the code systems' own).
    static let textElements: Set<String> = ["text", "description", "detail", "rationale", "title"]

    static func apply(_ fixture: MetamorphicTests.Fixture, _ language: Wording.Language, marksRecords: Bool = false) throws -> Adapter.Result {
        var adapter = Adapter(profiles: InProcess.profiles, language: language)
        adapter.wording.marksRecords = marksRecords
        return try adapter.apply(fixture.bundle, asOf: CalendarDate(fhir: fixture.asOf))
    }

    /// Every phrase of every plan (its indication, notes, risk factors, each recommendation's
    /// reason and title, the warnings) has a wording in both languages.
    @Test func everyPhraseOfEveryFixtureHasBothLanguages() throws {
        var missing: [String: Set<String>] = [:]
        for fixture in MetamorphicTests.fixtures {
            let result = try Self.apply(fixture, .nl)
            var phrases = result.warningPhrases
            if let plan = result.plan {
                phrases += [plan.indication, plan.riskFactors] + plan.notes
                phrases += plan.recommendations.flatMap { [$0.reason] + ($0.title.map { [$0] } ?? []) }
            }
            for language in Wording.Language.allCases {
                for t in phrases.flatMap(InProcess.profiles.wording(language).missing) { missing[t, default: []].insert(fixture.name) }
            }
        }
        #expect(missing.isEmpty, "\(missing)")
    }

    /// The Dutch output, the record's own words left out, reads as Dutch: none of the words that
    /// only an English sentence has.
    @Test func theDutchOutputHasNoEnglishSentence() throws {
        let english: Set<String> = ["the", "and", "with", "not", "has", "which", "from", "after", "before", "this", "result", "recorded", "check", "should"]
        var found: [String] = []
        for fixture in MetamorphicTests.fixtures {
            let result = try Self.apply(fixture, .nl, marksRecords: true)
            for text in Self.texts(result.output) {
                // The record's words, the card's quotes and the card's source line are not ours.
                var rest = text
                while let open = rest.firstIndex(of: "«"), let close = rest[open...].firstIndex(of: "»") { rest.removeSubrange(open...close) }
                while let open = rest.firstIndex(of: "\""), let close = rest[rest.index(after: open)...].firstIndex(of: "\"") { rest.removeSubrange(open...close) }
                rest = rest.replacingOccurrences(of: Card.source, with: "")
                let words = rest.lowercased().split { !$0.isLetter }.map(String.init)
                if let w = words.first(where: english.contains) { found.append("\(fixture.name): \"\(w)\" in: \(text.prefix(200))") }
            }
        }
        #expect(found.isEmpty, "\(found.prefix(20).joined(separator: "\n"))")
    }

    /// The language changes only the texts: the same output with every text element blanked.
    @Test func theLanguageChangesOnlyTexts() throws {
        var differ: [String] = []
        for fixture in MetamorphicTests.fixtures {
            let nl = try Self.apply(fixture, .nl), en = try Self.apply(fixture, .en)
            let a = try JSONWriter().write(Self.blanked(nl.output)), b = try JSONWriter().write(Self.blanked(en.output))
            if a != b { differ.append(fixture.name) }
            // And they differ in the texts (the Dutch is not the English).
            let nlBytes = try JSONWriter().write(nl.output), enBytes = try JSONWriter().write(en.output)
            if nl.plan?.indicated == true && nlBytes == enBytes { differ.append(fixture.name + " (same texts)") }
        }
        #expect(differ.isEmpty, "\(differ)")
    }

    static func texts(_ e: Element) -> [String] {
        var out: [String] = []
        func walk(_ e: Element) {
            if textElements.contains(e.name), let v = e.value { out.append(v) }
            e.children.forEach(walk)
        }
        walk(e)
        return out
    }

    static func blanked(_ e: Element) -> Element {
        var e = e
        if textElements.contains(e.name) || e.name == "display", e.value != nil { e.value = "" }
        e.children = e.children.map(blanked)
        return e
    }

    /// A catalogue entry without its Dutch is refused as the Profiles load: a plan is never half
    /// in English.
    @Test func aSiteCopyWithoutTheDutchIsRefused() throws {
        #expect(throws: Profiles.LoadError.self) {
            try InProcess.profiles(changing: "CodeSystem-rpl-text.json") { $0.replacingOccurrences(of: "\"language\": \"nl\"", with: "\"language\": \"de\"") }
        }
        let p = try InProcess.profiles(changing: "Parameters-rpl-site.json") { $0.replacingOccurrences(of: "\"valueCode\": \"nl\"", with: "\"valueCode\": \"en\"") }
        #expect(p.site.language == .en)
        #expect(InProcess.profiles.site.language == .nl)
    }
}
