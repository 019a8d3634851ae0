import CRiptides
import Glibc
import RiptidesAudit
import RiptidesFilter
import RiptidesLaunch
import RiptidesPolicy
import RiptidesProfile
import RiptidesSupervisor
import RiptidesSystem

/// One `riptides exec`: starts the command under the filter, supervises it
/// and every process it starts, and ends when the last of them is gone.
///
/// riptides is a child subreaper, so a process that double-forks is
/// re-parented to riptides rather than to init: it stays under the filter
/// (which every descendant inherits) and the session waits for it. The
/// session ends when `waitid` reports no children left; the exit status is
/// that of COMMAND itself.
public enum ExecSession {
    /// A failure before the command ran, with the exit status it maps to.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public var exitStatus: Int32
    }

    /// The signals riptides passes on to the agent.
    static let forwarded: [CInt] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    public static func run(_ configuration: ExecConfiguration) throws(Failure) -> ExitStatus {
        let executable: String
        do {
            executable = try ExecutableResolver(environment: configuration.environment).resolve(configuration.command[0])
        } catch {
            throw Failure(description: error.description, exitStatus: error.exitStatus)
        }
        if let workload = configuration.workload {
            do {
                try WorkloadAttestation.verify(
                    workload, executable: executable, arguments: configuration.command,
                    uid: configuration.user?.uid ?? getuid(), gid: configuration.user?.gid ?? getgid(),
                    profile: configuration.profilePath ?? "profile")
            } catch {
                throw Failure(description: error.description, exitStatus: 125)
            }
        }
        for notice in configuration.notices { rt_print_stderr("riptides: \(notice)\n") }
        // One filter per tier: the netns tier's also traps epoll_create (see
        // SyscallTable.egress(trackingEpoll:)).
        let filters: Filters
        do {
            filters = Filters(plain: try FilterProgram.compile(.egress(trackingEpoll: false)),
                              netns: try FilterProgram.compile(.egress(trackingEpoll: true)))
        } catch {
            throw Failure(description: error.description, exitStatus: 125)
        }
        // Nothing riptides inherited stays open: the agent could take it back
        // with pidfd_getfd on its parent. Only an `--audit fd:N` is kept.
        if case .descriptor(let keep) = configuration.audit { rt_close_inherited(keep) } else { rt_close_inherited(-1) }
        let sink: AuditSink
        do { sink = try AuditSink(configuration.audit) } catch {
            throw Failure(description: error.description, exitStatus: 125)
        }
        let audit = AuditLog(identity: configuration.policy.identity, sink: sink)

        rt_install_crash_handlers()
        // Orphans of the agent come to us, not to init.
        guard rt_prctl(CInt(RT_PR_SET_CHILD_SUBREAPER), 1, 0, 0, 0) == 0 else {
            throw Failure(description: "becoming a child subreaper: \(Errno.current)", exitStatus: 125)
        }
        // Signals are taken synchronously by this thread; every thread
        // started from here on inherits the blocked mask.
        var waited = sigset_t()
        sigemptyset(&waited)
        for signal in forwarded + [SIGCHLD] { sigaddset(&waited, signal) }
        pthread_sigmask(SIG_BLOCK, &waited, nil)

        let resolver = HostNameResolver(hostNames: configuration.policy.resolvableHostNames)
        resolver.start()

        var request = LaunchRequest(executable: executable, arguments: configuration.command,
                                    environment: configuration.environment, filter: filters.plain)
        request.waitKillableReceive = true
        // Riptides must be able to use any descriptor number the agent can
        // (moving an epoll registration puts a socket at the agent's
        // number); the agent gets the limit riptides was started with.
        let fileLimit = rt_raise_file_limit()
        if fileLimit > 0 { request.fileLimit = fileLimit }
        request.credentials = configuration.user.map { ($0.uid, $0.gid, $0.groups) }
        // As root, the agent keeps no capability that would take it around
        // the policy (CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN,
        // CAP_BPF, ...): it keeps only what the profile names. The same holds
        // for the capabilities a user namespace would give it.
        let kept: Set<Int>
        do { kept = try Capabilities.numbers(for: configuration.keptCapabilities) } catch {
            throw Failure(description: "\(configuration.profilePath ?? "profile"): \(error)", exitStatus: 125)
        }
        if geteuid() == 0 { request.keepCapabilities = kept }
        let protection = Protection.probe()
        let ruleset = protection.landlockScoping ? rt_landlock_scope_ruleset() : -1
        if ruleset >= 0 { request.landlockRuleset = ruleset }
        defer { if ruleset >= 0 { close(ruleset) } }

        // The netns tier puts riptides's DNS proxy on the nameservers' addresses.
        let nameservers = Nameservers.read(from: configuration.environment["RIPTIDES_RESOLV_CONF"] ?? "/etc/resolv.conf")
        request.dnsServers = nameservers.map(\.networkBytes)
        (request.hostHasIPv4, request.hostHasIPv6) = HostAddressFamilies.configured()
        let isolation = try chooseIsolation(configuration, protection: protection)
        let launched = try launch(&request, filters: filters, isolation: isolation, automatic: configuration.isolation == nil, kept: kept)
        let tier = launched.isolation
        let process = launched.process
        if request.keepCapabilities != nil && configuration.user == nil {
            for warning in configuration.capabilityWarnings { rt_print_stderr("riptides: \(warning)\n") }
        }
        // Once the listener is ours: agents of the same uid must not ptrace
        // us, read our memory or take our descriptors (threat model item 16).
        // (Before the hand-off it would stop a non-root parent's pidfd_getfd.)
        _ = rt_prctl(CInt(RT_PR_SET_DUMPABLE), 0, 0, 0, 0)
        let agentPID = process.pid
        audit.sessionStart(mode: configuration.mode, profile: configuration.profilePath,
                           command: configuration.command, pid: agentPID, isolation: tier.rawValue)

        let bindings = HostNameBindings()
        // The nameservers the agent's namespace got (an IPv6 one may be missing).
        let served = zip(nameservers, process.dnsSockets).compactMap { address, sockets in sockets.map { (address, $0) } }
        for (address, sockets) in zip(nameservers, process.dnsSockets) where sockets == nil {
            rt_print_stderr("riptides: IPv6 nameserver \(address) could not be set up in the agent's namespace; queries to it follow the profile's address rules\n")
        }
        let proxied = served.map(\.0)
        let resolverClients = ResolverClients()
        if !served.isEmpty {
            DNSProxy(agentSockets: served.map(\.1.udp), tcpListeners: served.map(\.1.tcp), nameservers: proxied,
                     policy: configuration.policy, mode: configuration.mode, audit: audit, bindings: bindings,
                     clients: resolverClients).start()
        }
        let supervisor = Supervisor(listener: process.listener, policy: configuration.policy,
                                    mode: configuration.mode, hosts: CombinedHostNames([bindings, resolver]), audit: audit,
                                    namespaceTier: tier == .netns, proxiedResolvers: proxied, resolverClients: resolverClients,
                                    agentSignalsScoped: request.landlockRuleset != nil)
        startSupervisor(supervisor)

        let status = waitForTree(agent: agentPID, pidfd: process.pidfd.rawValue, signals: waited)
        switch status {
        case .exited(let code): audit.sessionEnd(exitStatus: code, signal: nil)
        case .signaled(let signal): audit.sessionEnd(exitStatus: status.code, signal: signal)
        }
        if !configuration.quiet {
            printSummary(audit.summary, status: status, mode: configuration.mode)
        }
        // The pidfd signals were forwarded through stays open until here.
        _ = process.pidfd
        return status
    }

    /// The tier asked for, or netns where this kernel can tell sockets'
    /// namespaces apart (said once on stderr when it cannot).
    private static func chooseIsolation(_ configuration: ExecConfiguration, protection: Protection) throws(Failure) -> Isolation {
        let isolation = configuration.isolation ?? .netns
        guard isolation == .netns && !protection.namespaceCookies else { return isolation }
        guard configuration.isolation == nil else {
            throw Failure(description: "--isolation netns: this kernel cannot tell sockets' namespaces apart (SO_NETNS_COOKIE, Linux 5.14)", exitStatus: 125)
        }
        rt_print_stderr("riptides: network namespaces cannot be used here (no SO_NETNS_COOKIE); isolation: filter only\n")
        return .filter
    }

    /// The compiled filter of each tier.
    struct Filters {
        var plain: FilterProgram
        var netns: FilterProgram
    }

    /// A started agent and the tier it got.
    struct Launched: ~Copyable {
        var process: LaunchedProcess
        var isolation: Isolation
    }

    /// Starts the agent in `isolation`; when that tier was picked
    /// automatically and namespaces turn out to be unavailable, in the
    /// filter tier (said once on stderr). Without the DNS proxy when its
    /// addresses cannot be bound.
    private static func launch(_ request: inout LaunchRequest, filters: Filters, isolation: Isolation, automatic: Bool,
                               kept: Set<Int>) throws(Failure) -> Launched {
        var isolation = isolation
        while true {
            request.filter = isolation == .netns ? filters.netns : filters.plain
            request.networkNamespace = isolation == .netns
            request.userNamespace = isolation == .netns && geteuid() != 0
            if request.userNamespace { request.keepCapabilities = kept }
            do {
                return Launched(process: try Launcher.spawn(request), isolation: isolation)
            } catch where error.stage.hasPrefix("binding the DNS proxy") && !request.dnsServers.isEmpty {
                rt_print_stderr("riptides: the DNS proxy could not be set up (\(error.errno)); DNS follows the profile's address rules\n")
                request.dnsServers = []
            } catch where error.namespacesUnavailable && isolation == .netns && automatic {
                rt_print_stderr("riptides: network namespaces are not available here (\(error.stage): \(error.errno)); isolation: filter only\n")
                isolation = .filter
                request.keepCapabilities = geteuid() == 0 ? kept : nil
            } catch {
                throw Failure(description: error.description, exitStatus: error.exitStatus)
            }
        }
    }

    private static func startSupervisor(_ supervisor: Supervisor) {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(supervisor).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let supervisor = Unmanaged<Supervisor>.fromOpaque(raw!).takeRetainedValue()
            supervisor.run()
            return nil
        }, box)
        if rc == 0 { pthread_detach(thread) } else {
            // Without the supervisor every trapped call would hang: refuse.
            rt_print_stderr("riptides: starting the supervisor thread: \(Errno(rawValue: rc))\n")
            exit(125)
        }
    }

    /// Reaps every process of the tree; returns how the agent itself ended.
    /// Forwards the signals riptides receives, except the ones a terminal
    /// sent to the whole foreground group (the agent already has those).
    private static func waitForTree(agent: pid_t, pidfd: CInt, signals: sigset_t) -> ExitStatus {
        var signals = signals
        var agentStatus: ExitStatus?
        while true {
            // Reap whatever has ended.
            while true {
                var info = siginfo_t()
                let rc = waitid(P_ALL, 0, &info, WEXITED | WNOHANG)
                if rc < 0 {
                    if errno == EINTR { continue }
                    // ECHILD: nobody left in the tree.
                    return agentStatus ?? .exited(125)
                }
                let pid = info._sifields._kill.si_pid
                if pid == 0 { break }
                if pid == agent { agentStatus = ExitStatus(info) }
            }
            var info = siginfo_t()
            let signal = sigwaitinfo(&signals, &info)
            guard signal > 0, signal != SIGCHLD else { continue }
            if info.si_code == SI_KERNEL && (signal == SIGINT || signal == SIGQUIT) {
                continue  // a terminal's Ctrl-C / Ctrl-\ reached the agent's group too
            }
            if agentStatus == nil {
                _ = rt_pidfd_send_signal(pidfd, signal)
            } else {
                for child in remainingChildren() { kill(child, signal) }
            }
        }
    }

    /// The processes re-parented to riptides (orphans of the agent), from
    /// `/proc/self/task/TID/children`.
    private static func remainingChildren() -> [pid_t] {
        let me = getpid()
        guard let file = fopen("/proc/\(me)/task/\(me)/children", "r") else { return [] }
        defer { fclose(file) }
        var pids: [pid_t] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, CInt(buffer.count), file) != nil {
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            pids += text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
        }
        return pids
    }

    private static func printSummary(_ tally: AuditLog.Tally, status: ExitStatus, mode: ProfileMode) {
        var text = "riptides: \(tally.allowed) allowed, \(tally.denied) denied"
        if mode == .observe && tally.denied > 0 { text += " (observe mode: let through)" }
        if !tally.deniedDestinations.isEmpty {
            let shown = tally.deniedDestinations.prefix(5).joined(separator: ", ")
            let more = tally.deniedDestinations.count > 5 ? " and \(tally.deniedDestinations.count - 5) more" : ""
            text += ": \(shown)\(more)"
        }
        switch status {
        case .exited(let code): text += "; exit status \(code)"
        case .signaled(let signal): text += "; killed by signal \(signal)"
        }
        rt_print_stderr(text + "\n")
    }
}
