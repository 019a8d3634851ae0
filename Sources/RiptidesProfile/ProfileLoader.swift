import Foundation

/// Reads and validates profiles.
public enum ProfileLoader {
    /// Reads the file at `path` and parses it. A file that cannot be read
    /// gives one whole-file diagnostic, `FILE: cannot read: reason`.
    public static func load(contentsOf path: String) throws(ProfileError) -> Profile {
        let text: String
        switch read(path) {
        case .success(let contents): text = contents
        case .failure(let failure):
            throw ProfileError(diagnostics: [Diagnostic(file: path, line: 0, column: 0, message: "cannot read: \(failure.reason)")])
        }
        return try parse(text, path: path)
    }

    /// Parses profile text; `path` names it in diagnostics. Throws every problem found, in file order.
    public static func parse(_ yaml: String, path: String) throws(ProfileError) -> Profile {
        var parser = ProfileParser(path: path)
        let profile = parser.parse(yaml)
        guard let profile, parser.diagnostics.isEmpty else {
            let sorted = parser.diagnostics.enumerated()
                .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
                .map(\.element)
            throw ProfileError(diagnostics: sorted)
        }
        return profile
    }

    private struct ReadFailure: Error {
        var reason: String
    }

    private static func read(_ path: String) -> Result<String, ReadFailure> {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(ReadFailure(reason: "no such file"))
        }
        if isDirectory.boolValue { return .failure(ReadFailure(reason: "is a directory")) }
        guard files.isReadableFile(atPath: path) else { return .failure(ReadFailure(reason: "permission denied")) }
        guard let data = files.contents(atPath: path) else { return .failure(ReadFailure(reason: "read failed")) }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ReadFailure(reason: "not UTF-8 text"))
        }
        return .success(text)
    }
}
