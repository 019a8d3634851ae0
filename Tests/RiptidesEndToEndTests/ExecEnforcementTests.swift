import Foundation
import Glibc
import Testing

/// `riptides exec` enforcing a profile on real processes under the real
/// kernel filter, with real listeners on loopback proving what arrived.
@Suite("exec: enforcement on loopback")
struct ExecEnforcementTests {
    /// A profile that allows TCP and UDP to `ports` on 127.0.0.1 and ::1.
    static func loopbackProfile(_ ports: [UInt16], mode: String = "enforce", protocol: String = "any") throws -> String {
        try Harness.profile("loopback", """
            identity: spiffe://test.example/agent/e2e
            mode: \(mode)
            rules:
              - name: loopback-allowed
                to: [127.0.0.1, "::1"]
                ports: [\(ports.map(String.init).joined(separator: ", "))]
                protocol: \(`protocol`)
            """)
    }

    @Test("an allowed TCP connect reaches the listener and is audited with the rule")
    func allowedTCP() throws {
        let allowed = try Listener(.tcp)
        let profile = try Self.loopbackProfile([allowed.port])
        let result = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(allowed.port)", "hello"])
        #expect(result.reports["connect"] == "ok")
        #expect(result.status == 0)
        #expect(allowed.messages() == ["hello"])
        let decision = try #require(result.decisions.first)
        #expect(decision["event"] as? String == "connect")
        #expect(decision["decision"] as? String == "allow")
        #expect(decision["rule"] as? String == "loopback-allowed")
        #expect(decision["address"] as? String == "127.0.0.1")
        #expect(decision["port"] as? Int == Int(allowed.port))
        #expect(decision["protocol"] as? String == "tcp")
        #expect(decision["identity"] as? String == "spiffe://test.example/agent/e2e")
        #expect((decision["exe"] as? String)?.hasSuffix("/netprobe") == true)
    }

    @Test("a denied TCP connect fails with EPERM and nothing reaches the listener")
    func deniedTCP() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try Self.loopbackProfile([allowed.port])
        let result = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(forbidden.port)", "secret"])
        #expect(result.reports["connect"] == "EPERM")
        #expect(result.status == 3)
        #expect(forbidden.messages().isEmpty)
        #expect(forbidden.arrivals == 0)
        let decision = try #require(result.decisions.first)
        #expect(decision["decision"] as? String == "deny")
        #expect(decision["rule"] is NSNull)
        #expect(result.stderr.contains("1 denied"))
        #expect(result.stderr.contains("127.0.0.1:\(forbidden.port)"))
    }

    @Test("IPv6: ::1 allowed by the profile connects; a denied port does not")
    func ipv6() throws {
        let allowed = try Listener(.tcp, host: "::1"), forbidden = try Listener(.tcp, host: "::1")
        let profile = try Self.loopbackProfile([allowed.port])
        let ok = try Harness.probe(profile: profile, ["tcp", "::1", "\(allowed.port)", "v6"])
        #expect(ok.reports["connect"] == "ok")
        #expect(allowed.messages() == ["v6"])
        let denied = try Harness.probe(profile: profile, ["tcp", "::1", "\(forbidden.port)", "v6"])
        #expect(denied.reports["connect"] == "EPERM")
        #expect(forbidden.messages().isEmpty)
    }

    @Test("IPv4-mapped IPv6 is decided as the IPv4 address it is")
    func ipv4Mapped() throws {
        let forbidden = try Listener(.tcp, host: "::1")
        let target = try Listener(.tcp)
        // 127.0.0.1 is allowed only on target.port: a mapped address to another port is denied.
        let profile = try Self.loopbackProfile([target.port])
        let result = try Harness.probe(profile: profile, ["tcp", "::ffff:127.0.0.1", "\(target.port)", "mapped"])
        #expect(result.reports["connect"] == "ok")
        #expect(target.messages() == ["mapped"])
        #expect(forbidden.arrivals == 0)
    }

    @Test("UDP sendto and sendmsg: allowed datagrams arrive, denied ones fail with EPERM")
    func udp() throws {
        let allowed = try Listener(.udp), forbidden = try Listener(.udp)
        let profile = try Self.loopbackProfile([allowed.port])
        for mode in ["udp-sendto", "udp-sendmsg"] {
            let ok = try Harness.probe(profile: profile, [mode, "127.0.0.1", "\(allowed.port)", "\(mode)-ok"])
            #expect(ok.reports.values.contains("ok"), "\(mode): \(ok.stdout)")
            let denied = try Harness.probe(profile: profile, [mode, "127.0.0.1", "\(forbidden.port)", "\(mode)-leak"])
            #expect(denied.reports.values.contains("EPERM"), "\(mode): \(denied.stdout)")
        }
        #expect(Set(allowed.messages()) == ["udp-sendto-ok", "udp-sendmsg-ok"])
        #expect(forbidden.messages().isEmpty)
    }

    @Test("sendmmsg mixing allowed and denied destinations stops at the first denied one")
    func sendmmsgPartial() throws {
        let allowed = try Listener(.udp), forbidden = try Listener(.udp)
        let profile = try Self.loopbackProfile([allowed.port])
        let a = "\(allowed.port)", f = "\(forbidden.port)"
        let result = try Harness.probe(profile: profile, ["udp-sendmmsg", "127.0.0.1", "batch", a, a, f, a])
        #expect(result.reports["sendmmsg"] == "2")
        #expect(result.reports["msg_len[0]"] == "5")
        #expect(result.reports["msg_len[1]"] == "5")
        #expect(allowed.messages() == ["batch", "batch"])
        #expect(forbidden.arrivals == 0)
        let first = try Harness.probe(profile: profile, ["udp-sendmmsg", "127.0.0.1", "batch", f, a])
        #expect(first.reports["sendmmsg"] == "EPERM")
        #expect(forbidden.arrivals == 0)
    }

    @Test("a non-blocking connect answers EINPROGRESS, then poll and SO_ERROR behave as natively")
    func nonBlocking() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try Self.loopbackProfile([allowed.port])
        let ok = try Harness.probe(profile: profile, ["nonblock", "127.0.0.1", "\(allowed.port)", "nb"])
        #expect(["ok", "EINPROGRESS"].contains(ok.reports["connect"]))
        #expect(ok.reports["so_error"] == "ok")
        #expect(ok.reports["send"] == "ok")
        #expect(allowed.messages() == ["nb"])
        let denied = try Harness.probe(profile: profile, ["nonblock", "127.0.0.1", "\(forbidden.port)", "nb"])
        #expect(denied.reports["connect"] == "EPERM")
        #expect(forbidden.arrivals == 0)

        // A closed port: the refusal arrives through SO_ERROR, as natively.
        let closedPort = try Listener(.udp).port  // a TCP port nobody listens on
        let closedProfile = try Self.loopbackProfile([closedPort])
        let refused = try Harness.probe(profile: closedProfile, ["nonblock", "127.0.0.1", "\(closedPort)", "x"])
        #expect(refused.reports["so_error"] == "ECONNREFUSED" || refused.reports["connect"] == "ECONNREFUSED")
    }

    @Test("a socket registered with epoll before its connect (as Netty's event loop does) reports the connection; MOD and DEL work")
    func epollBeforeConnect() throws {
        let v4 = try Listener(.tcp), v6 = try Listener(.tcp, host: "::1")
        let profile = try Self.loopbackProfile([v4.port, v6.port])
        // epoll_create1, epoll_create, and an instance a forked child inherited.
        for (listener, how) in [(v4, "create1"), (v6, "create1"), (v4, "legacy"), (v4, "fork")] {
            let result = try Harness.probe(profile: profile, ["epoll", listener.host, "\(listener.port)", "ev", how])
            #expect(result.reports["epoll_add"] == "ok")
            #expect(["ok", "EINPROGRESS"].contains(result.reports["connect"]))
            #expect(result.reports["epoll_wait"] == "ok", "\(result.stdout)")
            #expect(result.reports["epoll_mod"] == "ok")
            #expect(result.reports["send"] == "ok")
            #expect(result.reports["epoll_del"] == "ok")
        }
        #expect(v4.messages() == ["ev", "ev", "ev"])
        #expect(v6.messages() == ["ev"])
    }

    @Test("with the agent as another user (--user 65534), its epoll instances, made for it as that user, work the same",
          .enabled(if: geteuid() == 0, "--user needs riptides to run as root; run the tests as root"))
    func epollAsAnotherUser() throws {
        let allowed = try Listener(.tcp)
        let profile = try Self.loopbackProfile([allowed.port])
        let result = try Harness.probe(profile: profile, ["epoll", "127.0.0.1", "\(allowed.port)", "user", "create1"],
                                       extra: ["--user", "65534:65534"])
        #expect(result.reports["epoll_wait"] == "ok", "\(result.stdout)\(result.stderr)")
        #expect(result.reports["epoll_mod"] == "ok")
        #expect(allowed.messages() == ["user"])
        let created = try Harness.probe(profile: nil, ["epoll-create"], extra: ["--user", "65534:65534", "--quiet", "--audit", "/dev/null"])
        let native = try Harness.run(try Harness.agent("netprobe"), ["epoll-create"])
        #expect(created.reports == native.reports, "\(created.stdout)")
    }

    /// The hard descriptor limit of this process, which riptides inherits.
    static let hardFileLimit: UInt64 = {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return UInt64(limit.rlim_max)
    }()

    @Test("an epoll registration moves for a socket at a descriptor number above the soft limit riptides was started with",
          .enabled(if: hardFileLimit > 1600, "the hard descriptor limit here is at most 1600"))
    func epollAboveTheSoftLimit() throws {
        let allowed = try Listener(.tcp)
        let profile = try Self.loopbackProfile([allowed.port])
        // riptides started with a soft limit of 1024; the agent raises its own.
        let command = "ulimit -Sn 1024 && exec \"$0\" \"$@\""
        let result = try Harness.run("/bin/sh", ["-c", command, Harness.riptides, "exec", "--profile", profile, "--",
                                                  try Harness.agent("netprobe"), "epoll", "127.0.0.1", "\(allowed.port)", "high", "high"])
        #expect(result.reports["high"] == "ok", "\(result.stdout)")
        #expect(result.reports["epoll_wait"] == "ok", "\(result.stdout)")
        #expect(result.reports["epoll_mod"] == "ok")
        #expect(allowed.messages() == ["high"])

        // riptides raised its own limit, not the agent's.
        let limits = try Harness.run("/bin/sh", ["-c", command, Harness.riptides, "exec", "--quiet", "--profile", profile, "--",
                                                  "/bin/sh", "-c", "echo soft=$(ulimit -Sn)"])
        #expect(limits.reports["soft"] == "1024", "\(limits.stdout)")
    }

    @Test("epoll_create and epoll_create1 give what they give outside riptides: errors and close-on-exec flags")
    func epollCreation() throws {
        let native = try Harness.run(try Harness.agent("netprobe"), ["epoll-create"])
        let confined = try Harness.probe(profile: nil, ["epoll-create"], extra: ["--quiet", "--audit", "/dev/null"])
        #expect(native.reports.count == 6, "\(native.stdout)")
        #expect(confined.reports == native.reports, "\(confined.stdout)")
    }

    @Test("a host rule allows the addresses riptides resolved its name to, however the agent spells them, and the audit names the host",
          arguments: ["127.0.0.1", "0.0.0.0", "::ffff:127.0.0.1", "::ffff:0.0.0.0"])
    func hostRuleSpellings(spelling: String) throws {
        let allowed = try Listener(.tcp)
        let profile = try Harness.profile("host-rule", """
            identity: spiffe://test.example/agent/e2e
            rules:
              - name: local-service
                to: [localhost]
                ports: [\(allowed.port)]
            """)
        let result = try Harness.probe(profile: profile, ["tcp", spelling, "\(allowed.port)", spelling])
        #expect(result.reports["connect"] == "ok", "\(result.stdout)\(result.stderr)")
        #expect(allowed.messages() == [spelling])
        let decision = try #require(result.decisions.first { $0["port"] as? Int == Int(allowed.port) }, "\(result.stdout)")
        #expect(decision["rule"] as? String == "local-service")
        #expect(decision["host"] as? String == "localhost")
    }

    @Test("observe mode lets a denied connect through and logs it as deny/observe")
    func observeMode() throws {
        let forbidden = try Listener(.tcp)
        let profile = try Self.loopbackProfile([1], mode: "observe")
        let result = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(forbidden.port)", "observed"])
        #expect(result.reports["connect"] == "ok")
        #expect(forbidden.messages() == ["observed"])
        let decision = try #require(result.decisions.first)
        #expect(decision["decision"] as? String == "deny")
        #expect(decision["mode"] as? String == "observe")

        // --mode enforce overrides the profile's observe.
        let enforced = try Harness.probe(profile: profile, ["tcp", "127.0.0.1", "\(forbidden.port)", "blocked"], extra: ["--mode", "enforce"])
        #expect(enforced.reports["connect"] == "EPERM")
        #expect(forbidden.messages() == ["observed"])
    }

    @Test("protocol: a tcp-only rule does not allow UDP to the same port")
    func protocolRestriction() throws {
        let udp = try Listener(.udp)
        let profile = try Self.loopbackProfile([udp.port], protocol: "tcp")
        let result = try Harness.probe(profile: profile, ["udp-sendto", "127.0.0.1", "\(udp.port)", "x"])
        #expect(result.reports["sendto"] == "EPERM")
        #expect(udp.messages().isEmpty)
    }

    @Test("no profile: default deny, with a notice on stderr")
    func noProfile() throws {
        let listener = try Listener(.tcp)
        let result = try Harness.probe(profile: nil, ["tcp", "127.0.0.1", "\(listener.port)", "x"])
        #expect(result.reports["connect"] == "EPERM")
        #expect(result.stderr.contains("riptides: no profile given: every destination is denied"))
        #expect(listener.arrivals == 0)
    }
}
