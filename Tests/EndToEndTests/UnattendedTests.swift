import FHIR
import Foundation
import Testing
import TestSupport

/// What an integration engine running `rpl-adapter` unattended relies on (issue "Unattended
/// operation"): no crash on any number, nothing lost on a failed write, `--profiles` that can
/// neither hang nor quietly change the plan, a `replay` that cannot pass by running nothing, FHIR
/// JSON read as strictly as FHIR defines it, XML that reads back what was written, and one error
/// path. Each test here failed before the fix it covers.
@Suite(.serialized) struct UnattendedTests {

    static let root = Runner.projectRoot
    static let example = root.appendingPathComponent("Fixtures/examples/two-losses-tsh.json")

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unattended-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs the program with standard output sent to `stdout` (a full device, a closed pipe).
    static func run(_ arguments: [String], stdout: FileHandle, stdin: Data? = nil) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = ConvertCommandTests.executable
        p.arguments = arguments
        p.standardOutput = stdout
        let err = Pipe(), input = Pipe()
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
        try? input.fileHandleForWriting.close()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    // MARK: no crash on extreme numbers

    @Test func aTSHPastIntMaxIsAWarningNotACrash() throws {
        var s = S()
        s.add(S.tsh("1e17"))
        let out = try Runner.apply(s)
        #expect(out.status == 0)
        #expect(out.stderr.contains("TSH 1e17 is implausible"))
        // Not used: TSH is ordered as if there were none.
        #expect(out.activities.contains("thyroid-tsh"))
    }

    @Test func aBMIOf1e400IsAWarningNotACrash() throws {
        var s = S()
        s.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity("1e400", "kg/m2")))
        let out = try Runner.apply(s)
        #expect(out.status == 0)
        #expect(out.stderr.contains("BMI 1e400 is implausible"))
        #expect(!out.fired.contains("RPL-LIFESTYLE"))
    }

    @Test func aBadNumberInAnNDJSONStreamDoesNotEndTheStream() throws {
        var bad = S()
        bad.add(S.tsh("1e17"))
        let good = S()
        let text = try JSONWriter().string(bad.bundle()) + "\n" + (try JSONWriter().string(good.bundle())) + "\n"
        let r = try ConvertCommandTests.run(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02"], stdin: Data(text.utf8))
        #expect(r.status == 0)
        let out = Self.lines(String(decoding: r.stdout, as: UTF8.self))
        #expect(out.count == 2)
        #expect(out.allSatisfy { $0.hasPrefix("{\"resourceType\":\"Bundle\"") })
    }

    /// Numbers at the edges in every numeric element the rules read, in JSON and XML: exit 0 or 65,
    /// never a crash, and a warning for an implausible measured value.
    @Test func numbersAtTheEdgesNeverCrash() throws {
        let big = "4" + String(repeating: "0", count: 399)
        let values = ["1e308", "-1e308", "1e-320", "0", "-0", big]
        let implausible: Set<String> = ["1e308", "-1e308", big]
        struct Case { var name: String; var implausibleWarns: Bool; var make: (String) -> S }
        func pregnantWith(_ ga: Element) -> S {
            var s = S(losses: ["2025-03-10", "2026-01-22", "2026-04-02"])
            s.add(S.condition("pregnant", S.sct, "77386006", onset: "2026-09-01"))
            s.add(S.observation("ga", S.loinc, "49051-6", date: "2026-11-02", value: ga))
            return s
        }
        let cases: [Case] = [
            Case(name: "TSH value", implausibleWarns: true) { v in var s = S(); s.add(S.tsh(v)); return s },
            Case(name: "TSH reference range", implausibleWarns: false) { v in var s = S(); s.add(S.tsh("2.5", range: (v, v))); return s },
            Case(name: "free T4 value", implausibleWarns: true) { v in
                var s = S(); s.add(S.tsh("6.0")); s.add(S.freeT4(v)); return s
            },
            Case(name: "anticardiolipin IgG value", implausibleWarns: true) { v in
                var s = S(); s.add(S.observation("acl", S.loinc, "3181-5", date: "2026-09-01", value: S.quantity(v, "[GPL'U]"))); return s
            },
            Case(name: "anticardiolipin reference high", implausibleWarns: false) { v in
                var s = S(); s.add(S.observation("acl", S.loinc, "3181-5", date: "2026-09-01", value: S.quantity("12", "[GPL'U]"), range: (nil, v))); return s
            },
            Case(name: "lupus anticoagulant ratio", implausibleWarns: true) { v in
                var s = S(); s.add(S.observation("drvvt", S.loinc, "50410-0", date: "2026-09-01", value: S.quantity(v, "{ratio}"))); return s
            },
            Case(name: "BMI", implausibleWarns: true) { v in
                var s = S(); s.add(S.observation("bmi", S.loinc, "39156-5", date: "2026-09-01", value: S.quantity(v, "kg/m2"))); return s
            },
            Case(name: "miscarriage count (Quantity)", implausibleWarns: true) { v in
                var s = S(); s.add(S.observation("count", S.loinc, "11614-5", date: "2026-01-01", value: S.quantity(v, "{#}"))); return s
            },
            Case(name: "miscarriage count (integer)", implausibleWarns: true) { v in
                var s = S(); s.add(S.observation("count", S.loinc, "11614-5", date: "2026-01-01", value: .primitive("valueInteger", v, kind: .number))); return s
            },
            Case(name: "gestational age", implausibleWarns: false) { v in pregnantWith(S.quantity(v, "wk", code: "wk")) },
        ]
        var problems: [String] = []
        // The input is written with a placeholder number and the edge value put in as text: the
        // JSON writer itself refuses to write an integer JSON would refuse to read.
        let placeholder = "987654321"
        func input(_ c: Case, _ v: String, _ format: String) throws -> [UInt8] {
            let bundle = c.make(placeholder).bundle()
            let text = String(decoding: format == "json" ? try JSONWriter().write(bundle) : try XMLWriter().write(bundle), as: UTF8.self)
            return Array(text.replacingOccurrences(of: placeholder, with: v).utf8)
        }
        for c in cases {
            for v in values {
                for format in ["json", "xml"] {
                    let out = try Runner.apply(bytes: try input(c, v, format), arguments: ["apply", "--as-of", "2026-11-02"])
                    let label = "\(c.name) = \(v.count > 12 ? "400 digits" : v) (\(format))"
                    if out.status != 0 && out.status != 65 { problems.append("\(label): exit \(out.status)\n\(out.stderr)") }
                    if out.status == 0 && c.implausibleWarns && implausible.contains(v) && !out.stderr.contains("implausible") {
                        problems.append("\(label): no implausibility warning")
                    }
                }
            }
        }
        // Comparators: a bound is a bound, never a crash.
        for comparator in ["<", "<=", ">=", ">"] {
            var s = S()
            s.add(S.observation("tsh", S.loinc, "3016-3", date: "2026-10-20",
                                value: .complex("valueQuantity", [.primitive("value", "1e308", kind: .number), .primitive("comparator", comparator),
                                                                  .primitive("unit", "mIU/L")])))
            let out = try Runner.apply(s)
            if out.status != 0 { problems.append("TSH \(comparator)1e308: exit \(out.status)") }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func comparatorsAreBounds() throws {
        // <0.1 is below the lower limit 0.4: low, so free T4 is ordered.
        var low = S()
        low.add(S.observation("tsh", S.loinc, "3016-3", date: "2026-10-20",
                              value: .complex("valueQuantity", [.primitive("value", "0.1", kind: .number), .primitive("comparator", "<"), .primitive("unit", "mIU/L")])))
        let lowOut = try Runner.apply(low)
        #expect(lowOut.fired.contains("RPL-FT4"))
        // >3.0 against the upper limit 4.0 may be normal or high: indeterminate, a warning, TSH ordered again.
        var straddle = S()
        straddle.add(S.observation("tsh", S.loinc, "3016-3", date: "2026-10-20",
                                   value: .complex("valueQuantity", [.primitive("value", "3.0", kind: .number), .primitive("comparator", ">"), .primitive("unit", "mIU/L")])))
        let straddleOut = try Runner.apply(straddle)
        #expect(straddleOut.stderr.contains("straddles a limit"))
        #expect(straddleOut.fired.contains("RPL-TSH"))
        #expect(!straddleOut.fired.contains("RPL-FT4"))
    }

    // MARK: nothing lost on write

    @Test func writingToAFullDeviceExits74WithOneLine() throws {
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ndjson = dir.appendingPathComponent("in.ndjson")
        let bundle = try String(contentsOf: Self.example, encoding: .utf8)
        let oneLine = try JSONWriter().string(JSONReader.read(bundle))
        try (oneLine + "\n" + oneLine + "\n").write(to: ndjson, atomically: true, encoding: .utf8)
        let runs: [[String]] = [
            ["apply", "--as-of", "2026-11-02", Self.example.path],
            ["apply", "--as-of", "2026-11-02", "--output-format", "xml", Self.example.path],
            ["apply", "--as-of", "2026-11-02", "--input-format", "ndjson", ndjson.path],
            ["convert", Self.example.path],
            ["replay", "--junit", "/dev/full", Self.root.appendingPathComponent("Fixtures").path],
        ]
        for args in runs {
            let r = try Self.run(args, stdout: args[0] == "replay" ? FileHandle.nullDevice : full)
            #expect(r.status == 74, "\(args): exit \(r.status)")
            #expect(Self.lines(r.stderr).count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("No space left on device") || r.stderr.contains("cannot write"), "\(args): \(r.stderr)")
        }
    }

    @Test func writingToAClosedPipeExits74WithOneLine() throws {
        for args in [["apply", "--as-of", "2026-11-02", Self.example.path], ["convert", Self.example.path]] {
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()  // nobody will read
            let r = try Self.run(args, stdout: pipe.fileHandleForWriting)
            #expect(r.status == 74, "\(args): exit \(r.status) (a SIGPIPE death is 141 or a signal)")
            #expect(r.stderr.contains("Broken pipe"), "\(r.stderr)")
            #expect(Self.lines(r.stderr).count == 1)
        }
    }

    // MARK: --profiles

    static func profilesCopy() throws -> URL {
        let dir = try temporaryFolder().appendingPathComponent("Profiles")
        try FileManager.default.copyItem(at: root.appendingPathComponent("Profiles"), to: dir)
        return dir
    }

    @Test func aDeviceOrFIFOInTheProfilesFolderIsRefusedWithoutReadingIt() throws {
        let dir = try Self.profilesCopy()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("Zero.json").path, withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("Random.json").path, withDestinationPath: "/dev/urandom")
        #expect(mkfifo(dir.appendingPathComponent("Fifo.json").path, 0o600) == 0)
        // Were one read, the run would hang (the FIFO) or grow without end (the devices).
        let r = try ConvertCommandTests.run(["apply", "--profiles", dir.path, "--as-of", "2026-11-02", Self.example.path], timeout: 120)
        #expect(!r.timedOut)
        #expect(r.status == 78)
        #expect(r.stdout.isEmpty)
        #expect(r.maxRSS < 500 << 20)
        for name in ["Zero.json", "Random.json", "Fifo.json"] {
            #expect(r.stderr.contains("\(name): not a regular file"), "\(r.stderr)")
        }
    }

    @Test func aMissingValueSetStopsTheRunInsteadOfChangingThePlan() throws {
        let dir = try Self.profilesCopy()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ValueSet-rpl-tsh.json"))
        let r = try ConvertCommandTests.run(["apply", "--profiles", dir.path, "--as-of", "2026-11-02", Self.example.path])
        #expect(r.status == 78)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("ValueSet-rpl-tsh.json: missing"))
        let check = try ConvertCommandTests.run(["profiles", "check", dir.path])
        #expect(check.status == 78)
        #expect(check.stderr.contains("ValueSet-rpl-tsh.json: missing"))
    }

    @Test func aFileHoldingTheWrongResourceIsNamed() throws {
        let dir = try Self.profilesCopy()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        // A CodeSystem saved over the TSH ValueSet; a lookback setting far out of range.
        let cs = try String(contentsOf: dir.appendingPathComponent("CodeSystem-rpl-rule.json"), encoding: .utf8)
        try cs.write(to: dir.appendingPathComponent("ValueSet-rpl-tsh.json"), atomically: true, encoding: .utf8)
        let defaults = dir.appendingPathComponent("Parameters-rpl-defaults.json")
        let text = try String(contentsOf: defaults, encoding: .utf8).replacingOccurrences(of: "\"valueInteger\": 12", with: "\"valueInteger\": 100000")
        try text.write(to: defaults, atomically: true, encoding: .utf8)
        let check = try ConvertCommandTests.run(["profiles", "check", dir.path])
        #expect(check.status == 78)
        #expect(check.stderr.contains("ValueSet-rpl-tsh.json: holds CodeSystem/rpl-rule, so it must be named CodeSystem-rpl-rule.json"), "\(check.stderr)")
        #expect(check.stderr.contains("lookbackMonths is 100000"), "\(check.stderr)")
    }

    /// Checked settings: one line per problem, exit 78, for `profiles check` and `--profiles`.
    @Test func wrongSettingsAreRefusedOneLineEach() throws {
        let dir = try Self.profilesCopy()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let defaults = dir.appendingPathComponent("Parameters-rpl-defaults.json")
        try String(contentsOf: defaults, encoding: .utf8).replacingOccurrences(of: "\"valueDecimal\": 4.0", with: "\"valueDecimal\": 0.3")
            .write(to: defaults, atomically: true, encoding: .utf8)
        let site = dir.appendingPathComponent("Parameters-rpl-site.json")
        try String(contentsOf: site, encoding: .utf8).replacingOccurrences(of: "hl7v2SendingFacility", with: "hl7v2SendingFacilty")
            .write(to: site, atomically: true, encoding: .utf8)
        for command in [["profiles", "check", dir.path], ["apply", "--profiles", dir.path, "--as-of", "2026-11-02", Self.example.path]] {
            let r = try ConvertCommandTests.run(command)
            #expect(r.status == 78)
            #expect(r.stdout.isEmpty)
            let lines = Self.lines(r.stderr)
            // The misspelling, and so the setting it was meant to be is missing (issue 17: no
            // silent fallback to the program's literal).
            #expect(lines.count == 3, "\(r.stderr)")
            #expect(lines.contains { $0.contains("tshLow 0.4 is not below tshHigh 0.3") }, "\(r.stderr)")
            #expect(lines.contains { $0.contains("unknown parameter hl7v2SendingFacilty") }, "\(r.stderr)")
            #expect(lines.contains { $0.contains("hl7v2SendingFacility is missing") }, "\(r.stderr)")
        }
    }

    @Test func theShippedProfilesPassTheirCheck() throws {
        let r = try ConvertCommandTests.run(["profiles", "check", Self.root.appendingPathComponent("Profiles").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(String(decoding: r.stdout, as: UTF8.self).contains("no problems"))
        #expect(try ConvertCommandTests.run(["profiles", "check", "/nonexistent"]).status == 74)
    }

    // MARK: replay

    @Test func replayThatRunsNothingFails() throws {
        let elsewhere = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let fixtures = Self.root.appendingPathComponent("Fixtures").path
        for args in [["/nonexistent"], [elsewhere.path], ["--filter", "nomatch", fixtures]] {
            let r = try ConvertCommandTests.run(["replay"] + args)
            #expect(r.status == 66, "\(args): exit \(r.status)")
            #expect(r.stderr.contains("nothing was run"))
        }
        // From another folder, the default (Fixtures) is not there.
        let p = Process()
        p.executableURL = ConvertCommandTests.executable
        p.arguments = ["replay"]
        p.currentDirectoryURL = elsewhere
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 66)
    }

    @Test func aScenarioWithoutExpectationOrParametersIsBroken() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixtures = Self.root.appendingPathComponent("Fixtures")
        for name in ["thyroid-tsh-low", "apl-one-missing"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("thyroid-tsh-low/expected.json"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("apl-one-missing/parameters.json"))
        let r = try ConvertCommandTests.run(["replay", dir.path])
        let out = String(decoding: r.stdout, as: UTF8.self)
        #expect(r.status == 65)
        #expect(out.contains("broken thyroid-tsh-low: no expected.json or expected.xml"))
        #expect(out.contains("broken apl-one-missing: no parameters.json"))
    }

    // MARK: strict FHIR JSON

    @Test(arguments: [
        (#"{"resourceType":"Patient","active":"true"}"#, "Patient.active"),
        (#"{"resourceType":"Observation","status":"final","code":{"text":"TSH"},"valueQuantity":{"value":"5"}}"#, "Observation.valueQuantity.value"),
        (#"{"resourceType":"Patient","name":[{"family":["x"]}]}"#, "Patient.name[0].family[0]"),
        (#"{"resourceType":"Patient","name":{"family":"x"}}"#, "Patient.name"),
        (#"{"resourceType":"Patient","birthDate":{"id":"b"}}"#, "Patient.birthDate"),
        (#"{"resourceType":"Patient","multipleBirthInteger":2147483648}"#, "Patient.multipleBirthInteger"),
        (#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","gender":true}}]}"#, "Bundle.entry[0].resource.ofType(Patient).gender"),
    ])
    func primitivesAreReadStrictly(json: String, path: String) throws {
        let r = try ConvertCommandTests.run(["convert", "--to", "json"], stdin: Data(json.utf8))
        #expect(r.status == 65)
        let outcome = try JSONReader.read(Array(r.stdout))
        #expect(outcome.child("issue")?.string("expression") == path, "\(String(decoding: r.stdout, as: UTF8.self))")
    }

    // MARK: XML that reads back

    @Test func largeAttachmentsRoundTripThroughXML() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        var bundle = try JSONReader.read(Array(try Data(contentsOf: Self.example)))
        // 20 MB of base64 in the patient's photo (libxml2 refuses attribute values over 10 MB by default).
        var random = SystemRandomNumberGenerator()
        let raw = (0..<15_000_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let photo = Element.complex("photo", [.primitive("contentType", "image/png"), .primitive("data", Data(raw).base64EncodedString())])
        for (i, entry) in bundle.children.enumerated() where entry.name == "entry" {
            if let r = entry.child("resource")?.resource, r.name == "Patient" {
                var patient = r
                patient.children.append(photo)
                bundle.children[i].children = entry.children.map { $0.name == "resource" ? .wrapping("resource", patient) : $0 }
            }
        }
        let xml = dir.appendingPathComponent("big.xml")
        try Data(XMLWriter().write(bundle)).write(to: xml)
        let back = try ConvertCommandTests.run(["convert", "--to", "json", xml.path])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(!back.timedOut)
        let reread = try JSONReader.read(Array(back.stdout))
        #expect(reread.all("entry.resource").compactMap(\.resource).first { $0.name == "Patient" }?.child("photo")?.string("data")
                == photo.string("data"))
        let applied = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", xml.path])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(!applied.timedOut)
    }

    // MARK: formats and streams

    @Test func anXMLParseErrorComesBackAsXML() throws {
        let r = try ConvertCommandTests.run(["apply"], stdin: Data(#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/"#.utf8))
        #expect(r.status == 65)
        #expect(String(decoding: r.stdout, as: UTF8.self).hasPrefix("<?xml"))
        #expect(try XMLReader.read(Array(r.stdout)).name == "OperationOutcome")
    }

    @Test func severalFilesGiveOneJSONBundlePerLine() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let xml = dir.appendingPathComponent("example.xml")
        try Data(XMLWriter().write(JSONReader.read(Array(try Data(contentsOf: Self.example))))).write(to: xml)
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", xml.path, xml.path])
        #expect(r.status == 0)
        let out = Self.lines(String(decoding: r.stdout, as: UTF8.self))
        #expect(out.count == 2)
        for line in out { #expect(try JSONReader.read(String(line)).name == "Bundle") }
        // XML cannot hold two documents: asked for, it is a usage error, before anything is written.
        let refused = try ConvertCommandTests.run(["apply", "--output-format", "xml", xml.path, xml.path])
        #expect(refused.status == 64)
        #expect(refused.stdout.isEmpty)
        // interface.md v3: indented output of several inputs would be neither one document nor
        // ndjson (what deliver reads): refused before anything is written.
        let pretty = try ConvertCommandTests.run(["apply", "--pretty", "--as-of", "2026-11-02", xml.path, xml.path])
        #expect(pretty.status == 64 && pretty.stdout.isEmpty)
        let ndjson = try ConvertCommandTests.run(["apply", "--pretty", "--input-format", "ndjson", xml.path])
        #expect(ndjson.status == 64 && ndjson.stdout.isEmpty)
    }

    @Test func anUnreadableFileDoesNotStopTheFilesAfterIt() throws {
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "/nonexistent.json", Self.example.path])
        #expect(r.status == 74)
        #expect(Self.lines(String(decoding: r.stdout, as: UTF8.self)).count == 1)
        #expect(r.stderr.contains("cannot read /nonexistent.json"))
    }

    @Test func aBlankNDJSONLineGetsItsOwnAnswerLine() throws {
        let line = try JSONWriter().string(JSONReader.read(Array(try Data(contentsOf: Self.example))))
        let r = try ConvertCommandTests.run(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02"],
                                            stdin: Data((line + "\n\n" + line + "\n").utf8))
        #expect(r.status == 65)
        let out = Self.lines(String(decoding: r.stdout, as: UTF8.self))
        #expect(out.count == 3)
        #expect(out[1].contains("OperationOutcome") && out[1].contains("blank line"))
        #expect(out[2].hasPrefix("{\"resourceType\":\"Bundle\""))
    }

    @Test func ndjsonWithoutTheFlagSaysWhatToDo() throws {
        let line = try JSONWriter().string(JSONReader.read(Array(try Data(contentsOf: Self.example))))
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02"], stdin: Data((line + "\n" + line + "\n").utf8))
        #expect(r.status == 65)
        #expect(r.stderr.contains("looks like ndjson (one Bundle per line): use --input-format ndjson"))
    }

    /// An engine's line that says two things is refused, not settled by the last (found by a new
    /// user's trial: `--as-of` twice used the second).
    @Test(arguments: [["--as-of", "2026-11-02", "--as-of", "2026-11-03"], ["--pretty", "--pretty"], ["--jobs=1", "--jobs", "2"],
                      ["--language", "nl", "--as-of", "2026-11-02", "--language=en"]])
    func anOptionGivenTwiceIsRefused(_ options: [String]) throws {
        let r = try ConvertCommandTests.run(["apply"] + options + ["-"], stdin: Data("{}".utf8))
        #expect(r.status == 64 && r.stdout.isEmpty)
        #expect(r.stderr.contains("is given twice") && r.stderr.contains("Usage: rpl-adapter apply"), "\(r.stderr)")
    }

    /// `-` twice is two inputs, not an option given twice.
    @Test func onlyOptionsCountAsRepeated() throws {
        let r = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "-", "-"], stdin: Data())
        #expect(r.status == 65 && !r.stderr.contains("given twice"))
    }

    /// A folder given as an ndjson stream is said as a folder given as a file is.
    @Test func aDirectoryIsSaidTheSameWayForNDJSON() throws {
        let dir = try Self.temporaryFolder()
        let file = try ConvertCommandTests.run(["apply", dir.path])
        let stream = try ConvertCommandTests.run(["apply", "--input-format", "ndjson", dir.path])
        #expect(file.status == 74 && stream.status == 74)
        #expect(file.stderr == stream.stderr && file.stderr.contains("it is a directory"), "\(file.stderr) / \(stream.stderr)")
    }

    @Test func emptyInputSaysEmpty() throws {
        for input in ["", "  \n"] {
            let r = try ConvertCommandTests.run(["apply"], stdin: Data(input.utf8))
            #expect(r.status == 65)
            #expect(r.stderr.contains("empty input") || r.stderr.contains("only white space"), "\(r.stderr)")
            #expect(!r.stderr.contains("neither JSON nor XML"))
        }
    }

    @Test(arguments: ["ISO-2022-JP", "ISO-8859-1", "EBCDIC-US", "UTF-16"])
    func xmlInAnotherEncodingIsRefusedThroughOurErrorPath(encoding: String) throws {
        var bytes = Array("<?xml version=\"1.0\" encoding=\"\(encoding)\"?><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"".utf8)
        bytes += [0x1B, 0x24, 0x42, 0x80, 0x80, 0xE9]
        bytes += Array("\"/></Patient>".utf8)
        let r = try ConvertCommandTests.run(["convert"], stdin: Data(bytes))
        #expect(r.status == 65)
        #expect(r.stderr.contains("FHIR requires UTF-8"), "\(r.stderr)")
        // One line, ours: nothing from libxml2 ("xmlParseChunk: encoder error").
        #expect(Self.lines(r.stderr).count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("rpl-adapter: "))
    }

    @Test func libxml2ErrorsAreOneLine() throws {
        // libxml2's own message for bad UTF-8 has a newline in it.
        var bytes = Array("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"/></Patient>".utf8)
        let r = try ConvertCommandTests.run(["convert"], stdin: Data(bytes))
        #expect(r.status == 65)
        #expect(Self.lines(r.stderr).count == 1, "\(r.stderr)")
    }
}
