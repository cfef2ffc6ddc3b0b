import FHIR
import RPLGuideline
import Digests

/// `--output-format hl7v2` (interface.md v2): HL7 v2.5.1 `OML^O21` for laboratories without FHIR,
/// one message per requisition (the laboratory orders of one person), made from the plan's typed
/// `OrderSet` (never read back from the FHIR transaction). Only signed laboratory orders are in it
/// (`active` / `order`: a lab acts on `NW`); proposals (karyotyping, the partner's, medications),
/// imaging and referrals are not laboratory orders a lab may act on.
public enum HL7v2 {
    /// Why there is no HL7 v2 output without an ordering provider.
    public static let needsRequester = "HL7 v2 output needs an ordering provider (a lab acts on NW): configure a requester in Parameters-rpl-site.json or give --requester SYSTEM|VALUE"

    /// The requester's identifier is no AGB code (a UZI number is not one): ORC-12 needs one.
    public static func needsAGB(_ requester: OrderSet.Requester?) -> String {
        let system = requester?.system ?? "no identifier"
        return "HL7 v2 output needs the ordering provider's AGB code in ORC-12 (\(OrderSet.Requester.agbSystems.sorted().joined(separator: " or "))); the requester is identified by \(system)"
            + (system == uziSystem ? " (a UZI number is not an AGB code)" : "")
            + (OrderSet.Requester.agbSystems.contains(Terminology.canonicalSystem(system)) ? " whose value is not an AGB code (digits only)" : "")
    }

    /// The national patient number (BSN), by URI or OID.
    public static let bsnSystems: Set<String> = ["http://fhir.nl/fhir/NamingSystem/bsn", "urn:oid:2.16.840.1.113883.2.4.6.3"]
    static let uziSystem = "urn:oid:2.16.528.1.1007.3.1"

    /// HL7 v2.5.1 lengths (chapter 2A component tables; the field lengths of chapters 2, 3, 4):
    /// identifiers are refused when longer, free text is cut.
    public enum Length {
        public static let controlId = 20                   // MSH-10 ST
        public static let placerNumber = 22                // ORC-2 / ORC-4 EI
        public static let identifierField = 250            // PID-3 (one repetition), ORC-12, OBR-16
        public static let idNumber = 15                    // CX.1, XCN.1 ST
        public static let surname = 50                     // FN.1 ST (XPN.1, XCN.2)
        public static let givenName = 30                   // XPN.2, XCN.3 ST
        public static let codedText = 199                  // CE.2 ST
        public static let comment = 65536                  // NTE-3 FT
    }

    /// A message that cannot be written without losing what identifies someone: refused (exit 65).
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// The HL7 v2 field, e.g. `PID-3`.
        public let field: String
        /// Where in the FHIR input or transaction it comes from.
        public let location: String
        public let message: String
        public var description: String { "\(message) (\(field), from \(location))" }
    }

    /// The messages for one plan, in requisition order (none when it holds no signed laboratory
    /// order), and what was changed to fit HL7 v2 (free text cut, identifiers left out).
    public static func messages(_ orderSet: OrderSet, site: SiteSettings) throws(Refusal) -> (messages: [String], warnings: [String]) {
        guard let patient = orderSet.patient, let date = orderSet.date else { return ([], []) }
        var groups: [(requisition: String, orders: [OrderSet.LabOrder])] = []
        for order in orderSet.labOrders {
            if let i = groups.firstIndex(where: { $0.requisition == order.requisition }) { groups[i].orders.append(order) } else { groups.append((order.requisition, [order])) }
        }
        guard !groups.isEmpty else { return ([], []) }
        var fit = Fit()
        let pid3 = try patientIdentifiers(patient, site: site, &fit)
        let pid5 = name(patient, &fit)
        var messages: [String] = []
        for group in groups {
            messages.append(try message(group.requisition, group.orders, pid3: pid3, pid5: pid5, patient: patient, site: site, date: date, &fit))
        }
        // Each warning once (every message carries the same PID and ordering provider).
        var seen = Set<String>()
        return (messages, fit.warnings.filter { seen.insert($0).inserted })
    }

    /// Values fitted to HL7 v2.5.1 lengths: free text cut with a warning, identifiers refused.
    struct Fit {
        var warnings: [String] = []

        mutating func text(_ value: String, _ max: Int, _ field: String) -> String {
            guard value.count > max else { return e(value) }
            warnings.append("HL7 v2 \(field) is \(value.count) characters, more than the \(max) HL7 v2.5.1 allows: cut to \(max)")
            return e(String(value.prefix(max)))
        }

        func identifier(_ value: String, _ max: Int, _ field: String, from location: String) throws(Refusal) -> String {
            guard value.count <= max else {
                throw Refusal(field: field, location: location,
                              message: "HL7 v2 \(field) would be \(value.count) characters, more than the \(max) HL7 v2.5.1 allows; an identifier is never cut, so the message is refused")
            }
            return e(value)
        }

        /// A whole identifier field, as written (components and escapes included).
        func field(_ written: String, _ max: Int, _ field: String, from location: String) throws(Refusal) -> String {
            guard written.count <= max else {
                throw Refusal(field: field, location: location,
                              message: "HL7 v2 \(field) would be \(written.count) characters, more than the \(max) HL7 v2.5.1 allows; an identifier is never cut, so the message is refused")
            }
            return written
        }
    }

    static func message(_ requisition: String, _ orders: [OrderSet.LabOrder], pid3: String, pid5: String, patient: OrderSet.Person, site: SiteSettings,
                        date: CalendarDate, _ fit: inout Fit) throws(Refusal) -> String {
        let day = digits(date.description)
        // MSH-10 names this message: the requisition and the orders in it. A resend is the same
        // message with the same control id; a re-evaluation that adds an order is a new message
        // (with the requisition alone it would look like a duplicate to the lab and be dropped).
        let content = requisition + "|" + orders.map(\.identifier).sorted().joined(separator: ",")
        var segments: [[String]] = []
        // MSH-1 is the field separator itself; MSH-2 the encoding characters (not escaped).
        let controlId = try fit.identifier(digest(content, 20), Length.controlId, "MSH-10", from: "ServiceRequest.requisition")
        segments.append(["MSH", "^~\\&", e(site.sendingApplication), e(site.sendingFacility), e(site.receivingApplication), e(site.receivingFacility),
                         day, "", "OML^O21^OML_O21", controlId, "P", "2.5.1", "", "", "", "", "", "UNICODE UTF-8"])
        segments.append(["PID", "1", "", pid3, "", pid5, "", digits(patient.birthDate ?? ""), sex(patient)])
        segments.append(["PV1", "1", "O"])
        for (n, order) in orders.enumerated() {
            let placer = try fit.identifier(digest(order.identifier, 22), Length.placerNumber, "ORC-2", from: "ServiceRequest.identifier")
            let group = try fit.identifier(digest(requisition, 22), Length.placerNumber, "ORC-4", from: "ServiceRequest.requisition")
            let orc12 = try orderingProvider(order, "ORC-12", &fit)
            let obr16 = try orderingProvider(order, "OBR-16", &fit)
            segments.append(["ORC", "NW", placer, "", group, "", "", "", "", "", "", "", orc12])
            let start = order.notBefore.map { digits($0.description) } ?? ""
            segments.append(["TQ1", "1", "", "", "", "", "", start, "", "R"])
            segments.append(["OBR", String(n + 1), placer, "", universalService(order, &fit)] + Array(repeating: "", count: 11) + [obr16])
            segments.append(["NTE", "1", "P", fit.text(order.note, Length.comment, "NTE-3 (comment)")])
            if let specimen = order.specimen {
                segments.append(["SPM", "1", "", "", coded(specimen.type, "HL70487"), "", coded(specimen.additive, "HL70371")])
            }
        }
        return segments.map { fields in
            // MSH: its first field is the separator, so it joins from MSH-2.
            fields[0] == "MSH" ? "MSH|" + fields.dropFirst().joined(separator: "|") : fields.joined(separator: "|")
        }.joined(separator: "\r") + "\r"
    }

    /// HL7 escaping of a value: the delimiters `|^~\&` become escape sequences.
    public static func e(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\E\\"
            case "|": out += "\\F\\"
            case "^": out += "\\S\\"
            case "&": out += "\\T\\"
            case "~": out += "\\R\\"
            case "\r", "\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    static func digits(_ s: String) -> String { String(s.filter(\.isNumber).prefix(14)) }

    /// A name-based id shortened to what v2.5.1 allows (MSH-10: 20 characters, ORC-2/ORC-4: 22),
    /// the same for the same order: a resend carries the same control id and placer number.
    static func digest(_ s: String, _ length: Int) -> String {
        String(SHA1.hex(Array(s.utf8)).prefix(length)).uppercased()
    }

    /// PID-3: every identifier with its assigning authority and type: the BSN as the Dutch
    /// national number (`…^^^NLMINBIZA^NNNLD`), others by the site setting
    /// `hl7v2AssigningAuthorities` (type PI unless configured). An identifier whose system has no
    /// authority configured is left out with a warning; with none left the patient is refused.
    static func patientIdentifiers(_ p: OrderSet.Person, site: SiteSettings, _ fit: inout Fit) throws(Refusal) -> String {
        var repetitions: [String] = []
        // Current identifiers as one spelling, each once, the BSN first, then sorted: a resend
        // with another order or spelling is the same message.
        let current = p.identifiers.sorted { a, b in
            ((bsnSystems.contains(a.system) ? 0 : 1), a.system, a.value) < ((bsnSystems.contains(b.system) ? 0 : 1), b.system, b.value)
        }.map { (n: $0.position, system: $0.system, value: $0.value) }
        for (n, system, value) in current {
            let location = "Patient.identifier[\(n)]"
            let authority: String, type: String
            if bsnSystems.contains(system) {
                guard Identities.passesElevenTest(Terminology.trimmed(value)) else {
                    fit.warnings.append("HL7 v2 PID-3: the patient's BSN \(value) fails the 11-test and is left out")
                    continue
                }
                (authority, type) = ("NLMINBIZA", "NNNLD")
            } else if let configured = site.assigningAuthorities[system] {
                (authority, type) = (configured.authority, configured.type)
            } else {
                fit.warnings.append("HL7 v2 PID-3: the patient's identifier in \(system) is left out: no assigning authority is configured for that system (site setting hl7v2AssigningAuthorities)")
                continue
            }
            let id = try fit.identifier(value, Length.idNumber, "PID-3 (CX.1 ID number)", from: location)
            repetitions.append(try fit.field(id + "^^^" + e(authority) + "^" + e(type), Length.identifierField, "PID-3", from: location))
        }
        guard !repetitions.isEmpty else {
            let why = p.hasBusinessIdentifier
                ? "none of the patient's identifiers has an assigning authority (a BSN, or a system configured in the site setting hl7v2AssigningAuthorities)"
                : "the patient has no business identifier (Patient.identifier with system and value)"
            throw Refusal(field: "PID-3", location: "Patient.identifier", message: "HL7 v2 orders need the patient identified in PID-3: \(why); no message is written for her")
        }
        return repetitions.joined(separator: "~")
    }

    /// PID-5 is required: without a name on record it is the explicit null `""`.
    static func name(_ p: OrderSet.Person, _ fit: inout Fit) -> String {
        guard let n = p.name else { return "\"\"" }
        return fit.text(n.family, Length.surname, "PID-5.1 (family name)") + "^" + fit.text(n.given.joined(separator: " "), Length.givenName, "PID-5.2 (given name)")
    }

    static func sex(_ p: OrderSet.Person) -> String {
        switch p.gender {
        case "female": return "F"
        case "male": return "M"
        case "other": return "O"
        default: return "U"
        }
    }

    /// ORC-12 / OBR-16: the ordering provider: XCN.1 its AGB code, XCN.2 the name given in the
    /// reference, XCN.9 `VEKTIS` (the AGB register). The caller has refused a requester without
    /// an AGB code (`needsAGB`, exit 78).
    static func orderingProvider(_ order: OrderSet.LabOrder, _ field: String, _ fit: inout Fit) throws(Refusal) -> String {
        guard let code = order.requester.agb else { return "" }
        let id = try fit.identifier(code, Length.idNumber, "\(field) (XCN.1 ID number)", from: "ServiceRequest.requester.identifier")
        let display = fit.text(order.requester.name ?? "", Length.surname, "\(field).2 (ordering provider's name)")
        return try fit.field(id + "^" + display + "^^^^^^^VEKTIS", Length.identifierField, field, from: "ServiceRequest.requester")
    }

    /// OBR-4: the LOINC code and its display.
    static func universalService(_ order: OrderSet.LabOrder, _ fit: inout Fit) -> String {
        if let loinc = order.codings.first(where: { $0.system == "http://loinc.org" }) {
            return e(loinc.code ?? "") + "^" + fit.text(loinc.display ?? order.text ?? "", Length.codedText, "OBR-4.2 (text)") + "^LN"
        }
        if let sct = order.codings.first(where: { $0.system == "http://snomed.info/sct" }) {
            return e(sct.code ?? "") + "^" + fit.text(sct.display ?? "", Length.codedText, "OBR-4.2 (text)") + "^SCT"
        }
        return "^" + fit.text(order.text ?? "", Length.codedText, "OBR-4.2 (text)")
    }

    /// SPM-4 (HL7 table 0487) or SPM-6 (table 0371): `code^display^table`, empty where the
    /// SpecimenDefinition does not code it.
    static func coded(_ coding: OrderSet.Coding?, _ table: String) -> String {
        guard let coding else { return "" }
        return e(coding.code ?? "") + "^" + e(coding.display ?? "") + "^" + table
    }
}
