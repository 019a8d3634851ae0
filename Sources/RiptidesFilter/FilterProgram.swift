import CRiptides
import CSeccomp
import Glibc
public import RiptidesSystem

/// A compiled seccomp BPF program, ready for `seccomp(SECCOMP_SET_MODE_FILTER)`
/// in the child. Compiled with libseccomp in the parent, because its loader
/// allocates and so cannot run between fork and exec.
public struct FilterProgram: Sendable {
    /// The `struct sock_filter` array, 8 bytes per instruction.
    public let bytes: [UInt8]
}

/// Why the filter could not be built.
public struct FilterError: Error, CustomStringConvertible {
    public var step: String
    public var errno: Errno
    public var description: String { "building the seccomp filter: \(step): \(errno)" }
}

extension FilterProgram {
    /// Builds the egress filter described by `table`.
    public static func compile(_ table: SyscallTable = .egress) throws(FilterError) -> FilterProgram {
        guard let ctx = seccomp_init(rt_scmp_act_allow()) else {
            throw FilterError(step: "seccomp_init", errno: .invalidArgument)
        }
        defer { seccomp_release(ctx) }

        func check(_ rc: CInt, _ step: String) throws(FilterError) {
            if rc < 0 { throw FilterError(step: step, errno: Errno(rawValue: -rc)) }
        }
        // Calls from another ABI (i386 through int 0x80, x32) never reach the
        // table: only the native architecture is in the filter.
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, table.foreignABIAction.libseccompAction),
                  "setting the foreign-ABI action")
        // The filter must not be disabled by the agent's own later filters;
        // no_new_privs is set by the launcher, not by libseccomp.
        try check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "leaving no_new_privs to the launcher")

        for rule in table.rules {
            let nr = seccomp_syscall_resolve_name(rule.syscall)
            guard nr != __NR_SCMP_ERROR else {
                throw FilterError(step: "resolving \(rule.syscall)", errno: .invalidArgument)
            }
            let action = rule.action.libseccompAction
            let rc: CInt
            switch rule.conditions.count {
            case 0: rc = rt_seccomp_rule_add0(ctx, action, nr)
            case 1: rc = rt_seccomp_rule_add1(ctx, action, nr, rule.conditions[0].cmp)
            case 2: rc = rt_seccomp_rule_add2(ctx, action, nr, rule.conditions[0].cmp, rule.conditions[1].cmp)
            case 3: rc = rt_seccomp_rule_add3(ctx, action, nr, rule.conditions[0].cmp, rule.conditions[1].cmp, rule.conditions[2].cmp)
            default: throw FilterError(step: "rule for \(rule.syscall) has too many conditions", errno: .invalidArgument)
            }
            try check(rc, "adding the rule for \(rule.syscall)")
        }

        // libseccomp 2.5.4 has no export to memory: export to a memfd.
        let memfd = rt_memfd_create("riptides-filter")
        guard memfd >= 0 else { throw FilterError(step: "memfd_create", errno: .current) }
        let file = FileDescriptor(adopting: memfd)
        try check(seccomp_export_bpf(ctx, file.rawValue), "exporting the BPF program")
        let size = lseek(file.rawValue, 0, SEEK_END)
        guard size > 0, size % 8 == 0 else { throw FilterError(step: "sizing the BPF program", errno: .invalidArgument) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = bytes.withUnsafeMutableBytes { pread(file.rawValue, $0.baseAddress, $0.count, 0) }
        guard n == size else { throw FilterError(step: "reading the BPF program", errno: .current) }
        return FilterProgram(bytes: bytes)
    }
}
