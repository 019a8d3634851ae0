import Foundation
import RiptidesProfile
import Testing

@Suite struct ProfileParsingTests {
    @Test func parsesTheContractExample() throws {
        let yaml = """
            identity: spiffe://acme.example/agent/research   # required
            mode: observe
            rules:
              - name: llm-access
                to: [api.openai.com, "*.anthropic.com"]
                ports: [443]
                protocol: tcp
              - name: mcp-internal
                to: [mcp-server.internal]
                ports: [8080]
              - name: local-tests
                to: [127.0.0.0/8, "::1"]
                ports: ["8000-8999", 9090]
              - name: no-cloud-metadata
                action: deny
                to: [169.254.169.254, "fd00:ec2::254", "unix:/run/metadata.sock", "::ffff:10.0.0.0/104"]
            workload:
              exe: /usr/bin/python3.11
              exe_sha256: 3F2A000000000000000000000000000000000000000000000000000000000000
              script: examples/agent.py
              uid: 1000
              gid: 0
            """
        let profile = try ProfileLoader.parse(yaml, path: "contract.yaml")
        #expect(profile.path == "contract.yaml")
        #expect(profile.identity.description == "spiffe://acme.example/agent/research")
        #expect(profile.identity.trustDomain == "acme.example")
        #expect(profile.mode == .observe)
        #expect(profile.rules.map(\.name) == ["llm-access", "mcp-internal", "local-tests", "no-cloud-metadata"])
        #expect(profile.rules[0].destinations.map(\.description) == ["api.openai.com", "*.anthropic.com"])
        #expect(profile.rules[0].ports == [PortRange(443, 443)!])
        #expect(profile.rules[0].transport == .tcp)
        #expect(profile.rules[0].action == .allow)
        #expect(profile.rules[0].location == SourceLocation(line: 4, column: 5))
        #expect(profile.rules[2].ports == [PortRange(8000, 8999)!, PortRange(9090, 9090)!])
        #expect(profile.rules[2].transport == .any)
        #expect(profile.rules[3].action == .deny)
        #expect(profile.rules[3].destinations.map(\.description)
            == ["169.254.169.254", "fd00:ec2::254", "unix:/run/metadata.sock", "10.0.0.0/8"])
        let workload = try #require(profile.workload)
        #expect(workload.exe == "/usr/bin/python3.11")
        #expect(workload.exeSHA256 == "3f2a" + String(repeating: "0", count: 60))
        #expect(workload.script == "examples/agent.py")
        #expect(workload.scriptSHA256 == nil)
        #expect(workload.uid == 1000)
        #expect(workload.gid == 0)
    }

    @Test func defaultsAndNormalisation() throws {
        let yaml = "identity: spiffe://a.example\nrules:\n  - name: x\n    to: [API.Example.COM., \"*.CDN.example.\"]\n"
        let profile = try ProfileLoader.parse(yaml, path: "p")
        #expect(profile.mode == .enforce)
        #expect(profile.workload == nil)
        #expect(profile.rules[0].ports == nil)
        #expect(profile.rules[0].destinations == [
            .host(try HostPattern(parsing: "api.example.com")), .host(try HostPattern(parsing: "*.cdn.example")),
        ])
    }

    @Test func noRulesIsAValidDenyAllProfile() throws {
        #expect(try ProfileLoader.parse("identity: spiffe://a.example/x\nrules: []\n", path: "p").rules.isEmpty)
        #expect(try ProfileLoader.parse("identity: spiffe://a.example/x\n", path: "p").rules.isEmpty)
    }

    /// The profiles shipped in profiles/ are valid, and each names the schema for editors.
    @Test func shippedProfilesAreValid() throws {
        let directory = Self.repositoryRoot + "/profiles"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(Set(files).isSuperset(of: ["research-agent.yaml", "coding-agent.yaml", "deny-all.yaml"]))
        for file in files {
            let path = directory + "/" + file
            #expect(throws: Never.self, "\(file)") { try ProfileLoader.load(contentsOf: path) }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=riptides-profile.schema.json"), "\(file)")
        }
    }

    /// The JSON Schema knows exactly the keys the parser knows.
    @Test func schemaMatchesTheParser() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.repositoryRoot + "/profiles/riptides-profile.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func keys(_ object: [String: Any]?) -> Set<String> {
            Set((object?["properties"] as? [String: Any] ?? [:]).keys)
        }
        let definitions = schema["$defs"] as? [String: Any]
        #expect(keys(schema) == Set(ProfileKeys.topLevel))
        #expect(keys(definitions?["rule"] as? [String: Any]) == Set(ProfileKeys.rule))
        #expect(keys(definitions?["workload"] as? [String: Any]) == Set(ProfileKeys.workload))
        #expect(schema["additionalProperties"] as? Bool == false)
    }

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }
}

/// `capabilities:` names what a root agent keeps.
@Suite struct CapabilityKeyTests {
    @Test("names with or without CAP_, any case, normalised and deduplicated")
    func parsesNames() throws {
        let profile = try ProfileLoader.parse("""
            identity: spiffe://acme.example/agent/web
            capabilities: [net_bind_service, CAP_NET_BIND_SERVICE, Cap_Chown]
            """, path: "caps.yaml")
        #expect(profile.keptCapabilities == ["cap_net_bind_service", "cap_chown"])
        #expect(profile.warnings.isEmpty)
    }

    @Test("keeping a capability that undoes the filter is valid, with a warning at its position")
    func warnsAboutFilterUndoingCapabilities() throws {
        let profile = try ProfileLoader.parse("""
            identity: spiffe://acme.example/agent/web
            capabilities:
              - net_bind_service
              - CAP_SYS_PTRACE
              - net_admin
              - sys_ptrace
            """, path: "caps.yaml")
        #expect(profile.keptCapabilities == ["cap_net_bind_service", "cap_sys_ptrace", "cap_net_admin"])
        #expect(profile.warnings.map(\.description) == [
            "caps.yaml:4:5: warning: capabilities: keeping sys_ptrace lets the agent undo riptides's enforcement: it can trace riptides itself and answer its own trapped calls",
            "caps.yaml:5:5: warning: capabilities: keeping net_admin lets the agent undo riptides's enforcement: it can change routes, firewall rules and interfaces of the network it is in",
        ])
    }

    @Test("an unknown name is an error with its line and column, and a hint")
    func unknownName() throws {
        #expect {
            _ = try ProfileLoader.parse("""
                identity: spiffe://acme.example/agent/web
                capabilities: [net_bind_servic]
                """, path: "caps.yaml")
        } throws: { error in
            "\(error)" == "caps.yaml:2:16: capabilities: 'net_bind_servic' is not a Linux capability; did you mean net_bind_service?"
        }
    }
}
