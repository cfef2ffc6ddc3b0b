import Foundation
@testable import FHIR

/// Paths to the project and to TestData/corpus (third-party FHIR data we test against, with its licences in SOURCES.md).
enum Corpus {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let root = projectRoot.appendingPathComponent("TestData/corpus")
    static let hl7 = root.appendingPathComponent("hl7-examples")

    static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    struct Pair: Sendable, CustomStringConvertible {
        let resourceType: String
        let id: String
        let json: String
        let xml: String
        var description: String { json }
    }

    /// PAIRS.tsv: the official JSON and XML renderings of the same example.
    static let pairs: [Pair] = {
        guard let text = try? String(contentsOf: hl7.appendingPathComponent("PAIRS.tsv"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, f[2] != "-", f[3] != "-" else { return nil }
            return Pair(resourceType: f[0], id: f[1], json: f[2], xml: f[3])
        }
    }()

    static func files(_ folder: String, ext: String) -> [String] {
        let dir = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix("." + ext) }.sorted().map { folder + "/" + $0 }
    }
}
