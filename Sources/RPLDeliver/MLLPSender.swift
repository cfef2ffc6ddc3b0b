import Foundation
import NIOCore
import NIOPosix

/// HL7 v2 delivery over MLLP (interface.md v2): each message framed `0x0B … 0x1C 0x0D` over TCP
/// (SwiftNIO), one connection per message (a dropped peer is simply reconnected to), then the ACK:
/// its `MSA-2` must be the message's `MSH-10`. Original mode: AA delivered, AR retried, AE dead
/// unless it says the order is a duplicate (ERR code 205, or "duplicate" in its text), then
/// delivered. Enhanced mode: CA delivered, CE retried, CR dead. No answer within the timeout: retried.
public final class MLLPSender: Sender {
    let host: String
    let port: Int
    let timeout: Double

    public init(host: String, port: Int, timeout: Double) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    struct Timeout: Error, CustomStringConvertible { var description: String { "no ACK within the timeout" } }
    struct Closed: Error, CustomStringConvertible { var description: String { "the peer closed the connection without an ACK" } }

    static func frame(_ body: [UInt8]) -> [UInt8] { [0x0B] + body + [0x1C, 0x0D] }

    /// The message between the start block and the end block, once the end has arrived.
    static func unframe(_ bytes: [UInt8]) -> [UInt8]? {
        guard let end = (0..<max(bytes.count - 1, 0)).first(where: { bytes[$0] == 0x1C && bytes[$0 + 1] == 0x0D }) else { return nil }
        let start = bytes.firstIndex(of: 0x0B).map { $0 + 1 } ?? 0
        return start <= end ? Array(bytes[start..<end]) : []
    }

    /// MSH-10 of a message.
    static func controlId(_ message: [UInt8]) -> String {
        let text = String(decoding: message, as: UTF8.self)
        let msh = text.split(separator: "\r", omittingEmptySubsequences: true).first ?? ""
        let fields = msh.split(separator: "|", omittingEmptySubsequences: false)
        return fields.count > 9 ? String(fields[9]) : ""
    }

    /// What an ACK means for the message with `controlId`.
    static func judge(_ ack: [UInt8], controlId: String) -> Answer {
        let text = String(decoding: ack, as: UTF8.self)
        let segments = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
        guard let msa = segments.first(where: { $0.hasPrefix("MSA|") })?.split(separator: "|", omittingEmptySubsequences: false) else {
            return .retry("an answer without MSA: \(text.prefix(200))", retryAfter: nil)
        }
        let code = msa.count > 1 ? String(msa[1]) : ""
        let acked = msa.count > 2 ? String(msa[2]) : ""
        guard acked == controlId else { return .retry("an ACK for \(acked), not \(controlId)", retryAfter: nil) }
        let said = ([msa.count > 3 ? String(msa[3]) : ""] + segments.filter { $0.hasPrefix("ERR|") }).joined(separator: " ")
        switch code {
        case "AA", "CA": return .delivered("\(code) for \(controlId)")
        case "AR", "CE": return .retry("\(code) for \(controlId) \(said)".trimmingCharacters(in: .whitespaces), retryAfter: nil)
        case "AE":
            let err = segments.filter { $0.hasPrefix("ERR|") }
            let duplicate = err.contains { $0.split(separator: "|", omittingEmptySubsequences: false).dropFirst(3).first?.hasPrefix("205") == true }
                || said.lowercased().contains("duplicate")
            return duplicate ? .delivered("AE duplicate for \(controlId): already received") : .dead("AE for \(controlId) \(said)")
        case "CR": return .dead("CR for \(controlId) \(said)")
        default: return .retry("unknown acknowledgement code \(code)", retryAfter: nil)
        }
    }

    public func send(_ message: Outbox.Message) async -> Answer {
        let id = Self.controlId(message.body)
        do {
            let ack = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask { try await self.exchange(message.body) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(self.timeout * 1e9))
                    throw Timeout()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            return Self.judge(ack, controlId: id)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    func exchange(_ body: [UInt8]) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: Self.frame(body)))
            var received: [UInt8] = []
            for try await chunk in inbound {
                received += chunk.readableBytesView
                if let ack = Self.unframe(received) { return ack }
                if received.count > 16 << 20 { break }
            }
            throw Closed()
        }
    }

    public func shutdown() async {}
}
