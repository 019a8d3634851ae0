import RiptidesPolicy
import RiptidesProfile
import Testing

@Suite struct ExplainTests {
    static let destinations: [(String, ExplainDestination?)] = [
        ("api.openai.com", .host("api.openai.com", port: nil)),
        ("API.OpenAI.com.:443", .host("api.openai.com", port: 443)),
        ("10.0.0.1", .address(IPAddress("10.0.0.1")!, port: nil)),
        ("10.0.0.1:8080", .address(IPAddress("10.0.0.1")!, port: 8080)),
        ("[2001:db8::1]:443", .address(IPAddress("2001:db8::1")!, port: 443)),
        ("[::1]", .address(IPAddress("::1")!, port: nil)),
        ("2001:db8::1", .address(IPAddress("2001:db8::1")!, port: nil)),
        ("unix:/run/x.sock", .unixPath("/run/x.sock")),
        ("unix:x.sock", nil), ("host:99999", nil), ("host:", nil), ("[10.0.0.1]:80", nil), ("[::1", nil),
        ("*.example.com", nil), ("bad_host", nil), ("010.0.0.1", nil), (":443", nil), ("a:b:c", nil),
    ]

    @Test(arguments: destinations)
    func parsesDestinations(_ text: String, _ expected: ExplainDestination?) {
        #expect((try? ExplainDestination(parsing: text)) == expected)
    }

    static let policy = EgressPolicy(try! ProfileLoader.parse("""
        identity: spiffe://acme.example/agent/x
        rules:
          - name: llm-access
            to: [api.openai.com]
            ports: [443]
            protocol: tcp
          - name: no-metadata
            action: deny
            to: [169.254.169.254]
          - name: sock
            to: ["unix:/run/x.sock"]
        """, path: "p"))

    @Test func hostWithEveryAddressAllowed() throws {
        let explanation = Self.policy.explain(
            try ExplainDestination(parsing: "api.openai.com:443"), protocol: .tcp,
            addresses: [IPAddress("104.18.7.192")!, IPAddress("2606:4700::6812:7c0")!])
        #expect(explanation.rendered == """
            api.openai.com:443/tcp
              name api.openai.com: allow (rule llm-access: matched host api.openai.com, port 443/tcp)
              address 104.18.7.192: allow (rule llm-access: matched address 104.18.7.192 of host api.openai.com, port 443/tcp)
              address 2606:4700::6812:7c0: allow (rule llm-access: matched address 2606:4700::6812:7c0 of host api.openai.com, port 443/tcp)
            decision: allow (rule llm-access)

            """)
        #expect(explanation.decision.verdict == .allow)
    }

    @Test func oneDeniedAddressDeniesTheHost() throws {
        let explanation = Self.policy.explain(
            try ExplainDestination(parsing: "api.openai.com:443"), protocol: .tcp,
            addresses: [IPAddress("104.18.7.192")!, IPAddress("169.254.169.254")!])
        #expect(explanation.decision.verdict == .deny)
        #expect(explanation.decision.rule == "no-metadata")
        #expect(explanation.rendered.hasSuffix("decision: deny (rule no-metadata)\n"))
    }

    @Test func unresolvedNameDecidesOnTheName() throws {
        let explanation = Self.policy.explain(
            try ExplainDestination(parsing: "api.openai.com:80"), protocol: .tcp, addresses: [], resolutionFailure: "Name or service not known")
        #expect(explanation.rendered == """
            api.openai.com:80/tcp
              name api.openai.com: deny (no rule matched)
              note: api.openai.com did not resolve (Name or service not known); the decision is the name's alone
              note: rule llm-access names api.openai.com, but only for port 443/tcp
            decision: deny (no rule matched)

            """)
    }

    /// A connection goes to an address: when address rules allow every
    /// address, the name's own denial does not decide (exec would connect).
    @Test func addressRulesDecideForAHostName() throws {
        let policy = EgressPolicy(try ProfileLoader.parse("""
            identity: spiffe://acme.example/agent/x
            rules:
              - name: office
                to: [192.0.2.0/24]
                ports: [8080]
              - name: intranet-udp
                to: [intranet.example]
                protocol: udp
            """, path: "p"))
        let named = policy.explain(try ExplainDestination(parsing: "intranet.example:8080"), protocol: .tcp,
                                   addresses: [IPAddress("192.0.2.7")!])
        #expect(named.rendered == """
            intranet.example:8080/tcp
              name intranet.example: deny (no rule matched)
              address 192.0.2.7: allow (rule office: matched address 192.0.2.7 in 192.0.2.0/24, port 8080)
              note: the name alone is not allowed for this port and protocol; address rules allow its addresses
            decision: allow (rule office)

            """)
        let unnamed = policy.explain(try ExplainDestination(parsing: "printer.example:8080"), protocol: .tcp,
                                     addresses: [IPAddress("192.0.2.9")!])
        #expect(unnamed.decision.verdict == .allow)
        #expect(unnamed.notes == ["no host rule allows printer.example: in the netns tier riptides refuses its DNS queries, "
                                  + "so the agent reaches these addresses only by resolving it another way (such as /etc/hosts)"])
        let unresolved = policy.explain(try ExplainDestination(parsing: "intranet.example:8080"), protocol: .tcp,
                                        resolutionFailure: "Name or service not known")
        #expect(unresolved.decision.verdict == .deny)
    }

    /// exec matches an address against the rules of the profile's host names
    /// that resolve to it; explain does the same with `hostsOfAddress`.
    @Test func anAddressOfAProfileHostName() throws {
        let explanation = Self.policy.explain(try ExplainDestination(parsing: "104.18.7.192:443"), protocol: .tcp,
                                              hostsOfAddress: ["api.openai.com"])
        #expect(explanation.rendered == """
            104.18.7.192:443/tcp
              address 104.18.7.192: allow (rule llm-access: matched address 104.18.7.192 of host api.openai.com, port 443/tcp)
              note: 104.18.7.192 is an address of api.openai.com (the profile's host names, resolved now)
            decision: allow (rule llm-access)

            """)
        let alone = Self.policy.explain(try ExplainDestination(parsing: "104.18.7.192:443"), protocol: .tcp)
        #expect(alone.decision.verdict == .deny)
    }

    @Test func addressesAndUnixPaths() throws {
        let address = Self.policy.explain(try ExplainDestination(parsing: "[::ffff:169.254.169.254]:80"), protocol: .udp)
        #expect(address.rendered == """
            [::ffff:169.254.169.254]:80/udp
              address ::ffff:169.254.169.254: deny (rule no-metadata: matched address 169.254.169.254, port 80 (any port), ::ffff:169.254.169.254 is matched as 169.254.169.254)
            decision: deny (rule no-metadata)

            """)
        let unix = Self.policy.explain(try ExplainDestination(parsing: "unix:/run/x.sock"), protocol: .tcp)
        #expect(unix.rendered == "unix:/run/x.sock\n  unix path /run/x.sock: allow (rule sock: matched unix path /run/x.sock)\ndecision: allow (rule sock)\n")
    }
}
