import ArgumentParser
import Glibc
import Foundation

/// The `riptides` command: kernel-level egress enforcement for AI agents.
@main
struct Riptides: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riptides",
        abstract: "Run AI agents under a kernel-enforced egress policy.",
        version: "0.1.0",
        subcommands: [Exec.self, Check.self, Explain.self, Doctor.self]
    )

    /// The exit status for a usage error: each command has its own (exec 125
    /// like env and docker run, check 1, explain 2).
    static func usageStatus(for arguments: [String]) -> Int32 {
        switch arguments.first {
        case "check": 1
        case "explain": 2
        default: 125
        }
    }

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let failure as RiptidesFailure {
            printError(failure.message)
            Glibc.exit(failure.exitStatus)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            var message = message(for: error)
            if arguments.first == "exec" && !arguments.contains("--") {
                message = "exec: expected -- before the command: riptides exec [--profile P] -- COMMAND [ARG...]"
            }
            printError(message)
            Glibc.exit(usageStatus(for: arguments))
        }
    }
}
