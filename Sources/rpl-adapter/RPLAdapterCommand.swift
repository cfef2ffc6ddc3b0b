import ArgumentParser
import FHIR
import RPLAdapter

#if canImport(Glibc)
import Glibc
#endif

@main
struct RPLAdapterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpl-adapter",
        abstract: "FHIR R4 adapter for the Dutch ESHRE guideline Recurrent Pregnancy Loss.",
        version: Adapter.version,
        subcommands: [Apply.self, Convert.self, ReplayCommand.self, ProfilesCommand.self, RulesCommand.self, DeliverCommand.self, ServeCommand.self]
    )

    static func main() {
        // A closed pipe must be a write error we report (exit 74), not a silent SIGPIPE death.
        signal(SIGPIPE, SIG_IGN)
        if let apply = Apply.plain(Array(CommandLine.arguments.dropFirst())) {
            // `run` ends the process; a thrown status or error ends it as `main` would.
            do { try apply.run() } catch { exit(withError: error) }
        }
        main(nil)
    }
}
