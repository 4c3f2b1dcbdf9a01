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
    ],
    targets: [
        // Pure, dependency-free cores: no I/O, no clock, no threads.
        .target(name: "BinaryCoding", swiftSettings: strict),
        .target(name: "RaftCore", dependencies: ["BinaryCoding"], swiftSettings: strict),
        .target(name: "TaskQueue", dependencies: ["BinaryCoding"], swiftSettings: strict),
        .target(name: "Simulation", dependencies: ["RaftCore", "TaskQueue"], swiftSettings: strict),
        .executableTarget(
            name: "flotilla",
            dependencies: [
                "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "BinaryCodingTests", dependencies: ["BinaryCoding"], swiftSettings: strict),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore"], swiftSettings: strict),
        .testTarget(name: "TaskQueueTests", dependencies: ["TaskQueue"], swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
