import ArgumentParser
import ExitStatus
import FHIR
import RPLAdapter
import RPLGuideline

/// `rpl-adapter rules`: the rule book a hospital's decision-support committee signs off, from
/// the Profiles this site runs (issue 19).
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Write the rule book: every rule, its card line, what it checks, its codes and this site's settings.",
        discussion: """
            Generated from Profiles (the built-in copy, or --profiles DIR: the values this site \\
            runs) and the fixtures' READMEs (where each rule fires and where it stays quiet). \\
            HTML is one self-contained printable page; markdown is for diffing two versions.

            Examples:
              rpl-adapter rules --format html > regelboek.html
              rpl-adapter rules --language en --format markdown --profiles /etc/rpl/Profiles > rules.md
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, markdown }

    @Option(help: "The book's language (the card lines are quoted in Dutch either way).")
    var language: RuleBook.Language = .nl

    @Option(help: "html (one printable page) or markdown.")
    var format: Format = .html

    @Option(help: "A site's Profiles folder (default: the built-in copy).")
    var profiles: String?

    @Option(help: "The fixtures folder whose READMEs say where each rule fires (default: ./Fixtures when present).")
    var fixtures: String?

    func run() throws {
        let resources: [String: Element]
        if let profiles {
            resources = try Terminal.loadProfiles(profiles).resources
        } else {
            _ = try Terminal.loadProfiles(nil)
            resources = try Profiles.builtInSources()
        }
        let folder = fixtures ?? (RuleBook.isFolder("Fixtures") ? "Fixtures" : nil)
        let book: RuleBook
        do {
            book = try RuleBook(resources: resources, fixtures: folder)
        } catch {
            Terminal.error("rpl-adapter rules: \(error)")
            throw ExitStatus.configuration.exitCode
        }
        let text = format == .html ? book.html(language) : book.markdown(language)
        Terminal.output(Array(text.utf8))
    }
}

extension Wording.Language: ExpressibleByArgument {}
