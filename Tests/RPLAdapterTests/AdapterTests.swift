import FHIR
import Digests
import Foundation
import RPLGuideline
import Testing
@testable import RPLAdapter

@Suite struct AdapterTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Expected values from Python's uuid.uuid5 (an independent implementation).
    @Test func nameBasedUUIDsFollowRFC4122() {
        // uuid.uuid5(uuid.NAMESPACE_DNS, "rpl-adapter"), and a name in it (interface.md v2).
        #expect(DeterministicID.format(DeterministicID.namespace) == "39ec7d54-3765-5fa6-82b4-847402c6958c")
        #expect(DeterministicID.uuid("hello") == "d7c1c5b8-47e0-5d16-9314-d7d1a71ea8e5")
        // A name of parts is the parts joined (`k=v|k=v`), written straight into the hash's bytes.
        #expect(DeterministicID.uuid([("patient", "Patient/é1"), ("episode", "a,b"), ("resource", "CarePlan")]) == "66b0af58-0d8f-59de-a36a-7eb9bb04af09")
        #expect(DeterministicID.uuid([]) == "17923d42-02d3-5aaf-b5e3-651a2d95c4a8")
        #expect(DeterministicID.uuid([("patient", "Patient/é1"), ("episode", "a,b"), ("resource", "CarePlan")])
                == DeterministicID.uuid("patient=Patient/é1|episode=a,b|resource=CarePlan"))
        #expect(SHA1.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hash([]).map { String(format: "%02x", $0) }.joined() == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    /// The name of an input with neither identifier nor id is this digest of its bytes, so it must
    /// not change between versions (a resend after an upgrade would get a new output identifier).
    /// Expected values from a Python implementation written from the algorithm's description,
    /// which also gives the digest the unchanged program printed for Misty Bradtke's Bundle.
    @Test func inputDigestIsStable() {
        func digest(_ bytes: [UInt8]) -> String { bytes.withUnsafeBufferPointer { Digest.fast128($0) } }
        #expect(digest([]) == "e1ad2daf893a3faa03e8809c77e86c06")
        #expect(digest(Array("a".utf8)) == "c6ab13c239659b069411c92aa6cc8dcd")
        #expect(digest(Array("hello world".utf8)) == "c973b0633faac9200b6ef9d86dd4e218")
        // 1027 bytes: 128 words (whole turns of four) and a three-byte tail.
        #expect(digest(Array((0..<4).flatMap { _ in (0...255).map { UInt8($0) } }) + Array("xyz".utf8)) == "5479416548d68defb00855593ddd1dbb")
        // 925 bytes: 115 words (28 turns of four, three words on their own) and a five-byte tail.
        #expect(digest(Array(String(repeating: #"{"resourceType":"Bundle"}"#, count: 37).utf8)) == "93cd79051a7b5ea0baf08d9901dd0c63")
    }

    /// Terminology finds a ValueSet's members by `ordinal`: it must be each id's own place, and
    /// every ValueSet Profiles/ holds must be found through it.
    @Test func valueSetOrdinalsArePlaces() throws {
        #expect(ValueSetID.allCases.enumerated().allSatisfy { $0.element.ordinal == $0.offset })
        let terminology = try Profiles.builtIn().terminology
        // Every id comes from a ValueSet of Profiles/, so the built-in copy holds each.
        for id in ValueSetID.allCases { #expect(terminology.holds(id), "\(id.rawValue)") }
    }

    /// The binary's built-in Profiles are exactly Profiles/.
    @Test func embeddedProfilesMatchTheFolder() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.root.appendingPathComponent("scripts/embed-profiles.py").path,
                       "--check"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    /// The built-in copy is compiled into an element archive by the Python script (issue 20): the
    /// same documents as JSON, read by the JSON reader strictly, give the same trees.
    @Test func builtInArchiveHoldsWhatTheJSONReaderReads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-json-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.root.appendingPathComponent("scripts/embed-profiles.py").path, "--runtime-json", dir.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let archived = Profiles.builtInResources
        #expect(archived.map(\.name) == files)
        #expect(archived.count > 100)
        for (name, element) in archived {
            let json = try JSONReader.read(Array(Data(contentsOf: dir.appendingPathComponent(name))))
            #expect(element == json, "\(name)")
        }
        // A number keeps its source text, as the reader keeps it.
        #expect(archived.contains { $0.element.all("parameter.valueDecimal").contains { $0.value?.contains(".") == true } })
    }

    @Test func profilesHaveEveryActivityAndRuleOfTheSpec() throws {
        let profiles = try Profiles.builtIn()
        let activities = ["thyroid-tsh", "thyroid-ft4", "levothyroxine", "apl-testing", "apl-repeat", "aspirin-low-dose", "lmwh",
                          "parental-karyotyping", "genetic-counseling", "clinical-genetics-referral", "uterine-ultrasound",
                          "urinary-tract-imaging", "lifestyle-counseling", "progesterone-vaginal", "cervix-ultrasound-followup",
                          "subclinical-hypothyroidism-discussion", "preconception-consult", "supplements-advice", "expert-centre-referral",
                          "supportive-care-next-pregnancy", "patient-association-info", "obstetric-history", "lifestyle-history",
                          "prolactin", "hormone-profile", "ana-consider", "tissue-genetics"]
        for a in activities { #expect(ActivityID(rawValue: a).flatMap(profiles.activityDefinition) != nil, "\(a)") }
        // The PlanDefinition quotes the same card lines as the rules (the folder's copy: the built-in
        // one keeps only what the program reads).
        let folder = try Profiles.load(directory: Self.root.appendingPathComponent("Profiles").path)
        let plan = try #require(folder.resources["PlanDefinition/rpl-guideline"])
        let actions = plan.children("action")
        #expect(actions.count == 45)
        for line in Card.lines {
            let action = try #require(actions.first { $0.string("id") == line.ruleId.rawValue })
            #expect(action.children("documentation").compactMap { $0.string("display") } == line.quotes, "\(line.ruleId)")
        }
        // Every rule of §4 has recognition data.
        let nrRules = Set(profiles.notRecommended.map(\.ruleId))
        for line in Card.lines where line.ruleId.rawValue.hasPrefix("NR-") { #expect(nrRules.contains(line.ruleId), "\(line.ruleId)") }
        #expect(profiles.defaults.tshRange.high == 4.0 && profiles.defaults.lookbackMonths == 12)
    }

    @Test func keywordsMatchWholeWordsWithoutAccents() {
        #expect(Terminology.containsWord(Terminology.normalise("Homocysteïne bepaling"), "homocysteine"))
        #expect(Terminology.containsWord("ana screening", "ana"))
        #expect(!Terminology.containsWord("banana", "ana"))
        #expect(!Terminology.containsWord("anamnese", "ana"))
        // guideline.md v2: whole words always; a stem is marked with "*".
        #expect(!Terminology.containsWord("cytokines", "cytokine"))
        #expect(Terminology.containsWord("cytokines", "cytokine*"))
        #expect(!Terminology.containsWord("urine protein creatinine ratio", "protein c"))
        #expect(Terminology.containsWord("protein c activity", "protein c"))
    }

    @Test func referencesResolveEveryWay() throws {
        let bundle = try JSONReader.read("""
            {"resourceType":"Bundle","type":"searchset","entry":[
             {"fullUrl":"http://s/fhir/Patient/1","resource":{"resourceType":"Patient","id":"1"}},
             {"fullUrl":"urn:uuid:0d2a6f00-0000-4000-8000-000000000001","resource":{"resourceType":"Observation","id":"o","status":"final",
               "contained":[{"resourceType":"Specimen","id":"s"}],"code":{"text":"x"}}},
             {"fullUrl":"http://s/fhir/Condition/2","resource":{"resourceType":"Condition","id":"2","subject":{"reference":"Patient/1"}}}]}
            """)
        let input = InputBundle(bundle)
        #expect(input.resolve("Patient/1", from: 2) == 0)
        #expect(input.resolve("http://s/fhir/Patient/1", from: nil) == 0)
        #expect(input.resolve("Patient/1/_history/3", from: 2) == 0)
        #expect(input.resolve("urn:uuid:0d2a6f00-0000-4000-8000-000000000001", from: nil) == 1)
        #expect(input.resolve("#s", from: 1) == 2)
        #expect(input.resolve("Patient/9", from: 2) == nil)
        #expect(input.serverId(0) == "Patient/1")
        #expect(input.serverId(1) == nil)
    }
}
