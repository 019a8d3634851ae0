import Foundation
import Glibc
import Testing

/// What a program sees of the network namespace the netns tier gives it.
@Suite("exec: the agent's network namespace", .enabled(if: geteuid() == 0, "forcing the netns tier needs root on machines without unprivileged user namespaces; run the tests as root"))
struct NamespaceTests {
    /// getaddrinfo's `AI_ADDRCONFIG` goes by the address families the
    /// namespace shows: with only loopback it would refuse every IPv4 or
    /// IPv6 lookup that asks for one family. The namespace shows what the
    /// host shows, whatever the nameservers (here one in 127/8, which adds
    /// no address of its own).
    @Test("getaddrinfo with AI_ADDRCONFIG answers inside as it does outside")
    func addressConfiguration() throws {
        let script = Harness.packageRoot.appendingPathComponent("Tests/Agents/addrconfig.py").path
        let outside = try Harness.run("/usr/bin/env", ["python3", script])
        #expect(outside.status == 0, "\(outside.stderr)")
        let resolvConf = Harness.scratch.appendingPathComponent("resolv-\(UUID().uuidString.prefix(8)).conf").path
        try "nameserver 127.0.0.53\n".write(toFile: resolvConf, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["RIPTIDES_RESOLV_CONF"] = resolvConf
        let inside = try Harness.riptides(["exec", "--isolation", "netns", "--quiet", "--audit", "/dev/null", "--",
                                           "/usr/bin/env", "python3", script], environment: environment)
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(inside.reports.count == 6, "\(inside.stdout)")
        #expect(inside.reports == outside.reports)
    }
}
