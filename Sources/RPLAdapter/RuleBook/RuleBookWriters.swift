// The rule book as markdown (for diffing two versions in review) and as one self-contained,
// printable HTML page (for the committee's meeting).

import RPLGuideline

extension RuleBook {
    /// The book's own words, in both languages side by side (a label cannot lack one).
    struct Labels {
        let title, introText, contents, cardLine, english, checks, codeLists, items, settings, fires, quiet, none, noFixtures,
            siteSettings, excluded, keywords, indications, appliesTo, filters, fingerprint, context: String
        let sources: [String: String]

        /// The introduction, naming the Profiles' version.
        func intro(_ version: String) -> String {
            let parts = introText.split(separator: "%@", omittingEmptySubsequences: false)
            return parts.joined(separator: version)
        }

        static func of(_ language: Language) -> Labels {
            switch language {
            case .nl:
                Labels(title: "Regelboek rpl-adapter",
                       introText: "Elke regel van de samenvattingskaart Herhaalde miskraam (NVOG-adaptatie van de ESHRE-richtlijn Recurrent Pregnancy Loss, 2018, updates 2022) zoals het programma hem uitvoert, met de codes en instellingen van deze installatie. Gegenereerd uit Profiles (versie %@); een arts beslist, het programma stelt voor.",
                       contents: "Inhoud", cardLine: "Kaartregel", english: "Engelse weergave", checks: "Wat het programma controleert",
                       codeLists: "Codelijsten", items: "Herkend als niet-aanbevolen aanvraag", settings: "Instellingen (waarden van deze installatie)",
                       fires: "Testgevallen waarin de regel afgaat", quiet: "Testgevallen waarin de regel stil blijft", none: "geen",
                       noFixtures: "Geen testgevallen gelezen: geef --fixtures (in een kloon van de repository: Fixtures).", siteSettings: "Instellingen voor elke aanvraag",
                       excluded: "uitgezonderd", keywords: "trefwoorden (alleen zonder code)", indications: "andere indicatie heft de markering op",
                       appliesTo: "geldt voor", filters: "met onderliggende codes",
                       fingerprint: "Vingerafdruk van deze Profiles (SHA-1; een ander getal: andere codes, teksten of instellingen)",
                       context: "context van de kaart, geen regel",
                       sources: ["terminology": "spec (terminology.md)", "guideline": "spec (guideline.md)",
                                 "unconfirmed": "niet bevestigd (terminology.md: (?))",
                                 "project": "toegevoegd door het project, niet tegen een terminologieserver gecontroleerd",
                                 "unrecorded": "herkomst niet vastgelegd (code-source ontbreekt: een eigen code van de site?)"])
            case .en:
                Labels(title: "rpl-adapter rule book",
                       introText: "Every rule of the summary card Recurrent pregnancy loss (the NVOG adaptation of the ESHRE guideline Recurrent Pregnancy Loss, 2018, updates 2022) as the program runs it, with this installation's codes and settings. Generated from Profiles (version %@); a clinician decides, the program proposes.",
                       contents: "Contents", cardLine: "Card line", english: "English rendering", checks: "What the program checks",
                       codeLists: "Code lists", items: "Recognised as a not-recommended request", settings: "Settings (this installation's values)",
                       fires: "Fixtures where it fires", quiet: "Fixtures where it stays quiet", none: "none",
                       noFixtures: "No fixtures read: give --fixtures (in a clone of the repository: Fixtures).", siteSettings: "Settings for every order",
                       excluded: "excluded", keywords: "keywords (only without a code)", indications: "another indication lifts the flag",
                       appliesTo: "applies to", filters: "with the codes below them",
                       fingerprint: "Fingerprint of these Profiles (SHA-1; another number: other codes, texts or settings)",
                       context: "the card's context, not a rule",
                       sources: ["terminology": "spec (terminology.md)", "guideline": "spec (guideline.md)",
                                 "unconfirmed": "unconfirmed (terminology.md: (?))",
                                 "project": "added by the project, not checked against a terminology server",
                                 "unrecorded": "source not recorded (no code-source: a site's own code?)"])
            }
        }
    }

    // MARK: markdown

    /// Text from Profiles in a markdown line or code span: one line, no backticks (a site's value
    /// or display cannot break the structure).
    static func md(_ s: String) -> String {
        String(s.map { $0 == "\n" || $0 == "\r" ? " " : $0 == "`" ? "'" : $0 })
    }

    /// Markdown, byte-stable for one Profiles folder and one fixtures folder.
    public func markdown(_ language: Language) -> String {
        let l = Labels.of(language)
        var out = "# \(l.title)\n\n\(l.intro(version))\n\n> \(Self.md(Card.source))\n\n"
        out += "- **\(l.fingerprint)**: `\(fingerprint)`\n- **DD - Risicofactoren** (\(l.context)): \(Self.md(Card.riskFactors.joined(separator: "; ")))\n\n## \(l.contents)\n\n"
        for area in areas {
            out += "- \(area.title[language]!)\n"
            for rule in area.rules { out += "  - \(rule.id): \(Self.md(rule.summary(language)))\n" }
        }
        out += "\n## \(l.siteSettings)\n\n"
        for s in siteSettings { out += "- `\(Self.md(s.name))` = \(Self.md(s.value))\n" }
        for area in areas {
            out += "\n## \(area.title[language]!)\n"
            for rule in area.rules {
                out += "\n### \(rule.id)\n\n"
                out += "- **\(l.cardLine)**: " + rule.quotes.map { "\"\(Self.md($0))\"" }.joined(separator: " … ") + "\n"
                out += "- **\(l.english)**: \(Self.md(rule.english))\n"
                out += "- **\(l.checks)**: \(Self.md(rule.checks[language]!))\n"
                if !rule.settings.isEmpty {
                    out += "- **\(l.settings)**: " + rule.settings.map { "`\(Self.md($0.name))` = \(Self.md($0.value))" }.joined(separator: ", ") + "\n"
                }
                for item in rule.items {
                    out += "- **\(l.items)**: \(Self.md(item.name)) (\(l.appliesTo) \(Self.md(item.appliesTo.joined(separator: ", "))))"
                    let codes = item.codes.map(Self.md) + item.valueSets.map { "ValueSet `\(Self.md($0))`" }
                    if !codes.isEmpty { out += "; " + codes.joined(separator: ", ") }
                    if !item.keywords.isEmpty { out += "; \(l.keywords): " + item.keywords.map { "\"\(Self.md($0))\"" }.joined(separator: ", ") }
                    if !item.indications.isEmpty { out += "; \(l.indications): " + item.indications.map { "`\(Self.md($0))`" }.joined(separator: ", ") }
                    out += "\n"
                }
                if !rule.codeLists.isEmpty {
                    out += "- **\(l.codeLists)**:\n"
                    for list in rule.codeLists {
                        out += "  - `\(Self.md(list.id))`: \(Self.md(list.title))\n"
                        for c in list.concepts {
                            out += "    - \(c.excluded ? "(\(l.excluded)) " : "")\(Self.md(c.system)) `\(Self.md(c.code))`" + (c.display.map { " \(Self.md($0))" } ?? "") + " — \(l.sources[c.source] ?? c.source)\n"
                        }
                        for f in list.filters { out += "    - \(Self.md(f)) (\(l.filters))\n" }
                    }
                }
                if fixtures == nil {
                    out += "- \(l.noFixtures)\n"
                } else {
                    out += "- **\(l.fires)**: " + (rule.fires.isEmpty ? l.none : rule.fires.joined(separator: ", ")) + "\n"
                    out += "- **\(l.quiet)**: " + (rule.quiet.isEmpty ? l.none : rule.quiet.joined(separator: ", ")) + "\n"
                }
            }
        }
        return out
    }

    // MARK: HTML

    static func escape(_ s: String) -> String { markupEscaped(s) }

    /// One self-contained page (no external assets: styles inline, no scripts, no fonts or
    /// images fetched), printable (each area starts a page; links shown as the rule ids).
    public func html(_ language: Language) -> String {
        let l = Labels.of(language)
        let e = Self.escape
        var out = """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(l.title))</title>
        <style>
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #1a1a1a; }
        h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 2px solid #555; margin-top: 2.5rem; } h3 { font-size: 1.1rem; margin-bottom: 0.3rem; }
        section.rule { border-left: 4px solid #2a6f97; padding: 0.2rem 0 0.4rem 0.8rem; margin: 1.2rem 0; break-inside: avoid-page; }
        section.rule.nr { border-left-color: #b5452a; }
        dl { margin: 0; } dt { font-weight: 600; margin-top: 0.4rem; } dd { margin-left: 1rem; }
        q { font-style: italic; } code { font-size: 0.9em; background: #f2f2f2; padding: 0 0.2em; }
        table { border-collapse: collapse; font-size: 0.85rem; margin: 0.3rem 0; } td, th { border: 1px solid #ccc; padding: 0.15rem 0.4rem; text-align: left; vertical-align: top; }
        nav ul { columns: 2; } nav li { break-inside: avoid; }
        @media print { body { margin: 0; max-width: none; } h2.area { break-before: page; } a { color: inherit; text-decoration: none; } nav ul { columns: 1; } }
        </style>
        </head>
        <body>
        <h1>\(e(l.title))</h1>
        <p>\(e(l.intro(version)))</p>
        <blockquote>\(e(Card.source))</blockquote>
        <p><strong>\(e(l.fingerprint))</strong>: <code>\(e(fingerprint))</code><br><strong>DD - Risicofactoren</strong> (\(e(l.context))): \(e(Card.riskFactors.joined(separator: "; ")))</p>
        <nav><h2>\(e(l.contents))</h2><ul>

        """
        for area in areas {
            out += "<li><a href=\"#area-\(e(area.code))\">\(e(area.title[language]!))</a><ul>"
            for rule in area.rules { out += "<li><a href=\"#\(e(rule.id))\">\(e(rule.id))</a></li>" }
            out += "</ul></li>\n"
        }
        out += "</ul></nav>\n<h2>\(e(l.siteSettings))</h2>\n<table>"
        for s in siteSettings { out += "<tr><th><code>\(e(s.name))</code></th><td>\(e(s.value))</td></tr>" }
        out += "</table>\n"
        for area in areas {
            out += "<h2 class=\"area\" id=\"area-\(e(area.code))\">\(e(area.title[language]!))</h2>\n"
            for rule in area.rules {
                out += "<section class=\"rule\(rule.id.hasPrefix("NR-") ? " nr" : "")\" id=\"\(e(rule.id))\">\n<h3>\(e(rule.id))</h3>\n<dl>\n"
                out += "<dt>\(e(l.cardLine))</dt><dd>" + rule.quotes.map { "<q lang=\"nl\">\(e($0))</q>" }.joined(separator: " … ") + "</dd>\n"
                out += "<dt>\(e(l.english))</dt><dd lang=\"en\">\(e(rule.english))</dd>\n"
                out += "<dt>\(e(l.checks))</dt><dd>\(e(rule.checks[language]!))</dd>\n"
                if !rule.settings.isEmpty {
                    out += "<dt>\(e(l.settings))</dt><dd>" + rule.settings.map { "<code>\(e($0.name))</code> = \(e($0.value))" }.joined(separator: ", ") + "</dd>\n"
                }
                for item in rule.items {
                    var parts = ["\(e(item.name)) (\(e(l.appliesTo)) \(e(item.appliesTo.joined(separator: ", "))))"]
                    let codes = item.codes.map { "<code>\(e($0))</code>" } + item.valueSets.map { "ValueSet <code>\(e($0))</code>" }
                    if !codes.isEmpty { parts.append(codes.joined(separator: ", ")) }
                    if !item.keywords.isEmpty { parts.append(e(l.keywords) + ": " + item.keywords.map { "“\(e($0))”" }.joined(separator: ", ")) }
                    if !item.indications.isEmpty { parts.append(e(l.indications) + ": " + item.indications.map { "<code>\(e($0))</code>" }.joined(separator: ", ")) }
                    out += "<dt>\(e(l.items))</dt><dd>" + parts.joined(separator: "; ") + "</dd>\n"
                }
                if !rule.codeLists.isEmpty {
                    out += "<dt>\(e(l.codeLists))</dt><dd>"
                    for list in rule.codeLists {
                        out += "<p><code>\(e(list.id))</code>: \(e(list.title))</p><table>"
                        for c in list.concepts {
                            out += "<tr><td>\(c.excluded ? e(l.excluded) + " " : "")\(e(c.system))</td><td><code>\(e(c.code))</code></td><td>\(e(c.display ?? ""))</td><td>\(e(l.sources[c.source] ?? c.source))</td></tr>"
                        }
                        for f in list.filters { out += "<tr><td colspan=\"4\">\(e(f)) (\(e(l.filters)))</td></tr>" }
                        out += "</table>"
                    }
                    out += "</dd>\n"
                }
                if fixtures == nil {
                    out += "<dt>\(e(l.noFixtures))</dt>\n"
                } else {
                    out += "<dt>\(e(l.fires))</dt><dd>" + (rule.fires.isEmpty ? e(l.none) : rule.fires.map(e).joined(separator: ", ")) + "</dd>\n"
                    out += "<dt>\(e(l.quiet))</dt><dd>" + (rule.quiet.isEmpty ? e(l.none) : rule.quiet.map(e).joined(separator: ", ")) + "</dd>\n"
                }
                out += "</dl>\n</section>\n"
            }
        }
        out += "</body>\n</html>\n"
        return out
    }
}
