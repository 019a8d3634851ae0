import Foundation
import Glibc
import RiptidesTestSupport
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
        let riptides = try ChildProcess(Harness.riptides, ["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                                                          try Harness.agent("netprobe"), "keep-connecting", "127.0.0.1", "\(allowed.port)", "30"],
                                        standardError: .discard)
        // Wait for the first allowed connection, then kill riptides outright.
        let deadline = Date().addingTimeInterval(10)
        while allowed.arrivals == 0 && Date() < deadline { usleep(20_000) }
        #expect(allowed.arrivals > 0)
        riptides.signal(SIGKILL)
        riptides.wait()
        usleep(200_000)
        let before = allowed.arrivals
        // The orphaned agent keeps trying for ~3 s; read its output to the end.
        let output = try riptides.finish(timeout: 60).standardOutput
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

    @Test("item 6, sticky routing: IP_OPTIONS, IPV6_RTHDR and IPV6_DSTOPTS as options and as ancillary data are EPERM; plain datagrams still arrive")
    func stickyRouting() throws {
        let v4 = try Listener(.udp), v6 = try Listener(.udp, host: "::1")
        let profile = try ExecEnforcementTests.loopbackProfile([v4.port, v6.port])
        let result = try Harness.riptides(["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                                           try Harness.agent("attack_routing"), "127.0.0.1", "\(v4.port)", "::1", "\(v6.port)"])
        for option in ["ip_options", "ipv6_rthdr", "ipv6_dstopts", "cmsg_rthdr", "cmsg_ip_options"] {
            #expect(result.reports[option] == "EPERM", "\(option): \(result.stdout)")
        }
        #expect(result.reports["plain4"] == "ok" && result.reports["plain6"] == "ok", "\(result.stdout)")
        #expect(v4.messages() == ["plain4"])
        #expect(v6.messages() == ["plain6"])
    }

    /// A listener on 127.0.0.1 whose accept queue is full: the next SYN is
    /// dropped, so a connect to it hangs, as to a host that never answers.
    final class SilentDestination {
        let port: UInt16
        private var descriptors: [CInt] = []

        init() {
            let silent = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
            descriptors.append(silent)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f000001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) } }
            listen(silent, 0)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &length) } }
            port = UInt16(bigEndian: address.sin_port)
            for _ in 0..<2 {
                let filler = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0)
                _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) } }
                descriptors.append(filler)
            }
            usleep(100_000)
        }

        deinit { descriptors.forEach { close($0) } }
    }

    @Test("item 7, a silent destination: a blocking connect that never completes does not delay another thread's decision")
    func silentDestination() throws {
        let silent = SilentDestination()
        let silentPort = silent.port
        let allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port, silentPort])
        let result = try Harness.probe(profile: profile, ["silent", "127.0.0.1", "\(silentPort)", "\(allowed.port)"],
                                       extra: ["--audit", "/dev/null", "--quiet"])
        #expect(result.reports["allowed"] == "ok", "\(result.stdout)")
        let elapsed = try #require(result.reports["allowed_ms"].flatMap { Int($0) })
        #expect(elapsed < 1000, "the allowed connect waited \(elapsed) ms behind the silent one")
        #expect(result.reports["silent"] != "ok", "\(result.stdout)")
        #expect(allowed.messages() == ["not-stalled"])
    }

    @Test("item 7, O_NONBLOCK cleared behind riptides's back: connects and Fast Open sends to a silent destination still hold up no other decision",
          arguments: ["connect", "fastopen"])
    func nonBlockingFlip(mode: String) throws {
        let silent = SilentDestination()
        let allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port, silent.port])
        let result = try Harness.riptides(["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                                           try Harness.agent("attack_nonblock_flip"), "127.0.0.1", "\(silent.port)", "\(allowed.port)", mode])
        #expect(result.reports["allowed"] == "ok", "status \(result.status): \(result.stdout)\(result.stderr)")
        let slowest = try #require(result.reports["allowed_max_ms"].flatMap { Int($0) }, "\(result.stdout)")
        // A stall would last the SYN timeout (over a minute); 3 s leaves room
        // for a loaded machine, whose spinning attacker threads share 2 cores.
        #expect(slowest < 3000, "an allowed connect waited \(slowest) ms behind the silent ones")
        #expect(allowed.messages().allSatisfy { $0 == "flip" })
    }

    @Test("item 7, a lingering socket closed behind riptides's back: its copy's last close (SO_LINGER, data unsent) holds up no other decision")
    func lingeringClose() throws {
        let sink = try Sink()
        let allowed = try Listener(.tcp)
        let profile = try ExecEnforcementTests.loopbackProfile([allowed.port, sink.port])
        let result = try Harness.riptides(["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                                           try Harness.agent("attack_linger"), "127.0.0.1", "\(sink.port)", "\(allowed.port)"])
        #expect(result.reports["allowed"] == "ok", "\(result.stdout)")
        let slowest = try #require(result.reports["allowed_max_ms"].flatMap { Int($0) }, "\(result.stdout)")
        // A stall would last the linger time (20 s); see nonBlockingFlip.
        #expect(slowest < 3000, "an allowed connect waited \(slowest) ms behind a lingering close")
    }

    @Test("items 1 and 12, the netns slot race: a thread swapping a host socket into the slot of a connect being served cannot aim it at a denied port")
    func slotRace() throws {
        let udp = try Listener(.udp), tcp = try Listener(.tcp), forbidden = try Listener(.udp)
        let profile = try Harness.profile("slot-race", """
            identity: spiffe://test.example/agent/race
            rules:
              - name: udp
                to: [127.0.0.1]
                ports: [\(udp.port)]
                protocol: udp
              - name: tcp
                to: [127.0.0.1]
                ports: [\(tcp.port)]
                protocol: tcp
            """)
        let result = try Harness.riptides(["exec", "--profile", profile, "--audit", "/dev/null", "--quiet", "--",
                                           try Harness.agent("attack_slot_race"), "\(udp.port)", "\(tcp.port)", "\(forbidden.port)"],
                                          timeout: 120)
        #expect(result.reports["sent"] != nil, "\(result.stdout) \(result.stderr)")
        #expect(forbidden.messages(settle: 0.5).isEmpty)
        #expect(forbidden.arrivals == 0)
    }

    @Test("item 3, netlink runs with riptides's privileges: only read-only routing requests are sent for the agent; RTM_NEWADDR is EPERM and netfilter, generic and audit sockets cannot be made")
    func netlinkConfiguration() throws {
        try Self.checkNetlink(user: [])
    }

    @Test("item 3, netlink, with the agent as another user (--user 65534)",
          .enabled(if: geteuid() == 0, "--user needs riptides to run as root; run the tests as root"))
    func netlinkConfigurationAsAnotherUser() throws {
        try Self.checkNetlink(user: ["--user", "65534"])
    }

    static func checkNetlink(user: [String]) throws {
        let result = try Harness.riptides(["exec"] + user + ["--audit", "/dev/null", "--quiet", "--", try Harness.agent("attack_netlink")])
        #expect(result.reports["route_socket"] == "ok", "\(result.stdout) \(result.stderr)")
        #expect(result.reports["newaddr"] == "EPERM")
        #expect(result.reports["added"] == nil)
        #expect(result.reports["getaddr"] == "ok")
        for proto in ["netfilter", "generic", "audit"] {
            #expect(result.reports[proto] == "EPROTONOSUPPORT", "\(proto)")
        }
        // The host's lo did not get the address either.
        var list: UnsafeMutablePointer<ifaddrs>?
        #expect(getifaddrs(&list) == 0)
        defer { freeifaddrs(list) }
        var node = list
        while let entry = node?.pointee {
            if let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) {
                let value = UnsafeRawPointer(address).loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                #expect(UInt32(bigEndian: value) != 0x0A0B_0C0D, "10.11.12.13 appeared on \(String(cString: entry.ifa_name))")
            }
            node = entry.ifa_next
        }
    }

    @Test("a page that never fills cannot be made: userfaultfd, /dev/userfaultfd and new user namespaces (for FUSE) all fail")
    func noStallingPages() throws {
        let result = try Harness.riptides(["exec", "--audit", "/dev/null", "--quiet", "--", try Harness.agent("attack_stall")])
        #expect(result.reports["userfaultfd"] == "EPERM", "\(result.stdout)")
        #expect(["EPERM", "absent"].contains(result.reports["dev_userfaultfd"]), "\(result.stdout)")
        #expect(result.reports["unshare_user"] == "EPERM")
        #expect(result.reports["clone_user"] == "EPERM")
        #expect(result.reports["clone3"] == "ENOSYS")
    }
}
