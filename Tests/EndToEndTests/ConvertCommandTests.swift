import Foundation
import Testing

/// `rpl-adapter convert` through the built executable: output, exit codes, error reporting,
/// hostile input bounded in time and memory.
@Suite(.serialized) struct ConvertCommandTests {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let corpus = projectRoot.appendingPathComponent("TestData/corpus")

    /// The executable next to this test bundle (SwiftPM builds it first: the test target depends on it).
    static var executable: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundleDir, bundleDir.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("rpl-adapter")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return projectRoot.appendingPathComponent(".build/debug/rpl-adapter")
    }

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        var seconds: Double
        /// Peak resident memory of the child, in bytes.
        var maxRSS: Int
    }

    /// Runs the program; `feed` writes its standard input (then it is closed).
    static func run(_ arguments: [String], stdin: Data? = nil, feed: (@Sendable (FileHandle) -> Void)? = nil) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let start = Date()
        try process.run()
        let writer = Thread {
            signal(SIGPIPE, SIG_IGN)
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
            feed?(input.fileHandleForWriting)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let stderrData = Box()
        let errReader = Thread { stderrData.data = err.fileHandleForReading.readDataToEndOfFile(); stderrData.done = true }
        errReader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !stderrData.done { usleep(1000) }
        var usage = rusage()
        getrusage(Int32(RUSAGE_CHILDREN.rawValue), &usage)
        return Run(
            status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderrData.data, as: UTF8.self),
            seconds: Date().timeIntervalSince(start), maxRSS: usage.ru_maxrss * 1024)
    }

    final class Box: @unchecked Sendable {
        var data = Data()
        var done = false
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

    @Test(arguments: hostile.map(\.0))
    func hostileInputIsRefusedQuickly(name: String) throws {
        let input = Self.hostile.first { $0.0 == name }!.1
        let run = try Self.run(["convert", "-"], stdin: Data(input.utf8))
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.seconds < 1.0)
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

    /// 1 GB generated on the fly and piped in: refused at the size bound, fast, without reading it all.
    @Test func aGigabyteInputIsRefusedWithBoundedMemory() throws {
        let chunk = Data(String(repeating: "{\"resourceType\":\"Basic\",\"id\":\"x\"},", count: 30_000).utf8)
        let total = 1 << 30
        let run = try Self.run(["convert", "-"], feed: { handle in
            var written = 0
            handle.write(Data(#"{"resourceType":"Bundle","type":"collection","entry":["#.utf8))
            while written < total {
                do { try handle.write(contentsOf: chunk) } catch { return }
                written += chunk.count
            }
        })
        #expect(run.status == 65)
        #expect(run.stderr.contains("limit"))
        #expect(run.seconds < 5)
        // Peak memory: what was read (at most the 256 MB bound) plus 64 MB.
        #expect(run.maxRSS < (256 + 64) << 20, "peak RSS \(run.maxRSS >> 20) MB")
    }
}
