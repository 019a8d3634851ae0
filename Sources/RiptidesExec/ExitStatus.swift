import CRiptides
import Glibc

/// How the agent ended, and the status `riptides exec` exits with.
public enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The command's own status; 128+N when killed by signal N.
    public var code: Int32 {
        switch self {
        case .exited(let c): c
        case .signaled(let s): 128 + s
        }
    }

    init(_ info: siginfo_t) {
        let status = info._sifields._sigchld.si_status
        self = info.si_code == CLD_EXITED ? .exited(status) : .signaled(status)
    }
}
