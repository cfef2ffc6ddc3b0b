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
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let option = Apply.repeatedOption(arguments) {
            // As the argument parser refuses a line (exit 64, the usage after the error).
            Terminal.error("Error: \(option) is given twice: give each option once")
            Terminal.error("Usage: " + usageString(for: Apply.self))
            Terminal.error("  See 'rpl-adapter apply --help' for more information.")
            Terminal.end(.usage)
        }
        if let apply = Apply.plain(arguments) {
            // `run` ends the process; a thrown status or error ends it as `main` would.
            do { try apply.run() } catch { exit(withError: error) }
        }
        main(nil)
    }
}
