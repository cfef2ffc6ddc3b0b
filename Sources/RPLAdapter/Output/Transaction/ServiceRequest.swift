import FHIR
import RPLGuideline

/// A ServiceRequest per order: signed or a proposal, on the requisition, for the patient or her
/// partner; its signed laboratory orders also typed into the OrderSet. (The transaction's
/// writers: one file per resource type.)
extension PlanEmitter {
    static let laboratory = "108252007", imaging = "363679005"

    /// Whether an activity's request category holds `code` (any of its codings: one decision for
    /// the requisition, the signing and the lab order).
    func inCategory(_ activityId: ActivityID, _ code: String) -> Bool {
        profiles.catalogue.categoryCodes(of: activityId).contains(code)
    }

    /// interface.md v2, who signs: with a requester configured, laboratory and imaging orders for
    /// the patient are signed orders; karyotyping (it needs consent), medications, referrals and
    /// anything for the partner stay proposals, as does everything when no requester is configured.
    func signed(_ activityId: ActivityID) -> Bool {
        guard site.requester != nil else { return false }
        return (inCategory(activityId, Self.laboratory) || inCategory(activityId, Self.imaging)) && activityId != .parentalKaryotyping
    }

    /// reasonCode of every generated ServiceRequest (interface.md v2).
    static let reasonCode = Element.complex("reasonCode", [
        .complex("coding", [.primitive("system", "http://snomed.info/sct"), .primitive("code", "102878001"), .primitive("display", "Recurrent miscarriage")]),
    ])

    func category(_ activityId: ActivityID) -> Element? { profiles.catalogue.categories[activityId] }

    /// An order: a ServiceRequest (signed or a proposal, on the laboratory requisition, for the
    /// patient or her partner).
    func serviceRequest(_ rec: Recommendation, id: String, activityId: ActivityID, item: String?, notBefore: CalendarDate?, _ run: Run, _ out: inout Emission) {
        var children: [Element] = [
            .primitive("id", id),
            identifier(id),
            .primitive("instantiatesCanonical", profiles.activityDefinitionURL(activityId)),
        ] + basedOn(run)
        let partner = partnerIndex(rec)
        // interface.md v2: the laboratory orders of one person in one run share one requisition.
        if inCategory(activityId, Self.laboratory) {
            let value = partner.map { uuid([("patient", identities.of($0)), ("episode", run.episode), ("requisition", "laboratory")]) } ?? run.requisition
            children.append(.complex("requisition", [.primitive("system", profiles.identifierSystem), .primitive("value", "urn:uuid:" + value)]))
        }
        // Anything for the partner stays a proposal.
        let isSigned = partner == nil && signed(activityId)
        // A suggestion is an order for the clinician to sign: still a draft.
        children += [.primitive("status", isSigned && !form.isSuggestion ? "active" : "draft"), .primitive("intent", isSigned ? "order" : "proposal")]
        if let c = category(activityId) { children.append(c) }
        children.append(.primitive("priority", "routine"))
        var code = concept(activityId, item: item)
        code.name = "code"
        children.append(code)
        if let partner {
            children.append(subject(partner))
            if let e = personEntry(partner), !out.partnerEntries.contains(e) { out.partnerEntries.append(e) }
        } else {
            children.append(subject)
        }
        if let due = notBefore {
            children.append(.complex("occurrencePeriod", [.primitive("start", due.description)]))
        }
        children.append(.primitive("authoredOn", run.authored))
        if isSigned, let requester = site.requester { children.append(requester) }
        // The performing department of the first of its categories that has one configured.
        if var performer = profiles.catalogue.categoryCodes(of: activityId).lazy.compactMap({ self.site.performers[$0] }).first {
            performer.name = "performer"
            children.append(performer)
        }
        children.append(Self.reasonCode)
        let (references, unnamed, other) = reasons(rec)
        children += references
        let noted = note(rec, unnamed: unnamed, other: other)
        children.append(noted)
        if isSigned && inCategory(activityId, Self.laboratory), let requester = site.requester {
            // What a lab acts on, typed for the HL7 v2 writer (interface.md v2).
            let codings = code.children("coding").map(OrderSet.Coding.init)
            out.orderSet.labOrders.append(OrderSet.LabOrder(
                identifier: "urn:uuid:" + id, requisition: "urn:uuid:" + run.requisition,
                codings: codings, text: code.string("text"), notBefore: notBefore, note: noted.string("text") ?? "",
                requester: OrderSet.Requester(requester),
                specimen: profiles.catalogue.specimen(of: activityId, codes: Set(codings.compactMap(\.code)))))
        }
        let resource = Element.resource("ServiceRequest", children)
        out.write(rec, id: id, resource, activity: true)
    }
}
