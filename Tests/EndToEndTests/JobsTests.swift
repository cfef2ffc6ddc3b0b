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

    @Test(arguments: ["0", "65", "two"]) func aWrongNumberOfJobsIsRefused(_ value: String) throws {
        let r = try ConvertCommandTests.run(["apply", "--jobs", value], stdin: Data())
        #expect(r.status == 64 && r.stdout.isEmpty)
        #expect(r.stderr.contains("--jobs"))
    }
}
