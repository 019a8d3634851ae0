/*
 * attack_signal_supervisor SOCKET_PATH (threat model item 16)
 *
 * Run with --user: riptides is root and the agent is not, so the agent may
 * not signal it. But riptides makes some calls for the agent with the
 * agent's credentials (a unix connect; an epoll instance). A thread whose
 * real uid were the agent's could be signalled, and one SIGKILL or SIGSTOP
 * to any thread stops all of riptides. One thread here keeps a unix connect
 * to SOCKET_PATH (whose queue the test keeps full) blocked in riptides and
 * another keeps making epoll instances, while the main thread sends SIGURG
 * (harmless if it lands) to every thread of riptides, its parent.
 *
 * Prints signalled=N, how many tgkill calls the kernel let through, and
 * attempts=N.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *path;

static void *connecting(void *unused) {
    (void)unused;
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    strncpy(address.sun_path, path, sizeof address.sun_path - 1);
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(fd, (struct sockaddr *)&address, sizeof address);
        close(fd);
    }
    return NULL;
}

static void *making_epolls(void *unused) {
    (void)unused;
    for (;;) close(epoll_create1(EPOLL_CLOEXEC));
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: attack_signal_supervisor SOCKET_PATH\n"); return 2; }
    path = argv[1];
    pid_t supervisor = getppid();
    pthread_t a, b;
    pthread_create(&a, NULL, connecting, NULL);
    pthread_create(&b, NULL, making_epolls, NULL);
    char tasks[64];
    snprintf(tasks, sizeof tasks, "/proc/%d/task", (int)supervisor);
    long signalled = 0, attempts = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        DIR *directory = opendir(tasks);
        struct dirent *entry;
        while (directory && (entry = readdir(directory))) {
            int tid = atoi(entry->d_name);
            if (tid <= 0) continue;
            attempts++;
            if (syscall(SYS_tgkill, supervisor, tid, SIGURG) == 0) signalled++;
        }
        if (directory) closedir(directory);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 3);
    printf("signalled=%ld\nattempts=%ld\n", signalled, attempts);
    fflush(stdout);
    _exit(0);
}
