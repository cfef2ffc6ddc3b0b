import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// The inputs of the new user's trial (TestData/trial-2026-12-02, written by someone who had not
/// seen our tests): cosmetic variants give the same bytes, changes of meaning give new ids, hostile
/// input never crashes apply.
@Suite(.serialized) struct TrialInputsTests {
    static let dir = InProcess.projectRoot.appendingPathComponent("TestData/trial-2026-12-02")

    static func run(_ name: String) -> (bytes: [UInt8], out: Outcome) {
        let data = [UInt8]((try? Data(contentsOf: dir.appendingPathComponent(name))) ?? Data())
        let out = InProcess.apply(bytes: data, format: name.hasSuffix(".xml") ? .xml : .json, asOf: "2026-11-20")
        guard out.status == 0, var b = out.bundle else { return (Array(out.stderr.utf8), out) }
        b.children.removeAll { $0.name == "identifier" }
        return ((try? JSONWriter().write(b)) ?? [], out)
    }

    static func ids(_ out: Outcome) -> Set<String> {
        Set((out.resources("ServiceRequest") + out.resources("CarePlan")).compactMap { $0.string("id") })
    }

    @Test func cosmeticVariantsGiveTheSameBytes() {
        let base = Self.run("in/base.json")
        #expect(base.out.status == 0 && !Self.ids(base.out).isEmpty)
        for name in ["v-all.json", "v-all.xml", "v-decimal.json", "v-display.json", "v-entryorder.json", "v-icd10only.json", "v-idorder.json",
                     "v-otherloinc.json", "v-searchset.json", "v-tz.json", "v-uuid.json", "v-versions.json"] {
            #expect(Self.run("in/" + name).bytes == base.bytes, "\(name)")
        }
        // Another identifier of hers changes the Patient copy, not the orders.
        #expect(Self.ids(Self.run("in/v-extraid.json").out) == Self.ids(base.out))
    }

    @Test func changesOfMeaningGiveNewIds() {
        let base = Self.ids(Self.run("in/base.json").out)
        for name in ["c-newloss.json", "c-tshvalue.json", "c-tshdate.json", "c-comparator.json", "c-otherbsn.json"] {
            #expect(Self.ids(Self.run("in/" + name).out) != base, "\(name)")
        }
    }

    @Test func hostileInputIsAnErrorNeverACrash() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.dir.appendingPathComponent("hostile").path).sorted()
        #expect(names.count > 10)
        for name in names where !name.hasSuffix(".hl7") {
            let out = Self.run("hostile/" + name).out
            #expect(out.status == 0 || out.status == 65, "\(name): \(out.status)")
        }
    }
}
