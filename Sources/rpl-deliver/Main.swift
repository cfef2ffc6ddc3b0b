import ArgumentParser
import ExitStatus
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RPLDeliver

/// `rpl-adapter deliver` (it runs this program): what `apply` wrote, to the receiving system,
/// through a durable outbox (interface.md v2, v3).
@main
struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpl-adapter deliver",
        abstract: "Send what apply wrote to the receiving system, reliably.",
        discussion: """
            Every message is first stored and synced in the outbox (a SQLite database), keyed by \
            its destination and content, then sent, and marked delivered only on the receiver's \
            acknowledgement. Pending messages of earlier runs for the same destination go first.

            Examples:
              rpl-adapter apply --input-format ndjson in.ndjson | rpl-adapter deliver --fhir https://lab.example/fhir
              rpl-adapter apply --output-format hl7v2 in.json | rpl-adapter deliver --mllp lab.example:2575
              rpl-adapter deliver --status --json
              rpl-adapter deliver --requeue-dead --destination https://lab.example/fhir
              rpl-adapter deliver --fhir https://lab.example/fhir --resume

            Exit: 0 all delivered; 64 bad command line (a --header value with a control \
            character among it); 65 input that is not what apply writes, or some dead (refused by \
            the receiver; the answer is kept); 66 --status, --resume or --requeue-dead with no \
            outbox at the path; 69 rpl-deliver missing (from rpl-adapter); 74 the outbox unusable \
            (a missing folder, a folder, a device, not a database, held by another deliver); 75 \
            some pending (the receiver down, --max-time, SIGTERM, --max-attempts). When several \
            hold: 64 > 74 > 66 > 65 > 75 > 0.
            """
    )

    @Option(name: .long, help: "The FHIR base URL: each transaction Bundle is POSTed to it.")
    var fhir: String?

    @Option(name: .long, help: "HOST:PORT of an MLLP (HL7 v2) listener.")
    var mllp: String?

    @Option(name: .long, help: "The outbox database, in the working directory unless a path is given.")
    var outbox = "rpl-outbox.sqlite"

    @Flag(name: .long, help: "Send what is pending for this destination; read no input.")
    var resume = false

    @Flag(name: .long, help: "Print the pending, delivered and dead counts (in all, and per destination), and exit. Works while a deliver runs.")
    var status = false

    @Flag(name: .long, help: "With --status: as JSON.")
    var json = false

    @Flag(name: .long, help: "Move dead messages back to pending (each one logged); sends nothing: run deliver --resume after.")
    var requeueDead = false

    @Option(name: .long, help: "With --requeue-dead: only the messages for this destination (a FHIR base URL, or HOST:PORT of MLLP); it never re-targets them.")
    var destination: String?

    @Option(name: .long, help: "With --requeue-dead: dead messages taken in longer ago than this many days need --force (orders go stale).")
    var maxAge = 14.0

    @Flag(name: .long, help: "With --requeue-dead: requeue dead messages older than --max-age too.")
    var force = false

    @Option(name: .long, help: "Attempts per message in one run before it is left pending.")
    var maxAttempts = 8

    @Option(name: .long, help: "The longest wait between two attempts, in seconds; a Retry-After beyond it leaves the message pending.")
    var maxWait = 300.0

    @Option(name: .long, help: "Failures in a row (no answer, refused, retried answers) that stop the destination, everything left pending.")
    var maxConsecutiveFailures = 5

    @Option(name: .long, help: "The longest a whole run may take, in seconds; then it stops, the rest pending (exit 75).")
    var maxTime: Double?

    @Option(name: .long, help: "Seconds to wait for a whole answer (connecting at most 10).")
    var timeout = 30.0

    @Option(name: .long, help: "NAME:VALUE, an HTTP header for every request (e.g. Authorization: Bearer …); never stored, logged or echoed.")
    var header: [String] = []

    @Flag(name: .long, help: "Do not wait for the outbox's writes to reach the disk (for measuring only: a machine crash may lose messages).")
    var noSync = false

    @Argument(help: "What apply wrote (JSON, ndjson, XML, HL7 v2), or - for standard input.")
    var file = "-"

    func validate() throws {
        for h in header {
            if case .failure(let e) = HeaderCheck.parse(h) { throw ValidationError(e.message) }
        }
        if status || requeueDead {
            guard fhir == nil, mllp == nil, !resume, file == "-" else {
                throw ValidationError("--status and --requeue-dead take no receiver and no input (--requeue-dead selects with --destination)")
            }
            guard !(status && requeueDead) else { throw ValidationError("--status or --requeue-dead, not both") }
            if requeueDead, let destination, Self.destination(destination) == nil {
                throw ValidationError("--destination must be an http(s) base URL, HOST:PORT or mllp://HOST:PORT")
            }
            guard maxAge >= 0 else { throw ValidationError("--max-age ≥ 0") }
            return
        }
        guard destination == nil, !force else { throw ValidationError("--destination and --force go with --requeue-dead") }
        guard (fhir == nil) != (mllp == nil) else { throw ValidationError("give one receiver: --fhir BASE_URL or --mllp HOST:PORT") }
        if let mllp, Self.hostPort(mllp) == nil { throw ValidationError("--mllp must be HOST:PORT") }
        if let fhir, !(fhir.hasPrefix("http://") || fhir.hasPrefix("https://")) { throw ValidationError("--fhir must be an http or https URL") }
        // Credentials in the URL would be in every log line and the outbox (the URL names the
        // destination): refused, without echoing them; a token goes in --header.
        if let fhir, let authority = fhir.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first, authority.contains("@") {
            throw ValidationError("--fhir must not carry credentials (user:password@): give them as --header 'Authorization: …'")
        }
        if resume && file != "-" { throw ValidationError("--resume reads no input") }
        guard maxAttempts >= 1, maxWait >= 0, timeout > 0, maxConsecutiveFailures >= 1, (maxTime ?? 1) > 0 else {
            throw ValidationError("--max-attempts ≥ 1, --max-wait ≥ 0, --timeout > 0, --max-consecutive-failures ≥ 1, --max-time > 0")
        }
    }

    static func hostPort(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port), colon > s.startIndex else { return nil }
        return (String(s[..<colon]), port)
    }

    /// The outbox's name of a destination: a FHIR base URL without its trailing slash, or
    /// `mllp://HOST:PORT`.
    static func destination(_ s: String) -> String? {
        if s.hasPrefix("http://") || s.hasPrefix("https://") { return FHIRSender.normalise(s) }
        let hp = s.hasPrefix("mllp://") ? String(s.dropFirst(7)) : s
        return hostPort(hp).map { MLLPSender.destination(host: $0.0, port: $0.1) }
    }

    /// One line on standard error. A closed or full standard error loses the line, never the run
    /// (FileHandle.write traps on a write error: an integration engine may close it).
    static func log(_ line: String) {
        // One line, printable: a receiver's answer may hold control or binary bytes (the new
        // user's trial saw NUL and 0xFF copied into the log); they are shown escaped.
        var text = ""
        for scalar in line.unicodeScalars {
            if scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                text += "\\x" + String(scalar.value, radix: 16, uppercase: true).leftPadded(2)
            } else if scalar == "\u{FFFD}" {
                text += "\\uFFFD"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        let bytes = Array(("rpl-adapter deliver: " + text + "\n").utf8)
        bytes.withUnsafeBytes { b in
            var offset = 0
            while offset < b.count {
                let n = Glibc.write(2, b.baseAddress! + offset, b.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// The outbox at `outbox`, or the exit code: 74 unusable, 66 missing (`mustExist`).
    func open(mustExist: Bool, reading: Bool = false) throws -> Outbox {
        if let problem = Outbox.check(path: outbox, mustExist: mustExist) {
            Self.log(problem.description)
            if case .missing = problem { throw ExitStatus.noInput.exitCode }
            throw ExitStatus.ioError.exitCode
        }
        do {
            let box = reading ? try Outbox(readingAt: outbox) : try Outbox(path: outbox, sync: !noSync)
            guard try box.isOutbox() else {
                Self.log("\(outbox) is a SQLite database but not an outbox")
                throw ExitStatus.noInput.exitCode
            }
            return box
        } catch let e as ExitCode {
            throw e
        } catch let busy as Outbox.Busy {
            Self.log("\(busy)")
            throw ExitStatus.ioError.exitCode
        } catch {
            Self.log("the outbox \(outbox) cannot be used: \(error)")
            throw ExitStatus.ioError.exitCode
        }
    }

    func run() async throws {
        Stop.install()
        if status { return try printStatus() }
        if requeueDead { return try requeue() }
        let started = Date()
        let box = try open(mustExist: resume)
        let kind = fhir != nil ? "fhir" : "hl7v2"
        let target: String
        if let fhir {
            target = FHIRSender.normalise(fhir)
        } else {
            let (host, port) = Self.hostPort(mllp!)!
            target = MLLPSender.destination(host: host, port: port)
        }
        var badInput = false
        if !resume {
            let bytes: [UInt8]
            do {
                bytes = file == "-" ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                Self.log("cannot read \(file): \(error.localizedDescription)")
                throw ExitStatus.ioError.exitCode
            }
            let intake = Intake.read(bytes)
            if let refused = intake.refused {
                Self.log("input refused, nothing taken in or sent: \(refused)")
                throw ExitStatus.dataError.exitCode
            }
            let wrong = intake.items.filter { $0.kind != kind }
            for p in intake.problems { Self.log("input: \(p); not taken in") }
            if !wrong.isEmpty { Self.log("input: \(wrong.count) \(wrong[0].kind) messages cannot go to this receiver; not taken in") }
            badInput = !intake.problems.isEmpty || !wrong.isEmpty
            let added = try usable { try box.add(intake.items.filter { $0.kind == kind }.map { ($0.kind, $0.name, $0.body) }, destination: target) }
            Self.log("taken in \(added) new of \(intake.items.count - wrong.count) messages for \(target); not sent: \(intake.operationOutcomes) OperationOutcomes, \(intake.notIndicated) empty (not indicated) Bundles")
        }
        let claimed = try usable { try box.claimUndirected(kind: kind, destination: target) }
        if claimed > 0 { Self.log("\(claimed) pending \(kind) messages of an outbox without destinations: sent to \(target)") }
        let headers = header.compactMap { try? HeaderCheck.parse($0).get() }
        let sender: any Sender
        if fhir != nil {
            sender = FHIRSender(base: target, headers: headers.map { ($0.name, $0.value) }, timeout: timeout)
        } else {
            let (host, port) = Self.hostPort(mllp!)!
            sender = MLLPSender(host: host, port: port)
        }
        var policy = RetryPolicy()
        policy.maxAttempts = maxAttempts
        policy.maxWait = maxWait
        policy.maxConsecutiveFailures = maxConsecutiveFailures
        policy.timeout = timeout
        var deliverer = Deliverer(sender: sender, destination: target, policy: policy, log: Self.log)
        deliverer.secrets = headers.map(\.value)
        deliverer.deadline = maxTime.map { started.addingTimeInterval($0) }
        deliverer.testKill = TestKill.fromEnvironment()
        let outcome: Deliverer.Outcome
        do {
            outcome = try await deliverer.run(box)
        } catch {
            Self.log("the outbox \(outbox) cannot be written: \(error); what was not recorded is sent again next time")
            throw ExitStatus.ioError.exitCode
        }
        let c = try usable { try box.counts(destination: target) }
        Self.log("\(target): pending \(c.pending), delivered \(c.delivered), dead \(c.dead)")
        if c.dead > 0 || badInput { throw ExitStatus.dataError.exitCode }
        if c.pending > 0 || outcome != .done { throw ExitStatus.tempFail.exitCode }
    }

    /// An outbox operation; a failure (a full disk, a removed file) is exit 74.
    func usable<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            Self.log("the outbox \(outbox) cannot be used: \(error)")
            throw ExitStatus.ioError.exitCode
        }
    }

    func printStatus() throws {
        let box = try open(mustExist: true, reading: true)
        let by: [(String, Outbox.Counts)]
        do {
            by = try box.countsByDestination()
        } catch {
            Self.log("the outbox \(outbox) cannot be read: \(error)")
            throw ExitStatus.ioError.exitCode
        }
        var total = Outbox.Counts()
        for (_, c) in by {
            total.pending += c.pending
            total.delivered += c.delivered
            total.dead += c.dead
        }
        func object(_ c: Outbox.Counts) -> [String: Int] { ["pending": c.pending, "delivered": c.delivered, "dead": c.dead] }
        let text: String
        if json {
            var all: [String: Any] = object(total)
            all["destinations"] = Dictionary(uniqueKeysWithValues: by.map { ($0.0.isEmpty ? "(none)" : $0.0, object($0.1)) })
            let data = try JSONSerialization.data(withJSONObject: all, options: [.sortedKeys, .withoutEscapingSlashes])
            text = String(decoding: data, as: UTF8.self) + "\n"
        } else {
            func line(_ c: Outbox.Counts) -> String { "pending \(c.pending), delivered \(c.delivered), dead \(c.dead)" }
            text = "total: " + line(total) + "\n" + by.map { "\($0.0.isEmpty ? "(none)" : $0.0): \(line($0.1))\n" }.joined()
        }
        // A closed standard output is a write error (exit 74), not a trap.
        signal(SIGPIPE, SIG_IGN)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { b in Glibc.write(1, b.baseAddress!, b.count) }
        if written != bytes.count { throw ExitStatus.ioError.exitCode }
    }

    func requeue() throws {
        let box = try open(mustExist: true)
        let selected = destination.flatMap(Self.destination)
        let now = Date()
        var requeued = 0, left = 0
        for d in try usable({ try box.dead(destination: selected) }) {
            let days = now.timeIntervalSince(d.created) / 86400
            let first = d.answer.prefix { $0 != "\n" }
            if days > maxAge && !force {
                Self.log("not requeued \(d.message.name) for \(d.message.destination): taken in \(String(format: "%.1f", days)) days ago, older than --max-age \(maxAge) days (--force to requeue)")
                left += 1
                continue
            }
            try usable { try box.requeue(d.message.id) }
            requeued += 1
            Self.log("requeued \(d.message.name) for \(d.message.destination) (dead after \(d.message.attempts) attempts: \(first))")
        }
        Self.log("requeued \(requeued) dead messages\(left > 0 ? ", \(left) left dead" : ""); deliver --resume sends them")
        if left > 0 { throw ExitStatus.dataError.exitCode }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
