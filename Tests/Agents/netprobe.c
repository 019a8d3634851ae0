/*
 * netprobe: the agent the end-to-end tests run under riptides. Each mode
 * makes real calls and prints one line per call, "NAME=ok" or
 * "NAME=ERRNONAME", so the test can check what the agent saw while the
 * listeners show what arrived.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* Fills `ss` from HOST (IPv4 or IPv6 literal) and PORT; returns its length. */
static socklen_t make_addr(const char *host, int port, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        return sizeof *in4;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return sizeof *in6;
    }
    fprintf(stderr, "netprobe: bad address %s\n", host);
    exit(2);
}

static int tcp_send(const char *name, const char *host, int port, const char *msg) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) { report(name, -1); return -1; }
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    report(name, rc);
    if (rc == 0) {
        ssize_t n = send(fd, msg, strlen(msg), 0);
        if (n < 0) report("send", -1);
        shutdown(fd, SHUT_WR);
        char buf[64];
        while (read(fd, buf, sizeof buf) > 0) {}
    }
    close(fd);
    return rc;
}

static int udp_sendto(const char *name, const char *host, int port, const char *msg) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, port, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    ssize_t n = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len);
    report(name, n < 0 ? -1 : 0);
    close(fd);
    return n < 0 ? -1 : 0;
}

static int udp_sendmsg(const char *name, const char *host, int port, const char *msg) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, port, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    struct iovec iov[2] = { { (void *)msg, strlen(msg) / 2 }, { (void *)(msg + strlen(msg) / 2), strlen(msg) - strlen(msg) / 2 } };
    struct msghdr mh = { .msg_name = &ss, .msg_namelen = len, .msg_iov = iov, .msg_iovlen = 2 };
    ssize_t n = sendmsg(fd, &mh, 0);
    report(name, n < 0 ? -1 : 0);
    close(fd);
    return 0;
}

/* sendmmsg HOST MSG PORT...: one datagram per port on one unconnected socket. */
static int udp_sendmmsg(const char *host, const char *msg, int count, char **ports) {
    struct sockaddr_storage ss[16];
    struct mmsghdr mm[16];
    struct iovec iov[16];
    memset(mm, 0, sizeof mm);
    int family = AF_INET;
    for (int i = 0; i < count && i < 16; i++) {
        socklen_t len = make_addr(host, atoi(ports[i]), &ss[i]);
        family = ss[i].ss_family;
        iov[i].iov_base = (void *)msg;
        iov[i].iov_len = strlen(msg);
        mm[i].msg_hdr.msg_name = &ss[i];
        mm[i].msg_hdr.msg_namelen = len;
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int fd = socket(family, SOCK_DGRAM, 0);
    int n = sendmmsg(fd, mm, (unsigned)count, 0);
    if (n < 0) printf("sendmmsg=%s\n", strerrorname_np(errno));
    else {
        printf("sendmmsg=%d\n", n);
        for (int i = 0; i < n; i++) printf("msg_len[%d]=%u\n", i, mm[i].msg_len);
    }
    fflush(stdout);
    close(fd);
    return 0;
}

static int nonblocking(const char *host, int port, const char *msg) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    report("connect", rc);
    if (rc < 0 && errno != EINPROGRESS) return 1;
    struct pollfd p = { fd, POLLOUT, 0 };
    poll(&p, 1, 5000);
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    errno = err;
    report("so_error", err ? -1 : 0);
    if (!err) {
        ssize_t n = send(fd, msg, strlen(msg), 0);
        report("send", n < 0 ? -1 : 0);
    }
    close(fd);
    return 0;
}

/* An event loop that registers its socket with epoll before connecting
   (as Netty does): the registration must report the connection, and
   modifying and removing it must work, as natively. */
static int epoll_first(const char *host, int port, const char *msg, const char *how) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, port, &ss);
    /* "legacy": epoll_create(); "fork": the instance is the parent's, the
       socket and the connect a child's. */
    int ep = !strcmp(how, "legacy") ? epoll_create(1) : epoll_create1(EPOLL_CLOEXEC);
    if (!strcmp(how, "fork")) {
        pid_t child = fork();
        if (child != 0) {
            int status = 0;
            waitpid(child, &status, 0);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        }
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (!strcmp(how, "high")) {
        /* A descriptor number above the limit riptides was started with:
           raise this process's own, as the JVM does. */
        struct rlimit limit;
        getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        int high = dup2(fd, 1500);
        report("high", high);
        close(fd);
        fd = high;
    }
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u64 = 0x5eed };
    report("epoll_add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    report("connect", rc);
    struct epoll_event out = { 0 };
    int n = epoll_wait(ep, &out, 1, 5000);
    if (n == 1 && out.data.u64 == 0x5eed && (out.events & EPOLLOUT) && !(out.events & (EPOLLERR | EPOLLHUP)))
        printf("epoll_wait=ok\n");
    else
        printf("epoll_wait=n:%d events:%x data:%llx\n", n, n > 0 ? out.events : 0, n > 0 ? (unsigned long long)out.data.u64 : 0ULL);
    fflush(stdout);
    ev.events = EPOLLIN;
    report("epoll_mod", epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
    report("send", send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0 ? -1 : 0);
    report("epoll_del", epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
    close(fd);
    close(ep);
    return 0;
}

/* epoll_create and epoll_create1: their errors and close-on-exec flags. */
static int epoll_creation(void) {
    report("create_zero", epoll_create(0));
    report("create1_bad_flags", epoll_create1(0x1));
    int legacy = epoll_create(1), plain = epoll_create1(0), cloexec = epoll_create1(EPOLL_CLOEXEC);
    report("create", legacy);
    report("create1", plain);
    report("create1_cloexec", cloexec);
    printf("flags=%d,%d,%d\n", fcntl(legacy, F_GETFD), fcntl(plain, F_GETFD), fcntl(cloexec, F_GETFD));
    fflush(stdout);
    return 0;
}

/* Children, grandchildren: each process tries the destination. */
static int tree(const char *host, int port) {
    pid_t child = fork();
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            tcp_send("grandchild", host, port, "from-grandchild");
            _exit(0);
        }
        waitpid(grandchild, NULL, 0);
        tcp_send("child", host, port, "from-child");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    tcp_send("parent", host, port, "from-parent");
    return 0;
}

struct thread_arg { const char *host; int port; int index; };
static void *thread_main(void *p) {
    struct thread_arg *a = p;
    char name[32], msg[32];
    snprintf(name, sizeof name, "thread%d", a->index);
    snprintf(msg, sizeof msg, "from-thread%d", a->index);
    tcp_send(name, a->host, a->port, msg);
    return NULL;
}

static int threads(const char *host, int port, int n) {
    pthread_t t[32];
    struct thread_arg a[32];
    for (int i = 0; i < n && i < 32; i++) {
        a[i] = (struct thread_arg){ host, port, i };
        pthread_create(&t[i], NULL, thread_main, &a[i]);
    }
    for (int i = 0; i < n && i < 32; i++) pthread_join(t[i], NULL);
    return 0;
}

/* A double-forked daemon that connects after its parents are gone. */
static int daemonize(const char *host, int port) {
    pid_t child = fork();
    if (child == 0) {
        setsid();
        if (fork() == 0) {
            usleep(300000);
            tcp_send("daemon", host, port, "from-daemon");
            _exit(0);
        }
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("parent=exiting\n");
    fflush(stdout);
    return 0;
}

/* TOCTOU: one thread connects to ALLOWED in a loop while another flips the
   port in the same sockaddr to DENIED. */
static struct sockaddr_in race_addr;
static volatile int race_stop;
static int race_allowed, race_denied;
static void *flipper(void *unused) {
    (void)unused;
    volatile in_port_t *port = &race_addr.sin_port;
    while (!race_stop) {
        *port = htons((uint16_t)race_denied);
        for (volatile int i = 0; i < 50; i++) {}
        *port = htons((uint16_t)race_allowed);
        for (volatile int i = 0; i < 50; i++) {}
    }
    return NULL;
}

static int race(const char *host, int allowed, int denied, int iterations) {
    race_allowed = allowed;
    race_denied = denied;
    memset(&race_addr, 0, sizeof race_addr);
    race_addr.sin_family = AF_INET;
    inet_pton(AF_INET, host, &race_addr.sin_addr);
    race_addr.sin_port = htons((uint16_t)allowed);
    pthread_t t;
    pthread_create(&t, NULL, flipper, NULL);
    int ok = 0, denied_count = 0, other = 0;
    for (int i = 0; i < iterations; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&race_addr, sizeof race_addr) == 0) {
            ok++;
            send(fd, "race", 4, MSG_NOSIGNAL);
        } else if (errno == EPERM) denied_count++;
        else other++;
        close(fd);
    }
    race_stop = 1;
    pthread_join(t, NULL);
    printf("race ok=%d eperm=%d other=%d\n", ok, denied_count, other);
    fflush(stdout);
    return 0;
}

/* Connect every 100 ms until told to stop by a failure. */
static int keep_connecting(const char *host, int port, int count) {
    for (int i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "attempt%d", i);
        tcp_send(name, host, port, "keep");
        usleep(100000);
    }
    return 0;
}

/* Serving instead of calling: listen on an inet port, and on a unix path. */
static int serve(const char *host, const char *unix_path) {
    struct sockaddr_storage ss;
    socklen_t len = make_addr(host, 0, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    report("bind", bind(fd, (struct sockaddr *)&ss, len));
    report("listen", listen(fd, 8));
    close(fd);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strncpy(sun.sun_path, unix_path, sizeof sun.sun_path - 1);
    report("unix_bind", bind(u, (struct sockaddr *)&sun, sizeof sun));
    report("unix_listen", listen(u, 8));
    close(u);
    unlink(unix_path);
    return 0;
}

/* A silent destination: a thread connects (blocking) to SILENT, a listener
   whose backlog is full, while the main thread connects to ALLOWED; the
   second must not wait for the first. Prints the second's time in ms. */
static const char *slow_host;
static int slow_port;
static void *slow_connect(void *unused) {
    (void)unused;
    struct sockaddr_storage ss;
    socklen_t len = make_addr(slow_host, slow_port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    struct timeval timeout = { 3, 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    report("silent", connect(fd, (struct sockaddr *)&ss, len));
    close(fd);
    return NULL;
}

static int silent(const char *host, int silent_port, int allowed_port) {
    slow_host = host;
    slow_port = silent_port;
    pthread_t t;
    pthread_create(&t, NULL, slow_connect, NULL);
    usleep(300000);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    tcp_send("allowed", host, allowed_port, "not-stalled");
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("allowed_ms=%ld\n", (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
    fflush(stdout);
    pthread_join(t, NULL);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: netprobe MODE ARGS...\n"); return 2; }
    const char *mode = argv[1];
    if (!strcmp(mode, "tcp") && argc == 5) return tcp_send("connect", argv[2], atoi(argv[3]), argv[4]) == 0 ? 0 : 3;
    if (!strcmp(mode, "udp-sendto") && argc == 5) return udp_sendto("sendto", argv[2], atoi(argv[3]), argv[4]);
    if (!strcmp(mode, "udp-sendmsg") && argc == 5) return udp_sendmsg("sendmsg", argv[2], atoi(argv[3]), argv[4]);
    if (!strcmp(mode, "udp-sendmmsg") && argc >= 5) return udp_sendmmsg(argv[2], argv[3], argc - 4, argv + 4);
    if (!strcmp(mode, "nonblock") && argc == 5) return nonblocking(argv[2], atoi(argv[3]), argv[4]);
    if (!strcmp(mode, "epoll") && (argc == 5 || argc == 6)) return epoll_first(argv[2], atoi(argv[3]), argv[4], argc == 6 ? argv[5] : "");
    if (!strcmp(mode, "epoll-create") && argc == 2) return epoll_creation();
    if (!strcmp(mode, "tree") && argc == 4) return tree(argv[2], atoi(argv[3]));
    if (!strcmp(mode, "threads") && argc == 5) return threads(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (!strcmp(mode, "daemon") && argc == 4) return daemonize(argv[2], atoi(argv[3]));
    if (!strcmp(mode, "race") && argc == 6) return race(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (!strcmp(mode, "keep-connecting") && argc == 5) return keep_connecting(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (!strcmp(mode, "silent") && argc == 5) return silent(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (!strcmp(mode, "serve") && argc == 4) return serve(argv[2], argv[3]);
    if (!strcmp(mode, "exit") && argc == 3) return atoi(argv[2]);
    if (!strcmp(mode, "kill-self") && argc == 3) { kill(getpid(), atoi(argv[2])); pause(); }
    if (!strcmp(mode, "sleep") && argc == 3) { sleep((unsigned)atoi(argv[2])); return 0; }
    fprintf(stderr, "netprobe: unknown mode or arguments: %s\n", mode);
    return 2;
}
