import Glibc

/// Why a command cannot be run; maps to the exit codes of `env`.
public enum CommandLookupError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case notExecutable(String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let name): "\(name): command not found"
        case .notExecutable(let path, let reason): "\(path): cannot execute: \(reason)"
        }
    }

    /// 127 when not found, 126 when found but not executable (as `env` does).
    public var exitStatus: Int32 {
        switch self {
        case .notFound: 127
        case .notExecutable: 126
        }
    }
}

/// Resolves a command name to a path as `execvp` would, before the fork:
/// the child may not search `PATH` itself (no allocation there).
public struct ExecutableResolver: Sendable {
    public var searchPath: String

    public init(environment: [String: String]) {
        searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    public func resolve(_ command: String) throws(CommandLookupError) -> String {
        if command.isEmpty { throw .notFound(command) }
        if command.contains("/") {
            try Self.checkExecutable(command)
            return command
        }
        var firstDenied: String?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = directory.isEmpty ? "." : String(directory)
            let candidate = dir.hasSuffix("/") ? dir + command : dir + "/" + command
            var info = stat()
            guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            if firstDenied == nil { firstDenied = candidate }
        }
        if let denied = firstDenied { throw .notExecutable(denied, reason: "Permission denied") }
        throw .notFound(command)
    }

    static func checkExecutable(_ path: String) throws(CommandLookupError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .notFound(path) }
            throw .notExecutable(path, reason: String(cString: strerror(e)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .notExecutable(path, reason: "Is a directory") }
        if access(path, X_OK) != 0 { throw .notExecutable(path, reason: String(cString: strerror(errno))) }
    }
}
