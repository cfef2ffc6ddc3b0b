import FHIR
import RPLGuideline

/// The patient and her partner as the transaction carries them (a conditional create on her
/// identity), and how a request names its person. (The transaction's writers: one file per
/// resource type.)
extension PlanEmitter {
    /// The patient as the transaction carries her (interface.md v2: the lab receives name, birth
    /// date and sex): a conditional create on her identifier; none where the input gave a server
    /// id (then the reference is `Patient/<id>`) or no identifier.
    var patientEntry: Element? { personEntry(patient) }

    /// A person (the patient, or the partner a karyotyping order names) as a Patient entry.
    func personEntry(_ index: Int) -> Element? {
        let p = input.items[index].resource
        guard !(p.name == "Patient" && input.serverId(index) != nil) else { return nil }
        // interface.md v3: the person by her identity (her BSN wherever it stands), never the
        // first identifier by position.
        guard let identity = identities.personIdentifier(index) else { return nil }
        let keep: Set<String> = ["identifier", "active", "name", "telecom", "gender", "birthDate", "address"]
        let id = uuid([("patient", identities.of(index)), ("resource", "Patient")])
        // Element ids of the input (`_given: [{"id": …}]`) mean nothing in another system: dropped;
        // extensions (Dutch name parts) are kept.
        func withoutElementIds(_ e: Element) -> Element {
            var e = e
            e.children = e.children.filter { !(e.value != nil && $0.name == "id") }.map(withoutElementIds)
            return e
        }
        // Identifiers as one spelling, sorted (the identity first): their order and OID spellings
        // in the record change nothing.
        func canonicalIdentifier(_ e: Element) -> Element {
            // system, value and use: what identifies (a type's codes and words are the sender's).
            var e = withoutElementIds(e)
            e.children = e.children.filter { ["use", "system", "value"].contains($0.name) }
            for i in e.children.indices where e.children[i].name == "system" || e.children[i].name == "value" {
                if let v = e.children[i].value { e.children[i].value = e.children[i].name == "system" ? Terminology.canonicalSystem(v) : Terminology.trimmed(v) }
            }
            return e
        }
        let identifiers = p.children("identifier").map(canonicalIdentifier).sorted { a, b in
            let ka = identities.identifierKey(a) ?? "~", kb = identities.identifierKey(b) ?? "~"
            return ((ka == identity ? 0 : 1), ka) < ((kb == identity ? 0 : 1), kb)
        }
        // Extensions on an address (Synthea's geolocation) are not the lab's business.
        var kept = p.children.filter { keep.contains($0.name) && $0.name != "identifier" }.map(withoutElementIds).map { e in
            var e = e
            if e.name == "address" { e.children.removeAll { $0.name == "extension" } }
            return e
        }
        kept.insert(contentsOf: identifiers, at: 0)
        let resource = Element.resource("Patient", [.primitive("id", id)] + kept)
        let request = self.request("Patient", id, conditional: ("POST", "Patient", "identifier=" + identity))
        return .complex("entry", [.primitive("fullUrl", "urn:uuid:" + id), .wrapping("resource", resource), request])
    }

    var subject: Element { subject(patient) }

    /// How an order names its person: the Patient entry made for them, their server id, else a display.
    func subject(_ index: Int) -> Element {
        // A contained CarePlan creates no Patient: it names her as the input does.
        if form == .transaction, let entry = personEntry(index), let url = entry.string("fullUrl") { return .complex("subject", [.primitive("reference", url)]) }
        // A RelatedPerson is no subject R4 allows (Patient, Group, Location, Device): where no
        // Patient is created for him, he is named as a Patient by his identity (helper-39's trial:
        // a CDS suggestion named RelatedPerson/rp-1, which an EHR that validates refuses).
        if input.items[index].type == "RelatedPerson", let identity = identities.personIdentifier(index) {
            let parts = identity.split(separator: "|", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                return .complex("subject", [.primitive("type", "Patient"),
                                            .complex("identifier", [.primitive("system", parts[0]), .primitive("value", parts[1])])])
            }
        }
        return reference("subject", index)
    }

    /// The partner a recommendation is for (the last of its sources that is not the patient's: the
    /// rule adds him last).
    func partnerIndex(_ rec: Recommendation) -> Int? {
        guard rec.forPartner else { return nil }
        return rec.sources.map(\.index).last { ["RelatedPerson", "Patient"].contains(input.items[$0].type) && $0 != patient }
    }
}
