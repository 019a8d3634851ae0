import ArgumentParser
import Foundation
import RiptidesAudit
import RiptidesExec
import RiptidesLaunch
import Glibc
import RiptidesPolicy
import RiptidesProfile

/// `riptides exec`: run a command under a profile's egress policy.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run COMMAND, and every process it starts, under a profile's egress policy.",
        discussion: """
            Every connect, sendto with an address, sendmsg and sendmmsg is trapped by the kernel \
            and decided against the profile before a packet leaves. Without --profile every \
            destination is denied. Exit status: COMMAND's own; 128+N when it was killed by signal \
            N; 125 when riptides failed; 126 when COMMAND is not executable; 127 when not found.
            """
    )

    @OptionGroup var profileOption: ProfileOption

    @Option(name: .long, help: ArgumentHelp("Override the profile's mode: enforce blocks, observe only logs.", valueName: "enforce|observe"))
    var mode: String?

    @Option(name: .long, help: ArgumentHelp("Where audit lines go: - (stdout, the default), stderr, fd:N, or a file (appended, created 0600).", valueName: "DEST"))
    var audit: String = "-"

    @Option(name: .long, help: ArgumentHelp("netns: the agent also gets a network namespace with only loopback (the default where the kernel allows it); filter: the seccomp filter alone.", valueName: "netns|filter"))
    var isolation: String?

    @Option(name: .long, help: ArgumentHelp("Run COMMAND as this user (riptides must run as root), e.g. on CI runners that run as root.", valueName: "NAME|UID[:GID]"))
    var user: String?

    @Flag(name: .long, help: "Do not print the summary line on stderr at exit.")
    var quiet = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("exec: no command: expected -- COMMAND [ARG...]") }
        if let isolation, Isolation(rawValue: isolation) == nil {
            throw ValidationError("--isolation \(isolation): expected netns or filter")
        }
        if let mode, ProfileMode(rawValue: mode) == nil {
            throw ValidationError("--mode \(mode): expected enforce or observe")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let policy: EgressPolicy
        var profilePath: String?
        var notices: [String] = []
        var workload: WorkloadSelector?
        var keptCapabilities: [String] = []
        var capabilityWarnings: [String] = []
        let located: String?
        do { located = try profileOption.locate() } catch {
            throw RiptidesFailure("\(error)", exitStatus: 125)
        }
        if let located {
            do {
                let loaded = try ProfileLoader.load(contentsOf: located)
                policy = EgressPolicy(loaded)
                workload = loaded.workload
                keptCapabilities = loaded.keptCapabilities
                capabilityWarnings = loaded.warnings.map(\.description)
            } catch {
                // One `riptides: FILE:LINE:COLUMN: message` line per problem, then the verdict.
                let problems = error.diagnostics.map { "\($0.description)\n" }.joined(separator: "riptides: ")
                let count = error.diagnostics.count == 1 ? "1 problem" : "\(error.diagnostics.count) problems"
                throw RiptidesFailure(problems + "riptides: \(located): invalid profile (\(count)), nothing was run", exitStatus: 125)
            }
            profilePath = located
        } else {
            policy = .denyAll(mode: .enforce)
            notices.append("no profile given: every destination is denied")
        }
        let mode = mode.flatMap(ProfileMode.init(rawValue:)) ?? policy.mode
        let destination: AuditSink.Destination
        do { destination = try AuditSink.Destination(parsing: audit) } catch {
            throw RiptidesFailure(error.description, exitStatus: 125)
        }
        var configuration = ExecConfiguration(
            command: command, policy: policy, profilePath: profilePath, mode: mode,
            audit: destination, quiet: quiet, environment: environment)
        configuration.notices = notices
        configuration.workload = workload
        configuration.keptCapabilities = keptCapabilities
        configuration.capabilityWarnings = capabilityWarnings
        configuration.isolation = isolation.flatMap(Isolation.init(rawValue:))
        if let user {
            do { configuration.user = try UserSpec.resolve(user) } catch {
                throw RiptidesFailure(error.description, exitStatus: 125)
            }
            guard geteuid() == 0 else { throw RiptidesFailure("--user \(user): only root can run a command as another user", exitStatus: 125) }
        }
        do {
            let status = try ExecSession.run(configuration)
            throw ExitCode(status.code)
        } catch let failure as ExecSession.Failure {
            throw RiptidesFailure(failure.description, exitStatus: failure.exitStatus)
        }
    }
}
