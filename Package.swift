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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Profile parsing: YAML text to a typed `Profile`, with file:line:column diagnostics.
        .target(name: "RiptidesProfile", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Policy: `Profile` to an immutable `EgressPolicy`; pure evaluation, no I/O.
        .target(name: "RiptidesPolicy", dependencies: ["RiptidesProfile"]),
        // System libraries, through pkg-config.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        // C only where Swift cannot go: the child between fork and exec, variadic calls.
        .target(name: "CRiptides"),
        // Typed wrappers over the system calls the supervisor makes.
        .target(name: "RiptidesSystem", dependencies: ["CRiptides"]),
        // Filter construction: the trapped-syscall table compiled to BPF in the parent.
        .target(name: "RiptidesFilter", dependencies: ["CRiptides", "CSeccomp", "RiptidesSystem"]),
        // Launching: the Swift side of the fork/exec in CRiptides.
        .target(name: "RiptidesLaunch", dependencies: ["CRiptides", "RiptidesSystem", "RiptidesFilter"]),
        // Auditing: decisions become JSON Lines.
        .target(name: "RiptidesAudit", dependencies: ["RiptidesPolicy", "RiptidesProfile", "RiptidesSystem"]),
        // Supervising: one handler per trapped system call.
        .target(
            name: "RiptidesSupervisor",
            dependencies: ["CRiptides", "RiptidesSystem", "RiptidesPolicy", "RiptidesProfile", "RiptidesAudit"]
        ),
        // One `riptides exec` session: profile -> policy -> filter/launch -> supervisor -> audit.
        .target(
            name: "RiptidesExec",
            dependencies: [
                "CRiptides", "CCap", "RiptidesSystem", "RiptidesFilter", "RiptidesLaunch", "RiptidesPolicy",
                "RiptidesProfile", "RiptidesAudit", "RiptidesSupervisor",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The command line: argument parsing and nothing else.
        .executableTarget(
            name: "riptides",
            dependencies: [
                "RiptidesProfile", "RiptidesPolicy", "RiptidesExec", "RiptidesAudit", "RiptidesLaunch", "RiptidesSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Starting programs from the tests (posix_spawn, in place of Foundation's Process).
        .target(name: "CTestSpawn", path: "Tests/CTestSpawn"),
        .target(name: "RiptidesTestSupport", dependencies: ["CTestSpawn"], path: "Tests/RiptidesTestSupport"),
        // End-to-end tests: real agents under the real filter, real listeners on loopback.
        .testTarget(
            name: "RiptidesEndToEndTests",
            dependencies: ["riptides", "RiptidesTestSupport"]
        ),
        // POLICY-TARGETS (benchmark and test targets of the policy work go here)
        // Decisions per second and compile time for large generated profiles; run with `-c release`.
        .executableTarget(name: "riptides-bench", dependencies: ["RiptidesProfile", "RiptidesPolicy"]),
        .testTarget(name: "RiptidesProfileTests", dependencies: ["RiptidesProfile"]),
        .testTarget(name: "RiptidesPolicyTests", dependencies: ["RiptidesPolicy", "RiptidesProfile"]),
        // Runs the built `riptides` binary (`check`, `explain`); depending on it makes `swift test` build it.
        .testTarget(name: "RiptidesCommandTests", dependencies: ["riptides", "RiptidesTestSupport"]),
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
