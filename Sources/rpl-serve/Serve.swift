import ArgumentParser
#if canImport(CMimalloc)
import CMimalloc
#endif
import ExitStatus
import Foundation
import Logging
import RPLAdapter
import RPLGuideline
import RPLService
import Synchronization

/// `rpl-adapter serve` (interface.md v3): the adapter as an HTTP service. Its own binary, so that
/// `apply`'s start-up links none of the server.
@main
struct RPLServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpl-serve",
        abstract: "The card as a decision-support service: FHIR PlanDefinition/$apply and $rpl-transaction, CDS Hooks (patient-view, order-sign, order-select).",
        discussion: """
            Exit statuses: 0 stopped by SIGTERM or SIGINT (requests in flight finished), 64 usage,
            69 the address cannot be listened on (the port taken), 74 a Profiles folder or auth file that cannot be read, 78 a wrong configuration (Profiles,
            the auth file, a non-loopback --host without --auth).
            """
    )

    @Option(help: "The address to listen on. Any other than loopback needs --auth.")
    var host = "127.0.0.1"

    @Option(help: "The port (0: any free port, said on standard error).")
    var port = 8080

    @Option(help: "A site's Profiles folder (default: the built-in Profiles).")
    var profiles: String?

    @Option(help: "The auth file: the public base URL and the CDS clients trusted (issuer, JWKS or JWKS URL, FHIR servers).")
    var auth: String?

    @Option(name: .customLong("allow-origin"), help: "An origin a browser may call from (CORS); repeat for several.")
    var allowOrigin: [String] = []

    @Option(name: .customLong("body-limit"), help: "The largest request body, in bytes.")
    var bodyLimit = 16 << 20

    @Option(name: .customLong("request-timeout"), help: "Seconds a request's whole body may take to arrive (else 408).")
    var requestTimeout = 30

    @Option(name: .customLong("fetch-deadline"), help: "Seconds within which missing prefetch and the partner's records must be read from fhirServer (else 412, or his records not checked).")
    var fetchDeadline = 2

    @Option(name: .customLong("as-of"), help: "Evaluate every request as of this date (YYYY-MM-DD), for replaying recorded requests; default: as apply (a Bundle's timestamp, else today).")
    var asOf: String?

    @Option(help: "The language of the plans' and cards' texts, nl or en (default: the site setting language, Dutch unless the site says otherwise).")
    var language: String?

    func validate() throws {
        if let language, Wording.Language(rawValue: language) == nil { throw ValidationError("--language must be nl or en, got \(language)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard bodyLimit > 0 else { throw ValidationError("--body-limit must be positive") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
        guard (1...600).contains(fetchDeadline) else { throw ValidationError("--fetch-deadline must be 1...600 seconds") }
        if let asOf, CalendarDate(fhir: asOf) == nil || asOf.count != 10 { throw ValidationError("--as-of must be a date YYYY-MM-DD, got \(asOf)") }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "rpl-serve")
        guard Self.isLoopback(host) || auth != nil else {
            FileHandle.standardError.write(Data("rpl-serve: refusing to listen on \(host) without --auth (CDS Hooks JWT): only loopback may go without\n".utf8))
            throw ExitStatus.configuration.exitCode
        }
        let loaded: Profiles
        do {
            loaded = try profiles.map { try Profiles.load(directory: $0) } ?? Profiles.builtIn()
        } catch let error as Profiles.LoadError {
            for problem in error.problems { FileHandle.standardError.write(Data("rpl-serve: Profiles \(profiles ?? ""): \(problem)\n".utf8)) }
            throw (error.unreadable ? ExitStatus.ioError : .configuration).exitCode
        }
        var options = ServeOptions()
        options.host = host
        options.port = port
        options.allowedOrigins = allowOrigin
        options.bodyLimit = bodyLimit
        options.requestTimeout = .seconds(requestTimeout)
        if let auth {
            do {
                options.trust = try await Trust(AuthFile.read(auth))
            } catch {
                FileHandle.standardError.write(Data("rpl-serve: \(error)\n".utf8))
                throw ExitStatus.configuration.exitCode
            }
        }
        let engine = Engine(adapter: Adapter(profiles: loaded, language: language.flatMap(Wording.Language.init(rawValue:))), metrics: ServiceMetrics(), logger: logger, trusting: options.trust != nil,
                            asOf: asOf.flatMap(CalendarDate.init(fhir:)), fetchDeadline: .seconds(Int64(fetchDeadline)))
        let host = self.host, port = self.port
        let listening = Listening()
        let app = Server.application(engine: engine, options: options) { port in
            listening.started()
            FileHandle.standardError.write(Data("rpl-serve: listening on http://\(host):\(port) (\(Allocator.name))\n".utf8))
        }
        do {
            try await app.runService()
        } catch where !listening.hasStarted {
            // A port taken or an address not this machine's: a documented status, not 1 (found by
            // helper-39's trial).
            FileHandle.standardError.write(Data("rpl-serve: cannot listen on \(host):\(port): \(error)\n".utf8))
            throw ExitStatus.unavailable.exitCode
        }
    }
}

/// Whether the server got as far as listening (an error before that is the address's).
final class Listening: Sendable {
    private let state = Mutex(false)
    func started() { state.withLock { $0 = true } }
    var hasStarted: Bool { state.withLock { $0 } }
}

/// The allocator serving this process, by the library whose `malloc` the program's calls reach:
/// mimalloc's when it is linked ahead of the C library, as Package.swift asks on Linux (issue 20:
/// a tenth of a request's CPU went to glibc's malloc and free under the service's threads). Said
/// at start-up, so a build that lost it, or a library put in front of it, is seen, not only slower.
enum Allocator {
    static var name: String {
        #if canImport(CMimalloc)
        guard let program = dlopen(nil, RTLD_NOW), let malloc = dlsym(program, "malloc") else { return "allocator: unknown" }
        // The mapped file that holds it (glibc's Swift module has no dladdr).
        let address = UInt(bitPattern: malloc)
        let maps = FileHandle(forReadingAtPath: "/proc/self/maps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        var library = "unknown"
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields.first?.split(separator: "-") ?? []
            guard fields.count >= 6, range.count == 2, let low = UInt(range[0], radix: 16), let high = UInt(range[1], radix: 16),
                  low <= address, address < high else { continue }
            library = fields[5].split(separator: "/").last.map(String.init) ?? String(fields[5])
            break
        }
        guard library.hasPrefix("libmimalloc") else { return "allocator: \(library)'s malloc, not mimalloc" }
        let v = Int(mi_version())
        return "allocator: mimalloc \(v / 100).\(v / 10 % 10).\(v % 10) (\(library))"
        #else
        return "allocator: the system's"
        #endif
    }
}
