import Foundation
import Glibc
import Testing

/// The profile's `workload:` section: every selector given must hold, or
/// riptides refuses to run (exit 125, nothing run).
@Suite("exec: workload attestation")
struct WorkloadAttestationTests {
    static func sha256(_ path: String) throws -> String {
        let result = try Harness.run("/usr/bin/sha256sum", [path])
        return String(result.stdout.prefix(64))
    }

    static func profile(_ workload: String) throws -> String {
        try Harness.profile("workload", """
            identity: spiffe://test.example/agent/attested
            workload:
            \(workload)
            """)
    }

    @Test("matching exe, exe_sha256, uid and gid: the command runs")
    func matching() throws {
        let probe = try Harness.agent("netprobe")
        let profile = try Self.profile("""
              exe: \(probe)
              exe_sha256: \(try Self.sha256(probe))
              uid: \(getuid())
              gid: \(getgid())
            """)
        let result = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--", probe, "exit", "4"])
        #expect(result.status == 4, "\(result.stderr)")
    }

    @Test("a different executable, hash or uid: exit 125 with what differed, nothing run",
          arguments: ["exe: /usr/bin/true", "exe_sha256: \(String(repeating: "ab", count: 32))", "uid: 4242"])
    func mismatch(selector: String) throws {
        let marker = Harness.scratch.appendingPathComponent("ran-\(UUID().uuidString)").path
        let profile = try Self.profile("  " + selector)
        let result = try Harness.riptides(["exec", "--profile", profile, "--", "/usr/bin/touch", marker])
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("riptides: \(profile): workload attestation failed: "))
        #expect(result.stderr.contains("nothing was run"))
        #expect(access(marker, F_OK) != 0)
    }

    @Test("script and script_sha256 pin what an interpreter is given")
    func script() throws {
        let script = Harness.scratch.appendingPathComponent("agent-\(UUID().uuidString).py").path
        try "import sys; sys.exit(5)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let profile = try Self.profile("""
              script: \(script)
              script_sha256: \(try Self.sha256(script))
            """)
        let ok = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--", "/usr/bin/env", "python3", script])
        // env's first non-option argument is python3, not the script: refused.
        #expect(ok.status == 125)
        let python = try Harness.run("/usr/bin/env", ["sh", "-c", "command -v python3"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let direct = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--", python, "-B", script])
        #expect(direct.status == 5, "\(direct.stderr)")
        try "import sys; sys.exit(6)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let changed = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--", python, "-B", script])
        #expect(changed.status == 125)
        #expect(changed.stderr.contains("SHA-256"))
    }
}
