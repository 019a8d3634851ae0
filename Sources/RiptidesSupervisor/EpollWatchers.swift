import CRiptides
import Glibc
import RiptidesSystem

/// The agent's epoll registrations of a socket the netns tier replaces.
/// An epoll instance watches a file, not a descriptor number: once the
/// agent's slot holds the host socket, a registration made before the
/// connect (event loops such as Netty's register a socket first) would go
/// on watching the old socket and never report the connection. They are
/// found before the replacement (kcmp `KCMP_EPOLL_TFD`) and moved to the
/// new socket, under the same number, events and data, afterwards.
struct EpollWatchers {
    struct Registration {
        /// Riptides's copy of the agent's epoll instance.
        var epoll: CInt
        var events: UInt32
        var data: UInt64
    }

    private(set) var registrations: [Registration] = []

    /// The registrations of the socket in slot `slot` of thread `tid`
    /// (`socket` is riptides's duplicate of it) in the epoll instances at
    /// `candidates`, the numbers of the instances riptides made for the
    /// agent: one kcmp each, and nothing allocated when none watches it.
    init(tid: Int32, slot: CInt, socket: borrowing FileDescriptor, candidates: [CInt], threadPidFDs: Bool, closer: Closer) {
        let found = candidates.filter { $0 != slot && rt_epoll_watches(tid, $0, slot) == 1 }
        guard !found.isEmpty else { return }
        var status = stat()
        guard fstat(socket.rawValue, &status) == 0,
              case .success(let pidfd) = PidFD.open(thread: tid, threadPidFDs: threadPidFDs) else { return }
        for number in found {
            guard case .success(let copy) = PidFD.getFD(pidfd, number) else { continue }
            var events: UInt32 = 0
            var data: UInt64 = 0
            guard rt_epoll_registration(copy.rawValue, slot, UInt(status.st_ino), &events, &data) == 0 else {
                // The number may hold another file by now (a socket, whose
                // last reference this could be).
                closer.close(copy.release())
                continue
            }
            registrations.append(Registration(epoll: copy.release(), events: events, data: data))
        }
    }

    /// Moves each registration under number `slot` from `old` (the
    /// replaced socket) to `new`, then lets the copies go.
    consuming func move(from old: borrowing FileDescriptor, to new: borrowing FileDescriptor, as slot: CInt) {
        for registration in registrations {
            _ = rt_epoll_move(registration.epoll, old.rawValue, new.rawValue, slot, registration.events, registration.data)
            close(registration.epoll)
        }
    }

    /// Lets the copies go without registering (the replacement failed).
    consuming func discard() {
        for registration in registrations { close(registration.epoll) }
    }
}
