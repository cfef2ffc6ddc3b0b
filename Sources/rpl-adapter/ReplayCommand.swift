import ArgumentParser
import ExitStatus
import FHIR
import RPLAdapter

#if canImport(Glibc)
import Glibc
#endif

/// `rpl-adapter replay`: the interface tester's workflow over stored scenarios.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run stored scenarios and compare their output with the expected output.",
        discussion: """
            Each scenario folder holds input.json or input.xml, parameters.json (asOf) and \
            expected.json; see Fixtures/README.md. Exit 0 when all pass, 1 when any fails, 65 when \
            a scenario itself is broken, 66 when nothing was run (no such folder, no scenario, \
            a filter that matches none), 74 when the report cannot be written.

            Example:
              rpl-adapter replay --filter two-losses Fixtures
            """
    )

    @Argument(help: "Scenario folders, or folders of them (default: Fixtures).")
    var folders: [String] = []

    @Flag(name: .long, help: "Rewrite the expectations of failing scenarios and print what changed.")
    var update = false

    @Option(name: .long, help: "Write a JUnit XML report to this file.")
    var junit: String?

    @Option(name: .long, help: "Run only scenarios whose name contains this text.")
    var filter: String?

    @Option(name: .long, help: "Profiles folder to use instead of the built-in copy.")
    var profiles: String?

    func run() throws {
        let loaded = try Terminal.loadProfiles(profiles)
        let replay = Replay(adapter: Adapter(profiles: loaded))
        let scenarios: [Replay.Scenario]
        do {
            scenarios = try Replay.discover(folders.isEmpty ? ["Fixtures"] : folders, filter: filter)
        } catch {
            Terminal.error("rpl-adapter: replay: \(error); nothing was run")
            throw ExitStatus.noInput.exitCode
        }
        let colour = isatty(1) == 1
        let red = colour ? "\u{1B}[31m" : "", green = colour ? "\u{1B}[32m" : "", yellow = colour ? "\u{1B}[33m" : "", reset = colour ? "\u{1B}[0m" : ""
        var results: [Replay.Result] = []
        var passed = 0, failed = 0, broken = 0
        var text = ""
        for scenario in scenarios {
            let result = replay.run(scenario)
            results.append(result)
            switch result.verdict {
            case .passed:
                passed += 1
            case .failed(let diffs):
                if update && replay.update(result) {
                    text += "\(yellow)updated\(reset) \(scenario.name)\n"
                    for d in diffs { text += indent(d.description) }
                    passed += 1
                } else {
                    failed += 1
                    text += "\(red)✘ \(scenario.name)\(reset)\n"
                    for d in diffs { text += indent(d.description) }
                }
            case .broken(let why):
                if update, case .broken = result.verdict, why.hasPrefix("no expected"), replay.update(result) {
                    text += "\(yellow)written\(reset) \(scenario.name)/expected.json\n"
                    passed += 1
                    continue
                }
                broken += 1
                text += "\(red)broken\(reset) \(scenario.name): \(why)\n"
            }
        }
        if let junit, !writeFile(junit, Array(Replay.junit(results).utf8)) {
            Terminal.error("rpl-adapter: cannot write \(junit)")
            throw ExitStatus.ioError.exitCode
        }
        let summary = "\(passed) passed, \(failed + broken) failed" + (broken > 0 ? " (\(broken) broken)" : "")
        text += (failed + broken == 0 ? green : red) + summary + reset + "\n"
        Terminal.output(Array(text.utf8))
        if broken > 0 { throw ExitStatus.dataError.exitCode }
        if failed > 0 { throw ExitStatus.mismatch.exitCode }
    }

    func indent(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }
}
