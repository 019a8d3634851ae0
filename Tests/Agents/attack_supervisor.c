/*
 * attack_supervisor HOST DENIED_PORT ALLOWED_PORT MSG (threat model item 16)
 *
 * Same-uid attacks on the agent's parent, riptides, the supervisor:
 *
 *   pidfd_open(getppid()), then pidfd_getfd for every descriptor number
 *   0..64 of the parent: with the seccomp listener the agent could answer
 *   its own notifications. Anything obtained is identified with readlink
 *   of /proc/self/fd/N.
 *   ptrace(PTRACE_ATTACH) and ptrace(PTRACE_SEIZE) on the parent.
 *   open("/proc/PPID/mem", O_RDWR) and O_WRONLY.
 *   process_vm_readv of the parent.
 *   kill(ppid, SIGSTOP), pidfd_send_signal(SIGSTOP), kill(ppid, SIGKILL).
 *
 * Then, to show the supervisor is alive and still deciding, it connects to
 * HOST:DENIED_PORT and to HOST:ALLOWED_PORT, writing MSG on each.
 *
 * Prints ppid=N, pidfd_open=..., getfd_stolen=N (descriptors obtained),
 * getfd_errnos=E1,E2 (the distinct failures), stolen_fd_N=TARGET,
 * seccomp_notify=yes|no, ptrace_attach=..., ptrace_seize=...,
 * mem_rdwr=..., mem_wronly=..., process_vm_readv=..., kill_sigstop=...,
 * pidfd_sigstop=..., kill_sigkill=..., denied_connect=..., allowed_connect=...,
 * allowed_write=....
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static void connect_to(const char *name, const char *host, int port, const char *msg) {
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &to.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
    report(name, rc);
    if (rc == 0) {
        char label[64];
        snprintf(label, sizeof label, "%s_write", name);
        report(label, write(fd, msg, strlen(msg)));
    }
    close(fd);
}

/* The start of the parent's first mapping, when its maps are readable;
 * otherwise an address that is mapped in any x86-64 process's vicinity. */
static unsigned long parent_address(pid_t ppid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", ppid);
    FILE *f = fopen(path, "r");
    unsigned long start = 0;
    if (f) {
        if (fscanf(f, "%lx", &start) != 1) start = 0;
        fclose(f);
    }
    printf("parent_maps=%s\n", f ? "readable" : "unreadable");
    return start ? start : (unsigned long)&parent_address;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_supervisor HOST DENIED_PORT ALLOWED_PORT MSG\n"); return 2; }
    const char *host = argv[1], *msg = argv[4];
    pid_t ppid = getppid();
    printf("ppid=%d\n", ppid);

    /* pidfd_getfd on every low descriptor number of the parent. */
    long pidfd = syscall(SYS_pidfd_open, ppid, 0);
    report("pidfd_open", pidfd);
    int stolen = 0, notify = 0;
    char errnos[256] = "";
    if (pidfd >= 0) {
        for (int n = 0; n <= 64; n++) {
            long got = syscall(SYS_pidfd_getfd, (int)pidfd, n, 0);
            if (got < 0) {
                const char *e = strerrorname_np(errno);
                if (!strstr(errnos, e)) {
                    if (errnos[0]) strcat(errnos, ",");
                    strcat(errnos, e);
                }
                continue;
            }
            stolen++;
            char link[64], target[256] = "";
            snprintf(link, sizeof link, "/proc/self/fd/%ld", got);
            ssize_t len = readlink(link, target, sizeof target - 1);
            if (len > 0) target[len] = 0;
            printf("stolen_fd_%d=%s\n", n, target);
            if (!strcmp(target, "anon_inode:seccomp notify")) notify = 1;
        }
    }
    printf("getfd_stolen=%d\n", stolen);
    printf("getfd_errnos=%s\n", errnos);
    printf("seccomp_notify=%s\n", notify ? "yes" : "no");
    fflush(stdout);

    /* ptrace. */
    long rc = ptrace(PTRACE_ATTACH, ppid, 0, 0);
    report("ptrace_attach", rc);
    if (rc == 0) { waitpid(ppid, NULL, __WALL); ptrace(PTRACE_DETACH, ppid, 0, 0); }
    rc = ptrace(PTRACE_SEIZE, ppid, 0, 0);
    report("ptrace_seize", rc);
    if (rc == 0) ptrace(PTRACE_DETACH, ppid, 0, 0);

    /* /proc/PPID/mem, opened for writing (nothing is written). */
    char mem[64];
    snprintf(mem, sizeof mem, "/proc/%d/mem", ppid);
    int fd = open(mem, O_RDWR);
    report("mem_rdwr", fd);
    if (fd >= 0) close(fd);
    fd = open(mem, O_WRONLY);
    report("mem_wronly", fd);
    if (fd >= 0) close(fd);

    /* process_vm_readv. */
    char buffer[16];
    struct iovec local = { buffer, sizeof buffer };
    struct iovec remote = { (void *)parent_address(ppid), sizeof buffer };
    report("process_vm_readv", syscall(SYS_process_vm_readv, ppid, &local, 1, &remote, 1, 0));

    /* Signals. A stop that worked is undone at once, so that the run ends. */
    rc = kill(ppid, SIGSTOP);
    report("kill_sigstop", rc);
    if (rc == 0) kill(ppid, SIGCONT);
    if (pidfd >= 0) {
        rc = syscall(SYS_pidfd_send_signal, (int)pidfd, SIGSTOP, NULL, 0);
        report("pidfd_sigstop", rc);
        if (rc == 0) kill(ppid, SIGCONT);
    }
    report("kill_sigkill", kill(ppid, SIGKILL));
    usleep(100 * 1000);
    printf("ppid_after=%d\n", getppid());
    fflush(stdout);

    /* The supervisor still decides. */
    connect_to("denied_connect", host, atoi(argv[2]), msg);
    connect_to("allowed_connect", host, atoi(argv[3]), msg);
    return 0;
}
