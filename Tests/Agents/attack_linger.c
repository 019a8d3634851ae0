/*
 * attack_linger HOST SINK_PORT ALLOWED_PORT (threat model item 7)
 *
 * Closing the last reference to a TCP socket with SO_LINGER set and data
 * unsent blocks for the linger time. The agent fills a socket towards a peer
 * that never reads, sets SO_LINGER {1, 20}, and has a thread close it while
 * the socket is in a trapped sendto: if riptides's copy of the socket is then
 * the last reference and riptides closed it on the thread that receives
 * notifications, every other decision would wait 20 s.
 *
 * A prober thread times allowed connects meanwhile. Prints allowed=ok (or
 * the error) and allowed_max_ms=N, the slowest of them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static struct sockaddr_in sink, allowed;
static char payload[1 << 16];

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

struct closing { int fd; long delay_ns; volatile int started; };

/* Closes the socket after a short, varying delay: somewhere inside the
   trapped sendto, so that riptides's copy may be the last reference. */
static void *close_soon(void *argument) {
    struct closing *c = argument;
    c->started = 1;
    long until = now_ns() + c->delay_ns;
    while (now_ns() < until) {}
    close(c->fd);
    free(c);
    return NULL;
}

static void *prober(void *unused) {
    (void)unused;
    long slowest = 0;
    int rc = 0;
    for (int i = 0; i < 16 && rc == 0; i++) {
        usleep(250000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        long start = now_ns();
        rc = connect(fd, (struct sockaddr *)&allowed, sizeof allowed);
        long took = (now_ns() - start) / 1000000L;
        if (took > slowest) slowest = took;
        close(fd);
    }
    report("allowed", rc);
    printf("allowed_max_ms=%ld\n", slowest);
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_linger HOST SINK_PORT ALLOWED_PORT\n"); return 2; }
    sink.sin_family = allowed.sin_family = AF_INET;
    inet_pton(AF_INET, argv[1], &sink.sin_addr);
    allowed.sin_addr = sink.sin_addr;
    sink.sin_port = htons((uint16_t)atoi(argv[2]));
    allowed.sin_port = htons((uint16_t)atoi(argv[3]));
    memset(payload, 'x', sizeof payload);
    pthread_t probe;
    pthread_create(&probe, NULL, prober, NULL);
    for (int round = 0;; round++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sink, sizeof sink) != 0) { close(fd); usleep(1000); continue; }
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        while (send(fd, payload, sizeof payload, MSG_NOSIGNAL) > 0) {}
        struct linger linger = { 1, 20 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
        struct closing *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->delay_ns = (round * 997L) % 400000;
        pthread_t t;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attributes, 65536);
        pthread_create(&t, &attributes, close_soon, c);
        while (!c->started) {}
        sendto(fd, payload, sizeof payload, MSG_NOSIGNAL, (struct sockaddr *)&sink, sizeof sink);
        usleep(1000);
    }
}
