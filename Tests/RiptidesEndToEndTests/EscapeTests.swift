import Foundation
import Glibc
import Testing

/// Ways around the filter and the supervisor (threat model items 4, 5, 8–12,
/// 16, 18–20). Each attack is a small C agent (`Tests/Agents/attack_*.c`)
/// run under `riptides exec` against real loopback listeners that must
/// receive nothing. Where the attack only means something if it works
/// without riptides, a control run outside riptides proves it does.
///
/// Every profile allows 127.0.0.1 and ::1 on a separate allowed listener's
/// port, so that "denied" is a policy decision and not the absence of any
/// rule.
@Suite("escape resistance")
struct EscapeTests {
    /// `riptides exec --profile PROFILE -- attack_NAME ARGS...`.
    static func attack(_ name: String, profile: String?, _ arguments: [String]) throws -> Harness.Result {
        var args = ["exec"]
        if let profile { args += ["--profile", profile] }
        args += ["--", try Harness.agent("attack_\(name)")] + arguments
        return try Harness.riptides(args)
    }

    /// The same agent outside riptides: the control that shows the attack is real.
    static func unconfined(_ name: String, _ arguments: [String]) throws -> Harness.Result {
        try Harness.run(try Harness.agent("attack_\(name)"), arguments)
    }

    /// Nothing at all reached these listeners.
    static func expectNothing(_ listeners: Listener..., sourceLocation: SourceLocation = #_sourceLocation) {
        for listener in listeners {
            #expect(listener.messages().isEmpty, "\(listener.host):\(listener.port) received data", sourceLocation: sourceLocation)
            #expect(listener.arrivals == 0, "\(listener.host):\(listener.port) saw a connection or datagram", sourceLocation: sourceLocation)
        }
    }

    // MARK: item 8: io_uring

    @Test("item 8, io_uring: IORING_OP_CONNECT and IORING_OP_SENDMSG never run: io_uring_setup is ENOSYS, nothing arrives")
    func ioUring() throws {
        let allowed = try Listener(.tcp)
        let tcp = try Listener(.tcp), udp = try Listener(.udp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Self.attack("io_uring", profile: profile, ["127.0.0.1", "\(tcp.port)", "\(udp.port)", "uring-leak"])
        #expect(result.reports["io_uring_setup"] == "ENOSYS", "\(result.stdout)")
        #expect(result.reports["io_uring_enter"] == "ENOSYS")
        #expect(result.reports["io_uring_register"] == "ENOSYS")
        #expect(result.reports["uring_connect"] == nil)
        #expect(result.reports["uring_udp_sendmsg"] == nil)
        Self.expectNothing(tcp, udp, allowed)

        // Control: unconfined, the same agent delivers through the ring.
        let controlTCP = try Listener(.tcp), controlUDP = try Listener(.udp)
        let control = try Self.unconfined("io_uring", ["127.0.0.1", "\(controlTCP.port)", "\(controlUDP.port)", "uring"])
        #expect(control.reports["io_uring_setup"] == "ok", "\(control.stdout)")
        #expect(control.reports["uring_connect"] == "ok")
        #expect(controlTCP.messages() == ["uring"])
        #expect(controlUDP.messages() == ["uring"])
    }

    // MARK: item 9: other system call ABIs

    @Test("item 9, i386 ABI from a 64-bit process: int 0x80 socketcall(SYS_CONNECT/SYS_SENDTO), i386 connect (362) and sendto (369), and x32 all fail with ENOSYS")
    func foreignABI() throws {
        let allowed = try Listener(.tcp)
        let tcp = try Listener(.tcp), udp = try Listener(.udp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Self.attack("int80", profile: profile, ["127.0.0.1", "\(tcp.port)", "\(udp.port)", "int80-leak"])
        for call in ["i386_socket", "socketcall_connect", "i386_connect", "socketcall_sendto", "i386_sendto", "x32_connect"] {
            #expect(result.reports[call] == "ENOSYS", "\(call): \(result.stdout)")
        }
        Self.expectNothing(tcp, udp, allowed)

        // Control: unconfined, int 0x80 connects and sends (x32 is not built into this kernel).
        let controlTCP = try Listener(.tcp), controlUDP = try Listener(.udp)
        let control = try Self.unconfined("int80", ["127.0.0.1", "\(controlTCP.port)", "\(controlUDP.port)", "i386"])
        #expect(control.reports["socketcall_connect"] == "ok", "\(control.stdout)")
        #expect(control.reports["i386_connect"] == "ok")
        #expect(control.reports["i386_sendto"] == "ok")
        #expect(controlTCP.messages() == ["i386", "i386"])
        #expect(controlUDP.messages() == ["i386", "i386"])
    }

    // MARK: item 10: TCP Fast Open

    @Test("item 10, TCP Fast Open: sendto/sendmsg with MSG_FASTOPEN and TCP_FASTOPEN_CONNECT to a denied port are EPERM; to an allowed port they behave natively")
    func fastOpen() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let denied = try Self.attack("fastopen", profile: profile, ["127.0.0.1", "\(forbidden.port)", "tfo-leak"])
        #expect(denied.reports["fastopen_sendto"] == "EPERM", "\(denied.stdout)")
        #expect(denied.reports["fastopen_sendmsg"] == "EPERM")
        #expect(denied.reports["fastopen_connect"] == "EPERM")
        Self.expectNothing(forbidden)

        // Allowed, in either tier, each call does what it does outside riptides.
        let native = try Self.unconfined("fastopen", ["127.0.0.1", "\(allowed.port)", "tfo"])
        let ok = try Self.attack("fastopen", profile: profile, ["127.0.0.1", "\(allowed.port)", "tfo"])
        for call in ["fastopen_sendto", "fastopen_sendmsg", "fastopen_connect", "fastopen_connect_write"] {
            #expect(ok.reports[call] == native.reports[call], "\(call): \(ok.stdout) natively: \(native.stdout)")
        }
        let delivered = ["fastopen_sendto", "fastopen_sendmsg", "fastopen_connect_write"].filter { ok.reports[$0] == "ok" }.count
        #expect(delivered > 0, "\(native.stdout)")
        #expect(allowed.messages().filter { $0 == "tfo" }.count == 2 * delivered, "\(ok.stdout)")
    }

    // MARK: item 11: socket families and protocols

    @Test("item 11, families and protocols: AF_PACKET, AF_VSOCK, AF_XDP fail at socket(); IPPROTO_RAW, raw ICMP, ping, SCTP, MPTCP and UDP-Lite are refused or EPERM; nothing arrives")
    func familiesAndProtocols() throws {
        let allowedUDP = try Listener(.udp), allowedTCP = try Listener(.tcp)
        let deniedUDP = try Listener(.udp), deniedTCP = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowedUDP.port, allowedTCP.port])
        let which = "packet,vsock,xdp,raw_hdrincl,raw_icmp,ping,sctp,mptcp,udplite"
        let result = try Self.attack("families", profile: profile,
                                     [which, "127.0.0.1", "\(allowedUDP.port)", "\(deniedUDP.port)", "\(deniedTCP.port)", "family-leak"])
        let r = result.reports
        #expect(r["packet_socket"] == "EAFNOSUPPORT", "\(result.stdout)")
        #expect(r["vsock_socket"] == "EAFNOSUPPORT")
        #expect(r["xdp_socket"] == "EAFNOSUPPORT")
        // Either socket() is refused, or every call that names a destination is EPERM.
        let attempts: [(String, [String])] = [
            ("raw_hdrincl", ["sendto"]), ("raw_icmp", ["sendto"]), ("ping", ["sendto"]),
            ("sctp", ["connect"]), ("mptcp", ["connect", "fastopen"]), ("udplite", ["sendto"]),
        ]
        for (name, steps) in attempts {
            let socket = try #require(r["\(name)_socket"], "\(name): \(result.stdout)")
            if socket == "ok" {
                for step in steps { #expect(r["\(name)_\(step)"] == "EPERM", "\(name)_\(step): \(result.stdout)") }
            }
        }
        #expect(r["mptcp_write"] == nil && r["sctp_write"] == nil)
        Self.expectNothing(deniedUDP, deniedTCP, allowedUDP, allowedTCP)
    }

    @Test("item 11, SOCK_RAW with IPPROTO_UDP: the sockaddr's port is a decoy (an allowed port) and the UDP header in the payload names a denied one")
    func rawUDPDecoyPort() throws {
        let allowedUDP = try Listener(.udp), deniedUDP = try Listener(.udp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowedUDP.port])
        let args = ["raw_udp,raw_connect", "127.0.0.1", "\(allowedUDP.port)", "\(deniedUDP.port)", "1", "raw-leak"]
        let result = try Self.attack("families", profile: profile, args)
        let r = result.reports
        do {
            #expect(r["raw_udp_socket"] != "ok" || r["raw_udp_sendto"] == "EPERM", "\(result.stdout)")
            #expect(r["raw_connect_socket"] != "ok" || r["raw_connect_connect"] == "EPERM", "\(result.stdout)")
            #expect(deniedUDP.messages().isEmpty, "raw UDP datagrams reached the denied port")
        }
        #expect(allowedUDP.messages().isEmpty)

        // Control: unconfined (as root), both deliver to the port in the UDP header.
        if getuid() == 0 {
            let control = try Listener(.udp)
            _ = try Self.unconfined("families", ["raw_udp,raw_connect", "127.0.0.1", "\(allowedUDP.port)", "\(control.port)", "1", "raw"])
            #expect(control.messages() == ["raw", "raw"])
        }
    }

    // MARK: item 4: the destination as the kernel reads it

    @Test("item 4, AF_UNSPEC name on an AF_INET UDP socket is read as AF_INET: a denied port is EPERM, an allowed port arrives")
    func unspecAsInet() throws {
        let allowed = try Listener(.udp), forbidden = try Listener(.udp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let denied = try Self.attack("unspec", profile: profile, ["127.0.0.1", "\(forbidden.port)", "unspec-leak"])
        #expect(denied.reports["unspec_sendto"] == "EPERM", "\(denied.stdout)")
        #expect(denied.reports["unspec_sendmsg"] == "EPERM")
        Self.expectNothing(forbidden)

        let ok = try Self.attack("unspec", profile: profile, ["127.0.0.1", "\(allowed.port)", "unspec"])
        #expect(ok.reports["unspec_sendto"] == "ok", "\(ok.stdout)")
        #expect(ok.reports["unspec_sendmsg"] == "ok")
        #expect(allowed.messages() == ["unspec", "unspec"])
    }

    @Test("item 4, zero addresses: 0.0.0.0 and [::] on a denied port are EPERM (matched as loopback); on the allowed port they connect")
    func zeroAddresses() throws {
        let allowed = try Listener(.tcp)
        let tcp4 = try Listener(.tcp), tcp6 = try Listener(.tcp, host: "::1")
        let udp4 = try Listener(.udp), udp6 = try Listener(.udp, host: "::1")
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Self.attack("addresses", profile: profile, [
            "0.0.0.0", "\(tcp4.port)", "::", "\(tcp6.port)", "0.0.0.0", "\(udp4.port)", "::", "\(udp6.port)",
            "::ffff:0.0.0.0", "\(tcp4.port)", "::ffff:0.0.0.0", "\(udp4.port)",
        ])
        let attempts = result.reports.filter { $0.key.hasPrefix("tcp:") || $0.key.hasPrefix("udp:") }
        #expect(attempts.count == 12, "\(result.stdout)")
        for (attempt, outcome) in attempts { #expect(outcome == "EPERM", "\(attempt)=\(outcome)") }
        Self.expectNothing(tcp4, tcp6, udp4, udp6, allowed)

        // 0.0.0.0 reaches 127.0.0.1, which the profile allows on this port.
        let ok = try Self.attack("addresses", profile: profile, ["0.0.0.0", "\(allowed.port)"])
        #expect(ok.reports["tcp:0.0.0.0:\(allowed.port)"] == "ok", "\(ok.stdout)")
        #expect(allowed.messages() == ["0.0.0.0 \(allowed.port)"])
    }

    @Test("item 4, loopback behind other spellings: with 127.0.0.0/8 and ::1 denied and everything else allowed, 0.0.0.0, ::, 127.0.0.2 and v4-mapped forms are EPERM")
    func loopbackSpellings() throws {
        let tcp4 = try Listener(.tcp), tcp6 = try Listener(.tcp, host: "::1"), udp4 = try Listener(.udp)
        let profile = try Harness.profile("everything-but-loopback", """
            identity: spiffe://test.example/agent/e2e
            rules:
              - name: no-loopback
                action: deny
                to: [127.0.0.0/8, "::1"]
              - name: everywhere
                to: [0.0.0.0/0, "::/0"]
            """)
        let result = try Self.attack("addresses", profile: profile, [
            "0.0.0.0", "\(tcp4.port)", "::", "\(tcp6.port)", "127.0.0.2", "\(tcp4.port)",
            "::ffff:127.0.0.1", "\(tcp4.port)", "::ffff:0.0.0.0", "\(tcp4.port)", "::ffff:127.0.0.1", "\(udp4.port)",
        ])
        let attempts = result.reports.filter { $0.key.hasPrefix("tcp:") || $0.key.hasPrefix("udp:") }
        #expect(attempts.count == 12, "\(result.stdout)")
        for (attempt, outcome) in attempts { #expect(outcome == "EPERM", "\(attempt)=\(outcome)") }
        Self.expectNothing(tcp4, tcp6, udp4)
    }

    @Test("item 4, IPv4-mapped: connect and sendto on an AF_INET6 socket to ::ffff:127.0.0.1 on a denied port are EPERM")
    func ipv4MappedDenied() throws {
        let allowed = try Listener(.tcp), tcp = try Listener(.tcp), udp = try Listener(.udp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Self.attack("addresses", profile: profile, ["::ffff:127.0.0.1", "\(tcp.port)", "::ffff:127.0.0.1", "\(udp.port)"])
        #expect(result.reports["tcp:::ffff:127.0.0.1:\(tcp.port)"] == "EPERM", "\(result.stdout)")
        #expect(result.reports["udp:::ffff:127.0.0.1:\(udp.port)"] == "EPERM")
        Self.expectNothing(tcp, udp, allowed)
    }

    @Test("item 4, [::] on an AF_INET6 socket bound to ::ffff:127.0.0.1 goes to 127.0.0.1, not ::1: a profile allowing only ::1 on the port must not let it reach 127.0.0.1")
    func unspecifiedOnMappedSocket() throws {
        let tcp = try Listener(.tcp), udp = try Listener(.udp)
        // ::1 allowed on both ports; 127.0.0.1 on neither.
        let profile = try Harness.profile("v6-only", """
            identity: spiffe://test.example/agent/e2e
            rules:
              - name: v6-loopback
                to: ["::1"]
                ports: [\(tcp.port), \(udp.port)]
            """)
        let result = try Self.attack("addresses", profile: profile,
                                     ["::ffff:127.0.0.1@::", "\(tcp.port)", "::ffff:127.0.0.1@::", "\(udp.port)"])
        let tcpOutcome = result.reports["tcp:::ffff:127.0.0.1@:::\(tcp.port)"]
        let udpOutcome = result.reports["udp:::ffff:127.0.0.1@:::\(udp.port)"]
        do {
            #expect(tcpOutcome != "ok", "\(result.stdout)")
            #expect(udpOutcome != "ok")
            #expect(tcp.messages().isEmpty, "the TCP connection reached 127.0.0.1")
            #expect(udp.messages().isEmpty, "the datagram reached 127.0.0.1")
        }
    }

    // MARK: item 12: sockets that did not come from connect

    @Test("item 12, inherited socket: a connected socket left open without close-on-exec is EBADF in the agent and no socket is left in its table")
    func inheritedSocket() throws {
        let forbidden = try Listener(.tcp), allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let launcher = try Harness.agent("attack_inherit_launcher")
        let result = try Harness.run(launcher, [
            "127.0.0.1", "\(forbidden.port)", "9", "--",
            Harness.riptides, "exec", "--profile", profile, "--", try Harness.agent("attack_inherit"), "own", "9", "inherit-leak",
        ])
        #expect(result.reports["write"] == "EBADF", "\(result.stdout) \(result.stderr)")
        #expect(result.reports["send"] == "EBADF")
        #expect(result.reports["stray_sockets"] == "0")
        // The launcher's own connection arrived (riptides held it); no byte came through it.
        #expect(forbidden.arrivals == 1)
        let received = forbidden.messages(settle: 0.5)
        #expect(received.joined().isEmpty, "\(received)")
        Self.expectNothing(allowed)
    }

    @Test("items 12 and 16, inherited socket taken back from riptides: pidfd_getfd on the agent's parent must not hand it the socket")
    func inheritedSocketFromParent() throws {
        let forbidden = try Listener(.tcp), allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let launcher = try Harness.agent("attack_inherit_launcher")
        let result = try Harness.run(launcher, [
            "127.0.0.1", "\(forbidden.port)", "9", "--",
            Harness.riptides, "exec", "--profile", profile, "--", try Harness.agent("attack_inherit"), "parent", "9", "parent-leak",
        ])
        let received = forbidden.messages(settle: 0.5)
        do {
            #expect(result.reports["parent_getfd"] != "ok", "\(result.stdout)")
            #expect(received.joined().isEmpty, "\(received)")
        }
        Self.expectNothing(allowed)
    }

    // MARK: item 5: the right file table

    @Test("item 5, a thread with its own fd table (unshare(CLONE_FILES)) and a CLONE_VM process without CLONE_FILES: a denied port is EPERM, an allowed one connects their own socket")
    func ownFileTable() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let denied = try Self.attack("fdtable", profile: profile, ["127.0.0.1", "\(forbidden.port)", "fdtable-leak"])
        #expect(denied.reports["thread_connect"] == "EPERM", "\(denied.stdout)")
        #expect(denied.reports["clone_connect"] == "EPERM")
        #expect(denied.reports["leader_peer"] == "ENOTCONN")
        Self.expectNothing(forbidden)

        let ok = try Self.attack("fdtable", profile: profile, ["127.0.0.1", "\(allowed.port)", "fdtable"])
        #expect(ok.reports["thread_connect"] == "ok", "\(ok.stdout)")
        #expect(ok.reports["thread_write"] == "ok")
        #expect(ok.reports["clone_connect"] == "ok")
        #expect(ok.reports["clone_write"] == "ok")
        // The leader's socket with the same number was never touched.
        #expect(ok.reports["leader_peer"] == "ENOTCONN")
        #expect(allowed.messages() == ["fdtable", "fdtable"])
    }

    // MARK: item 19: filters the agent adds

    @Test("item 19, the agent's own filters: a second NEW_LISTENER is EBUSY; an all-ALLOW filter loads but a denied connect stays EPERM")
    func agentFilters() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let result = try Self.attack("seccomp", profile: profile, ["127.0.0.1", "\(forbidden.port)", "seccomp-leak"])
        #expect(result.reports["no_new_privs"] == "1", "\(result.stdout)")
        #expect(result.reports["new_listener"] == "EBUSY")
        #expect(result.reports["allow_filter"] == "ok")
        #expect(result.reports["tsync"] == "ok")
        #expect(result.reports["connect"] == "EPERM")
        Self.expectNothing(forbidden)
    }

    // MARK: item 18: blinding

    @Test("item 18, a non-dumpable agent: a denied connect is EPERM; an allowed one is decided (allowed or denied), never undecided")
    func nonDumpable() throws {
        let allowed = try Listener(.tcp), forbidden = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port])
        let denied = try Self.attack("nondumpable", profile: profile, ["127.0.0.1", "\(forbidden.port)", "blind-leak"])
        #expect(denied.reports["dumpable"] == "0", "\(denied.stdout)")
        #expect(denied.reports["connect"] == "EPERM")
        Self.expectNothing(forbidden)

        let ok = try Self.attack("nondumpable", profile: profile, ["127.0.0.1", "\(allowed.port)", "blind"])
        let outcome = try #require(ok.reports["connect"], "\(ok.stdout)")
        #expect(["ok", "EPERM"].contains(outcome), "\(ok.stdout)")
        #expect(allowed.messages() == (outcome == "ok" ? ["blind"] : []))
        // Whatever the outcome, the supervisor decided it: one audit line.
        #expect(ok.decisions.count == 1, "\(ok.stdout)")
        Self.expectNothing(forbidden)
    }

    // MARK: item 20: setuid binaries

    /// A copy of `attack_setuid_check` owned by root with mode 4755.
    static func setuidCheck() throws -> String {
        let directory = Harness.scratch.appendingPathComponent("setuid-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(Harness.scratch.path, 0o755)
        chmod(directory.path, 0o755)
        let path = directory.appendingPathComponent("attack_setuid_check").path
        try FileManager.default.copyItem(atPath: try Harness.agent("attack_setuid_check"), toPath: path)
        guard chown(path, 0, 0) == 0, chmod(path, 0o4755) == 0 else {
            throw HarnessError("chown/chmod \(path): \(String(cString: strerror(errno)))")
        }
        return path
    }

    @Test("item 20, a setuid-root binary under riptides runs with no_new_privs set (prctl and /proc/self/status) and under the filter",
          .enabled(if: getuid() == 0, "needs root to make a setuid-root copy"))
    func setuidNoNewPrivs() throws {
        let binary = try Self.setuidCheck()
        let result = try Harness.riptides(["exec", "--", binary])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.reports["no_new_privs"] == "1", "\(result.stdout)")
        #expect(result.reports["status_NoNewPrivs"] == "1")
        #expect(result.reports["status_Seccomp"] == "2")
    }

    @Test("item 20, run by an unprivileged user, a setuid-root binary keeps the caller's euid",
          .enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv to switch to an unprivileged user"))
    func setuidUnprivileged() throws {
        let binary = try Self.setuidCheck()
        // Control: without riptides the same user does become root.
        let control = try Harness.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary])
        #expect(control.reports["euid"] == "0", "\(control.stdout) \(control.stderr)")

        let result = try Harness.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                          Harness.riptides, "exec", "--", binary])
        do {
            #expect(result.status == 0, "\(result.stderr)")
        }
        if result.status == 0 {
            #expect(result.reports["euid"] == "65534", "\(result.stdout)")
            #expect(result.reports["no_new_privs"] == "1")
        }
    }
}
