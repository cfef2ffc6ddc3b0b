import FHIR
import Foundation
import Testing

/// The README's examples, run: a newcomer copies them, so they must say what the program does
/// today (issue 15: the HL7 example's MSH-10 had gone stale).
@Suite struct ReadmeTests {
    static let readme = UnattendedTests.root.appendingPathComponent("README.md")

    /// The lines of the fenced block that follows the paragraph ending with `marker`.
    static func block(after marker: String) throws -> [String] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: marker))
        let fence = try #require(text.range(of: "```\n", range: start.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "\n```", range: fence.upperBound..<text.endIndex))
        return text[fence.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
    }

    @Test func theFirstCommandMakesThePlanOfTheBundledExample() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        // The newcomer's command, as the README gives it (after the build).
        let line = try #require(text.split(separator: "\n").first { $0.contains(".build/release/rpl-adapter apply") })
        let args = line.components(separatedBy: ".build/release/rpl-adapter ").last!.split(separator: " ").map(String.init)
        let r = try ConvertCommandTests.run(args.map { $0.hasPrefix("Fixtures/") ? UnattendedTests.root.appendingPathComponent($0).path : $0 })
        #expect(r.status == 0)
        let bundle = try JSONReader.read(Array(r.stdout))
        #expect(bundle.children("entry").contains { $0.child("resource")?.resource?.name == "CarePlan" })
    }

    /// Every subcommand's --help has an example, and each default is said once (issue 15: the
    /// help text and argument-parser both printed them).
    @Test func everyHelpHasAnExampleAndSaysEachDefaultOnce() throws {
        for command in [["apply"], ["convert"], ["replay"], ["profiles", "check"], ["deliver"]] {
            let r = try ConvertCommandTests.run(command + ["--help"])
            let text = String(decoding: r.stdout, as: UTF8.self)
            #expect(text.contains("Example"), "\(command)")
            // One option's paragraph: from a line starting with "  -" to the next.
            var paragraphs: [String] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("  -") || line.hasPrefix("  <") { paragraphs.append(String(line)) } else if !paragraphs.isEmpty { paragraphs[paragraphs.count - 1] += " " + line }
            }
            for p in paragraphs { #expect(p.lowercased().components(separatedBy: "default").count <= 2, "\(command): \(p)") }
        }
    }

    @Test func theHL7ExampleIsWhatTheProgramWrites() throws {
        let shown = try Self.block(after: "The first segments of the bundled example\nwith a requester:")
        let r = try ConvertCommandTests.run(["apply", "--output-format", "hl7v2", "--requester", "http://fhir.nl/fhir/NamingSystem/agb-z|01234567",
                                             "--as-of", "2026-11-02", UnattendedTests.root.appendingPathComponent("Fixtures/examples/two-losses-tsh.json").path])
        #expect(r.status == 0)
        let segments = String(decoding: r.stdout, as: UTF8.self).split(separator: "\r").map(String.init)
        #expect(shown.count >= 5)
        for (i, line) in shown.enumerated() {
            guard i < segments.count else { Issue.record("README shows more segments than written"); break }
            // A line cut with … shows the start of its segment.
            if line.hasSuffix("…") { #expect(segments[i].hasPrefix(String(line.dropLast()).trimmingCharacters(in: .whitespaces)), "README: \(line)\nwritten: \(segments[i])") }
            else { #expect(segments[i] == line, "README: \(line)\nwritten: \(segments[i])") }
        }
    }
}
