import Foundation
import Glibc
import RiptidesTestSupport
import Synchronization
import Testing

/// Runs the built `riptides` and the test agents, for every end-to-end test.
enum Harness {
    /// The package root, from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `riptides` built beside this test bundle (the test target depends
    /// on it, so `swift test` builds it first).
    static let riptides: String = {
        if let override = ProcessInfo.processInfo.environment["RIPTIDES_BIN"] { return override }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("riptides").path
    }()

    /// A scratch directory for this test process.
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("riptides-e2e-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    private static let compiled = Mutex<[String: String]>([:])

    /// Compiles `Tests/Agents/NAME.c` once per test process; returns the binary.
    static func agent(_ name: String) throws -> String {
        if let path = compiled.withLock({ $0[name] }) { return path }
        let source = packageRoot.appendingPathComponent("Tests/Agents/\(name).c").path
        let output = scratch.appendingPathComponent(name).path
        // Tests running in parallel may compile the same agent at once: each
        // writes a file of its own and renames it into place whole, so none
        // executes (or overwrites) a binary another is still writing.
        let temporary = "\(output).\(UUID().uuidString).tmp"
        let result = try run("/usr/bin/cc", ["-O1", "-Wall", "-pthread", "-o", temporary, source])
        guard result.status == 0 else {
            throw HarnessError("compiling \(name).c failed: \(result.stderr)")
        }
        guard rename(temporary, output) == 0 else { throw HarnessError("rename \(temporary): \(String(cString: strerror(errno)))") }
        compiled.withLock { $0[name] = output }
        return output
    }

    /// Writes a profile into the scratch directory.
    static func profile(_ name: String, _ yaml: String) throws -> String {
        let path = scratch.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }

        init(_ finished: ChildProcess.Finished) {
            self.init(status: finished.termination.status, stdout: finished.standardOutput, stderr: finished.standardError)
        }

        /// The agent's `NAME=VALUE` lines.
        var reports: [String: String] {
            var result: [String: String] = [:]
            for line in stdout.split(separator: "\n") where !line.hasPrefix("{") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
            }
            return result
        }

        /// The audit lines (JSON objects) in stdout.
        var audit: [[String: Any]] {
            stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        var decisions: [[String: Any]] { audit.filter { ($0["event"] as? String)?.hasPrefix("session.") == false } }
    }

    /// Runs a program to completion, collecting its output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    timeout: Double = 60) throws -> Result {
        let finished = try ChildProcess(executable, arguments, environment: environment).finish(timeout: timeout)
        return Result(finished)
    }

    /// The isolation tier the suite runs `exec` under: `RIPTIDES_TEST_ISOLATION`
    /// (netns or filter), or riptides's own default when unset. `.ci/run`
    /// runs the suite once per tier.
    static let isolation: String? = ProcessInfo.processInfo.environment["RIPTIDES_TEST_ISOLATION"]

    /// `riptides ARGS...`, with `--isolation` added to `exec` when the suite
    /// runs under a chosen tier.
    static func riptides(_ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60) throws -> Result {
        var arguments = arguments
        if let isolation, arguments.first == "exec", !arguments.contains("--isolation") {
            arguments.insert(contentsOf: ["--isolation", isolation], at: 1)
        }
        return try run(riptides, arguments, environment: environment, timeout: timeout)
    }

    /// `riptides exec --profile PROFILE -- netprobe ARGS...`.
    static func probe(profile: String?, _ arguments: [String], extra: [String] = []) throws -> Result {
        var args = ["exec"]
        if let profile { args += ["--profile", profile] }
        args += extra + ["--", try agent("netprobe")] + arguments
        return try riptides(args)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
