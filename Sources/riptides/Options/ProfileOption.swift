import ArgumentParser
import Foundation
import RiptidesProfile

/// `--profile PATH|NAME`, shared by the commands that run or explain a profile.
struct ProfileOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "A profile file, or a NAME looked up as NAME.yaml in $RIPTIDES_PROFILE_PATH, ./profiles, /etc/riptides/profiles.",
            valueName: "PATH|NAME"))
    var profile: String?

    init() {}

    /// The file `--profile` designates, or nil when the option was not given.
    func locate() throws -> String? {
        guard let profile else { return nil }
        let locator = ProfileLocator(
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
        return try locator.locate(profile)
    }
}
