import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// FHIR delivery: each transaction (or batch) Bundle POSTed to the base URL
/// (`application/fhir+json`; an XML Bundle was converted to JSON at intake). Delivered only when
/// the answer is whole (interface.md v3): a `transaction-response` (`batch-response`) with exactly
/// one entry per entry sent, each 2xx (in a batch, a withdrawal's 412 is reported, not retried).
/// TLS through the system's trust store (async-http-client's default).
///
/// Redirects: async-http-client follows up to 5 by default, to any origin (it only drops
/// `Authorization`); here it follows none (`.disallow`). A 307/308 to the same origin (scheme,
/// host, port) is followed by hand, at most 3 times, with the same method and body; any other 3xx
/// is dead with its `Location` kept. Connection refused or reset fails at once (no connection
/// retries inside the client, `retryConnectionEstablishment = false`; a connect timeout of at
/// most 10 s) and is retried by the deliverer with backoff.
public final class FHIRSender: Sender {
    let base: String
    let headers: [(String, String)]
    let client: HTTPClient

    public init(base: String, headers: [(String, String)], timeout: Double) {
        self.base = Self.normalise(base)
        self.headers = headers
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .milliseconds(Int64(min(timeout, 10) * 1000)), read: .milliseconds(Int64(max(1, timeout) * 1000)))
        config.redirectConfiguration = .disallow
        config.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// The destination of a base URL: without a trailing slash.
    public static func normalise(_ base: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    /// Retried: 408, 429, 500, 502, 503, 504 (interface.md v2, v3); other errors (501 and 505
    /// among them) are permanent.
    static let retried: Set<UInt> = [408, 429, 500, 502, 503, 504]

    public func send(_ message: Outbox.Message, timeout: Double) async -> Answer {
        let sent = Self.sent(message.body)
        var url = base
        for _ in 0..<4 {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/fhir+json")
            request.headers.add(name: "Accept", value: "application/fhir+json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: message.body))
            do {
                // The whole exchange, body included, within the timeout: a receiver that trickles
                // its answer a byte at a time resets the read timeout forever (found by the new
                // user's trial: a 124 s run with --timeout 5 --max-time 3).
                let client = self.client, sending = request
                let exchange: (status: UInt, text: String, location: String?, retryAfter: String?) = try await withThrowingTaskGroup(of: (UInt, String, String?, String?)?.self) { group in
                    group.addTask {
                        let response = try await client.execute(sending, timeout: .milliseconds(Int64(max(timeout, 0.001) * 1000)))
                        let body = try await response.body.collect(upTo: 64 << 20)
                        return (response.status.code, String(buffer: body), response.headers.first(name: "Location"), response.headers.first(name: "Retry-After"))
                    }
                    group.addTask {
                        try await Task.sleep(nanoseconds: UInt64(max(timeout, 0.001) * 1_000_000_000))
                        return nil
                    }
                    let first = try await group.next()!
                    group.cancelAll()
                    guard let first else { throw DeadlineExceeded(seconds: timeout) }
                    return first
                }
                let text = exchange.text
                let status = exchange.status
                if (300..<400).contains(status) {
                    let location = exchange.location ?? ""
                    if [307, 308].contains(status), let next = Self.sameOrigin(location, from: url) {
                        url = next
                        continue
                    }
                    return .dead("HTTP \(status) to \(location.isEmpty ? "no Location" : location): a redirect is not followed to another origin (nor a 301/302/303)\n\(text.prefix(2000))")
                }
                return Self.judge(text, status: status, sent: sent,
                                  retryAfter: exchange.retryAfter.flatMap(Self.retryAfter))
            } catch {
                // Timeouts, refused or dropped connections: the request may or may not have arrived;
                // the identities make a resend create nothing new.
                return .retry(Self.describe(error), retryAfter: nil)
            }
        }
        return .dead("more than 3 redirects (307/308) within \(base)")
    }

    /// A connection error as an operator reads it: NIO names a refused connection "connection
    /// reset (error set): Connection refused" (helper-43's trial); the errno decides the words.
    static func describe(_ error: Error) -> String {
        let io = (error as? IOError) ?? ((error as? NIOConnectionError)?.connectionErrors.lazy.compactMap { $0.error as? IOError }.first)
        guard let io else { return "\(error)" }
        switch io.errnoCode {
        case ECONNREFUSED: return "connection refused (errno \(io.errnoCode))"
        case ECONNRESET: return "connection reset by the receiver (errno \(io.errnoCode))"
        case ETIMEDOUT: return "connection timed out (errno \(io.errnoCode))"
        case EHOSTUNREACH, ENETUNREACH: return "host or network unreachable (errno \(io.errnoCode))"
        default: return "\(error)"
        }
    }

    /// The answer did not arrive whole within the timeout.
    struct DeadlineExceeded: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "no whole answer within \(seconds) s (timeout)" }
    }

    /// The URL a redirect names, when it is of the same origin as `from`.
    static func sameOrigin(_ location: String, from: String) -> String? {
        guard let here = URL(string: from), let there = URL(string: location, relativeTo: here)?.absoluteURL else { return nil }
        func port(_ u: URL) -> Int? { u.port ?? (u.scheme == "https" ? 443 : u.scheme == "http" ? 80 : nil) }
        guard there.scheme?.lowercased() == here.scheme?.lowercased(), there.host?.lowercased() == here.host?.lowercased(),
              port(there) == port(here), port(here) != nil else { return nil }
        return there.absoluteString
    }

    /// What was sent: the Bundle's type and its number of entries.
    public struct Sent: Sendable, Equatable {
        public var type: String
        public var entries: Int
    }

    static func sent(_ body: [UInt8]) -> Sent {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        return Sent(type: json?["type"] as? String ?? "transaction", entries: (json?["entry"] as? [Any])?.count ?? 0)
    }

    /// An HTTP answer to a Bundle `sent`.
    static func judge(_ text: String, status: UInt, sent: Sent, retryAfter: Double? = nil) -> Answer {
        guard (200..<300).contains(status) else {
            let summary = "HTTP \(status) \(outcome(text))"
            if retried.contains(status) { return .retry(summary, retryAfter: retryAfter) }
            return .dead(summary + "\n" + text.prefix(2000))
        }
        let expected = sent.type == "batch" ? "batch-response" : "transaction-response"
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              json["resourceType"] as? String == "Bundle", json["type"] as? String == expected else {
            return .dead("HTTP \(status) without a \(expected)\n\(text.prefix(2000))")
        }
        let statuses = ((json["entry"] as? [[String: Any]]) ?? []).map { (($0["response"] as? [String: Any])?["status"] as? String) ?? "" }
        // An answer that does not account for every entry sent is no acknowledgement: dead (not
        // retried: a receiver or proxy that answers short would answer short again; the answer is
        // kept and --requeue-dead sends it again once the cause is fixed).
        guard statuses.count == sent.entries else {
            return .dead("HTTP \(status), a \(expected) with \(statuses.count) entries for \(sent.entries) sent: not an acknowledgement of every entry\n\(text.prefix(2000))")
        }
        // A batch of withdrawals: a 412 means a clinician changed the request since: left alone, reported.
        let preconditionFailed = sent.type == "batch" ? statuses.filter { $0.hasPrefix("412") }.count : 0
        let bad = statuses.filter { !$0.hasPrefix("2") && !(sent.type == "batch" && $0.hasPrefix("412")) }
        if bad.isEmpty {
            let note = preconditionFailed > 0 ? "; \(preconditionFailed) withdrawals left alone (412: changed since)" : ""
            return .delivered("HTTP \(status), \(statuses.count) entries \(preconditionFailed > 0 ? "2xx or 412" : "2xx")\(note)")
        }
        // An entry with no response.status is named as such, not as an empty list (helper-43's trial).
        let named = bad.prefix(5).map { $0.isEmpty ? "no response.status" : $0 }
        return .dead("HTTP \(status), entries not 2xx: \(named.joined(separator: ", "))\n\(text.prefix(2000))")
    }

    /// The diagnostics of an OperationOutcome, else the start of the text.
    static func outcome(_ text: String) -> String {
        if let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
           let issues = json["issue"] as? [[String: Any]] {
            return issues.compactMap { $0["diagnostics"] as? String }.joined(separator: "; ")
        }
        return String(text.prefix(300)).replacingOccurrences(of: "\n", with: " ")
    }

    /// `Retry-After`: seconds, or an HTTP date.
    static func retryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return seconds }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
