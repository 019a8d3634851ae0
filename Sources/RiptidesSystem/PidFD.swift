import CRiptides
import Glibc

/// Process file descriptors. The corresponding C functions are `pidfd_open`
/// and `pidfd_getfd`.
public enum PidFD {
    /// Opens a pidfd for thread `tid` (`PIDFD_THREAD`, Linux 6.9+) so that
    /// descriptors are taken from that thread's own file table; falls back to
    /// a process pidfd where the kernel lacks thread pidfds.
    public static func open(thread tid: Int32, threadPidFDs: Bool) -> Result<FileDescriptor, Errno> {
        let flags: UInt32 = threadPidFDs ? UInt32(PIDFD_THREAD) : 0
        switch valueOrErrno({ rt_pidfd_open(tid, flags) }) {
        case .success(let fd): return .success(FileDescriptor(adopting: fd))
        case .failure(let e): return .failure(e)
        }
    }

    /// Duplicates descriptor `fd` of the process behind `pidfd` into this one
    /// (close-on-exec).
    public static func getFD(_ pidfd: borrowing FileDescriptor, _ fd: CInt) -> Result<FileDescriptor, Errno> {
        switch valueOrErrno({ rt_pidfd_getfd(pidfd.rawValue, fd, 0) }) {
        case .success(let copy): return .success(FileDescriptor(adopting: copy))
        case .failure(let e): return .failure(e)
        }
    }

    /// Whether this kernel supports `PIDFD_THREAD`.
    public static func supportsThreadPidFDs() -> Bool {
        let fd = rt_pidfd_open(getpid(), UInt32(PIDFD_THREAD))
        if fd >= 0 { Glibc.close(fd); return true }
        return false
    }
}
