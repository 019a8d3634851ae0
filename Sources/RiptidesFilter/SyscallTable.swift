import CSeccomp
import Glibc

/// What the kernel does with a system call.
public enum FilterAction: Sendable, Equatable {
    case allow
    /// Suspend the caller and ask the supervisor (`SECCOMP_RET_USER_NOTIF`).
    case notify
    /// Fail with this errno without running the call.
    case fail(CInt)
    case killProcess

    var libseccompAction: UInt32 {
        switch self {
        case .allow: rt_scmp_act_allow()
        case .notify: rt_scmp_act_notify()
        case .fail(let e): rt_scmp_act_errno(UInt16(e))
        case .killProcess: rt_scmp_act_kill_process()
        }
    }
}

/// A comparison on one system call argument.
public struct ArgumentCondition: Sendable {
    public enum Comparison: Sendable { case equal, notEqual, greaterOrEqual, maskedEqual(mask: UInt64) }

    /// Equality on an `int` argument: the kernel reads only the low 32
    /// bits, so the comparison must ignore the upper ones (an agent could
    /// set them to slip past a plain 64-bit equality).
    public static func int(_ index: UInt32, equals value: CInt) -> ArgumentCondition {
        ArgumentCondition(index, .maskedEqual(mask: 0xffff_ffff), UInt64(UInt32(bitPattern: value)))
    }
    public var index: UInt32
    public var comparison: Comparison
    public var value: UInt64

    public init(_ index: UInt32, _ comparison: Comparison, _ value: UInt64) {
        self.index = index
        self.comparison = comparison
        self.value = value
    }

    var cmp: scmp_arg_cmp {
        switch comparison {
        case .equal: scmp_arg_cmp(arg: index, op: SCMP_CMP_EQ, datum_a: value, datum_b: 0)
        case .notEqual: scmp_arg_cmp(arg: index, op: SCMP_CMP_NE, datum_a: value, datum_b: 0)
        case .greaterOrEqual: scmp_arg_cmp(arg: index, op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
        case .maskedEqual(let mask): scmp_arg_cmp(arg: index, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
        }
    }
}

/// One row of the table: a system call, the condition under which the row
/// applies (all must hold), and the action.
public struct SyscallRule: Sendable {
    public var syscall: String
    public var action: FilterAction
    public var conditions: [ArgumentCondition]

    public init(_ syscall: String, _ action: FilterAction, when conditions: [ArgumentCondition] = []) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
    }
}

/// The trapped system calls and what the kernel does with the rest.
public struct SyscallTable: Sendable {
    public var rules: [SyscallRule]
    /// For a call made through another ABI than the native one.
    public var foreignABIAction: FilterAction

    /// riptides's egress table: every call that can carry a destination is
    /// trapped, and the paths around those calls are closed.
    public static var egress: SyscallTable { egress(trackingEpoll: false) }

    /// The egress table; with `trackingEpoll` (the netns tier), epoll
    /// instances are made by the supervisor too, so that it knows where the
    /// agent's epoll descriptors are when it replaces a socket they watch.
    public static func egress(trackingEpoll: Bool) -> SyscallTable {
        let newUserNamespace: UInt64 = 0x1000_0000  // CLONE_NEWUSER
        var rules: [SyscallRule] = [
            SyscallRule("connect", .notify),
            // A sendto without an address goes where the socket is already
            // connected (a connect we decided on): decided in BPF, no round trip.
            SyscallRule("sendto", .notify, when: [ArgumentCondition(4, .notEqual, 0)]),
            SyscallRule("sendmsg", .notify),
            SyscallRule("sendmmsg", .notify),
            // Serving instead of calling: an inbound peer would collect what
            // the agent writes on the accepted socket, with no connect to decide.
            SyscallRule("listen", .notify),
            // io_uring performs connect and sendmsg without these system calls.
            SyscallRule("io_uring_setup", .fail(ENOSYS)),
            SyscallRule("io_uring_enter", .fail(ENOSYS)),
            SyscallRule("io_uring_register", .fail(ENOSYS)),
            // A page the agent never fills would hold the supervisor's read
            // of agent memory forever: userfaultfd (and /dev/userfaultfd),
            // or a FUSE mount, which needs a user namespace of the agent's
            // own. So no new user namespaces (clone3 hides its flags from
            // the filter: it answers ENOSYS, and the C library falls back
            // to clone).
            SyscallRule("userfaultfd", .fail(EPERM)),
            SyscallRule("ioctl", .fail(EPERM), when: [.int(1, equals: CInt(bitPattern: 0xAA00)) /* USERFAULTFD_IOC_NEW */]),
            SyscallRule("unshare", .fail(EPERM), when: [ArgumentCondition(0, .maskedEqual(mask: newUserNamespace), newUserNamespace)]),
            SyscallRule("clone", .fail(EPERM), when: [ArgumentCondition(0, .maskedEqual(mask: newUserNamespace), newUserNamespace)]),
            SyscallRule("clone3", .fail(ENOSYS)),
        ]
        if trackingEpoll {
            rules += [SyscallRule("epoll_create", .notify), SyscallRule("epoll_create1", .notify)]
        }
        // Socket families the policy understands: unix, inet, inet6 and netlink
        // (getaddrinfo asks the kernel for the host's addresses). Every other
        // family fails at socket(). A family with bits set above the low 32
        // is caught by the last rule (fail closed).
        let allowedFamilies: Set<CInt> = [AF_UNIX, AF_INET, AF_INET6, AF_NETLINK]
        let highestAllowed = allowedFamilies.max()!
        for call in ["socket", "socketpair"] {
            for family in 0...highestAllowed where !allowedFamilies.contains(family) {
                rules.append(SyscallRule(call, .fail(EAFNOSUPPORT), when: [.int(0, equals: family)]))
            }
            rules.append(SyscallRule(call, .fail(EAFNOSUPPORT), when: [ArgumentCondition(0, .greaterOrEqual, UInt64(highestAllowed + 1))]))
        }
        // Netlink: NETLINK_ROUTE only (what getaddrinfo uses); the other
        // protocols (netfilter, audit, generic, xfrm, ...) configure the host.
        rules.append(SyscallRule("socket", .fail(EPROTONOSUPPORT), when: [
            .int(0, equals: AF_NETLINK), ArgumentCondition(2, .greaterOrEqual, 1),
        ]))
        // Inet sockets: only TCP over SOCK_STREAM and UDP over SOCK_DGRAM
        // (protocol 0 or the protocol's number). Raw and packet types write
        // their own headers; SCTP (SOCK_SEQPACKET, or SOCK_STREAM with
        // IPPROTO_SCTP) connects through setsockopt; MPTCP, UDP-Lite and ping
        // sockets are protocols a profile cannot name.
        let allowedProtocol: [CInt: CInt] = [CInt(SOCK_STREAM.rawValue): CInt(IPPROTO_TCP), CInt(SOCK_DGRAM.rawValue): CInt(IPPROTO_UDP)]
        for family in [AF_INET, AF_INET6] {
            for type in CInt(0)...15 {
                let typeIs = ArgumentCondition(1, .maskedEqual(mask: 0xf), UInt64(type))
                guard let protocolNumber = allowedProtocol[type] else {
                    rules.append(SyscallRule("socket", .fail(EPERM), when: [.int(0, equals: family), typeIs]))
                    continue
                }
                rules.append(SyscallRule("socket", .fail(EPROTONOSUPPORT), when: [
                    .int(0, equals: family), typeIs, ArgumentCondition(2, .greaterOrEqual, UInt64(protocolNumber + 1)),
                ]))
                for other in CInt(1)..<protocolNumber {
                    rules.append(SyscallRule("socket", .fail(EPROTONOSUPPORT), when: [.int(0, equals: family), typeIs, .int(2, equals: other)]))
                }
            }
        }
        // Sticky options that route an approved packet elsewhere: IPv4 source
        // routes (IP_OPTIONS) and IPv6 routing headers, directly or through
        // the destination and hop-by-hop options and the RFC 2292 option
        // block that carries them.
        let stickyRouting: [(level: CInt, name: CInt)] = [
            (CInt(IPPROTO_IP), 4 /* IP_OPTIONS */),
            (CInt(IPPROTO_IPV6), 6 /* IPV6_2292PKTOPTIONS */),
            (CInt(IPPROTO_IPV6), 54 /* IPV6_HOPOPTS */),
            (CInt(IPPROTO_IPV6), 55 /* IPV6_RTHDRDSTOPTS */),
            (CInt(IPPROTO_IPV6), 57 /* IPV6_RTHDR */),
            (CInt(IPPROTO_IPV6), 59 /* IPV6_DSTOPTS */),
        ]
        for option in stickyRouting {
            rules.append(SyscallRule("setsockopt", .fail(EPERM), when: [.int(1, equals: option.level), .int(2, equals: option.name)]))
        }
        return SyscallTable(rules: rules, foreignABIAction: .fail(ENOSYS))
    }
}
