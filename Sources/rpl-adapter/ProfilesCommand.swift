import ArgumentParser
import RPLAdapter

/// `rpl-adapter profiles check DIR`: what a site runs on its copy of Profiles/ before deploying it.
struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Work with a site's copy of Profiles/.",
        discussion: """
            Example:
              rpl-adapter profiles check /etc/rpl/Profiles
            """,
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a Profiles folder as apply --profiles would load it.",
            discussion: """
                Every file a regular JSON file of at most 4 MB, named Type-id.json after the resource \\
                it holds; every file of the built-in copy present; the settings in \\
                Parameters-rpl-defaults.json in range; no ValueSet without codes. Prints each \\
                problem; exit 0 when there are none, 78 when the folder is wrong, 74 when it \\
                cannot be read.

                Example:
                  rpl-adapter profiles check /etc/rpl/Profiles
                """
        )

        @Argument(help: "The Profiles folder.")
        var directory: String

        func run() throws {
            let profiles = try Terminal.loadProfiles(directory)
            Terminal.output(Array("\(directory): \(profiles.resources.count) resources, no problems\n".utf8))
        }
    }
}
