import ArgumentParser
import Foundation
import RPLDeliver

/// `rpl-adapter deliver` (it runs this program): what `apply` wrote, to the receiving system,
/// through a durable outbox (interface.md v2).
@main
struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpl-adapter deliver",
        abstract: "Send what apply wrote to the receiving system, reliably.",
        discussion: """
            Every message is first stored and synced in the outbox (a SQLite database), then sent, \
            and marked delivered only on the receiver's acknowledgement. Pending messages of earlier \
            runs go first. Exit 0 all delivered, 75 some pending (run again, or --resume), 65 some \
            dead (refused by the receiver; the answer is kept), 74 the outbox cannot be opened.
            """
    )

    @Option(name: .long, help: "The FHIR base URL: each transaction Bundle is POSTed to it.")
    var fhir: String?

    @Option(name: .long, help: "HOST:PORT of an MLLP (HL7 v2) listener.")
    var mllp: String?

    @Option(name: .long, help: "The outbox database (default rpl-outbox.sqlite in the working directory).")
    var outbox = "rpl-outbox.sqlite"

    @Flag(name: .long, help: "Send what is pending; read no input.")
    var resume = false

    @Flag(name: .long, help: "Print the pending, delivered and dead counts, and exit.")
    var status = false

    @Flag(name: .long, help: "With --status: as JSON.")
    var json = false

    @Option(name: .long, help: "Attempts per message in one run before it is left pending (default 8).")
    var maxAttempts = 8

    @Option(name: .long, help: "The longest wait between two attempts, in seconds (default 300).")
    var maxWait = 300.0

    @Option(name: .long, help: "Seconds to wait for an answer (default 30).")
    var timeout = 30.0

    @Option(name: .long, help: "NAME:VALUE, an HTTP header for every request (e.g. Authorization: Bearer …); never stored or logged.")
    var header: [String] = []

    @Flag(name: .long, help: "Do not wait for the outbox's writes to reach the disk (for measuring only: a machine crash may lose messages).")
    var noSync = false

    @Argument(help: "What apply wrote, or - for standard input (the default).")
    var file = "-"

    func validate() throws {
        if status { return }
        guard (fhir == nil) != (mllp == nil) else { throw ValidationError("give one receiver: --fhir BASE_URL or --mllp HOST:PORT") }
        if let mllp, Self.hostPort(mllp) == nil { throw ValidationError("--mllp must be HOST:PORT") }
        if let fhir, !(fhir.hasPrefix("http://") || fhir.hasPrefix("https://")) { throw ValidationError("--fhir must be an http or https URL") }
        guard maxAttempts >= 1, maxWait >= 0, timeout > 0 else { throw ValidationError("--max-attempts ≥ 1, --max-wait ≥ 0, --timeout > 0") }
        for h in header where Self.header(h) == nil { throw ValidationError("--header must be NAME:VALUE") }
    }

    static func hostPort(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port), colon > s.startIndex else { return nil }
        return (String(s[..<colon]), port)
    }

    static func header(_ s: String) -> (String, String)? {
        guard let colon = s.firstIndex(of: ":"), colon > s.startIndex else { return nil }
        return (String(s[..<colon]).trimmingCharacters(in: .whitespaces), String(s[s.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }

    static func log(_ line: String) {
        FileHandle.standardError.write(Data(("rpl-adapter deliver: " + line + "\n").utf8))
    }

    func run() async throws {
        Stop.install()
        let box: Outbox
        do {
            box = try Outbox(path: outbox, sync: !noSync)
        } catch {
            Self.log("cannot open the outbox \(outbox): \(error)")
            throw ExitCode(74)
        }
        if status {
            let c = try box.counts()
            let text = json ? "{\"pending\":\(c.pending),\"delivered\":\(c.delivered),\"dead\":\(c.dead)}\n"
                : "pending \(c.pending), delivered \(c.delivered), dead \(c.dead)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        var badInput = false
        if !resume {
            let bytes: [UInt8]
            do {
                bytes = file == "-" ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                Self.log("cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(74)
            }
            let intake = Intake.read(bytes)
            let kind = fhir != nil ? "fhir" : "hl7v2"
            let wrong = intake.items.filter { $0.kind != kind }
            for p in intake.problems { Self.log("input: \(p); not taken in") }
            if !wrong.isEmpty { Self.log("input: \(wrong.count) \(wrong[0].kind) messages cannot go to this receiver; not taken in") }
            badInput = !intake.problems.isEmpty || !wrong.isEmpty
            let added = try box.add(intake.items.filter { $0.kind == kind }.map { ($0.kind, $0.name, $0.body) })
            Self.log("taken in \(added) new of \(intake.items.count - wrong.count) messages; not sent: \(intake.operationOutcomes) OperationOutcomes, \(intake.notIndicated) empty (not indicated) Bundles")
        }
        let sender: any Sender
        if let fhir {
            sender = FHIRSender(base: fhir, headers: header.compactMap(Self.header), timeout: timeout)
        } else {
            let (host, port) = Self.hostPort(mllp!)!
            sender = MLLPSender(host: host, port: port, timeout: timeout)
        }
        var policy = RetryPolicy()
        policy.maxAttempts = maxAttempts
        policy.maxWait = maxWait
        try await Deliverer(sender: sender, kind: fhir != nil ? "fhir" : "hl7v2", policy: policy, log: Self.log).run(box)
        let c = try box.counts()
        Self.log("pending \(c.pending), delivered \(c.delivered), dead \(c.dead)")
        if c.dead > 0 || badInput { throw ExitCode(65) }
        if c.pending > 0 { throw ExitCode(75) }
    }
}
