import Foundation
import RiptidesTestSupport
import Testing

/// Runs the built `riptides` binary, as scripts and CI use it.
@Suite struct CommandTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// `swift test` builds `riptides` (this target depends on it) next to the test bundle.
    static var binary: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDirectory, bundleDirectory.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("riptides").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("riptides").path
    }

    static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws -> Run {
        let finished = try ChildProcess(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                        directory: directory ?? repositoryRoot).finish()
        return Run(status: finished.termination.status, standardOutput: finished.standardOutput,
                   standardError: finished.standardError)
    }

    static func temporaryProfile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "riptides-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "\(Self.binary)")
    }

    @Test func checkValidProfiles() throws {
        let run = try Self.run(["check", "profiles/research-agent.yaml", "profiles/deny-all.yaml"])
        #expect(run.status == 0)
        #expect(run.standardOutput == "profiles/research-agent.yaml: ok\nprofiles/deny-all.yaml: ok\n")
        #expect(run.standardError.isEmpty)
    }

    @Test func checkReportsEveryProblemAndFails() throws {
        let bad = try Self.temporaryProfile("identity: spiffe://a.example/x\nrules:\n  - name: a\n    to: [10.0.0.1/8]\n    prot: tcp\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let run = try Self.run(["check", "profiles/deny-all.yaml", bad, "/nonexistent.yaml"])
        #expect(run.status == 1)
        #expect(run.standardOutput == "profiles/deny-all.yaml: ok\n")
        #expect(run.standardError == """
            \(bad):4:10: rule 'a': '10.0.0.1/8' has bits set after the first 8; did you mean 10.0.0.0/8?
            \(bad):5:5: rule 'a': unknown key 'prot'; did you mean 'protocol'? (expected one of: name, to, ports, protocol, action)
            /nonexistent.yaml: cannot read: no such file

            """)
    }

    @Test("check passes a profile keeping sys_admin, and warns on stderr where it is kept")
    func checkWarnsAboutFilterUndoingCapabilities() throws {
        let profile = try Self.temporaryProfile("identity: spiffe://a.example/x\ncapabilities: [net_bind_service, sys_admin]\n")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let run = try Self.run(["check", profile])
        #expect(run.status == 0)
        #expect(run.standardOutput == "\(profile): ok\n")
        #expect(run.standardError == "\(profile):2:34: warning: capabilities: keeping sys_admin lets the agent undo riptides's enforcement: it can mount file systems, enter other namespaces and load BPF programs\n")
    }

    static let explainCases: [([String], Int32, String)] = [
        (["explain", "--profile", "profiles/coding-agent.yaml", "10.20.0.15:8080"], 0, "decision: allow (rule mcp-server)\n"),
        (["explain", "--profile", "coding-agent", "10.20.0.15:8081"], 1, "decision: deny (no rule matched)\n"),
        (["explain", "--profile", "coding-agent", "[::1]:8000"], 0, "decision: allow (rule local-tests)\n"),
        (["explain", "--profile", "coding-agent", "--protocol", "udp", "127.0.0.53:53"], 0, "decision: allow (rule dns)\n"),
        (["explain", "--profile", "coding-agent", "169.254.169.254:80"], 1, "decision: deny (rule no-cloud-metadata)\n"),
        (["explain", "--profile", "deny-all", "unix:/run/x.sock"], 1, "decision: deny (no rule matched)\n"),
    ]

    @Test(arguments: explainCases)
    func explainExitsWithTheVerdict(_ arguments: [String], _ status: Int32, _ lastLine: String) throws {
        let run = try Self.run(arguments)
        #expect(run.status == status, "\(run.standardError)")
        #expect(run.standardOutput.hasSuffix(lastLine), "\(run.standardOutput)")
    }

    @Test func explainResolvesHostNames() throws {
        let profile = try Self.temporaryProfile("identity: spiffe://a.example/x\nrules:\n  - name: local\n    to: [localhost]\n    ports: [8080]\n")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let run = try Self.run(["explain", "--profile", profile, "localhost:8080"])
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
        #expect(run.standardOutput.contains("  name localhost: allow (rule local: matched host localhost, port 8080)\n"))
        #expect(run.standardOutput.contains("of host localhost, port 8080)\n"))
    }

    /// As exec does, an address is matched against the rules of the profile's
    /// host names that resolve to it (localhost is 127.0.0.1 on every Linux).
    @Test func explainMatchesAnAddressAgainstTheProfilesHostNames() throws {
        let profile = try Self.temporaryProfile("identity: spiffe://a.example/x\nrules:\n  - name: local\n    to: [localhost]\n    ports: [8080]\n")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        for spelling in ["127.0.0.1:8080", "0.0.0.0:8080"] {
            let run = try Self.run(["explain", "--profile", profile, spelling])
            #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
            #expect(run.standardOutput.contains("  note: 127.0.0.1 is an address of localhost (the profile's host names, resolved now)\n"))
            #expect(run.standardOutput.hasSuffix("decision: allow (rule local)\n"))
        }
    }

    static let badInput: [([String], String)] = [
        (["explain", "--profile", "coding-agent", "host:99999"], "riptides: invalid DESTINATION: "),
        (["explain", "--profile", "no-such-profile-name", "10.0.0.1"], "riptides: no profile named 'no-such-profile-name'"),
        (["explain", "10.0.0.1"], "riptides: missing --profile"),
        (["explain", "--profile", "coding-agent", "--protocol", "sctp", "10.0.0.1"], "sctp"),
    ]

    @Test(arguments: badInput)
    func explainBadInputExitsTwo(_ arguments: [String], _ message: String) throws {
        let run = try Self.run(arguments)
        #expect(run.status == 2)
        #expect(run.standardError.contains(message), "\(run.standardError)")
    }

    @Test func explainWithABadProfilePrintsItsDiagnostics() throws {
        let bad = try Self.temporaryProfile("identity: spiffe://A.example/x\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let run = try Self.run(["explain", "--profile", bad, "10.0.0.1"])
        #expect(run.status == 2)
        #expect(run.standardError.hasPrefix("\(bad):1:11: invalid identity: "))
    }

    @Test func profileNamesComeFromTheEnvironmentFirst() throws {
        let directory = NSTemporaryDirectory() + "riptides-env-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "identity: spiffe://a.example/x\nrules:\n  - name: env\n    to: [10.20.0.15]\n".write(
            toFile: directory + "/coding-agent.yaml", atomically: true, encoding: .utf8)
        let run = try Self.run(["explain", "--profile", "coding-agent", "10.20.0.15:9"], environment: ["RIPTIDES_PROFILE_PATH": directory])
        #expect(run.status == 0)
        #expect(run.standardOutput.hasSuffix("decision: allow (rule env)\n"))
    }
}
