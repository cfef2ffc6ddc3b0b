import FHIR
import Foundation

/// What `deliver` reads: what `apply` wrote (interface.md v2, v3). A JSON Bundle (transaction,
/// or a batch of withdrawals), ndjson of them, an XML Bundle (or several documents one after
/// another; each converted to JSON here, so every FHIR message is sent, keyed and acknowledged
/// the same way), or HL7 v2 messages. OperationOutcome lines and empty "not indicated" Bundles are
/// counted, not sent.
public struct Intake: Sendable {
    public struct Item: Sendable {
        public var kind: String
        public var name: String
        public var body: [UInt8]
    }

    public var items: [Item] = []
    public var operationOutcomes = 0
    public var notIndicated = 0
    /// The inputs whose plan was not indicated (an empty transaction): their withdrawal batch goes alone.
    var notIndicatedNames: Set<String> = []
    /// Lines (ndjson) that are not what apply writes: reported, not taken in; the rest is.
    public var problems: [String] = []
    /// Input refused whole (broken HL7 v2, XML that does not read): nothing is taken in or sent.
    public var refused: String?

    public static func read(_ bytes: [UInt8]) -> Intake {
        var intake = Intake()
        let start = bytes.withUnsafeBufferPointer(FHIRFormat.firstSignificantByte)
        if bytes[start...].starts(with: Array("MSH".utf8)) {
            intake.hl7(bytes)
        } else if start < bytes.count && bytes[start] == UInt8(ascii: "<") {
            intake.xml(Array(bytes[start...]))
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
            let identifier = (object["identifier"] as? [String: Any])?["value"] as? String
            if object["entry"] != nil && !(object["entry"] is [Any]) {
                problems.append("\(place): Bundle.entry is not a list")
                return
            }
            let entries = (object["entry"] as? [Any]) ?? []
            guard !entries.isEmpty else {
                notIndicated += 1
                if let identifier { notIndicatedNames.insert(identifier) }
                return
            }
            let type = object["type"] as? String ?? ""
            guard ["transaction", "batch"].contains(type) else {
                problems.append("\(place): a Bundle of type \(type.isEmpty ? "?" : type), not a transaction")
                return
            }
            // Only what apply writes: every entry a resource with a POST or PUT request (a DELETE,
            // an entry without a request, is not an order and is refused before anything is sent).
            for (n, e) in entries.enumerated() {
                let entry = e as? [String: Any]
                let method = (entry?["request"] as? [String: Any])?["method"] as? String
                guard entry?["resource"] is [String: Any], method == "POST" || method == "PUT" else {
                    problems.append("\(place): entry \(n) is not a resource sent with POST or PUT (not what apply writes)")
                    return
                }
            }
            let what = type == "batch" ? (identifier.map(notIndicatedNames.contains) == true ? "batch (plan not indicated)" : "batch") : "Bundle"
            items.append(Item(kind: "fhir", name: identifier.map { "\(what) for \($0)" } ?? "\(what) at \(place)", body: body))
        default:
            problems.append("\(place): a \(object["resourceType"] as? String ?? "JSON object"), not a Bundle")
        }
    }

    /// XML documents one after another (apply writes one; a withdrawal batch is the next
    /// document): split where a top-level `</Bundle>` is followed by the next document or the end.
    /// Each is read by the FHIR module's XML reader (libxml2, no network, no entities) and written
    /// as JSON.
    mutating func xml(_ bytes: [UInt8]) {
        let documents = Self.xmlDocuments(bytes)
        for (n, document) in documents.enumerated() {
            let place = documents.count == 1 ? "the XML input" : "XML document \(n + 1)"
            do {
                let element = try FHIRFormat.xml.read(document)
                let converted = try FHIRFormat.json.write(element)
                guard let object = try? JSONSerialization.jsonObject(with: Data(converted)) as? [String: Any] else {
                    problems.append("\(place): not convertible to JSON")
                    continue
                }
                json(object, body: converted, where: place)
            } catch {
                refused = "\(place): not a FHIR resource in XML: \(error)"
                items = []
                return
            }
        }
    }

    static func xmlDocuments(_ bytes: [UInt8]) -> [[UInt8]] {
        let end = Array("</Bundle>".utf8)
        var documents: [[UInt8]] = []
        var from = 0
        var i = 0
        while i + end.count <= bytes.count {
            if bytes[i] == UInt8(ascii: "<") && bytes[i..<(i + end.count)].elementsEqual(end) {
                var j = i + end.count
                while j < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[j]) { j += 1 }
                if j == bytes.count || bytes[j...].starts(with: Array("<?xml".utf8)) || bytes[j...].starts(with: Array("<Bundle".utf8)) {
                    documents.append(Array(bytes[from..<(i + end.count)]))
                    from = j
                    i = j
                    continue
                }
            }
            i += 1
        }
        let rest = bytes[from...]
        if !rest.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { documents.append(Array(rest)) }
        return documents
    }

    /// HL7 v2 as apply writes it: messages one after another, each whole segments, each segment
    /// ending in the segment terminator `\r`, each message starting with `MSH` and naming itself
    /// (`MSH-10`). Anything else is refused whole, before anything is sent (a newline after the
    /// last segment, the end of a file, is allowed).
    mutating func hl7(_ bytes: [UInt8]) {
        var text = bytes[...]
        while let last = text.last, last == 0x0A { text = text.dropLast() }
        func refuse(_ why: String) {
            refused = why
            items = []
        }
        guard text.starts(with: Array("MSH|".utf8)) else { return refuse("HL7 v2 input must start with MSH| (no blank before it)") }
        guard text.last == 0x0D else { return refuse("HL7 v2 input ends inside a segment: the last segment has no segment terminator \\r") }
        var messages: [[ArraySlice<UInt8>]] = []
        var number = 0
        for segment in text.dropLast().split(separator: 0x0D, omittingEmptySubsequences: false) {
            number += 1
            if let bad = segment.firstIndex(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) {
                let what = segment[bad] == 0x0A ? "a line feed (segments end in \\r only)" : "control character 0x\(String(segment[bad], radix: 16))"
                return refuse("HL7 v2 segment \(number): \(what)")
            }
            let id = Array(segment.prefix(3))
            guard id.count == 3, id.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }), (0x41...0x5A).contains(id[0]),
                  segment.count == 3 || segment[segment.startIndex + 3] == UInt8(ascii: "|") else {
                return refuse("HL7 v2 segment \(number): not a segment (three capitals or digits and |), starting \(String(decoding: segment.prefix(12), as: UTF8.self).debugDescription)")
            }
            if id == Array("MSH".utf8) { messages.append([]) }
            messages[messages.count - 1].append(segment)
        }
        for (n, segments) in messages.enumerated() {
            var body: [UInt8] = segments.flatMap { (s: ArraySlice<UInt8>) -> [UInt8] in Array(s) + [0x0D] }
            let id = MLLPSender.controlId(body)
            guard !id.isEmpty else { return refuse("HL7 v2 message \(n + 1): no MSH-10 (message control id)") }
            if body.last != 0x0D { body.append(0x0D) }
            items.append(Item(kind: "hl7v2", name: "HL7 v2 message " + id, body: body))
        }
    }
}
