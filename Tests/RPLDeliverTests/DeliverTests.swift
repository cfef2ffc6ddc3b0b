import Foundation
import Testing
@testable import RPLDeliver
import GRDB
import Digests

@Suite struct IntakeTests {
    @Test func hl7MessagesAreSplitAtEachMSH() {
        let text = "MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\rPID|1\rMSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID2|P|2.5.1\rPID|1\r"
        let intake = Intake.read(Array(text.utf8))
        #expect(intake.refused == nil)
        #expect(intake.items.map(\.kind) == ["hl7v2", "hl7v2"])
        #expect(intake.items.map(\.name) == ["HL7 v2 message ID1", "HL7 v2 message ID2"])
        #expect(intake.items.allSatisfy { $0.body.last == 0x0D && $0.body.starts(with: Array("MSH|".utf8)) })
        // "MSH|" inside a value does not start a message.
        let inside = Intake.read(Array("MSH|^~\\&|A||||x||OML^O21|ID3|P|2.5.1\rNTE|1||see MSH|in text\r".utf8))
        #expect(inside.items.count == 1)
        // A newline at the end of the file is allowed.
        #expect(Intake.read(Array((text + "\n").utf8)).items.count == 2)
    }

    @Test func brokenHL7IsRefusedWhole() {
        let good = "MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\rPID|1\r"
        for (bad, why) in [
            ("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\rPID|1", "the last segment has no terminator"),
            ("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\nPID|1\n", "segments end in \\n"),
            ("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|ID1|P|2.5.1\r\nPID|1\r\n", "segments end in \\r\\n"),
            (" " + good, "a blank before MSH"),
            (good + "pid|1\r", "not a segment"),
            (good + "\r", "an empty segment"),
            ("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21||P|2.5.1\rPID|1\r", "no MSH-10"),
            (good + "NTE|1||a\u{01}b\r", "a control character"),
        ] {
            let intake = Intake.read(Array(bad.utf8))
            #expect(intake.refused != nil && intake.items.isEmpty, "\(why)")
        }
        // A second message cut short refuses the first too: nothing is sent.
        #expect(Intake.read(Array((good + "MSH|^~\\&|A|B|C|D|2026||OML^O21|ID2|P|2.5.1\rPID|1").utf8)).items.isEmpty)
    }

    @Test func ndjsonLinesAreBundlesOperationOutcomesAndEmptyBundlesAreCountedNotSent() {
        let lines = [
            #"{"resourceType":"Bundle","type":"transaction","identifier":{"value":"Bundle/a"},"entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}"#,
            #"{"resourceType":"OperationOutcome","issue":[]}"#,
            #"{"resourceType":"Bundle","type":"transaction","identifier":{"value":"Bundle/b"}}"#,
            "",
            "not json",
            #"{"resourceType":"Patient"}"#,
            #"{"resourceType":"Bundle","type":"batch","identifier":{"value":"Bundle/a"},"entry":[{"resource":{"resourceType":"ServiceRequest"},"request":{"method":"PUT","url":"ServiceRequest/1"}}]}"#,
        ].joined(separator: "\n")
        let intake = Intake.read(Array(lines.utf8))
        #expect(intake.items.map(\.name) == ["Bundle for Bundle/a", "batch for Bundle/a"])
        #expect(intake.operationOutcomes == 1 && intake.notIndicated == 1)
        #expect(intake.problems.count == 2)
        // One pretty-printed Bundle is one message, its bytes as given.
        let pretty = "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\",\n  \"entry\": [{\"resource\": {\"resourceType\": \"Patient\"}, \"request\": {\"method\": \"POST\", \"url\": \"Patient\"}}]\n}\n"
        #expect(Intake.read(Array(pretty.utf8)).items.first?.body == Array(pretty.utf8))
    }

    /// What apply does not write is refused before anything is sent (the new user's trial: a
    /// conditional DELETE, an entry without a request, `entry` not a list were forwarded or
    /// counted as "not indicated"); a batch whose plan was not indicated goes alone.
    @Test func onlyWhatApplyWritesIsTakenIn() {
        for bad in [
            #"{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"ServiceRequest?identifier=x"}}]}"#,
            #"{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}}]}"#,
            #"{"resourceType":"Bundle","type":"transaction","entry":"notalist"}"#,
        ] {
            let intake = Intake.read(Array(bad.utf8))
            #expect(intake.items.isEmpty && intake.problems.count == 1 && intake.notIndicated == 0, "\(bad)")
        }
        let notIndicated = [
            #"{"resourceType":"Bundle","type":"transaction","identifier":{"value":"Bundle/c"}}"#,
            #"{"resourceType":"Bundle","type":"batch","identifier":{"value":"Bundle/c"},"entry":[{"resource":{"resourceType":"ServiceRequest"},"request":{"method":"PUT","url":"ServiceRequest/1"}}]}"#,
        ].joined(separator: "\n")
        #expect(Intake.read(Array(notIndicated.utf8)).items.map(\.name) == ["batch (plan not indicated) for Bundle/c"])
    }

    static let xmlBundle = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Bundle xmlns="http://hl7.org/fhir"><identifier><value value="Bundle/x"/></identifier><type value="transaction"/>\
        <entry><fullUrl value="urn:uuid:0b0c1a52-3c9d-4f0e-9a57-1f2f5d7c0001"/><resource><Patient><active value="true"/></Patient></resource>\
        <request><method value="POST"/><url value="Patient"/></request></entry></Bundle>
        """

    @Test func anXMLBundleIsSentAsJSON() throws {
        let intake = Intake.read(Array(Self.xmlBundle.utf8))
        #expect(intake.refused == nil && intake.problems.isEmpty)
        #expect(intake.items.map(\.name) == ["Bundle for Bundle/x"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(intake.items[0].body)) as? [String: Any])
        #expect(json["resourceType"] as? String == "Bundle" && json["type"] as? String == "transaction")
        #expect((json["entry"] as? [Any])?.count == 1)
        // Two documents one after another (a transaction, then a batch of withdrawals).
        let batch = Self.xmlBundle.replacingOccurrences(of: "transaction", with: "batch")
        #expect(Intake.read(Array((Self.xmlBundle + "\n" + batch + "\n").utf8)).items.map(\.name) == ["Bundle for Bundle/x", "batch for Bundle/x"])
        // XML that is not FHIR: refused whole.
        #expect(Intake.read(Array("<Bundle xmlns=\"http://hl7.org/fhir\"><nonsense/></Bundle>".utf8)).refused != nil)
    }
}

@Suite struct FHIRAnswerTests {
    let two = FHIRSender.Sent(type: "transaction", entries: 2)

    func response(_ statuses: [String], type: String = "transaction-response") -> String {
        let entries = statuses.map { #"{"response":{"status":"\#($0)"}}"# }.joined(separator: ",")
        return #"{"resourceType":"Bundle","type":"\#(type)","entry":[\#(entries)]}"#
    }

    @Test func aResponseIsWholeOneEntryPerEntrySentEach2xx() {
        #expect(FHIRSender.judge(response(["201 Created", "200 OK"]), status: 200, sent: two) == .delivered("HTTP 200, 2 entries 2xx"))
        if case .dead = FHIRSender.judge(response(["201 Created", "412 Precondition Failed"]), status: 200, sent: two) {} else { Issue.record("a 412 in a transaction is not delivered") }
        // Short (a proxy dropped an entry), long, or empty: not an acknowledgement.
        if case .dead(let t) = FHIRSender.judge(response(["201 Created"]), status: 200, sent: two) { #expect(t.contains("1 entries for 2 sent")) } else { Issue.record("short") }
        if case .dead = FHIRSender.judge(response(["201 Created", "200 OK", "200 OK"]), status: 200, sent: two) {} else { Issue.record("long") }
        if case .dead = FHIRSender.judge(response([]), status: 200, sent: two) {} else { Issue.record("empty") }
        if case .dead = FHIRSender.judge("<html/>", status: 200, sent: two) {} else { Issue.record("a 2xx without a transaction-response is not delivered") }
        // A batch wants a batch-response; a withdrawal's 412 is reported, not retried.
        let batch = FHIRSender.Sent(type: "batch", entries: 2)
        if case .dead = FHIRSender.judge(response(["200 OK", "200 OK"]), status: 200, sent: batch) {} else { Issue.record("a batch answered by a transaction-response") }
        if case .delivered(let t) = FHIRSender.judge(response(["200 OK", "412 Precondition Failed"], type: "batch-response"), status: 200, sent: batch) {
            #expect(t.contains("412"))
        } else { Issue.record("a withdrawal's 412 is reported") }
        if case .dead = FHIRSender.judge(response(["200 OK", "400 Bad Request"], type: "batch-response"), status: 200, sent: batch) {} else { Issue.record("a batch entry's 400") }
        #expect(FHIRSender.sent(Array(#"{"resourceType":"Bundle","type":"batch","entry":[{},{},{}]}"#.utf8)) == FHIRSender.Sent(type: "batch", entries: 3))
    }

    @Test func httpStatuses() {
        for code: UInt in [408, 429, 500, 502, 503, 504] {
            if case .retry = FHIRSender.judge("", status: code, sent: two) {} else { Issue.record("\(code) is retried") }
        }
        for code: UInt in [400, 401, 404, 412, 422, 501, 505] {
            if case .dead = FHIRSender.judge("", status: code, sent: two) {} else { Issue.record("\(code) is dead") }
        }
        #expect(FHIRSender.judge("", status: 503, sent: two, retryAfter: 7) == .retry("HTTP 503 ", retryAfter: 7))
        #expect(FHIRSender.retryAfter("120") == 120)
        let soon = FHIRSender.retryAfter("Wed, 21 Oct 2099 07:28:00 GMT") ?? -1
        #expect(soon > 1e9)
        #expect(FHIRSender.retryAfter("tomorrow") == nil)
    }

    @Test func redirectsAreFollowedOnlyWithinTheOrigin() {
        #expect(FHIRSender.sameOrigin("/fhir2", from: "http://127.0.0.1:8080/fhir") == "http://127.0.0.1:8080/fhir2")
        #expect(FHIRSender.sameOrigin("http://127.0.0.1:8080/other", from: "http://127.0.0.1:8080/fhir") == "http://127.0.0.1:8080/other")
        #expect(FHIRSender.sameOrigin("http://127.0.0.1:8081/fhir", from: "http://127.0.0.1:8080/fhir") == nil)
        #expect(FHIRSender.sameOrigin("https://127.0.0.1:8080/fhir", from: "http://127.0.0.1:8080/fhir") == nil)
        #expect(FHIRSender.sameOrigin("http://evil.example/fhir", from: "http://127.0.0.1:8080/fhir") == nil)
        #expect(FHIRSender.sameOrigin("https://lab.example:443/x", from: "https://lab.example/fhir") == "https://lab.example:443/x")
    }
}

@Suite struct HL7AnswerTests {
    static let message = Array("MSH|^~\\&|RPL|RPL|LAB|LAB|20261102||OML^O21^OML_O21|X1|P|2.5.1\rPID|1||900000001^^^NLMINBIZA^NNNLD\rORC|NW|ORD1||REQ1\rOBR|1|ORD1\rORC|NW|ORD2||REQ1\rOBR|2|ORD2\r".utf8)

    func ack(_ code: String, id: String = "X1", type: String = "ACK^O21", msa6: String = "", _ segments: String...) -> [UInt8] {
        Array(("MSH|^~\\&|LAB|LAB|RPL|RPL|20261102||\(type)|A1|P|2.5.1\rMSA|\(code)|\(id)||||\(msa6)" + segments.map { "\r" + $0 }.joined() + "\r").utf8)
    }

    func judge(_ a: [UInt8]) -> Answer { MLLPSender.judge(a, message: Self.message) }
    func isDelivered(_ a: Answer) -> Bool { if case .delivered = a { return true }; return false }
    func isDead(_ a: Answer) -> Bool { if case .dead = a { return true }; return false }
    func isRetry(_ a: Answer) -> Bool { if case .retry = a { return true }; return false }

    @Test func plainCodes() {
        #expect(judge(ack("AA")) == .delivered("AA for X1"))
        #expect(judge(ack("CA")) == .delivered("CA for X1"))
        #expect(isRetry(judge(ack("AR"))))
        #expect(isRetry(judge(ack("CE"))))
        #expect(isDead(judge(ack("AE"))))
        #expect(isDead(judge(ack("CR"))))
        #expect(isRetry(judge(ack("AA", id: "OTHER"))), "an ACK for another message is no ACK")
        #expect(isRetry(judge(Array("MSH|^~\\&\r".utf8))), "no MSA")
        #expect(MLLPSender.controlId(Array("MSH|^~\\&|A|B|C|D|20261102||OML^O21^OML_O21|CTRL|P|2.5.1\r".utf8)) == "CTRL")
        let framed = MLLPSender.frame(Array("MSH|x\r".utf8))
        #expect(framed.first == 0x0B && framed.suffix(2) == [0x1C, 0x0D])
        #expect(MLLPSender.unframe(framed) == Array("MSH|x\r".utf8))
        #expect(MLLPSender.unframe(Array(framed.dropLast())) == nil)
    }

    @Test func aDuplicateIsA205AtTheOrdersIdentifiers() {
        // Located at ORC-2, ORC-4 (of an ORC the message has) or MSH-10: already there, delivered.
        #expect(isDelivered(judge(ack("AE", "ERR||ORC^1^2|205^Duplicate key identifier^HL70357|E"))))
        #expect(isDelivered(judge(ack("AE", "ERR||ORC^2^4|205^Duplicate key identifier^HL70357|E"))))
        #expect(isDelivered(judge(ack("AE", "ERR||MSH^1^10|205^Duplicate key identifier^HL70357|E"))))
        #expect(isDelivered(judge(ack("AR", "ERR||ORC^1^2|205^Duplicate key identifier^HL70357|E"))))
        #expect(isDelivered(judge(ack("AE", "ERR||ORC^1^2|205|E", "ERR||ORC^2^2|205|E"))))
        // Not the order: the patient, no location, an ORC the message lacks, another field, or
        // another error beside it: dead, the answer kept.
        let patient = judge(ack("AE", "ERR||PID^1^3|205^Duplicate key identifier^HL70357|E"))
        #expect(isDead(patient))
        #expect(patient.text.contains("ERR||PID^1^3|205"), "the answer is kept")
        #expect(isDead(judge(ack("AE", "ERR|||205^Duplicate key identifier^HL70357|E"))))
        #expect(isDead(judge(ack("AE", "ERR||ORC^3^2|205|E"))))
        #expect(isDead(judge(ack("AE", "ERR||ORC^1^3|205|E"))))
        #expect(isDead(judge(ack("AE", "ERR||ORC^1^2|205|E", "ERR||PID^1^3|204|E"))))
        #expect(isDead(judge(ack("AE", "ERR||ORC^1^2~PID^1^3|205|E"))))
        // The word alone is nothing: "Duplicate patient: order not accepted" is a refusal.
        #expect(isDead(judge(ack("AE", "ERR|||207^Duplicate patient: order not accepted^HL70357|E"))))
        #expect(isDead(judge(ack("AE", "ERR|||^duplicate|E"))))
        // AR with an unlocated 205: retried as any AR.
        #expect(isRetry(judge(ack("AR", "ERR|||205|E"))))
    }

    @Test func olderReceiversERR1AndMSA6() {
        // ERR-1 (v2.3): segment^sequence^field^code&text&table.
        #expect(isDelivered(judge(ack("AE", "ERR|ORC^1^2^205&Duplicate key identifier&HL70357"))))
        #expect(isDead(judge(ack("AE", "ERR|PID^1^3^205&Duplicate key identifier&HL70357"))))
        #expect(isDead(judge(ack("AE", "ERR|^^^205&Duplicate key identifier&HL70357"))))
        // MSA-6 alone has no location: a refusal; beside a located ERR 205 it must agree.
        #expect(isDead(judge(ack("AE", msa6: "205^Duplicate key identifier"))))
        #expect(isDelivered(judge(ack("AE", msa6: "205^Duplicate key identifier", "ERR|ORC^1^2^205&Duplicate key identifier&HL70357"))))
        #expect(isDead(judge(ack("AE", msa6: "207^Application internal error", "ERR|ORC^1^2^205&Duplicate key identifier&HL70357"))))
    }

    @Test func unsupportedIsDeadAtOnce() {
        for code in ["200", "201", "202", "203"] {
            #expect(isDead(judge(ack("AR", "ERR|||\(code)^Unsupported|E"))), "AR \(code)")
            #expect(isDead(judge(ack("CR", "ERR|||\(code)^Unsupported|E"))), "CR \(code)")
            #expect(isDead(judge(ack("AR", msa6: "\(code)^Unsupported"))), "AR MSA-6 \(code)")
        }
        #expect(isRetry(judge(ack("AR", "ERR|||207^Application internal error|E"))))
    }

    @Test func orlO22NeedsEveryOrderOK() {
        let orl = "ORL^O22^ORL_O22"
        #expect(isDelivered(judge(ack("AA", type: orl, "PID|1", "ORC|OK|ORD1", "ORC|OK|ORD2"))))
        #expect(isDelivered(judge(ack("CA", type: orl, "ORC|OK|ORD1"))))
        let refused = judge(ack("AA", type: orl, "ORC|OK|ORD1", "ORC|UA|ORD2"))
        #expect(isDead(refused) && refused.text.contains("ORC|UA|ORD2"))
        #expect(isDead(judge(ack("AA", type: orl, "ORC|DE|ORD1"))))
        #expect(isDead(judge(ack("AE", type: orl, "ERR||ORC^1^2|205|E", "ORC|OK|ORD1"))))
        #expect(isRetry(judge(ack("AR", type: orl, "ORC|OK|ORD1"))))
    }
}

@Suite struct HeaderTests {
    @Test func headersAreCheckedAndValuesNeverShown() {
        let good = try? HeaderCheck.parse("Authorization: Bearer abc.DEF-123").get()
        #expect(good?.name == "Authorization" && good?.value == "Bearer abc.DEF-123")
        for bad in ["Authorization: Bearer SECRET\r\nX-Evil: 1", "Authorization: Bearer SECRET\n", "Authorization: Bearer\u{0}SECRET",
                    "Authorization: Bearer\tSECRET", "Authorization: Bearer SECRET\u{7F}", "Authorization: SECRET\u{85}"] {
            guard case .failure(let e) = HeaderCheck.parse(bad) else { Issue.record("accepted a control character"); continue }
            #expect(!e.message.contains("SECRET") && e.message.contains("Authorization") && e.message.contains("control character"))
        }
        for bad in ["Bearer SECRET", ": SECRET", "Auth orization: SECRET", "Autho\rrization: SECRET"] {
            guard case .failure(let e) = HeaderCheck.parse(bad) else { Issue.record("accepted \(bad.debugDescription)"); continue }
            #expect(!e.message.contains("SECRET"))
        }
    }

    @Test func aHeaderValueIsRedactedFromAnswers() {
        struct Nothing: Sender {
            func send(_ message: Outbox.Message, timeout: Double) async -> Answer { .dead("x") }
            func shutdown() async {}
        }
        var d = Deliverer(sender: Nothing(), destination: "http://x", policy: RetryPolicy(), log: { _ in })
        d.secrets = ["Bearer SECRET"]
        #expect(d.redact("HTTP 401: you sent Bearer SECRET, wrong") == "HTTP 401: you sent [header value], wrong")
    }
}

@Suite struct PolicyTests {
    @Test func backoffHasFullJitterAndHonoursRetryAfter() {
        var p = RetryPolicy()
        p.maxWait = 10
        #expect(p.delay(afterAttempt: 3, retryAfter: 7) == 7)
        #expect(p.delay(afterAttempt: 3, retryAfter: 700) == 10)
        for attempt in 1...8 {
            let d = p.delay(afterAttempt: attempt, retryAfter: nil)
            #expect(d >= 0 && d <= min(10, p.base * pow(2, Double(attempt - 1))))
        }
        #expect(TestKill.fromEnvironment(["RPL_DELIVER_TEST_KILL_AFTER": "3", "RPL_DELIVER_TEST_KILL_POINT": "recorded"])?.point == .recorded)
        #expect(TestKill.fromEnvironment(["RPL_DELIVER_TEST_KILL_AFTER": "3"])?.point == .received)
        #expect(TestKill.fromEnvironment([:]) == nil)
    }
}

/// A receiver that answers from a script, for the deliverer's stopping rules.
final class Scripted: Sender, @unchecked Sendable {
    let lock = NSLock()
    var answers: [Answer]
    var sent: [String] = []
    init(_ answers: [Answer]) { self.answers = answers }
    func send(_ message: Outbox.Message, timeout: Double) async -> Answer {
        lock.withLock {
            sent.append(message.name)
            return answers.isEmpty ? .delivered("ok") : answers.removeFirst()
        }
    }
    func shutdown() async {}
}

/// The deliverer's log lines, kept.
final class LogLines: @unchecked Sendable {
    let lock = NSLock()
    var kept: [String] = []
    var lines: [String] { lock.withLock { kept } }
    @Sendable func add(_ line: String) { lock.withLock { kept.append(line) } }
}

func temporaryOutbox() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString).sqlite").path
}

func remove(_ path: String) {
    for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

@Suite struct DelivererTests {
    func policy() -> RetryPolicy {
        var p = RetryPolicy()
        p.base = 0.001
        p.maxWait = 0.01
        return p
    }

    @Test func consecutiveFailuresStopTheDestination() async throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        let box = try Outbox(path: path)
        try box.add([("fhir", "a", [1]), ("fhir", "b", [2])], destination: "http://x")
        let down = Scripted(Array(repeating: .retry("connection refused", retryAfter: nil), count: 50))
        var p = policy()
        p.maxConsecutiveFailures = 5
        let outcome = try await Deliverer(sender: down, destination: "http://x", policy: p, log: { _ in }).run(box)
        #expect(outcome == .receiverDown && down.sent.count == 5)
        #expect(try box.counts() == Outbox.Counts(pending: 2))
    }

    @Test func aRetryAfterBeyondMaxWaitLeavesItPending() async throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        let box = try Outbox(path: path)
        try box.add([("fhir", "a", [1]), ("fhir", "b", [2])], destination: "http://x")
        let busy = Scripted([.retry("HTTP 503", retryAfter: 3600)])
        var p = policy()
        p.maxWait = 5
        let log = LogLines()
        let outcome = try await Deliverer(sender: busy, destination: "http://x", policy: p, log: log.add).run(box)
        #expect(outcome == .done)
        // Left without a wait (what a stopwatch would tell, told by what was done).
        #expect(log.lines.contains { $0.hasPrefix("pending a: the receiver asks to wait 3600 s, beyond --max-wait 5 s") }, "\(log.lines)")
        #expect(!log.lines.contains { $0.hasPrefix("retry ") }, "\(log.lines)")
        #expect(busy.sent == ["a", "b"])
        #expect(try box.counts() == Outbox.Counts(pending: 1, delivered: 1))
    }

    @Test func maxTimeBoundsTheRun() async throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        let box = try Outbox(path: path)
        try box.add([("fhir", "a", [1])], destination: "http://x")
        var p = policy()
        p.maxWait = 6000
        p.base = 3000
        p.maxAttempts = 100
        p.maxConsecutiveFailures = 100
        let log = LogLines()
        var d = Deliverer(sender: Scripted([.retry("HTTP 503", retryAfter: 3000)]), destination: "http://x", policy: p, log: log.add)
        // 10 minutes: past anything a stalled machine spends before the first attempt, short of
        // the 3,000 s the receiver asks to wait (so the deliverer stops before waiting, not after).
        d.deadline = Date().addingTimeInterval(600)
        #expect(try await d.run(box) == .timeUp)
        // Stopped before a wait past the deadline, not after it.
        #expect(log.lines.contains { $0.hasPrefix("pending a: HTTP 503; --max-time reached before the next attempt") }, "\(log.lines)")
        #expect(!log.lines.contains { $0.hasPrefix("retry ") }, "\(log.lines)")
        #expect(try box.counts() == Outbox.Counts(pending: 1))
    }
}

@Suite struct OutboxTests {
    @Test func messagesAreKeyedByDestinationAndContent() throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        let box = try Outbox(path: path)
        #expect(try box.add([("fhir", "a", Array("A".utf8)), ("fhir", "b", Array("B".utf8))], destination: "http://one") == 2)
        #expect(try box.add([("fhir", "a again", Array("A".utf8))], destination: "http://one") == 0)
        // The same content for another destination is another message.
        #expect(try box.add([("fhir", "a", Array("A".utf8))], destination: "http://two") == 1)
        let pending = try box.pending(destination: "http://one")
        #expect(pending.map(\.name) == ["a", "b"])
        try box.record(pending[0].id, state: .delivered, attempts: 2, answer: "HTTP 200")
        try box.record(pending[1].id, state: .dead, attempts: 1, answer: "HTTP 400")
        #expect(try box.counts(destination: "http://one") == Outbox.Counts(pending: 0, delivered: 1, dead: 1))
        #expect(try box.counts() == Outbox.Counts(pending: 1, delivered: 1, dead: 1))
        #expect(try box.countsByDestination().map(\.0) == ["http://one", "http://two"])
        // One writer: a second deliver on the same outbox is refused while the first holds it...
        #expect(throws: Outbox.Busy.self) { try Outbox(path: path) }
        // ...but a reader (--status) reads meanwhile, without the lock.
        let reader = try Outbox(readingAt: path)
        #expect(try reader.counts() == Outbox.Counts(pending: 1, delivered: 1, dead: 1))
        // Dead back to pending, its destination kept.
        let dead = try box.dead(destination: "http://one")
        #expect(dead.map(\.message.name) == ["b"] && dead[0].answer == "HTTP 400")
        #expect(try box.dead(destination: "http://two").isEmpty)
        try box.requeue(dead[0].message.id)
        #expect(try box.pending(destination: "http://one").map(\.name) == ["b"])
        #expect(try reader.counts(destination: "http://one") == Outbox.Counts(pending: 1, delivered: 1))
    }

    @Test func paths() throws {
        let dir = FileManager.default.temporaryDirectory.path
        #expect(Outbox.check(path: dir + "/no-such-folder-\(UUID())/o.sqlite", mustExist: false).map { if case .unusable = $0 { true } else { false } } == true)
        #expect(Outbox.check(path: dir, mustExist: false).map { if case .unusable = $0 { true } else { false } } == true)
        #expect(Outbox.check(path: "/dev/null", mustExist: false).map { if case .unusable = $0 { true } else { false } } == true)
        let fresh = temporaryOutbox()
        #expect(Outbox.check(path: fresh, mustExist: false) == nil)
        #expect(Outbox.check(path: fresh, mustExist: true).map { if case .missing = $0 { true } else { false } } == true)
        #expect(!FileManager.default.fileExists(atPath: fresh) && !FileManager.default.fileExists(atPath: fresh + ".lock"))
    }
}

@Suite struct WithdrawalTests {
    @Test func aBatchOfWithdrawalsWaitsForItsTransaction() async throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        let box = try Outbox(path: path)
        // Taken in batch first (an engine may reorder lines), a batch whose plan was not indicated
        // (it goes alone), and a batch whose transaction never came (it waits: the new user's
        // trial found both sent at once).
        try box.add([("fhir", "batch for Bundle/x", [2]), ("fhir", "Bundle for Bundle/x", [1]), ("fhir", "batch (plan not indicated) for Bundle/y", [3]),
                     ("fhir", "batch for Bundle/z", [4])], destination: "http://x")
        var p = RetryPolicy()
        p.maxAttempts = 1
        // The transaction is refused for now (retried): its batch waits; the not-indicated batch goes.
        let refusing = Scripted([.retry("HTTP 503", retryAfter: nil)])
        #expect(try await Deliverer(sender: refusing, destination: "http://x", policy: p, log: { _ in }).run(box) == .done)
        #expect(refusing.sent == ["Bundle for Bundle/x", "batch (plan not indicated) for Bundle/y"])
        #expect(try box.counts() == Outbox.Counts(pending: 3, delivered: 1))
        // Delivered next time: then its batch, in the same run; the lone batch still waits.
        let fine = Scripted([])
        _ = try await Deliverer(sender: fine, destination: "http://x", policy: p, log: { _ in }).run(box)
        #expect(fine.sent == ["Bundle for Bundle/x", "batch for Bundle/x"])
        #expect(try box.counts() == Outbox.Counts(pending: 1, delivered: 3))
    }
}

@Suite struct LegacyOutboxTests {
    @Test func anOutboxOfVersion2IsTakenOver() throws {
        let path = temporaryOutbox()
        defer { remove(path) }
        // Version 2's table: no destination, keyed by a digest of kind and body.
        do {
            let db = try GRDB.DatabaseQueue(path: path)
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE message (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, name TEXT NOT NULL,
                        body BLOB NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, last_answer TEXT,
                        created TEXT NOT NULL, updated TEXT NOT NULL)
                    """)
                try db.execute(sql: "INSERT INTO message (key, kind, name, body, created, updated) VALUES (?, 'fhir', 'old', ?, '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z')",
                               arguments: [Digest.sha1Hex(Array("fhir".utf8) + [0] + [7]), Data([7])])
            }
        }
        let box = try Outbox(path: path)
        // The same content again is not taken in twice; its pending message goes to the first destination of its kind.
        #expect(try box.add([("fhir", "old again", [7])], destination: "http://x") == 0)
        #expect(try box.claimUndirected(kind: "fhir", destination: "http://x") == 1)
        #expect(try box.pending(destination: "http://x").map(\.name) == ["old"])
        #expect(try box.add([("fhir", "old again", [7])], destination: "http://x") == 0)
        #expect(try box.add([("fhir", "elsewhere", [7])], destination: "http://y") == 1)
    }
}
