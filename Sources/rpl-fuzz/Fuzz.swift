import CFuzzerDriver
import ExitStatus
import FHIR
import RPLAdapter
import RPLGuideline

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer targets (scripts/fuzz builds this with `-sanitize=fuzzer,address` and runs it):
///
/// - `json`: the JSON reader; whatever it reads must write as JSON and XML and read back.
/// - `xml`: the XML reader; the same round trip, and its SAX path builds what the streaming
///   reader builds (or declines), with and without skipping resources.
/// - `apply`: bytes in, the plan out, as `rpl-adapter apply` makes it (any format, built-in
///   Profiles, a fixed evaluation date); the output must write in both formats.
///
/// Any outcome but a crash is fine for the input; a written document that does not read back is a
/// crash on purpose (the writers and readers must accept the same documents).
@main
enum Fuzz {
    enum Target: String { case json, xml, apply }

    nonisolated(unsafe) static var target = Target.json
    nonisolated(unsafe) static var adapter: Adapter?
    /// The Observation screen of the built-in Profiles (`json`: screened readings held against full ones).
    static let screen = try! Profiles.builtIn().observationScreen
    static let asOf = CalendarDate(year: 2026, month: 11, day: 2)!

    static func main() {
        var args = CommandLine.arguments
        guard args.count >= 2, let t = Target(rawValue: args[1]) else {
            print("usage: rpl-fuzz json|xml|apply [libFuzzer options] [corpus folders]")
            exit(ExitStatus.usage.rawValue)
        }
        target = t
        if t == .apply { adapter = Adapter(profiles: try! Profiles.builtIn()) }
        args.remove(at: 1)
        // argv for libFuzzer, without the target name.
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        var argc = Int32(args.count)
        let status = cArgs.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
            return rpl_fuzz_run(&argc, &argv) { data, size in
                Fuzz.test(UnsafeBufferPointer(start: data, count: size))
                return 0
            }
        }
        if status == -1 {
            print("rpl-fuzz was built without libFuzzer: build it with scripts/fuzz (swift build -Xswiftc -sanitize=fuzzer,address)")
            exit(ExitStatus.unavailable.rawValue)
        }
        // libFuzzer's own status (0, or the crash it found), passed on.
        exit(status)
    }

    static func test(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch target {
        case .json:
            // Sharing recurring objects, giving pages back while reading, and the C pass over
            // values not built change no tree and no error; and the C pass accepts only what the
            // Swift pass accepts, the input taken as one value.
            if let difference = JSONReader.sharingDisagrees(bytes) ?? JSONReader.sharingDisagrees(bytes, materialise: { Adapter.resourceTypesRead.contains($0) })
                ?? JSONReader.discardingDisagrees(bytes, materialise: { Adapter.resourceTypesRead.contains($0) })
                ?? JSONReader.fastSkipDisagrees(bytes) ?? JSONReader.skipPassesDisagree(bytes)
                ?? JSONReader.screenDisagrees(bytes, screen: Fuzz.screen, materialise: { Adapter.resourceTypesRead.contains($0) })
                ?? JSONReader.screenPassDisagrees(bytes, screen: Fuzz.screen) {
                fatalError("json: \(difference)\n\(String(decoding: bytes.prefix(2000), as: UTF8.self))")
            }
            guard let r = try? JSONReader.read(bytes) else { return }
            roundTrip(r)
        case .xml:
            // The SAX path builds what XMLTreeBuilder builds, or leaves the document to it.
            if let difference = XMLReader.pathsDisagree(bytes) ?? XMLReader.pathsDisagree(bytes, materialise: { Adapter.resourceTypesRead.contains($0) }) {
                fatalError("xml: \(difference)\n\(String(decoding: bytes.prefix(2000), as: UTF8.self))")
            }
            guard let r = try? XMLReader.read(bytes) else { return }
            roundTrip(r)
        case .apply:
            guard let format = try? FHIRFormat.detect(bytes),
                  let bundle = try? Adapter.read(bytes, as: format),
                  let result = try? adapter!.apply(bundle, asOf: asOf) else { return }
            for f in FHIRFormat.allCases { _ = try? f.write(result.output, pretty: false) }
            roundTrip(result.output)
        }
    }

    /// What a writer writes, the matching reader must read.
    static func roundTrip(_ resource: Element) {
        for format in FHIRFormat.allCases {
            guard let written = try? format.write(resource, pretty: false) else { continue }
            do {
                _ = try format.read(written)
            } catch {
                fatalError("\(format) written but not read back: \(error)\n\(String(decoding: written.prefix(2000), as: UTF8.self))")
            }
        }
    }
}
