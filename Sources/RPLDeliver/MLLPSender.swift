import Foundation
import NIOCore
import NIOPosix

/// HL7 v2 delivery over MLLP (interface.md v2): each message framed `0x0B … 0x1C 0x0D` over TCP
/// (SwiftNIO), one connection per message (a dropped peer is simply reconnected to), then the ACK:
/// its `MSA-2` must be the message's `MSH-10`; what it means: `judge`. No answer within the
/// timeout, a refused or reset connection: retried (refused fails at once; connect timeout at
/// most 10 s).
public final class MLLPSender: Sender {
    let host: String
    let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The destination of an MLLP peer.
    public static func destination(host: String, port: Int) -> String { "mllp://\(host):\(port)" }

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

    /// An HL7 v2 message as segments of fields, read with its own separators (MSH-1, MSH-2).
    struct Parsed {
        var segments: [[String]] = []
        var component: Character = "^"
        var repetition: Character = "~"
        var subcomponent: Character = "&"

        init(_ text: String) {
            let lines = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
            var field: Character = "|"
            if let msh = lines.first(where: { $0.hasPrefix("MSH") }), msh.count >= 8 {
                let chars = Array(msh)
                field = chars[3]
                component = chars[4]
                repetition = chars[5]
                subcomponent = chars[7]
            }
            for line in lines {
                var fields = line.split(separator: field, omittingEmptySubsequences: false).map(String.init)
                // MSH-1 is the field separator itself: MSH fields are numbered one higher.
                if fields.first == "MSH" { fields.insert(String(field), at: 1) }
                segments.append(fields)
            }
        }

        func all(_ id: String) -> [[String]] { segments.filter { $0.first == id } }
        func field(_ segment: [String], _ n: Int) -> String { n < segment.count ? segment[n] : "" }
        func components(_ value: String) -> [String] { value.split(separator: component, omittingEmptySubsequences: false).map(String.init) }
        func piece(_ value: String, _ n: Int) -> String { let c = components(value); return n - 1 < c.count ? c[n - 1] : "" }
    }

    /// One error an ACK reports: its code (table 0357) and where it is (segment, sequence, field).
    struct ReportedError: Equatable {
        var code: String
        var locations: [(segment: String, sequence: Int, field: Int)]
        static func == (a: Self, b: Self) -> Bool {
            a.code == b.code && a.locations.map { "\($0.segment)-\($0.sequence)-\($0.field)" } == b.locations.map { "\($0.segment)-\($0.sequence)-\($0.field)" }
        }
    }

    /// The errors of an ACK: each `ERR` (`ERR-3` and `ERR-2`; an older receiver's `ERR-1`, whose
    /// component 4 is the code and components 1–3 the location), and `MSA-6` (no location).
    static func errors(_ ack: Parsed) -> [ReportedError] {
        var found: [ReportedError] = []
        for err in ack.all("ERR") {
            let err1 = ack.components(ack.field(err, 1))
            var code = ack.piece(ack.field(err, 3), 1)
            if code.isEmpty, err1.count >= 4 {
                code = String(err1[3].split(separator: ack.subcomponent, omittingEmptySubsequences: false).first ?? "")
            }
            var locations: [(segment: String, sequence: Int, field: Int)] = []
            func location(_ c: [String]) -> (segment: String, sequence: Int, field: Int)? {
                guard let segment = c.first, !segment.isEmpty else { return nil }
                let sequence = c.count > 1 ? Int(c[1]) ?? (c[1].isEmpty ? 1 : -1) : 1
                let field = c.count > 2 ? Int(c[2]) ?? -1 : -1
                return (segment, sequence, field)
            }
            for rep in ack.field(err, 2).split(separator: ack.repetition).map(String.init) {
                if let l = location(ack.components(rep)) { locations.append(l) }
            }
            if locations.isEmpty, let l = location(Array(err1.prefix(3))) { locations.append(l) }
            found.append(ReportedError(code: code.trimmingCharacters(in: .whitespaces), locations: locations))
        }
        if let msa = ack.all("MSA").first {
            let code = ack.piece(ack.field(msa, 6), 1).trimmingCharacters(in: .whitespaces)
            // MSA-6 sums up the errors: it stands on its own only without ERR segments; with them
            // it must agree (a 205 there, or nothing).
            if !code.isEmpty && (found.isEmpty || code != "205") { found.append(ReportedError(code: code, locations: [])) }
        }
        return found
    }

    /// Whether every error says "this order is already there": code 205 located at ORC-2, ORC-4
    /// (of an ORC the message has) or MSH-10. A 205 at PID-3 or with no location is a refusal.
    static func alreadyThere(_ errors: [ReportedError], message: Parsed) -> Bool {
        let orcs = message.all("ORC").count
        return !errors.isEmpty && errors.allSatisfy { e in
            e.code == "205" && !e.locations.isEmpty && e.locations.allSatisfy { l in
                (l.segment == "ORC" && [2, 4].contains(l.field) && (1...max(orcs, 1)).contains(l.sequence) && orcs > 0)
                    || (l.segment == "MSH" && l.field == 10 && l.sequence == 1)
            }
        }
    }

    /// What an ACK means for `message` (interface.md v3, "HL7 acknowledgements"): AA/CA delivered;
    /// AE/AR delivered only when every error is a 205 located at ORC-2, ORC-4 or MSH-10 of this
    /// message, else AE dead (the answer kept) and AR retried; AR/CR with 200–203 (unsupported
    /// message, event, processing id, version) dead at once; CE retried; CR dead. An ORL^O22 is
    /// delivered only when MSA-1 is AA or CA and every ORC-1 is OK.
    static func judge(_ ack: [UInt8], message: [UInt8]) -> Answer {
        let text = String(decoding: ack, as: UTF8.self)
        let kept = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).joined(separator: "\n")
        let sent = Parsed(String(decoding: message, as: UTF8.self))
        let controlId = sent.all("MSH").first.map { sent.field($0, 10) } ?? ""
        let parsed = Parsed(text)
        guard let msa = parsed.all("MSA").first else {
            return .retry("an answer without MSA: \(text.prefix(200))", retryAfter: nil)
        }
        let code = parsed.field(msa, 1)
        let acked = parsed.field(msa, 2)
        guard acked == controlId else { return .retry("an ACK for \(acked), not \(controlId)", retryAfter: nil) }
        let errors = Self.errors(parsed)
        let unsupported = errors.first { ["200", "201", "202", "203"].contains($0.code) }
        let type = parsed.all("MSH").first.map { parsed.components(parsed.field($0, 9)) } ?? []
        if type.count >= 2, type[0] == "ORL", type[1] == "O22" {
            if code == "AA" || code == "CA" {
                let notOK = parsed.all("ORC").map { parsed.field($0, 1) }.filter { $0 != "OK" }
                return notOK.isEmpty ? .delivered("ORL^O22 \(code) for \(controlId), every order OK")
                    : .dead("ORL^O22 \(code) for \(controlId) with ORC-1 \(notOK.joined(separator: ", ")): not every order accepted\n\(kept)")
            }
            if code == "AE" { return .dead("ORL^O22 AE for \(controlId)\n\(kept)") }
        }
        switch code {
        case "AA", "CA": return .delivered("\(code) for \(controlId)")
        case "AR", "CR", "AE":
            if code != "AE", let u = unsupported {
                return .dead("\(code) for \(controlId), error \(u.code) (unsupported message, event, processing id or version): not retried\n\(kept)")
            }
            if code != "CR" && alreadyThere(errors, message: sent) {
                return .delivered("\(code) for \(controlId): already there (205 at the order's identifiers)\n\(kept)")
            }
            if code == "AR" { return .retry("AR for \(controlId)\n\(kept)", retryAfter: nil) }
            return .dead("\(code) for \(controlId)\n\(kept)")
        case "CE": return .retry("CE for \(controlId)\n\(kept)", retryAfter: nil)
        default: return .retry("unknown acknowledgement code \(code)\n\(kept)", retryAfter: nil)
        }
    }

    public func send(_ message: Outbox.Message, timeout: Double) async -> Answer {
        do {
            let ack = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask { try await self.exchange(message.body, timeout: timeout) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(max(timeout, 0.001) * 1e9))
                    throw Timeout()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            return Self.judge(ack, message: message.body)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    func exchange(_ body: [UInt8], timeout: Double) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(min(max(timeout, 0.001), 10) * 1000)))
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
