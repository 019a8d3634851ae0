/*
 * attack_inherit own|parent FDNUM MSG (threat model items 12 and 16)
 *
 * Run by attack_inherit_launcher through riptides: descriptor FDNUM was a
 * socket connected to a denied listener, inherited without close-on-exec by
 * riptides.
 *
 *   own     writes MSG to FDNUM (expected: EBADF, riptides closed everything
 *           but stdio), then scans its whole descriptor table for any socket
 *           and writes MSG to each. Prints write=..., send=...,
 *           stray_sockets=N.
 *   parent  the socket is still open in riptides, the agent's parent: takes
 *           it with pidfd_open(getppid()) + pidfd_getfd(FDNUM) and writes
 *           MSG. Prints parent_pidfd=..., parent_getfd=..., parent_write=....
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_inherit own|parent FDNUM MSG\n"); return 2; }
    int fd = atoi(argv[2]);
    const char *msg = argv[3];
    if (!strcmp(argv[1], "parent")) {
        long pidfd = syscall(SYS_pidfd_open, getppid(), 0);
        report("parent_pidfd", pidfd);
        if (pidfd < 0) return 0;
        long theirs = syscall(SYS_pidfd_getfd, (int)pidfd, fd, 0);
        report("parent_getfd", theirs);
        if (theirs >= 0) report("parent_write", write((int)theirs, msg, strlen(msg)));
        return 0;
    }
    report("write", write(fd, msg, strlen(msg)));
    report("send", send(fd, msg, strlen(msg), MSG_NOSIGNAL));

    int stray = 0;
    for (int i = 3; i < 4096; i++) {
        struct stat st;
        if (fstat(i, &st) == 0 && S_ISSOCK(st.st_mode)) {
            stray++;
            printf("stray_fd=%d\n", i);
            if (write(i, msg, strlen(msg)) < 0) {}
        }
    }
    printf("stray_sockets=%d\n", stray);
    fflush(stdout);
    return 0;
}
