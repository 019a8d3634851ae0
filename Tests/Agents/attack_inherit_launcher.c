/*
 * attack_inherit_launcher HOST PORT FDNUM -- COMMAND [ARG...] (threat model item 12)
 *
 * Connects a TCP socket to HOST:PORT (outside riptides: the test process is
 * not confined), places it at descriptor FDNUM without close-on-exec, and
 * execs COMMAND (riptides exec ... -- attack_inherit FDNUM). The socket is
 * then open in riptides; the agent must not have it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--")) {
        fprintf(stderr, "usage: attack_inherit_launcher HOST PORT FDNUM -- COMMAND [ARG...]\n");
        return 2;
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    int target = atoi(argv[3]);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("launcher: connect"); return 3; }
    if (dup2(fd, target) != target) { perror("launcher: dup2"); return 3; }
    close(fd);
    /* dup2 clears FD_CLOEXEC on the new descriptor; make sure. */
    fcntl(target, F_SETFD, 0);
    execv(argv[5], argv + 5);
    perror("launcher: exec");
    return 127;
}
