import ExitStatus
import FHIR
import RPLAdapter
import RPLGuideline

/// What one input (a file, an ndjson line) answers: its writes to standard output and standard
/// error in the order they were made, and how it ended. Made on any thread; written on one, in the
/// order of the inputs, so that the output is the same however many are answered at once.
struct Answer: Sendable {
    enum Write: Sendable { case output([UInt8]), error(String) }
    var writes: [Write] = []
    var failed = false
    var unreadable = false

    /// An input that cannot be read: one line on standard error (exit 74 at the end).
    static func unreadable(_ message: String) -> Answer {
        var a = Answer()
        a.error("rpl-adapter: \(message)")
        a.unreadable = true
        return a
    }

    mutating func output(_ bytes: [UInt8]) { writes.append(.output(bytes)) }
    mutating func error(_ line: String) { writes.append(.error(line)) }

    /// Bad input: an OperationOutcome (when one is written: HL7 v2 output carries messages only)
    /// on standard output, one line on standard error.
    mutating func refuse(_ error: FHIRFormatError, source: String, outcome: Element?, as format: FHIRFormat, pretty: Bool) {
        if let outcome, var bytes = try? format.write(outcome, pretty: pretty) {
            if !pretty && format == .json { bytes.append(0x0A) }
            output(bytes)
        }
        self.error("rpl-adapter: \(Terminal.name(source)): \(error)")
        failed = true
    }

    /// Out, in order (a write that fails ends the run: `Terminal.output`).
    func write() {
        for w in writes {
            switch w {
            case .output(let bytes): Terminal.output(bytes)
            case .error(let line): Terminal.error(line)
            }
        }
    }
}

/// How `apply` answers one input: the options it was given, without the argument parser's types
/// (shared by the threads that answer inputs at once).
struct Answering: Sendable {
    let adapter: Adapter
    let date: CalendarDate?
    let inputFormat: Apply.InputFormat
    let outputFormat: Apply.ApplyOutputFormat?
    let pretty: Bool
    /// How many inputs the run has (one: the output keeps the input's format).
    let inputCount: Int

    /// One file: its plan, or an OperationOutcome saying what is wrong with it. `kept` is the last
    /// input's tree and plan, for the caller to leave to the kernel (see `Apply.run`); every other
    /// is freed here, by the thread that made it, not held until its answer is written.
    func answer(_ given: Apply.FileInput) -> (answer: Answer, kept: (bundle: Element, result: Adapter.Result)?) {
        let file = given.name
        var a = Answer()
        var kept: (bundle: Element, result: Adapter.Result)?
        // Several files: JSON, one Bundle per line, whatever their formats (XML cannot be
        // concatenated). One file: the input's own format unless told otherwise.
        var format = outputFormat?.format ?? (inputFormat == .xml && inputCount == 1 ? .xml : .json)
        var inputName: String?
        do {
            // A stream was read already, in order, by the reading thread (`Apply.Queue`).
            let input = try given.read?.get() ?? InputFile.read(file)
            let sniffed: FHIRFormat = try inputFormat == .json ? .json : inputFormat == .xml ? .xml : input.withBytes { (b) throws(FHIRFormatError) in try FHIRFormat.detect(b) }
            if outputFormat == nil && inputCount == 1 { format = sniffed }
            // The input bytes are freed once read: only the tree lives on. A large JSON
            // input gives its entries' pages back while it is read (issue 20: the input was a
            // third of the peak), so what is asked of its bytes afterwards is asked first.
            let bundle = try input.withBytes { (b) throws(FHIRFormatError) -> Element in
                let discarding = sniffed == .json && b.count >= Apply.discardingFrom
                let fallback = discarding ? Adapter.inputFallback(b) : nil
                let ndjson = discarding ? FHIRFormat.looksLikeNDJSON(b) : nil
                do throws(FHIRFormatError) {
                    let bundle = try Adapter.read(b, as: sniffed, discarding: discarding, screen: adapter.profiles.observationScreen)
                    // A hash of the bytes names only an input that names itself nowhere (it costs a pass).
                    if Adapter.namesItself(bundle) == false { inputName = fallback ?? Adapter.inputFallback(b) }
                    return bundle
                } catch {
                    inputName = fallback ?? Adapter.inputFallback(b)
                    if sniffed == .json && (ndjson ?? FHIRFormat.looksLikeNDJSON(b)) {
                        throw FHIRFormatError(.structure, "looks like ndjson (one Bundle per line): use --input-format ndjson (\(error.message))", line: error.line, column: error.column)
                    }
                    throw error
                }
            }
            // Freed here, not at the end of the scope: the plan is made from the tree alone
            // (issue 20: the bytes were a third of a large Bundle's peak).
            input.release()
            let result = try adapter.apply(bundle, asOf: date, inputFallback: inputName)
            if given.isLast { kept = (bundle, result) }
            report(result, source: file, into: &a)
            if outputFormat == .hl7v2 {
                if !writeHL7(result, source: file, inputName: inputName, into: &a) { a.failed = true }
                return (a, kept)
            }
            var bytes = try format.write(result.output, pretty: pretty)
            if format == .json && !pretty { bytes.append(0x0A) }
            a.output(bytes)
            try writeWithdrawals(result, format: format, source: file, into: &a)
        } catch let error as InputFile.ReadError {
            // The files after an unreadable one are still made (as after a bad one).
            a = .unreadable(error.message)
        } catch let error as FHIRFormatError {
            let outcome = outputFormat == .hl7v2 ? nil : adapter.namingInput(OperationOutcome.make([error]), inputName ?? "unreadable input")
            a.refuse(error, source: file, outcome: outcome, as: format, pretty: pretty)
        } catch {
            // InputFile.read and the steps above throw only the two errors above.
            a.error("rpl-adapter: \(Terminal.name(file)): \(error)")
            a.failed = true
        }
        return (a, kept)
    }

    /// One ndjson line: one line out (a Bundle, or an OperationOutcome for a bad or blank line).
    func answer(line: LineReader.Line, number: Int, file: String) -> Answer {
        var a = Answer()
        let format = FHIRFormat.json
        let name = "\(Terminal.name(file)) line \(number)"
        do throws(FHIRFormatError) {
            if case .tooLong = line { throw FHIRFormatError(.tooLong, "line longer than \(InputFile.maxBytes) bytes") }
            guard case .text(let bytes) = line else { return a }
            // A blank line carries no Bundle; it still gets its answer line (one line out per line in).
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                throw FHIRFormatError(.structure, "blank line: expected one Bundle per line", line: number, column: 1)
            }
            let bundle = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in try Adapter.read(b, as: .json, screen: adapter.profiles.observationScreen) }
            let fallback = Adapter.namesItself(bundle) ? nil : bytes.withUnsafeBufferPointer { Adapter.inputFallback($0, line: number) }
            let result = try adapter.apply(bundle, asOf: date, inputFallback: fallback)
            report(result, source: name, into: &a)
            if outputFormat == .hl7v2 {
                if !writeHL7(result, source: name, inputName: fallback, into: &a) { a.failed = true }
                return a
            }
            var out = try format.write(result.output, pretty: false)
            out.append(0x0A)
            a.output(out)
            try writeWithdrawals(result, format: format, source: name, into: &a)
        } catch {
            var e = error
            if e.line == nil || e.line == 1 { e.line = number }
            let answering: String
            if case .text(let bytes) = line { answering = bytes.withUnsafeBufferPointer { Adapter.inputFallback($0, line: number) } } else { answering = "line \(number)" }
            a.refuse(e, source: name, outcome: outputFormat == .hl7v2 ? nil : adapter.namingInput(OperationOutcome.make([e]), answering), as: format, pretty: false)
        }
        return a
    }

    /// interface.md v3: the batch withdrawing earlier proposals, after the transaction, as the
    /// next document or line (JSON). XML output holds one document: there it is said, not written.
    func writeWithdrawals(_ result: Adapter.Result, format: FHIRFormat, source: String, into a: inout Answer) throws(FHIRFormatError) {
        guard let batch = result.withdrawals else { return }
        guard format == .json else {
            a.error("rpl-adapter: \(source): warning: \(batch.children("entry").count) earlier proposal(s) to withdraw: XML output holds one document, use --output-format json for the withdrawal batch")
            return
        }
        var bytes = try format.write(batch, pretty: pretty)
        if !pretty { bytes.append(0x0A) }
        a.output(bytes)
    }

    /// The plan's laboratory orders as HL7 v2 messages, one after another. A refused patient or
    /// message (interface.md v3: no identifier for PID-3, an identifier too long for its field)
    /// writes no message: standard output carries HL7 v2 only, so the OperationOutcome saying what
    /// and where goes to standard error (one JSON line) after the summary line. False when refused.
    func writeHL7(_ result: Adapter.Result, source: String, inputName: String?, into a: inout Answer) -> Bool {
        let name = Terminal.name(source)
        let output: (messages: [String], warnings: [String])
        do {
            output = try adapter.hl7v2(result)
        } catch {
            let issue = FHIRFormatError(.invalid, error.message + " (HL7 v2 field \(error.field))", location: error.location)
            a.error("rpl-adapter: \(name): \(issue)")
            let outcome = adapter.namingInput(OperationOutcome.make([issue]), result.output.child("identifier")?.string("value") ?? inputName ?? "unnamed input")
            if let bytes = try? FHIRFormat.json.write(outcome, pretty: false) { a.error(String(decoding: bytes, as: UTF8.self)) }
            return false
        }
        for w in output.warnings { a.error("rpl-adapter: \(name): warning: \(w)") }
        if output.messages.isEmpty && result.notIndicated == nil {
            a.error("rpl-adapter: \(name): no signed laboratory order in the plan: no HL7 v2 message")
        }
        a.output(Array(output.messages.joined().utf8))
        return true
    }

    func report(_ result: Adapter.Result, source: String, into a: inout Answer) {
        let name = Terminal.name(source)
        for w in result.warnings { a.error("rpl-adapter: \(name): warning: \(w)") }
        if let why = result.notIndicated { a.error("rpl-adapter: \(name): no plan: \(why)") }
    }
}
