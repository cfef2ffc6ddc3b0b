import FHIR
import Foundation
import Testing
import TestSupport

typealias S = Scenario

/// Runs the built executable on a Scenario (TestSupport) and reads back which rules fired: for what
/// needs the process (exit codes, standard error, hostile input, streaming).
enum Runner {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let outputs = projectRoot.appendingPathComponent(".build/test-outputs")
    nonisolated(unsafe) static var counter = 0
    static let lock = NSLock()

    static let activityDefinitions = InProcess.activityDefinitions

    static func apply(_ scenario: Scenario, asOf: String? = "2026-11-02", format: String = "json", extra: [String] = []) throws -> Outcome {
        let input = format == "json" ? try JSONWriter().write(scenario.bundle()) : try XMLWriter().write(scenario.bundle())
        var args = ["apply"] + extra
        if let asOf { args += ["--as-of", asOf] }
        return try apply(bytes: input, arguments: args)
    }

    static func apply(bytes: [UInt8], arguments: [String]) throws -> Outcome {
        let run = try ConvertCommandTests.run(arguments, stdin: Data(bytes))
        var out = Outcome(status: run.status, stdout: Array(run.stdout), stderr: run.stderr)
        guard run.status == 0 else { return out }
        let format = FHIRFormat.sniff(out.stdout) ?? .json
        let bundle = try format.read(out.stdout)
        // Keep every output for the schema check (scripts/validate-output.sh).
        lock.lock(); counter += 1; let n = counter; lock.unlock()
        try? FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        try? Data(JSONWriter().write(bundle)).write(to: outputs.appendingPathComponent("apply-\(ProcessInfo.processInfo.processIdentifier)-\(n).json"))

        out.read(bundle)
        for id in out.activitiesNamed { #expect(activityDefinitions.contains(id), "no ActivityDefinition \(id) in Profiles/") }
        return out
    }

    static func ruleId(_ text: String) -> String { Outcome.ruleId(text) }
}
