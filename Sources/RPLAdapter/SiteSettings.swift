import FHIR
import RPLGuideline

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
    /// The requester as the lab needs them (their AGB code and name), typed.
    public var signer: OrderSet.Requester? { requester.map(OrderSet.Requester.init) }
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
    /// HL7 v2 PID-3: the assigning authority (CX.4) and identifier type (CX.5, table 0203; PI
    /// unless given) of a patient identifier system other than the BSN (`hl7v2AssigningAuthorities`).
    public var assigningAuthorities: [String: (authority: String, type: String)] = [:]
    /// The language of every text a clinician reads (issue 19): Dutch unless the site says
    /// otherwise (`language`, nl or en); `--language` overrides it per run.
    public var language = Wording.Language.nl

    public init() {}

    /// The names Parameters rpl-site may hold; any other is a misspelling and refused.
    static let known: Set<String> = ["requester", "performer", "requestStyle", "provenance", "hl7v2SendingApplication", "hl7v2SendingFacility",
                                     "hl7v2ReceivingApplication", "hl7v2ReceivingFacility", "hl7v2AssigningAuthorities",
                                     "patientIdentifierSystems", "language"]
    /// The ones a site's copy must give (a missing one would silently fall back to the program's
    /// own literal): the request style, Provenance, the HL7 v2 names. The requester, performers,
    /// assigning authorities and identifier systems may be absent (none configured).
    static let required: Set<String> = ["requestStyle", "provenance", "hl7v2SendingApplication", "hl7v2SendingFacility",
                                        "hl7v2ReceivingApplication", "hl7v2ReceivingFacility"]
    /// The ones that repeat (one per category / per system).
    static let repeating: Set<String> = ["performer", "hl7v2AssigningAuthorities", "patientIdentifierSystems"]

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
        var seen: [String: Int] = [:]
        for param in p?.children("parameter") ?? [] {
            let value = param.children.first { $0.name.hasPrefix("value") }
            let name = param.string("name") ?? ""
            guard known.contains(name) else {
                problems.append("Parameters-rpl-site.json: unknown parameter \(name.isEmpty ? "(no name)" : name); expected one of \(known.sorted().joined(separator: ", "))")
                continue
            }
            seen[name, default: 0] += 1
            if seen[name] == 2 && !repeating.contains(name) { problems.append("Parameters-rpl-site.json: \(name) is given more than once") }
            switch name {
            case "requester":
                if var r = reference(value, "requester") { r.name = "requester"; s.requester = r }
            case "performer":
                let parts = param.children("part")
                let category = parts.first { $0.string("name") == "category" }?.string("valueCode")
                let performer = reference(parts.first { $0.string("name") == "performer" }?.children.first { $0.name.hasPrefix("value") }, "performer")
                if let category, let performer {
                    if s.performers[category] != nil { problems.append("Parameters-rpl-site.json: two performers for category \(category)") }
                    s.performers[category] = performer
                }
                else if category == nil { problems.append("Parameters-rpl-site.json: a performer needs a part category (valueCode)") }
            case "hl7v2AssigningAuthorities":
                // One per identifier system: parts system (valueUri), authority (valueString, CX.4
                // namespace id: at most 20 characters), type (valueCode, CX.5, table 0203; PI unless given).
                let parts = param.children("part")
                func part(_ n: String) -> String? { parts.first { $0.string("name") == n }?.children.first { $0.name.hasPrefix("value") }?.value }
                for unknown in parts.compactMap({ $0.string("name") }) where !["system", "authority", "type"].contains(unknown) {
                    problems.append("Parameters-rpl-site.json: hl7v2AssigningAuthorities has an unknown part \(unknown); expected system, authority, type")
                }
                let delimiters = Set("|^~\\&")
                guard let system = part("system"), !system.isEmpty, let authority = part("authority"), !authority.isEmpty,
                      authority.count <= 20, !authority.contains(where: delimiters.contains) else {
                    problems.append("Parameters-rpl-site.json: hl7v2AssigningAuthorities needs parts system (valueUri) and authority (valueString, 1 to 20 characters, no HL7 delimiters)")
                    continue
                }
                let type = part("type") ?? "PI"
                guard (1...5).contains(type.count), type.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                    problems.append("Parameters-rpl-site.json: hl7v2AssigningAuthorities \(system): type \(type) is not an identifier type code (HL7 table 0203, e.g. PI, MR)")
                    continue
                }
                if ["http://fhir.nl/fhir/NamingSystem/bsn", "urn:oid:2.16.840.1.113883.2.4.6.3"].contains(system) {
                    problems.append("Parameters-rpl-site.json: hl7v2AssigningAuthorities \(system): the BSN is always NLMINBIZA/NNNLD; not configurable")
                } else if s.assigningAuthorities[system] != nil {
                    problems.append("Parameters-rpl-site.json: hl7v2AssigningAuthorities \(system) is given more than once")
                }
                s.assigningAuthorities[system] = (authority, type)
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
            case "language":
                if let v = value?.value, value?.name == "valueCode", let language = Wording.Language(rawValue: v) { s.language = language }
                else { problems.append("Parameters-rpl-site.json: language is \(value?.value ?? "missing"); expected a valueCode nl or en") }
            default: break
            }
        }
        for missing in required.subtracting(seen.keys).sorted() {
            problems.append("Parameters-rpl-site.json: \(missing) is missing (give it, empty where the site has none)")
        }
        return (s, problems)
    }
}
