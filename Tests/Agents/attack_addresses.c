/*
 * attack_addresses [BIND@]HOST PORT [[BIND@]HOST PORT]... (threat model item 4)
 *
 * Destinations the kernel reads differently from how they are written:
 * 0.0.0.0 and :: reach loopback, ::ffff:a.b.c.d is the IPv4 address, and on
 * an AF_INET6 socket bound to a v4-mapped address, :: reaches 127.0.0.1.
 * For each HOST PORT: a TCP connect and, when it succeeds, the message
 * "HOST PORT" sent on it; then a UDP sendto of the same message. The socket
 * family follows HOST (a ':' means AF_INET6). With BIND@, the socket is
 * first bound to BIND port 0.
 *
 * Prints tcp:HOST:PORT=... and udp:HOST:PORT=... (ok or ERRNONAME).
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

static socklen_t make_addr(const char *host, int port, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (!strchr(host, ':') && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        return sizeof *in4;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        return sizeof *in6;
    }
    fprintf(stderr, "attack_addresses: bad address %s\n", host);
    exit(2);
}

static void report(const char *kind, const char *spec, const char *port, long rc) {
    if (rc < 0) printf("%s:%s:%s=%s\n", kind, spec, port, strerrorname_np(errno));
    else printf("%s:%s:%s=ok\n", kind, spec, port);
    fflush(stdout);
}

static int open_socket(const char *bind_to, int family, int type) {
    int fd = socket(family, type, 0);
    if (fd >= 0 && bind_to) {
        struct sockaddr_storage b;
        socklen_t bl = make_addr(bind_to, 0, &b);
        if (bind(fd, (struct sockaddr *)&b, bl) != 0) { perror("bind"); exit(2); }
    }
    return fd;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc % 2 == 0) { fprintf(stderr, "usage: attack_addresses [BIND@]HOST PORT...\n"); return 2; }
    for (int i = 1; i + 1 < argc; i += 2) {
        char spec[256];
        snprintf(spec, sizeof spec, "%s", argv[i]);
        char *at = strchr(spec, '@');
        const char *bind_to = NULL, *host = spec;
        if (at) { *at = 0; bind_to = spec; host = at + 1; }
        char msg[300];
        snprintf(msg, sizeof msg, "%s %s", argv[i], argv[i + 1]);
        struct sockaddr_storage ss;
        socklen_t len = make_addr(host, atoi(argv[i + 1]), &ss);

        int fd = open_socket(bind_to, ss.ss_family, SOCK_STREAM);
        int rc = connect(fd, (struct sockaddr *)&ss, len);
        report("tcp", argv[i], argv[i + 1], rc);
        if (rc == 0) {
            send(fd, msg, strlen(msg), MSG_NOSIGNAL);
            shutdown(fd, SHUT_WR);
            char buf[64];
            while (read(fd, buf, sizeof buf) > 0) {}
        }
        close(fd);

        fd = open_socket(bind_to, ss.ss_family, SOCK_DGRAM);
        report("udp", argv[i], argv[i + 1], sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len));
        close(fd);
    }
    return 0;
}
