/*
 * attack_seccomp HOST PORT MSG (threat model item 19)
 *
 * The agent adds filters of its own (no_new_privs is already set, so it
 * may):
 *   new_listener  a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER that would
 *                 send connect to a supervisor of the agent's choosing:
 *                 the kernel allows one listener per filter chain, so EBUSY.
 *   allow_filter  a filter that returns SECCOMP_RET_ALLOW for everything
 *                 (connect explicitly first): it must load, and it must not
 *                 loosen ours: connect to HOST:PORT (denied) is still EPERM.
 *   tsync         the same filter with SECCOMP_FILTER_FLAG_TSYNC.
 * Prints new_listener=..., allow_filter=..., tsync=..., connect=... and
 * write=... when the connect succeeds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_seccomp HOST PORT MSG\n"); return 2; }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    const char *msg = argv[3];

    printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));

    /* connect -> USER_NOTIF (to the agent's own listener), the rest allowed. */
    struct sock_filter notify[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog notify_prog = { sizeof notify / sizeof notify[0], notify };
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &notify_prog);
    report("new_listener", listener);

    /* connect -> ALLOW, everything else -> ALLOW. */
    struct sock_filter allow[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog allow_prog = { sizeof allow / sizeof allow[0], allow };
    report("allow_filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &allow_prog));
    report("tsync", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &allow_prog));
    report("prctl_filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &allow_prog, 0, 0));

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
    report("connect", rc);
    if (rc == 0) report("write", write(fd, msg, strlen(msg)));
    close(fd);
    return 0;
}
