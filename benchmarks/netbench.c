/*
 * netbench: loopback micro-benchmarks for `riptides exec`.
 *
 * Agent side (run bare, or under `riptides exec -- ./netbench ...`):
 *   netbench connect N HOST PORT    N x (socket + connect + close), TCP
 *   netbench udp N HOST PORT        N x sendto(addr) of a 64-byte datagram
 *   netbench bulk BYTES HOST PORT   one TCP connection, BYTES in 64 KiB send()s
 *
 * Listener side (run outside riptides; prints "port=P" once bound, then
 * serves until killed or until its lifetime, default 600 s, runs out):
 *   netbench serve-tcp HOST PORT [LIFETIME_S]
 *   netbench serve-udp HOST PORT [LIFETIME_S]
 *
 * Every agent-side mode prints exactly one line of `key=value` pairs on
 * stdout and exits 0 only when every operation succeeded.  Latencies are in
 * microseconds; percentiles are nearest-rank over the N timed operations (a
 * few untimed warm-up operations come first).
 *
 * What the seccomp filter sees: connect() and sendto() with an address are
 * trapped; the bulk mode's send() is sendto() with a NULL address and is not,
 * so it measures the data path of an already-allowed connection.
 *
 * TCP protocol: the server reads each connection to EOF, then writes back the
 * byte count as 8 bytes (network order) and closes.  UDP protocol: the server
 * counts datagrams; a datagram whose first byte is '?' is answered with the
 * count so far (8 bytes) and resets it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20
#define MAX_OPS 1000000
#define CHUNK (64 * 1024)
#define UDP_PAYLOAD 64

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "netbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: netbench connect N HOST PORT\n"
            "       netbench udp N HOST PORT\n"
            "       netbench bulk BYTES HOST PORT\n"
            "       netbench serve-tcp HOST PORT [LIFETIME_S]\n"
            "       netbench serve-udp HOST PORT [LIFETIME_S]\n");
    exit(2);
}

static long long parse_count(const char *s, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0 || v > max) {
        fprintf(stderr, "netbench: bad number: %s\n", s);
        exit(2);
    }
    return v;
}

static struct sockaddr_in parse_addr(const char *host, const char *port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)parse_count(port, 65535));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "netbench: not an IPv4 address: %s\n", host);
        exit(2);
    }
    return sa;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, long n, double q)
{
    long rank = (long)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

static void print_latency(const char *mode, long n, long errors, int first_errno,
                          double *lat, long timed, double wall_us, const char *extra)
{
    double sum = 0;
    for (long i = 0; i < timed; i++) sum += lat[i];
    qsort(lat, (size_t)timed, sizeof *lat, cmp_double);
    printf("mode=%s n=%ld ok=%ld errors=%ld first_error=%s", mode, n, timed, errors,
           first_errno ? strerrorname_np(first_errno) : "none");
    if (timed > 0)
        printf(" min_us=%.2f median_us=%.2f p90_us=%.2f p99_us=%.2f max_us=%.2f mean_us=%.2f",
               lat[0], pct(lat, timed, 0.50), pct(lat, timed, 0.90), pct(lat, timed, 0.99),
               lat[timed - 1], sum / (double)timed);
    printf(" wall_ms=%.1f%s\n", wall_us / 1e3, extra ? extra : "");
}

/* ---- agent side ------------------------------------------------------- */

static int run_connect(long n, struct sockaddr_in sa)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!lat) die("calloc");
    long timed = 0, errors = 0;
    int first_errno = 0;
    double wall0 = now_us();
    for (long i = 0; i < n + WARMUP; i++) {
        double t0 = now_us();
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        int err = errno;
        close(fd);
        double t1 = now_us();
        if (i < WARMUP) { if (rc != 0) { errors++; if (!first_errno) first_errno = err; } continue; }
        if (rc != 0) {
            errors++;
            if (!first_errno) first_errno = err;
            continue;
        }
        lat[timed++] = t1 - t0;
    }
    print_latency("connect", n, errors, first_errno, lat, timed, now_us() - wall0, NULL);
    free(lat);
    return errors ? 1 : 0;
}

static int run_udp(long n, struct sockaddr_in sa)
{
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!lat) die("calloc");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    char buf[UDP_PAYLOAD];
    memset(buf, 'd', sizeof buf);
    long timed = 0, errors = 0, sent = 0;
    int first_errno = 0;
    double wall0 = now_us();
    for (long i = 0; i < n + WARMUP; i++) {
        double t0 = now_us();
        ssize_t rc = sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&sa, sizeof sa);
        double t1 = now_us();
        if (rc != (ssize_t)sizeof buf) {
            errors++;
            if (!first_errno) first_errno = rc < 0 ? errno : EMSGSIZE;
            continue;
        }
        sent++;
        if (i >= WARMUP) lat[timed++] = t1 - t0;
    }
    double wall = now_us() - wall0;

    /* Ask the server how many datagrams arrived (warm-up ones included). */
    long long received = -1;
    struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char q = '?';
    if (sendto(fd, &q, 1, 0, (struct sockaddr *)&sa, sizeof sa) == 1) {
        uint64_t be;
        if (recv(fd, &be, sizeof be, 0) == (ssize_t)sizeof be)
            received = (long long)be64toh(be);
    }
    close(fd);
    char extra[96];
    snprintf(extra, sizeof extra, " sent=%ld received=%lld", sent, received);
    print_latency("udp", n, errors, first_errno, lat, timed, wall, extra);
    free(lat);
    return errors ? 1 : 0;
}

static int run_bulk(long long bytes, struct sockaddr_in sa)
{
    static char buf[CHUNK];
    memset(buf, 'b', sizeof buf);
    double t0 = now_us();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        printf("mode=bulk bytes=%lld ok=0 errors=1 first_error=%s\n", bytes, strerrorname_np(errno));
        return 1;
    }
    double t_conn = now_us();
    long long left = bytes;
    while (left > 0) {
        size_t len = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL); /* sendto(..., NULL, 0): not trapped */
        if (w < 0) {
            if (errno == EINTR) continue;
            printf("mode=bulk bytes=%lld ok=0 errors=1 first_error=%s\n", bytes, strerrorname_np(errno));
            return 1;
        }
        left -= w;
    }
    shutdown(fd, SHUT_WR);
    uint64_t be = 0;
    size_t got = 0;
    while (got < sizeof be) {
        ssize_t r = recv(fd, (char *)&be + got, sizeof be - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    double t1 = now_us();
    close(fd);
    long long received = got == sizeof be ? (long long)be64toh(be) : -1;
    double secs = (t1 - t0) / 1e6;
    int ok = received == bytes;
    printf("mode=bulk bytes=%lld received=%lld ok=%d errors=%d first_error=%s connect_us=%.2f "
           "secs=%.4f mb_per_s=%.1f\n",
           bytes, received, ok, !ok, ok ? "none" : "short_count", t_conn - t0, secs,
           (double)bytes / 1e6 / secs);
    return ok ? 0 : 1;
}

/* ---- listener side ---------------------------------------------------- */

static int bind_socket(int type, struct sockaddr_in sa)
{
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("bind");
    struct sockaddr_in got;
    socklen_t len = sizeof got;
    if (getsockname(fd, (struct sockaddr *)&got, &len) != 0) die("getsockname");
    printf("port=%u\n", ntohs(got.sin_port));
    fflush(stdout);
    return fd;
}

_Noreturn static void serve_tcp(struct sockaddr_in sa, unsigned lifetime)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(lifetime); /* bounded: never outlives a forgotten benchmark */
    int lfd = bind_socket(SOCK_STREAM, sa);
    if (listen(lfd, 4096) != 0) die("listen");
    static char buf[256 * 1024];
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            die("accept");
        }
        uint64_t count = 0;
        for (;;) {
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break; /* EOF, or a reset from a connect-and-close client */
            count += (uint64_t)r;
        }
        if (count > 0) {
            uint64_t be = htobe64(count);
            ssize_t w = write(fd, &be, sizeof be);
            (void)w;
        }
        close(fd);
    }
}

_Noreturn static void serve_udp(struct sockaddr_in sa, unsigned lifetime)
{
    alarm(lifetime);
    int fd = bind_socket(SOCK_DGRAM, sa);
    int rcvbuf = 8 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    char buf[2048];
    uint64_t count = 0;
    for (;;) {
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("recvfrom");
        }
        if (r >= 1 && buf[0] == '?') {
            uint64_t be = htobe64(count);
            sendto(fd, &be, sizeof be, 0, (struct sockaddr *)&from, flen);
            count = 0;
        } else {
            count++;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) usage();
    const char *mode = argv[1];
    if (!strcmp(mode, "serve-tcp") || !strcmp(mode, "serve-udp")) {
        unsigned lifetime = argc > 4 ? (unsigned)parse_count(argv[4], 86400) : 600;
        struct sockaddr_in sa = parse_addr(argv[2], argv[3]);
        if (mode[6] == 't') serve_tcp(sa, lifetime);
        serve_udp(sa, lifetime);
    }
    if (argc != 5) usage();
    struct sockaddr_in sa = parse_addr(argv[3], argv[4]);
    if (!strcmp(mode, "connect")) return run_connect((long)parse_count(argv[2], MAX_OPS), sa);
    if (!strcmp(mode, "udp")) return run_udp((long)parse_count(argv[2], MAX_OPS), sa);
    if (!strcmp(mode, "bulk")) return run_bulk(parse_count(argv[2], 1LL << 40), sa);
    usage();
    return 2;
}
