import ArgumentParser
import RiptidesProfile

/// `riptides check PROFILE...`: validate profiles.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate profiles.",
        discussion: """
            Prints 'FILE: ok' on standard output for each valid profile and every problem as \
            'FILE:LINE:COLUMN: message' on standard error. A valid profile that keeps a capability \
            letting the agent undo the filter gets 'FILE:LINE:COLUMN: warning: message' on standard \
            error, and still counts as valid. Exits 0 when all are valid, 1 otherwise.
            """)

    @Argument(help: ArgumentHelp("Profile files to validate.", valueName: "PROFILE"))
    var profiles: [String]

    func validate() throws {
        guard !profiles.isEmpty else { throw ValidationError("Give at least one PROFILE to check.") }
    }

    func run() throws {
        var allValid = true
        for path in profiles {
            do throws(ProfileError) {
                let profile = try ProfileLoader.load(contentsOf: path)
                StandardStreams.writeOut("\(path): ok\n")
                for warning in profile.warnings { StandardStreams.writeError(warning.description + "\n") }
            } catch {
                allValid = false
                StandardStreams.writeError(error.description + "\n")
            }
        }
        if !allValid { throw ExitCode(1) }
    }
}
