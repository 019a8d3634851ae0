/*
 * Stalling the supervisor (found in review): a sockaddr on a page that
 * never fills (userfaultfd, or a FUSE mount in a user namespace of the
 * agent's own) would hold riptides's read of agent memory forever. Each
 * way to make such a page must fail.
 *
 * Prints userfaultfd=..., dev_userfaultfd=..., unshare_user=...,
 * clone_user=..., clone3=....
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

int main(void) {
    report("userfaultfd", syscall(SYS_userfaultfd, 0));
    int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev >= 0) report("dev_userfaultfd", ioctl(dev, 0xAA00, 0));
    else printf("dev_userfaultfd=absent\n");
    report("unshare_user", unshare(CLONE_NEWUSER));
    long child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) _exit(0);
    if (child > 0) waitpid((pid_t)child, NULL, 0);
    report("clone_user", child);
    struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
    long child3 = syscall(SYS_clone3, &args, sizeof args);
    if (child3 == 0) _exit(0);
    if (child3 > 0) waitpid((pid_t)child3, NULL, 0);
    report("clone3", child3);
    return 0;
}
