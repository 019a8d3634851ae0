/*
 * attack_stopped HOST PORT MSG DIR (threat model item 17)
 *
 * The agent side of "the supervisor stopped or killed from outside": it
 * creates DIR/ready, waits (at most 20 s) for DIR/go, then connects to
 * HOST:PORT and writes MSG. When connect returns it creates DIR/returned,
 * so the test can see whether the call completed while the supervisor was
 * stopped.
 *
 * Prints go=ok|timeout, connect=..., write=....
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

static void touch(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: attack_stopped HOST PORT MSG DIR\n"); return 2; }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    const char *msg = argv[3], *dir = argv[4];
    char go[4096];
    snprintf(go, sizeof go, "%s/go", dir);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    touch(dir, "ready");
    int waited = 0;
    struct stat st;
    while (stat(go, &st) != 0 && waited < 2000) { usleep(10 * 1000); waited++; }
    printf("go=%s\n", waited < 2000 ? "ok" : "timeout");
    fflush(stdout);

    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
    int saved = errno;
    touch(dir, "returned");
    errno = saved;
    report("connect", rc);
    if (rc == 0) {
        report("write", write(fd, msg, strlen(msg)));
        shutdown(fd, SHUT_WR);
        char buf[64];
        while (read(fd, buf, sizeof buf) > 0) {}
    }
    close(fd);
    return 0;
}
