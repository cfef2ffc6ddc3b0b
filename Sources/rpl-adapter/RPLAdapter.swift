import ArgumentParser
import FHIR

@main
struct RPLAdapter: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "rpl-adapter",
        abstract: "FHIR R4 adapter for the Dutch ESHRE guideline Recurrent Pregnancy Loss.",
        version: version,
        subcommands: [Convert.self]
    )
}
