import CRiptides
import Glibc
import RiptidesSystem

/// The network-namespace tier. The agent lives in a namespace with only
/// loopback, so a socket it makes reaches nothing outside. An allowed
/// connect or datagram is served by a socket riptides makes in its own
/// namespace, of the same domain, type and protocol, installed in the
/// agent's descriptor slot (`SECCOMP_IOCTL_NOTIF_ADDFD` with `SETFD`).
extension Supervisor {
    /// `SO_NETNS_COOKIE` (Linux 5.14): which namespace a socket belongs to.
    static let netnsCookieOption: CInt = 71

    static func namespaceCookie(of fd: CInt) -> UInt64? {
        var cookie: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        return getsockopt(fd, SOL_SOCKET, netnsCookieOption, &cookie, &length) == 0 ? cookie : nil
    }

    /// Riptides's own namespace cookie, nil where the kernel cannot tell.
    static func hostNamespaceCookie() -> UInt64? {
        let fd = Glibc.socket(AF_INET, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return namespaceCookie(of: fd)
    }

    /// Whether an inet socket of the agent's must be replaced before it can
    /// reach an allowed destination (it still lives in the agent's namespace).
    func needsHostSocket(_ job: Job, socket: borrowing FileDescriptor) -> Bool {
        needsHostSocket(identity: job.identity, socket: socket.rawValue)
    }

    func needsHostSocket(identity: SocketIdentity, socket: CInt) -> Bool {
        guard let host = hostNamespaceCookie, identity.isInet else { return false }
        return Self.namespaceCookie(of: socket) != host
    }

    /// A new socket like the agent's, in riptides's namespace, non-blocking,
    /// with the options that change what the kernel does carried over, and
    /// the agent's explicit bind redone (its errors surface here).
    func hostSocket(like job: Job, agentSocket: borrowing FileDescriptor) -> Result<FileDescriptor, Errno> {
        let identity = job.identity
        let raw = Glibc.socket(identity.domain, identity.type | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue), identity.protocol)
        guard raw >= 0 else { return .failure(.current) }
        let fresh = FileDescriptor(adopting: raw)
        let agent = agentSocket.rawValue
        // IPV6_V6ONLY always (its default differs between namespaces), then
        // the options an agent commonly sets.
        var carried: [(CInt, CInt)] = [(SOL_SOCKET, SO_KEEPALIVE), (SOL_SOCKET, SO_BROADCAST), (SOL_SOCKET, SO_REUSEADDR)]
        if identity.domain == AF_INET6 { carried.append((CInt(IPPROTO_IPV6), CInt(IPV6_V6ONLY))) }
        if identity.isStream { carried.append((CInt(IPPROTO_TCP), CInt(TCP_NODELAY))) }
        for (level, name) in carried {
            if case .success(var value) = SocketOption.integer(agent, level: level, name: name) {
                _ = setsockopt(raw, level, name, &value, socklen_t(MemoryLayout<CInt>.size))
            }
        }
        for name in [SO_SNDTIMEO, SO_RCVTIMEO] {
            var value = timeval()
            var length = socklen_t(MemoryLayout<timeval>.size)
            if getsockopt(agent, SOL_SOCKET, name, &value, &length) == 0 && (value.tv_sec != 0 || value.tv_usec != 0) {
                _ = setsockopt(raw, SOL_SOCKET, name, &value, length)
            }
        }
        // An explicit bind (a port the agent chose) is redone on the new socket.
        if let name = SocketName.local(of: agent), let port = SocketName.port(of: name.address), port != 0 {
            // Riptides binds with its own privileges: a port below 1024 (which
            // the agent could only have bound in a namespace of its own making)
            // is refused as the host would refuse the agent.
            if port < 1024 { return .failure(Errno(rawValue: EACCES)) }
            var local = name.address
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(raw, $0, name.length) }
            }
            if rc != 0 { return .failure(.current) }
        }
        return .success(fresh)
    }

    /// Puts `fresh` in the agent's slot `job.args.0`, if that slot still
    /// holds the socket the decision was made on (kcmp), keeping the slot's
    /// close-on-exec flag and the agent's epoll registrations of it.
    func install(_ fresh: borrowing FileDescriptor, for job: Job, agentSocket: borrowing FileDescriptor) -> Result<Void, Errno> {
        let slot = CInt(truncatingIfNeeded: job.args.0)
        guard rt_kcmp_files(job.tid, getpid(), slot, agentSocket.rawValue) == 0 else { return .failure(.badFileDescriptor) }
        let watchers = EpollWatchers(tid: job.tid, slot: slot, socket: agentSocket, candidates: epollNumbers.current,
                                     threadPidFDs: threadPidFDs, closer: closer)
        var request = seccomp_notif_addfd()
        request.id = job.id
        request.flags = UInt32(SECCOMP_ADDFD_FLAG_SETFD)
        request.srcfd = UInt32(fresh.rawValue)
        request.newfd = UInt32(slot)
        request.newfd_flags = closeOnExec(tid: job.tid, fd: slot) ? UInt32(O_CLOEXEC) : 0
        guard rt_notif_addfd(listener, &request) >= 0 else {
            let error = Errno.current
            watchers.discard()
            return .failure(error)
        }
        watchers.move(from: agentSocket, to: fresh, as: slot)
        return .success(())
    }

    /// The close-on-exec flag of the agent's descriptor: only
    /// `/proc/TID/fdinfo/FD` shows it (a pidfd_getfd copy always has it set).
    func closeOnExec(tid: Int32, fd: CInt) -> Bool {
        let file = Glibc.open("/proc/\(tid)/fdinfo/\(fd)", O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return false }
        defer { close(file) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            let n = read(file, buffer.baseAddress, buffer.count)
            guard n > 0 else { return false }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags:") }),
                  let flags = Int(line.dropFirst(6).filter { $0 != " " && $0 != "\t" }, radix: 8) else { return false }
            return flags & Int(O_CLOEXEC) != 0
        }
    }

    /// Netns tier connect: connect a host socket (non-blocking, so the
    /// connection starts at once), install it while it is still connecting,
    /// then answer as natively: `EINPROGRESS` for a non-blocking socket; for
    /// a blocking one (on a worker thread), wait for the connection with the
    /// agent's `SO_SNDTIMEO` and answer its result. The agent's call is never
    /// let run again in the kernel (`CONTINUE`): a racing thread could have
    /// swapped the slot and rewritten the address by then.
    func replaceAndConnect(_ job: Job, agentSocket: borrowing FileDescriptor, copy: AddressCopy,
                           destination: Destination) -> Answer {
        let fresh: FileDescriptor
        switch hostSocket(like: job, agentSocket: agentSocket) {
        case .success(let f): fresh = f
        case .failure(let e): return .error(e)
        }
        let fd = fresh.rawValue
        let started = copy.withKernelAddress(for: destination) { address, length in
            valueOrErrno(retryOnInterrupt: false) { Glibc.connect(fd, address, length) }
        }
        var inProgress = false
        switch started {
        case .failure(let e), .success(.failure(let e)):
            guard e.rawValue == EINPROGRESS else { return .error(e) }
            inProgress = true
        case .success(.success): break
        }
        if !job.identity.nonBlocking {
            // The installed socket must behave as the agent's did: blocking.
            let flags = fcntl(fd, F_GETFL)
            _ = rt_fcntl_int(fd, F_SETFL, flags & ~O_NONBLOCK)
        }
        if case .failure(let e) = install(fresh, for: job, agentSocket: agentSocket) { return .error(e) }
        // Installed: the agent may close its slot at any time, which makes
        // riptides's reference the last one (see Closer).
        let raw = fresh.release()
        if !inProgress || job.identity.nonBlocking {
            closer.close(raw)
            return inProgress ? .error(Errno(rawValue: EINPROGRESS)) : .value(0)
        }
        // Blocking: on loopback the connection is usually there already;
        // otherwise a worker waits for it and answers, so that a silent
        // host holds up no other decision.
        var entry = pollfd(fd: raw, events: Int16(POLLOUT), revents: 0)
        if poll(&entry, 1, 0) == 1 {
            let answer = awaitConnection(raw)
            closer.close(raw)
            return answer
        }
        let id = job.id
        let submitted = workers.submit { [self] in
            let answer = awaitConnection(raw)
            close(raw)
            respond(id, answer)
        }
        if !submitted {
            closer.close(raw)
            return .error(Errno(rawValue: EAGAIN))
        }
        return .deferred
    }

    /// Waits for a connection under way on `fd` as a blocking connect would:
    /// up to `SO_SNDTIMEO` (then `EINPROGRESS`, as natively), and answers
    /// its outcome from `SO_ERROR`.
    func awaitConnection(_ fd: CInt) -> Answer {
        var timeout = timeval()
        var length = socklen_t(MemoryLayout<timeval>.size)
        let milliseconds: CInt
        if getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, &length) == 0 && (timeout.tv_sec > 0 || timeout.tv_usec > 0) {
            milliseconds = CInt(clamping: timeout.tv_sec * 1000 + timeout.tv_usec / 1000)
        } else {
            milliseconds = -1
        }
        var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var ready: CInt
        repeat { ready = poll(&entry, 1, milliseconds) } while ready < 0 && errno == EINTR
        if ready == 0 { return .error(Errno(rawValue: EINPROGRESS)) }
        switch SocketOption.integer(fd, level: SOL_SOCKET, name: SO_ERROR) {
        case .success(0): return .value(0)
        case .success(let e): return .error(Errno(rawValue: e))
        case .failure(let e): return .error(e)
        }
    }
}

extension Supervisor {
    /// Netns tier, datagrams with an address, and TCP Fast Open (a send
    /// with `MSG_FASTOPEN` on an unconnected stream socket): the agent's
    /// socket is replaced by a host socket (installed first, so that replies
    /// reach the agent), and the send goes out on riptides's reference to
    /// it. Returns nil when the call stays on the agent's own socket (a host
    /// socket already, or a stream send without `MSG_FASTOPEN`, which fails
    /// there as natively), else a raw descriptor the caller closes.
    func hostSocketForSend(_ job: Job, destination: Destination,
                           agentSocket: borrowing FileDescriptor) -> Result<CInt?, Errno> {
        guard case .inet = destination, needsHostSocket(job, socket: agentSocket) else { return .success(nil) }
        if job.identity.isStream {
            guard job.flags & CInt(MSG_FASTOPEN) != 0 else { return .success(nil) }
            // Connected already (to the DNS proxy in the agent's namespace):
            // the kernel answers EISCONN on the agent's own socket, as natively.
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connected = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(agentSocket.rawValue, $0, &length) }
            } == 0
            if connected { return .success(nil) }
        }
        let fresh: FileDescriptor
        switch hostSocket(like: job, agentSocket: agentSocket) {
        case .success(let f): fresh = f
        case .failure(let e): return .failure(e)
        }
        if job.identity.nonBlocking == false {
            let flags = fcntl(fresh.rawValue, F_GETFL)
            _ = rt_fcntl_int(fresh.rawValue, F_SETFL, flags & ~O_NONBLOCK)
        }
        if case .failure(let e) = install(fresh, for: job, agentSocket: agentSocket) { return .failure(e) }
        return .success(fresh.release())
    }
}

/// How a notification is answered.
enum Answer {
    case value(Int64)
    case error(Errno)
    /// A worker answers later.
    case deferred

    init(_ result: Result<Int64, Errno>) {
        switch result {
        case .success(let v): self = .value(v)
        case .failure(let e): self = .error(e)
        }
    }
}
