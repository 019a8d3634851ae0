/*
 * attack_nonblock_flip HOST SILENT_PORT ALLOWED_PORT connect|fastopen
 * (threat model item 7)
 *
 * The supervisor answers a call on a non-blocking socket on the thread that
 * receives notifications, since it cannot block. But the agent shares the
 * socket's open file with riptides: one thread here clears and sets
 * O_NONBLOCK in a loop while another keeps making non-blocking connects (or
 * TCP Fast Open sends) to a destination that never answers. If riptides made
 * such a call on the shared file as it found it, the call would block for
 * the whole SYN timeout and hold up every other decision.
 *
 * A third thread times allowed connects meanwhile. Prints allowed=ok (or the
 * error) and allowed_max_ms=N, the slowest of them.
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

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static volatile int current = -1;
static struct sockaddr_in silent_address, allowed_address;

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void *flipper(void *unused) {
    (void)unused;
    for (;;) {
        int fd = current;
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        for (volatile int i = 0; i < 2000; i++) {}
        fcntl(fd, F_SETFL, 0);
    }
    return NULL;
}

static void *attacker(void *mode) {
    int fastopen = !strcmp(mode, "fastopen");
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        current = fd;
        if (fastopen) sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&silent_address, sizeof silent_address);
        else connect(fd, (struct sockaddr *)&silent_address, sizeof silent_address);
        current = -1;
        close(fd);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_nonblock_flip HOST SILENT_PORT ALLOWED_PORT connect|fastopen\n"); return 2; }
    silent_address.sin_family = allowed_address.sin_family = AF_INET;
    inet_pton(AF_INET, argv[1], &silent_address.sin_addr);
    allowed_address.sin_addr = silent_address.sin_addr;
    silent_address.sin_port = htons((uint16_t)atoi(argv[2]));
    allowed_address.sin_port = htons((uint16_t)atoi(argv[3]));
    pthread_t a, b;
    pthread_create(&a, NULL, flipper, NULL);
    pthread_create(&b, NULL, attacker, argv[4]);
    long slowest = 0;
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++) {
        usleep(200000);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        long start = now_ms();
        rc = connect(fd, (struct sockaddr *)&allowed_address, sizeof allowed_address);
        long took = now_ms() - start;
        if (took > slowest) slowest = took;
        if (rc == 0) rc = send(fd, "flip", 4, MSG_NOSIGNAL) == 4 ? 0 : -1;
        close(fd);
    }
    report("allowed", rc);
    printf("allowed_max_ms=%ld\n", slowest);
    fflush(stdout);
    _exit(0);
}
