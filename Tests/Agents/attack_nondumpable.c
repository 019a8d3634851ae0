/*
 * attack_nondumpable HOST PORT MSG (threat model item 18)
 *
 * Blinding: the agent makes itself non-dumpable (PR_SET_DUMPABLE 0), which
 * stops same-uid processes without CAP_SYS_PTRACE from reading its memory
 * (process_vm_readv, /proc/PID/mem) or taking its descriptors
 * (pidfd_getfd). It then connects to HOST:PORT and writes MSG. The
 * supervisor must either read the destination and decide, or fail the call:
 * never let it through undecided.
 *
 * Prints dumpable=N (after the prctl), connect=..., write=....
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: attack_nondumpable HOST PORT MSG\n"); return 2; }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    const char *msg = argv[3];
    report("set_dumpable", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
    printf("dumpable=%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(fd, (struct sockaddr *)&to, sizeof to);
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
