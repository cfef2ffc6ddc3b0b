import ArgumentParser
import ExitStatus

#if canImport(Glibc)
import Glibc
#endif

/// `rpl-adapter deliver …` runs `rpl-deliver` (installed beside this program) with the same
/// arguments: the delivery code (SQLite, HTTP, SwiftNIO) lives in its own binary, so `apply`'s
/// start-up does not pay for linking it.
struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Send what apply wrote to the receiving system through a durable outbox (see `rpl-adapter deliver --help`).",
        discussion: """
            Runs rpl-deliver (beside this program) with the same arguments; exit 69 when it is missing.

            Example:
              rpl-adapter apply --input-format ndjson in.ndjson | rpl-adapter deliver --fhir https://lab.example/fhir
            """,
        shouldDisplay: true
    )

    @Argument(parsing: .captureForPassthrough, help: "The arguments of rpl-deliver (--fhir URL | --mllp HOST:PORT, --outbox, --resume, --status, …).")
    var arguments: [String] = []

    func run() throws {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = me.contains("/") ? String(me[..<me.lastIndex(of: "/")!]) : "."
        let program = dir + "/rpl-deliver"
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        execv(program, argv)
        // Only reached when it could not be started.
        Terminal.error("rpl-adapter: deliver: cannot run \(program): \(String(cString: strerror(errno)))")
        throw ExitStatus.unavailable.exitCode
    }
}
