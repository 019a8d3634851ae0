/*
 * attack_unix MODE [-C DIR] NAME MSG (threat model item 14)
 *
 * Unix sockets reach local services that act for the agent (a proxy, the
 * Docker socket, an SSH agent). MODE:
 *
 *   stream           connect(AF_UNIX, SOCK_STREAM) to the path NAME, write MSG
 *   dgram            sendto(AF_UNIX, SOCK_DGRAM) of MSG to the path NAME
 *   abstract-stream  as stream, to the abstract name "\0NAME"
 *   abstract-dgram   as dgram, to the abstract name "\0NAME"
 *
 * With -C DIR the agent first changes into DIR, so that a relative NAME
 * is resolved there by the kernel.
 *
 * Prints pid=N (its own, to compare with the credentials the server sees),
 * chdir=... (with -C), connect=... and write=..., or sendto=....
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "report.h"

int main(int argc, char **argv) {
    if (argc != 4 && !(argc == 6 && !strcmp(argv[2], "-C"))) {
        fprintf(stderr, "usage: attack_unix stream|dgram|abstract-stream|abstract-dgram [-C DIR] NAME MSG\n");
        return 2;
    }
    const char *mode = argv[1];
    printf("pid=%d\n", getpid());
    if (argc == 6) report("chdir", chdir(argv[3]));
    const char *name = argv[argc - 2], *msg = argv[argc - 1];
    int abstract = !strncmp(mode, "abstract-", 9);
    int stream = !strcmp(mode, "stream") || !strcmp(mode, "abstract-stream");

    struct sockaddr_un to = { .sun_family = AF_UNIX };
    socklen_t length;
    if (abstract) {
        to.sun_path[0] = 0;
        strncpy(to.sun_path + 1, name, sizeof to.sun_path - 2);
        length = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    } else {
        strncpy(to.sun_path, name, sizeof to.sun_path - 1);
        length = sizeof to;
    }

    int fd = socket(AF_UNIX, stream ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (stream) {
        int rc = connect(fd, (struct sockaddr *)&to, length);
        report("connect", rc);
        if (rc == 0) report("write", write(fd, msg, strlen(msg)));
    } else {
        report("sendto", sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&to, length));
    }
    close(fd);
    return 0;
}
