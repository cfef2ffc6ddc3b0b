import ArgumentParser
import FHIR
import RPLAdapter

@main
struct RPLAdapterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpl-adapter",
        abstract: "FHIR R4 adapter for the Dutch ESHRE guideline Recurrent Pregnancy Loss.",
        version: Adapter.version,
        subcommands: [Apply.self, Convert.self, ReplayCommand.self]
    )
}
