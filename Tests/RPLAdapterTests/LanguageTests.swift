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
        for fixture in MetamorphicTests.fixtures where !fixture.refused {
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
        for fixture in MetamorphicTests.fixtures where !fixture.refused {
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
        for fixture in MetamorphicTests.fixtures where !fixture.refused {
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
        // The Dutch with other placeholders than the English: refused.
        #expect(throws: Profiles.LoadError.self) {
            try InProcess.profiles(changing: "CodeSystem-rpl-text.json") { $0.replacingOccurrences(of: "\"Geen uitslag van {0}.\"", with: "\"Geen uitslag van {1}.\"") }
        }
        // An English designation words the English output; the display stays the key.
        let english = try InProcess.profiles(changing: "CodeSystem-rpl-text.json") {
            $0.replacingOccurrences(of: "\"value\": \"Geen uitslag van {0}.\"", with: "\"value\": \"Geen uitslag van {0}.\"}, {\"language\": \"en\", \"value\": \"{0}: no result.\"")
        }
        #expect(english.wording(.en).templates["No {0} result."] == "{0}: no result.")
        #expect(english.wording(.nl).templates["No {0} result."] == "Geen uitslag van {0}.")
        #expect(InProcess.profiles.wording(.en).templates["No {0} result."] == "No {0} result.")
        let p = try InProcess.profiles(changing: "Parameters-rpl-site.json") { $0.replacingOccurrences(of: "\"valueCode\": \"nl\"", with: "\"valueCode\": \"en\"") }
        #expect(p.site.language == .en)
        #expect(InProcess.profiles.site.language == .nl)
    }
}

/// Issue 19, done when 1: the Dutch uses the card's words where the card has them, held against
/// the card as the quotes are (`CardQuoteTests`): each stretch below is in the card, and in the
/// Dutch wording of the phrase that says that line.
@Suite struct CardWordsTests {
    static let stretches: [(english: String, card: String)] = [
        ("Preconception advice consultation, attending to male and female factors.", "preconceptioneel advies consult"),
        ("Preconception advice consultation, attending to male and female factors.", "zowel mannelijke als vrouwelijke factoren"),
        ("Advise vitamin D and folic acid (advice, not a prescription).", "vitamine D en foliumzuur"),
        ("Consider referral to a centre with expertise in recurrent pregnancy loss.", "Overweeg verwijzing naar"),
        ("Consider referral to a centre with expertise in recurrent pregnancy loss.", "centrum met expertise in herhaalde miskramen"),
        ("In the next pregnancy: supportive care with early viability ultrasounds.", "ondersteunende zorg"),
        ("Point to the information of the patient association Freya.", "informatie van patiëntenvereniging Freya"),
        ("Take the (obstetric) history.", "anamnese afnemen"),
        ("Take the lifestyle history of both partners.", "Leefstijl anamnese"),
        ("{0}: karyotype both parents.", "ouders"),
        ("{0}: no genetic counselling for it.", "genetische counseling"),
        ("Referral to clinical genetics: {0}.", "afdeling klinische genetica"),
        ("{0} positive on {1}; repeat no earlier than {2} (12 weeks).", "12 weken"),
        ("low-dose aspirin {0}, with LMWH {1}", "lage dosis aspirine"),
        ("Second-trimester loss and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases.", "verdenking op een cervixinsufficiëntie"),
        ("Second-trimester loss and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases.", "echoscopische follow-up van de cervix"),
        ("Second-trimester loss and suspected cervical insufficiency: serial ultrasound follow-up of the cervix; cerclage only in selected cases.", "Cerclage alleen in selecte casus"),
        ("{0} miscarriages, pregnant at {1} on {2}, bleeding at or before {3}: progesterone 400 mg vaginally twice daily until {4} ({5}).", "progesteron vaginaal"),
        ("Uterine malformation: {0}; look for urinary tract anomalies.", "Uterine vormafwijking"),
        ("Uterine malformation: {0}; look for urinary tract anomalies.", "diagnostiek naar afwijkingen in de tractus urogenitalis"),
        ("Clinical symptoms of autoimmune disease: {0}; no ANA result: consider ANA.", "klinische symptomen"),
        ("Symptoms of a cycle disorder: {0}; {1} has no result in the lookback window.", "symptomen van cyclusstoornis"),
        ("Symptoms of a prolactin disorder: {0}; no prolactin result in the lookback window.", "symptomen van prolactineafwijkingen"),
        ("Lifestyle risk factors: {0}.", "leefstijl"),
        ("TSH {0} {1} {2} is {3} ({4}); no free T4 on or after it.", "TSH"),
        ("The most recent loss ({0}) was recorded with {1}: genetic analysis of its tissue may be considered.", "genetische analyse miskraamweefsel"),
    ]

    /// Letters only, lower case: the card's line breaks, hyphens and the Dutch grammar's
    /// articles between the card's words do not count ("symptomen van een cyclusstoornis" says the
    /// card's "symptomen van cyclusstoornis").
    static func words(_ s: String) -> [String] {
        s.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { !["een", "de", "het", "van", "het"].contains($0) }
    }

    static func contains(_ text: String, _ stretch: String) -> Bool {
        let t = words(text), s = words(stretch)
        guard !s.isEmpty, t.count >= s.count else { return false }
        return (0...(t.count - s.count)).contains { Array(t[$0..<($0 + s.count)]) == s }
    }

    @Test func theDutchSaysTheCardsWords() {
        let dutch = InProcess.profiles.wording(.nl).templates
        for (english, stretch) in Self.stretches {
            #expect(Self.contains(CardQuoteTests.card, stretch), "not on the card: \(stretch)")
            let wording = dutch[english] ?? ""
            #expect(Self.contains(wording, stretch), "\(english) → \(wording): lacks the card's \"\(stretch)\"")
        }
    }
}
