import RiptidesPolicy
import RiptidesProfile
import Testing

/// Evaluation, case by case, against one profile that exercises every matching rule.
@Suite struct EvaluationTests {
    static let profile = """
        identity: spiffe://acme.example/agent/test
        rules:
          - name: llm-access
            to: [api.openai.com, "*.anthropic.com"]
            ports: [443]
            protocol: tcp
          - name: broad-web
            to: [api.openai.com, 104.16.0.0/12]
          - name: local-tests
            to: [127.0.0.0/8, "::1"]
            ports: ["8000-8999"]
          - name: dns
            to: [10.0.0.53]
            ports: [53]
            protocol: udp
          - name: office
            to: [10.0.0.0/8, "2001:db8::/32"]
          - name: no-cloud-metadata
            action: deny
            to: [169.254.169.254, "fd00:ec2::254", evil.example]
          - name: no-smtp
            action: deny
            to: [10.0.0.0/8]
            ports: [25]
          - name: socket
            to: ["unix:/run/agent.sock"]
          - name: no-docker
            action: deny
            to: ["unix:/run/docker.sock"]
        """

    static let policy = EgressPolicy(try! ProfileLoader.parse(profile, path: "test.yaml"))

    /// An attempt: address, port, protocol, names known for the address; and the expected verdict and rule.
    struct Attempt: CustomTestStringConvertible, Sendable {
        var label: String
        var address: String
        var port: UInt16
        var transport: TransportProtocol = .tcp
        var hosts: [String] = []
        var verdict: Verdict
        var rule: String?
        var testDescription: String { label }
    }

    static let attempts: [Attempt] = [
        Attempt(label: "nothing matches", address: "203.0.113.9", port: 443, verdict: .deny, rule: nil),
        Attempt(label: "first allow names the rule", address: "198.51.100.1", port: 443, hosts: ["api.openai.com"], verdict: .allow, rule: "llm-access"),
        Attempt(label: "later allow when the first does not fit the port", address: "198.51.100.1", port: 80, hosts: ["api.openai.com"],
                verdict: .allow, rule: "broad-web"),
        Attempt(label: "later allow when the first does not fit the protocol", address: "198.51.100.1", port: 443, transport: .udp,
                hosts: ["api.openai.com"], verdict: .allow, rule: "broad-web"),
        Attempt(label: "prefix rule", address: "104.18.7.192", port: 443, verdict: .allow, rule: "broad-web"),
        Attempt(label: "host rule before prefix rule", address: "104.18.7.192", port: 443, hosts: ["api.openai.com"], verdict: .allow, rule: "llm-access"),
        Attempt(label: "host names are case-insensitive with trailing dot", address: "198.51.100.1", port: 443, hosts: ["API.OpenAI.COM."],
                verdict: .allow, rule: "llm-access"),
        Attempt(label: "wildcard matches below the apex", address: "198.51.100.2", port: 443, hosts: ["api.anthropic.com"], verdict: .allow, rule: "llm-access"),
        Attempt(label: "wildcard matches deeper names", address: "198.51.100.2", port: 443, hosts: ["a.b.anthropic.com"], verdict: .allow, rule: "llm-access"),
        Attempt(label: "wildcard does not match the apex", address: "198.51.100.2", port: 443, hosts: ["anthropic.com"], verdict: .deny, rule: nil),
        Attempt(label: "wildcard does not match a longer label", address: "198.51.100.2", port: 443, hosts: ["evilanthropic.com"], verdict: .deny, rule: nil),
        Attempt(label: "unlisted name", address: "198.51.100.2", port: 443, hosts: ["example.com"], verdict: .deny, rule: nil),
        Attempt(label: "any of several names", address: "198.51.100.2", port: 443, hosts: ["cdn.example", "api.openai.com"], verdict: .allow, rule: "llm-access"),
        Attempt(label: "deny beats an earlier allow (address)", address: "10.1.2.3", port: 25, verdict: .deny, rule: "no-smtp"),
        Attempt(label: "deny by port leaves other ports", address: "10.1.2.3", port: 587, verdict: .allow, rule: "office"),
        Attempt(label: "deny beats allow (host)", address: "104.18.7.192", port: 443, hosts: ["evil.example"], verdict: .deny, rule: "no-cloud-metadata"),
        Attempt(label: "deny beats allow on any port", address: "169.254.169.254", port: 80, verdict: .deny, rule: "no-cloud-metadata"),
        Attempt(label: "port range low end", address: "127.0.0.1", port: 8000, verdict: .allow, rule: "local-tests"),
        Attempt(label: "port range high end", address: "127.0.0.1", port: 8999, verdict: .allow, rule: "local-tests"),
        Attempt(label: "below the port range", address: "127.0.0.1", port: 7999, verdict: .deny, rule: nil),
        Attempt(label: "above the port range", address: "127.0.0.1", port: 9000, verdict: .deny, rule: nil),
        Attempt(label: "protocol any covers udp", address: "127.0.0.1", port: 8080, transport: .udp, verdict: .allow, rule: "local-tests"),
        Attempt(label: "udp-only rule allows udp", address: "10.0.0.53", port: 53, transport: .udp, verdict: .allow, rule: "dns"),
        Attempt(label: "udp-only rule skips tcp", address: "10.0.0.53", port: 53, transport: .tcp, verdict: .allow, rule: "office"),
        Attempt(label: "port 0 matches only any-port rules", address: "127.0.0.1", port: 0, verdict: .deny, rule: nil),
        Attempt(label: "port 0 with an any-port rule", address: "10.9.9.9", port: 0, verdict: .allow, rule: "office"),
        Attempt(label: "loopback is not special", address: "127.0.0.1", port: 22, verdict: .deny, rule: nil),
        Attempt(label: "0.0.0.0 is loopback", address: "0.0.0.0", port: 8080, verdict: .allow, rule: "local-tests"),
        Attempt(label: ":: is loopback", address: "::", port: 8080, verdict: .allow, rule: "local-tests"),
        Attempt(label: "::1 by rule", address: "0:0:0:0:0:0:0:1", port: 8080, verdict: .allow, rule: "local-tests"),
        Attempt(label: "IPv4-mapped matched as IPv4", address: "::ffff:10.1.2.3", port: 25, verdict: .deny, rule: "no-smtp"),
        Attempt(label: "IPv4-mapped hex form", address: "::ffff:a01:203", port: 443, verdict: .allow, rule: "office"),
        Attempt(label: "IPv4-mapped unspecified is loopback", address: "::ffff:0.0.0.0", port: 8080, verdict: .allow, rule: "local-tests"),
        Attempt(label: "IPv6 prefix", address: "2001:DB8:0:0::42", port: 443, verdict: .allow, rule: "office"),
        Attempt(label: "IPv6 deny", address: "fd00:ec2:0::254", port: 80, verdict: .deny, rule: "no-cloud-metadata"),
        Attempt(label: "IPv6 outside", address: "2001:db9::1", port: 443, verdict: .deny, rule: nil),
        Attempt(label: "IPv4 rule does not match the IPv6 family", address: "::a01:203", port: 443, verdict: .deny, rule: nil),
    ]

    @Test(arguments: attempts)
    func decides(_ attempt: Attempt) throws {
        let address = try #require(IPAddress(attempt.address))
        let decision = Self.policy.evaluate(address: address, port: attempt.port, protocol: attempt.transport, hosts: attempt.hosts)
        #expect(decision.verdict == attempt.verdict)
        #expect(decision.rule == attempt.rule)
        // The general path agrees with the hot path when port and protocol are given.
        let general = Self.policy.evaluate(address: address, port: Optional(attempt.port), protocol: Optional(attempt.transport), hosts: attempt.hosts)
        #expect(general == decision)
    }

    static let unixPaths: [(String, Verdict, String?)] = [
        ("/run/agent.sock", .allow, "socket"), ("/run/docker.sock", .deny, "no-docker"),
        ("/run/agent.sock/", .deny, nil), ("/run/other.sock", .deny, nil),
    ]

    @Test(arguments: unixPaths)
    func unixPathsMatchExactly(_ path: String, _ verdict: Verdict, _ rule: String?) {
        let decision = Self.policy.evaluate(unixPath: path)
        #expect(decision.verdict == verdict)
        #expect(decision.rule == rule)
    }

    static let names: [(String, UInt16?, TransportProtocol?, Verdict, String?)] = [
        ("api.openai.com", 443, .tcp, .allow, "llm-access"),
        ("api.openai.com", 80, .tcp, .allow, "broad-web"),
        ("api.openai.com", nil, nil, .allow, "llm-access"),
        ("x.anthropic.com", nil, nil, .allow, "llm-access"),
        ("x.anthropic.com", 80, nil, .deny, nil),
        ("x.anthropic.com", nil, .udp, .deny, nil),
        ("anthropic.com", nil, nil, .deny, nil),
        ("evil.example", nil, nil, .deny, "no-cloud-metadata"),
        ("evil.example", 443, .tcp, .deny, "no-cloud-metadata"),
        ("unknown.example", nil, nil, .deny, nil),
    ]

    @Test(arguments: names)
    func hostNamesOnTheirOwn(_ host: String, _ port: UInt16?, _ transport: TransportProtocol?, _ verdict: Verdict, _ rule: String?) {
        let decision = Self.policy.evaluate(host: host, port: port, protocol: transport)
        #expect(decision.verdict == verdict)
        #expect(decision.rule == rule)
    }

    @Test func withoutAPortAnAllowBlockedByDenyIsADeny() throws {
        let policy = EgressPolicy(try ProfileLoader.parse("""
            identity: spiffe://a.example/x
            rules:
              - name: web
                to: [site.example]
                ports: [443]
              - name: block
                action: deny
                to: [site.example]
                ports: ["1-1000"]
              - name: no-smtp
                action: deny
                to: [other.example]
                ports: [25]
            """, path: "p"))
        #expect(policy.evaluate(host: "site.example", port: nil, protocol: nil).rule == "block")
        #expect(policy.evaluate(host: "site.example", port: nil, protocol: nil).verdict == .deny)
        // A partial deny with nothing allowed is not the deny rule's doing.
        #expect(policy.evaluate(host: "other.example", port: nil, protocol: nil) == Decision(verdict: .deny, rule: nil, reason: "no rule matched"))
    }

    static let reasons: [(String, UInt16, [String], String)] = [
        ("198.51.100.1", 443, ["api.openai.com"], "matched allow rule llm-access (address 198.51.100.1 of host api.openai.com, port 443/tcp)"),
        ("198.51.100.1", 443, ["x.anthropic.com"], "matched allow rule llm-access (address 198.51.100.1 of host x.anthropic.com by *.anthropic.com, port 443/tcp)"),
        ("104.18.7.192", 80, [], "matched allow rule broad-web (address 104.18.7.192 in 104.16.0.0/12, port 80 (any port))"),
        ("169.254.169.254", 80, [], "matched deny rule no-cloud-metadata (address 169.254.169.254, port 80 (any port))"),
        ("0.0.0.0", 8080, [], "matched allow rule local-tests (address 127.0.0.1 in 127.0.0.0/8, port 8080, 0.0.0.0 is matched as 127.0.0.1)"),
        ("::", 22, [], "no rule matched (:: is matched as ::1)"),
        ("203.0.113.9", 443, [], "no rule matched"),
    ]

    @Test(arguments: reasons)
    func explainsWhy(_ address: String, _ port: UInt16, _ hosts: [String], _ reason: String) throws {
        let decision = Self.policy.evaluate(address: try #require(IPAddress(address)), port: port, protocol: .tcp, hosts: hosts)
        #expect(decision.reason == reason)
    }

    @Test func resolvableNamesAndIdentity() {
        #expect(Self.policy.resolvableHostNames == ["api.openai.com", "evil.example"])
        #expect(Self.policy.identity == "spiffe://acme.example/agent/test")
        #expect(Self.policy.mode == .enforce)
    }

    @Test func noProfileDeniesEverything() throws {
        let policy = EgressPolicy.denyAll(mode: .observe)
        #expect(policy.identity == nil)
        #expect(policy.mode == .observe)
        #expect(policy.resolvableHostNames.isEmpty)
        for address in ["127.0.0.1", "::1", "8.8.8.8"] {
            let decision = policy.evaluate(address: try #require(IPAddress(address)), port: 53, protocol: .udp, hosts: ["dns.google"])
            #expect(decision == Decision(verdict: .deny, rule: nil, reason: "no rule matched"))
        }
        #expect(policy.evaluate(unixPath: "/run/x").verdict == .deny)
    }
}
