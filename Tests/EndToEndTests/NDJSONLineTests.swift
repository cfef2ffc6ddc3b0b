import Foundation
import Testing

/// `apply --input-format ndjson` splits its input at each newline whatever the size of the lines
/// and however the bytes arrive: each line of a stream is answered as it is answered alone. The
/// reader takes 64 KiB at a time into a buffer that starts at 128 KiB, moves an unfinished line
/// to its front and doubles only for a line that fills it; lines here are padded (JSON allows
/// whitespace between tokens) to end before, across and far beyond those sizes.
@Suite struct NDJSONLineTests {
    /// Every seventh JSON fixture as one line, its Bundle given an id so that its answer does not
    /// name its line number; some padded with spaces to a size, one ended by CRLF.
    static func lines() throws -> [Data] {
        let json = try JobsTests.inputs().filter { $0.pathExtension == "json" }
        var lines: [Data] = []
        let pads = [0, 65_530, 70_000, 131_000, 140_000, 300_000, 1_200_000]
        for (i, url) in json.enumerated() where i % 7 == 0 {
            guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else { continue }
            if object["id"] == nil { object["id"] = "line-\(i)" }
            var line = try JSONSerialization.data(withJSONObject: object)
            let pad = pads[lines.count % pads.count]
            // After the opening brace: `{` + spaces + the rest.
            line = Data([line[0]]) + Data(repeating: 0x20, count: pad) + line.dropFirst()
            if lines.count == 3 { line.append(0x0D) }
            lines.append(line)
        }
        return lines
    }

    static let apply = ["apply", "--input-format", "ndjson", "--as-of", "2026-11-02", "--jobs", "1"]

    @Test func eachLineIsAnsweredAsItIsAlone() throws {
        let lines = try Self.lines()
        #expect(lines.count >= 10)
        // The answer of each line alone: one line of output.
        var alone: [Data] = []
        for line in lines {
            let run = try ConvertCommandTests.run(Self.apply, stdin: line + Data([0x0A]))
            let out = run.stdout.split(separator: 0x0A, omittingEmptySubsequences: false)
            #expect(out.count == 2 && out[1].isEmpty, "one answer, one line")
            alone.append(Data(out[0]))
        }
        // All of them as one stream, the last without a newline, written at once and in pieces
        // of an odd size (reads that end inside a line, and inside a newline's neighbourhood).
        var stream = Data()
        for (i, line) in lines.enumerated() {
            stream.append(line)
            if i < lines.count - 1 { stream.append(0x0A) }
        }
        let whole = try ConvertCommandTests.run(Self.apply, stdin: stream)
        let bytes = stream
        let pieces = try ConvertCommandTests.run(Self.apply, feed: { handle in
            var at = 0
            while at < bytes.count {
                let end = min(at + 7_919, bytes.count)
                try? handle.write(contentsOf: bytes[at..<end])
                at = end
            }
        })
        for run in [whole, pieces] {
            let out = run.stdout.split(separator: 0x0A).map { Data($0) }
            #expect(out.count == lines.count)
            for (i, answer) in out.enumerated() where i < alone.count {
                let same = answer == alone[i]
                #expect(same, "line \(i + 1) is answered otherwise in the stream")
            }
        }
    }

    /// A line over the 256 MiB bound (here by a MiB, in a file: reads from a file are not cut
    /// short as a pipe's are) is refused as too long, not read, and the next line is answered.
    @Test func aLineOverTheBoundIsRefusedAndTheNextAnswered() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ndjson-long-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("long.ndjson")
        #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
        let handle = try FileHandle(forWritingTo: file)
        // A Bundle whose whitespace takes it 1 MiB over the bound: valid JSON, were it read.
        try handle.write(contentsOf: Data("{\"resourceType\":\"Bundle\",\"type\":\"collection\"".utf8))
        let spaces = Data(repeating: 0x20, count: 1 << 20)
        for _ in 0..<257 { try handle.write(contentsOf: spaces) }
        try handle.write(contentsOf: Data("}\n".utf8) + (try Self.lines()[0]) + Data("\n".utf8))
        try handle.close()
        let run = try ConvertCommandTests.run(Self.apply + [file.path])
        let out = run.stdout.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        #expect(out.count == 2)
        #expect(run.stderr.contains("line 1: line longer than 268435456 bytes"))
        #expect(!run.stderr.contains("no Patient"), "the long line was read")
        #expect(out.count == 2 && !out[1].contains("line longer"))
        #expect(run.status == 65)
        // The line held once while the buffer grew (realloc), not twice: the bound plus 64 MB, as
        // for a gigabyte refused (`ConvertCommandTests`; the child's peak, or an earlier child's).
        #expect(run.maxRSS < (256 + 64) << 20, "peak RSS \(run.maxRSS >> 20) MB")
    }

    /// Blank lines (empty, or spaces only) between lines and at the end are answered as blank,
    /// each in its place.
    @Test func blankLinesKeepTheirPlaces() throws {
        let line = try Self.lines()[0]
        let stream = Data("\n".utf8) + line + Data("\n   \n\n".utf8) + line + Data("\n\n".utf8)
        let run = try ConvertCommandTests.run(Self.apply, stdin: stream)
        // Lines: "", the Bundle, "   ", "", the Bundle, "" (the last newline ends a line).
        let out = run.stdout.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        #expect(out.count == 6)
        let blank = out.enumerated().filter { $0.element.contains("blank line") }.map(\.offset)
        #expect(blank == [0, 2, 3, 5])
        #expect(run.status == 65)
    }
}
