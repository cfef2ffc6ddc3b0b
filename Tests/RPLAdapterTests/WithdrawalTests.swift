import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// interface.md v3, "Earlier proposals that no longer hold": this program's draft proposals that a
/// new evaluation does not make again are withdrawn in a batch after the transaction; signed
/// orders never. The earlier output is put back into the input as a FHIR server would return it
/// (server ids, a version), as an EHR that stored it sends the record again.
@Suite(.serialized) struct WithdrawalTests {
    func typical() -> S {
        var s = S()
        s.add(S.tsh("4.6"))
        return s
    }

    /// The requests and plan of an earlier output as the server holds them: `Type/id`, version 3.
    func stored(_ out: Outcome, version: String? = "3", signing: Set<String> = []) -> [Element] {
        var n = 0
        return (out.resources("ServiceRequest") + out.resources("MedicationRequest") + out.resources("CarePlan")).map { r in
            n += 1
            var r = r
            r.children.removeAll { $0.name == "id" || $0.name == "subject" || $0.name == "requester" }
            var head: [Element] = [.primitive("id", "earlier-\(n)")]
            if let version { head.append(.complex("meta", [.primitive("versionId", version)])) }
            r.children.insert(contentsOf: head, at: 0)
            if signing.contains(r.name) {
                r.children = r.children.map { c in
                    var c = c
                    if c.name == "status" { c.value = "active" } else if c.name == "intent" { c.value = "order" }
                    return c
                }
            }
            // The subject where R4 puts it (after the code, before the dates): the Scenario names her.
            let at = r.children.firstIndex { ["encounter", "occurrenceDateTime", "authoredOn", "period", "created"].contains($0.name) } ?? r.children.count
            r.children.insert(S.subject, at: at)
            return r
        }
    }

    func batch(_ s: S) throws -> (Outcome, Element?) {
        let bytes = try JSONWriter().write(s.bundle())
        let input = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in try Adapter.read(b, as: .json) }
        let result = try Adapter(profiles: InProcess.profiles, language: .en).apply(input, asOf: CalendarDate(fhir: "2026-11-02"))
        if let w = result.withdrawals {
            // Kept for the schema check (scripts/validate-output.sh), as every apply output is.
            try? FileManager.default.createDirectory(at: InProcess.outputs, withIntermediateDirectories: true)
            try Data(JSONWriter().write(w)).write(to: InProcess.outputs.appendingPathComponent("withdrawals-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).json"))
        }
        return (InProcess.apply(bytes: bytes, format: .json, asOf: "2026-11-02"), result.withdrawals)
    }

    @Test func theSameRecordWithItsEarlierProposalsWithdrawsNothingAndChangesNothing() throws {
        let first = try InProcess.apply(typical())
        var again = typical()
        for r in stored(first) { again.add(r) }
        let (out, withdrawals) = try batch(again)
        #expect(withdrawals == nil)
        // Its own proposals are not "already requested": the same orders, the same ids.
        #expect(Set(first.resources("ServiceRequest").compactMap { $0.string("id") }) == Set(out.resources("ServiceRequest").compactMap { $0.string("id") }))
    }

    @Test func aNewEpisodeWithdrawsTheEarlierDraftsAndReplacesThePlan() throws {
        let first = try InProcess.apply(typical())
        var later = typical()
        later.fullUrls = "server"  // as the server returns the record: http full URLs, server ids
        // The second loss was entered in error: one loss, no plan at all now.
        later.resources.removeAll { $0.string("id") == "loss-2" }
        for r in stored(first) { later.add(r) }
        let (out, withdrawals) = try batch(later)
        #expect(out.resources("CarePlan").isEmpty)
        let b = try #require(withdrawals)
        #expect(b.string("type") == "batch")
        let entries = b.children("entry")
        #expect(entries.count == first.resources("ServiceRequest").count + first.resources("CarePlan").count + first.resources("MedicationRequest").count)
        for e in entries {
            let r = try #require(e.child("resource")?.resource)
            let expected = ["ServiceRequest": "revoked", "MedicationRequest": "cancelled", "CarePlan": "revoked"][r.name]
            #expect(r.string("status") == expected)
            #expect(e.child("request")?.string("method") == "PUT")
            #expect(e.child("request")?.string("ifMatch") == "W/\"3\"")
            #expect(e.child("request")?.string("url")?.hasPrefix(r.name + "/earlier-") == true)
            #expect(r.children("note").last?.string("text")?.hasPrefix("Withdrawn by rpl-adapter") == true)
        }
        // The batch answers the same input as the transaction.
        #expect(b.child("identifier") != nil && b.child("identifier") == out.bundle?.child("identifier"))
    }

    @Test func aNewLossGivesAPlanThatReplacesTheEarlierOne() throws {
        let first = try InProcess.apply(typical())
        var later = typical()
        later.fullUrls = "server"  // as the server returns the record: http full URLs, server ids
        later.add(S.condition("loss-3", S.sct, "17369002", onset: "2026-09-01"))
        for r in stored(first) { later.add(r) }
        let (out, withdrawals) = try batch(later)
        let plan = try #require(out.resources("CarePlan").first)
        let old = try #require(withdrawals?.children("entry").first { $0.child("resource")?.resource?.name == "CarePlan" })
        #expect(plan.children("replaces").compactMap { $0.string("reference") } == [old.child("request")?.string("url")])
    }

    @Test func signedOrdersAreNeverTouched() throws {
        let first = try InProcess.apply(typical())
        var later = typical()
        later.fullUrls = "server"  // as the server returns the record: http full URLs, server ids
        later.resources.removeAll { $0.string("id") == "loss-2" }
        for r in stored(first, signing: ["ServiceRequest"]) { later.add(r) }
        let (_, withdrawals) = try batch(later)
        let names = withdrawals?.children("entry").compactMap { $0.child("resource")?.resource?.name } ?? []
        #expect(!names.contains("ServiceRequest"))
        #expect(names.contains("CarePlan"))
    }

    @Test func withoutAVersionNothingIsSentAndThePlanSaysSo() throws {
        let first = try InProcess.apply(typical())
        var later = typical()
        later.fullUrls = "server"  // as the server returns the record: http full URLs, server ids
        later.add(S.condition("loss-3", S.sct, "17369002", onset: "2026-09-01"))
        for r in stored(first, version: nil) { later.add(r) }
        let (out, withdrawals) = try batch(later)
        #expect(withdrawals == nil)
        #expect(out.stderr.contains("withdraw it by hand"))
        #expect(out.resources("CarePlan").first?.children("note").contains { $0.string("text")?.contains("withdraw it by hand") == true } == true)
    }
}
