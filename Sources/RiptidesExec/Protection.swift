import CRiptides
import Glibc
import RiptidesSystem

/// What this kernel offers riptides, probed at start (never assumed from
/// headers: Debian 12's are Linux 6.1's). `riptides doctor` prints it.
public struct Protection: Sendable {
    /// seccomp user notification (Linux 5.0): without it riptides refuses to run.
    public var userNotification: Bool
    /// `pidfd_getfd` (5.6): the supervisor acts on a duplicate of the agent's socket.
    public var pidfdGetFD: Bool
    /// `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` (5.19): no spurious EISCONN after a signal.
    public var waitKillableReceive: Bool
    /// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (6.6): ~5 µs round trips instead of ~40.
    public var syncWakeUp: Bool
    /// `PIDFD_THREAD` (6.9): descriptors are taken from the calling thread's table.
    public var threadPidFDs: Bool
    /// The Landlock ABI version, 0 when Landlock is off.
    public var landlockABI: Int
    /// Landlock signal and abstract-socket scoping (ABI 6, 6.12).
    public var landlockScoping: Bool { landlockABI >= 6 }
    /// Whether this process may create user namespaces.
    public var userNamespaces: Bool
    /// Whether io_uring is available to processes outside riptides (it is
    /// always denied inside).
    public var ioUringAvailable: Bool
    /// `SO_NETNS_COOKIE` (5.14): the netns tier tells host sockets from the agent's.
    public var namespaceCookies: Bool
    public var kernelRelease: String
    public var runningAsRoot: Bool

    public static func probe() -> Protection {
        var sizes = seccomp_notif_sizes()
        let notification = rt_seccomp_get_notif_sizes(&sizes) == 0
        // pidfd_getfd on a bad pidfd: ENOSYS when missing, EBADF when present.
        let getfd = rt_pidfd_getfd(-1, 0, 0) == -1 && errno != ENOSYS
        let threadPidFD = PidFD.supportsThreadPidFDs()
        let abi = max(0, Int(rt_landlock_abi_version()))
        let uring = rt_io_uring_setup_probe() == -1 && errno != ENOSYS && errno != EPERM
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let version = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let atLeast = { (major: Int, minor: Int) -> Bool in
            guard version.count == 2 else { return false }
            return (version[0], version[1]) >= (major, minor)
        }
        return Protection(
            userNotification: notification,
            pidfdGetFD: getfd,
            waitKillableReceive: atLeast(5, 19),
            syncWakeUp: atLeast(6, 6),
            threadPidFDs: threadPidFD,
            landlockABI: abi,
            userNamespaces: rt_can_create_user_namespace() == 1,
            ioUringAvailable: uring,
            namespaceCookies: Self.socketNamespaceCookie(),
            kernelRelease: release,
            runningAsRoot: geteuid() == 0)
    }

    static func socketNamespaceCookie() -> Bool {
        let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var cookie: UInt64 = 0
        var length = socklen_t(MemoryLayout<UInt64>.size)
        return getsockopt(fd, SOL_SOCKET, 71, &cookie, &length) == 0
    }
}
