// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "riptides",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "riptides", targets: ["riptides"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Profile parsing: YAML text to a typed `Profile`, with file:line:column diagnostics.
        .target(name: "RiptidesProfile", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Policy: `Profile` to an immutable `EgressPolicy`; pure evaluation, no I/O.
        .target(name: "RiptidesPolicy", dependencies: ["RiptidesProfile"]),
        // The command line: argument parsing and nothing else.
        .executableTarget(
            name: "riptides",
            dependencies: [
                "RiptidesProfile", "RiptidesPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // POLICY-TARGETS (benchmark and test targets of the policy work go here)
        // Decisions per second and compile time for large generated profiles; run with `-c release`.
        .executableTarget(name: "riptides-bench", dependencies: ["RiptidesProfile", "RiptidesPolicy"]),
        .testTarget(name: "RiptidesProfileTests", dependencies: ["RiptidesProfile"]),
        .testTarget(name: "RiptidesPolicyTests", dependencies: ["RiptidesPolicy", "RiptidesProfile"]),
        // Runs the built `riptides` binary (`check`, `explain`); depending on it makes `swift test` build it.
        .testTarget(name: "RiptidesCommandTests", dependencies: ["riptides"]),
    ]
)

// Swift 6 language mode and the upcoming features, for every target in one place.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
