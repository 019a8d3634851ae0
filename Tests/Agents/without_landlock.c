/*
 * without_landlock COMMAND [ARG...]
 *
 * Runs COMMAND with landlock_create_ruleset answering ENOSYS (a seccomp
 * filter of its own), as on a kernel without Landlock: riptides then runs
 * without Landlock's signal scoping, and the tests see what protects the
 * supervisor on such kernels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: without_landlock COMMAND [ARG...]\n"); return 2; }
    struct sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog filter = { sizeof program / sizeof program[0], program };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0) { perror("seccomp"); return 1; }
    execvp(argv[1], argv + 1);
    perror("exec");
    return 127;
}
