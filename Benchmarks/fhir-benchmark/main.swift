// Reader and writer throughput and how cost grows with size, printed as a table.
// Usage: fhir-benchmark [--smoke] [--corpus DIR]
// Build with -c release for real numbers: swift run -c release fhir-benchmark
import FHIR
import Foundation

#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Best of `repeats` runs, in seconds (the minimum is the least noisy estimate on a shared machine).
func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var result = Double.infinity
    for _ in 0..<repeats {
        let start = now()
        try body()
        result = min(result, now() - start)
    }
    return result
}

/// A collection Bundle of `count` lab Observations shaped like real feeds (codes, quantity,
/// reference range, interpretation, a primitive extension every tenth entry).
func generatedBundle(_ count: Int) -> Element {
    var entries: [Element] = []
    entries.reserveCapacity(count)
    for i in 0..<count {
        var effective = Element.primitive("effectiveDateTime", "2026-0\(1 + i % 9)-1\(i % 10)T08:30:00+01:00")
        if i % 10 == 0 {
            effective.children = [.complex("extension", [.primitive("url", "http://example.org/source"), .primitive("valueString", "lab \(i)")])]
        }
        let observation = Element.resource("Observation", [
            .primitive("id", "obs-\(i)"),
            .primitive("status", "final"),
            .complex("category", [.complex("coding", [
                .primitive("system", "http://terminology.hl7.org/CodeSystem/observation-category"),
                .primitive("code", "laboratory")])]),
            .complex("code", [.complex("coding", [
                .primitive("system", "http://loinc.org"), .primitive("code", "3016-3"),
                .primitive("display", "Thyrotropin [Units/volume] in Serum or Plasma")])]),
            .complex("subject", [.primitive("reference", "Patient/p1")]),
            effective,
            .complex("valueQuantity", [
                .primitive("value", "\(i % 7).\(i % 100)", kind: .number), .primitive("unit", "mIU/L"),
                .primitive("system", "http://unitsofmeasure.org"), .primitive("code", "m[IU]/L")]),
            .complex("interpretation", [.complex("coding", [
                .primitive("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"),
                .primitive("code", i % 3 == 0 ? "H" : "N")])]),
            .complex("referenceRange", [
                .complex("low", [.primitive("value", "0.4", kind: .number), .primitive("unit", "mIU/L")]),
                .complex("high", [.primitive("value", "4.0", kind: .number), .primitive("unit", "mIU/L")])]),
        ])
        entries.append(.complex("entry", [
            .primitive("fullUrl", "urn:uuid:00000000-0000-4000-8000-\(String(100_000_000_000 + i))"),
            .wrapping("resource", observation)]))
    }
    return .resource("Bundle", [.primitive("type", "collection")] + entries)
}

let smoke = CommandLine.arguments.contains("--smoke")
let sizes = smoke ? [100, 1_000] : [1_000, 10_000, 100_000]
let repeats = smoke ? 1 : 5

print("FHIR reader/writer scaling (best of \(repeats); time per entry should stay flat)")
print("entries   format   bytes        read ms   read MB/s   µs/entry   write ms")
var perEntry: [String: [Double]] = [:]
for size in sizes {
    let bundle = generatedBundle(size)
    for format in FHIRFormat.allCases {
        let bytes = try format.write(bundle)
        var parsed: Element?
        let read = try best(repeats) { parsed = try format.read(bytes) }
        precondition(parsed?.children.count == size + 1)
        let write = try best(repeats) { _ = try format.write(parsed!) }
        let us = read / Double(size) * 1e6
        perEntry[format.rawValue, default: []].append(us)
        let pad = { (s: String, n: Int) in String(repeating: " ", count: max(0, n - s.count)) + s }
        print(pad(String(size), 7), "  ", format.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0),
              pad(String(bytes.count), 11), pad(String(format: "%.1f", read * 1000), 10),
              pad(String(format: "%.0f", Double(bytes.count) / read / 1e6), 10),
              pad(String(format: "%.2f", us), 9), pad(String(format: "%.1f", write * 1000), 10))
    }
}
for (format, values) in perEntry.sorted(by: { $0.key < $1.key }) where values.count >= 2 {
    let ratio = values.last! / values.first!
    print("\(format): time per entry at \(sizes.last!) ÷ at \(sizes.first!) = \(String(format: "%.2f", ratio))  (total time ratio for 10× the entries: \(String(format: "%.1f", ratio * 10))×)")
}
