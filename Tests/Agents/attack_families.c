/*
 * attack_families WHICH HOST ALLOWEDUDP DENIEDUDP DENIEDTCP MSG (threat model item 11)
 *
 * Socket families and protocols the policy does not understand, each used
 * to get MSG to HOST (an IPv4 literal, loopback in the tests) on a denied
 * port. WHICH is "all" or a comma-separated list of attempt names:
 *
 *   packet       AF_PACKET datagram socket on lo: a hand-built IPv4/UDP
 *                packet to DENIEDUDP
 *   vsock        AF_VSOCK stream socket (a channel to the hypervisor)
 *   xdp          AF_XDP socket
 *   raw_udp      SOCK_RAW/IPPROTO_UDP: sendto HOST with sin_port=ALLOWEDUDP
 *                (a raw socket ignores it) and a UDP header in the payload
 *                that says DENIEDUDP
 *   raw_connect  the same through connect(HOST:ALLOWEDUDP) then write()
 *   raw_hdrincl  SOCK_RAW/IPPROTO_RAW: a whole IPv4/UDP packet to DENIEDUDP
 *   raw_icmp     SOCK_RAW/IPPROTO_ICMP: an echo request
 *   ping         SOCK_DGRAM/IPPROTO_ICMP ("ping socket"): an echo request
 *   sctp         SOCK_STREAM/IPPROTO_SCTP: connect HOST:DENIEDTCP
 *   mptcp        SOCK_STREAM/IPPROTO_MPTCP (262): connect HOST:DENIEDTCP,
 *                then sendto with MSG_FASTOPEN to HOST:DENIEDTCP
 *   udplite      SOCK_DGRAM/IPPROTO_UDPLITE: sendto HOST:DENIEDUDP
 *
 * Prints NAME_STEP=ok or NAME_STEP=ERRNONAME for every step it reaches
 * (a failed socket() ends that attempt).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static void report(const char *attempt, const char *step, long rc) {
    if (rc < 0) printf("%s_%s=%s\n", attempt, step, strerrorname_np(errno));
    else printf("%s_%s=ok\n", attempt, step);
    fflush(stdout);
}

static const char *which;
static int wanted(const char *name) {
    if (!strcmp(which, "all")) return 1;
    size_t n = strlen(name);
    for (const char *p = which; (p = strstr(p, name)); p += n)
        if ((p == which || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return 1;
    return 0;
}

static struct in_addr host;
static int allowed_udp, denied_udp, denied_tcp;
static const char *msg;

static struct sockaddr_in inet_to(int port) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = host };
    return a;
}

static uint16_t checksum(const void *data, size_t len) {
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

/* UDP header (checksum 0: none, valid for IPv4) + MSG; returns the length. */
static size_t build_udp(uint8_t *buf, int dport) {
    size_t len = sizeof(struct udphdr) + strlen(msg);
    struct udphdr *u = (struct udphdr *)buf;
    u->source = htons(4242);
    u->dest = htons((uint16_t)dport);
    u->len = htons((uint16_t)len);
    u->check = 0;
    memcpy(buf + sizeof *u, msg, strlen(msg));
    return len;
}

/* IPv4 header + UDP header + MSG, checksummed; returns the length. */
static size_t build_ip_udp(uint8_t *buf, int dport) {
    struct iphdr *ip = (struct iphdr *)buf;
    size_t len = sizeof *ip + build_udp(buf + sizeof *ip, dport);
    memset(ip, 0, sizeof *ip);
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->tot_len = htons((uint16_t)len);
    ip->saddr = host.s_addr;
    ip->daddr = host.s_addr;
    ip->check = checksum(ip, sizeof *ip);
    return len;
}

static size_t build_echo(uint8_t *buf) {
    struct icmphdr *icmp = (struct icmphdr *)buf;
    memset(icmp, 0, sizeof *icmp);
    icmp->type = ICMP_ECHO;
    icmp->un.echo.id = htons(4242);
    icmp->un.echo.sequence = htons(1);
    size_t len = sizeof *icmp + strlen(msg);
    memcpy(buf + sizeof *icmp, msg, strlen(msg));
    icmp->checksum = checksum(buf, len);
    return len;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: attack_families WHICH HOST ALLOWEDUDP DENIEDUDP DENIEDTCP MSG\n");
        return 2;
    }
    which = argv[1];
    inet_pton(AF_INET, argv[2], &host);
    allowed_udp = atoi(argv[3]);
    denied_udp = atoi(argv[4]);
    denied_tcp = atoi(argv[5]);
    msg = argv[6];
    uint8_t buf[2048];
    int fd;

    if (wanted("packet")) {
        fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
        report("packet", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                                      .sll_ifindex = (int)if_nametoindex("lo"), .sll_halen = ETH_ALEN };
            size_t len = build_ip_udp(buf, denied_udp);
            report("packet", "sendto", sendto(fd, buf, len, 0, (struct sockaddr *)&ll, sizeof ll));
            close(fd);
        }
    }
    if (wanted("vsock")) {
        fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK, 0);
        report("vsock", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_vm vm = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = 9 };
            report("vsock", "connect", connect(fd, (struct sockaddr *)&vm, sizeof vm));
            close(fd);
        }
    }
    if (wanted("xdp")) {
        fd = socket(AF_XDP, SOCK_RAW, 0);
        report("xdp", "socket", fd);
        if (fd >= 0) close(fd);
    }
    if (wanted("raw_udp")) {
        fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
        report("raw_udp", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in decoy = inet_to(allowed_udp);
            size_t len = build_udp(buf, denied_udp);
            report("raw_udp", "sendto", sendto(fd, buf, len, 0, (struct sockaddr *)&decoy, sizeof decoy));
            close(fd);
        }
    }
    if (wanted("raw_connect")) {
        fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
        report("raw_connect", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in decoy = inet_to(allowed_udp);
            int rc = connect(fd, (struct sockaddr *)&decoy, sizeof decoy);
            report("raw_connect", "connect", rc);
            if (rc == 0) {
                size_t len = build_udp(buf, denied_udp);
                report("raw_connect", "write", write(fd, buf, len));
            }
            close(fd);
        }
    }
    if (wanted("raw_hdrincl")) {
        fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        report("raw_hdrincl", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in decoy = inet_to(allowed_udp);
            size_t len = build_ip_udp(buf, denied_udp);
            report("raw_hdrincl", "sendto", sendto(fd, buf, len, 0, (struct sockaddr *)&decoy, sizeof decoy));
            close(fd);
        }
    }
    if (wanted("raw_icmp")) {
        fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        report("raw_icmp", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in to = inet_to(0);
            size_t len = build_echo(buf);
            report("raw_icmp", "sendto", sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to));
            close(fd);
        }
    }
    if (wanted("ping")) {
        fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
        report("ping", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in to = inet_to(0);
            size_t len = build_echo(buf);
            report("ping", "sendto", sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to));
            close(fd);
        }
    }
    if (wanted("sctp")) {
        fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
        report("sctp", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in to = inet_to(denied_tcp);
            int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
            report("sctp", "connect", rc);
            if (rc == 0) report("sctp", "write", write(fd, msg, strlen(msg)));
            close(fd);
        }
    }
    if (wanted("mptcp")) {
        fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
        report("mptcp", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in to = inet_to(denied_tcp);
            int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
            report("mptcp", "connect", rc);
            if (rc == 0) report("mptcp", "write", write(fd, msg, strlen(msg)));
            close(fd);
            fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
            report("mptcp", "fastopen", sendto(fd, msg, strlen(msg), MSG_FASTOPEN, (struct sockaddr *)&to, sizeof to));
            close(fd);
        }
    }
    if (wanted("udplite")) {
        fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
        report("udplite", "socket", fd);
        if (fd >= 0) {
            struct sockaddr_in to = inet_to(denied_udp);
            report("udplite", "sendto", sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof to));
            close(fd);
        }
    }
    return 0;
}
