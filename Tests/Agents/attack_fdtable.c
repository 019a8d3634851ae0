/*
 * attack_fdtable HOST PORT MSG (threat model item 5)
 *
 * The socket a trapped call names belongs to the calling thread's file
 * table, which need not be the thread group leader's. Two shapes:
 *
 *   thread  a pthread calls unshare(CLONE_FILES); the leader holds a UDP
 *           socket at descriptor N, the thread closes its copy of N and makes
 *           a TCP socket that lands on the same number N. The thread then
 *           connects N to HOST:PORT and writes MSG. A supervisor that took N
 *           from the leader's table would connect the leader's UDP socket
 *           and the thread's write would fail (ENOTCONN/EPIPE).
 *   clone   clone(CLONE_VM) without CLONE_FILES (a process sharing memory
 *           but not descriptors) does the same.
 *
 * Prints thread_connect=..., thread_write=..., clone_connect=...,
 * clone_write=... (ok or ERRNONAME), and leader_peer=... telling whether the
 * leader's UDP socket got connected (it must stay ENOTCONN).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in to;
static const char *msg;
static int shared_fd;
static char lines[4][64];

static void note(char *line, const char *name, long rc, int err) {
    if (rc < 0) snprintf(line, 64, "%s=%s", name, strerrorname_np(err));
    else snprintf(line, 64, "%s=ok", name);
}

/* Runs in a context with its own file table. */
static void attempt(const char *prefix, char *connect_line, char *write_line) {
    char name[32];
    close(shared_fd);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd != shared_fd) {
        snprintf(connect_line, 64, "%s_collision=no(%d!=%d)", prefix, fd, shared_fd);
        return;
    }
    snprintf(name, sizeof name, "%s_connect", prefix);
    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
    note(connect_line, name, rc, errno);
    if (rc == 0) {
        snprintf(name, sizeof name, "%s_write", prefix);
        ssize_t n = send(fd, msg, strlen(msg), MSG_NOSIGNAL);
        note(write_line, name, n, errno);
        shutdown(fd, SHUT_WR);
        char buf[64];
        while (read(fd, buf, sizeof buf) > 0) {}
    }
    close(fd);
}

static void *thread_main(void *unused) {
    (void)unused;
    if (unshare(CLONE_FILES) != 0) { snprintf(lines[0], 64, "thread_unshare=%s", strerrorname_np(errno)); return NULL; }
    attempt("thread", lines[0], lines[1]);
    return NULL;
}

static int clone_main(void *unused) {
    (void)unused;
    attempt("clone", lines[2], lines[3]);
    return 0;
}

static void leader_peer(void) {
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    if (getpeername(shared_fd, (struct sockaddr *)&peer, &len) == 0) printf("leader_peer=connected\n");
    else printf("leader_peer=%s\n", strerrorname_np(errno));
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_fdtable HOST PORT MSG\n"); return 2; }
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    msg = argv[3];

    /* Leave a gap below the leader's UDP socket so the lowest free number in
       the other table is N again. */
    shared_fd = socket(AF_INET, SOCK_DGRAM, 0);

    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    leader_peer();

    size_t stack_size = 1 << 20;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t child = clone(clone_main, stack + stack_size, CLONE_VM | SIGCHLD, NULL);
    if (child < 0) snprintf(lines[2], 64, "clone=%s", strerrorname_np(errno));
    else waitpid(child, NULL, 0);
    leader_peer();

    for (int i = 0; i < 4; i++) if (lines[i][0]) printf("%s\n", lines[i]);
    fflush(stdout);
    return 0;
}
