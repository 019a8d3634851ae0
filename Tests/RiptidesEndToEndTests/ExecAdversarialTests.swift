import Foundation
import Glibc
import Testing

/// Attacks on the supervisor's own correctness (threat model items 1, 17).
@Suite("exec: adversarial")
struct ExecAdversarialTests {
    @Test("TOCTOU: a thread flipping the port of an approved sockaddr never reaches the denied port")
    func toctouRace() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Harness.probe(profile: profile, ["race", "127.0.0.1", "\(allowed.port)", "\(forbidden.port)", "3000"],
                                       extra: ["--audit", "/dev/null", "--quiet"])
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("race ") })
        // Both outcomes happen (the flip is real), and the denied listener saw nothing.
        #expect(line.contains("eperm=") && !line.contains("eperm=0 "), "\(line)")
        #expect(!line.contains("ok=0 "), "\(line)")
        #expect(forbidden.arrivals == 0)
        #expect(forbidden.messages().isEmpty)
    }

    @Test("killing the supervisor mid-session: the agent's next connects fail and nothing more arrives")
    func killedSupervisor() throws {
        let allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.riptides)
        process.arguments = ["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                             try Harness.agent("netprobe"), "keep-connecting", "127.0.0.1", "\(allowed.port)", "30"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait for the first allowed connection, then kill riptides outright.
        let deadline = Date().addingTimeInterval(10)
        while allowed.arrivals == 0 && Date() < deadline { usleep(20_000) }
        #expect(allowed.arrivals > 0)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        usleep(200_000)
        let before = allowed.arrivals
        // The orphaned agent keeps trying for ~3 s; read its output to the end.
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(allowed.arrivals == before, "connections arrived after the supervisor died")
        let failures = output.split(separator: "\n").filter { $0.hasPrefix("attempt") && !$0.hasSuffix("=ok") }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy { $0.hasSuffix("=ENOSYS") }, "\(failures)")
    }

    @Test("serving instead of calling: listen on an inet socket is denied (item 13); unix sockets still listen")
    func listenDenied() throws {
        let path = Harness.scratch.appendingPathComponent("serve-\(UUID().uuidString.prefix(8)).sock").path
        for host in ["127.0.0.1", "::1"] {
            let result = try Harness.probe(profile: try ExecEnforcementTests.loopbackProfile([1]), ["serve", host, path])
            #expect(result.reports["bind"] == "ok")
            #expect(result.reports["listen"] == "EPERM")
            #expect(result.reports["unix_listen"] == "ok")
            let decision = try #require(result.decisions.first)
            #expect(decision["event"] as? String == "listen")
            #expect(decision["decision"] as? String == "deny")
        }
    }
}
