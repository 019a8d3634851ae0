import CRiptides
import Glibc
import RiptidesSystem
import Synchronization

extension Supervisor {
    /// `epoll_create(size)` and `epoll_create1(flags)`, trapped in the netns
    /// tier only: the instance is made here and installed in the agent's
    /// table as the call's result (`ADDFD` with `SEND`), so that riptides
    /// knows which descriptor numbers hold the agent's epoll instances when
    /// it replaces a socket they may watch (see ``EpollWatchers``).
    func emulateEpollCreate(_ request: seccomp_notif) {
        let argument = CInt(truncatingIfNeeded: request.data.args.0)
        let closeOnExec: Bool
        if request.data.nr == RT_SYS_EPOLL_CREATE {
            guard argument > 0 else { return respond(request.id, error: .invalidArgument) }
            closeOnExec = false
        } else {
            // EPOLL_CLOEXEC is O_CLOEXEC.
            guard argument & ~O_CLOEXEC == 0 else { return respond(request.id, error: .invalidArgument) }
            closeOnExec = argument != 0
        }
        // Made as the agent's user when riptides is root: the kernel charges
        // an instance's watches to the real user that made it, and an agent
        // run with --user must not spend root's allowance. That thread could
        // be signalled by the agent, unless Landlock scopes its signals:
        // without scoping the instance is root's (a documented limit).
        let instance: CInt
        if runsAsRoot, agentSignalsScoped, let agent = AgentCredentials.of(thread: pid_t(request.pid)), agent.uid != 0 {
            instance = rt_epoll_create_as(agent.uid, agent.gid)
        } else {
            instance = rt_epoll_create()
        }
        guard instance >= 0 else { return respond(request.id, error: .current) }
        defer { close(instance) }
        var install = seccomp_notif_addfd()
        install.id = request.id
        install.flags = UInt32(SECCOMP_ADDFD_FLAG_SEND)
        install.srcfd = UInt32(instance)
        install.newfd_flags = closeOnExec ? UInt32(O_CLOEXEC) : 0
        var number = rt_notif_addfd(listener, &install)
        if number < 0 && errno == EINVAL {
            // A kernel without SEND (it came with 5.14, as did the netns
            // tier's SO_NETNS_COOKIE, but backports differ): install, then answer.
            install.flags = 0
            number = rt_notif_addfd(listener, &install)
            if number >= 0 { respond(request.id, value: Int64(number)) }
        }
        if number >= 0 {
            epollNumbers.record(number)
        } else if errno != ENOENT {
            // ENOENT: the caller is gone. Otherwise (EMFILE...) the call fails.
            respond(request.id, error: .current)
        }
    }
}

/// Descriptor numbers of the epoll instances made for the agent, across its
/// whole tree (a forked child keeps its parent's numbers), the most recent
/// last. A number may since have been closed or reused: every use checks it
/// with kcmp.
final class EpollNumbers: Sendable {
    private let numbers = Mutex<[CInt]>([])
    /// Agents make few epoll instances (an event loop each: Netty makes two
    /// per core); an agent making more keeps its most recent ones watched.
    static let capacity = 256

    func record(_ number: CInt) {
        numbers.withLock { list in
            list.removeAll { $0 == number }
            list.append(number)
            if list.count > Self.capacity { list.removeFirst(list.count - Self.capacity) }
        }
    }

    var current: [CInt] { numbers.withLock { $0 } }
}
