import FHIR
import Foundation
import RPLAdapter
import Testing
import TestSupport

/// The inputs of a new user's fourth trial (`TestData/reader-trial4/README.md`): `apply` on JSON
/// and XML, with what must not change the plan, what must be refused and how results of one
/// moment are chosen. Each case's expectation was written by the trial from the README, the spec
/// and the card (`cases.json`); this suite checks them as its replay script did.
@Suite struct ReaderTrialFourTests {
    static let directory = InProcess.projectRoot.appendingPathComponent("TestData/reader-trial4")

    struct Case: Decodable {
        let name: String
        let expect: Expect
        let note: String?
    }

    struct Expect: Decodable {
        let rc: Codes?
        let has: [String]?
        let lacks: [String]?
        let stderr_re: String?
        let same_as: String?
        let same_as_if_0: String?
        let decision_same_as: String?
        let empty_plan: Bool?
    }

    /// One exit status or several allowed.
    enum Codes: Decodable {
        case one(Int32), any([Int32])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int32.self) { self = .one(n) } else { self = .any(try c.decode([Int32].self)) }
        }
        func allows(_ status: Int32) -> Bool {
            switch self {
            case .one(let n): return n == status
            case .any(let ns): return ns.contains(status)
            }
        }
    }

    struct Run {
        let out: Outcome
        /// The output without `Bundle.identifier` (the echo of the input), written again.
        let plan: [UInt8]?
        /// The output's resources by type and id: its decisions.
        let decisions: [String]
        /// The ActivityDefinitions the output instantiates.
        let activities: Set<String>
    }

    static func run(_ name: String) throws -> Run {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent("inputs").appendingPathComponent(name)))
        let out = InProcess.apply(bytes: bytes, format: name.hasSuffix(".xml") ? .xml : .json, asOf: "2026-11-02")
        guard out.status == 0, var bundle = try? JSONReader.read(out.stdout) else { return Run(out: out, plan: nil, decisions: [], activities: []) }
        bundle.children.removeAll { $0.name == "identifier" }
        var activities: Set<String> = []
        var decisions: [String] = []
        for entry in bundle.children("entry") {
            guard let r = entry.child("resource")?.resource else { continue }
            decisions.append(r.name + "/" + (r.string("id") ?? ""))
            var canonicals = r.children("instantiatesCanonical")
            for a in r.children("activity") { canonicals += a.child("detail")?.children("instantiatesCanonical") ?? [] }
            for c in canonicals { if let v = c.value, let last = v.split(separator: "/").last { activities.insert(String(last)) } }
        }
        return Run(out: out, plan: try JSONWriter().write(bundle), decisions: decisions.sorted(), activities: activities)
    }

    @Test func everyCaseOfTheTrialHolds() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: Self.directory.appendingPathComponent("cases.json")))
        #expect(cases.count == 191)
        var runs: [String: Run] = [:]
        for c in cases { runs[c.name] = try Self.run(c.name) }
        var failures: [String] = []
        for c in cases {
            let r = runs[c.name]!, e = c.expect
            var why: [String] = []
            if let rc = e.rc, !rc.allows(r.out.status) { why.append("exit \(r.out.status): \(r.out.stderr.prefix(300))") }
            for a in e.has ?? [] where r.out.status == 0 && !r.activities.contains(a) { why.append("no \(a)") }
            for a in e.lacks ?? [] where r.activities.contains(a) { why.append("an unexpected \(a)") }
            if let pattern = e.stderr_re, r.out.stderr.range(of: pattern, options: .regularExpression) == nil {
                why.append("no warning matching \(pattern): \(r.out.stderr.prefix(300))")
            }
            if let ref = e.same_as ?? (r.out.status == 0 ? e.same_as_if_0 : nil), let other = runs[ref], r.plan != other.plan {
                why.append("output differs from \(ref)" + (r.decisions == other.decisions ? " (same resources)" : " (other resources)"))
            }
            if let ref = e.decision_same_as, let other = runs[ref], r.decisions != other.decisions { why.append("other resources than \(ref)") }
            if e.empty_plan == true, !(r.out.bundle?.children("entry").isEmpty ?? true) { why.append("a plan, expected none") }
            if !why.isEmpty { failures.append("\(c.name): " + why.joined(separator: "; ")) }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count):\n\(failures.joined(separator: "\n"))")
    }
}
