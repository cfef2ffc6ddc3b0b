import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// guideline.md v3, "Quotes are the card's words": every Dutch quote the program writes is a
/// verbatim stretch of the card (TestData/card, the card's text as extracted from its PDF). A
/// line break is one space, a hyphen at a line end joins ("LH-serumtest"), typographic
/// apostrophes, list dashes and "en;" stay as printed; nothing else is normalised.
@Suite struct CardQuoteTests {
    static let card: String = {
        let url = InProcess.projectRoot.appendingPathComponent("TestData/card/herhaalde-miskraam-samenvattingskaart.txt")
        return CardQuoteTests.joinLines(try! String(contentsOf: url, encoding: .utf8))
    }()

    /// The card's lines joined: spaces and tabs around a line break become one space, or none
    /// after a hyphen at the line's end.
    static func joinLines(_ text: String) -> String {
        var out = ""
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var piece = Substring(line)
            if i > 0 { piece = piece.drop { $0 == " " || $0 == "\t" } }
            if i > 0 && !out.isEmpty && !out.hasSuffix("-") { out += " " }
            out += piece
            while out.last == " " || out.last == "\t" { out.removeLast() }
        }
        return out
    }

    /// The quotes in one output text: `card: "…"`, `card (NIET AANBEVOLEN): "…"`, two quotes
    /// joined by ` … `, and the risk-factor summary `Card, DD - Risicofactoren: a; b; c.`.
    static func quotes(in text: String) -> [String] {
        var found: [String] = []
        for opener in ["card: \"", "card (NIET AANBEVOLEN): \"", "kaart: \"", "kaart (NIET AANBEVOLEN): \""] {
            var rest = Substring(text)
            while let start = rest.range(of: opener) {
                rest = rest[start.upperBound...]
                while let end = rest.firstIndex(of: "\"") {
                    found.append(String(rest[..<end]))
                    rest = rest[rest.index(after: end)...]
                    guard rest.hasPrefix(" … \"") else { break }
                    rest = rest.dropFirst(4)
                }
            }
        }
        // In English and in Dutch (issue 19).
        for (opener, closer) in [("Card, DD - Risicofactoren: ", ". This record"), ("Kaart, DD - Risicofactoren: ", ". In dit dossier")] {
            if let start = text.range(of: opener), let end = text.range(of: closer, range: start.upperBound..<text.endIndex) {
                found += text[start.upperBound..<end.lowerBound].components(separatedBy: "; ")
            }
        }
        return found
    }

    static func strings(_ json: Any, into out: inout [String]) {
        switch json {
        case let s as String: out.append(s)
        case let a as [Any]: for x in a { strings(x, into: &out) }
        case let d as [String: Any]: for x in d.values { strings(x, into: &out) }
        default: break
        }
    }

    @Test func everyCardLineOfTheRulesIsTheCardsWords() {
        for line in Card.lines {
            #expect(!line.quotes.isEmpty)
            for q in line.quotes {
                let verbatim = Self.card.contains(q)
                #expect(verbatim, "\(line.ruleId): \(q)")
            }
        }
        for factor in Card.riskFactors {
            let verbatim = Self.card.contains(factor)
            #expect(verbatim, "\(factor)")
        }
        let source = Self.card.contains(Card.source)
        #expect(source)
        // The v3 boundary: RPL-CLINICAL-GENETICS quotes the footnote's second sentence as printed;
        // RPL-PROGESTERONE's two card lines are two quotes.
        #expect(Card.line(.clinicalGenetics).quotes == ["In het geval van een eerdere geboorte van een kind met structurele afwijkingen (in de familie), een familielid met een (on)gebalanceerde chromosoomafwijking, of de detectie van een (ongebalanceerde) translocatie in zwangerschapsweefsel is een verwijzing naar een afdeling klinische genetica geïndiceerd."])
        #expect(Card.line(.progesterone).quotes.count == 2)
    }

    /// The joining itself, on the card's own hard cases.
    @Test func linesJoinAsTheSpecSays() {
        #expect(Self.joinLines("Ovariële reservetesten, LH-\nserumtest") == "Ovariële reservetesten, LH-serumtest")
        #expect(Self.joinLines("In het geval van een \neerdere geboorte") == "In het geval van een eerdere geboorte")
        #expect(Self.card.contains("LH-serumtest"))
        #expect(Self.card.contains("vitaliteitecho\u{2019}s"))
        #expect(!Self.card.contains("vitaliteitecho's"))
        // A paraphrase is not the card's words.
        #expect(!Self.card.contains("verwijzing klinische genetica"))
    }

    /// Every quote in every fixture's expected output (the plans clinicians read) is the card's.
    @Test func everyQuoteInTheFixturesIsTheCardsWords() throws {
        let fixtures = InProcess.projectRoot.appendingPathComponent("Fixtures")
        var checked = 0, files = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() {
            let url = fixtures.appendingPathComponent(name).appendingPathComponent("expected.json")
            guard let data = try? Data(contentsOf: url) else { continue }
            files += 1
            var texts: [String] = []
            Self.strings(try JSONSerialization.jsonObject(with: data), into: &texts)
            for text in texts {
                for q in Self.quotes(in: text) {
                    checked += 1
                    let verbatim = Self.card.contains(q)
                    #expect(verbatim, "\(name): \(q)")
                }
            }
        }
        #expect(files >= 60)
        #expect(checked > 1000)
        print("CardQuoteTests: \(checked) quotes in \(files) fixture outputs held against the card")
    }
}
