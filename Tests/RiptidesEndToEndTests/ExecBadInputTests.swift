import Foundation
import Glibc
import Testing

/// Bad input: one clear line, the contract's exit status, nothing run.
@Suite("exec: bad input")
struct ExecBadInputTests {
    /// A marker file the command would create if it ran.
    static func marker() -> String { Harness.scratch.appendingPathComponent("ran-\(UUID().uuidString)").path }

    @Test("an invalid profile: exit 125, diagnostics with line:column, nothing run")
    func invalidProfile() throws {
        let profile = try Harness.profile("bad", """
            identity: spiffe://test.example/agent
            rules:
              - name: oops
                to: [999.1.1.1]
            """)
        let marker = Self.marker()
        let result = try Harness.riptides(["exec", "--profile", profile, "--", "/usr/bin/touch", marker])
        #expect(result.status == 125)
        #expect(result.stderr == """
            riptides: \(profile):4:10: rule 'oops': '999.1.1.1' is not a valid IPv4 address; expected a.b.c.d, each part 0-255 without leading zeros
            riptides: \(profile): invalid profile (1 problem), nothing was run

            """)
        #expect(access(marker, F_OK) != 0)
    }

    @Test("a profile name that is nowhere: exit 125, nothing run")
    func missingProfile() throws {
        let marker = Self.marker()
        let result = try Harness.riptides(["exec", "--profile", "no-such-profile-anywhere", "--", "/usr/bin/touch", marker])
        #expect(result.status == 125)
        #expect(result.stderr.hasPrefix("riptides: "))
        #expect(result.stderr.contains("no-such-profile-anywhere"))
        #expect(access(marker, F_OK) != 0)
    }

    @Test("a command that does not exist: exit 127, one line")
    func notFound() throws {
        let result = try Harness.riptides(["exec", "--", "no-such-command-riptides"])
        #expect(result.status == 127)
        #expect(result.stderr == "riptides: no-such-command-riptides: command not found\n")
    }

    @Test("a command that is not executable: exit 126, one line")
    func notExecutable() throws {
        let path = Harness.scratch.appendingPathComponent("not-executable").path
        try "data".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        let result = try Harness.riptides(["exec", "--", path])
        #expect(result.status == 126)
        #expect(result.stderr.hasPrefix("riptides: \(path): cannot execute"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test("-- missing before the command: exit 125, nothing run")
    func missingTerminator() throws {
        let marker = Self.marker()
        let result = try Harness.riptides(["exec", "/usr/bin/touch", marker])
        #expect(result.status == 125)
        #expect(result.stderr.contains("expected -- before the command"))
        #expect(access(marker, F_OK) != 0)
    }

    @Test("a bad --mode or --audit: exit 125, nothing run")
    func badOptions() throws {
        let marker = Self.marker()
        let mode = try Harness.riptides(["exec", "--mode", "loud", "--", "/usr/bin/touch", marker])
        #expect(mode.status == 125)
        #expect(mode.stderr.contains("--mode loud"))
        let audit = try Harness.riptides(["exec", "--audit", "fd:977", "--", "/usr/bin/touch", marker])
        #expect(audit.status == 125)
        #expect(audit.stderr.contains("fd:977"))
        #expect(access(marker, F_OK) != 0)
    }
}
