import Foundation
import Glibc
import RiptidesTestSupport
import Testing

/// Everything the agent starts stays under the filter; riptides behaves
/// like `env` or `timeout` for exit status and signals.
@Suite("exec: process tree, exit status and signals")
struct ExecProcessTreeTests {
    @Test("children and grandchildren are enforced: allowed all arrive, denied none")
    func tree() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let ok = try Harness.probe(profile: profile, ["tree", "127.0.0.1", "\(allowed.port)"])
        #expect(ok.reports["grandchild"] == "ok" && ok.reports["child"] == "ok" && ok.reports["parent"] == "ok")
        #expect(Set(allowed.messages()) == ["from-grandchild", "from-child", "from-parent"])
        let denied = try Harness.probe(profile: profile, ["tree", "127.0.0.1", "\(forbidden.port)"])
        #expect(denied.reports["grandchild"] == "EPERM" && denied.reports["child"] == "EPERM" && denied.reports["parent"] == "EPERM")
        #expect(forbidden.arrivals == 0)
        #expect(Set(denied.decisions.compactMap { $0["pid"] as? Int }).count == 3)
    }

    @Test("threads are enforced, each decision on its own")
    func threads() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let ok = try Harness.probe(profile: profile, ["threads", "127.0.0.1", "\(allowed.port)", "8"])
        #expect((0..<8).allSatisfy { ok.reports["thread\($0)"] == "ok" })
        #expect(allowed.messages().count == 8)
        let denied = try Harness.probe(profile: profile, ["threads", "127.0.0.1", "\(forbidden.port)", "8"])
        #expect((0..<8).allSatisfy { denied.reports["thread\($0)"] == "EPERM" })
        #expect(forbidden.arrivals == 0)
        // The audit names the process, and the thread that made each call.
        #expect(Set(denied.decisions.compactMap { $0["pid"] as? Int }).count == 1)
        #expect(Set(denied.decisions.compactMap { $0["tid"] as? Int }).count == 8)
    }

    @Test("a double-forked daemon stays supervised and the session waits for it")
    func daemon() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let denied = try Harness.probe(profile: profile, ["daemon", "127.0.0.1", "\(forbidden.port)"])
        #expect(denied.reports["parent"] == "exiting")
        #expect(denied.reports["daemon"] == "EPERM")
        #expect(forbidden.arrivals == 0)
        let end = try #require(denied.audit.last)
        #expect(end["event"] as? String == "session.end")
        let ok = try Harness.probe(profile: profile, ["daemon", "127.0.0.1", "\(allowed.port)"])
        #expect(ok.reports["daemon"] == "ok")
        #expect(allowed.messages() == ["from-daemon"])
    }

    @Test("the command's exit status is riptides's", arguments: [0, 1, 7, 42])
    func exitStatus(code: Int) throws {
        let result = try Harness.probe(profile: nil, ["exit", "\(code)"], extra: ["--quiet"])
        #expect(result.status == Int32(code))
        #expect(!result.stderr.contains("allowed"))
    }

    @Test("killed by signal N: riptides exits 128+N", arguments: [SIGTERM, SIGKILL, SIGSEGV])
    func signalStatus(signal: Int32) throws {
        let result = try Harness.probe(profile: nil, ["kill-self", "\(signal)"], extra: ["--quiet"])
        #expect(result.status == 128 + signal)
    }

    @Test("SIGTERM and SIGHUP sent to riptides reach the agent", arguments: [SIGTERM, SIGHUP, SIGINT])
    func forwardsSignals(signal: Int32) throws {
        let riptides = try ChildProcess(Harness.riptides, ["exec", "--quiet", "--audit", "stderr", "--",
                                                          try Harness.agent("netprobe"), "sleep", "30"],
                                        standardOutput: .discard, standardError: .discard)
        usleep(500_000)
        riptides.signal(signal)
        let started = Date()
        let termination = riptides.wait()
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(termination == .exited(128 + signal))
    }

    @Test("the audit has session.start and session.end, and every line is one JSON object with the contract's fields")
    func auditShape() throws {
        let allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let auditFile = Harness.scratch.appendingPathComponent("audit-\(UUID().uuidString).jsonl").path
        let result = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(allowed.port)", "a"], extra: ["--audit", auditFile])
        #expect(result.status == 0)
        var info = stat()
        #expect(stat(auditFile, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let lines = try String(contentsOfFile: auditFile, encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.first?["event"] as? String == "session.start")
        #expect(objects.last?["event"] as? String == "session.end")
        #expect(objects.last?["exit_status"] as? Int == 0)
        let session = objects.first?["session"] as? String
        #expect(objects.allSatisfy { $0["session"] as? String == session })
        #expect(objects.map { $0["seq"] as? Int } == (0..<objects.count).map { $0 })
        let decision = try #require(objects.first { $0["event"] as? String == "connect" })
        for field in ["time", "session", "seq", "event", "identity", "pid", "exe", "protocol", "address", "port", "decision", "rule", "mode"] {
            #expect(decision[field] != nil, "missing \(field)")
        }
        let time = try #require(decision["time"] as? String)
        #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)
    }
}
