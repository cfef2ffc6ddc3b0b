// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rpl-adapter",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rpl-adapter", targets: ["rpl-adapter"]),
        .library(name: "FHIR", targets: ["FHIR"]),
        // libFuzzer targets: build with scripts/fuzz (-sanitize=fuzzer,address).
        .executable(name: "rpl-fuzz", targets: ["rpl-fuzz"]),
        // `rpl-adapter deliver` runs this program (its own binary: apply's start-up stays free of
        // the network and database libraries).
        .executable(name: "rpl-deliver", targets: ["rpl-deliver"]),
        // `rpl-adapter serve` runs this program: the HTTP service (Hummingbird, JWT, metrics).
        .executable(name: "rpl-serve", targets: ["rpl-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // deliver: the outbox (SQLite through GRDB) and the FHIR client (async-http-client on SwiftNIO).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // serve: the HTTP service, CDS Hooks JWTs, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // serve: HTTP parts as swift-http-types (Hummingbird's own), for the 100-continue handler.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libxml2, the XML parser behind the FHIR XML reader.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // mimalloc, serve's allocator on Linux (issue 20): with the service's threads glibc's
        // malloc and free were about a tenth of a CDS request's CPU; with mimalloc a request takes
        // about 11% less. (On macOS a linked library would not replace malloc: not used there.)
        .systemLibrary(name: "CMimalloc", providers: [.apt(["libmimalloc-dev"])]),
        // The FHIR R4 layer: element model, JSON and XML reading and writing. Knows nothing of
        // the guideline.
        .target(name: "FHIR", dependencies: ["CLibXML2", "CJSONSkip"]),
        // The JSON reader's pass over what it does not build, in C for SSE2 (issue 20: a
        // measured hot path, half of a Synthea run's time).
        // DWARF 4: clang's default, 5, is more than valgrind 3.19 reads, and callgrind counts the
        // benchmark's instructions.
        .target(name: "CJSONSkip", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // The rules of the card over plain Swift facts (no FHIR).
        .target(name: "RPLGuideline"),
        // Mapping: FHIR → facts (terminology, units) and recommendations → FHIR; Profiles/ compiled in.
        .target(name: "RPLAdapter", dependencies: ["FHIR", "RPLGuideline", "Digests"]),
        // Digests for names, ids and outbox keys (SHA-1, a fast 128-bit one): no dependencies.
        .target(name: "Digests"),
        // How every command ends: the exit statuses, named once.
        .target(name: "ExitStatus", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The command line, thin.
        .executableTarget(
            name: "rpl-adapter",
            dependencies: [
                "FHIR", "RPLAdapter", "ExitStatus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // An engine starts it per message: with the Swift runtime linked in, the dynamic
            // loader has a tenth of a cold start less to do (issue 20). Linux only (Darwin ships
            // the runtime in the OS); the two Foundation support libraries are what the static
            // FoundationEssentials (which the argument parser imports) needs besides.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections"],
                                          .when(platforms: [.linux], configuration: .release))]
        ),
        // Delivery of what apply wrote: a durable outbox, FHIR over HTTP, HL7 v2 over MLLP, retries.
        .target(
            name: "RPLDeliver",
            dependencies: [
                "FHIR", "Digests",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "rpl-deliver",
            dependencies: ["RPLDeliver", "ExitStatus", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The adapter as a service (interface.md v3, serve): FHIR $apply and $rpl-transaction, CDS
        // Hooks, trust (JWT), operations. Its own binary, as delivery is.
        .target(
            name: "RPLService",
            dependencies: [
                "FHIR", "RPLAdapter", "RPLGuideline", "Digests",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "rpl-serve",
            dependencies: ["RPLService", "RPLAdapter", "RPLGuideline", "ExitStatus", .target(name: "CMimalloc", condition: .when(platforms: [.linux])),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The Swift runtime linked in, as rpl-adapter's: retain and release without the shared
            // library's indirection, about 6% of a CDS request's CPU (issue 20); Foundation whole
            // (the service imports it), so CoreFoundation and its ICU beside its shims.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections"], .when(platforms: [.linux], configuration: .release))]
        ),
        // Fuzz targets for the JSON reader, the XML reader and apply; the C part reaches libFuzzer's
        // driver (weakly linked: an ordinary build has no libFuzzer and the program says so).
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "rpl-fuzz", dependencies: ["CFuzzerDriver", "FHIR", "RPLAdapter", "RPLGuideline", "ExitStatus"]),
        // Reader throughput and scaling, printed as numbers (not a test).
        .executableTarget(name: "fhir-benchmark", dependencies: ["FHIR"], path: "Benchmarks/fhir-benchmark"),
        .testTarget(name: "FHIRTests", dependencies: ["FHIR", "CLibXML2"]),
        // Shared by the test targets: Scenario (input Bundles from the pieces the rules read),
        // Outcome (what an output shows) and InProcess (the adapter run in the test's process).
        .target(name: "TestSupport", dependencies: ["FHIR", "RPLAdapter", "RPLGuideline"], path: "Tests/TestSupport"),
        .testTarget(name: "RPLGuidelineTests", dependencies: ["RPLGuideline"]),
        // Rule tests (in-process, one suite per card area) and fact tests (one per fact source).
        .testTarget(name: "RPLAdapterTests", dependencies: ["RPLAdapter", "RPLGuideline", "FHIR", "TestSupport", "Digests"]),
        // peak-memory: runs a program and says its own peak memory (Tests/PeakMemory/main.c says why).
        .executableTarget(name: "peak-memory", path: "Tests/PeakMemory"),
        .testTarget(name: "EndToEndTests", dependencies: ["FHIR", "RPLGuideline", "rpl-adapter", "peak-memory", "TestSupport"]),
        // deliver's parts on their own (its peers, faults and crashes: scripts/test-deliver.sh).
        .testTarget(name: "RPLDeliverTests", dependencies: ["RPLDeliver", "Digests"]),
        // serve's routes in-process (HummingbirdTesting), JWTs signed by the test.
        .testTarget(
            name: "RPLServiceTests",
            dependencies: [
                "RPLService", "RPLAdapter", "RPLGuideline", "FHIR", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
