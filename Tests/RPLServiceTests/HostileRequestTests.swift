import Foundation
import FHIR
import RPLAdapter
@testable import RPLService
import Testing
import TestSupport

/// Hostile bodies at the hook and FHIR routes, made deterministically from real requests (the
/// trial's and the fixtures'): cut short at every kind of place, single bytes changed, values
/// swapped for other JSON kinds, nesting and sizes stretched. Each must be answered (any status
/// but 5xx) without a crash; a bounded, fixed set, the same every run.
@Suite struct HostileRequestTests {
    /// A small deterministic generator (SplitMix64): the same mutations every run.
    struct Mix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let replacements: [[UInt8]] = ["null", "[]", "{}", "\"\"", "0", "-1e999", "true", "\"\\ud800\"", "[[[[[[[[", "\u{0}", "\"x\":",
                                          "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"link\":[{\"relation\":\"next\",\"url\":\"http://127.0.0.1:1/x\"}]}"].map { Array($0.utf8) }

    static func mutations(of body: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var mix = Mix(state: seed)
        var out: [[UInt8]] = []
        for _ in 0..<count {
            var b = body
            switch mix.below(5) {
            case 0:  // cut short
                b = Array(b.prefix(mix.below(b.count)))
            case 1:  // a byte changed
                if !b.isEmpty { b[mix.below(b.count)] = UInt8(truncatingIfNeeded: mix.next()) }
            case 2:  // a value's place given something else
                let at = mix.below(b.count)
                if let colon = b[at...].firstIndex(of: UInt8(ascii: ":")) {
                    let end = b[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? b.count
                    b.replaceSubrange((colon + 1)..<end, with: replacements[mix.below(replacements.count)])
                }
            case 3:  // a stretch repeated (duplicate keys, long arrays)
                let from = mix.below(b.count), length = min(mix.below(400), b.count - from)
                let piece = Array(b[from..<(from + length)])
                b.insert(contentsOf: piece, at: from)
            default:  // deep nesting inserted
                let at = mix.below(b.count), depth = 1 + mix.below(5000)
                b.insert(contentsOf: Array(repeating: UInt8(ascii: "["), count: depth), at: at)
            }
            out.append(b)
        }
        return out
    }

    @Test func mutatedHookRequestsAreAnsweredWithoutACrash() async throws {
        let engine = Serve.engine()
        let trial = InProcess.projectRoot.appendingPathComponent("TestData/serve-trial")
        var answered = 0, refused = 0
        for (n, (file, service)) in [("pv01-anna.json", "rpl-patient-view"), ("os01-homocys-predni-tsh.json", "rpl-order-sign"),
                                      ("osel01-select-homocys.json", "rpl-order-select")].enumerated() {
            let body = Array(try Data(contentsOf: trial.appendingPathComponent(file)))
            for mutated in Self.mutations(of: body, count: 300, seed: UInt64(n + 1)) {
                let answer = await engine.hook(service, body: mutated, client: nil)
                #expect(answer.status < 500, "\(file): HTTP \(answer.status)")
                if answer.status == 200 { answered += 1 } else { refused += 1 }
                if answer.status == 200 { #expect((try? Serve.json(answer.body))?["cards"] is [Any]) }
            }
        }
        // Both kinds happen: the mutations are not all fatal, nor all harmless.
        #expect(answered > 50 && refused > 200, "\(answered) answered, \(refused) refused")
    }

    @Test func mutatedFHIRRequestsAreAnsweredWithoutACrash() async throws {
        let engine = Serve.engine()
        let trial = InProcess.projectRoot.appendingPathComponent("TestData/serve-trial")
        let record = Array(try Data(contentsOf: trial.appendingPathComponent("fhir01-record.json")))
        let parameters = Array(try Data(contentsOf: trial.appendingPathComponent("fhir03-apply.json")))
        var statuses: [Int: Int] = [:]
        for mutated in Self.mutations(of: record, count: 200, seed: 11) {
            for withdrawals in [false, true] {
                let answer = engine.transaction(body: mutated, format: nil, accept: nil, withdrawals: withdrawals)
                #expect(answer.status < 500)
                statuses[answer.status, default: 0] += 1
            }
        }
        for mutated in Self.mutations(of: parameters, count: 200, seed: 12) {
            let answer = engine.applyOperation(planDefinition: "rpl-card", body: mutated, format: nil, accept: nil)
            #expect(answer.status < 500)
            statuses[answer.status, default: 0] += 1
        }
        #expect((statuses[200] ?? 0) > 20 && (statuses[400] ?? 0) > 100, "\(statuses)")
    }

    /// The service's own JSON writer: every string, control characters, quotes, backslashes and
    /// non-ASCII included, reads back as itself.
    @Test func everyStringTheServiceWritesReadsBackAsItself() throws {
        var mix = Mix(state: 7)
        var samples = ["", "plain", "\"quoted\" \\ back", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}", "miskraam – β2 ✓ 🤰", String(repeating: "\\\"", count: 50)]
        for _ in 0..<200 {
            let scalars = (0..<mix.below(40)).compactMap { _ in Unicode.Scalar(UInt32(mix.below(3) == 0 ? mix.below(0x20) : mix.below(0x2FFF))) }
            samples.append(String(String.UnicodeScalarView(scalars)))
        }
        for s in samples {
            let bytes = try JSONOut.object([("s", .string(s))]).bytes()
            let back = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
            #expect(back["s"] == s, "\(Array(s.utf8))")
        }
    }
}
