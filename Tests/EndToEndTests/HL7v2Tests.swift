import FHIR
import Foundation
import RPLAdapter
import Testing
import TestSupport

/// `apply --output-format hl7v2` (interface.md v2) through the built executable: exit codes,
/// standard output holding only messages, one message per requisition. The messages themselves
/// are validated by python `hl7` and `hl7apy` in scripts/validate-hl7.sh.
@Suite(.serialized) struct HL7v2Tests {
    static let agb = "http://fhir.nl/fhir/NamingSystem/agb-z|01234567"

    func typical() -> S {
        var s = S()
        s.add(S.tsh("4.6"))
        return s
    }

    func run(_ s: S, _ extra: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "--output-format", "hl7v2"] + extra, stdin: Data(JSONWriter().write(s.bundle())))
        return (r.status, String(decoding: r.stdout, as: UTF8.self), r.stderr)
    }

    @Test func refusedWithoutAnOrderingProvider() throws {
        let r = try run(typical(), [])
        #expect(r.status == 78)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("needs an ordering provider"))
    }

    @Test func oneMessagePerRequisitionWithTheSignedLaboratoryOrders() throws {
        let r = try run(typical(), ["--requester", Self.agb])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("MSH|^~\\&|") && r.stdout.hasSuffix("\r"))
        let segments = r.stdout.split(separator: "\r").map(String.init)
        #expect(segments.filter { $0.hasPrefix("MSH|") }.count == 1)
        let msh = segments[0].split(separator: "|", omittingEmptySubsequences: false)
        #expect(msh[8] == "OML^O21^OML_O21" && msh[9].count == 20 && msh[11] == "2.5.1" && msh[17] == "UNICODE UTF-8")
        #expect(msh[6] == "20261102")
        // The FHIR output of the same run: its signed laboratory orders are the ORCs (free T4 and
        // the five antiphospholipid tests; the uterine ultrasound is imaging).
        let fhir = try Runner.apply(typical(), extra: ["--requester", Self.agb])
        let lab = fhir.resources("ServiceRequest").filter {
            $0.string("intent") == "order" && $0.child("category")?.child("coding")?.string("code") == "108252007"
        }
        #expect(segments.filter { $0.hasPrefix("ORC|NW|") }.count == lab.count && lab.count == 6)
        #expect(segments.contains { $0.hasPrefix("SPM|1|||PLAS^Plasma^HL70487||C32^3.2% Citrate^HL70371") })
        #expect(segments.contains { $0.hasPrefix("PID|1||999911120^^^NLMINBIZA^NNNLD|") })
        // A resend carries the same control id and placer numbers.
        #expect(try run(typical(), ["--requester", Self.agb]).stdout == r.stdout)
    }

    @Test func nothingForNoPlanAndOnlyStandardErrorForBadInput() throws {
        let none = try run(S(losses: ["2025-03-10"]), ["--requester", Self.agb])
        #expect(none.status == 0 && none.stdout.isEmpty)
        let bad = try ConvertCommandTests.run(["apply", "--output-format", "hl7v2", "--requester", Self.agb], stdin: Data("{\"resourceType\":".utf8))
        #expect(bad.status == 65 && bad.stdout.isEmpty && !bad.stderr.isEmpty)
    }

    @Test func ndjsonInGivesTheMessagesOneAfterAnother() throws {
        let line = String(decoding: try JSONWriter().write(typical().bundle()), as: UTF8.self)
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--output-format", "hl7v2", "--requester", Self.agb],
                                            stdin: Data((line + "\n" + line + "\n").utf8))
        #expect(r.status == 0)
        #expect(String(decoding: r.stdout, as: UTF8.self).components(separatedBy: "MSH|^~\\&|").count - 1 == 2)
    }

    /// interface.md v3: never an empty PID-3. The OperationOutcome goes to standard error (standard
    /// output carries HL7 v2 only); the next patient of an ndjson stream is still written.
    @Test func aPatientWithoutAnIdentifierIsRefusedWithExit65() throws {
        var s = typical()
        s.patient.children.removeAll { $0.name == "identifier" }
        let r = try run(s, ["--requester", Self.agb])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("OperationOutcome") && r.stderr.contains("Patient.identifier") && r.stderr.contains("PID-3"), "\(r.stderr)")
        let bad = String(decoding: try JSONWriter().write(s.bundle()), as: UTF8.self)
        let good = String(decoding: try JSONWriter().write(typical().bundle()), as: UTF8.self)
        let both = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "--input-format", "ndjson", "--output-format", "hl7v2", "--requester", Self.agb],
                                               stdin: Data((bad + "\n" + good + "\n").utf8))
        #expect(both.status == 65)
        #expect(String(decoding: both.stdout, as: UTF8.self).components(separatedBy: "MSH|^~\\&|").count - 1 == 1)
    }

    /// ORC-12 needs the AGB code: a UZI number is not one (exit 78, one line).
    @Test func aRequesterWithoutAnAGBIsRefusedWithExit78() throws {
        let r = try run(typical(), ["--requester", "urn:oid:2.16.528.1.1007.3.1|012345678"])
        #expect(r.status == 78)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("a UZI number is not an AGB code"), "\(r.stderr)")
        #expect(try run(typical(), ["--requester", "urn:oid:2.16.840.1.113883.2.4.6.1|01234567"]).status == 0)
    }

    @Test func delimitersInValuesAreEscaped() {
        #expect(HL7v2.e("a|b^c~d\\e&f") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f")
        #expect(HL7v2.e("line\rbreak") == "line break")
    }
}
