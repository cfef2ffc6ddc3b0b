import Logging
import Foundation

/// Structured logs: one JSON object per line on standard error (any log pipeline gathers them
/// from every copy). Callers put no patient data in them: routes, statuses, rule ids, card uuids.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var members: [(String, JSONOut)] = [
            ("time", .string(Date().formatted(.iso8601))),
            ("level", .string(event.level.rawValue)),
            ("logger", .string(label)),
            ("message", .string("\(event.message)")),
        ]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            members.append((k, .string("\(v)")))
        }
        guard var line = try? JSONOut.object(members).bytes() else { return }
        line.append(0x0A)
        line.withUnsafeBufferPointer { _ = write(2, $0.baseAddress!, $0.count) }
    }
}
