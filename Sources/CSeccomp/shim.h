#ifndef RIPTIDES_CSECCOMP_SHIM_H
#define RIPTIDES_CSECCOMP_SHIM_H
#include <stddef.h>
#include <seccomp.h>

/* seccomp_rule_add is variadic, which Swift cannot call: these fix the
   number of argument comparisons. */
static inline int rt_seccomp_rule_add0(scmp_filter_ctx ctx, uint32_t action, int syscall) {
    return seccomp_rule_add_array(ctx, action, syscall, 0, NULL);
}
static inline int rt_seccomp_rule_add1(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                       struct scmp_arg_cmp a) {
    return seccomp_rule_add_array(ctx, action, syscall, 1, &a);
}
static inline int rt_seccomp_rule_add2(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                       struct scmp_arg_cmp a, struct scmp_arg_cmp b) {
    struct scmp_arg_cmp c[2] = { a, b };
    return seccomp_rule_add_array(ctx, action, syscall, 2, c);
}
static inline int rt_seccomp_rule_add3(scmp_filter_ctx ctx, uint32_t action, int syscall,
                                       struct scmp_arg_cmp a, struct scmp_arg_cmp b, struct scmp_arg_cmp c) {
    struct scmp_arg_cmp all[3] = { a, b, c };
    return seccomp_rule_add_array(ctx, action, syscall, 3, all);
}
/* SCMP_ACT_ERRNO and SCMP_ACT_NOTIFY are macros. */
static inline uint32_t rt_scmp_act_errno(uint16_t e) { return SCMP_ACT_ERRNO(e); }
static inline uint32_t rt_scmp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t rt_scmp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t rt_scmp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t rt_scmp_arch_native(void) { return SCMP_ARCH_NATIVE; }
static inline uint32_t rt_scmp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t rt_scmp_arch_x32(void) { return SCMP_ARCH_X32; }
#endif
