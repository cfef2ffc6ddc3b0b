import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `apply --jobs N`: inputs answered at once are written in input order, byte for byte what one
/// job writes, on standard output and standard error alike, with the same exit status; a line
/// from a pipe is still answered before the next one arrives.
@Suite(.serialized) struct JobsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures").standardizedFileURL

    /// Every fixture's input, sorted by name.
    static func inputs() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted().compactMap { name in
            ["input.json", "input.xml"].map { fixtures.appendingPathComponent(name).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
        }
    }

    /// The JSON fixtures one per line, with lines that fail in each way a line can between them:
    /// blank, not JSON, not a Bundle, a type error, an empty object.
    static func stream() throws -> Data {
        var lines: [String] = []
        let bad = ["", "{\"resourceType\": \"Bundle\", \"type\": ", "{\"resourceType\": \"Patient\", \"id\": \"p\"}",
                   "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"total\": \"three\"}", "{}", "   \t"]
        for (i, url) in try inputs().enumerated() where url.pathExtension == "json" {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
            if i % 23 == 5 { lines.append(bad[(i / 23) % bad.count]) }
        }
        return Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    func same(_ arguments: [String], stdin: Data? = nil, jobs: [Int] = [2, 3, 7]) throws {
        let one = try ConvertCommandTests.run(arguments + ["--jobs", "1"], stdin: stdin)
        #expect(!one.stdout.isEmpty)
        for n in jobs {
            let many = try ConvertCommandTests.run(arguments + ["--jobs", "\(n)"], stdin: stdin)
            #expect(many.status == one.status, "--jobs \(n)")
            // Compared first, then expected: a failing `#expect(a == b)` diffs megabytes for minutes.
            let sameOutput = many.stdout == one.stdout, sameErrors = many.stderr == one.stderr
            #expect(sameOutput, "--jobs \(n): standard output differs")
            #expect(sameErrors, "--jobs \(n): standard error differs")
        }
    }

    @Test func anNDJSONStreamGivesTheSameBytesForAnyNumberOfJobs() throws {
        let stream = try Self.stream()
        let one = try ConvertCommandTests.run(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", "--jobs", "1"], stdin: stream)
        // Every line answered, the bad ones too, and the run says some failed.
        let linesIn = String(decoding: stream, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(one.stdout.split(separator: 0x0A).count >= linesIn)
        #expect(one.status == 65)
        #expect(one.stderr.contains("blank line"))
        try same(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02"], stdin: stream)
    }

    @Test func hl7v2OutputIsTheSameForAnyNumberOfJobs() throws {
        try same(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", "--output-format", "hl7v2",
                  "--requester", "http://fhir.nl/fhir/NamingSystem/agb-z|01234567"], stdin: try Self.stream(), jobs: [2, 5])
    }

    @Test func severalFilesGiveTheSameBytesForAnyNumberOfJobs() throws {
        var files = try Self.inputs().map(\.path)
        // An unreadable file in the middle: said in its place, the files after it still made, exit 74.
        files.insert(Self.fixtures.appendingPathComponent("no-such-fixture/input.json").path, at: files.count / 2)
        let one = try ConvertCommandTests.run(["apply", "--as-of", "2026-11-02", "--jobs", "1"] + files)
        #expect(one.status == 74)
        #expect(one.stdout.split(separator: 0x0A).count >= files.count - 1)
        try same(["apply", "--as-of", "2026-11-02"] + files, jobs: [2, 4])
    }

    /// An engine that writes a line and waits for its answer gets it with any number of jobs.
    @Test func aLineFromAPipeIsAnsweredBeforeTheNextArrives() throws {
        let lines = String(decoding: try Self.stream(), as: UTF8.self).split(separator: "\n").prefix(3)
        let process = Process()
        process.executableURL = ConvertCommandTests.executable
        process.arguments = ["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", "--jobs", "3"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var answered: [Data] = []
        var pending = Data()
        for line in lines {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            // Its answer line comes while the next line has not been written (bounded: a missing
            // answer fails here after a minute instead of hanging the suite).
            while !pending.contains(0x0A) {
                var ready = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 60_000) == 1 else { break }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
            }
            let end = try #require(pending.firstIndex(of: 0x0A), "no answer to a line before the next was written")
            answered.append(pending[pending.startIndex...end])
            pending = Data(pending[(end + 1)...])
        }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(answered.count == 3)
        #expect(pending.isEmpty && output.fileHandleForReading.readDataToEndOfFile().isEmpty)
        #expect(process.terminationStatus == 0)
    }

    /// A stream named twice is read in order, as with one job (found by a review: two threads read
    /// standard input at once, and the output changed from run to run).
    @Test func standardInputNamedTwiceIsReadOnceInOrder() throws {
        let bundle = try Data(contentsOf: Self.fixtures.appendingPathComponent("apl-all-negative/input.json"))
        let arguments = ["apply", "--as-of", "2026-11-02", "-", "-"]
        let one = try ConvertCommandTests.run(arguments + ["--jobs", "1"], stdin: bundle)
        #expect(one.status == 65 && one.stderr.contains("empty input"))
        for n in [2, 4, 2, 4] {
            let many = try ConvertCommandTests.run(arguments + ["--jobs", "\(n)"], stdin: bundle)
            let same = many.stdout == one.stdout && many.stderr == one.stderr && many.status == one.status
            #expect(same, "--jobs \(n)")
        }
    }

    /// Standard output that cannot be written ends the run at once with exit 74 and one line,
    /// whatever the number of jobs.
    @Test func aFullDeviceEndsTheRunWith74() throws {
        let files = try Self.inputs().prefix(12).map(\.path)
        for n in ["1", "3"] {
            let process = Process()
            process.executableURL = ConvertCommandTests.executable
            process.arguments = ["apply", "--as-of", "2026-11-02", "--jobs", n] + files
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let err = Pipe()
            process.standardError = err
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 74, "--jobs \(n)")
            #expect(stderr.split(separator: "\n").filter { $0.contains("cannot write standard output") }.count == 1, "--jobs \(n): \(stderr)")
        }
    }

    /// A stream with no line at all is empty input (exit 65), as a file is.
    @Test func anEmptyStreamIsEmptyInput() throws {
        for n in ["1", "2"] {
            let r = try ConvertCommandTests.run(["apply", "--input-format", "ndjson", "--jobs", n], stdin: Data())
            #expect(r.status == 65 && r.stdout.isEmpty && r.stderr.contains("empty input"))
        }
    }

    /// Standard output a non-blocking pipe read slowly: every line whole, exit 0 (found by a new
    /// user's trial: a full pipe was a write error, and the last line was cut).
    @Test func aNonBlockingPipeReadSlowlyGetsEveryLine() throws {
        // Lines that warn and lines that fail: standard error has its share of the pipe.
        let lines = String(decoding: try Self.stream(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).prefix(24)
        let stream = Data((lines.joined(separator: "\n") + "\n\n{}\n").utf8)
        // Standard output and standard error on one pipe (`2>&1`), non-blocking or not, read
        // quickly or slowly: the same bytes.
        func run(nonBlocking: Bool, slowly: Bool) throws -> (Int32, Data) {
            let process = Process()
            process.executableURL = ConvertCommandTests.executable
            process.arguments = ["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", "--jobs", "2"]
            let input = Pipe(), output = Pipe()
            let writeEnd = output.fileHandleForWriting.fileDescriptor
            if nonBlocking { _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK) }
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            try output.fileHandleForWriting.close()
            let feeder = Thread { try? input.fileHandleForWriting.write(contentsOf: stream); try? input.fileHandleForWriting.close() }
            feeder.start()
            var got = Data()
            // In small reads (bounded: the output is a few hundred kB).
            for _ in 0..<100_000 {
                let chunk = try output.fileHandleForReading.read(upToCount: 2048) ?? Data()
                if chunk.isEmpty { break }
                got.append(chunk)
                if slowly { usleep(1000) }
            }
            process.waitUntilExit()
            return (process.terminationStatus, got)
        }
        let expected = try run(nonBlocking: false, slowly: false)
        #expect(expected.0 == 65 && String(decoding: expected.1, as: UTF8.self).contains("blank line"))
        let got = try run(nonBlocking: true, slowly: true)
        #expect(got.0 == expected.0)
        let same = got.1 == expected.1
        #expect(same, "\(got.1.count) bytes against \(expected.1.count)")
    }

    /// An independent trial's own inputs (TestData/jobs-trial/in: bad lines of every kind, CRLF,
    /// invalid UTF-8, a NUL, nesting past the limit, no final newline; JSON and XML variants of one
    /// patient, truncated and garbage files, XML with errors).
    @Test func theTrialsInputsGiveTheSameBytesForAnyNumberOfJobs() throws {
        let folder = Self.fixtures.deletingLastPathComponent().appendingPathComponent("TestData/jobs-trial/in")
        // What the trial's generators add when run in place (gen.py, gen_extra.sh) is not read.
        let generated: Set<String> = ["many.ndjson", "deepobj.ndjson", "deep.xml", "xmlbig", "big8.ndjson", "adir"]
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().filter { !generated.contains($0) }
        let streams = names.filter { $0.hasSuffix(".ndjson") }
        #expect(streams.count >= 10)
        for name in streams {
            try same(["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", folder.appendingPathComponent(name).path], jobs: [3])
        }
        let xml = folder.appendingPathComponent("xml")
        let files = names.filter { $0.hasSuffix(".json") || $0.hasSuffix(".xml") }.map { folder.appendingPathComponent($0).path }
            + (try FileManager.default.contentsOfDirectory(atPath: xml.path).sorted().map { xml.appendingPathComponent($0).path })
        #expect(files.count >= 50)
        try same(["apply", "--as-of", "2026-11-02"] + files, jobs: [4])
    }

    @Test(arguments: ["0", "65", "two", "-1"]) func aWrongNumberOfJobsIsRefused(_ value: String) throws {
        let r = try ConvertCommandTests.run(["apply", "--jobs", value], stdin: Data())
        #expect(r.status == 64 && r.stdout.isEmpty)
        #expect(r.stderr.contains("--jobs must be 1 to 64") || (value == "two" && r.stderr.contains("--jobs")), "\(r.stderr)")
    }
}
