import FHIR
import RPLAdapter
import RPLGuideline

/// CDS Hooks cards (interface.md v3, serve): a writer beside the FHIR transaction and HL7 v2,
/// reading the plan and the resources its writers made (`Adapter.Result.written`), never the
/// transaction back.
enum Cards {
    static let disclaimer: Phrase = "Decision support by rpl-adapter \(record: Adapter.version): a clinician decides; nothing is ordered until a clinician signs it."

    static func source(_ profiles: Profiles, _ wording: Wording) -> JSONOut {
        .object([
            ("label", .string(wording.text("NVOG card Recurrent Pregnancy Loss (ESHRE 2018, updates 2022)"))),
            ("topic", .object([("system", .string(profiles.planDefinitionURL)), ("code", .string("rpl-guideline")),
                               ("display", .string(wording.text("Recurrent pregnancy loss: work-up and treatment")))])),
        ])
    }

    /// A sentence cut to fit a card summary (under 140 characters).
    static func summary(_ s: String) -> String {
        s.count < 140 ? s : String(s.prefix(138)) + "…"
    }

    /// `patient-view`: one card summarising the plan, with one suggestion per order or proposal.
    static func patientView(_ result: Adapter.Result, profiles: Profiles, wording w: Wording) -> [JSONOut] {
        guard let plan = result.plan, plan.indicated else { return [] }
        let t = w.text
        func what(_ w: Written) -> String { w.resource.requestText ?? w.recommendation.ruleId.rawValue }
        // Those the record already holds as this program's drafts are not offered again (a create
        // taken twice is two orders; helper-39's trial).
        var requests: [Written] = [], drafted: [Written] = []
        for w in result.written where ["ServiceRequest", "MedicationRequest"].contains(w.resource.name) {
            if profiles.ownIdentifier(of: w.resource).map(result.alreadyDrafted.contains) == true { drafted.append(w) } else { requests.append(w) }
        }
        let signable = requests.filter { $0.resource.string("intent") == "order" }.count
        func count(_ n: Int, _ one: Phrase, _ many: Phrase) -> Phrase { n == 1 ? one : many }
        let proposals = requests.count - signable
        var parts: [Phrase] = signable > 0
            ? ["\(count(signable, "1 order to sign", "\(signable) orders to sign")), \(count(proposals, "1 proposal", "\(proposals) proposals"))"]
            : requests.isEmpty && !(drafted.isEmpty && result.staleDrafts.isEmpty) ? [] : [count(requests.count, "1 proposal", "\(requests.count) proposals")]
        if !drafted.isEmpty { parts.append(count(drafted.count, "1 already drafted", "\(drafted.count) already drafted")) }
        if !result.staleDrafts.isEmpty { parts.append(count(result.staleDrafts.count, "1 to withdraw", "\(result.staleDrafts.count) to withdraw")) }
        let counts = parts.dropFirst().reduce(parts[0]) { "\($0), \($1)" }
        var detail = "**\(t(plan.indication))**\n\n"
        for rec in plan.recommendations {
            // The card's English rendering only in English (the Dutch quote stands alone in Dutch).
            let english = w.language == .en ? " (\(rec.cardLine.english))" : ""
            // A request in the record the card does not recommend is named as `apply` flags it
            // (helper-39's trial: an open homocysteine order went unmentioned).
            let flag = rec.kind == .flag ? " — NIET AANBEVOLEN" : ""
            // "card" in the plan's language, as `apply` labels it (helper-43's trial: "kaart" in English cards).
            detail += "- **\(rec.ruleId)**\(flag): \(t(rec.reason)) — \(t("card")): \(rec.cardLine.quoted)\(english)\n"
        }
        if !plan.notes.isEmpty { detail += "\n" + plan.notes.map { "- " + t($0) }.joined(separator: "\n") + "\n" }
        if !drafted.isEmpty {
            // His named as his (two "Karyotyping of both parents" are hers and his).
            let names = drafted.map { $0.recommendation.forPartner ? t("\(record: what($0)) of the partner") : what($0) }
            detail += "\n" + t("Already in the record as drafts, not suggested again: \(record: names.joined(separator: "; ")).") + "\n"
        }
        for stale in result.staleDrafts {
            detail += "\n" + t("No longer in the plan (the record changed): \(record: stale.what), \(record: stale.reference); a suggestion withdraws it.") + "\n"
        }
        for line in result.warningPhrases.map({ w.text(Wording.inputWarning($0)) }).sorted() { detail += "\n" + line }
        detail += "\n\n---\n\(Card.source)\n\n\(t(disclaimer))"
        var suggestions: [JSONOut] = requests.map { w in
            let what = what(w)
            let order = w.resource.string("intent") == "order"
            return .object([
                // The partner's named as his (helper-39's trial: two "Karyotyping of both parents"
                // labels, hers and his, could not be told apart).
                ("label", .string(t(w.recommendation.forPartner
                    ? (order ? "Order for the partner: \(record: what)" : "Propose for the partner: \(record: what)")
                    : (order ? "Order: \(record: what)" : "Propose: \(record: what)")))),
                ("uuid", .string(w.id)),
                ("isRecommended", .bool(true)),
                ("actions", .array([.object([
                    ("type", .string("create")),
                    ("description", .string(t(order ? "Order \(record: what) (\(w.recommendation.ruleId)), as a draft for a clinician to sign"
                                                    : "Propose \(record: what) (\(w.recommendation.ruleId)), as a draft for a clinician to sign"))),
                    ("resource", .resource(w.resource)),
                ])])),
            ])
        }
        // interface.md v3 (earlier proposals that no longer hold), as `apply` withdraws them.
        suggestions += result.staleDrafts.map { stale in
            removal(stale.reference, id: DeterministicID.uuid("withdraw=" + stale.reference), why: "no longer in the plan (the record changed)", w,
                    label: "Withdraw: \(record: stale.what)")
        }
        var card: [(String, JSONOut)] = [
            // Its identity from meaning: the English indication, whatever the language.
            ("uuid", .string(DeterministicID.uuid("card=patient-view|" + result.written.map(\.id).sorted().joined(separator: ",") + "|" + plan.indication.operatorText))),
            ("summary", .string(summary(t("Recurrent pregnancy loss: \(record: t(plan.indication).split(separator: ":").first.map(String.init) ?? ""); \(counts)")))),
            ("detail", .string(detail)),
            ("indicator", .string("info")),
            ("source", source(profiles, w)),
        ]
        if !suggestions.isEmpty {
            card += [("suggestions", .array(suggestions)), ("selectionBehavior", .string("any"))]
        }
        return [.object(card)]
    }

    /// `order-sign` / `order-select`: a warning card for each judged draft the card does not
    /// recommend (a suggestion to delete it, override reasons), an info card for a judged draft
    /// that repeats an open request; nothing for drafts that are fine.
    /// (With the partner's records unread, NR-KARYOTYPE's flag itself says so: RPLGuideline.)
    static func orders(_ result: Adapter.Result, judged: [String], drafts: Set<String>,
                       profiles: Profiles, wording: Wording) -> [(card: JSONOut, rule: String)] {
        guard result.plan?.indicated == true else { return [] }
        let t = wording.text
        var cards: [(card: JSONOut, rule: String)] = []
        let judgedSet = Set(judged)
        for w in result.written where w.recommendation.kind == .flag {
            guard let draft = w.implicated, judgedSet.contains(draft) else { continue }
            let line = w.recommendation.cardLine
            cards.append((.object([
                ("uuid", .string(w.id)),
                // The card's item and the draft, not the sender's words for it (a cosmetic resend
                // gives the same card); the detail names the code recognised.
                ("summary", .string(summary(t("Not recommended by the RPL card (\(w.recommendation.ruleId)): \(record: w.recommendation.item.map { $0 + ", " } ?? "")\(record: draft)")))),
                ("detail", .string("**\(w.recommendation.ruleId)** — NIET AANBEVOLEN: \(line.quoted)\n\n" + (wording.language == .en ? "(\(line.english))\n\n" : "") + t(w.recommendation.reason)
                    + "\n\n---\n\(Card.source)\n\n\(t(disclaimer))")),
                ("indicator", .string("warning")),
                ("source", source(profiles, wording)),
                // Its own uuid: feedback tells the card from the suggestion taken.
                ("suggestions", .array([removal(draft, id: DeterministicID.uuid("suggestion=" + w.id), why: "not recommended by the card (\(w.recommendation.ruleId))", wording)])),
                ("selectionBehavior", .string("at-most-one")),
                ("overrideReasons", .array(overrideReasons(profiles, wording))),
            ]), w.recommendation.ruleId.rawValue))
        }
        // A draft for what the record already requests (open: draft, active, on hold).
        for draft in judged {
            guard let mine = result.requested.first(where: { $0.reference == draft }) else { continue }
            guard let open = result.requested.first(where: { r in
                r.reference != nil && !drafts.contains(r.reference!) && sameTest(r, mine)
            }) else { continue }
            let id = DeterministicID.uuid("card=repeat|\(draft)|\(open.reference!)")
            cards.append((.object([
                ("uuid", .string(id)),
                ("summary", .string(summary(t("Already requested: \(record: open.reference!) asks for the same test as this draft")))),
                ("detail", .string(t("The draft \(record: draft) repeats the open request \(record: open.reference!) (\(record: mine.activity.rawValue + (mine.item.map { ", " + $0 } ?? ""))).") + "\n\n\(t(disclaimer))")),
                ("indicator", .string("info")),
                ("source", source(profiles, wording)),
                ("suggestions", .array([removal(draft, id: DeterministicID.uuid("suggestion=" + id), why: "the record already requests it", wording)])),
                ("selectionBehavior", .string("at-most-one")),
            ]), "repeat"))
        }
        return cards
    }

    /// Drafts the FHIR reader refused (not FHIR R4 as written): not judged, and said so.
    static func unread(_ problems: [String], profiles: Profiles, wording: Wording) -> [JSONOut] {
        guard !problems.isEmpty else { return [] }
        let t = wording.text
        return [.object([
            ("uuid", .string(DeterministicID.uuid("card=unread|" + problems.joined(separator: "|")))),
            ("summary", .string(summary(t(problems.count == 1 ? "1 draft order could not be read and was not checked against the card"
                                                              : "\(problems.count) draft orders could not be read and were not checked against the card")))),
            // The reader's messages are for operators: English (issue 19).
            ("detail", .string(t("Not valid FHIR R4 as sent, so not judged:") + "\n\n" + problems.map { "- " + $0 }.joined(separator: "\n") + "\n\n\(t(disclaimer))")),
            ("indicator", .string("info")),
            ("source", source(profiles, wording)),
        ])]
    }

    static func sameTest(_ a: Requested, _ b: Requested) -> Bool {
        let family: Set<ActivityID> = [.aplTesting, .aplRepeat]
        let sameActivity = a.activity == b.activity || (family.contains(a.activity) && family.contains(b.activity))
        return sameActivity && (a.item == nil || b.item == nil || a.item == b.item)
    }

    static func removal(_ draft: String, id: String, why: Phrase, _ wording: Wording, label: Phrase = "Remove this draft order") -> JSONOut {
        .object([
            ("label", .string(wording.text(label))),
            ("uuid", .string(id)),
            ("actions", .array([.object([
                ("type", .string("delete")),
                ("description", .string(wording.text("Remove the draft \(record: draft): \(why)"))),
                ("resourceId", .string(draft)),
            ])])),
        ])
    }

    /// The override reasons of `CodeSystem-rpl-override-reason` (Profiles), each with its display.
    static func overrideReasons(_ profiles: Profiles, _ wording: Wording) -> [JSONOut] {
        guard let cs = profiles.resources["CodeSystem/rpl-override-reason"], let system = cs.string("url") else { return [] }
        return cs.children("concept").compactMap { c in
            guard let code = c.string("code"), let display = c.string("display") else { return nil }
            return .object([("system", .string(system)), ("code", .string(code)), ("display", .string(wording.text(Phrase(template: display))))])
        }
    }
}
