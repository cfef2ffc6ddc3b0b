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
        try Sibling.exec("rpl-deliver", arguments, as: "deliver")
    }
}

/// `rpl-adapter serve …` runs `rpl-serve` (beside this program) with the same arguments: the
/// HTTP service (Hummingbird, JWT, metrics) lives in its own binary, as delivery does.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The card as a decision-support service: FHIR $apply and CDS Hooks (see `rpl-adapter serve --help`).",
        discussion: """
            Runs rpl-serve (beside this program) with the same arguments; exit 69 when it or the
            mimalloc library it needs (libmimalloc2.0) is missing.

            Example:
              rpl-adapter serve --port 8080
              curl -s http://127.0.0.1:8080/cds-services
            """,
        shouldDisplay: true
    )

    @Argument(parsing: .captureForPassthrough, help: "The arguments of rpl-serve (--host, --port, --profiles, --auth, --allow-origin, --body-limit).")
    var arguments: [String] = []

    func run() throws {
        // rpl-serve allocates with mimalloc, a shared library of its own (Debian: libmimalloc2.0):
        // without it the loader refuses rpl-serve with 127 and a line of its own. Said here, as a
        // missing rpl-serve is, with 69 (found by helper-41's review).
        #if os(Linux)
        guard let mimalloc = dlopen("libmimalloc.so.2", RTLD_LAZY | RTLD_LOCAL) else {
            Terminal.error("rpl-adapter: serve: rpl-serve needs mimalloc (libmimalloc.so.2; Debian and Ubuntu: libmimalloc2.0): \(dlerror().map { String(cString: $0) } ?? "not found")")
            throw ExitStatus.unavailable.exitCode
        }
        dlclose(mimalloc)
        #endif
        try Sibling.exec("rpl-serve", arguments, as: "serve")
    }
}

/// The programs installed beside this one.
enum Sibling {
    /// Replaces this process with `program` (beside this binary); returns only when it cannot start.
    static func exec(_ program: String, _ arguments: [String], as command: String) throws {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let dir = me.contains("/") ? String(me[..<me.lastIndex(of: "/")!]) : "."
        let path = dir + "/" + program
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        // Only reached when it could not be started.
        Terminal.error("rpl-adapter: \(command): cannot run \(path): \(String(cString: strerror(errno)))")
        throw ExitStatus.unavailable.exitCode
    }
}
