import ArgumentParser
import ExitStatus
import FHIR
import RPLAdapter
import RPLGuideline

#if canImport(Glibc)
import Glibc
#endif

/// `rpl-adapter apply`: a patient's Bundle in, the RPL work-up and treatment plan out.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the recurrent pregnancy loss plan for each input Bundle.",
        discussion: """
            Output: one transaction Bundle per input Bundle (CarePlan, ServiceRequests, \
            MedicationRequest proposals, DetectedIssues, RiskAssessment, Provenance). Fewer than 2 \
            losses: an empty transaction Bundle and a line on standard error (exit 0). Exit 65 \
            with an OperationOutcome for unusable input, 74 when a file cannot be read.

            Example:
              rpl-adapter apply --as-of 2026-11-02 patient.json > plan.json
            """
    )

    /// JSON inputs from this size on give their entries' pages back while read (4 MB: a large
    /// patient record; below it, the pass the digest and the ndjson check take first costs more
    /// than the pages are worth).
    static let discardingFrom = 4 << 20

    // Every option is also read by `Apply.plain` (below), which must set each property: one it
    // leaves unset traps when read.
    @Option(name: .long, help: "Evaluation date YYYY-MM-DD (default: Bundle.timestamp, else today).", transform: EvaluationDate.init(parsing:))
    var asOf: EvaluationDate?

    @Option(name: .long, help: "auto, json, xml or ndjson (one Bundle per line).")
    var inputFormat: InputFormat = .auto

    @Option(name: .long, help: "json, xml or hl7v2 (HL7 v2.5.1 OML^O21 laboratory orders; needs a requester). Default: the input's format.")
    var outputFormat: ApplyOutputFormat?

    @Flag(name: .long, help: "Indented output (ndjson output stays one line per Bundle).")
    var pretty = false

    @Option(name: .long, help: "The language of the plan's texts, nl or en (default: the site setting language, Dutch unless the site says otherwise). Messages on standard error stay English.")
    var language: Wording.Language?

    @Option(name: .long, help: "Load Profiles (terminology, defaults, order catalogue) from this folder instead of the built-in copy.")
    var profiles: String?

    @Option(name: .long, help: "The ordering clinician, SYSTEM|VALUE (e.g. http://fhir.nl/fhir/NamingSystem/agb-z|01234567): laboratory and imaging orders for the patient become signed orders. Overrides the site setting.", transform: Requester.init(parsing:))
    var requester: Requester?

    @Argument(help: "Input files, or - for standard input (the default).")
    var files: [String] = []

    enum InputFormat: String, ExpressibleByArgument, CaseIterable {
        case auto, json, xml, ndjson
    }

    enum ApplyOutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, xml, hl7v2
        /// The FHIR format of the output (HL7 v2 is made from the JSON transaction; errors as JSON).
        var format: FHIRFormat { self == .xml ? .xml : .json }
    }

    func validate() throws {
        // An XML document is one document: several of them in one stream are not well-formed XML.
        if files.count > 1 && outputFormat == .xml {
            throw ValidationError("XML output holds one document: give one file per run, or use --output-format json (one Bundle per line)")
        }
        // interface.md v3: several outputs are one Bundle per line (what deliver reads); indented,
        // they would be neither one document nor ndjson.
        if pretty && (files.count > 1 || inputFormat == .ndjson) {
            throw ValidationError("--pretty writes one indented document: give one file, or leave --pretty out (several inputs and ndjson give one Bundle per line)")
        }
        if inputFormat == .ndjson && outputFormat == .xml {
            throw ValidationError("ndjson input gives one output line per input line: use --output-format json")
        }
    }

    func run() throws {
        let loaded = try Terminal.loadProfiles(profiles)
        let adapter = Adapter(profiles: loaded, requester: requester?.identifier, language: language)
        // A lab acts on NW: HL7 v2 orders need an ordering provider (interface.md v2).
        if outputFormat == .hl7v2 && adapter.site.requester == nil {
            Terminal.error("rpl-adapter: \(HL7v2.needsRequester)")
            throw ExitStatus.configuration.exitCode
        }
        // ORC-12 carries the AGB code (interface.md v3): a UZI number or another identifier is not one.
        if outputFormat == .hl7v2 && adapter.site.signer?.agb == nil {
            Terminal.error("rpl-adapter: \(HL7v2.needsAGB(adapter.site.signer))")
            throw ExitStatus.configuration.exitCode
        }
        let date = asOf?.date
        var failed = false
        var unreadable = false
        // The last input's tree and plan: see the end.
        var lastInput: (bundle: Element, result: Adapter.Result)?
        let inputs = files.isEmpty ? ["-"] : files
        for file in inputs {
            if inputFormat == .ndjson {
                switch streamNDJSON(file, adapter: adapter, date: date) {
                case .ok: break
                case .someFailed: failed = true
                case .unreadable: unreadable = true
                }
                continue
            }
            // Several files: JSON, one Bundle per line, whatever their formats (XML cannot be
            // concatenated). One file: the input's own format unless told otherwise.
            var format = outputFormat?.format ?? (inputFormat == .xml && inputs.count == 1 ? .xml : .json)
            var inputName: String?
            do {
                let input = try InputFile.read(file)
                let sniffed: FHIRFormat = try inputFormat == .json ? .json : inputFormat == .xml ? .xml : input.withBytes { (b) throws(FHIRFormatError) in try FHIRFormat.detect(b) }
                if outputFormat == nil && inputs.count == 1 { format = sniffed }
                // The input bytes are freed once read: only the tree lives on. A large JSON
                // input gives its entries' pages back while it is read (issue 20: the input was a
                // third of the peak), so what is asked of its bytes afterwards is asked first.
                let bundle = try input.withBytes { (b) throws(FHIRFormatError) -> Element in
                    let discarding = sniffed == .json && b.count >= Self.discardingFrom
                    let fallback = discarding ? Adapter.inputFallback(b) : nil
                    let ndjson = discarding ? FHIRFormat.looksLikeNDJSON(b) : nil
                    do throws(FHIRFormatError) {
                        let bundle = try Adapter.read(b, as: sniffed, discarding: discarding)
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
                lastInput = (bundle, result)
                report(result, source: file)
                if outputFormat == .hl7v2 {
                    if !writeHL7(adapter, result, source: file, inputName: inputName) { failed = true }
                    continue
                }
                var bytes = try format.write(result.output, pretty: pretty)
                if format == .json && !pretty { bytes.append(0x0A) }
                Terminal.output(bytes)
                try writeWithdrawals(result, format: format, source: file)
            } catch let error as InputFile.ReadError {
                // The files after an unreadable one are still made (as after a bad one).
                Terminal.error("rpl-adapter: \(error.message)")
                unreadable = true
            } catch let error as FHIRFormatError {
                if outputFormat == .hl7v2 {
                    // Standard output carries HL7 v2 messages only: the error goes to standard error.
                    Terminal.error("rpl-adapter: \(file == "-" ? "<stdin>" : file): \(error)")
                } else {
                    Terminal.report(error, source: file, as: format, pretty: pretty, naming: { adapter.namingInput($0, inputName ?? "unreadable input") })
                }
                failed = true
            }
        }
        // The process ends here (everything written goes out unbuffered), so the last input's
        // tree and plan and the Profiles are left to the kernel instead of being freed node by
        // node: that was a tenth of a run on a large Bundle (issue 20).
        let status: ExitStatus = unreadable ? .ioError : failed ? .dataError : .success
        withExtendedLifetime((adapter, lastInput)) { Terminal.end(status) }
    }

    /// interface.md v3: the batch withdrawing earlier proposals, after the transaction, as the
    /// next document or line (JSON). XML output holds one document: there it is said, not written.
    func writeWithdrawals(_ result: Adapter.Result, format: FHIRFormat, source: String) throws(FHIRFormatError) {
        guard let batch = result.withdrawals else { return }
        guard format == .json else {
            Terminal.error("rpl-adapter: \(source): warning: \(batch.children("entry").count) earlier proposal(s) to withdraw: XML output holds one document, use --output-format json for the withdrawal batch")
            return
        }
        var bytes = try format.write(batch, pretty: pretty)
        if !pretty { bytes.append(0x0A) }
        Terminal.output(bytes)
    }

    /// The plan's laboratory orders as HL7 v2 messages, one after another. A refused patient or
    /// message (interface.md v3: no identifier for PID-3, an identifier too long for its field)
    /// writes no message: standard output carries HL7 v2 only, so the OperationOutcome saying what
    /// and where goes to standard error (one JSON line) after the summary line. False when refused.
    func writeHL7(_ adapter: Adapter, _ result: Adapter.Result, source: String, inputName: String?) -> Bool {
        let name = source == "-" ? "<stdin>" : source
        let output: (messages: [String], warnings: [String])
        do {
            output = try adapter.hl7v2(result)
        } catch {
            let issue = FHIRFormatError(.invalid, error.message + " (HL7 v2 field \(error.field))", location: error.location)
            Terminal.error("rpl-adapter: \(name): \(issue)")
            let outcome = adapter.namingInput(OperationOutcome.make([issue]), result.output.child("identifier")?.string("value") ?? inputName ?? "unnamed input")
            if let bytes = try? FHIRFormat.json.write(outcome, pretty: false) { Terminal.error(String(decoding: bytes, as: UTF8.self)) }
            return false
        }
        for w in output.warnings { Terminal.error("rpl-adapter: \(name): warning: \(w)") }
        if output.messages.isEmpty && result.notIndicated == nil {
            Terminal.error("rpl-adapter: \(name): no signed laboratory order in the plan: no HL7 v2 message")
        }
        Terminal.output(Array(output.messages.joined().utf8))
        return true
    }

    func report(_ result: Adapter.Result, source: String) {
        let name = source == "-" ? "<stdin>" : source
        for w in result.warnings { Terminal.error("rpl-adapter: \(name): warning: \(w)") }
        if let why = result.notIndicated { Terminal.error("rpl-adapter: \(name): no plan: \(why)") }
    }

    enum StreamOutcome { case ok, someFailed, unreadable }

    /// One Bundle per line in, one line out per line (a Bundle, or an OperationOutcome for a bad or
    /// blank line), in order, as each line arrives; a bad line does not stop the rest.
    func streamNDJSON(_ file: String, adapter: Adapter, date: CalendarDate?) -> StreamOutcome {
        let format = FHIRFormat.json
        var failed = false
        let lines: LineReader
        do {
            lines = try LineReader(path: file, maxLine: InputFile.maxBytes)
        } catch {
            Terminal.error("rpl-adapter: \((error as? InputFile.ReadError)?.message ?? "\(error)")")
            return .unreadable
        }
        var number = 0
        while true {
            let line: LineReader.Line?
            do {
                line = try lines.next()
            } catch {
                Terminal.error("rpl-adapter: \((error as? InputFile.ReadError)?.message ?? "\(error)")")
                return .unreadable
            }
            guard let line else { break }
            number += 1
            let name = "\(file == "-" ? "<stdin>" : file) line \(number)"
            do throws(FHIRFormatError) {
                if case .tooLong = line { throw FHIRFormatError(.tooLong, "line longer than \(InputFile.maxBytes) bytes") }
                guard case .text(let bytes) = line else { continue }
                // A blank line carries no Bundle; it still gets its answer line (one line out per line in).
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                    throw FHIRFormatError(.structure, "blank line: expected one Bundle per line", line: number, column: 1)
                }
                let bundle = try bytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in try Adapter.read(b, as: .json) }
                let fallback = Adapter.namesItself(bundle) ? nil : bytes.withUnsafeBufferPointer { Adapter.inputFallback($0, line: number) }
                let result = try adapter.apply(bundle, asOf: date, inputFallback: fallback)
                report(result, source: name)
                if outputFormat == .hl7v2 {
                    if !writeHL7(adapter, result, source: name, inputName: fallback) { failed = true }
                    continue
                }
                var out = try format.write(result.output, pretty: false)
                out.append(0x0A)
                Terminal.output(out)
                try writeWithdrawals(result, format: format, source: name)
            } catch {
                var e = error
                if e.line == nil || e.line == 1 { e.line = number }
                let answering: String
                if case .text(let bytes) = line { answering = bytes.withUnsafeBufferPointer { Adapter.inputFallback($0, line: number) } } else { answering = "line \(number)" }
                if outputFormat != .hl7v2 {
                    var out = (try? format.write(adapter.namingInput(OperationOutcome.make([e]), answering), pretty: false)) ?? []
                    out.append(0x0A)
                    Terminal.output(out)
                }
                Terminal.error("rpl-adapter: \(name): \(e)")
                failed = true
            }
        }
        return failed ? .someFailed : .ok
    }
}

/// Lines of a file or standard input, read in chunks as they arrive.
final class LineReader {
    enum Line { case text([UInt8]), tooLong }

    private let fd: Int32
    private let path: String
    private let maxLine: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline resumes (so a long line is scanned once).
    private var scanned = 0
    private var eof = false
    private var skipping = false

    init(path: String, maxLine: Int) throws {
        self.path = path
        self.maxLine = maxLine
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY)
            if fd < 0 { throw InputFile.ReadError(message: "cannot read \(path): \(String(cString: strerror(errno)))") }
        }
    }

    deinit { if fd != 0 { close(fd) } }

    func next() throws -> Line? {
        while true {
            let from = max(start, scanned)
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard from < b.count, let p = memchr(b.baseAddress! + from, 0x0A, b.count - from) else { return nil }
                return b.baseAddress!.distance(to: p.assumingMemoryBound(to: UInt8.self))
            }
            if let nl = found {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                scanned = start
                if start > 1 << 20 { buffer.removeFirst(start); start = 0; scanned = 0 }
                if skipping { skipping = false; return .tooLong }
                return .text(line)
            }
            scanned = buffer.count
            if eof {
                guard start < buffer.count || skipping else { return nil }
                let line = Array(buffer[start...])
                buffer = []; start = 0; scanned = 0
                if skipping { skipping = false; return .tooLong }
                return .text(line)
            }
            if buffer.count - start > maxLine {
                // Too long: drop what we have and skip to the end of the line.
                buffer = []; start = 0; scanned = 0; skipping = true
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputFile.ReadError(message: "cannot read \(path == "-" ? "standard input" : path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}

/// `--as-of`, read once: a full date YYYY-MM-DD.
struct EvaluationDate {
    let date: CalendarDate
    /// A wrong value says what is expected (exit 64 with usage).
    init(parsing argument: String) throws {
        guard argument.count == 10, let date = CalendarDate(fhir: argument) else {
            throw ValidationError("--as-of must be a date YYYY-MM-DD, got \(argument)")
        }
        self.date = date
    }
}

/// `--requester SYSTEM|VALUE`, read once into the identifier the orders name.
struct Requester {
    let identifier: Element
    init(parsing argument: String) throws {
        guard let identifier = SiteSettings.requester(argument) else {
            throw ValidationError("--requester must be SYSTEM|VALUE (an identifier of the ordering clinician), got \(argument)")
        }
        self.identifier = identifier
    }
}

extension Apply {
    /// `apply` given only its plain options (`--name value`, `--pretty`, file names), read without
    /// the argument parser: its reflection and conformance lookups were a quarter of a cold start
    /// (issue 20), and an engine starts the program per message. Anything else (help, `--name=value`,
    /// an unknown or repeated option, a value the parser would refuse, a combination `validate`
    /// refuses) gives nil, and the argument parser reads the line and says what is wrong.
    static func plain(_ arguments: [String]) -> Apply? {
        guard arguments.first == "apply" else { return nil }
        var apply = Apply()
        apply.asOf = nil
        apply.inputFormat = .auto
        apply.outputFormat = nil
        apply.pretty = false
        apply.language = nil
        apply.profiles = nil
        apply.requester = nil
        apply.files = []
        var seen: [String] = []
        var i = 1
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard argument.hasPrefix("-") && argument != "-" else { apply.files.append(argument); continue }
            guard !seen.contains(argument) else { return nil }
            seen.append(argument)
            if argument == "--pretty" { apply.pretty = true; continue }
            guard i < arguments.count, !arguments[i].hasPrefix("-") else { return nil }
            let value = arguments[i]
            i += 1
            switch argument {
            case "--as-of": guard let date = try? EvaluationDate(parsing: value) else { return nil }; apply.asOf = date
            case "--input-format": guard let f = InputFormat(rawValue: value) else { return nil }; apply.inputFormat = f
            case "--output-format": guard let f = ApplyOutputFormat(rawValue: value) else { return nil }; apply.outputFormat = f
            case "--language": guard let l = Wording.Language(rawValue: value) else { return nil }; apply.language = l
            case "--profiles": apply.profiles = value
            case "--requester": guard let r = try? Requester(parsing: value) else { return nil }; apply.requester = r
            default: return nil
            }
        }
        guard (try? apply.validate()) != nil else { return nil }
        return apply
    }
}
