/*
 * attack_fastopen HOST PORT MSG (threat model item 10)
 *
 * TCP Fast Open connects and sends in one call: sendto() or sendmsg() with
 * MSG_FASTOPEN and a destination on an unconnected TCP socket, no
 * connect() at all. Each attempt uses a fresh socket; on success the rest of
 * the stream is closed cleanly so the listener sees MSG.
 *
 * Prints fastopen_sendto=... and fastopen_sendmsg=... (ok or ERRNONAME);
 * on success also the count as *_bytes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static void finish(int fd) {
    shutdown(fd, SHUT_WR);
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {}
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_fastopen HOST PORT MSG\n"); return 2; }
    const char *msg = argv[3];
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, argv[1], &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)atoi(argv[2]));
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, argv[1], &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)atoi(argv[2]));
        len = sizeof *in6;
    } else return 2;

    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    ssize_t n = sendto(fd, msg, strlen(msg), MSG_FASTOPEN, (struct sockaddr *)&ss, len);
    report("fastopen_sendto", n);
    if (n >= 0) printf("fastopen_sendto_bytes=%zd\n", n);
    finish(fd);

    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    struct iovec iov = { (void *)msg, strlen(msg) };
    struct msghdr mh = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 };
    n = sendmsg(fd, &mh, MSG_FASTOPEN);
    report("fastopen_sendmsg", n);
    if (n >= 0) printf("fastopen_sendmsg_bytes=%zd\n", n);
    finish(fd);

    /* TCP_FASTOPEN_CONNECT: connect() returns at once, the SYN leaves with
       the first write (the destination was decided at connect). */
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    report("fastopen_connect", rc);
    if (rc == 0) report("fastopen_connect_write", write(fd, msg, strlen(msg)));
    finish(fd);
    fflush(stdout);
    return 0;
}
