import Foundation
import Glibc
import RiptidesTestSupport
import Testing

/// The README's example: a Python agent, standard library only, whose LLM
/// call is allowed by a host rule and whose exfiltration is denied.
@Suite("examples/agent.py under a profile")
struct ExampleAgentTests {
    @Test("the LLM call (host rule: localhost) is allowed; HTTP and UDP exfiltration are denied and nothing arrives")
    func exampleAgent() throws {
        let received = Harness.scratch.appendingPathComponent("received-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: received, contents: nil)
        var environment = ProcessInfo.processInfo.environment
        environment["LLM_PORT"] = "0"
        environment["EXFIL_PORT"] = "0"
        let servers = try ChildProcess("/usr/bin/env", [
            "python3", Harness.packageRoot.appendingPathComponent("examples/standin_servers.py").path, received,
        ], environment: environment)
        defer { servers.signal(SIGKILL); servers.wait() }
        let ready = servers.firstLine()
        let ports = Dictionary(uniqueKeysWithValues: ready.split(separator: " ").compactMap { part -> (String, String)? in
            let kv = part.split(separator: "=")
            return kv.count == 2 ? (String(kv[0]), kv[1].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        })
        let llm = try #require(ports["llm"]), exfil = try #require(ports["exfil"])

        let profile = try Harness.profile("research", """
            identity: spiffe://demo.example/agent/research
            rules:
              - name: llm-access
                to: [localhost]
                ports: [\(llm)]
                protocol: tcp
            """)
        var agentEnvironment = ProcessInfo.processInfo.environment
        agentEnvironment["LLM_API_URL"] = "http://localhost:\(llm)/v1/complete"
        agentEnvironment["EXFIL_PORT"] = exfil
        let result = try Harness.riptides(
            ["exec", "--profile", profile, "--", "/usr/bin/env", "python3",
             Harness.packageRoot.appendingPathComponent("examples/agent.py").path],
            environment: agentEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("agent: LLM says: Revenue grew"))
        #expect(result.stdout.contains("exfiltration over HTTP blocked: [Errno 1] Operation not permitted"))
        #expect(result.stdout.contains("exfiltration over UDP blocked: [Errno 1] Operation not permitted"))
        let allow = try #require(result.decisions.first { $0["decision"] as? String == "allow" })
        #expect(allow["host"] as? String == "localhost")
        #expect(allow["rule"] as? String == "llm-access")
        usleep(200_000)
        #expect(try String(contentsOfFile: received, encoding: .utf8).isEmpty)
    }
}
