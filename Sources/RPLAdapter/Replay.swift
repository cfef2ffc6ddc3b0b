import FHIR
import RPLGuideline

#if canImport(Glibc)
import Glibc
#endif

/// Stored scenarios run again and compared with their expected output (Fixtures/README.md):
/// a folder with `input.json` or `input.xml`, `parameters.json` (a FHIR Parameters: `asOf`), the
/// expected output `expected.json` (or `.xml`), and a README saying what it shows.
public struct Replay {
    public struct Scenario: Sendable {
        public var name: String
        public var folder: String
    }

    public enum Verdict: Sendable {
        case passed
        case failed([BundleDiff.ResourceDifferences])
        /// The scenario itself is broken (no input, unreadable parameters or expected output).
        case broken(String)
    }

    public struct Result: Sendable {
        public var scenario: Scenario
        public var verdict: Verdict
        public var actual: Element?
        public var seconds: Double
    }

    let adapter: Adapter

    public init(adapter: Adapter) { self.adapter = adapter }

    /// Why a replay ran nothing: a run that checks nothing must never look green.
    public struct NothingToRun: Error, CustomStringConvertible {
        public let description: String
    }

    /// Scenario folders under `roots` (a folder that has an input or parameters file), sorted.
    /// A root that is not a folder, a root with no scenario, or a filter that matches none is an
    /// error: a mistyped path in CI must not pass.
    public static func discover(_ roots: [String], filter: String?) throws(NothingToRun) -> [Scenario] {
        var found: [Scenario] = []
        for root in roots {
            guard directoryExists(root) else {
                throw NothingToRun(description: "\(root) is not a folder of scenarios (no such folder)")
            }
            let before = found.count
            if isScenario(root) {
                found.append(Scenario(name: lastComponent(root), folder: root))
                continue
            }
            for name in listDirectory(root).sorted() {
                let folder = root + "/" + name
                if isScenario(folder) { found.append(Scenario(name: name, folder: folder)) }
            }
            if found.count == before {
                throw NothingToRun(description: "\(root) holds no scenario (a folder with input.json or input.xml and parameters.json)")
            }
        }
        if let filter, !filter.isEmpty {
            found = found.filter { $0.name.contains(filter) }
            if found.isEmpty { throw NothingToRun(description: "no scenario name contains \"\(filter)\"") }
        }
        return found
    }

    static func isScenario(_ folder: String) -> Bool {
        ["input.json", "input.xml", "parameters.json"].contains { fileExists(folder + "/" + $0) }
    }

    public func run(_ scenario: Scenario) -> Result {
        let start = monotonicSeconds()
        func done(_ v: Verdict, _ actual: Element? = nil) -> Result {
            Result(scenario: scenario, verdict: v, actual: actual, seconds: monotonicSeconds() - start)
        }
        let f = scenario.folder
        guard let inputPath = ["input.json", "input.xml"].map({ f + "/" + $0 }).first(where: fileExists) else {
            return done(.broken("no input.json or input.xml"))
        }
        guard let inputBytes = readFile(inputPath) else { return done(.broken("\(lastComponent(inputPath)) cannot be read")) }
        // The evaluation date is part of the scenario: without it the expectation would depend on today.
        guard fileExists(f + "/parameters.json") else { return done(.broken("no parameters.json (a FHIR Parameters with asOf)")) }
        guard let p = readFile(f + "/parameters.json") else { return done(.broken("parameters.json cannot be read")) }
        guard let params = try? JSONReader.read(p), params.name == "Parameters" else { return done(.broken("parameters.json is not a FHIR Parameters")) }
        var asOf: CalendarDate?
        // A scenario may pin its language (issue 19); else the adapter's (the site setting).
        var adapter = self.adapter
        for param in params.children("parameter") where param.string("name") == "language" {
            guard let code = param.string("valueCode"), let language = Wording.Language(rawValue: code) else { return done(.broken("language is not nl or en")) }
            adapter = Adapter(profiles: adapter.profiles, language: language)
        }
        for param in params.children("parameter") where param.string("name") == "asOf" {
            guard let text = param.string("valueDate"), let d = CalendarDate(fhir: text) else { return done(.broken("asOf is not a date")) }
            asOf = d
        }
        let actual: Element
        do {
            guard let format = FHIRFormat.sniff(inputBytes) else { return done(.broken("input is neither JSON nor XML")) }
            let input = try inputBytes.withUnsafeBufferPointer { (b) throws(FHIRFormatError) -> Element in try Adapter.read(b, as: format, screen: adapter.profiles.observationScreen) }
            actual = try adapter.apply(input, asOf: asOf).output
        } catch {
            // Bad input is a legitimate scenario: its expected output is the OperationOutcome.
            actual = OperationOutcome.make([error])
        }
        guard let expectedPath = expectedPath(f) else {
            return done(.broken("no expected.json or expected.xml (replay --update writes it from this output)"), actual)
        }
        guard let expectedBytes = readFile(expectedPath), let expected = try? FHIRFormat.sniff(expectedBytes)?.read(expectedBytes) else {
            return done(.broken("\(lastComponent(expectedPath)) is not readable FHIR"), actual)
        }
        let diffs = BundleDiff.compare(expected: expected, actual: actual)
        return done(diffs.isEmpty ? .passed : .failed(diffs), actual)
    }

    func expectedPath(_ folder: String) -> String? {
        ["expected.json", "expected.xml"].map { folder + "/" + $0 }.first(where: fileExists)
    }

    /// Writes the actual output as the expectation (in the format of the existing expectation).
    public func update(_ result: Result) -> Bool {
        guard let actual = result.actual else { return false }
        let path = expectedPath(result.scenario.folder) ?? result.scenario.folder + "/expected.json"
        let format: FHIRFormat = path.hasSuffix(".xml") ? .xml : .json
        guard let bytes = try? format.write(actual, pretty: true) else { return false }
        return writeFile(path, bytes)
    }

    /// A JUnit XML report: one testcase per scenario.
    public static func junit(_ results: [Result]) -> String {
        let esc = markupEscaped
        let failures = results.filter { if case .failed = $0.verdict { return true }; return false }.count
        let errors = results.filter { if case .broken = $0.verdict { return true }; return false }.count
        let total = results.reduce(0) { $0 + $1.seconds }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(fmt(total))\">\n"
        x += "  <testsuite name=\"rpl-adapter replay\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(fmt(total))\">\n"
        for r in results {
            x += "    <testcase classname=\"Fixtures\" name=\"\(esc(r.scenario.name))\" time=\"\(fmt(r.seconds))\""
            switch r.verdict {
            case .passed: x += "/>\n"
            case .failed(let d):
                x += ">\n      <failure message=\"\(d.count) resource(s) differ\">\(esc(d.map(\.description).joined(separator: "\n")))</failure>\n    </testcase>\n"
            case .broken(let why):
                x += ">\n      <error message=\"\(esc(why))\"/>\n    </testcase>\n"
            }
        }
        return x + "  </testsuite>\n</testsuites>\n"
    }

    static func fmt(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        let frac = ms % 1000
        return "\(ms / 1000)." + (frac < 10 ? "00" : frac < 100 ? "0" : "") + String(frac)
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func directoryExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
}

func lastComponent(_ path: String) -> String {
    String(path.split(separator: "/").last ?? Substring(path))
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        if !name.hasPrefix(".") { names.append(name) }
    }
    return names
}

/// Writes a whole file; false when any part of it could not be written (a full disk shows up
/// only when the buffer is flushed, so the close is checked too).
public func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
    guard let f = fopen(path, "wb") else { return false }
    let written = fwrite(bytes, 1, bytes.count, f) == bytes.count
    let flushed = fflush(f) == 0
    let closed = fclose(f) == 0
    return written && flushed && closed
}
