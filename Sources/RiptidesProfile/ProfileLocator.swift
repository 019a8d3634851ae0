import Foundation

/// Finds a profile file from what the user typed after `--profile`.
///
/// A PATH (it contains `/` or ends in `.yaml`/`.yml`) is used as is. A NAME is
/// looked up as `NAME.yaml` in each directory of `$RIPTIDES_PROFILE_PATH`
/// (colon-separated, empty entries skipped), then `./profiles`, then
/// `/etc/riptides/profiles`; the first that exists wins.
public struct ProfileLocator: Sendable {
    public static let environmentVariable = "RIPTIDES_PROFILE_PATH"
    public static let systemDirectory = "/etc/riptides/profiles"

    /// The directories searched for a NAME, in order.
    public let searchDirectories: [String]

    public init(environment: [String: String], currentDirectory: String) {
        var directories = (environment[Self.environmentVariable] ?? "")
            .split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        let local = currentDirectory.hasSuffix("/") ? currentDirectory + "profiles" : currentDirectory + "/profiles"
        directories.append(local)
        directories.append(Self.systemDirectory)
        self.searchDirectories = directories
    }

    /// True when `argument` names a file rather than a profile to look up.
    public static func isPath(_ argument: String) -> Bool {
        argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
    }

    /// The file for `nameOrPath`; throws ``ProfileLocatorError`` listing where it looked.
    public func locate(_ nameOrPath: String) throws -> String {
        if Self.isPath(nameOrPath) { return nameOrPath }
        guard !nameOrPath.isEmpty, nameOrPath != ".", nameOrPath != ".." else {
            throw ProfileLocatorError(name: nameOrPath, searched: [])
        }
        let candidates = searchDirectories.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + nameOrPath + ".yaml" }
        var isDirectory: ObjCBool = false
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return candidate }
        }
        throw ProfileLocatorError(name: nameOrPath, searched: candidates)
    }
}
