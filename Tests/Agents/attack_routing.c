/*
 * Threat model item 6: sticky options that send an approved packet
 * elsewhere. The agent sets an IPv4 source route (IP_OPTIONS, loose source
 * and record route), an IPv6 routing header (IPV6_RTHDR) and IPv6
 * destination options, as socket options and as ancillary data on a
 * sendmsg to an allowed destination; each must fail with EPERM. Then an
 * allowed datagram without options still arrives.
 *
 *   attack_routing HOST4 PORT4 HOST6 PORT6
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_routing HOST4 PORT4 HOST6 PORT6\n"); return 2; }
    struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to4.sin_addr);
    struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[4])) };
    inet_pton(AF_INET6, argv[3], &to6.sin6_addr);

    /* IPv4 loose source route via 127.0.0.1 (the kernel checks only the shape). */
    int s4 = socket(AF_INET, SOCK_DGRAM, 0);
    unsigned char lsrr[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4, 127, 0, 0, 1 };
    report("ip_options", setsockopt(s4, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof lsrr));

    /* IPv6 type-0-shaped routing header with one hop (::1). */
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    unsigned char rthdr[24] = { 0, 2, 0, 1 };
    rthdr[23] = 1;
    report("ipv6_rthdr", setsockopt(s6, IPPROTO_IPV6, IPV6_RTHDR, rthdr, sizeof rthdr));
    unsigned char dstopts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
    report("ipv6_dstopts", setsockopt(s6, IPPROTO_IPV6, IPV6_DSTOPTS, dstopts, sizeof dstopts));

    /* The same routing header as ancillary data on an allowed destination. */
    char control[CMSG_SPACE(sizeof rthdr)];
    memset(control, 0, sizeof control);
    struct iovec iov = { "routed", 6 };
    struct msghdr mh = { .msg_name = &to6, .msg_namelen = sizeof to6, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_RTHDR;
    c->cmsg_len = CMSG_LEN(sizeof rthdr);
    memcpy(CMSG_DATA(c), rthdr, sizeof rthdr);
    report("cmsg_rthdr", sendmsg(s6, &mh, 0));

    /* And IP options as ancillary data on the IPv4 socket. */
    char control4[CMSG_SPACE(sizeof lsrr)];
    memset(control4, 0, sizeof control4);
    struct iovec iov4 = { "routed4", 7 };
    struct msghdr mh4 = { .msg_name = &to4, .msg_namelen = sizeof to4, .msg_iov = &iov4, .msg_iovlen = 1,
                          .msg_control = control4, .msg_controllen = sizeof control4 };
    c = CMSG_FIRSTHDR(&mh4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_RETOPTS;
    c->cmsg_len = CMSG_LEN(sizeof lsrr);
    memcpy(CMSG_DATA(c), lsrr, sizeof lsrr);
    report("cmsg_ip_options", sendmsg(s4, &mh4, 0));

    /* Without options, the allowed destinations still work. */
    report("plain4", sendto(s4, "plain4", 6, 0, (struct sockaddr *)&to4, sizeof to4));
    report("plain6", sendto(s6, "plain6", 6, 0, (struct sockaddr *)&to6, sizeof to6));
    return 0;
}
