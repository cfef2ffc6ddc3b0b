import FHIR
import Foundation
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

/// A new user's third trial of the readers (differential, old against new reader: 29,532 inputs,
/// no difference) found things both readers did, each here with an input of its own.
@Suite struct ReaderTrialThreeTests {
    static func apply(_ bundle: Element, format: FHIRFormat = .json) throws -> Outcome {
        let bytes = format == .json ? try JSONWriter().write(bundle) : try XMLWriter().write(bundle)
        return InProcess.apply(bytes: bytes, format: format, asOf: "2026-11-02")
    }

    /// A copy of `s`'s Bundle with its resources in reverse entry order.
    static func reversed(_ s: Scenario) -> Element {
        var b = s.bundle()
        let entries = b.children.filter { $0.name == "entry" }
        b.children.removeAll { $0.name == "entry" }
        b.children += entries.reversed()
        return b
    }

    @Test func theNewestThyroidResultIsTheLatestInstantWhateverTheEntryOrder() throws {
        // A TSH at 09:31 is newer than one at 09:30 of the same day, whichever entry comes first.
        var s = S()
        s.add(S.tsh("6.1", id: "tsh-0930", date: "2026-10-20T09:30:00+01:00"))
        s.add(S.tsh("2.0", id: "tsh-0931", date: "2026-10-20T09:31:00+01:00"))
        for bundle in [s.bundle(), Self.reversed(s)] {
            let c = try FactContext(input: InputBundle(bundle), profiles: InProcess.profiles, date: FactRun.date)
            var f = Facts(evaluationDate: FactRun.date)
            Thyroid.read(c, into: &f)
            #expect(f.tsh?.value == 2.0 && f.tsh?.classification == .normal)
        }
        // Instants, not clock readings: 10:00+02:00 is 08:00Z, before 09:00Z.
        var z = S()
        z.add(S.tsh("6.1", id: "tsh-a", date: "2026-10-20T10:00:00+02:00"))
        z.add(S.tsh("2.0", id: "tsh-b", date: "2026-10-20T09:00:00Z"))
        #expect(try FactRun.read(z, [Thyroid.self]).facts.tsh?.value == 2.0)
        // A fraction of a second is later than the whole second.
        var fr = S()
        fr.add(S.tsh("2.0", id: "tsh-a", date: "2026-10-20T09:00:00.5Z"))
        fr.add(S.tsh("6.1", id: "tsh-b", date: "2026-10-20T09:00:00Z"))
        #expect(try FactRun.read(fr, [Thyroid.self]).facts.tsh?.value == 2.0)
    }

    @Test func resultsOfOneMomentThatDisagreeAreNeitherUsed() throws {
        // Two free T4 at one instant, one low and one normal: which entry comes first decided
        // between RPL-LEVOTHYROXINE and RPL-SUBCLINICAL.
        var s = S()
        s.add(S.tsh("6.1", date: "2026-10-20"))
        s.add(S.freeT4("8.0", id: "ft4-low", date: "2026-10-21T08:00:00Z"))
        s.add(S.freeT4("15.0", id: "ft4-normal", date: "2026-10-21T09:00:00+01:00"))
        var outputs: [[UInt8]] = []
        for bundle in [s.bundle(), Self.reversed(s)] {
            let c = try FactContext(input: InputBundle(bundle), profiles: InProcess.profiles, date: FactRun.date)
            var f = Facts(evaluationDate: FactRun.date)
            Thyroid.read(c, into: &f)
            #expect(f.freeT4 == nil)
            let warnings = c.orderedWarnings.map(\.description)
            #expect(warnings.count == 2 && warnings.allSatisfy { $0.contains("disagrees with") && $0.contains("neither is used") }, "\(warnings)")
            let out = try Self.apply(bundle)
            #expect(out.status == 0)
            // With no usable free T4 after a high TSH: free T4 is ordered again, nothing proposed.
            #expect(out.requests("thyroid-ft4").count == 1 && out.resources("MedicationRequest").isEmpty)
            outputs.append(out.stdout)
        }
        #expect(outputs[0] == outputs[1], "the entry order changed the output")
        // A result with no time is at one moment with every result of its day.
        var d = S()
        d.add(S.freeT4("8.0", id: "ft4-day", date: "2026-10-21"))
        d.add(S.freeT4("15.0", id: "ft4-time", date: "2026-10-21T09:00:00Z"))
        #expect(try FactRun.read(d, [Thyroid.self]).facts.freeT4 == nil)
        // Results of one moment that classify alike are one: the same one in either order, no warning.
        var a = S()
        a.add(S.freeT4("12.0", id: "ft4-a", date: "2026-10-21"))
        a.add(S.freeT4("15.0", id: "ft4-b", date: "2026-10-21"))
        var r = S()
        r.add(S.freeT4("15.0", id: "ft4-b", date: "2026-10-21"))
        r.add(S.freeT4("12.0", id: "ft4-a", date: "2026-10-21"))
        let one = try FactRun.read(a, [Thyroid.self]), two = try FactRun.read(r, [Thyroid.self])
        #expect(one.facts.freeT4?.value == two.facts.freeT4?.value && one.facts.freeT4 != nil && one.warnings.isEmpty)
    }

    @Test func aCodeWithABlankOrALineBreakOnEitherSideIsTheSameCode() {
        for text in ["O03.9", " O03.9", "O03.9 ", "\nO03.9", "O03.9\n", "\r\nO03.9\r\n", "\t O03.9\r", "\r\n\tO03.9"] {
            #expect(Terminology.trimmed(text) == "O03.9", "\(Array(text.utf8))")
        }
        #expect(Terminology.trimmed(" \r\n\t") == "" && Terminology.trimmed("") == "" && Terminology.trimmed("a b") == "a b")
        #expect(Terminology.trimmed(" é ") == "é" && Terminology.trimmed("\u{301}x") == "\u{301}x")
    }

    @Test func anEntryOfAResourceTypeR4DoesNotKnowIsRefused() throws {
        // "Conditon" holding a loss was read as nothing, and the plan made without it.
        var s = S()
        s.add(.resource("Conditon", [.primitive("id", "loss"), S.concept("code", S.icd10, "O03.9"), S.subject]))
        let entry = try #require(s.bundle().children("entry").firstIndex { $0.child("resource")?.resource?.name == "Conditon" })
        for format in [FHIRFormat.json, .xml] {
            let out = try Self.apply(s.bundle(), format: format)
            #expect(out.status == 65 && out.stderr.contains("\"Conditon\" is not an R4 resource type") && out.stderr.contains("Bundle.entry[\(entry)].resource"),
                    "\(format): \(out.status) \(out.stderr)")
        }
        // Every type R4 has is read or passed over, as before: an Encounter, a Claim.
        var ok = S()
        ok.add(.resource("Encounter", [.primitive("id", "e"), .primitive("status", "finished")]))
        ok.add(.resource("Claim", [.primitive("id", "c")]))
        #expect(try Self.apply(ok.bundle()).status == 0)
        // `convert` still keeps a type it does not know, losslessly (a later version's, a local one).
        #expect(throws: Never.self) { try JSONReader.read(#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Conditon","id":"a"}}]}"#) }
    }

    @Test func entriesSharingAFullUrlAreOfOneType() throws {
        // bdl-7: entries with one fullUrl are versions of one resource; a Condition and an
        // Observation under one fullUrl (even with distinct versionIds, even one not read) are not.
        for second in ["Observation", "Encounter"] {
            let json = #"{"resourceType":"Bundle","type":"collection","entry":["#
                + #"{"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Condition","id":"a","meta":{"versionId":"1"}}},"#
                + #"{"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":""# + second + #"","id":"a","meta":{"versionId":"2"}}}]}"#
            let read = try Array(json.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try Adapter.read(b, as: .json) }
            let e = try #require({ () -> FHIRFormatError? in
                do { try InputBundle(read).checkVersions(); return nil } catch let error as FHIRFormatError { return error } catch { return nil }
            }())
            #expect(e.message.contains("hold a Condition and a \(second)") && e.location == "Bundle.entry[1].fullUrl", "\(e)")
        }
        // Versions of one type with distinct versionIds stay versions.
        let versions = #"{"resourceType":"Bundle","type":"collection","entry":["#
            + #"{"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Encounter","id":"a","status":"planned","class":{"code":"AMB"},"meta":{"versionId":"1"}}},"#
            + #"{"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Encounter","id":"a","status":"finished","class":{"code":"AMB"},"meta":{"versionId":"2"}}}]}"#
        let read = try Array(versions.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try Adapter.read(b, as: .json) }
        #expect(throws: Never.self) { try InputBundle(read).checkVersions() }
    }

    @Test func resultsOfOneDayGiveTheSameOutputInEitherEntryOrder() throws {
        // Ties the fixtures lack: two positive lupus anticoagulants of one day, a positive and a
        // negative anticardiolipin IgG of one day, two normal TSH of one day.
        var s = S()
        s.add(S.apl("la-1", "75514-0", date: "2026-06-01", positive: true))
        s.add(S.apl("la-2", "75514-0", date: "2026-06-01", positive: true))
        s.add(S.apl("acl-pos", "3181-5", date: "2026-06-02", positive: true))
        s.add(S.apl("acl-neg", "3181-5", date: "2026-06-02", positive: false))
        s.add(S.tsh("2.0", id: "tsh-a", date: "2026-10-20"))
        s.add(S.tsh("2.5", id: "tsh-b", date: "2026-10-20"))
        let one = try Self.apply(s.bundle()), two = try Self.apply(Self.reversed(s))
        #expect(one.status == 0 && one.stdout == two.stdout, "\(one.stderr)")
    }

    /// A review of the trials' fixes found these.
    static func thyroid(_ json: String) throws -> (facts: Facts, warnings: [String]) {
        let bundle = try Array(json.utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try Adapter.read(b, as: .json) }
        let c = try FactContext(input: InputBundle(bundle), profiles: InProcess.profiles, date: FactRun.date)
        var f = Facts(evaluationDate: FactRun.date)
        Thyroid.read(c, into: &f)
        return (f, c.orderedWarnings.map(\.description))
    }

    static func tshEntry(_ value: String, fullUrl: String, id: String? = nil, version: String? = nil, updated: String? = nil,
                         identifier: String? = nil, effective: String = #""effectiveDateTime":"2026-10-20""#) -> String {
        var meta: [String] = []
        if let version { meta.append(#""versionId":""# + version + #"""#) }
        if let updated { meta.append(#""lastUpdated":""# + updated + #"""#) }
        return #"{"fullUrl":""# + fullUrl + #"","resource":{"resourceType":"Observation""#
            + (id.map { #","id":""# + $0 + #"""# } ?? "")
            + (meta.isEmpty ? "" : #","meta":{"# + meta.joined(separator: ",") + "}")
            + (identifier.map { #","identifier":[{"system":"urn:lab","value":""# + $0 + #""}]"# } ?? "")
            + #","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"3016-3"}]},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"},"#
            + effective + #","valueQuantity":{"value":"# + value + #","unit":"mU/L","system":"http://unitsofmeasure.org","code":"mU/L"}}}"#
    }

    static func bundle(_ entries: [String]) -> String {
        #"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","gender":"female","birthDate":"1990-01-01"}},"#
            + entries.joined(separator: ",") + "]}"
    }

    @Test func versionsUnderOneURNAreOneResource() throws {
        // Two versions of one TSH under one urn:uuid, without ids: the newest (2.0) is read, once.
        let urn = "urn:uuid:11111111-1111-4111-8111-111111111111"
        let entries = [Self.tshEntry("4.6", fullUrl: urn, version: "1", updated: "2026-10-20T08:00:00Z"),
                       Self.tshEntry("2.0", fullUrl: urn, version: "2", updated: "2026-10-20T09:00:00Z")]
        for order in [entries, entries.reversed()] {
            let (f, warnings) = try Self.thyroid(Self.bundle(order))
            #expect(f.tsh?.value == 2.0 && warnings.isEmpty, "\(warnings)")
        }
        // versionIds "1" and "01" tell nothing: the content decides, whatever the entry order, with a warning.
        let same = [Self.tshEntry("4.6", fullUrl: urn, version: "1"), Self.tshEntry("2.0", fullUrl: urn, version: "01")]
        let one = try Self.thyroid(Self.bundle(same)), two = try Self.thyroid(Self.bundle(same.reversed()))
        #expect(one.facts.tsh?.value == two.facts.tsh?.value && one.facts.tsh != nil)
        #expect(one.warnings.count == 1 && one.warnings[0].contains("differs in content"), "\(one.warnings)")
    }

    @Test func versionsUnderOneURNJoinTheirOtherKeys() throws {
        // A later version that gained an identifier, and a copy resent under another urn with the
        // same id, are still that resource: its newest version, read once.
        let urn = "urn:uuid:11111111-1111-4111-8111-111111111111"
        let gained = [Self.tshEntry("6.1", fullUrl: urn, version: "1", updated: "2026-10-20T08:00:00Z"),
                      Self.tshEntry("2.0", fullUrl: urn, version: "2", updated: "2026-10-20T09:00:00Z", identifier: "acc-9")]
        for order in [gained, gained.reversed()] {
            let (f, warnings) = try Self.thyroid(Self.bundle(order))
            #expect(f.tsh?.value == 2.0 && warnings.isEmpty, "\(warnings)")
        }
        let resent = [Self.tshEntry("6.1", fullUrl: urn, id: "a", version: "1", updated: "2026-10-20T08:00:00Z"),
                      Self.tshEntry("2.0", fullUrl: urn, id: "a", version: "2", updated: "2026-10-20T09:00:00Z"),
                      Self.tshEntry("2.0", fullUrl: "urn:uuid:22222222-2222-4222-8222-222222222222", id: "a", version: "2", updated: "2026-10-20T09:00:00Z")]
        for order in [resent, resent.reversed()] {
            let bundle = try Array(Self.bundle(order).utf8).withUnsafeBufferPointer { (b) throws(FHIRFormatError) in try Adapter.read(b, as: .json) }
            #expect(InputBundle(bundle).superseded.count == 2)
            let (f, warnings) = try Self.thyroid(Self.bundle(order))
            #expect(f.tsh?.value == 2.0 && warnings.isEmpty, "\(warnings)")
        }
    }

    @Test func ofResultsThatTieTheKeptOneDoesNotDependOnTheZone() throws {
        // One instant in two spellings beside a day without a time, all normal: the same one kept.
        var kept: [Double?] = []
        for instant in ["2026-10-19T23:30:00-01:00", "2026-10-20T00:30:00Z"] {
            let entries = [Self.tshEntry("2.5", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000001", id: "a"),
                           Self.tshEntry("2.0", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000002", id: "b",
                                         effective: #""effectiveDateTime":""# + instant + #"""#)]
            let (f, warnings) = try Self.thyroid(Self.bundle(entries))
            #expect(warnings.isEmpty, "\(warnings)")
            kept.append(f.tsh?.value)
        }
        #expect(kept[0] != nil && kept[0] == kept[1], "\(kept)")
    }

    @Test func aResultOfTheNextMorningIsNewerThanADayWithoutATime() throws {
        // High on 2026-10-20 (no time), normal the next morning in the Netherlands: the normal one.
        let entries = [Self.tshEntry("6.1", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000001", id: "a"),
                       Self.tshEntry("2.0", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000002", id: "b",
                                     effective: #""effectiveDateTime":"2026-10-21T09:00:00+02:00""#)]
        let (f, warnings) = try Self.thyroid(Self.bundle(entries))
        #expect(f.tsh?.value == 2.0 && warnings.isEmpty, "\(warnings)")
    }

    @Test func anInstantAndTheSameDateTimeAreOneCopy() throws {
        // One identifier, one instant, once as effectiveInstant: no copies that differ.
        let entries = [Self.tshEntry("2.0", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000001", id: "a", identifier: "acc-1",
                                     effective: #""effectiveDateTime":"2026-10-20T10:00:00+02:00""#),
                       Self.tshEntry("2.0", fullUrl: "urn:uuid:11111111-1111-4111-8111-000000000002", id: "a", identifier: "acc-1",
                                     effective: #""effectiveInstant":"2026-10-20T08:00:00Z""#)]
        let (f, warnings) = try Self.thyroid(Self.bundle(entries))
        #expect(f.tsh?.value == 2.0 && warnings.isEmpty, "\(warnings)")
    }
}
