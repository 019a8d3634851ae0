import CRiptides
import Glibc
public import RiptidesAudit
public import RiptidesPolicy
public import RiptidesProfile
public import RiptidesSystem

/// Answers the agent's trapped system calls: reads the destination once from
/// the agent's memory, decides on that copy, performs the call itself on a
/// duplicate of the agent's socket, and returns the real result. It never
/// answers `SECCOMP_USER_NOTIF_FLAG_CONTINUE` (threat model item 1).
public final class Supervisor: Sendable {
    let listener: CInt
    let policy: EgressPolicy
    let mode: ProfileMode
    let hosts: any HostNameSource
    let audit: AuditLog
    let threadPidFDs: Bool
    /// Riptides's network-namespace cookie when the agent runs in a
    /// namespace of its own (the netns tier); nil in the filter tier.
    let hostNamespaceCookie: UInt64?
    let runsAsRoot = geteuid() == 0
    let workers = WorkerPool()
    /// Nameservers whose port 53 is riptides's DNS proxy in the agent's namespace.
    let proxiedResolvers: [IPAddress]
    /// Who sent the queries the proxy decides, by local port.
    let resolverClients: ResolverClients?
    /// The descriptor numbers of the epoll instances made for the agent
    /// (netns tier).
    let epollNumbers = EpollNumbers()
    /// Closes copies of the agent's files off the receiving thread.
    let closer = Closer()
    /// The agent cannot signal processes outside its Landlock domain
    /// (scoping, Linux 6.12+), so a thread of riptides's may briefly run
    /// with the agent's real uid.
    let agentSignalsScoped: Bool

    /// The supervisor takes ownership of `listener`: exactly one copy of it
    /// stays open, here (threat model item 17).
    public init(listener: consuming FileDescriptor, policy: EgressPolicy, mode: ProfileMode,
                hosts: any HostNameSource, audit: AuditLog, namespaceTier: Bool = false,
                proxiedResolvers: [IPAddress] = [], resolverClients: ResolverClients? = nil, agentSignalsScoped: Bool = false) {
        self.proxiedResolvers = proxiedResolvers
        self.resolverClients = resolverClients
        self.agentSignalsScoped = agentSignalsScoped
        self.listener = listener.release()
        self.policy = policy
        self.mode = mode
        self.hosts = hosts
        self.audit = audit
        self.threadPidFDs = PidFD.supportsThreadPidFDs()
        self.hostNamespaceCookie = namespaceTier ? Self.hostNamespaceCookie() : nil
        // Wake the agent's thread synchronously on answer (Linux 6.6+): a
        // round trip drops from ~40 µs to ~5 µs. Older kernels say EINVAL.
        _ = rt_notif_set_flags(self.listener, UInt64(SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP))
    }

    deinit { close(listener) }

    /// Receives notifications until every process under the filter is gone.
    /// Blocks: run it on a thread of its own.
    public func run() {
        while true {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, -1)
            if rc < 0 {
                if errno == EINTR { continue }
                return
            }
            if pfd.revents & Int16(POLLIN) == 0 && pfd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return }
            var request = seccomp_notif()
            if rt_notif_recv(listener, &request) != 0 {
                // ENOENT: the caller died or was interrupted between poll and
                // receive. Anything else on our own listener is a bug.
                if errno == EINTR || errno == ENOENT { continue }
                return
            }
            handle(request)
        }
    }

    // MARK: one notification

    func handle(_ request: seccomp_notif) {
        let tid = pid_t(request.pid)
        if request.data.nr == RT_SYS_EPOLL_CREATE1 || request.data.nr == RT_SYS_EPOLL_CREATE {
            emulateEpollCreate(request)
            return
        }
        let call: TrappedCall
        switch Int(request.data.nr) {
        case Int(RT_SYS_CONNECT): call = .connect
        case Int(RT_SYS_SENDTO): call = .sendto
        case Int(RT_SYS_SENDMSG): call = .sendmsg
        case Int(RT_SYS_SENDMMSG): call = .sendmmsg
        case Int(RT_SYS_LISTEN): call = .listen
        default:
            respond(request.id, error: .permissionDenied)
            return
        }
        guard case .success(let pidfd) = PidFD.open(thread: tid, threadPidFDs: threadPidFDs) else {
            respond(request.id, error: .noSuchProcess)
            return
        }
        // The thread behind `tid` is the caller only while the notification
        // is valid: check after opening the pidfd (pid reuse).
        guard isValid(request.id) else { return }
        let fdArgument = CInt(truncatingIfNeeded: request.data.args.0)
        let socket: FileDescriptor
        switch PidFD.getFD(pidfd, fdArgument) {
        case .success(let fd): socket = fd
        case .failure(let e):
            respond(request.id, error: e.rawValue == EBADF || e.rawValue == ESRCH ? .badFileDescriptor : e)
            return
        }
        let socketDescriptor = socket.rawValue
        let identity: SocketIdentity
        switch SocketIdentity.of(socketDescriptor) {
        case .success(let i): identity = i
        case .failure(let e):
            respond(request.id, error: e.rawValue == ENOTSOCK ? Errno(rawValue: ENOTSOCK) : e)
            return
        }
        let flagsArgument: CInt
        switch call {
        case .connect, .listen: flagsArgument = 0
        case .sendto, .sendmmsg: flagsArgument = CInt(truncatingIfNeeded: request.data.args.3)
        case .sendmsg: flagsArgument = CInt(truncatingIfNeeded: request.data.args.2)
        }
        // A call that may block must not hold up anyone else's decision
        // (threat model item 7): a blocking stream socket's connect or send,
        // and a send on a blocking unix datagram socket (a full receiver)
        // go to workers. The rest is answered here, at once. (Reading the
        // agent's memory cannot stall: the filter allows no userfaultfd and
        // no user namespace, which FUSE would need.)
        // (A connect the netns tier serves with a new host socket starts
        // without blocking; a worker waits for it if it must.)
        let servedByHostSocket = call == .connect && identity.isInet && needsHostSocket(identity: identity, socket: socketDescriptor)
        // A connect on the agent's own stream or unix socket goes to a worker
        // even when the socket is non-blocking: another thread of the agent's
        // could clear O_NONBLOCK on the shared file before the call is made,
        // and connect has no MSG_DONTWAIT. (Sends get MSG_DONTWAIT instead.)
        let mayBlock = call != .listen && (identity.isStream || identity.domain == AF_UNIX) && !servedByHostSocket
            && (call == .connect || (!identity.nonBlocking && flagsArgument & CInt(MSG_DONTWAIT) == 0))
        // A unix call made for the agent by a root riptides runs with the
        // agent's credentials, which are per thread: it gets a thread of its
        // own, which ends with the call.
        let switchesCredentials = runsAsRoot && identity.domain == AF_UNIX
        var decided = Job(request: request, call: call, tid: tid, identity: identity, flags: flagsArgument,
                          ownThread: switchesCredentials)
        decided.onWorker = mayBlock || switchesCredentials
        let job = decided
        guard mayBlock || switchesCredentials else {
            perform(job, pidfd: pidfd, socket: socket)
            // Possibly the last reference to the agent's socket (see Closer).
            closer.close(socket.release())
            return
        }
        let pidRaw = pidfd.release(), socketRaw = socket.release()
        let work: @Sendable () -> Void = { [self] in
            let pidfd = FileDescriptor(adopting: pidRaw), socket = FileDescriptor(adopting: socketRaw)
            self.perform(job, pidfd: pidfd, socket: socket)
        }
        let started = switchesCredentials ? Thread.detach(work) : workers.submit(work)
        // No thread to be had (the agent may have exhausted them): the
        // call fails as a kernel short of resources would have it.
        if !started {
            close(pidRaw)
            close(socketRaw)
            respond(request.id, error: Errno(rawValue: EAGAIN))
        }
    }

    /// One trapped call, with what the notification said.
    struct Job: Sendable {
        var request: seccomp_notif
        var call: TrappedCall
        var tid: pid_t
        var identity: SocketIdentity
        var flags: CInt
        /// Runs on a thread of its own that ends with the call (and so may
        /// change its credentials).
        var ownThread: Bool
        /// Runs on a worker (or its own thread), not on the receiving thread.
        var onWorker = false

        var id: UInt64 { request.id }
        /// The agent's send flags as riptides sends with them: no SIGPIPE
        /// (raised in the caller instead), and `MSG_DONTWAIT` when the socket
        /// was non-blocking. The agent shares the open file and could clear
        /// `O_NONBLOCK` from another thread while the send is made here,
        /// on the thread that receives notifications.
        var sendFlags: CInt {
            flags | CInt(MSG_NOSIGNAL) | (identity.nonBlocking ? CInt(MSG_DONTWAIT) : 0)
        }
        var args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) { request.data.args }
        var memory: ProcessMemory { ProcessMemory(pid: tid) }
    }

    func perform(_ job: Job, pidfd: borrowing FileDescriptor, socket: borrowing FileDescriptor) {
        let answer: Answer
        switch job.call {
        case .connect: answer = emulateConnect(job, socket: socket)
        case .sendto: answer = Answer(emulateSendTo(job, socket: socket))
        case .sendmsg: answer = Answer(emulateSendMsg(job, pidfd: pidfd, socket: socket))
        case .sendmmsg: answer = Answer(emulateSendMMsg(job, pidfd: pidfd, socket: socket))
        case .listen: answer = Answer(emulateListen(job, socket: socket))
        }
        respond(job.id, answer, pidfd: pidfd, job: job)
    }

    /// Sends `answer` for notification `id`.
    func respond(_ id: UInt64, _ answer: Answer) {
        switch answer {
        case .value(let value): respond(id, value: value)
        case .error(let e): respond(id, error: e)
        case .deferred: break
        }
    }

    private func respond(_ id: UInt64, _ answer: Answer, pidfd: borrowing FileDescriptor, job: Job) {
        switch answer {
        case .deferred: break
        case .value(let value): respond(job.id, value: value)
        case .error(let e):
            if e.rawValue == EPIPE && job.call.isSend && job.flags & CInt(MSG_NOSIGNAL) == 0 {
                // Natively the failing send raises SIGPIPE in the caller.
                _ = rt_pidfd_send_signal(pidfd.rawValue, SIGPIPE)
            }
            respond(job.id, error: e)
        }
    }

    // MARK: deciding

    /// What to do with a destination: perform the call, or fail it.
    enum Outcome { case perform, fail(Errno) }

    func decide(_ destination: Destination, job: Job) -> Outcome {
        switch destination {
        case .inet(let address, let port, let proto):
            let names = hosts.names(for: EgressPolicy.normalize(address).address)
            let decision = policy.evaluate(address: address, port: port, protocol: proto, hosts: names)
            audit.decision(event: job.call.rawValue, pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: proto.rawValue, address: address.description, port: port,
                           host: names.first, verdict: decision.verdict, rule: decision.rule,
                           reason: decision.reason, mode: mode)
            return outcome(decision.verdict)
        case .unix(let path):
            let decision = policy.evaluate(unixPath: path)
            audit.decision(event: job.call.rawValue, pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: "unix", address: "unix:" + path, port: nil, host: nil,
                           verdict: decision.verdict, rule: decision.rule, reason: decision.reason, mode: mode)
            return outcome(decision.verdict)
        case .netlinkKernel, .disconnect, .connectedPeer, .resolverProxy:
            return .perform
        case .netlinkPeer(let peer):
            audit.decision(event: job.call.rawValue, pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: "netlink", address: "netlink:\(peer)", port: nil, host: nil,
                           verdict: .deny, rule: nil, reason: "netlink messages go only to the kernel", mode: mode)
            return outcome(.deny)
        case .resolverBypass(let address):
            audit.decision(event: job.call.rawValue, pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: job.identity.protocolName, address: address.description, port: 53, host: nil, verdict: .deny, rule: nil,
                           reason: "DNS to this nameserver goes through riptides's proxy, from a socket still in the agent's namespace", mode: mode)
            return outcome(.deny)
        case .unsupportedProtocol(let name):
            audit.decision(event: job.call.rawValue, pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: name, address: "", port: nil, host: nil, verdict: .deny, rule: nil,
                           reason: "protocol \(name) is not one a profile can allow (tcp, udp, unix)", mode: mode)
            return outcome(.deny)
        case .invalid(let e):
            return .fail(e)
        }
    }

    /// Runs `body` (the call riptides makes for the agent) with the agent
    /// thread's credentials when it goes to a unix socket and riptides is
    /// root: the socket file's permissions are checked against the agent,
    /// and the server sees the agent's uid and gid (threat model item 14).
    func asAgent<R>(_ job: Job, for destination: Destination, _ body: () -> R) -> Result<R, Errno> {
        guard runsAsRoot, job.ownThread, job.identity.domain == AF_UNIX else { return .success(body()) }
        if case .netlinkKernel = destination { return .success(body()) }
        guard let credentials = AgentCredentials.of(thread: job.tid) else { return .failure(.noSuchProcess) }
        if credentials.uid == 0 && credentials.gid == 0 { return .success(body()) }
        return credentials.assume(body)
    }

    /// A proxied nameserver's port 53 is reached only through the DNS
    /// proxy: a query over UDP or TCP from a socket still in the agent's
    /// namespace goes there; from a host socket it would reach the real
    /// nameserver with an unchecked name, and is refused whatever the
    /// profile says.
    /// `replaced`: the call already goes out on a host socket riptides
    /// installed (a later message of the same sendmmsg).
    func routed(_ destination: Destination, job: Job, socket: borrowing FileDescriptor, replaced: Bool = false) -> Destination {
        // Compared as the policy and the kernel see it: mapped and
        // unspecified spellings (0.0.0.0 reaches 127.0.0.1) included.
        guard !proxiedResolvers.isEmpty, case .inet(let address, 53, _) = destination,
              proxiedResolvers.contains(EgressPolicy.normalize(address).address) else { return destination }
        if !replaced && needsHostSocket(job, socket: socket) { return .resolverProxy }
        return .resolverBypass(address)
    }

    /// Records which process a query to the DNS proxy comes from, by the
    /// socket's local port (bound by the call just made), so that the
    /// proxy's `dns` audit line names it.
    func noteResolverClient(_ job: Job, socket: CInt) {
        guard let resolverClients, let port = SocketName.localPort(of: socket), port != 0 else { return }
        resolverClients.record(port: port, stream: job.identity.isStream,
                               client: .init(pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, exe: ProcFS.executable(of: job.tid)))
    }

    private func outcome(_ verdict: Verdict) -> Outcome {
        verdict == .allow || mode == .observe ? .perform : .fail(.permissionDenied)
    }

    // MARK: answering

    func isValid(_ id: UInt64) -> Bool { rt_notif_id_valid(listener, id) == 0 }

    func respond(_ id: UInt64, value: Int64) {
        var response = seccomp_notif_resp(id: id, val: value, error: 0, flags: 0)
        _ = rt_notif_send(listener, &response)
    }

    func respond(_ id: UInt64, error: Errno) {
        var response = seccomp_notif_resp(id: id, val: 0, error: -error.rawValue, flags: 0)
        _ = rt_notif_send(listener, &response)
    }
}
