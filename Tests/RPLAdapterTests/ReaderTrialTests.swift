import FHIR
import Foundation
import RPLAdapter
import Testing
import TestSupport

/// The inputs of a new user's trial of the readers (`TestData/reader-trial/README.md`): cosmetic
/// variants of one record give the same output, and values or resource types that are not FHIR
/// are refused.
@Suite struct ReaderTrialTests {
    static let directory = InProcess.projectRoot.appendingPathComponent("TestData/reader-trial")

    static func run(_ name: String) throws -> (bytes: [UInt8], out: Outcome) {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        let out = InProcess.apply(bytes: bytes, format: name.hasSuffix(".xml") ? .xml : .json, asOf: "2026-11-02")
        guard out.status == 0, var output = try? Adapter.read(out.stdout.withUnsafeBufferPointer { $0 }, as: .json) else { return (out.stdout, out) }
        output.children.removeAll { $0.name == "identifier" }
        return (try JSONWriter().write(output), out)
    }

    static let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()

    @Test func cosmeticVariantsGiveTheSameOutput() throws {
        let base = try Self.run("ok-base.json")
        #expect(base.out.status == 0 && base.out.resources("ServiceRequest").count > 0, "the base record makes orders")
        let variants = Self.names.filter { ($0.hasPrefix("keys") || $0.hasPrefix("ok-") || $0.hasPrefix("str-")) && $0 != "ok-base.json" }
        #expect(variants.count >= 60)
        for name in variants {
            let other = try Self.run(name)
            #expect(other.out.status == 0 && other.bytes == base.bytes, "\(name) gives another output: \(other.out.stderr)")
        }
    }

    @Test func valuesAndResourceTypesThatAreNotFHIRAreRefused() throws {
        let refused = Self.names.filter { $0.hasPrefix("xh-wrong-") || $0.hasPrefix("odd-resourcetype-") }
        #expect(refused.count == 9)
        for name in refused {
            let out = try Self.run(name).out
            #expect(out.status == 65 && out.stderr.contains("is not a"), "\(name): status \(out.status), \(out.stderr)")
        }
    }
}
