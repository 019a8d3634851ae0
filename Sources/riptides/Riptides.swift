public import ArgumentParser

/// The `riptides` command: kernel-level egress enforcement for AI agents.
@main
struct Riptides: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riptides",
        abstract: "Run AI agents under a kernel-enforced egress policy.",
        version: "0.1.0",
        subcommands: [Check.self, Explain.self]
    )
}
