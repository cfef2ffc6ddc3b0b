import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// The eighth independent clinical audit (helper-45, 2026-12-06: Observations among many, as lab
/// feeds and Synthea send them): what it found, each held here so that undoing the fix fails a
/// test. Its records are the fixtures `audit45-*`.
@Suite struct AuditEightTests {
    static let losses = ["2024-03-10", "2025-01-22", "2026-01-22"]

    /// Her karyotype (LOINC 29770-5) as ISCN text.
    static func karyotype(_ text: String) -> Element {
        S.observation("k", S.loinc, "29770-5", date: "2026-03-01", value: .primitive("valueString", text))
    }

    /// ISCN writes a mosaic `mos` and a chimera `chi` before the first cell line, and in situ
    /// hybridisation after the karyotype (`.ish`): an abnormal one is abnormal (card: "Indien
    /// afwijkend: genetische counseling"); a normal FISH is normal. Before, each was "not ISCN",
    /// warned as text only.
    @Test func mosaicChimeraAndFISHKaryotypesAreRead() throws {
        for (text, abnormal) in [("mos 45,X[5]/46,XX[25]", true), ("mos 47,XXX[10]/46,XX[20]", true), ("chi 46,XX[12]/46,XY[8]", true),
                                 ("46,XX.ish del(22)(q11.2q11.2)(TUPLE1-)", true), ("46,XX.ish 22q11.2(TUPLE1x2)", false), ("46,XX", false)] {
            var s = S(losses: Self.losses)
            s.add(Self.karyotype(text))
            let out = try InProcess.apply(s)
            #expect(out.activitiesNamed.contains("genetic-counseling") == abnormal, "\(text)")
            #expect(!out.stderr.contains("recorded as text only"), "\(text)")
        }
    }

    /// guideline.md v2, "codes decide, text only warns": a TSH, free T4 or ANA named only in words
    /// is not a result (the test is still ordered) and is said; not where a coded result of that
    /// test was read (a GP journal sends its NHG-coded TSH beside the LOINC one).
    @Test func aResultNamedOnlyInWordsIsSaid() throws {
        func uncoded(_ id: String, _ text: String, _ value: String, _ unit: String) -> Element {
            var o = S.observation(id, "http://example.org/local-lab", "L-\(id)", date: "2026-09-01", value: S.quantity(value, unit))
            o.children = o.children.map { $0.name == "code" ? .complex("code", [.primitive("text", text)]) : $0 }
            return o
        }
        var s = S(losses: Self.losses)
        s.add(uncoded("t", "TSH", "6.0", "mU/L"))
        s.add(uncoded("f", "vrij T4", "8.0", "pmol/L"))
        s.add(uncoded("a", "ANA", "1", "{titer}"))
        let out = try InProcess.apply(s)
        #expect(out.requests("thyroid-tsh").count == 1)
        for what in ["a TSH result", "a free T4 result", "an ANA result"] {
            #expect(out.stderr.contains("\(what) recorded as text only"), "\(what)")
        }
        // With a coded TSH beside it, the words are not said.
        var coded = S(losses: Self.losses)
        coded.add(uncoded("t", "TSH (NHG)", "1.8", "mU/L"))
        coded.add(S.observation("tsh", S.loinc, "3016-3", date: "2026-09-01", value: S.quantity("1.8", "mU/L"), range: ("0.4", "4.0")))
        let both = try InProcess.apply(coded)
        #expect(both.requests("thyroid-tsh").isEmpty)
        #expect(!both.stderr.contains("a TSH result recorded as text only"))
    }

    /// interface.md: a reference that does not resolve is said: a loss's `evidence.detail` naming
    /// an Observation the Bundle does not hold (the loss still counts).
    @Test func anUnresolvedEvidenceDetailIsSaid() throws {
        var s = S(losses: ["2024-03-10", "2025-01-22"])
        var loss = S.condition("loss-x", S.sct, "17369002", onset: "2026-01-22")
        loss.children.append(.complex("evidence", [.complex("detail", [.primitive("reference", "Observation/missing-ga")])]))
        s.add(loss)
        let out = try InProcess.apply(s)
        #expect(out.stderr.contains("evidence.detail Observation/missing-ga does not resolve"))
        #expect(out.resources("CarePlan").first?.string("description")?.hasPrefix("3 ") == true)
    }
}
