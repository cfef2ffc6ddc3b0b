import Foundation
import Testing

/// `rpl-adapter convert` through the built executable: output, exit codes, error reporting,
/// hostile input bounded in time and memory.
@Suite(.serialized) struct ConvertCommandTests {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = projectRoot.appendingPathComponent("TestData/corpus")

    /// The executable next to this test bundle (SwiftPM builds it first: the test target depends on it).
    static var executable: URL { built("rpl-adapter") }

    static func built(_ name: String) -> URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return projectRoot.appendingPathComponent(".build/debug/\(name)")
    }

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        /// The child was killed for running past the run's `timeout`: a hang, not slowness (the
        /// timeouts are minutes, far beyond any run here on a slow machine).
        var timedOut: Bool
        /// Peak resident memory of the program itself, in bytes (`Int.max` when it was not told).
        var maxRSS: Int
    }

    /// Runs the program; `feed` writes its standard input (then it is closed). It is started
    /// through `peak-memory`, which tells its own peak memory (what `getrusage` or `wait4` says
    /// here is this test process's peak at the spawn, or any earlier child's), and killed after
    /// `timeout` seconds. Its status is its exit code, or its signal's number.
    static func run(_ arguments: [String], stdin: Data? = nil, feed: (@Sendable (FileHandle) -> Void)? = nil,
                    timeout: Double = 600) throws -> Run {
        let out = Pipe(), err = Pipe(), input = Pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let prepared = [
            posix_spawn_file_actions_adddup2(&actions, input.fileHandleForReading.fileDescriptor, 0),
            posix_spawn_file_actions_adddup2(&actions, out.fileHandleForWriting.fileDescriptor, 1),
            posix_spawn_file_actions_adddup2(&actions, err.fileHandleForWriting.fileDescriptor, 2),
            // Nothing else inherited: another test's pipe end held open here would keep its reader
            // waiting. (glibc 2.34's closefrom action; Swift's Glibc module does not declare it.)
            posix_spawn_file_actions_addclosefrom(&actions, 3),
        ]
        let peakFile = FileManager.default.temporaryDirectory.appendingPathComponent("peak-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: peakFile) }
        let measurer = built("peak-memory").path
        let argv = ([measurer, peakFile.path, executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var spawnedPid = pid_t()
        let spawned = prepared.allSatisfy { $0 == 0 } ? posix_spawn(&spawnedPid, measurer, &actions, nil, argv, environ) : -1
        guard spawned == 0 else { throw CocoaError(.executableLoad, userInfo: ["posix_spawn": spawned, "actions": prepared]) }
        let pid = spawnedPid
        try input.fileHandleForReading.close()
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()

        let exited = DispatchSemaphore(value: 0), watchdogDone = DispatchSemaphore(value: 0)
        let killed = Box()
        let watchdog = Thread {
            if exited.wait(timeout: .now() + timeout) == .timedOut {
                killed.done = true
                kill(pid, SIGKILL)  // still a zombie at worst (reaped only after this thread ends)
            }
            watchdogDone.signal()
        }
        watchdog.start()
        let writerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            signal(SIGPIPE, SIG_IGN)
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
            feed?(input.fileHandleForWriting)
            try? input.fileHandleForWriting.close()
            writerDone.signal()
        }
        writer.start()
        let stderrData = Box()
        let errReader = Thread { stderrData.data = err.fileHandleForReading.readDataToEndOfFile(); stderrData.done = true }
        errReader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        // Exited, but not reaped (WNOWAIT): the pid cannot be reused while the watchdog may kill it.
        var info = siginfo_t()
        var waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
        while waited != 0 && errno == EINTR { waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        let waitError = waited == 0 ? 0 : errno
        exited.signal()
        watchdogDone.wait()
        var status: Int32 = 0
        var reaped = waitpid(pid, &status, 0)
        while reaped < 0 && errno == EINTR { reaped = waitpid(pid, &status, 0) }
        // Not reaped: no status to report (an exit 0 made up here would pass a test).
        guard waitError == 0, reaped == pid else { throw CocoaError(.executableLoad, userInfo: ["waitid": waitError, "waitpid errno": errno]) }
        while !stderrData.done { usleep(1000) }
        writerDone.wait()  // its last write failed, at the latest, when the child's end closed
        let peakKiB = (try? String(contentsOf: peakFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let exitCode = status & 0x7F == 0 ? (status >> 8) & 0xFF : status & 0x7F
        return Run(
            status: exitCode, stdout: stdout, stderr: String(decoding: stderrData.data, as: UTF8.self),
            timedOut: killed.done, maxRSS: peakKiB.map { $0 * 1024 } ?? Int.max)
    }

    static let posix_spawn_file_actions_addclosefrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later has)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    final class Box: @unchecked Sendable {
        var data = Data()
        var done = false
    }

    /// Written by the feeding thread, read after the run (which waits for that thread to end).
    final class Counter: @unchecked Sendable {
        var value = 0
    }

    func outcome(_ run: Run) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any]
        let o = try #require(object)
        #expect(o["resourceType"] as? String == "OperationOutcome")
        return o
    }

    @Test func jsonToXMLAndBack() throws {
        let file = Self.corpus.appendingPathComponent("hl7-examples/json/Observation-f001.json").path
        let xml = try Self.run(["convert", file])
        #expect(xml.status == 0)
        #expect(String(decoding: xml.stdout, as: UTF8.self).hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Observation xmlns=\"http://hl7.org/fhir\">"))
        let json = try Self.run(["convert", "--to", "json", "-"], stdin: xml.stdout)
        #expect(json.status == 0)
        let a = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: json.stdout) as? NSDictionary
        #expect(a != nil && a == b)
        #expect(xml.stderr.isEmpty && json.stderr.isEmpty)
    }

    @Test func prettyOutput() throws {
        let file = Self.corpus.appendingPathComponent("hl7-examples/json/Patient-example.json").path
        let run = try Self.run(["convert", "--pretty", "--to", "json", file])
        #expect(run.status == 0)
        #expect(String(decoding: run.stdout, as: UTF8.self).hasPrefix("{\n  \"resourceType\": \"Patient\",\n  \"id\": \"example\","))
    }

    @Test func badJSONGivesAnOperationOutcomeAndExit65() throws {
        let run = try Self.run(["convert", "--to", "json", "-"], stdin: Data("{\"resourceType\":\"Patient\",\n\"gender\": male}".utf8))
        #expect(run.status == 65)
        let o = try outcome(run)
        let issue = try #require((o["issue"] as? [[String: Any]])?.first)
        #expect(issue["code"] as? String == "structure")
        #expect(issue["expression"] as? [String] == ["Patient.gender"] || issue["expression"] as? [String] == ["gender"])
        #expect((issue["diagnostics"] as? String)?.contains("line 2") == true)
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func errorsComeInTheRequestedFormat() throws {
        let run = try Self.run(["convert", "--to", "xml", "-"], stdin: Data("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"a\"/>".utf8))
        #expect(run.status == 65)
        #expect(String(decoding: run.stdout, as: UTF8.self).contains("<OperationOutcome xmlns=\"http://hl7.org/fhir\">"))
    }

    @Test func usageErrorsExit64() throws {
        let run = try Self.run(["convert", "--to", "yaml"])
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
        let other = try Self.run(["frobnicate"])
        #expect(other.status == 64)
    }

    @Test func unreadableFileExits74() throws {
        let run = try Self.run(["convert", "/nonexistent/file.json"])
        #expect(run.status == 74)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("No such file"))
    }

    static let hostile: [(String, String)] = {
        var laughs = "<!ENTITY a0 \"lol\">"
        for i in 1...9 { laughs += "<!ENTITY a\(i) \"" + String(repeating: "&a\(i - 1);", count: 10) + "\">" }
        return [
            ("xxe", "<?xml version=\"1.0\"?><!DOCTYPE P [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&x;\"/></Patient>"),
            ("billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE P [\(laughs)]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&a9;\"/></Patient>"),
            ("doctype", "<!DOCTYPE html><Patient xmlns=\"http://hl7.org/fhir\"/>"),
            ("json nesting", "{\"resourceType\":\"Basic\",\"x\":" + String(repeating: "{\"a\":", count: 200_000)),
            ("json array nesting", "{\"resourceType\":\"Basic\",\"x\":" + String(repeating: "[", count: 200_000)),
            ("xml nesting", "<Basic xmlns=\"http://hl7.org/fhir\">" + String(repeating: "<a>", count: 200_000)),
            ("lone surrogate", #"{"resourceType":"Patient","id":"\udead"}"#),
            ("truncated", #"{"resourceType":"Patient","name":[{"giv"#),
            ("duplicate keys", #"{"resourceType":"Patient","id":"a","id":"a"}"#),
            ("not FHIR", "hello"),
        ]
    }()

    /// Refused without hanging (the watchdog) and without expanding anything (the child's own peak
    /// memory: a billion laughs expanded, or 200,000 levels built, would take gigabytes).
    @Test(arguments: hostile.map(\.0))
    func hostileInputIsRefusedWithoutExpanding(name: String) throws {
        let input = Self.hostile.first { $0.0 == name }!.1
        let run = try Self.run(["convert", "-"], stdin: Data(input.utf8), timeout: 120)
        #expect(!run.timedOut)
        #expect(run.maxRSS < 256 << 20, "peak RSS \(run.maxRSS >> 20) MB")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(!run.stdout.isEmpty)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(!String(decoding: run.stdout, as: UTF8.self).contains("root:"))
    }

    @Test func invalidUTF8IsRefused() throws {
        let input = Data(#"{"resourceType":"Patient","id":""#.utf8) + Data([0xC3, 0x28]) + Data(#""}"#.utf8)
        let run = try Self.run(["convert", "--to", "json", "-"], stdin: input)
        #expect(run.status == 65)
        _ = try outcome(run)
    }

    @Test func aTenThousandDigitNumberIsKept() throws {
        let digits = String(repeating: "9", count: 10_000)
        let run = try Self.run(["convert", "-"], stdin: Data(#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":\#(digits)}}"#.utf8))
        #expect(run.status == 0)
        #expect(String(decoding: run.stdout, as: UTF8.self).contains("<value value=\"\(digits)\"/>"))
    }

    /// The memory bounds here are the program's: a run started while this test process holds
    /// 300 MB says the program's few megabytes (started by `posix_spawn` and measured by `wait4`
    /// here, it said 300 MB or more).
    @Test func theMeasuredPeakIsTheProgramsOwn() throws {
        let size = 300 << 20
        let held = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { held.deallocate() }
        memset(held.baseAddress!, 1, size)  // resident, not just reserved
        let file = Self.corpus.appendingPathComponent("hl7-examples/json/Patient-example.json").path
        let run = try Self.run(["convert", file])
        #expect(run.status == 0)
        #expect(held.load(fromByteOffset: size - 1, as: UInt8.self) == 1)
        #expect(run.maxRSS < 100 << 20, "peak RSS \(run.maxRSS >> 20) MB")
        #expect(run.maxRSS > 1 << 20, "peak RSS \(run.maxRSS >> 10) KB")
    }

    /// 1 GB generated on the fly and piped in: refused at the size bound, without reading it all.
    @Test func aGigabyteInputIsRefusedWithBoundedMemory() throws {
        let chunk = Data(String(repeating: "{\"resourceType\":\"Basic\",\"id\":\"x\"},", count: 30_000).utf8)
        let total = 1 << 30
        let written = Counter()
        let run = try Self.run(["convert", "-"], feed: { handle in
            handle.write(Data(#"{"resourceType":"Bundle","type":"collection","entry":["#.utf8))
            while written.value < total {
                do { try handle.write(contentsOf: chunk) } catch { return }
                written.value += chunk.count
            }
        })
        // The program stopped reading at the bound (the writer's pipe broke), whatever the
        // machine's speed: 256 MB and what the pipe held, not the gigabyte.
        #expect(written.value < total / 2, "\(written.value) bytes written")
        #expect(run.status == 65)
        #expect(run.stderr.contains("limit"))
        #expect(!run.timedOut)
        // Peak memory: what was read (at most the 256 MB bound) plus 64 MB; and the measure sees
        // what was read (the program's own peak, 272 MB on the machine this was written on).
        #expect(run.maxRSS < (256 + 64) << 20, "peak RSS \(run.maxRSS >> 20) MB")
        #expect(run.maxRSS > 128 << 20, "peak RSS \(run.maxRSS >> 20) MB")
    }
}
