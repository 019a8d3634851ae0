/* posix_spawn for the tests, in place of Foundation's Process: Process.run()
 * in swift-corelibs-foundation 6.3 can read past a readdir buffer while it
 * lists /proc/self/fd, and crash the test process (swiftlang/
 * swift-corelibs-foundation#5472). closefrom and chdir file actions are
 * glibc extensions that Swift's Glibc module does not show. */
#define _GNU_SOURCE
#include "test_spawn.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

int test_spawn(const char *path, char *const argv[], char *const envp[], const char *directory,
               int in, int out, int err, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    const int sources[3] = {in, out, err};
    for (int target = 0; target < 3 && result == 0; target++)
        result = posix_spawn_file_actions_adddup2(&actions, sources[target], target);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (result == 0 && directory != NULL) result = posix_spawn_file_actions_addchdir_np(&actions, directory);

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &none);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    if (result == 0) result = posix_spawnattr_setpgroup(&attributes, 0);
    if (result == 0)
        result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp != NULL ? envp : environ);

    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return result;
}

int test_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int test_pidfd_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}

int test_pidfd_wait(int pidfd, int milliseconds, int *code, int *signal) {
    struct pollfd ready = {.fd = pidfd, .events = POLLIN};
    int polled;
    do polled = poll(&ready, 1, milliseconds); while (polled < 0 && errno == EINTR);
    if (polled <= 0) return polled;
    siginfo_t info = {0};
    int waited;
    do waited = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED); while (waited < 0 && errno == EINTR);
    if (waited < 0) return -1;
    *code = info.si_code == CLD_EXITED ? info.si_status : 0;
    *signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
    return 1;
}
