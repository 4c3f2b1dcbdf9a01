// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "flotilla",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // HMAC for the peer handshake; already in the graph through async-http-client, resolved at 4.x.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        // Child processes that run to completion: the node's shell tasks, network tools, wrk.
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        // FilePath, which names swift-subprocess's executables; already in the graph through it.
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: [
        // Pure, dependency-free cores: no I/O, no clock, no threads.
        .target(name: "BinaryCoding", swiftSettings: strict),
        .target(name: "RaftCore", dependencies: ["BinaryCoding"], swiftSettings: strict),
        .target(name: "TaskQueue", dependencies: ["BinaryCoding"], swiftSettings: strict),
        // What the simulator and the orchestrator both hold a cluster to: the safety rules, and
        // the network shapes partitions cut. Pure.
        .target(name: "ClusterRules", swiftSettings: strict),
        // The history checker: is a client history linearizable, and where it is not, the smallest failing window. Pure.
        .target(name: "HistoryCheck", swiftSettings: strict),
        // One node's logic (persist -> send -> apply, proposals, the leader's task duties, worker
        // reports), driven alike by the node runtime and the simulator. Pure: the disk is a protocol.
        .target(name: "NodeCore", dependencies: ["RaftCore", "TaskQueue", "BinaryCoding"], swiftSettings: strict),
        // The deterministic simulator: many nodes' own NodeCore and NodeStorage over in-memory disks on a seeded network.
        .target(
            name: "Simulation",
            dependencies: ["RaftCore", "TaskQueue", "NodeCore", "NodeStorage", "ClusterRules", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The admin API's wire types, shared by the node and every client.
        .target(name: "FlotillaAPI", swiftSettings: strict),
        // A node's disk: write-ahead log segments, snapshots, recovery.
        .target(
            name: "NodeStorage",
            dependencies: ["RaftCore", "NodeCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Raft messages between nodes: framed TCP, handshake, reconnect, the fault filter.
        .target(
            name: "PeerTransport",
            dependencies: [
                "RaftCore", "BinaryCoding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The node runtime: the Raft driver, task workers, the admin API, metrics.
        .target(
            name: "FlotillaNode",
            dependencies: [
                "RaftCore", "TaskQueue", "NodeCore", "FlotillaAPI", "NodeStorage", "PeerTransport", "CSpawn", "CLastWords",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "ChildProcesses",
            ],
            swiftSettings: strict
        ),
        // Children run to their end through swift-subprocess (shell tasks, ip, nft, wrk), kept
        // clear of its failures when descriptors run out.
        .target(
            name: "ChildProcesses",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        // The fatal-signal handler that leaves a dying node's reason as the last line of its log.
        .target(name: "CLastWords"),
        // posix_spawn's close-from action, which Swift's Glibc module leaves out.
        .systemLibrary(name: "CSpawn"),
        // libnetfilter_queue, for the releaser that holds a namespace lab's queued packets (kernel delay, jitter, reorder).
        .systemLibrary(name: "CNetfilterQueue", pkgConfig: "libnetfilter_queue", providers: [.apt(["libnetfilter-queue-dev"])]),
        // The control plane: talks to nodes over HTTP and starts them as processes.
        .target(
            name: "Orchestrator",
            dependencies: [
                "FlotillaAPI", "CSpawn", "CNetfilterQueue", "BinaryCoding", "ClusterRules", "HistoryCheck",
                // The operator grammar's amounts are ExpressibleByArgument, so the CLI and the console's `:` line read them alike.
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "ChildProcesses",
            ],
            swiftSettings: strict
        ),
        // ncursesw, for the console's terminal backend.
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        // The operator console: a cell canvas, views, key map, themes and backends (ncurses, in-memory).
        .target(
            name: "Console",
            dependencies: ["Orchestrator", "FlotillaAPI", "CNcurses"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "flotilla",
            dependencies: [
                "Simulation", "FlotillaNode", "Orchestrator", "Console", "HistoryCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Helpers every test target shares: waiting with a deadline, running heavy bodies off the shared pool.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "BinaryCodingTests", dependencies: ["TestSupport", "BinaryCoding"], swiftSettings: strict),
        .testTarget(name: "RaftCoreTests", dependencies: ["TestSupport", "RaftCore"], swiftSettings: strict),
        .testTarget(name: "TaskQueueTests", dependencies: ["TestSupport", "TaskQueue"], swiftSettings: strict),
        .testTarget(name: "NodeCoreTests", dependencies: ["TestSupport", "NodeCore", "RaftCore", "TaskQueue", "BinaryCoding"], swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["TestSupport", "Simulation", "ClusterRules"], swiftSettings: strict),
        .testTarget(name: "ClusterRulesTests", dependencies: ["TestSupport", "ClusterRules"], swiftSettings: strict),
        .testTarget(name: "HistoryCheckTests", dependencies: ["TestSupport", "HistoryCheck", "BinaryCoding"], swiftSettings: strict),
        // The layering, checked from the sources' imports.
        .testTarget(name: "ArchitectureTests", swiftSettings: strict),
        .testTarget(name: "NodeStorageTests", dependencies: ["TestSupport", "NodeStorage", "NodeCore"], swiftSettings: strict),
        .testTarget(
            name: "PeerTransportTests",
            dependencies: [
                "TestSupport", "PeerTransport", "BinaryCoding",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Process-level scenarios: real `flotilla node` processes on 127.0.0.1.
        .testTarget(name: "OrchestratorTests", dependencies: ["TestSupport", "Orchestrator", "FlotillaAPI", "BinaryCoding", "ClusterRules"],
                    swiftSettings: strict),
        // The engines beside Flotilla's own node (etcd): their wire formats, and process tests on
        // real members where the engine's executable is installed.
        .testTarget(name: "EngineTests", dependencies: ["TestSupport", "Orchestrator", "FlotillaAPI", "HistoryCheck"], swiftSettings: strict),
        .testTarget(name: "ConsoleTests", dependencies: ["TestSupport", "Console", "Orchestrator", "FlotillaAPI", "BinaryCoding"], swiftSettings: strict),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "TestSupport", "Orchestrator", "FlotillaAPI", "CSpawn", "HistoryCheck", "RaftCore", "BinaryCoding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FlotillaNodeTests",
            dependencies: [
                "TestSupport", "FlotillaNode", "ChildProcesses", "TaskQueue", "FlotillaAPI", "NodeStorage", "NodeCore", "BinaryCoding",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
