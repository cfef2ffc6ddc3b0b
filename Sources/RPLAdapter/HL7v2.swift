import FHIR
import RPLGuideline

/// `--output-format hl7v2` (interface.md v2): HL7 v2.5.1 `OML^O21` for laboratories without FHIR,
/// one message per requisition (the laboratory orders of one person), made from the transaction
/// `apply` built. Only signed laboratory orders are written (`active` / `order`: a lab acts on
/// `NW`); proposals (karyotyping, the partner's, medications), imaging and referrals are not
/// laboratory orders a lab may act on.
public enum HL7v2 {
    /// Why there is no HL7 v2 output without an ordering provider.
    public static let needsRequester = "HL7 v2 output needs an ordering provider (a lab acts on NW): configure a requester in Parameters-rpl-site.json or give --requester SYSTEM|VALUE"

    /// The messages for one plan, in requisition order; none when it holds no signed laboratory order.
    public static func messages(_ output: Element, patient: Element, profiles: Profiles, site: SiteSettings, date: CalendarDate) -> [String] {
        let resources = output.children("entry").compactMap { $0.child("resource")?.resource }
        let orders = resources.filter {
            $0.name == "ServiceRequest" && $0.string("status") == "active" && $0.string("intent") == "order"
                && $0.children("category").contains { $0.children("coding").contains { $0.string("code") == PlanEmitter.laboratory } }
        }
        var groups: [(requisition: String, orders: [Element])] = []
        for order in orders {
            let requisition = order.child("requisition")?.string("value") ?? ""
            if let i = groups.firstIndex(where: { $0.requisition == requisition }) { groups[i].orders.append(order) } else { groups.append((requisition, [order])) }
        }
        return groups.map { message($0.requisition, $0.orders, patient: patient, profiles: profiles, site: site, date: date) }
    }

    static func message(_ requisition: String, _ orders: [Element], patient: Element, profiles: Profiles, site: SiteSettings, date: CalendarDate) -> String {
        let day = digits(date.description)
        // MSH-10 names this message: the requisition and the orders in it. A resend is the same
        // message with the same control id; a re-evaluation that adds an order is a new message
        // (with the requisition alone it would look like a duplicate to the lab and be dropped).
        let content = requisition + "|" + orders.compactMap { $0.child("identifier")?.string("value") }.sorted().joined(separator: ",")
        var segments: [[String]] = []
        // MSH-1 is the field separator itself; MSH-2 the encoding characters (not escaped).
        segments.append(["MSH", "^~\\&", e(site.sendingApplication), e(site.sendingFacility), e(site.receivingApplication), e(site.receivingFacility),
                         day, "", "OML^O21^OML_O21", digest(content, 20), "P", "2.5.1", "", "", "", "", "", "UNICODE UTF-8"])
        segments.append(["PID", "1", "", patientIdentifiers(patient), "", name(patient), "", digits(patient.string("birthDate") ?? ""), sex(patient)])
        segments.append(["PV1", "1", "O"])
        for (n, order) in orders.enumerated() {
            let placer = digest(order.child("identifier")?.string("value") ?? order.string("id") ?? "", 22)
            let provider = orderingProvider(order.child("requester"))
            segments.append(["ORC", "NW", placer, "", digest(requisition, 22), "", "", "", "", "", "", "", provider])
            let start = order.child("occurrencePeriod")?.string("start").map(digits) ?? ""
            segments.append(["TQ1", "1", "", "", "", "", "", start, "", "R"])
            segments.append(["OBR", String(n + 1), placer, "", universalService(order)] + Array(repeating: "", count: 11) + [provider])
            if let note = order.child("note")?.string("text") { segments.append(["NTE", "1", "P", e(note)]) }
            if let (type, additive) = specimen(order, profiles: profiles) { segments.append(["SPM", "1", "", "", type, "", additive]) }
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

    /// PID-3: the BSN as the Dutch national number (`…^^^NLMINBIZA^NNNLD`), other identifiers by
    /// their value.
    static func patientIdentifiers(_ p: Element) -> String {
        p.children("identifier").compactMap { i -> String? in
            guard let value = i.string("value") else { return nil }
            if i.string("system") == "http://fhir.nl/fhir/NamingSystem/bsn" { return e(value) + "^^^NLMINBIZA^NNNLD" }
            return e(value)
        }.joined(separator: "~")
    }

    /// PID-5 is required: without a name on record it is the explicit null `""`.
    static func name(_ p: Element) -> String {
        guard let n = p.children("name").first, n.string("family") != nil || !n.children("given").isEmpty else { return "\"\"" }
        let family = n.string("family") ?? ""
        let given = n.children("given").compactMap(\.value).joined(separator: " ")
        return e(family) + "^" + e(given)
    }

    static func sex(_ p: Element) -> String {
        switch p.string("gender") {
        case "female": return "F"
        case "male": return "M"
        case "other": return "O"
        default: return "U"
        }
    }

    /// ORC-12 / OBR-16: the ordering provider, its AGB code (or other identifier) first.
    static func orderingProvider(_ r: Element?) -> String {
        guard let r else { return "" }
        let id = r.child("identifier")?.string("value") ?? ""
        let authority = r.child("identifier")?.string("system") == "http://fhir.nl/fhir/NamingSystem/agb-z" ? "VEKTIS" : ""
        let display = r.string("display") ?? ""
        return e(id) + "^" + e(display) + "^^^^^^^" + authority
    }

    /// OBR-4: the LOINC code and its display.
    static func universalService(_ order: Element) -> String {
        let codings = order.child("code")?.children("coding") ?? []
        if let loinc = codings.first(where: { $0.string("system") == "http://loinc.org" }) {
            return e(loinc.string("code") ?? "") + "^" + e(loinc.string("display") ?? order.child("code")?.string("text") ?? "") + "^LN"
        }
        if let sct = codings.first(where: { $0.string("system") == "http://snomed.info/sct" }) {
            return e(sct.string("code") ?? "") + "^" + e(sct.string("display") ?? "") + "^SCT"
        }
        return "^" + e(order.child("code")?.string("text") ?? "")
    }

    /// SPM-4 (HL7 table 0487) and SPM-6 (table 0371): the SpecimenDefinition the order's
    /// ActivityDefinition names (`specimenRequirement`), or its item (the lupus anticoagulant:
    /// citrated plasma).
    static func specimen(_ order: Element, profiles: Profiles) -> (String, String)? {
        guard let canonical = order.string("instantiatesCanonical"), let activity = ActivityID(rawValue: String(canonical.split(separator: "/").last ?? "")),
              let ad = profiles.activityDefinition(activity) else { return nil }
        let orderCodes = Set((order.child("code")?.children("coding") ?? []).compactMap { $0.string("code") })
        var id = ad.children("specimenRequirement").first?.string("reference").map { String($0.split(separator: "/").last ?? "") }
        for ext in ad.children("extension") where ext.string("url")?.hasSuffix("/activity-item") == true {
            let parts = ext.children("extension")
            guard let code = parts.first(where: { $0.string("url") == "code" })?.child("valueCoding")?.string("code"), orderCodes.contains(code),
                  let specimen = parts.first(where: { $0.string("url") == "specimen" })?.string("valueCanonical") else { continue }
            id = String(specimen.split(separator: "/").last ?? "")
        }
        guard let id, let sd = profiles.resources["SpecimenDefinition/" + id] else { return nil }
        func coded(_ concept: Element?, _ system: String, _ table: String) -> String {
            guard let c = concept?.children("coding").first(where: { $0.string("system") == system }) else { return "" }
            return e(c.string("code") ?? "") + "^" + e(c.string("display") ?? "") + "^" + table
        }
        let type = coded(sd.child("typeCollected"), "http://terminology.hl7.org/CodeSystem/v2-0487", "HL70487")
        let additive = coded(sd.all("typeTested.container.additive.additiveCodeableConcept").first, "http://terminology.hl7.org/CodeSystem/v2-0371", "HL70371")
        return (type, additive)
    }
}
