/*
 * attack_scmrights (threat model item 2, faithful emulation)
 *
 * Descriptor passing between two agent processes: the parent sends the
 * write end of a pipe to its child over a socketpair with SCM_RIGHTS (a
 * sendmsg the supervisor emulates, translating the descriptor), the child
 * receives it, writes through it and exits; the parent reads the text back
 * from the read end and then expects end of file (no copy of the write
 * end left open anywhere, the supervisor included). Done for a SOCK_STREAM
 * and a SOCK_DGRAM socketpair.
 *
 * Prints TYPE_sendmsg=..., TYPE_recvmsg=... (from the child),
 * TYPE_roundtrip=ok|mismatch|timeout, TYPE_eof=ok|timeout for TYPE stream
 * and dgram.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

/* Reads from fd until `want` bytes or `ms` milliseconds pass. */
static ssize_t read_for(int fd, char *buf, size_t want, int ms) {
    size_t got = 0;
    while (got < want) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, ms) <= 0) return -1;
        ssize_t n = read(fd, buf + got, want - got);
        if (n <= 0) return (ssize_t)got;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void run(const char *type, int socktype) {
    char name[64];
    const char *text = "through-the-child";
    int pair[2], pipefd[2];
    if (socketpair(AF_UNIX, socktype | SOCK_CLOEXEC, 0, pair) < 0 || pipe(pipefd) < 0) {
        printf("%s_setup=%s\n", type, strerrorname_np(errno));
        return;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(pair[0]);
        close(pipefd[0]);
        close(pipefd[1]);
        char data;
        union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
        struct iovec iov = { &data, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                              .msg_controllen = sizeof control.buf };
        ssize_t n = recvmsg(pair[1], &msg, MSG_CMSG_CLOEXEC);
        snprintf(name, sizeof name, "%s_recvmsg", type);
        struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        if (n > 0 && !(c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)) {
            printf("%s=no-descriptor\n", name);
            fflush(stdout);
            _exit(1);
        }
        report(name, n);
        if (n <= 0) _exit(1);
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        if (write(fd, text, strlen(text)) < 0) {}
        close(fd);
        _exit(0);
    }
    close(pair[1]);
    char data = 'x';
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = { &data, 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof control.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pipefd[1], sizeof(int));
    snprintf(name, sizeof name, "%s_sendmsg", type);
    report(name, sendmsg(pair[0], &msg, 0));
    close(pipefd[1]);

    char buf[64] = "";
    ssize_t n = read_for(pipefd[0], buf, strlen(text), 5000);
    printf("%s_roundtrip=%s\n", type, n < 0 ? "timeout" : (n == (ssize_t)strlen(text) && !memcmp(buf, text, n)) ? "ok" : "mismatch");
    /* End of file: every copy of the write end is closed. */
    struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
    int ready = poll(&p, 1, 3000);
    printf("%s_eof=%s\n", type, ready > 0 && read(pipefd[0], buf, sizeof buf) == 0 ? "ok" : "timeout");
    fflush(stdout);
    close(pipefd[0]);
    close(pair[0]);
    int status;
    waitpid(child, &status, 0);
}

int main(void) {
    run("stream", SOCK_STREAM);
    run("dgram", SOCK_DGRAM);
    return 0;
}
