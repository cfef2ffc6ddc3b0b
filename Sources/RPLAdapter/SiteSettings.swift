import FHIR

/// A site's settings (interface.md v2, `Profiles/Parameters-rpl-site.json`): who signs the orders,
/// who performs them, how a transaction names what it creates, and the HL7 v2 names. The built-in
/// copy has no requester: every order is then a proposal for a clinician to sign.
public struct SiteSettings: Sendable {
    public enum RequestStyle: String, Sendable {
        /// Requests `POST` with `ifNoneExist`; the CarePlan a conditional update; the Patient a
        /// conditional create.
        case conditional
        /// Every resource `PUT <type>/<id>` (servers without conditional operations).
        case put
    }

    /// The ordering clinician, a Reference (by identifier, e.g. an AGB code). With one, the
    /// laboratory and imaging orders for the patient are `active` / `order`.
    public var requester: Element?
    /// The performing department per request category (the SNOMED code of the ActivityDefinition's
    /// request category: 108252007 laboratory, 363679005 imaging), a Reference.
    public var performers: [String: Element] = [:]
    public var requestStyle = RequestStyle.conditional
    /// Provenance as `PUT Provenance/<id>`; off for servers that refuse client-assigned ids.
    public var provenance = true
    public var sendingApplication = "RPL-ADAPTER"
    public var sendingFacility = ""
    public var receivingApplication = ""
    public var receivingFacility = ""
    /// interface.md v3: the patient's identity without a BSN is her identifier in the first of
    /// these systems that she has (so a second MRN changes nothing).
    public var patientIdentifierSystems: [String] = []

    public init() {}

    /// `--requester SYSTEM|VALUE`: a Practitioner by identifier.
    public static func requester(_ text: String) -> Element? {
        let parts = text.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return .complex("requester", [.primitive("type", "Practitioner"),
                                      .complex("identifier", [.primitive("system", String(parts[0])), .primitive("value", String(parts[1]))])])
    }

    /// Reads Parameters rpl-site; every problem is returned (a site fixes its copy in one round).
    static func read(_ p: Element?) -> (SiteSettings, [String]) {
        var s = SiteSettings()
        var problems: [String] = []
        func reference(_ e: Element?, _ what: String) -> Element? {
            guard var r = e, r.name == "valueReference",
                  r.child("reference") != nil || (r.child("identifier")?.string("system") != nil && r.child("identifier")?.string("value") != nil) else {
                problems.append("Parameters-rpl-site.json: \(what) must be a valueReference with a reference or an identifier (system and value)")
                return nil
            }
            r.name = "Reference"
            return r
        }
        for param in p?.children("parameter") ?? [] {
            let value = param.children.first { $0.name.hasPrefix("value") }
            switch param.string("name") {
            case "requester":
                if var r = reference(value, "requester") { r.name = "requester"; s.requester = r }
            case "performer":
                let parts = param.children("part")
                let category = parts.first { $0.string("name") == "category" }?.string("valueCode")
                let performer = reference(parts.first { $0.string("name") == "performer" }?.children.first { $0.name.hasPrefix("value") }, "performer")
                if let category, let performer { s.performers[category] = performer }
                else if category == nil { problems.append("Parameters-rpl-site.json: a performer needs a part category (valueCode)") }
            case "requestStyle":
                if let v = value?.value, let style = RequestStyle(rawValue: v) { s.requestStyle = style }
                else { problems.append("Parameters-rpl-site.json: requestStyle is \(value?.value ?? "missing"); expected conditional or put") }
            case "provenance":
                if let v = value?.value, v == "true" || v == "false" { s.provenance = v == "true" }
                else { problems.append("Parameters-rpl-site.json: provenance must be a valueBoolean") }
            case "hl7v2SendingApplication": s.sendingApplication = value?.value ?? ""
            case "hl7v2SendingFacility": s.sendingFacility = value?.value ?? ""
            case "hl7v2ReceivingApplication": s.receivingApplication = value?.value ?? ""
            case "hl7v2ReceivingFacility": s.receivingFacility = value?.value ?? ""
            case "patientIdentifierSystems":
                if let v = value?.value, value?.name == "valueUri" { s.patientIdentifierSystems.append(Terminology.canonicalSystem(v)) }
                else { problems.append("Parameters-rpl-site.json: patientIdentifierSystems must be a valueUri (one parameter per system, in order of preference)") }
            default: break
            }
        }
        return (s, problems)
    }
}
