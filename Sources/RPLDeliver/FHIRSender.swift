import AsyncHTTPClient
import Foundation
import NIOCore

/// FHIR delivery: each transaction Bundle POSTed to the base URL (`application/fhir+json`),
/// delivered only when the answer is a `transaction-response` with every entry 2xx. TLS through
/// the system's trust store (async-http-client's default).
public final class FHIRSender: Sender {
    let base: String
    let headers: [(String, String)]
    let timeout: Double
    let client: HTTPClient

    public init(base: String, headers: [(String, String)], timeout: Double) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.headers = headers
        self.timeout = timeout
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(Int64(max(1, timeout))), read: .seconds(Int64(max(1, timeout))))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Retried: 408, 429, 502, 503, 504 (interface.md v2); other errors are permanent.
    static let retried: Set<UInt> = [408, 429, 502, 503, 504]

    public func send(_ message: Outbox.Message) async -> Answer {
        var request = HTTPClientRequest(url: base)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/fhir+json")
        request.headers.add(name: "Accept", value: "application/fhir+json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let body = try await response.body.collect(upTo: 64 << 20)
            let text = String(buffer: body)
            let status = response.status.code
            if (200..<300).contains(status) {
                return Self.judge(text, status: status)
            }
            let summary = "HTTP \(status) \(Self.outcome(text))"
            if Self.retried.contains(status) {
                return .retry(summary, retryAfter: response.headers.first(name: "Retry-After").flatMap(Self.retryAfter))
            }
            return .dead(summary)
        } catch {
            // Timeouts, refused or dropped connections: the request may or may not have arrived;
            // the identities make a resend create nothing new.
            return .retry("\(error)", retryAfter: nil)
        }
    }

    /// A 2xx answer: delivered only if it is a transaction-response whose entries are all 2xx.
    static func judge(_ text: String, status: UInt) -> Answer {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              json["resourceType"] as? String == "Bundle", json["type"] as? String == "transaction-response" else {
            return .dead("HTTP \(status) without a transaction-response: \(text.prefix(300))")
        }
        let statuses = ((json["entry"] as? [[String: Any]]) ?? []).map { (($0["response"] as? [String: Any])?["status"] as? String) ?? "" }
        let bad = statuses.filter { !$0.hasPrefix("2") }
        if bad.isEmpty { return .delivered("HTTP \(status), \(statuses.count) entries 2xx") }
        return .dead("HTTP \(status), entries not 2xx: \(bad.prefix(5).joined(separator: ", "))")
    }

    /// The diagnostics of an OperationOutcome, else the start of the text.
    static func outcome(_ text: String) -> String {
        if let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
           let issues = json["issue"] as? [[String: Any]] {
            return issues.compactMap { $0["diagnostics"] as? String }.joined(separator: "; ")
        }
        return String(text.prefix(300))
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
