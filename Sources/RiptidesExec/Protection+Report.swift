extension Protection {
    /// One row of `riptides doctor`: a feature, whether this machine has it,
    /// and what riptides does as a result.
    public struct Row: Sendable {
        public var feature: String
        public var present: Bool
        public var consequence: String
    }

    public var rows: [Row] {
        [
            Row(feature: "seccomp user notification (5.0)", present: userNotification,
                consequence: userNotification ? "connect/sendto/sendmsg/sendmmsg trapped and decided"
                                              : "riptides refuses to run: nothing could be enforced"),
            Row(feature: "pidfd_getfd (5.6)", present: pidfdGetFD,
                consequence: pidfdGetFD ? "allowed calls performed on a copy of the agent's socket (no CONTINUE)"
                                        : "riptides refuses to run"),
            Row(feature: "wait-killable receive (5.19)", present: waitKillableReceive,
                consequence: waitKillableReceive ? "a signal cannot interrupt a call being decided"
                                                 : "a signal during a decision may restart the call (spurious EISCONN)"),
            Row(feature: "sync wake-up (6.6)", present: syncWakeUp,
                consequence: syncWakeUp ? "fast round trips (~5 µs)" : "slower round trips (~40 µs)"),
            Row(feature: "thread pidfds (6.9)", present: threadPidFDs,
                consequence: threadPidFDs ? "sockets taken from the calling thread's own descriptor table"
                                          : "a thread with its own descriptor table is read through its process"),
            Row(feature: "Landlock ABI \(landlockABI) (scoping needs 6)", present: landlockScoping,
                consequence: landlockScoping ? "agent cannot signal riptides or reach abstract sockets outside"
                                             : "no Landlock wall: riptides relies on non-dumpable and dropped capabilities"),
            Row(feature: "user namespaces", present: userNamespaces,
                consequence: runningAsRoot ? "not needed: root creates the network namespace itself"
                    : userNamespaces ? "the agent's network namespace is made inside one"
                                     : "no network namespace without root: filter tier only"),
            Row(feature: "socket namespace cookies (5.14)", present: namespaceCookies,
                consequence: namespaceCookies ? "netns tier: allowed connections get a host socket installed in the agent"
                                              : "filter tier only"),
            Row(feature: "io_uring outside riptides", present: ioUringAvailable,
                consequence: "always denied inside riptides (ENOSYS)"),
            Row(feature: "running as root", present: runningAsRoot,
                consequence: runningAsRoot ? "agent keeps no capabilities; --user available"
                                           : "agent runs with your uid and no extra privileges"),
        ]
    }

    /// The tier `riptides exec` picks by default here.
    public var defaultIsolation: Isolation {
        namespaceCookies && (runningAsRoot || userNamespaces) ? .netns : .filter
    }

    /// Whether riptides can enforce at all on this machine.
    public var canEnforce: Bool { userNotification && pidfdGetFD }
}
