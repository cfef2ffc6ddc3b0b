import Foundation

/// What `deliver` reads: what `apply` wrote (interface.md v2). A transaction Bundle, ndjson of
/// them, or HL7 v2 messages (split at each `MSH`). OperationOutcome lines and empty "not
/// indicated" Bundles are counted, not sent.
public struct Intake: Sendable {
    public struct Item: Sendable {
        public var kind: String
        public var name: String
        public var body: [UInt8]
    }

    public var items: [Item] = []
    public var operationOutcomes = 0
    public var notIndicated = 0
    /// Lines that are not what apply writes: reported, not taken in.
    public var problems: [String] = []

    public static func read(_ bytes: [UInt8]) -> Intake {
        var intake = Intake()
        let start = bytes.firstIndex { !(($0 == 0x20) || ($0 == 0x09) || ($0 == 0x0A) || ($0 == 0x0D)) } ?? bytes.count
        if bytes[start...].starts(with: Array("MSH|".utf8)) {
            intake.hl7(Array(bytes[start...]))
        } else if let one = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            intake.json(one, body: bytes, where: "the input")
        } else {
            var number = 0
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                number += 1
                let body = Array(line.last == 0x0D ? line.dropLast() : line)
                if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                    intake.problems.append("line \(number): not a JSON object, nor HL7 v2")
                    continue
                }
                intake.json(object, body: body, where: "line \(number)")
            }
        }
        return intake
    }

    mutating func json(_ object: [String: Any], body: [UInt8], where place: String) {
        switch object["resourceType"] as? String {
        case "OperationOutcome":
            operationOutcomes += 1
        case "Bundle":
            let entries = (object["entry"] as? [Any]) ?? []
            guard !entries.isEmpty else { notIndicated += 1; return }
            guard ["transaction", "batch"].contains(object["type"] as? String ?? "") else {
                problems.append("\(place): a Bundle of type \(object["type"] as? String ?? "?"), not a transaction")
                return
            }
            let identifier = (object["identifier"] as? [String: Any])?["value"] as? String
            items.append(Item(kind: "fhir", name: identifier.map { "Bundle for \($0)" } ?? "Bundle at \(place)", body: body))
        default:
            problems.append("\(place): a \(object["resourceType"] as? String ?? "JSON object"), not a Bundle")
        }
    }

    /// Messages one after another, each starting with `MSH|` (at the start or after a segment end).
    mutating func hl7(_ bytes: [UInt8]) {
        let marker = Array("MSH|".utf8)
        var starts: [Int] = []
        var i = 0
        while i + marker.count <= bytes.count {
            if (i == 0 || bytes[i - 1] == 0x0D || bytes[i - 1] == 0x0A) && bytes[i..<(i + marker.count)].elementsEqual(marker) { starts.append(i) }
            i += 1
        }
        for (n, s) in starts.enumerated() {
            var body = Array(bytes[s..<(n + 1 < starts.count ? starts[n + 1] : bytes.count)])
            while let last = body.last, last == 0x0A || last == 0x0D || last == 0x20 { body.removeLast() }
            body.append(0x0D)
            items.append(Item(kind: "hl7v2", name: "HL7 v2 message " + MLLPSender.controlId(body), body: body))
        }
    }
}
