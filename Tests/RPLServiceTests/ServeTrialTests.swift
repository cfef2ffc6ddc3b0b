import Foundation
import Logging
import FHIR
import RPLAdapter
import RPLGuideline
@testable import RPLService
import Testing
import TestSupport

/// The inputs of the independent new user's trial of `serve` (2026-12-03), kept with the
/// expectations its auditor wrote from the spec before running anything
/// (`TestData/serve-trial/INDEX.md`; `expected.json` reads them for this test).
@Suite struct ServeTrialTests {
    static let folder = InProcess.projectRoot.appendingPathComponent("TestData/serve-trial")

    struct Expected: Decodable {
        var route: String
        var status: [Int]?
        var cards: Int?
        var indicators: [String]?
        var rules: [String]?
        var suggestionsFor: [String]?
        var notFor: [String]?
        var sameAs: String?
    }

    struct Table: Decodable {
        var asOf: String
        var requests: [String: Expected]
    }

    static func engine(asOf: String) -> Engine {
        var logger = Logger(label: "rpl-serve-trial")
        logger.logLevel = .critical
        return Engine(adapter: Adapter(profiles: InProcess.profiles, language: .en), metrics: ServiceMetrics(), logger: logger, trusting: false,
                      asOf: CalendarDate(fhir: asOf))
    }

    static func call(_ engine: Engine, _ route: String, _ file: String, in folder: URL = folder) async throws -> Engine.Answer {
        let body = Array(try Data(contentsOf: folder.appendingPathComponent(file)))
        if route.hasSuffix("/feedback") { return engine.feedback(String(route.dropLast("/feedback".count)), body: body) }
        return await engine.hook(route, body: body, client: nil)
    }

    /// This trial's, and helper-39's of 2026-12-06 (`TestData/serve-trial-39`, its README.txt).
    @Test(arguments: ["serve-trial", "serve-trial-39"])
    func everyRequestAsItsAuditorExpected(trial: String) async throws {
        let folder = InProcess.projectRoot.appendingPathComponent("TestData/" + trial)
        let table = try JSONDecoder().decode(Table.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        let engine = Self.engine(asOf: table.asOf)
        for (file, e) in table.requests.sorted(by: { $0.key < $1.key }) {
            let answer = try await Self.call(engine, e.route, file, in: folder)
            if let other = e.sameAs {
                let first = try await Self.call(engine, e.route, other, in: folder)
                #expect(answer.status == 200 && answer.body == first.body, "\(file): the same bytes as \(other)")
                continue
            }
            #expect(e.status?.contains(answer.status) == true, "\(file): HTTP \(answer.status), expected \(e.status ?? [])")
            guard answer.status == 200, let count = e.cards else { continue }
            let cards = try Serve.checkCards(try Serve.json(answer.body))
            #expect(cards.count == count, "\(file): \(cards.count) cards")
            if let indicators = e.indicators {
                #expect(cards.compactMap { $0["indicator"] as? String }.sorted() == indicators.sorted(), "\(file)")
            }
            for rule in e.rules ?? [] {
                #expect(cards.contains { ($0["detail"] as? String)?.contains("**\(rule)**") == true }, "\(file): a card for \(rule)")
            }
            let actions = cards.flatMap { ($0["suggestions"] as? [[String: Any]]) ?? [] }.flatMap { ($0["actions"] as? [[String: Any]]) ?? [] }
            let described = actions.compactMap { $0["description"] as? String }
            for rule in e.suggestionsFor ?? [] { #expect(described.contains { $0.contains("(\(rule))") }, "\(file): a suggestion for \(rule)") }
            for rule in e.notFor ?? [] { #expect(!described.contains { $0.contains("(\(rule))") }, "\(file): no suggestion for \(rule)") }
        }
    }

    /// The trial's finding 2: the withdrawal batch `apply` writes after the transaction reaches a
    /// service user too (`$rpl-withdrawals`, and a header on `$rpl-transaction` saying it exists).
    @Test func theWithdrawalBatchIsAnsweredToo() async throws {
        let engine = Self.engine(asOf: "2026-12-01")
        let body = Array(try Data(contentsOf: Self.folder.appendingPathComponent("fhir13-record-with-accepted-cds-draft.json")))
        // What apply writes: the transaction, then the batch (its second document).
        let bundle = try JSONReader.read(body)
        let result = try Adapter(profiles: InProcess.profiles, language: .en).apply(bundle, asOf: CalendarDate(fhir: "2026-12-01"),
                                                                      inputFallback: Adapter.namesItself(bundle) ? nil : body.withUnsafeBufferPointer { Adapter.inputFallback($0) })
        let batch = try #require(result.withdrawals)
        #expect(batch.children("entry").count == 7)  // the seven drafts accepted from the card
        let transaction = engine.transaction(body: body, format: nil, accept: nil)
        let expectedTransaction = try JSONWriter().write(result.output) + [0x0A]
        #expect(transaction.status == 200 && transaction.body == expectedTransaction)
        #expect(transaction.headers.contains { $0.name == "RPL-Withdrawals" && $0.value == "7" })
        #expect(transaction.headers.contains { $0.name == "Link" && $0.value == "<$rpl-withdrawals>; rel=\"related\"" })
        let withdrawals = engine.transaction(body: body, format: nil, accept: nil, withdrawals: true)
        let expectedBatch = try JSONWriter().write(batch) + [0x0A]
        #expect(withdrawals.status == 200 && withdrawals.body == expectedBatch)
        // Nothing to withdraw: 204, and no header on the transaction.
        let plain = Array(try Data(contentsOf: Self.folder.appendingPathComponent("fhir01-record.json")))
        #expect(engine.transaction(body: plain, format: nil, accept: nil, withdrawals: true).status == 204)
        #expect(engine.transaction(body: plain, format: nil, accept: nil).headers.isEmpty)
    }

    /// The trial's findings 5 to 8: order-select without selections, a suggestion's own uuid, the
    /// draft named in the summary, the Bearer scheme in any case.
    @Test func theTrialsSmallFindings() async throws {
        let engine = Self.engine(asOf: "2026-12-01")
        #expect(try await Self.call(engine, "rpl-order-select", "osel03-no-selections.json").status == 400)
        let answer = try await Self.call(engine, "rpl-order-sign", "os03-dydrogesterone.json")
        let card = try #require(try Serve.checkCards(try Serve.json(answer.body)).first)
        let suggestion = try #require((card["suggestions"] as? [[String: Any]])?.first)
        #expect(suggestion["uuid"] as? String != card["uuid"] as? String)
        let summary = try #require(card["summary"] as? String)
        #expect(summary.contains("NR-DRUGS") && summary.contains("MedicationRequest/draft-dydro") && !summary.contains("Not recommended: "), "\(summary)")
    }
}
