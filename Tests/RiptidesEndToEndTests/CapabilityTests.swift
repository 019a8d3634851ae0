import Foundation
import Glibc
import Testing

/// When riptides runs as root the agent keeps no capability, unless the
/// profile's `capabilities:` names one.
@Suite("exec: capabilities as root", .enabled(if: geteuid() == 0, "riptides drops capabilities only when it runs as root; run the tests as root"))
struct CapabilityTests {
    /// The agent's CapEff and CapBnd lines from /proc/self/status.
    static func capabilities(profile: String) throws -> (effective: UInt64, bounding: UInt64) {
        let result = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--audit", "/dev/null", "--",
                                           "/bin/grep", "-E", "^Cap(Eff|Bnd):", "/proc/self/status"])
        #expect(result.status == 0, "\(result.stderr)")
        var values: [String: UInt64] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2 { values[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        return (try #require(values["CapEff:"]), try #require(values["CapBnd:"]))
    }

    @Test("a root agent keeps no capability: effective and bounding sets are empty")
    func dropsAll() throws {
        let profile = try Harness.profile("caps-none", "identity: spiffe://test.example/agent/caps\n")
        let caps = try Self.capabilities(profile: profile)
        #expect(caps.effective == 0)
        #expect(caps.bounding == 0)
    }

    @Test("capabilities: [net_bind_service] keeps exactly that one")
    func keepsNamed() throws {
        let profile = try Harness.profile("caps-bind", """
            identity: spiffe://test.example/agent/caps
            capabilities: [net_bind_service]
            """)
        let caps = try Self.capabilities(profile: profile)
        #expect(caps.effective == 1 << 10)
        #expect(caps.bounding == 1 << 10)
    }

    @Test("keeping sys_ptrace runs the agent with it, and says on stderr that the agent can undo enforcement")
    func warnsWhenKeepingAFilterUndoingCapability() throws {
        let profile = try Harness.profile("caps-ptrace", """
            identity: spiffe://test.example/agent/caps
            capabilities: [sys_ptrace]
            """)
        let result = try Harness.riptides(["exec", "--profile", profile, "--quiet", "--audit", "/dev/null", "--", "/bin/true"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("riptides: \(profile):2:16: warning: capabilities: keeping sys_ptrace lets the agent undo riptides's enforcement"),
                "\(result.stderr)")
    }
}
