import Foundation

/// What a receiver's answer means for a message (interface.md v2, "Acknowledgements" and "Retries").
public enum Answer: Sendable, Equatable {
    /// Acknowledged: FHIR, a transaction-response whose entries are all 2xx; MLLP, AA or CA (or an
    /// AE saying the order is a duplicate).
    case delivered(String)
    /// Worth trying again (timeouts, connection errors, 408/429/502/503/504, AR, CE), after
    /// `retryAfter` seconds where the receiver said so.
    case retry(String, retryAfter: Double?)
    /// The receiver refused the content: kept as dead with its answer, never retried.
    case dead(String)
}

/// A receiving system.
public protocol Sender: Sendable {
    func send(_ message: Outbox.Message) async -> Answer
    func shutdown() async
}

/// How hard to try (`--max-attempts`, `--max-wait`).
public struct RetryPolicy: Sendable {
    public var maxAttempts = 8
    /// The longest wait between two attempts, in seconds.
    public var maxWait = 300.0
    /// The first backoff, in seconds; it doubles each attempt (full jitter).
    public var base = 0.5

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

/// Sends the outbox's pending messages in order, recording every state change before going on.
public struct Deliverer: Sendable {
    public let sender: any Sender
    /// The kind of message this receiver takes (`fhir`, `hl7v2`); others wait for theirs.
    public let kind: String
    public let policy: RetryPolicy
    /// One line per state change (standard error).
    public let log: @Sendable (String) -> Void

    public init(sender: any Sender, kind: String, policy: RetryPolicy, log: @escaping @Sendable (String) -> Void) {
        self.sender = sender
        self.kind = kind
        self.policy = policy
        self.log = log
    }

    public func run(_ outbox: Outbox) async throws {
        for var message in try outbox.pending() where message.kind == kind {
            if Stop.requested { break }
            while true {
                message.attempts += 1
                let answer = await sender.send(message)
                switch answer {
                case .delivered(let text):
                    try outbox.record(message.id, state: .delivered, attempts: message.attempts, answer: text)
                    log("delivered \(message.name) (attempt \(message.attempts)): \(text)")
                case .dead(let text):
                    try outbox.record(message.id, state: .dead, attempts: message.attempts, answer: text)
                    log("dead \(message.name) (attempt \(message.attempts)): \(text)")
                case .retry(let text, let retryAfter):
                    try outbox.record(message.id, state: .pending, attempts: message.attempts, answer: text)
                    if message.attempts >= policy.maxAttempts {
                        log("pending \(message.name): \(message.attempts) attempts, the last: \(text); left for a later deliver")
                        break
                    }
                    let wait = policy.delay(afterAttempt: message.attempts, retryAfter: retryAfter)
                    log("retry \(message.name) in \(String(format: "%.1f", wait)) s (attempt \(message.attempts)): \(text)")
                    if await sleep(wait) { continue }
                    log("pending \(message.name): stopped while waiting")
                }
                break
            }
            if Stop.requested { break }
        }
        await sender.shutdown()
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
