import FHIR
import RPLGuideline

/// interface.md v3, "Earlier proposals that no longer hold": draft requests this program made for
/// this patient (its identifier system), from any episode, that the new evaluation does not make,
/// are withdrawn (ServiceRequest `revoked`, MedicationRequest `cancelled`); an earlier episode's
/// CarePlan is `revoked` and the new plan `replaces` it. Each withdrawal is the input resource
/// whole with its status and a note changed, `PUT` with `ifMatch` on its `meta.versionId`, in a
/// `batch` Bundle written after the transaction. Signed requests (`active`/`order`) are never
/// touched: a clinician owns them. Without a version (or a server id) nothing is sent: the plan
/// says what to withdraw by hand.
struct Withdrawals {
    /// The batch (nil when there is nothing to send).
    var batch: Element?
    /// Earlier CarePlans the new plan replaces (`Type/id`).
    var replaced: [String] = []
    /// What could not be withdrawn safely: a line each, for the plan's notes and standard error.
    var byHand: [Phrase] = []
    /// The draft requests that no longer hold and have a server id (not CarePlans), for a CDS card
    /// to offer to delete (a delete needs no version).
    var stale: [Adapter.StaleDraft] = []
    /// Those of them with no server id at all: a CDS card can only say so.
    var unnamed: [Phrase] = []
    /// This program's draft requests for her that the output makes again (identifier values):
    /// already in the record, so a CDS card does not offer to create them twice.
    var present: Set<String> = []

    /// `partners`: her partner's records (his orders are of her plan: withdrawn as hers are).
    /// `forCard`: what a CDS card needs only (`stale`, `unnamed`, `present`): CarePlans left alone
    /// (a card writes no plan to replace them), and no batch made.
    static func find(input: InputBundle, identities: Identities, patient: Int, partners: Set<Int> = [], profiles: Profiles, output: Element,
                     date: CalendarDate, correlation: Element?, wording: Wording = .builtInEnglish, forCard: Bool = false) -> Withdrawals {
        var made: Set<String> = []
        var newPlan: String?
        for entry in output.children("entry") {
            guard let r = entry.child("resource")?.resource else { continue }
            if let v = profiles.ownIdentifier(of: r) {
                made.insert(r.name + "|" + v)
                if r.name == "CarePlan" { newPlan = v }
            }
        }
        var result = Withdrawals()
        var entries: [Element] = []
        for index in input.items.indices where input.items[index].container == nil && !input.superseded.contains(index) {
            let item = input.items[index]
            let r = item.resource
            guard ["ServiceRequest", "MedicationRequest"].contains(item.type) || (item.type == "CarePlan" && !forCard),
                  let mine = profiles.ownIdentifier(of: r) else { continue }
            // Made again: the same order, whoever it is for (the partner's too).
            if made.contains(item.type + "|" + mine) {
                if item.type != "CarePlan" && r.string("status") == "draft" { result.present.insert(mine) }
                continue
            }
            // Hers, or her partner's (helper-40's review: his stale drafts stayed, two orders for him).
            guard isFor(patient, r, index, input: input, identities: identities)
                    || partners.contains(where: { isFor($0, r, index, input: input, identities: identities) }) else { continue }
            let status = r.string("status")
            let newStatus: String
            switch item.type {
            // A clinician owns anything signed: only a draft proposal is ours to withdraw.
            case "ServiceRequest": guard status == "draft" else { continue }; newStatus = "revoked"
            case "MedicationRequest": guard status == "draft" else { continue }; newStatus = "cancelled"
            default: guard status == "active" || status == "draft" else { continue }; newStatus = "revoked"
            }
            let name = identities.name(index)
            // A card's delete names the resource alone; the batch's PUT needs its version too.
            if item.type != "CarePlan" {
                if let server = input.serverId(index) {
                    result.stale.append(Adapter.StaleDraft(reference: server, what: r.requestText ?? name))
                } else {
                    result.unnamed.append("\(record: name) (\(record: mine)) no longer holds and has no server id to withdraw it by: withdraw it by hand")
                }
            }
            if forCard { continue }
            guard let version = r.child("meta")?.string("versionId"), let server = input.serverId(index) else {
                result.byHand.append("\(record: name) (\(record: mine)) no longer holds and has no server version to withdraw it safely: withdraw it by hand")
                continue
            }
            if item.type == "CarePlan" { result.replaced.append(server) }
            let why: Phrase = item.type != "CarePlan"
                ? "Withdrawn by rpl-adapter on \(date): the evaluation of \(date) no longer proposes this (the record changed)."
                : newPlan.map { "Withdrawn by rpl-adapter on \(date): replaced by the plan \(record: $0) (the record changed)." }
                    ?? "Withdrawn by rpl-adapter on \(date): replaced by the plan of a new evaluation (the record changed)."
            var changed = r
            for i in changed.children.indices where changed.children[i].name == "status" { changed.children[i].value = newStatus }
            let note = Element.complex("note", [.primitive("text", wording.text(why))])
            // R4 order: note sits before the elements after it; appended where the notes are, else at the end.
            if let last = changed.children.lastIndex(where: { $0.name == "note" }) { changed.children.insert(note, at: last + 1) }
            else { changed.children.insert(note, at: insertionPoint(for: "note", in: changed)) }
            entries.append(.complex("entry", [
                .primitive("fullUrl", item.fullUrl?.hasPrefix("http") == true ? item.fullUrl! : server),
                .wrapping("resource", changed),
                .complex("request", [.primitive("method", "PUT"), .primitive("url", server), .primitive("ifMatch", "W/\"\(version)\"")]),
            ]))
        }
        if !entries.isEmpty {
            var children: [Element] = []
            if let correlation { children.append(correlation) }
            children.append(.primitive("type", "batch"))
            result.batch = .resource("Bundle", children + entries)
        }
        return result
    }

    /// Whether a request or plan is the patient's: its subject resolves to her, or names her by
    /// the identifier that is her identity.
    static func isFor(_ patient: Int, _ r: Element, _ index: Int, input: InputBundle, identities: Identities) -> Bool {
        guard let subject = r.child("subject") else { return false }
        if let target = input.resolve(subject, from: index) { return target == patient }
        if let i = subject.child("identifier"), let key = identities.identifierKey(i) { return key == identities.personIdentifier(patient) }
        return false
    }

    /// Where `note` goes in R4 order (a CarePlan ends with it; a request has these after it).
    static func insertionPoint(for name: String, in r: Element) -> Int {
        let after: Set<String> = ["dosageInstruction", "dispenseRequest", "substitution", "priorPrescription", "detectedIssue", "eventHistory",
                                  "patientInstruction", "relevantHistory"]
        return r.children.firstIndex { after.contains($0.name) } ?? r.children.count
    }
}

extension Element {
    /// What a request asks for, in its own words: a ServiceRequest's `code.text`, a
    /// MedicationRequest's `medicationCodeableConcept.text`.
    public var requestText: String? { child("code")?.string("text") ?? child("medicationCodeableConcept")?.string("text") }
}
