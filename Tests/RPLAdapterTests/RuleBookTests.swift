import Foundation
import FHIR
@testable import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// The rule book (issue 19, part 2): generated from Profiles and the fixtures, every rule in it
/// in both languages, byte-stable, a site's own values shown.
@Suite struct RuleBookTests {
    static let fixtures = InProcess.projectRoot.appendingPathComponent("Fixtures").path

    static func book(_ resources: [String: Element]? = nil, fixtures: String? = RuleBookTests.fixtures) throws -> RuleBook {
        try RuleBook(resources: resources ?? Profiles.builtInSources(), fixtures: fixtures)
    }

    @Test func everyRuleOnceWithItsCardLineAndWhatItChecksInBothLanguages() throws {
        let book = try Self.book()
        #expect(book.rules.map(\.id).sorted() == RuleID.allCases.map(\.rawValue).sorted())
        for rule in book.rules {
            let line = try #require(Card.lines.first { $0.ruleId.rawValue == rule.id })
            #expect(rule.quotes == line.quotes, "\(rule.id)")  // the card's words, as the quotes test holds them
            #expect(rule.english == line.english, "\(rule.id)")
            let nl = try #require(rule.checks[.nl]), en = try #require(rule.checks[.en])
            #expect(nl.count > 20 && en.count > 20 && nl != en, "\(rule.id)")
        }
        // Every area of the card holds a rule; the areas in the card's order.
        #expect(book.areas.allSatisfy { !$0.rules.isEmpty })
        #expect(book.areas.first?.code == "general")
    }

    @Test func bothFormatsInBothLanguagesNameEveryRuleAndAreByteStable() throws {
        let book = try Self.book()
        for language in RuleBook.Language.allCases {
            let markdown = book.markdown(language), html = book.html(language)
            for rule in book.rules {
                #expect(markdown.contains("### \(rule.id)\n"), "\(rule.id) \(language)")
                #expect(html.contains("<section class=\"rule") && html.contains("id=\"\(rule.id)\""), "\(rule.id) \(language)")
                #expect(markdown.contains(rule.checks[language]!))
            }
            // Byte-stable: the same Profiles give the same bytes, whatever order they were read in.
            let again = try Self.book(Dictionary(uniqueKeysWithValues: try Profiles.builtInSources().shuffled().map { ($0.key, $0.value) }))
            #expect(again.markdown(language) == markdown)
            #expect(again.html(language) == html)
        }
        #expect(book.markdown(.nl).contains("Wat het programma controleert") && book.markdown(.en).contains("What the program checks"))
    }

    @Test func theHTMLIsOnePageWithNothingFetched() throws {
        let html = try Self.book().html(.nl)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        // No external assets: no src at all, and every link an anchor on the page.
        #expect(!html.contains(" src="))
        #expect(!html.contains("<link") && !html.contains("<script") && !html.contains("@import") && !html.contains("url("))
        let hrefs = html.matches(of: /href="([^"]*)"/).map { String($0.1) }
        #expect(!hrefs.isEmpty && hrefs.allSatisfy { $0.hasPrefix("#") })
        for href in hrefs { #expect(html.contains("id=\"\(href.dropFirst())\""), "\(href)") }
    }

    @Test func codeListsSayWhereEachCodeComesFrom() throws {
        let book = try Self.book()
        let tsh = try #require(book.rules.first { $0.id == "RPL-TSH" })
        let list = try #require(tsh.codeLists.first { $0.id == "rpl-tsh" })
        let code = try #require(list.concepts.first { $0.code == "3016-3" })
        #expect(code.system == "http://loinc.org" && code.source == "terminology")
        // terminology.md marks 83122-2 (free T4) with (?): the book says it is unconfirmed.
        let ft4 = try #require(book.rules.first { $0.id == "RPL-FT4" }?.codeLists.flatMap(\.concepts).first { $0.code == "83122-2" })
        #expect(ft4.source == "unconfirmed")
        #expect(book.markdown(.en).contains("`83122-2`") && book.markdown(.en).contains("unconfirmed (terminology.md: (?))"))
        // The not-recommended items: what a request must carry.
        let thrombophilia = try #require(book.rules.first { $0.id == "NR-THROMBOPHILIA" })
        #expect(!thrombophilia.items.isEmpty && thrombophilia.items.allSatisfy { !$0.keywords.isEmpty })
    }

    @Test func fixturesWhereEachRuleFiresAndStaysQuiet() throws {
        let book = try Self.book()
        let indication = try #require(book.rules.first { $0.id == "RPL-INDICATION" })
        #expect(indication.fires.contains("indication-two-losses") && indication.quiet.contains("indication-one-loss"))
        #expect(book.rules.filter { !$0.fires.isEmpty }.count > 35)
        // Without fixtures the book says so rather than listing none.
        let bare = try Self.book(fixtures: nil)
        #expect(bare.markdown(.en).contains("No fixtures read: give --fixtures"))
    }

    @Test func aSitesChangedThresholdShows() throws {
        let builtIn = try Self.book().markdown(.en)
        #expect(builtIn.contains("`antiphospholipidRepeatDays` = 84"))
        let site = try InProcess.profiles(changing: "Parameters-rpl-defaults.json") {
            $0.replacingOccurrences(of: "\"name\": \"antiphospholipidRepeatDays\",\n      \"valueInteger\": 84", with: "\"name\": \"antiphospholipidRepeatDays\",\n      \"valueInteger\": 90")
        }
        let changed = try Self.book(site.resources).markdown(.en)
        #expect(changed.contains("`antiphospholipidRepeatDays` = 90") && !changed.contains("`antiphospholipidRepeatDays` = 84"))
        // The fingerprint names other Profiles; everything else as before.
        func fingerprint(_ book: String) -> String { book.split(separator: "\n").first { $0.contains("Fingerprint of these Profiles") }.map(String.init) ?? "" }
        #expect(!fingerprint(builtIn).isEmpty && fingerprint(changed) != fingerprint(builtIn))
        #expect(changed.replacingOccurrences(of: "`antiphospholipidRepeatDays` = 90", with: "`antiphospholipidRepeatDays` = 84")
            .replacingOccurrences(of: fingerprint(changed), with: fingerprint(builtIn)) == builtIn)
    }

    @Test func aProfilesFolderWithoutTheBooksDataIsRefusedSayingWhat() throws {
        func problem(_ change: (inout [String: Element]) -> Void) throws -> String {
            var resources = try Profiles.builtInSources()
            change(&resources)
            do { _ = try Self.book(resources); return "" } catch { return "\(error)" }
        }
        #expect(try problem { $0["CodeSystem/rpl-card-area"] = nil } == "Profiles has no CodeSystem/rpl-card-area")
        // A rule the program runs cannot drop out of the book: no action for it is an error.
        let withoutRule = try problem { r in
            var plan = r["PlanDefinition/rpl-guideline"]!
            plan.children.removeAll { $0.name == "action" && $0.string("id") == "NR-HOMOCYSTEINE" }
            r["PlanDefinition/rpl-guideline"] = plan
        }
        #expect(withoutRule == "PlanDefinition/rpl-guideline has no action for NR-HOMOCYSTEINE, a rule the program runs")
        // An action from before the book (no texts): named.
        let old = try problem { r in
            var plan = r["PlanDefinition/rpl-guideline"]!
            for i in plan.children.indices where plan.children[i].name == "action" && plan.children[i].string("id") == "RPL-TSH" {
                plan.children[i].children.removeAll { $0.name == "textEquivalent" }
            }
            r["PlanDefinition/rpl-guideline"] = plan
        }
        #expect(old.contains("RPL-TSH") && old.contains("textEquivalent"))
    }

    @Test func aCodeWithoutItsSourceIsSaidToHaveNone() throws {
        var resources = try Profiles.builtInSources()
        func strip(_ e: Element) -> Element {
            var e = e
            e.children = e.children.filter { !($0.name == "extension" && $0.string("url")?.hasSuffix("/code-source") == true) }.map(strip)
            return e
        }
        resources["ValueSet/rpl-tsh"] = strip(resources["ValueSet/rpl-tsh"]!)
        let book = try Self.book(resources)
        let tsh = try #require(book.rules.first { $0.id == "RPL-TSH" }?.codeLists.first { $0.id == "rpl-tsh" })
        #expect(tsh.concepts.allSatisfy { $0.source == "unrecorded" })
        #expect(book.markdown(.en).contains("source not recorded"))
    }
}
