import CRiptides
import Glibc
import RiptidesAudit
import RiptidesPolicy
import RiptidesProfile
import RiptidesSystem

extension Supervisor {
    /// `listen(fd, backlog)`: unix sockets listen (local IPC between the
    /// agent's processes); an inet socket would let an outside peer collect
    /// data with no connect to decide (threat model item 13): no profile rule
    /// allows inbound connections, so it is denied (logged, and let through
    /// in observe mode).
    func emulateListen(_ job: Job, socket: borrowing FileDescriptor) -> Result<Int64, Errno> {
        if job.identity.isInet {
            let port = SocketName.localPort(of: socket.rawValue)
            audit.decision(event: "listen", pid: ProcFS.processID(ofThread: job.tid) ?? job.tid, tid: job.tid, exe: ProcFS.executable(of: job.tid),
                           protocol: job.identity.protocolName, address: job.identity.domain == AF_INET6 ? "::" : "0.0.0.0",
                           port: port, host: nil, verdict: .deny, rule: nil,
                           reason: "inbound connections are not allowed by any profile", mode: mode)
            if mode == .enforce { return .failure(.permissionDenied) }
        }
        let backlog = CInt(truncatingIfNeeded: job.args.1)
        switch valueOrErrno(retryOnInterrupt: false, { Glibc.listen(socket.rawValue, backlog) }) {
        case .success: return .success(0)
        case .failure(let e): return .failure(e)
        }
    }
}
