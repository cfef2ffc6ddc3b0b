import Foundation

/// What a receiver's answer means for a message (interface.md v2 and v3, "Acknowledgements" and
/// "Retries"). The text is a one-line summary, optionally followed by a newline and the receiver's
/// answer itself (kept in the outbox; the log shows the first line).
public enum Answer: Sendable, Equatable {
    /// Acknowledged: FHIR, a transaction-response (batch-response) with one 2xx entry per entry
    /// sent; MLLP, AA or CA (or an AE/AR that the order is already there, v3 rules).
    case delivered(String)
    /// Worth trying again (timeouts, connection errors, 408/429/500/502/503/504, AR, CE), after
    /// `retryAfter` seconds where the receiver said so.
    case retry(String, retryAfter: Double?)
    /// The receiver refused the content: kept as dead with its answer, never retried.
    case dead(String)

    public var text: String {
        switch self {
        case .delivered(let t), .retry(let t, _), .dead(let t): return t
        }
    }

    /// The summary line.
    public var summary: String { String(text.prefix { $0 != "\n" && $0 != "\r" }) }
}

/// A receiving system.
public protocol Sender: Sendable {
    /// Sends one message and waits at most `timeout` seconds for its answer.
    func send(_ message: Outbox.Message, timeout: Double) async -> Answer
    func shutdown() async
}

/// How hard to try (`--max-attempts`, `--max-wait`, `--max-consecutive-failures`, `--max-time`).
public struct RetryPolicy: Sendable {
    /// Attempts per message in one run.
    public var maxAttempts = 8
    /// The longest wait between two attempts, in seconds; a receiver asking (Retry-After) for more
    /// leaves the message pending.
    public var maxWait = 300.0
    /// The first backoff, in seconds; it doubles each attempt (full jitter). 0.25: the default five
    /// failures in a row (a receiver that is down) stop a run after at most 3.75 s of waiting.
    public var base = 0.25
    /// Failures in a row (retried answers) to the destination that stop it, everything left pending.
    public var maxConsecutiveFailures = 5
    /// The answer timeout of one attempt, in seconds.
    public var timeout = 30.0

    public init() {}

    /// Exponential backoff with full jitter, or the receiver's `Retry-After`, at most `maxWait`.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxWait) }
        let ceiling = min(maxWait, base * pow(2, Double(max(attempt - 1, 0))))
        return Double.random(in: 0...ceiling)
    }
}

/// `SIGTERM` / `SIGINT`: finish the message in flight, leave the rest pending.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

public enum Stop {
    public static func install() {
        signal(SIGTERM) { _ in stopRequested = 1 }
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
    }

    public static var requested: Bool { stopRequested != 0 }
}

/// For crash tests only (`RPL_DELIVER_TEST_KILL_AFTER=N`, `RPL_DELIVER_TEST_KILL_POINT=received|recorded`):
/// the process sends itself `SIGKILL` right after the Nth answer of the run is received (before it
/// is recorded) or right after it is recorded. A deterministic point, so a test asserts outcomes,
/// never how many kills a slow or fast machine managed.
public struct TestKill: Sendable {
    public enum Point: String, Sendable { case received, recorded }
    public var after: Int
    public var point: Point

    public init(after: Int, point: Point) {
        self.after = after
        self.point = point
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> TestKill? {
        guard let n = env["RPL_DELIVER_TEST_KILL_AFTER"].flatMap(Int.init), n >= 1 else { return nil }
        return TestKill(after: n, point: Point(rawValue: env["RPL_DELIVER_TEST_KILL_POINT"] ?? "") ?? .received)
    }

    func fire(_ count: Int, at point: Point) {
        if count == after && point == self.point { kill(getpid(), SIGKILL) }
    }
}

/// Sends the outbox's pending messages for one destination in order, recording every state change
/// before going on.
public struct Deliverer: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Every pending message was tried (some may be left pending after `--max-attempts`).
        case done
        /// `SIGTERM`/`SIGINT`.
        case stopped
        /// `--max-consecutive-failures` retried answers in a row: the receiver is down.
        case receiverDown
        /// `--max-time` reached.
        case timeUp
    }

    public let sender: any Sender
    public let destination: String
    public let policy: RetryPolicy
    /// One line per state change (standard error).
    public let log: @Sendable (String) -> Void
    /// Values that must never be written (header values): replaced in every answer and log line.
    public var secrets: [String] = []
    /// When the run must end (`--max-time`).
    public var deadline: Date?
    public var testKill: TestKill?

    public init(sender: any Sender, destination: String, policy: RetryPolicy, log: @escaping @Sendable (String) -> Void) {
        self.sender = sender
        self.destination = destination
        self.policy = policy
        self.log = log
    }

    public func redact(_ text: String) -> String {
        var text = text
        for s in secrets where !s.isEmpty { text = text.replacingOccurrences(of: s, with: "[header value]") }
        return text
    }

    /// Seconds left before the deadline (infinite without one).
    func left() -> Double { deadline.map { $0.timeIntervalSinceNow } ?? .infinity }

    public func run(_ outbox: Outbox) async throws -> Outcome {
        let outcome = try await deliver(outbox)
        await sender.shutdown()
        return outcome
    }

    func deliver(_ outbox: Outbox) async throws -> Outcome {
        var answers = 0
        var failuresInARow = 0
        // A batch that waits for its transaction is tried again after the others (its
        // transaction may come later in the outbox): a second pass over what waited.
        var waiting: [Outbox.Message] = []
        var queue = try outbox.pending(destination: destination)
        var secondPass = false
        while true {
            if queue.isEmpty {
                guard !secondPass, !waiting.isEmpty else { break }
                secondPass = true
                queue = waiting
                waiting = []
            }
            var message = queue.removeFirst()
            if Stop.requested { return .stopped }
            if try outbox.waitsForItsTransaction(message) {
                if secondPass { log("pending \(message.name): waits until its transaction is delivered") } else { waiting.append(message) }
                continue
            }
            var attemptsThisRun = 0
            attempts: while true {
                if left() <= 0 {
                    log("pending \(message.name): --max-time reached")
                    return .timeUp
                }
                message.attempts += 1
                attemptsThisRun += 1
                let answer = await sender.send(message, timeout: min(policy.timeout, max(left(), 0.001)))
                answers += 1
                testKill?.fire(answers, at: .received)
                let text = redact(answer.text)
                let summary = redact(answer.summary)
                switch answer {
                case .delivered:
                    try outbox.record(message.id, state: .delivered, attempts: message.attempts, answer: text)
                    testKill?.fire(answers, at: .recorded)
                    failuresInARow = 0
                    log("delivered \(message.name) (attempt \(message.attempts)): \(summary)")
                case .dead:
                    try outbox.record(message.id, state: .dead, attempts: message.attempts, answer: text)
                    testKill?.fire(answers, at: .recorded)
                    failuresInARow = 0
                    log("dead \(message.name) (attempt \(message.attempts)): \(summary)")
                case .retry(_, let retryAfter):
                    try outbox.record(message.id, state: .pending, attempts: message.attempts, answer: text)
                    testKill?.fire(answers, at: .recorded)
                    failuresInARow += 1
                    if failuresInARow >= policy.maxConsecutiveFailures {
                        log("pending \(message.name) (attempt \(message.attempts)): \(summary); \(failuresInARow) failures in a row to \(destination): stopping, the rest left pending")
                        return .receiverDown
                    }
                    if attemptsThisRun >= policy.maxAttempts {
                        log("pending \(message.name): \(attemptsThisRun) attempts in this run, the last: \(summary); left for a later deliver")
                        break attempts
                    }
                    if let retryAfter, retryAfter > policy.maxWait {
                        log("pending \(message.name): the receiver asks to wait \(Int(retryAfter)) s, beyond --max-wait \(Int(policy.maxWait)) s: \(summary); left for a later deliver")
                        break attempts
                    }
                    let wait = policy.delay(afterAttempt: attemptsThisRun, retryAfter: retryAfter)
                    if wait >= left() {
                        log("pending \(message.name): \(summary); --max-time reached before the next attempt")
                        return .timeUp
                    }
                    log("retry \(message.name) in \(String(format: "%.1f", wait)) s (attempt \(message.attempts)): \(summary)")
                    if await sleep(wait) { continue attempts }
                    log("pending \(message.name): stopped while waiting")
                    return .stopped
                }
                break attempts
            }
        }
        return Stop.requested ? .stopped : .done
    }

    /// Sleeps in short steps; false when a stop was requested meanwhile.
    func sleep(_ seconds: Double) async -> Bool {
        var left = seconds
        while left > 0 {
            if Stop.requested { return false }
            let step = min(left, 0.1)
            try? await Task.sleep(nanoseconds: UInt64(step * 1e9))
            left -= step
        }
        return !Stop.requested
    }
}

/// `--header NAME:VALUE`, checked when given (interface.md v3): a name that is an HTTP token, a
/// value without CR, LF or any other control character. The messages never show the value.
public enum HeaderCheck {
    static let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    public static func parse(_ argument: String) -> Result<(name: String, value: String), HeaderError> {
        guard let colon = argument.firstIndex(of: ":") else {
            return .failure(HeaderError(message: "--header must be NAME:VALUE (the argument is not shown)"))
        }
        let name = String(argument[..<colon]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.allSatisfy({ tokenCharacters.contains($0) }) else {
            return .failure(HeaderError(message: "--header must be NAME:VALUE with NAME an HTTP token (the argument is not shown)"))
        }
        let raw = argument[argument.index(after: colon)...]
        if raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
            return .failure(HeaderError(message: "--header \(name): its value holds a control character (CR, LF or another): refused (the value is not shown)"))
        }
        return .success((name, raw.trimmingCharacters(in: .whitespaces)))
    }

    public struct HeaderError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
