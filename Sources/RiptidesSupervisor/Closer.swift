import CRiptides
import Glibc

/// Closes riptides's copies of the agent's files off the thread that
/// receives notifications. Closing the last reference to a socket can block:
/// with `SO_LINGER` set and data unsent to a peer that never reads, `close`
/// waits for the linger time, and the agent can close its own descriptor
/// while riptides still holds a copy, so that riptides's close is the last.
/// Descriptors go, one datagram each, to a thread of their own, which may
/// block instead: the agent then only delays the closing of its own files.
final class Closer: Sendable {
    private let sender: CInt

    init() {
        var ends: [CInt] = [-1, -1]
        guard socketpair(AF_UNIX, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            sender = -1
            return
        }
        let receiver = ends[1]
        let started = Thread.detach {
            var number: CInt = 0
            while true {
                let n = recv(receiver, &number, MemoryLayout<CInt>.size, 0)
                if n < 0 && errno == EINTR { continue }
                guard n == MemoryLayout<CInt>.size else { return }
                _ = Glibc.close(number)
            }
        }
        if started {
            sender = ends[0]
        } else {
            _ = Glibc.close(ends[0])
            _ = Glibc.close(ends[1])
            sender = -1
        }
    }

    /// Has `fd` closed on the closer's thread (here, when that thread could
    /// not be started). With its queue full behind a close that does not
    /// return, `fd` stays open: a leak of the agent's own file rather than a
    /// stalled supervisor.
    func close(_ fd: CInt) {
        guard sender >= 0 else {
            _ = Glibc.close(fd)
            return
        }
        var number = fd
        _ = send(sender, &number, MemoryLayout<CInt>.size, CInt(MSG_DONTWAIT) | CInt(MSG_NOSIGNAL))
    }
}
