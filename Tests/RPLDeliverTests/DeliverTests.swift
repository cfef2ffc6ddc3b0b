import Foundation
import Testing
@testable import RPLDeliver

@Suite struct IntakeTests {
    @Test func hl7MessagesAreSplitAtEachMSH() {
        let text = "MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\rPID|1\r\nMSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID2|P|2.5.1\rPID|1\r"
        let intake = Intake.read(Array(text.utf8))
        #expect(intake.items.map(\.kind) == ["hl7v2", "hl7v2"])
        #expect(intake.items.map(\.name) == ["HL7 v2 message ID1", "HL7 v2 message ID2"])
        #expect(intake.items.allSatisfy { $0.body.last == 0x0D && $0.body.starts(with: Array("MSH|".utf8)) })
        // "MSH|" inside a value does not start a message.
        let inside = Intake.read(Array("MSH|^~\\&|A||||x||OML^O21|ID3|P|2.5.1\rNTE|1||see MSH|in text\r".utf8))
        #expect(inside.items.count == 1)
    }

    @Test func ndjsonLinesAreBundlesOperationOutcomesAndEmptyBundlesAreCountedNotSent() {
        let lines = [
            #"{"resourceType":"Bundle","type":"transaction","identifier":{"value":"Bundle/a"},"entry":[{"resource":{"resourceType":"Patient"}}]}"#,
            #"{"resourceType":"OperationOutcome","issue":[]}"#,
            #"{"resourceType":"Bundle","type":"transaction","identifier":{"value":"Bundle/b"}}"#,
            "",
            "not json",
            #"{"resourceType":"Patient"}"#,
        ].joined(separator: "\n")
        let intake = Intake.read(Array(lines.utf8))
        #expect(intake.items.map(\.name) == ["Bundle for Bundle/a"])
        #expect(intake.operationOutcomes == 1 && intake.notIndicated == 1)
        #expect(intake.problems.count == 2)
        // One pretty-printed Bundle is one message, its bytes as given.
        let pretty = "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\",\n  \"entry\": [{\"resource\": {\"resourceType\": \"Patient\"}}]\n}\n"
        #expect(Intake.read(Array(pretty.utf8)).items.first?.body == Array(pretty.utf8))
    }
}

@Suite struct AnswerTests {
    @Test func fhirAnswers() {
        let ok = #"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}},{"response":{"status":"200 OK"}}]}"#
        #expect(FHIRSender.judge(ok, status: 200) == .delivered("HTTP 200, 2 entries 2xx"))
        let partial = #"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}},{"response":{"status":"412 Precondition Failed"}}]}"#
        #expect(FHIRSender.judge(partial, status: 200) == .dead("HTTP 200, entries not 2xx: 412 Precondition Failed"))
        if case .dead = FHIRSender.judge("<html/>", status: 200) {} else { Issue.record("a 2xx without a transaction-response is not delivered") }
        #expect(FHIRSender.retryAfter("120") == 120)
        let soon = FHIRSender.retryAfter("Wed, 21 Oct 2099 07:28:00 GMT") ?? -1
        #expect(soon > 1e9)
        #expect(FHIRSender.retryAfter("tomorrow") == nil)
        #expect(FHIRSender.retried == [408, 429, 502, 503, 504])
    }

    func ack(_ code: String, _ id: String = "X1", err: String? = nil) -> [UInt8] {
        Array(("MSH|^~\\&|LAB|LAB|A|B|20261102||ACK^O21|A1|P|2.5.1\rMSA|\(code)|\(id)" + (err.map { "\rERR|||\($0)" } ?? "") + "\r").utf8)
    }

    @Test func mllpAcknowledgements() {
        #expect(MLLPSender.judge(ack("AA"), controlId: "X1") == .delivered("AA for X1"))
        #expect(MLLPSender.judge(ack("CA"), controlId: "X1") == .delivered("CA for X1"))
        if case .retry = MLLPSender.judge(ack("AR"), controlId: "X1") {} else { Issue.record("AR is retried") }
        if case .retry = MLLPSender.judge(ack("CE"), controlId: "X1") {} else { Issue.record("CE is retried") }
        if case .dead = MLLPSender.judge(ack("AE"), controlId: "X1") {} else { Issue.record("AE is dead") }
        if case .dead = MLLPSender.judge(ack("CR"), controlId: "X1") {} else { Issue.record("CR is dead") }
        if case .delivered = MLLPSender.judge(ack("AE", err: "205^Duplicate key identifier^HL70357"), controlId: "X1") {} else { Issue.record("AE 205 is a duplicate") }
        if case .retry = MLLPSender.judge(ack("AA", "OTHER"), controlId: "X1") {} else { Issue.record("an ACK for another message is no ACK") }
        if case .retry = MLLPSender.judge(Array("MSH|^~\\&\r".utf8), controlId: "X1") {} else { Issue.record("no MSA") }
        #expect(MLLPSender.controlId(Array("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|CTRL|P|2.5.1\r".utf8)) == "CTRL")
        let framed = MLLPSender.frame(Array("MSH|x\r".utf8))
        #expect(framed.first == 0x0B && framed.suffix(2) == [0x1C, 0x0D])
        #expect(MLLPSender.unframe(framed) == Array("MSH|x\r".utf8))
        #expect(MLLPSender.unframe(Array(framed.dropLast())) == nil)
    }

    @Test func backoffHasFullJitterAndHonoursRetryAfter() {
        var p = RetryPolicy()
        p.maxWait = 10
        #expect(p.delay(afterAttempt: 3, retryAfter: 7) == 7)
        #expect(p.delay(afterAttempt: 3, retryAfter: 700) == 10)
        for attempt in 1...8 {
            let d = p.delay(afterAttempt: attempt, retryAfter: nil)
            #expect(d >= 0 && d <= min(10, 0.5 * pow(2, Double(attempt - 1))))
        }
    }
}

@Suite struct OutboxTests {
    @Test func messagesAreTakenInOnceAndTheirStatesKept() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let box = try Outbox(path: path)
        #expect(try box.add([("fhir", "a", Array("A".utf8)), ("fhir", "b", Array("B".utf8))]) == 2)
        #expect(try box.add([("fhir", "a again", Array("A".utf8))]) == 0)
        let pending = try box.pending()
        #expect(pending.map(\.name) == ["a", "b"])
        try box.record(pending[0].id, state: .delivered, attempts: 2, answer: "HTTP 200")
        try box.record(pending[1].id, state: .dead, attempts: 1, answer: "HTTP 400")
        #expect(try box.counts() == Outbox.Counts(pending: 0, delivered: 1, dead: 1))
        // One writer: a second deliver on the same outbox is refused while the first holds it.
        #expect(throws: Outbox.Busy.self) { try Outbox(path: path) }
    }
}
