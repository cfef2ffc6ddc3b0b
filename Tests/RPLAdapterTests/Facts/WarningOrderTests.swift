import FHIR
import RPLGuideline
import Testing
import TestSupport
@testable import RPLAdapter

/// `FactContext.orderedWarnings`: each warning once, in the order of the resources' identities (the
/// patient's first), whatever order the fact sources found them in (interface.md v3).
@Suite struct WarningOrderTests {
    /// The former reading (a warning's first coming kept by hashing, then a stable sort by
    /// identity): the run-wise comparison that replaced it must give the same list.
    static func oracle(_ c: FactContext) -> [Warning] {
        var seen = Set<Warning>()
        let unique = c.warnings.filter { seen.insert($0).inserted }
        let keyed = unique.enumerated().map { (key: $0.element.index == c.patient ? "" : c.identities.of($0.element.index), offset: $0.offset, warning: $0.element) }
        return keyed.sorted { ($0.key, $0.offset) < ($1.key, $1.offset) }.map(\.warning)
    }

    @Test func eachWarningOnceInIdentityOrderWhateverTheOrderFound() throws {
        var s = S()
        // Two records of one meaning (one identity) and others: runs of one key with two resources.
        for (n, code) in ["O03.9", "O03.9", "N97.9", "E03.9", "O26.2"].enumerated() {
            s.add(.resource("Condition", [.primitive("id", "c\(n)"), S.concept("code", S.icd10, code), S.subject, .primitive("onsetDateTime", "2024-0\(max(n, 1))-01")]))
        }
        // Keys outside ASCII too (compared as Strings, the others as bytes): the same order.
        for (n, value) in ["é1", "e1", "ê1", "f1"].enumerated() {
            s.add(.resource("Condition", [.primitive("id", "i\(n)"), .complex("identifier", [.primitive("system", "urn:oid:2.16.840.1.113883.2.4.3.11.999"), .primitive("value", value)]),
                                          S.concept("code", S.icd10, "N97.9"), S.subject]))
        }
        let bundle = try s.bundle()
        func fresh() throws -> FactContext { try FactContext(input: InputBundle(bundle), profiles: InProcess.profiles, date: FactRun.date) }
        var c = try fresh()
        let indices = Array(c.input.items.indices)
        // The two records of one meaning share an identity (what makes a run of two resources).
        let identities = indices.map { c.identities.of($0) }
        #expect(Set(identities).count == identities.count - 1)
        #expect(identities.filter { !$0.utf8.allSatisfy { $0 < 0x80 } }.count == 2)
        let kinds: [Warning.Kind] = [.noDate(what: "the onset"), .noUnit(what: "TSH"), .conflictingBSNs, .notAWoman(gender: "male"),
                                     .severalPartners(count: 2), .noDate(what: "the abatement")]
        var generator = SplitMix(seed: 20)
        var compared = 0
        for _ in 0..<300 {
            c = try fresh()
            for _ in 0..<Int.random(in: 0..<30, using: &generator) {
                c.warn(indices.randomElement(using: &generator)!, kinds.randomElement(using: &generator)!)
            }
            let ordered = c.orderedWarnings
            #expect(ordered == Self.oracle(c))
            #expect(Set(ordered).count == ordered.count)
            compared += 1
        }
        #expect(compared == 300)
        // The patient's own come first, and a repeat is dropped.
        c = try fresh()
        let other = try #require(indices.first { $0 != c.patient })
        c.warn(other, .noDate(what: "the onset"))
        c.warn(c.patient, .conflictingBSNs)
        c.warn(other, .noDate(what: "the onset"))
        #expect(c.orderedWarnings.map(\.index) == [c.patient, other])
    }
}
