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

    @Flag(name: .long, help: "Indented output (one input file, not ndjson).")
    var pretty = false

    @Option(name: .long, help: "The language of the plan's texts, nl or en (default: the site setting language, Dutch unless the site says otherwise). Messages on standard error stay English.")
    var language: Wording.Language?

    @Option(name: .long, help: "Load Profiles (terminology, defaults, order catalogue) from this folder instead of the built-in copy.")
    var profiles: String?

    @Option(name: .long, help: "The ordering clinician, SYSTEM|VALUE (e.g. http://fhir.nl/fhir/NamingSystem/agb-z|01234567): laboratory and imaging orders for the patient become signed orders. Overrides the site setting.", transform: Requester.init(parsing:))
    var requester: Requester?

    @Option(name: .long, parsing: .unconditional, help: "How many inputs (files, ndjson lines) to answer at once, 1 to 64 (default: one per processor, at most 4). The output is the same for any number, in input order.")
    var jobs: Int?

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
        if let jobs, !(1...64).contains(jobs) {
            throw ValidationError("--jobs must be 1 to 64, got \(jobs)")
        }
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
        let inputs = files.isEmpty ? ["-"] : files
        let answering = Answering(adapter: adapter, date: asOf?.date, inputFormat: inputFormat, outputFormat: outputFormat,
                                  pretty: pretty, inputCount: inputs.count)
        let jobs = self.jobs ?? Apply.defaultJobs
        var failed = false
        var unreadable = false
        func written(_ answer: Answer) {
            answer.write()
            if answer.failed { failed = true }
            if answer.unreadable { unreadable = true }
        }
        // The last input's tree and plan: see the end.
        var lastInput: (bundle: Element, result: Adapter.Result)?
        if inputFormat == .ndjson {
            for file in inputs { streamNDJSON(file, answering, jobs: jobs, written) }
        } else {
            let queue = Queue(inputs)
            Ordered.run(jobs: min(jobs, inputs.count), next: queue.next, answer: answering.answer) {
                written($0.answer)
                lastInput = $0.kept
            }
        }
        // The process ends here (everything written goes out unbuffered), so the last input's
        // tree and plan and the Profiles are left to the kernel instead of being freed node by
        // node: that was a tenth of a run on a large Bundle (issue 20).
        let status: ExitStatus = unreadable ? .ioError : failed ? .dataError : .success
        withExtendedLifetime((adapter, lastInput)) { Terminal.end(status) }
    }

    /// Inputs answered at once when none is given: one per processor online, at most 4 (each
    /// holds a Bundle's tree; more rarely pays on a laptop or a CI runner). A CPU affinity or a
    /// container's quota is not looked at: `--jobs` says what a site wants.
    static var defaultJobs: Int {
        max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// One file argument as the reading thread hands it on. A regular file is read by the thread
    /// that answers it; anything else (standard input, a pipe, a device) is read on the reading
    /// thread, in order, so a stream named twice (`- -`) is read as with one job (found by a
    /// review: two threads read standard input at once).
    struct FileInput: @unchecked Sendable {
        let name: String
        /// Read already (moved to one thread only), or nil: read it by name.
        let read: Result<InputFile, any Error>?
        /// The last input: its tree is kept to the end (see `run`).
        let isLast: Bool
    }

    /// The file names, handed out one by one to the thread that reads inputs.
    final class Queue: @unchecked Sendable {
        private var rest: ArraySlice<String>
        init(_ files: [String]) { rest = files[...] }

        func next() -> FileInput? {
            guard let name = rest.popFirst() else { return nil }
            var st = stat()
            if name != "-" && (stat(name, &st) != 0 || (st.st_mode & S_IFMT) == S_IFREG || (st.st_mode & S_IFMT) == S_IFDIR) {
                // A regular file, or one the answer will say cannot be read.
                return FileInput(name: name, read: nil, isLast: rest.isEmpty)
            }
            return FileInput(name: name, read: Result { try InputFile.read(name) }, isLast: rest.isEmpty)
        }
    }

    /// One line of an ndjson input, or the end of a stream that cannot be read on.
    enum StreamItem: Sendable { case line(LineReader.Line, number: Int), unreadable(String) }

    /// An ndjson input's lines, numbered, read on one thread.
    final class Lines: @unchecked Sendable {
        private let reader: LineReader
        /// Lines read so far, and whether reading failed (read after the last `next`).
        private(set) var read = 0
        private(set) var unreadable = false
        private var ended = false
        init(_ reader: LineReader) { self.reader = reader }

        func next() -> StreamItem? {
            guard !ended else { return nil }
            do {
                guard let line = try reader.next() else { ended = true; return nil }
                read += 1
                return .line(line, number: read)
            } catch {
                // What was read is answered; what could not be is said, and the stream ends.
                ended = true
                unreadable = true
                return .unreadable(InputFile.message(error))
            }
        }
    }

    /// One Bundle per line in, one line out per line (a Bundle, or an OperationOutcome for a bad or
    /// blank line), in order, as each line arrives; a bad line does not stop the rest. With
    /// several jobs, lines are answered at once and written in order (`Ordered`).
    func streamNDJSON(_ file: String, _ answering: Answering, jobs: Int, _ written: (Answer) -> Void) {
        let reader: LineReader
        do {
            reader = try LineReader(path: file, maxLine: InputFile.maxBytes)
        } catch {
            return written(.unreadable(InputFile.message(error)))
        }
        let lines = Lines(reader)
        let answer: @Sendable (StreamItem) -> Answer = { item in
            switch item {
            case .line(let line, let number):
                return answering.answer(line: line, number: number, file: file)
            case .unreadable(let message):
                return .unreadable(message)
            }
        }
        Ordered.run(jobs: jobs, next: lines.next, answer: answer, deliver: written)
        // No line at all: empty input, as for a file (exit 65), said on standard error only (no
        // line in, no line out; found by a new user's trial: an empty batch passed silently).
        if lines.read == 0 && !lines.unreadable {
            var a = Answer()
            a.error("rpl-adapter: \(Terminal.name(file)): empty input: expected one Bundle per line")
            a.failed = true
            written(a)
        }
    }
}

/// Lines of a file or standard input, read in chunks as they arrive.
/// The chunks are read straight into one buffer, and a line is copied out of it once (issue 20:
/// a zeroed chunk, an append and a copy of the line cost three passes over the input).
final class LineReader {
    enum Line { case text([UInt8]), tooLong }

    private let fd: Int32
    private let path: String
    private let maxLine: Int
    /// Bytes read and not yet given out: `start..<count` of `storage` (malloc'd: it grows by
    /// `realloc`, which moves a large buffer's pages instead of copying them, so a line near the
    /// bound is held once, not twice, while the buffer grows).
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private var start = 0
    /// Where the search for the next newline resumes (so a long line is scanned once).
    private var scanned = 0
    private var eof = false
    private var skipping = false
    /// The least room made for each read.
    private static let chunk = 1 << 16

    init(path: String, maxLine: Int) throws {
        self.path = path
        self.maxLine = maxLine
        // A folder said as for a file, not as read(2)'s EISDIR (found by a new user's trial).
        fd = try InputFile.openInput(path).fd
        capacity = 2 * Self.chunk
        guard let p = malloc(capacity) else {
            if fd != 0 { close(fd) }
            throw InputFile.ReadError(message: "cannot read \(InputFile.named(path)): out of memory")
        }
        storage = p.assumingMemoryBound(to: UInt8.self)
    }

    deinit {
        if fd != 0 { close(fd) }
        free(storage)
    }

    func next() throws -> Line? {
        while true {
            let from = max(start, scanned)
            if from < count, let p = memchr(storage + from, 0x0A, count - from) {
                let nl = p.assumingMemoryBound(to: UInt8.self) - storage
                let line = skipping ? [] : Array(UnsafeBufferPointer(start: storage + start, count: nl - start))
                start = nl + 1
                scanned = start
                if skipping { skipping = false; return .tooLong }
                return .text(line)
            }
            scanned = count
            if eof {
                guard start < count || skipping else { return nil }
                let line = skipping ? [] : Array(UnsafeBufferPointer(start: storage + start, count: count - start))
                start = 0; count = 0; scanned = 0
                if skipping { skipping = false; return .tooLong }
                return .text(line)
            }
            // A refused line's bytes are not kept while its end is looked for.
            if skipping { start = 0; count = 0; scanned = 0 }
            if count - start > maxLine {
                // Too long: drop what we have (and the memory it took) and skip to the end of the line.
                start = 0; count = 0; scanned = 0; skipping = true
                if capacity > 2 * Self.chunk, let smaller = realloc(storage, 2 * Self.chunk) {
                    storage = smaller.assumingMemoryBound(to: UInt8.self)
                    capacity = 2 * Self.chunk
                }
            }
            try makeRoom()
            // A chunk at most: the bound above is checked every chunk, so a line is refused within
            // a chunk of `maxLine` however large the buffer has grown (found by helper-26's
            // review: reads of half the buffer let lines of up to twice the bound through).
            let n = read(fd, storage + count, min(capacity - count, Self.chunk))
            if n < 0 {
                if errno == EINTR { continue }
                throw InputFile.ReadError(message: "cannot read \(InputFile.named(path)): \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { count += n }
        }
    }

    /// At least a chunk free after `count`: the unfinished line moves to the front, and the buffer
    /// doubles only when that line fills it.
    private func makeRoom() throws {
        guard capacity - count < Self.chunk else { return }
        if start > 0 {
            let held = count - start
            memmove(storage, storage + start, held)
            count = held; scanned -= start; start = 0
        }
        guard capacity - count < Self.chunk else { return }
        // Failing, the buffer stays as it was (realloc leaves it), and the stream ends as one that
        // cannot be read on: what was read is answered.
        // Doubled, but never past what the longest line allowed needs (a chunk beyond the bound,
        // and a chunk to read into): 256 MiB and a little, not 512 MiB of address space.
        let grown = max(count + Self.chunk, min(2 * capacity, maxLine + 2 * Self.chunk))
        guard let larger = realloc(storage, grown) else {
            throw InputFile.ReadError(message: "cannot read \(InputFile.named(path)): out of memory for a line of \(count - start) bytes")
        }
        storage = larger.assumingMemoryBound(to: UInt8.self)
        capacity = grown
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
    /// The first of `apply`'s options given twice on an `apply` line (`--as-of` twice, or
    /// `--jobs=1 --jobs 2`), before a `--`; nil when none is. The argument parser would take the
    /// last one: an engine's line that says two things is refused instead (found by a new user's
    /// trial). Help, version and unknown options are left to the argument parser.
    static func repeatedOption(_ arguments: [String]) -> String? {
        guard arguments.first == "apply" else { return nil }
        let known = Set(["--as-of", "--input-format", "--output-format", "--pretty", "--language", "--profiles", "--requester", "--jobs"])
        var seen: Set<Substring> = []
        for argument in arguments.dropFirst() {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            let name = argument.split(separator: "=", maxSplits: 1)[0]
            guard known.contains(String(name)) else { continue }
            if !seen.insert(name).inserted { return String(name) }
        }
        return nil
    }

    /// `apply` given only its plain options (`--name value`, `--pretty`, file names), read without
    /// the argument parser: its reflection and conformance lookups were a quarter of a cold start
    /// (issue 20), and an engine starts the program per message. Anything else (help, `--name=value`,
    /// an unknown option, a value the parser would refuse, a combination `validate` refuses) gives
    /// nil, and the argument parser reads the line and says what is wrong. A repeated option is
    /// refused before (`repeatedOption`); the check here keeps `plain` from settling one alone.
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
        apply.jobs = nil
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
            case "--jobs": guard let j = Int(value) else { return nil }; apply.jobs = j
            default: return nil
            }
        }
        guard (try? apply.validate()) != nil else { return nil }
        return apply
    }
}
