import Crypto
import Foundation
public import RiptidesProfile

/// Checks a profile's `workload:` selectors against what is about to run:
/// every selector given must hold, or nothing runs.
public enum WorkloadAttestation {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - executable: the path the command resolved to.
    ///   - arguments: argv, argv[0] included.
    ///   - uid, gid: the credentials the agent will run with.
    public static func verify(_ selector: WorkloadSelector, executable: String, arguments: [String],
                              uid: UInt32, gid: UInt32, profile: String) throws(Failure) {
        func fail(_ what: String) -> Failure {
            Failure(description: "\(profile): workload attestation failed: \(what); nothing was run")
        }
        let exe = canonical(executable)
        if let wanted = selector.exe, canonical(wanted) != exe {
            throw fail("the command is \(exe), the profile requires exe \(wanted)")
        }
        if let wanted = selector.exeSHA256 {
            let actual = try sha256(of: exe, fail)
            if actual != wanted.lowercased() { throw fail("\(exe) has SHA-256 \(actual), the profile requires \(wanted)") }
        }
        if selector.script != nil || selector.scriptSHA256 != nil {
            // The script an interpreter is given: its first argument that is
            // not an option.
            guard let script = arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) else {
                throw fail("the profile requires a script and the command names none")
            }
            let path = canonical(script)
            if let wanted = selector.script, canonical(wanted) != path {
                throw fail("the script is \(path), the profile requires \(wanted)")
            }
            if let wanted = selector.scriptSHA256 {
                let actual = try sha256(of: path, fail)
                if actual != wanted.lowercased() { throw fail("\(path) has SHA-256 \(actual), the profile requires \(wanted)") }
            }
        }
        if let wanted = selector.uid, wanted != uid { throw fail("the agent would run as uid \(uid), the profile requires uid \(wanted)") }
        if let wanted = selector.gid, wanted != gid { throw fail("the agent would run as gid \(gid), the profile requires gid \(wanted)") }
    }

    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    static func sha256(of path: String, _ fail: (String) -> Failure) throws(Failure) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw fail("reading \(path): \(error)") }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
